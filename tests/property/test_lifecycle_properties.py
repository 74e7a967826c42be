"""Random licence lifecycles against a reference model of DOMAIN.md §5 (SQLite, in-process).

Sequences of commands on a few licences, many of them illegal for the licence's status at
that moment, are applied in random batches. The ledger must accept exactly what the model
allows, number versions only on change/correction/renewal, link and check every
identifier, replay each stream to the state it caches, and keep the audit clean.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.bootstrap import Services
from commands.demo.scenario import Dept, Scenario
from ledger.domain.identifiers import make_licence_identifier, make_uscc, parse_licence_identifier
from ledger.domain.licence import apply_licence
from ledger.integrity.audit import audit_rows
from tests.builders import (
    SEED,
    apply_all,
    copy_ledger,
    current_licence,
    issue_payload,
    licence_stream,
    scenario_clock,
    sqlite_services,
    type_code,
)
from tests.conftest import FakeClock

TODAY = FakeClock().now.date().isoformat()  # the examples' clocks stay within this day
PAST, FUTURE = "2025-06-30", "2026-12-31"  # valid_until either side of it
NEW_VERSION = ("change", "correction", "renewal")
# What each status allows, read from DOMAIN.md §5 (01 valid, 02 suspended, 03 revoked,
# 04 cancelled, 05 expired, 06 transferred out, 07 penalty revoked, 99 other).
ALLOWED: dict[str, set[str]] = {
    "01": {*NEW_VERSION, "suspend", "cancel", "revoke", "penalty_revoke", "expire",
           "transfer_out", "set_other"},
    "02": {"change", "correction", "end_suspension", "cancel", "revoke", "penalty_revoke",
           "expire", "set_other"},
    "03": set(), "04": set(), "07": set(),
    "05": {"renewal", "cancel"},
    "06": {"cancel_transfer_out"},
    "99": {"cancel", "revoke", "penalty_revoke"},
}
LEADS_TO = {"suspend": "02", "end_suspension": "01", "cancel": "04", "revoke": "03",
            "penalty_revoke": "07", "expire": "05", "transfer_out": "06",
            "cancel_transfer_out": "01", "set_other": "99", "renewal": "01"}
STATUS_COMMANDS: dict[str, tuple[str, dict[str, Any]]] = {
    "suspend": ("SuspendLicence", {}), "end_suspension": ("EndSuspension", {}),
    "cancel": ("CancelLicence", {"issued_in_error": False}),
    "cancel_in_error": ("CancelLicence", {"issued_in_error": True}),
    "revoke": ("RevokeLicence", {}), "penalty_revoke": ("PenaltyRevokeLicence", {}),
    "transfer_out": ("TransferLicenceOut", {"destination": "320500"}),
    "cancel_transfer_out": ("CancelTransferOut", {}),
    "set_other": ("SetLicenceStatusOther", {}),
}
# "stale": a suspension sent with the licence's previous identifier.
ACTIONS = ["issue", *NEW_VERSION, *STATUS_COMMANDS, "expire", "stale"]


@dataclass
class Model:
    """What the ledger should hold for one licence (status None: not issued yet)."""

    type_code: str
    issuer: str
    serial: str
    status: str | None = None
    until: str = FUTURE
    identifiers: list[str] = field(default_factory=list)

    def identifier(self, version: int) -> str:
        return str(make_licence_identifier(self.type_code, self.issuer, self.serial, version))

    @property
    def current(self) -> str:
        return self.identifiers[-1] if self.identifiers else self.identifier(1)

    def refusal(self, action: str, today: str) -> str | None:
        """The code the ledger must answer with, or None if the action is legal now."""
        if action == "issue":
            return None if self.status is None else "already_exists"
        if self.status is None:
            return "not_found"
        if action == "stale" and len(self.identifiers) > 1:
            return "superseded_version"
        op = {"cancel_in_error": "cancel", "stale": "suspend"}.get(action, action)
        if op not in ALLOWED[self.status] or (op == "expire" and self.until >= today):
            return "illegal_transition"
        return None

    def apply(self, action: str, until: str) -> None:
        op = {"cancel_in_error": "cancel", "stale": "suspend"}.get(action, action)
        if op == "issue":
            self.status, self.until = "01", until
        if op in ("issue", *NEW_VERSION):
            self.identifiers.append(self.identifier(len(self.identifiers) + 1))
        if op == "renewal":
            self.until = until
        self.status = LEADS_TO.get(op, self.status)


def command(scenario: Scenario, issuer: Dept, model: Model, action: str, until: str,
            today: str, n: int) -> dict[str, Any]:
    ident = model.current
    if action == "issue":
        holder = {"name": f"企业{model.serial}", "code_type": "001",
                  "code": make_uscc("91320581", "LC" + model.serial[-6:])}
        payload = issue_payload(scenario, model.type_code[-3:], model.serial,
                                f"编号（2022）{model.serial}", holder, valid_until=until)
        return scenario.sign(issuer, "IssueLicence", payload)
    if action in NEW_VERSION:
        changes = {"change": {"case_number": f"CHG-{n}"}, "correction": {"paper_number": f"P{n}"},
                   "renewal": {"valid_until": until}}[action]
        return scenario.sign(issuer, "ChangeLicence", {"identifier": ident, "kind": action,
                                                        "reason": f"step {n}",
                                                        "changes": changes})
    if action == "expire":
        return scenario.sign(issuer, "ExpireLicence", {"identifier": ident, "reason": "ended",
                                                        "as_of": today})
    if action == "stale":
        ident = model.identifiers[-2] if len(model.identifiers) > 1 else ident
        action = "suspend"
    command_type, extra = STATUS_COMMANDS[action]
    return scenario.sign(issuer, command_type, {"identifier": ident, "reason": f"step {n}",
                                                **extra})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Departments and catalogue only; each example works on a copy."""
    directory = tmp_path_factory.mktemp("template")
    clock = FakeClock()
    services = sqlite_services(directory, clock)
    apply_all(services, clock, Scenario(SEED, scenario_clock(clock)).setup())
    services.close()
    return directory


