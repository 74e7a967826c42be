"""Helpers of the "Who must sign" tests (docs/commands.md, policy.WHO_MUST_SIGN).

Each test has a department that must be refused sign a command; a refused read leaves
exactly its own record (the refused ``AccessRecorded``, the receipt and the batch seal),
any other refused command leaves nothing at all.
"""

from __future__ import annotations

import random
from typing import Any

from commands.bus.pipeline import Result
from commands.demo.scenario import AREA, Dept, org_code
from ledger.domain.identifiers import make_citizen_id, make_uscc
from ledger.integrity.signing import SigningKey, b64encode
from tests.integration.use_town import (
    OTHER_MATTER,
    Town,
    refused_and_recorded,
    refused_writes_nothing,
)

AGENT = make_citizen_id("320581", "19900101", "123")
OTHER_AGENT = make_citizen_id("320581", "19900101", "456")
READ_RECORD = ["AccessRecorded", "CommandRecorded", "BatchSealed"]


def written_since(town: Town, head: int) -> list[str]:
    return [str(row.topic).rsplit(":", 1)[-1].rsplit(".", 1)[-1]
            for _, row in town.services.store.iter_rows(head + 1)]


def refused_read(town: Town, envelope: dict[str, Any], code: str,
                 licence: str | None = None) -> Result:
    """Refused with ``code``, recorded once, and nothing else written."""
    head = town.head()
    result = refused_and_recorded(town, envelope, code, licence)
    assert written_since(town, head) == READ_RECORD
    return result


def refused_write(town: Town, envelope: dict[str, Any], code: str) -> Result:
    return refused_writes_nothing(town, envelope, code)


def department(town: Town, name: str, roles: tuple[str, ...], seed: int) -> Dept:
    """Register one more department (a second platform, a delegate that is a department)."""
    dept = Dept(name, make_uscc("12320581", org_code(random.Random(seed))), roles,
                SigningKey.generate())
    town.ok(town.mgmt, "RegisterDepartment", {
        "code": dept.code, "name": name, "roles": list(roles), "area_code": AREA,
        "public_key": b64encode(dept.key.public_key)})
    return dept


def delegation(town: Town, grant_id: str, identifier: str, agent: str = AGENT,
               **overrides: Any) -> dict[str, Any]:
    payload = {"grant_id": grant_id, "identifier": identifier,
               "holder_code": town.s.holder_of(identifier), "agent_name": "代理人",
               "agent_code": agent, "matter_code": OTHER_MATTER, "valid_from": town.day(0),
               "valid_until": town.day(7)}
    payload.update(overrides)
    return town.envelope(town.platform, "DelegateUse", payload)


def delegated_read(town: Town, actor: Dept, identifier: str, grant_id: str, *, case: str,
                   command_type: str = "DownloadLicence", matter: str = OTHER_MATTER,
                   **extra: Any) -> dict[str, Any]:
    """A read under a delegation; by default the platform attesting AGENT by biometrics."""
    fields: dict[str, Any] = {"agent_code": AGENT, "agent_auth": "biometric", **extra}
    if command_type == "AnnotateLicence":
        fields = {"copy_id": f"copy-{case}", "recipient": "某银行",
                  "valid_until": town.day(5), **fields}
    return town.read(actor, identifier, grant_id, command_type=command_type,
                     mode="delegation", matter=matter, case=case,
                     **{k: v for k, v in fields.items() if v is not None})
