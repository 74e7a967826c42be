"""Signed PDF originals and annotated copies, end to end through the bus, on SQLite and
PostgreSQL: a genuine file verifies; every forgery the issue names gets its reason; poppler's
``pdfsig`` (an independent verifier) accepts our signatures."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from commands.bootstrap import Services
from commands.demo.scenario import Dept, Scenario
from commands.setting_sections import FileSettings
from commands.settings import load_settings
from ledger.domain.identifiers import parse_licence_identifier
from ledger.errors import IllegalTransitionError, NotFoundError
from ledger.integrity.signing import save_signing_key
from licence_files.certificates import load_signer
from licence_files.dev_ca import DevCA
from licence_files.face import UnrenderableTextError, build_face
from licence_files.fonts import load_font
from licence_files.layout import ANNOTATION_BOX
from licence_files.render_pdf import render_face_pdf
from licence_files.service import (
    CommandRefusedError,
    Reading,
    annotate_licence,
    current_licence,
    definition_at,
    render_licence,
    verify_file,
)
from licence_files.sign_pdf import sign_original
from tests.builders import apply_all, build_city
from tests.conftest import FakeClock


@dataclass
class FileCity:
    services: Services
    clock: FakeClock
    scenario: Scenario
    fs: FileSettings
    ca: DevCA
    grant_id: str

    @property
    def user(self) -> Dept:
        return self.scenario.using_departments[0]

    @property
    def now(self) -> datetime:
        return self.clock.now - timedelta(seconds=1)

    def identifier(self, i: int = 0) -> str:
        return str(self.scenario.issued[i]["identifier"])

    def render(self, identifier: str, fmt: str = "pdf") -> bytes:
        data, _ = render_licence(self.services, self.fs, identifier, fmt, self.now)
        return data

    def annotate(self, identifier: str, days: int = 10, grant: str | None = None) -> bytes:
        until = (self.clock.now.date() + timedelta(days=days)).isoformat()
        reading = Reading(self.user.code, "officer-1", "办理税务登记", "MATTER-001",
                          "CASE-9", "function", grant or self.grant_id)
        data, _ = annotate_licence(self.services, self.fs, identifier, reading,
                                   "91320581MA1W0000X1", until, self.now)
        return data

    def verify(self, data: bytes) -> dict[str, Any]:
        reading = Reading(self.user.code, "officer-2", "checking a presented file",
                          "MATTER-001", "CASE-10")
        return verify_file(self.services, self.fs, data, reading, self.now)

    def sign(self, dept: Dept, command_type: str, payload: dict[str, Any]) -> None:
        apply_all(self.services, self.clock, [self.scenario.sign(dept, command_type, payload)])


def build_file_city(services: Services, clock: FakeClock, tmp: Path) -> FileCity:
    """A small city whose departments all hold registered file-signing certificates."""
    scenario = build_city(services, clock, licences=8, lifecycle=False)
    fs = load_settings({"LEDGER_KEYS_DIR": str(tmp / "keys"),
                        "LEDGER_FILES_DIR": str(tmp / "files")}).files
    ca = DevCA.create()
    commands = []
    for dept in scenario.city.departments:
        save_signing_key(dept.key, fs.command_key(dept.code))
        key, cert = ca.issue(f"{dept.name} 文件签名", dept.name)
        ca.write_signer(fs.keys_dir, dept.code, key, cert)
        commands.append(scenario.sign(dept, "RegisterFileCertificate",
                                      {"code": dept.code, "certificate": ca.chain_pem(cert)}))
    apply_all(services, clock, commands)
    grant_id = scenario.ids()
    today = clock.now.date()
    user = scenario.using_departments[0]
    apply_all(services, clock, [scenario.sign(scenario.city.management, "GrantFunctionalUse", {
        "grant_id": grant_id, "department": user.code, "type_codes": list(scenario.city.types),
        "fields": [], "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=200)).isoformat(), "daily_cap": None,
        "scenarios": ["MATTER-001"]})])
    return FileCity(services, clock, scenario, fs, ca, grant_id)


@pytest.fixture
def city(services: Services, clock: FakeClock, tmp_path: Path) -> FileCity:
    return build_file_city(services, clock, tmp_path)


def codes(answer: dict[str, Any]) -> list[str]:
    return [r["code"] for r in answer["reasons"]]


def pdfsig(path: Path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                          timeout=60).stdout


def test_original_and_copy_verify_and_pdfsig_agrees(city: FileCity, tmp_path: Path) -> None:
    ident = city.identifier()
    original = city.render(ident)
    answer = city.verify(original)
    assert answer["verdict"] == "valid", answer["reasons"]
    assert answer["file"]["kind"] == "original" and answer["licence"]["is_current_version"]
    assert answer["signers"][0]["department"] == city.scenario.issued[0]["issuer"].code
    copy = city.annotate(ident)
    answer = city.verify(copy)
    assert answer["verdict"] == "valid", answer["reasons"]
    assert answer["copy"]["purpose"] == "办理税务登记" and not answer["copy"]["expired"]
    assert copy.startswith(original)  # the copy is an incremental update of the original
    assert shutil.which("pdfsig"), "pdfsig missing: the set-up installs Debian's poppler-utils"
    (tmp_path / "o.pdf").write_bytes(original)
    (tmp_path / "c.pdf").write_bytes(copy)
    out = pdfsig(tmp_path / "o.pdf")
    assert out.count("Signature is Valid.") == 1 and "Total document signed" in out
    out = pdfsig(tmp_path / "c.pdf")
    assert out.count("Signature is Valid.") == 2 and out.rstrip().endswith(
        "Certificate issuer isn't Trusted.")  # pdfsig does not know our test CA


def test_each_verification_is_an_access_event(city: FileCity) -> None:
    original = city.render(city.identifier())
    city.verify(original)
    city.verify(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    city.services.projections.catch_up()  # PostgreSQL projects out of process
    rows = city.services.read_db.query(
        "SELECT action, mode, outcome, organisation, identifier, code FROM access_log"
        " WHERE mode = 'file' ORDER BY recorded_at")
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("verify", "file", "allowed", city.user.code), ("verify", "file", "refused",
                                                        city.user.code)]
    assert rows[0][4] == city.identifier() and rows[1][5] == "not_a_licence_file"


def test_screenshot_and_unsigned_rerender_have_no_effect(city: FileCity, tmp_path: Path) -> None:
    original = city.render(city.identifier())
    (tmp_path / "o.pdf").write_bytes(original)
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-singlefile", str(tmp_path / "o.pdf"),
                    str(tmp_path / "shot")], check=True, timeout=60)
    shot = city.verify((tmp_path / "shot.png").read_bytes())
    assert shot["verdict"] == "not_genuine" and codes(shot) == ["not_a_licence_file"]
    licence = current_licence(city.services, city.identifier())
    face = build_face(licence, definition_at(city.services, licence.type_code, 1), "x",
                      "0" * 32)
    rerendered = city.verify(render_face_pdf(face, load_font(city.fs.font_file), "x"))
    assert rerendered["verdict"] == "not_genuine" and codes(rerendered)[0] == "unsigned"


def test_edited_resaved_and_appended_files_are_not_genuine(city: FileCity) -> None:
    original = city.render(city.identifier())
    at = original.index(b"/Keywords")  # inside the signed revision
    edited = original[:at] + b"/Keywordz" + original[at + 9:]
    assert "signature_broken" in codes(city.verify(edited))
    appended = city.verify(original + b"\n% an appended comment\n")
    assert appended["verdict"] == "not_genuine"
    assert {"not_whole_file", "changed_after_signing"} <= set(codes(appended))
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    writer.root["/PageMode"] = writer.root.get("/PageMode", "/UseNone")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    resaved = city.verify(out.getvalue())
    assert resaved["verdict"] == "not_genuine" and "changed_after_signing" in codes(resaved)


def test_lookalike_certificate_is_refused(city: FileCity) -> None:
    issuer = city.scenario.issued[0]["issuer"]
    _, genuine = city.ca.issue(f"{issuer.name} 文件签名", issuer.name)
    key, lookalike = city.ca.issue(f"{issuer.name} 文件签名", issuer.name)  # same subject
    assert lookalike.subject == genuine.subject
    forger = FileSettings(city.fs.keys_dir.parent / "forger", city.fs.files_dir,
                          city.fs.font_file, None)
    city.ca.write_signer(forger.keys_dir, issuer.code, key, lookalike)
    licence = current_licence(city.services, city.identifier())
    face = build_face(licence, definition_at(city.services, licence.type_code, 1),
                      issuer.name, "1" * 32)
    forged = sign_original(render_face_pdf(face, load_font(city.fs.font_file), issuer.name),
                           load_signer(forger, issuer.code), ANNOTATION_BOX)
    answer = city.verify(forged)
    assert answer["verdict"] == "not_genuine"
    assert {"certificate_not_registered", "not_recorded"} <= set(codes(answer))


def test_withdrawn_superseded_and_expired(city: FileCity) -> None:
    first, second = city.identifier(0), city.identifier(4)
    original = city.render(first)
    copy = city.annotate(first, days=5)
    city.sign(city.scenario.issued[0]["issuer"], "RevokeLicence",
              {"identifier": first, "reason": "obtained by deception"})
    revoked = city.verify(original)
    assert revoked["verdict"] == "not_valid" and codes(revoked) == ["licence_revoked"]
    city.clock.advance(days=6)
    expired = city.verify(copy)
    assert {"copy_expired", "licence_revoked"} <= set(codes(expired))
    old = city.render(second)
    city.sign(city.scenario.issued[4]["issuer"], "ChangeLicence", {
        "identifier": second, "kind": "change", "reason": "moved",
        "changes": {"case_number": "CHG-1"}})
    superseded = city.verify(old)
    assert superseded["verdict"] == "not_valid" and codes(superseded) == ["superseded"]
    assert superseded["licence"]["is_current_version"] is False


def test_refusals_write_no_file(city: FileCity, tmp_path: Path) -> None:
    ident = city.identifier()
    with pytest.raises(NotFoundError, match="no PDF original"):
        city.annotate(ident)  # nothing rendered yet
    city.render(ident)
    with pytest.raises(CommandRefusedError) as refused:
        city.annotate(ident, grant="no-such-grant")
    assert refused.value.code == "no_grant"
    with pytest.raises(CommandRefusedError) as too_long:
        city.annotate(ident, days=400)
    assert too_long.value.code == "copy_too_long"
    stored = sorted(p.name for p in city.fs.files_dir.iterdir())
    assert len(stored) == 1  # only the original
    city.sign(city.scenario.issued[0]["issuer"], "SuspendLicence",
              {"identifier": ident, "reason": "inspection"})
    with pytest.raises(IllegalTransitionError, match="suspended"):
        city.render(ident)


def test_text_the_font_cannot_show_is_refused_before_signing(city: FileCity) -> None:
    issuer = city.scenario.issued[0]["issuer"]
    city.sign(issuer, "ChangeLicence", {
        "identifier": city.identifier(), "kind": "correction", "reason": "rare character",
        "changes": {"holders": [{"name": "㐀记有限公司", "code_type": "001",
                                 "code": city.scenario.issued[0]["holder"]}]}})
    current = str(parse_licence_identifier(city.identifier()).next_version())
    with pytest.raises(UnrenderableTextError, match="U\\+3400"):
        city.render(current)
    assert not city.fs.files_dir.exists() or not any(city.fs.files_dir.iterdir())

