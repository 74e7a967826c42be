"""Use cases for licence files, as a department's client runs them: render and record an
original, make and record an annotated copy, verify a presented file.

Each reads the ledger, does the file work (render, sign, check bytes) and then sends one
signed command through the bus; a file is written out only once the ledger accepted it.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commands.bootstrap import Services
from commands.setting_sections import DEFAULT_PUBLIC_URL, FileSettings
from commands.signed.envelope import sign_envelope
from ledger.domain import streams
from ledger.domain.departments import apply_department
from ledger.domain.file_certificates import apply_file_certificate, file_certificate_stream
from ledger.domain.identifiers import IdentifierError, parse_licence_identifier
from ledger.domain.licence import STATUS_NAMES, VALID, Licence, apply_licence
from ledger.domain.localtime import beijing_date
from ledger.errors import IllegalTransitionError, LedgerError, NotFoundError
from ledger.integrity.canonical import format_instant, sha256_hex
from ledger.integrity.signing import load_signing_key
from licence_files.certificates import FileSigner, load_signer
from licence_files.face import Face, build_face
from licence_files.fonts import FaceFont, load_font
from licence_files.labels import labelled
from licence_files.layout import ANNOTATION_BOX
from licence_files.ofd import render_ofd, sign_ofd
from licence_files.render_pdf import render_face_pdf, render_stamp_pdf
from licence_files.sign_pdf import sign_copy, sign_original
from licence_files.store import FileStore
from licence_files.verify import inspect_file


class CommandRefusedError(LedgerError):
    """The ledger refused the command that records the file (so no file was written)."""

    code = "refused"


@dataclass(frozen=True)
class Reading:
    """Who reads a licence, and why (Art. 27): what every recorded read carries."""

    actor: str
    operator: str
    purpose: str
    matter_code: str = "-"
    case_number: str = "-"
    mode: str = "function"
    grant_id: str = ""
    agent_code: str | None = None
    agent_auth: str | None = None


def make_original(face: Face, font: FaceFont, signer: FileSigner, fmt: str, author: str,
                  now: datetime, public_url: str = DEFAULT_PUBLIC_URL) -> bytes:
    """Render and sign the original of ``face`` (no ledger involved: the benchmarked part);
    its QR code points at ``public_url`` (LEDGER_PUBLIC_URL)."""
    if fmt == "pdf":
        return sign_original(render_face_pdf(face, font, author, public_url), signer,
                             ANNOTATION_BOX)
    files = render_ofd(face, font, author, beijing_date(now).isoformat(), uuid.uuid4().hex,
                       public_url)
    return sign_ofd(files, signer)


def current_licence(services: Services, identifier: str) -> Licence:
    try:
        ident = parse_licence_identifier(identifier)
    except IdentifierError as exc:
        raise NotFoundError(f"{identifier}: {exc}") from None
    stream = streams.licence_stream(ident.type_code, ident.issuer_code, ident.serial)
    licence: Licence | None = services.ledger.get(stream, apply_licence)
    if licence is None or identifier not in licence.identifiers:
        raise NotFoundError(f"licence {identifier} is not in the ledger")
    if licence.identifier != identifier:
        raise IllegalTransitionError(f"licence {identifier} is superseded by"
                                     f" {licence.identifier}; use the current version")
    return licence


def definition_at(services: Services, type_code: str, version: int) -> Mapping[str, Any]:
    """The catalogue definition a licence was issued or last changed under."""
    for record in services.store.read_stream(streams.catalogue_stream(type_code)):
        if record.data.get("version") == version:
            definition: Mapping[str, Any] = record.data["definition"]
            return definition
    raise NotFoundError(f"catalogue version {version} of {type_code} is not in the ledger")


def department_name(services: Services, code: str) -> str:
    dept = services.ledger.get(streams.department_stream(code), apply_department)
    if dept is None:
        raise NotFoundError(f"department {code} is not registered")
    return dept.name


def _send(services: Services, fs: FileSettings, actor: str, command_type: str,
          payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    key = load_signing_key(fs.command_key(actor))
    envelope = sign_envelope(key, command_type=command_type, actor=actor, payload=payload,
                             issued_at=format_instant(now))
    result = services.bus.execute([envelope])[0]
    if not result.accepted:
        raise CommandRefusedError(f"{command_type} was refused: {result.message}",
                                  code=result.code or "refused")
    return result.data or {}


def render_licence(services: Services, fs: FileSettings, identifier: str, fmt: str,
                   now: datetime) -> tuple[bytes, dict[str, Any]]:
    """Render, sign and record the original of the current version; returns its bytes."""
    licence = current_licence(services, identifier)
    if licence.status != VALID:
        raise IllegalTransitionError(f"licence {identifier} is {STATUS_NAMES[licence.status]};"
                                     " files are made of valid licences only")
    definition = definition_at(services, licence.type_code, licence.catalogue_version)
    issuer = department_name(services, licence.issuer_code)
    face = build_face(licence, labelled(definition), issuer, secrets.token_hex(16))
    signer = load_signer(fs, licence.issuer_code)
    data = make_original(face, load_font(fs.font_file), signer, fmt, issuer, now,
                         fs.public_url)
    summary = {"identifier": identifier, "format": fmt, "file_hash": sha256_hex(data),
               "reference": face.reference, "template_id": face.template_id,
               "template_version": face.template_version, "certificate": signer.fingerprint}
    _send(services, fs, licence.issuer_code, "RecordLicenceFile", summary, now)
    FileStore(fs.files_dir).put(data, fmt)
    return data, summary


def latest_original(services: Services, licence: Licence) -> str:
    """The hash of the newest PDF original recorded for the licence's current version."""
    stream = streams.licence_stream(licence.type_code, licence.issuer_code, licence.serial)
    hashes = [r.data["file_hash"] for r in services.store.read_stream(stream)
              if r.type == "LicenceFileRecorded" and r.data["format"] == "pdf"
              and r.data["identifier"] == licence.identifier]
    if not hashes:
        raise NotFoundError(f"no PDF original of {licence.identifier} is recorded: its issuer"
                            f" first runs `ledger render {licence.identifier} --format pdf`")
    return str(hashes[-1])


