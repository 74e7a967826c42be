"""For random command streams, every read model equals a replay of the events.

Streams come from the scenario generators with random seeds and sizes, plus random extra
reads, grants, revocations, renewals, annotated copies and passing days, sent in batches
of random sizes (so the embedded runner catches up at random points) and read in pages of
random sizes. Two oracles: :func:`projections.engine.runner.check` (each projection against a
fresh replay) and the domain itself (``apply_licence`` folded over each licence stream
read from the store, against the ``licence_state`` rows).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.bootstrap import Services, bootstrap
from commands.demo.scenario import Scenario
from commands.demo.use import use
from commands.settings import load_settings
from ledger.domain.licence import Licence, apply_licence
from ledger.integrity.mapper import decode_stored
from ledger.store.sql import ProjectionDB
from projections.engine.runner import check
from tests.builders import scenario_clock
from tests.conftest import FakeClock

EXTRA = st.tuples(st.sampled_from(["read", "consent", "revoke", "renew", "change", "annotate",
                                   "suspend", "cancel", "advance"]),
                  st.integers(0, 10_000))


@st.composite
def streams_of_commands(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "seed": draw(st.integers(1, 10_000)),
        "licences": draw(st.integers(4, 24)),
        "reads": draw(st.integers(0, 24)),
        "extra": draw(st.lists(EXTRA, max_size=25)),
        "batch": draw(st.integers(1, 60)),
        "page": draw(st.sampled_from([1, 3, 17, 2000])),
    }


def extra_commands(s: Scenario, clock: FakeClock, ops: list[tuple[str, int]]
                   ) -> list[list[dict[str, Any]]]:
    """Random uses and lifecycle steps; some are refused, which is part of the point."""
    users, mgmt, platform = s.using_departments, s.city.management, s.platform
    grants: list[str] = []
    batches: list[list[dict[str, Any]]] = [[]]
    for kind, n in ops:
        lic = s.issued[n % len(s.issued)]
        ident, user = lic["identifier"], users[n % len(users)]
        today = clock.now.date()
        if kind == "advance":
            batches.append([])  # a new batch, a day later
            continue
        if kind == "read":  # one to three reads: enough to meet the daily cap of 2
            mode = ("function", "consent")[n % 2]
            grant = grants[n % len(grants)] if grants and mode == "consent" else f"F-{user.code}"
            batches[-1] += [s.sign(user, ("VerifyLicence", "ViewLicence", "DownloadLicence")[
                (n + i) % 3], {"identifier": ident, "mode": mode, "grant_id": grant,
                               "matter_code": ("MATTER-001", "MATTER-002")[n % 2],
                               "case_number": f"P-{n}-{i}", "operator": "o", "purpose": "p"})
                for i in range(1 + n % 3)]
            continue
        elif kind == "consent":
            grant = f"K-{n}-{len(grants)}"
            grants.append(grant)
            cmd = s.sign(platform, "GrantHolderConsent", {
                "grant_id": grant, "identifier": ident, "holder_code": s.holder_of(ident),
                "grantee": user.code, "rights": ["verify", "view", "download"][: 1 + n % 3],
                "matter_code": "MATTER-002", "valid_from": today.isoformat(),
                "valid_until": (today + timedelta(days=n % 4)).isoformat()})
        elif kind == "revoke":  # mostly a holder's consent; now and then a functional grant
            target = grants[n % len(grants)] if grants and n % 5 else f"F-{user.code}"
            cmd = s.sign(platform if target.startswith("K-") else mgmt, "RevokeGrant",
                         {"grant_id": target, "reason": "withdrawn"})
        elif kind in ("renew", "change"):
            changes: dict[str, Any] = {"case_number": f"R-{n}"}
            if kind == "renew":  # from valid or expired; the new window starts today
                changes["valid_from"] = today.isoformat()
                changes["valid_until"] = (today + timedelta(days=365)).isoformat()
            cmd = s.sign(lic["issuer"], "ChangeLicence", {
                "identifier": ident, "kind": ("renewal" if kind == "renew" else "change"),
                "reason": kind, "changes": changes})
            lic["identifier"] = _next(ident)  # if refused, later commands name a stale id
        elif kind == "annotate":
            cmd = s.sign(user, "AnnotateLicence", {
                "identifier": ident, "mode": "function", "grant_id": f"F-{user.code}",
                "matter_code": "MATTER-001", "case_number": f"A-{n}", "operator": "o",
                "purpose": "p", "copy_id": f"c-{n}", "recipient": "bank",
                "valid_until": (today + timedelta(days=n % 120)).isoformat()})
        elif kind == "suspend":
            cmd = s.sign(lic["issuer"], "SuspendLicence", {"identifier": ident, "reason": "s"})
        else:
            cmd = s.sign(lic["issuer"], "CancelLicence", {
                "identifier": ident, "reason": "c", "issued_in_error": bool(n % 2)})
        batches[-1].append(cmd)
    return batches


def _next(identifier: str) -> str:
    from ledger.domain.identifiers import make_licence_identifier

    p = identifier.split(".")
    return str(make_licence_identifier(p[5], p[6], p[7], int(p[8]) + 1))


def run(services: Services, clock: FakeClock, example: dict[str, Any]) -> None:
    s = Scenario(example["seed"], scenario_clock(clock))
    today = clock.now.date()
    commands = [*s.setup(), *s.issue(example["licences"]), *s.lifecycle(today)]
    for user in s.using_departments:  # functional grants the extra reads can name
        commands.append(s.sign(s.city.management, "GrantFunctionalUse", {
            "grant_id": f"F-{user.code}", "department": user.code,
            "type_codes": list(s.city.types), "fields": ["company_name", "operator_name"],
            "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=9))
            .isoformat(), "daily_cap": 2}))
    size = example["batch"]
    for i in range(0, len(commands), size):
        services.bus.execute(commands[i:i + size])
    services.bus.execute(list(use(s, today, example["reads"])))
    for batch in extra_commands(s, clock, example["extra"]):
        for i in range(0, len(batch), size):
            services.bus.execute(batch[i:i + size])
        clock.advance(days=1)


def domain_licences(services: Services) -> dict[str, Licence]:
    """Every licence stream in the store, folded with the domain's own apply_licence."""
    streams: set[UUID] = set()
    for _, row in services.store.iter_rows():
        record = decode_stored(row)
        if record.type == "LicenceIssued":
            streams.add(record.stream)
    states = {}
    for stream in streams:
        state: Licence | None = None
        for record in services.store.read_stream(stream):
            state = apply_licence(state, record.event())
        assert state is not None
        states[str(stream)] = state
    return states


