"""Archive packages (BagIt, RFC 8493) of one issuing department's month, verified offline.

Layout (docs/archive.md explains each file to the archivist)::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    ledger-seal.json       ledger signature over bagit.txt, bag-info.txt and the manifest
    data/README.md         for the archivist
    data/bag.json          department, period, checkpoint, what each role means
    data/events.jsonl      stored events, exactly their canonical bytes, one per line
    data/proofs.jsonl      per event: sha256, role, leaf index, inclusion proof
    data/checkpoint.txt    the signed checkpoint (C2SP note); checkpoint.json the same
    data/ledger-keys.json  data/department-keys.json   key histories
    data/licences.json     licence states at the end of the period
    data/reconciliation.json   the ledger-signed reconciliation report

``verify_bag`` needs nothing but the directory: the bag's checksums; the ledger seal
over the manifests (so even re-computed checksums cannot hide an edit); every event's
canonical form, hash chain, ledger seal and department signature under the key history
in the package; every inclusion proof against the checkpoint, whose signature is checked
with the ledger key in the package; and the derived files recomputed from the events.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import bagit
import orjson

from ledger.archive.checks import FORMAT, PAYLOAD, check_payload
from ledger.errors import InvalidSignatureError, LedgerError
from ledger.integrity.canonical import canonical_bytes
from ledger.integrity.signing import b64decode, b64encode, verify

SEAL_FILE: Final = "ledger-seal.json"
SEALED_TAG_FILES: Final = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")
TAG_FILES: Final = frozenset({*SEALED_TAG_FILES, "tagmanifest-sha256.txt", SEAL_FILE})
_TAG_LINE: Final = re.compile(rb"[0-9a-f]{64} ([a-z0-9.-]+)")


class ArchiveError(LedgerError):
    """An archive package cannot be written where asked."""

    code = "archive"


@dataclass
class BagReport:
    """What ``verify_bag`` found: ``ok`` only when there is no problem at all."""

    path: str
    problems: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when everything verified."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """``ok``, ``problems`` and what the package holds."""
        return {"ok": self.ok, "path": self.path, **self.facts, "problems": self.problems}


def seal_message(bag_dir: Path) -> bytes:
    """The bytes the ledger signs: the SHA-256 of each sealed tag file."""
    files = {name: hashlib.sha256((bag_dir / name).read_bytes()).hexdigest()
             for name in SEALED_TAG_FILES}
    return canonical_bytes({"format": FORMAT, "files": files})


def verify_bag(path: Path, trusted_key: str | None = None) -> BagReport:
    """Check the package at ``path`` fully offline; ``trusted_key`` pins the ledger key
    (the checkpoint's key must be it or endorsed, in the package, by it)."""
    report = BagReport(str(path))
    problems = report.problems
    if not path.is_dir():
        problems.append(f"{path} is not a directory")
        return report
    _check_bagit(path, problems)
    names = {p.name for p in path.iterdir()}
    for name in sorted(names - TAG_FILES - {"data"}):
        problems.append(f"{name}: not part of a ledger archive package")
    data = path / "data"
    found = {str(p.relative_to(data)) for p in data.rglob("*")} if data.is_dir() else set()
    for name in sorted(found - set(PAYLOAD)):
        problems.append(f"data/{name}: not part of a ledger archive package")
    missing = [n for n in sorted(TAG_FILES) if n not in names]
    missing += [f"data/{n}" for n in PAYLOAD if not (path / "data" / n).is_file()]
    if missing:
        problems.append(f"missing file(s): {', '.join(missing)}")
        return report
    _check_tag_manifest(path, problems)
    payload = {n: (path / "data" / n).read_bytes() for n in PAYLOAD}
    keys = check_payload(payload, problems, report.facts, trusted_key)
    _check_seal(path, keys, problems)
    return report


def _check_bagit(path: Path, problems: list[str]) -> None:
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1, fast=False)
    except bagit.BagValidationError as exc:
        details = exc.details or [exc.message]
        problems.extend(f"bag checksums: {d}" for d in details)
    except Exception as exc:  # bagit raises many types on a damaged bag; each means "invalid"
        problems.append(f"bag structure: {exc}")


def _check_tag_manifest(path: Path, problems: list[str]) -> None:
    """bagit reads manifests leniently (white space, order); this one nothing else covers,
    so its bytes must be exactly one ``SHA256 NAME`` line per other tag file."""
    text = (path / "tagmanifest-sha256.txt").read_bytes()
    lines = text.split(b"\n")
    entries = [_TAG_LINE.fullmatch(line) for line in lines[:-1]]
    names = {m[1].decode() for m in entries if m is not None}
    if lines[-1] or None in entries or names != TAG_FILES - {"tagmanifest-sha256.txt"}:
        problems.append("tagmanifest-sha256.txt: not exactly one 'SHA256 NAME' line for each"
                        f" of {', '.join(sorted(TAG_FILES - {'tagmanifest-sha256.txt'}))}")


def _check_seal(path: Path, keys: dict[str, tuple[str, bytes]], problems: list[str]) -> None:
    try:
        seal = orjson.loads((path / SEAL_FILE).read_bytes())
        key = keys[seal["key_id"]]
        verify(key[0], key[1], seal_message(path),
               b64decode(seal["signature"], what="ledger seal"))
        if seal != {"format": FORMAT, "key_id": seal["key_id"], "signature": seal["signature"]}:
            raise ValueError
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, InvalidSignatureError,
            OSError):
        problems.append(f"{SEAL_FILE}: the ledger's signature over bagit.txt, bag-info.txt and"
                        " manifest-sha256.txt does not verify with a ledger key in the package")


def write_seal(bag_dir: Path, key_id: str, signature: bytes) -> None:
    """Write the ledger seal tag file (the caller signs :func:`seal_message`)."""
    (bag_dir / SEAL_FILE).write_bytes(canonical_bytes(
        {"format": FORMAT, "key_id": key_id, "signature": b64encode(signature)}) + b"\n")