@contextmanager
def fresh_ledger(template: Path) -> Iterator[tuple[Services, Scenario, FakeClock]]:
    with tempfile.TemporaryDirectory() as scratch:
        copy_ledger(template, Path(scratch))
        clock = FakeClock()
        clock.advance(hours=1)
        assert clock.now.date().isoformat() == TODAY
        services = sqlite_services(Path(scratch), clock)
        # Fresh command ids: the template's setup already used the seeded ones.
        scenario = Scenario(SEED, scenario_clock(clock), ids=lambda: str(uuid.uuid4()))
        try:
            yield services, scenario, clock
        finally:
            services.close()


def check_lineage(services: Services, model: Model) -> None:
    """Identifiers linked and checked; the stream replays to the state the ledger caches."""
    cached = current_licence(services, model.identifiers[0])
    assert (cached.status, list(cached.identifiers)) == (model.status, model.identifiers)
    assert (cached.identifier, cached.version) == (model.current, len(model.identifiers))
    assert cached.previous_identifier == (model.identifiers[-2] if cached.version > 1 else None)
    for version, text in enumerate(model.identifiers, start=1):
        ident = parse_licence_identifier(text)  # raises on a wrong check character
        assert (ident.type_code, ident.issuer_code, ident.serial, ident.version) == (
            model.type_code, model.issuer, model.serial, version)
    replayed = None
    for record in services.store.read_stream(licence_stream(model.current)):
        replayed = apply_licence(replayed, record.event())
    assert replayed == cached