def licence_rows(db: ProjectionDB) -> dict[str, tuple[Any, ...]]:
    rows = db.query("SELECT l.stream, l.identifier, l.type_code, l.issuer_code, l.serial,"
                    " l.version, l.status, l.status_reason, l.cancel_kind, l.licence_number,"
                    " l.catalogue_version, l.issue_date, l.valid_from, l.valid_until,"
                    " v.fields, l.last_operation FROM licences AS l JOIN licence_versions AS v"
                    " ON v.identifier = l.identifier")
    return {str(r[0]): tuple(r[1:]) for r in rows}


def as_row(state: Licence) -> tuple[Any, ...]:
    f = state.fields
    return (state.identifier, state.type_code, state.issuer_code, state.serial, state.version,
            state.status, state.status_reason, state.cancel_kind, state.licence_number,
            state.catalogue_version, f["issue_date"], f["valid_from"], f["valid_until"],
            orjson.loads(orjson.dumps(_thaw(f), option=orjson.OPT_SORT_KEYS)),
            state.last_operation)


def _thaw(value: Any) -> Any:
    if isinstance(value, dict | tuple | list) or hasattr(value, "items"):
        if hasattr(value, "items"):
            return {k: _thaw(v) for k, v in value.items()}
        return [_thaw(v) for v in value]
    return value


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(example=streams_of_commands())
def test_every_projection_equals_a_replay_of_the_events(example: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr("projections.engine.runner.PAGE", example["page"])
        clock = FakeClock()
        services = bootstrap(load_settings({
            "LEDGER_DATABASE_URL": f"sqlite:///{Path(tmp) / 'ledger.db'}",
            "LEDGER_KEY_FILE": str(Path(tmp) / "key.pem")}), clock=clock)
        try:
            run(services, clock, example)
            services.projections.catch_up()
            head = services.store.max_notification_id()
            assert set(services.projections.positions().values()) == {head}
            problems = check(services.store, services.read_db,
                             services.projections.projections, ProjectionDB("sqlite:///:memory:"))
            assert not any(problems.values()), problems

            db = services.read_db
            states = domain_licences(services)
            rows = licence_rows(db)
            assert set(rows) == set(states)
            for stream, state in states.items():
                row = rows[stream]
                assert (*row[:13], orjson.loads(row[13]), row[14]) == as_row(state), stream
                versions = db.query("SELECT identifier FROM licence_versions WHERE stream = ?"
                                    " ORDER BY version", [stream])
                assert tuple(v[0] for v in versions) == state.identifiers
                holders = db.query("SELECT code_type, code, name FROM licence_holders"
                                   " WHERE stream = ?", [stream])
                assert sorted(holders) == sorted((h["code_type"], h["code"], h["name"])
                                                 for h in state.holders)
        finally:
            services.close()


def test_renewal_clears_the_status_reason(tmp_path: Path) -> None:
    clock = FakeClock()
    services = bootstrap(load_settings({
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "LEDGER_KEY_FILE": str(tmp_path / "key.pem")}), clock=clock)
    try:
        s = Scenario(7, scenario_clock(clock))
        today = clock.now.date()
        for part in (s.setup(), s.issue(20), s.lifecycle(today)):
            assert all(r.accepted for r in services.bus.execute(list(part)))
        expired = next(x for x in s.issued if x["status"] == "05")
        [renewed] = services.bus.execute([s.sign(expired["issuer"], "ChangeLicence", {
            "identifier": expired["identifier"], "kind": "renewal", "reason": "renewed",
            "changes": {"valid_from": today.isoformat(),
                        "valid_until": (today + timedelta(days=365)).isoformat()}})])
        assert renewed.accepted, renewed.message
        state = domain_licences_raw(services)[_next(expired["identifier"])]
        assert (state.status, state.status_reason) == ("01", None)
    finally:
        services.close()


def domain_licences_raw(services: Services) -> dict[str, Licence]:
    """Current identifier -> the domain's fold, uncorrected."""
    out = {}
    for _, row in services.store.iter_rows():
        record = decode_stored(row)
        if record.type == "LicenceIssued":
            state: Licence | None = None
            for r in services.store.read_stream(record.stream):
                state = apply_licence(state, r.event())
            assert state is not None
            out[state.identifier] = state
    return out
