"""Key rotation and revocation through the bus, and the audit afterwards (both stores)."""

from __future__ import annotations

from datetime import timedelta

from commands.bootstrap import Services
from commands.demo.scenario import Scenario
from commands.signed.envelope import sign_envelope
from ledger.integrity.audit import audit_rows
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, b64encode
from tests.conftest import FakeClock


def _scenario(clock: FakeClock) -> Scenario:
    return Scenario(21, lambda: format_instant(clock.now - timedelta(seconds=1)))


def test_rotation_then_revocation_keeps_the_audit_green(services: Services,
                                                        clock: FakeClock) -> None:
    s = _scenario(clock)
    assert all(r.accepted for r in services.bus.execute(list(s.setup())))
    market = s.city.issuers["market"]
    new_key = SigningKey.generate()
    rotate = sign_envelope(market.key, command_type="RotateDepartmentKey", actor=market.code,
                           payload={"code": market.code, "old_key_id": market.key.key_id,
                                    "public_key": b64encode(new_key.public_key)},
                           issued_at=format_instant(clock.now - timedelta(seconds=1)))
    assert services.bus.execute([rotate])[0].accepted
    clock.advance(seconds=10)
    issue_old = next(iter(s.issue(1)))  # still signed with the retired key
    result = services.bus.execute([issue_old])[0]
    assert (result.accepted, result.code) == (False, "key_not_valid")
    market.key = new_key
    issue_new = sign_envelope(new_key, command_type="IssueLicence", actor=market.code,
                              payload=issue_old["payload"],
                              issued_at=format_instant(clock.now - timedelta(seconds=1)))
    assert services.bus.execute([issue_new])[0].accepted
    revoke = sign_envelope(new_key, command_type="RevokeDepartmentKey", actor=market.code,
                           payload={"code": market.code, "key_id": new_key.key_id,
                                    "reason": "laptop stolen"},
                           issued_at=format_instant(clock.now - timedelta(seconds=1)))
    assert services.bus.execute([revoke])[0].accepted
    clock.advance(seconds=10)
    backdated = sign_envelope(new_key, command_type="SuspendLicence", actor=market.code,
                              payload={"identifier": s.issued[-1]["identifier"],
                                       "reason": "x"},
                              issued_at=format_instant(clock.now - timedelta(hours=1)))
    refused = services.bus.execute([backdated])[0]
    assert (refused.accepted, refused.code) == (False, "key_not_valid")
    report = audit_rows(services.store.iter_rows())
    assert report.ok, report.to_json()
    assert report.commands == len(list(s.setup())) + 3