UNTILS = st.sampled_from([PAST, TODAY, FUTURE])
Planned = tuple[str, dict[str, Any], str | None]  # action, envelope, expected refusal code


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_random_lifecycles_follow_the_reference_model(template: Path, data: st.DataObject) -> None:
    with fresh_ledger(template) as (services, scenario, clock):
        market = scenario.city.issuers["market"]
        models = [Model(type_code(scenario, "001" if i == 0 else "002"), market.code,
                        f"L000000{i}") for i in range(4)]
        today = clock.now.date().isoformat()
        batches: list[list[Planned]] = [[]]

        def plan(i: int, action: str, until: str) -> None:
            n = sum(map(len, batches))
            envelope = command(scenario, market, models[i], action, until, today, n)
            refusal = models[i].refusal(action, today)
            if refusal is None:  # a batch applies its commands in order: the model follows
                models[i].apply(action, until)
            batches[-1].append((action, envelope, refusal))

        for i in range(3):  # licence 3 starts unissued
            plan(i, "issue", data.draw(UNTILS))
        probed: set[tuple[int, str | None]] = set()
        for _ in range(data.draw(st.integers(6, 16), label="steps")):
            i = data.draw(st.integers(0, 3), label="licence")
            # Half the moves are legal (as the model sees it), so that sequences reach deep
            # states before every licence ends revoked or cancelled.
            legal = [a for a in ACTIONS if models[i].refusal(a, today) is None]
            action = data.draw(st.sampled_from(legal or ACTIONS) | st.sampled_from(ACTIONS))
            if data.draw(st.booleans(), label="new batch"):
                batches.append([])
            plan(i, action, data.draw(UNTILS))
            if (i, models[i].status) not in probed:  # in each new state, try every illegal one
                probed.add((i, models[i].status))
                for refused in [a for a in ACTIONS if models[i].refusal(a, today)]:
                    plan(i, refused, data.draw(UNTILS))

        for batch in batches:
            results = services.bus.execute([envelope for _, envelope, _ in batch])
            clock.advance(minutes=1)
            answers = [(a, r.accepted, r.code) for (a, _, _), r in zip(batch, results, strict=True)]
            assert answers == [(a, code is None, code) for a, _, code in batch], (
                [r.message for r in results])
        for model in models:
            if model.identifiers:
                check_lineage(services, model)
        assert audit_rows(services.store.iter_rows()).ok


# Every action from every status, once: the table the random walks sample from.
PATHS: dict[str, tuple[str, list[str]]] = {  # valid_until, then the moves that reach it
    "valid": (FUTURE, []), "valid, lapsed": (PAST, []), "suspended": (FUTURE, ["suspend"]),
    "suspended, lapsed": (PAST, ["suspend"]), "revoked": (FUTURE, ["revoke"]),
    "cancelled": (FUTURE, ["cancel"]), "expired": (PAST, ["expire"]),
    "transferred out": (FUTURE, ["transfer_out"]), "penalty revoked": (FUTURE, ["penalty_revoke"]),
    "other": (FUTURE, ["set_other"]), "changed": (FUTURE, ["change"]),
    "valid through today": (TODAY, []), "renewed after lapse": (PAST, ["renewal"]),
}


def test_every_action_from_every_status_follows_the_reference_model(template: Path) -> None:
    with fresh_ledger(template) as (services, scenario, clock):
        market = scenario.city.issuers["market"]
        today = clock.now.date().isoformat()
        cases = [(path, action, Model(type_code(scenario, "002"), market.code,
                                      f"T{p:02d}{a:02d}000"))
                 for p, path in enumerate(PATHS) for a, action in enumerate(ACTIONS)]

        def run(moves: list[tuple[str, Model, str]]) -> list[tuple[str | None, str | None]]:
            """One batch; pairs of (code answered, code the model expects)."""
            envelopes, expected = [], []
            for k, (action, m, until) in enumerate(moves):
                envelopes.append(command(scenario, market, m, action, until, today, k))
                expected.append(m.refusal(action, today))
                if expected[-1] is None:
                    m.apply(action, until)
            results = services.bus.execute(envelopes)
            clock.advance(minutes=1)
            return [(r.code, code) for r, code in zip(results, expected, strict=True)]

        opening = run([("issue", m, PATHS[path][0]) for path, _, m in cases])
        opening += run([(PATHS[path][1][0], m, FUTURE) for path, _, m in cases
                        if PATHS[path][1]])
        assert all(got is None and wanted is None for got, wanted in opening)
        answers = run([(action, m, FUTURE) for _, action, m in cases])
        mismatches = [(path, action, got, wanted) for (path, action, _), (got, wanted)
                      in zip(cases, answers, strict=True) if got != wanted]
        assert not mismatches
        for _, _, model in cases:
            check_lineage(services, model)
        assert audit_rows(services.store.iter_rows()).ok
