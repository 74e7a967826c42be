"""Decoding and verifying in worker processes builds the very ledger the writer builds alone.

One stream (set-up, licences, reads, forged signatures, a key no department registered, a
key used after its revocation, undecodable bytes, and a record that kills the worker
process that decodes it) goes through the bus twice on fresh stores with the same clock
and ledger key: once decoded in-process (``LEDGER_VERIFY_WORKERS=0``), once through a
:class:`VerifyPool` with a real worker process. Answers and stored rows must be equal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from commands.bootstrap import bootstrap
from commands.bus.pipeline import Result
from commands.settings import load_settings
from commands.signed.authenticate import PreVerified
from commands.signed.envelope import sign_envelope
from consumers.loadgen import LoadGenerator
from consumers.verify_pool import Decoded, Keys, VerifyPool, decode_chunk
from ledger.domain.departments import apply_department
from ledger.domain.streams import department_stream
from ledger.integrity.canonical import format_instant
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import SigningKey, b64encode
from tests.conftest import FakeClock

CRASH = "CRASH-THE-WORKER"
BATCH = 40


def crashing_decode(values: Sequence[bytes | None], max_bytes: int, keys: Keys
                    ) -> list[Decoded]:
    """A worker that dies, as a segfault would, on the record carrying the marker."""
    if any(v is not None and CRASH.encode() in v for v in values):
        os._exit(7)
    return decode_chunk(values, max_bytes, keys)


def stream(clock: FakeClock) -> list[bytes]:
    gen = LoadGenerator(5, clock.now - timedelta(hours=1))
    lines = list(gen.stream(30, bad_ratio=0.15))
    sc = gen.scenario
    issuer = sc.city.issuers["market"]
    licence = next(lic for lic in sc.issued if lic["issuer"].code == issuer.code)
    at = format_instant(clock.now - timedelta(seconds=30))
    stranger = SigningKey.generate()
    extra = [
        # a key no department registered, under a real department's name: unknown_key
        sign_envelope(stranger, command_type="SuspendLicence", actor=issuer.code,
                      payload={"identifier": licence["identifier"], "reason": "stranger"},
                      issued_at=at),
        # a real command that kills the worker decoding it: it must still be applied
        sign_envelope(issuer.key, command_type="SuspendLicence", actor=issuer.code,
                      payload={"identifier": licence["identifier"], "reason": CRASH},
                      issued_at=at),
        sign_envelope(issuer.key, command_type="RevokeDepartmentKey", actor=issuer.code,
                      payload={"code": issuer.code, "key_id": issuer.key.key_id,
                               "reason": "laptop stolen"}, issued_at=at),
    ]
    after = format_instant(clock.now - timedelta(seconds=10))
    revoked = [  # the key verifies, but the ledger revoked it: key_not_valid
        sign_envelope(issuer.key, command_type="EndSuspension", actor=issuer.code,
                      payload={"identifier": licence["identifier"], "reason": "revoked"},
                      issued_at=after),
    ]
    raw = [orjson.dumps(e) for e in lines + extra] + [b"{not json", b"[]"]
    return raw + [orjson.dumps(e) for e in revoked]


def run(url: str, key: Path, clock: FakeClock, lines: list[bytes], pool: VerifyPool | None
        ) -> tuple[list[Result], list[tuple[Any, ...]], int]:
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": url,
                                        "LEDGER_KEY_FILE": str(key)}), clock=clock)
    results: list[Result] = []
    pre_verified = 0
    batches = [lines[i:i + BATCH] for i in range(0, len(lines), BATCH)]
    try:
        if pool is None:
            for batch in batches:
                results += services.bus.execute(batch)
        else:  # as the consumer does: the next batch is decoded while this one is applied
            pool.warm(wait=True)
            pending = pool.submit(batches[0])
            for batch in [*batches[1:], []]:
                decoded = pending.result()
                pending = pool.submit(batch)
                pre_verified += sum(isinstance(d, PreVerified) for d in decoded)
                results += services.bus.execute(decoded)
                pool.learn(decoded, services.ledger)
        rows = [(r.originator_id, r.originator_version, r.topic, bytes(r.state))
                for _, r in services.store.iter_rows()]
    finally:
        services.close()
    return results, rows, pre_verified


@pytest.mark.slow
@pytest.mark.parametrize("decode", [decode_chunk, crashing_decode],
                         ids=["worker", "crashing-worker"])
def test_workers_build_the_ledger_the_writer_builds_alone(
        tmp_path: Path, decode: Any) -> None:
    clock = FakeClock()
    key = tmp_path / "ledger-key.pem"
    lines = stream(clock)
    alone = run(f"sqlite:///{tmp_path / 'alone.db'}", key, clock, lines, None)
    pool = VerifyPool(1, 1024 * 1024, decode=decode, chunk=7)
    try:
        pooled = run(f"sqlite:///{tmp_path / 'pooled.db'}", key, clock, lines, pool)
    finally:
        pool.close()
    assert pooled[0] == alone[0]
    assert [r.line() for r in pooled[0]] == [r.line() for r in alone[0]]
    assert pooled[1] == alone[1]
    codes = {r.code for r in alone[0]}
    assert {"bad_signature", "unknown_key", "key_not_valid", "malformed_json",
            "invalid_command", None} <= codes, codes
    assert pooled[2] > 0, "the worker verified signatures"  # how many depends on timing
    crashed = next(r for r, line in zip(pooled[0], lines, strict=True)
                   if CRASH.encode() in line)
    assert crashed.accepted


def test_a_stale_key_book_is_verified_again_by_the_writer(tmp_path: Path) -> None:
    """A worker's verdict counts only for the exact key the ledger holds: a book naming
    another key under the same key id must not let a forgery through."""
    clock = FakeClock()
    gen = LoadGenerator(3, clock.now - timedelta(hours=1))
    setup = [orjson.dumps(e) for e in gen.scenario.setup()]
    issuer = gen.scenario.city.issuers["market"]
    forger = SigningKey.generate()
    forged: dict[str, Any] = {  # claims the real key id, signed with the forger's key
        "command_id": "0b6f3c8e-2d1a-4c5e-9f7a-1b2c3d4e5f60", "type": "RevokeDepartmentKey",
        "actor": issuer.code, "key_id": issuer.key.key_id,
        "issued_at": format_instant(clock.now - timedelta(seconds=5)),
        "payload": {"code": issuer.code, "key_id": issuer.key.key_id, "reason": "forged"}}
    forged["signature"] = b64encode(forger.sign(signing_bytes(forged)))
    settings = load_settings({"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
                              "LEDGER_KEY_FILE": str(tmp_path / "k.pem")})
    services = bootstrap(settings, clock=clock)
    try:
        assert all(r.accepted for r in services.bus.execute(setup))
        book = {issuer.key.key_id: ("ed25519", b64encode(forger.public_key))}  # poisoned
        decoded = decode_chunk([orjson.dumps(forged)], 1024 * 1024, book)  # a worker's work
        assert isinstance(decoded[0], PreVerified)  # the worker believed the book ...
        result = services.bus.execute(decoded)[0]
        assert (result.accepted, result.code) == (False, "bad_signature")  # ... the ledger not
        department = services.ledger.get(department_stream(issuer.code), apply_department)
        assert department is not None
        assert department.key(issuer.key.key_id).revoked_at is None
    finally:
        services.close()
