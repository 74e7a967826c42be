"""``ledger loadgen``: a realistic stream of signed commands, with deliberate mistakes.

The stream sets up departments, keys and the catalogue from scratch, issues N
licences and runs their lifecycle (changes, suspensions, cancellations, revocations,
expiries, transfers). Grants and reads are not in the ledger yet, so not in the stream.

With ``bad_ratio`` that fraction of the lines are commands the ledger must refuse, the
same way whatever order or partitioning they travel in:

- ``bad_signature``: signed by a forger's key under a real department's key id;
- ``unauthorised``: a real department suspending another department's licence;
- ``not_found``: suspending a licence that was never issued;
- ``invalid_command``: a field of the wrong type (it cannot be decoded: a dead letter).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

from commands.envelope import sign_envelope, signing_bytes
from commands.scenario import Dept, Scenario, derived_key
from ledger.canonical import format_instant
from ledger.errors import ConfigurationError
from ledger.identifiers import make_licence_identifier
from ledger.signing import b64encode, load_signing_key, save_signing_key

BAD_KINDS = ("forged_signature", "wrong_department", "unknown_licence", "malformed_fields")


def instant_clock(start: datetime) -> Callable[[], str]:
    """Strictly increasing ``issued_at`` values, a microsecond apart, from ``start``."""
    ticks = iter(range(1 << 62))
    return lambda: format_instant(start + timedelta(microseconds=next(ticks)))


class LoadGenerator:
    """Deterministic for a seed, apart from ``issued_at`` (from ``start``)."""

    def __init__(self, seed: int, start: datetime | None = None) -> None:
        self.clock = instant_clock(start or datetime.now(UTC))
        self.scenario = Scenario(seed, self.clock)
        self.rng = random.Random(seed * 7907 + 3)  # apart from the scenario's own choices
        self.forger = derived_key(seed, "forger")

    def stream(self, licences: int, bad_ratio: float = 0.0,
               today: date | None = None) -> Iterator[dict[str, Any]]:
        if not 0.0 <= bad_ratio < 1.0:
            raise ConfigurationError(f"--bad-ratio {bad_ratio}: expected 0 <= R < 1")
        sc = self.scenario
        yield from sc.setup()
        odds = bad_ratio / (1.0 - bad_ratio)  # bad lines per good line, so bad/all = R
        for good in chain(sc.issue(licences), sc.lifecycle(today or datetime.now(UTC).date())):
            yield good
            while odds and self.rng.random() < odds:
                yield self.bad()

    def bad(self, kind: str | None = None) -> dict[str, Any]:
        kind = kind or self.rng.choice(BAD_KINDS)
        sc, city = self.scenario, self.scenario.city
        if not sc.issued:
            kind = "unknown_licence"  # the others need a licence to act on
        target = self.rng.choice(sc.issued) if sc.issued else None
        command_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if kind == "unknown_licence":
            issuer = self.rng.choice(list(city.issuers.values()))
            type_code = self.rng.choice(list(city.types))
            ident = make_licence_identifier(type_code, issuer.code,
                                            f"9{self.rng.randrange(10**10):010d}", 1)
            return self._sign(issuer, "SuspendLicence",
                              {"identifier": str(ident), "reason": "no such licence"}, command_id)
        assert target is not None
        if kind == "wrong_department":
            others = [d for d in city.departments if d.code != target["issuer"].code]
            return self._sign(self.rng.choice(others), "SuspendLicence",
                              {"identifier": target["identifier"], "reason": "not ours"},
                              command_id)
        if kind == "malformed_fields":
            return self._sign(target["issuer"], "SuspendLicence",
                              {"identifier": target["identifier"], "reason": 42}, command_id)
        return self._forged(target["issuer"], {"identifier": target["identifier"],
                                               "reason": "forged"}, command_id)

    def _sign(self, actor: Dept, kind: str, payload: dict[str, Any],
              command_id: str) -> dict[str, Any]:
        return sign_envelope(actor.key, command_type=kind, actor=actor.code, payload=payload,
                             issued_at=self.clock(), command_id=command_id)

    def _forged(self, actor: Dept, payload: dict[str, Any], command_id: str) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "command_id": command_id, "type": "SuspendLicence", "actor": actor.code,
            "key_id": actor.key.key_id, "issued_at": self.clock(), "payload": payload,
        }
        envelope["signature"] = b64encode(self.forger.sign(signing_bytes(envelope)))
        return envelope

    def write_keys(self, directory: Path) -> list[Path]:
        """Every department's key as ``<USCC>.pem``; an existing identical file is kept."""
        written = []
        for dept in self.scenario.city.departments:
            path = directory / f"{dept.code}.pem"
            if path.exists():
                if load_signing_key(path).public_key != dept.key.public_key:
                    raise ConfigurationError(
                        f"{path} holds a different key; use an empty --keys directory"
                        " (keys are never overwritten)")
                continue
            save_signing_key(dept.key, path)
            written.append(path)
        return written
