"""``ledger loadgen``: a realistic stream of signed commands, with deliberate mistakes.

The stream, in posting order:

1. set-up: departments and their keys, the catalogue, usage lists; then one functional
   grant from management to each using department (all types, matter MATTER-001);
2. N licences issued; after each, with odds 3 in 4, a read (verify, view or download
   by function) of a licence issued so far, by a using department under its grant;
3. the lifecycle (changes, suspensions, cancellations, revocations, expiries,
   transfers), each change followed by a read of that licence;
4. a public query of one licence in 25 of the publicly disclosed types;
5. a holder's consent for one licence in 20 of those still valid, each followed by a
   download under it;
6. the revocation of one consent in 50 (at least one): the stream's last commands.

About 1.2 reads per licence (3 in 4 after issuing, one after each of the lifecycle's
changes, which touch about 1 licence in 3, one under each consent), all allowed. With
``bad_ratio`` that fraction of the lines after set-up are commands the ledger must
refuse, the same way whatever order or partitioning they travel in:

- ``bad_signature``: signed by a forger's key under a real department's key id;
- ``unauthorised``: a department suspending another department's licence, or reading
  by government function without the ``using`` role (the read is recorded, refused);
- ``not_found``: suspending, or reading, a licence that was never issued;
- ``invalid_command``: a field of the wrong type (it cannot be decoded: a dead letter).

The stream keeps to the posting rules under which Kafka builds the same ledger as
``ledger apply`` (docs/kafka.md, "Order across aggregates"), and avoids the races the
consumers cannot order: nothing names a department, catalogue entry, grant or licence
posted after it; usage lists are set once and nothing is revised; no grant has a daily
cap (which reads take the last places of a cap follows arrival, not posting, order);
nothing is read under a grant after its revocation, and revocations come last, since
each is a barrier that waits until every partition has passed it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

from commands.demo.scenario import Dept, Scenario, derived_key
from commands.demo.use import ACTIONS, Use
from commands.signed.envelope import sign_envelope
from ledger.domain.identifiers import make_licence_identifier
from ledger.errors import ConfigurationError
from ledger.integrity.canonical import format_instant
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import b64encode, load_signing_key, save_signing_key

BAD_KINDS = ("forged_signature", "wrong_department", "unknown_licence", "malformed_fields")
READ_ODDS = 0.75  # a read after an issue
PUBLIC_EVERY, CONSENT_EVERY, REVOKE_EVERY = 25, 20, 50


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
        self.use: Use | None = None
        self.reads = 0

    def stream(self, licences: int, bad_ratio: float = 0.0,
               today: date | None = None) -> Iterator[dict[str, Any]]:
        if not 0.0 <= bad_ratio < 1.0:
            raise ConfigurationError(f"--bad-ratio {bad_ratio}: expected 0 <= R < 1")
        sc, today = self.scenario, today or datetime.now(UTC).date()
        self.use = use = Use(sc, today)
        yield from sc.setup()
        yield from use.functional_grants()
        odds = bad_ratio / (1.0 - bad_ratio)  # bad lines per good line, so bad/all = R
        for good in chain(self._issue(licences), self._lifecycle(today), self._holders()):
            yield good
            while odds and self.rng.random() < odds:
                yield self.bad()

    def _issue(self, licences: int) -> Iterator[dict[str, Any]]:
        for issued in self.scenario.issue(licences):
            yield issued
            if self.rng.random() < READ_ODDS:
                yield self._read(self.rng.choice(self.scenario.issued)["identifier"])

    def _lifecycle(self, today: date) -> Iterator[dict[str, Any]]:
        for changed in self.scenario.lifecycle(today):
            yield changed
            yield self._read(changed["payload"]["identifier"])  # sees the new status

    def _holders(self) -> Iterator[dict[str, Any]]:
        sc, use = self.scenario, self.use
        assert use is not None
        if not sc.issued:
            return
        public = [lic for lic in sc.issued
                  if sc.city.types[lic["type_code"]]["disclosure"] == "public"]
        for lic in public[::PUBLIC_EVERY]:
            yield use.public_query(lic)
        live = [lic for lic in sc.issued if lic["status"] == "01"] or sc.issued
        consents = []
        for i, lic in enumerate(live[::CONSENT_EVERY]):
            grant_id, grant = use.consent(lic)
            consents.append(grant_id)
            yield grant
            yield use.consent_read(lic, grant_id, i)  # signed now: stamps stay in order
        for grant_id in consents[::-REVOKE_EVERY]:  # the last consent, and every 50th before
            yield use.revoke(grant_id)

    def _read(self, identifier: str) -> dict[str, Any]:
        assert self.use is not None
        self.reads += 1
        user = self.rng.choice(self.scenario.using_departments)
        return self.use.read(user, identifier, self.reads)

    def bad(self, kind: str | None = None) -> dict[str, Any]:
        kind = kind or self.rng.choice(BAD_KINDS)
        sc, city = self.scenario, self.scenario.city
        if not sc.issued:
            kind = "unknown_licence"  # the others need a licence to act on
        target = self.rng.choice(sc.issued) if sc.issued else None
        command_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        as_read = self.use is not None and bool(self.use.grant_of) and self.rng.random() < 0.5
        if kind == "unknown_licence":
            issuer = self.rng.choice(list(city.issuers.values()))
            type_code = self.rng.choice(list(city.types))
            ident = str(make_licence_identifier(type_code, issuer.code,
                                                f"9{self.rng.randrange(10**10):010d}", 1))
            if as_read:  # refused as not_found, and recorded
                user = self.rng.choice(sc.using_departments)
                return self._sign(user, "VerifyLicence", self._read_payload(user, ident),
                                  command_id)
            return self._sign(issuer, "SuspendLicence",
                              {"identifier": ident, "reason": "no such licence"}, command_id)
        assert target is not None
        if kind == "wrong_department":
            if as_read:  # by function without the using role: refused, recorded
                reader = self.rng.choice([d for d in city.departments if "using" not in d.roles])
                user = self.rng.choice(sc.using_departments)
                return self._sign(reader, self.rng.choice(ACTIONS),
                                  self._read_payload(user, target["identifier"]), command_id)
            others = [d for d in city.departments if d.code != target["issuer"].code]
            return self._sign(self.rng.choice(others), "SuspendLicence",
                              {"identifier": target["identifier"], "reason": "not ours"},
                              command_id)
        if kind == "malformed_fields":
            return self._sign(target["issuer"], "SuspendLicence",
                              {"identifier": target["identifier"], "reason": 42}, command_id)
        return self._forged(target["issuer"], {"identifier": target["identifier"],
                                               "reason": "forged"}, command_id)

    def _read_payload(self, grantee: Dept, identifier: str) -> dict[str, Any]:
        """A read under ``grantee``'s functional grant (whoever signs it)."""
        assert self.use is not None
        return {"identifier": identifier, "mode": "function",
                "grant_id": self.use.grant_of[grantee.code], "matter_code": "MATTER-001",
                "case_number": f"BAD-{self.rng.randrange(10**7):07d}", "operator": "officer-x",
                "purpose": "handling an application"}

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