def annotate_licence(services: Services, fs: FileSettings, identifier: str, reading: Reading,
                     recipient: str, until: str, now: datetime) -> tuple[bytes, dict[str, Any]]:
    """Make the annotated copy of the current original, signed by the reading department."""
    licence = current_licence(services, identifier)
    original_hash = latest_original(services, licence)
    original = FileStore(fs.files_dir).get(original_hash, "pdf")
    maker = department_name(services, reading.actor)
    signer = load_signer(fs, reading.actor)
    if services.ledger.get(file_certificate_stream(signer.fingerprint),
                           apply_file_certificate) is None:
        raise NotFoundError(f"the file-signing certificate of {reading.actor} is not"
                            " registered in the ledger (RegisterFileCertificate)")
    reference = secrets.token_hex(16)
    stamp = render_stamp_pdf(ANNOTATION_BOX, load_font(fs.font_file), reading.purpose, maker,
                             recipient, until, beijing_date(now).isoformat(), reference,
                             fs.public_url)
    data = sign_copy(original, signer, stamp, reading.purpose)
    payload = {"identifier": identifier, "mode": reading.mode, "grant_id": reading.grant_id,
               "matter_code": reading.matter_code, "case_number": reading.case_number,
               "operator": reading.operator, "purpose": reading.purpose,
               "agent_code": reading.agent_code,
               "agent_auth": reading.agent_auth, "copy_id": str(uuid.uuid4()),
               "recipient": recipient, "valid_until": until, "file_hash": sha256_hex(data),
               "original_hash": original_hash, "reference": reference,
               "certificate": signer.fingerprint}
    _send(services, fs, reading.actor, "MakeAnnotatedCopy", payload, now)
    FileStore(fs.files_dir).put(data, "pdf")
    return data, payload


def verify_file(services: Services, fs: FileSettings, data: bytes, reading: Reading,
                now: datetime) -> dict[str, Any]:
    """Check the bytes, then ask the ledger (a recorded access) for the verdict."""
    found = inspect_file(data)
    payload = {"file_hash": found.file_hash, "format": found.format,
               "signers": list(found.signers), "revision_hashes": list(found.revision_hashes),
               "problems": [p[:1000] for p in found.problems[:20]],
               "claimed_reference": found.claimed_reference, "operator": reading.operator,
               "purpose": reading.purpose, "matter_code": reading.matter_code,
               "case_number": reading.case_number}
    return _send(services, fs, reading.actor, "VerifyLicenceFile", payload, now)
