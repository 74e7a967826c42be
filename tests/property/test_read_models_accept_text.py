"""Read models store whatever text the ledger accepts, on PostgreSQL and on SQLite.

Generated commands carry nasty-but-allowed text in their free-form fields: CJK, emoji
(with joiners and skin tones), long strings, quotes, backslashes, SQL and format
metacharacters, and the separator and NULL marks the set-based writes of
ledger/store/sql.py join columns with. Whatever the ledger accepts, no projection may
get stuck, the text must come back as it went in, and every read model must equal a
fresh replay of the events. (NUL is left out: decoding refuses it, and a stored one is
what tests/integration/test_poison_projections.py is about.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.bootstrap import Services
from ledger.store.packed_columns import NULL_MARK, SEP
from ledger.store.sql import ProjectionDB
from projections.engine.runner import check
from projections.models.use_queries import get_access_log
from tests.conftest import FakeClock
from tests.integration.use_town import Town, build_town

NASTY = [
    "常熟市市场监督管理局", "経営者 ｶﾀｶﾅ", "🧾👩🏽‍⚖️🏳️‍🌈", "O'Brien", '"quoted"', "back\\slash\\",
    "'; DROP TABLE licences; --", "%s %d {0} $1 ? :name", SEP, NULL_MARK, NULL_MARK + SEP,
    f"a{SEP}b{NULL_MARK}c", "NULL", "null", "\\N", "\t\n\r", " ", "x" * 2000, "字" * 1000,
    "\u200b\u202e", "e\u0301", "\U0010ffff", "\ufeff",
]
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1, max_size=60),
    st.lists(st.sampled_from(NASTY), min_size=2, max_size=4).map("".join),
    # inside words, so that the marks are not trimmed away as blank
    st.sampled_from(NASTY).map(lambda t: f"«{t}»"),
)


@pytest.fixture
def town(services: Services, clock: FakeClock) -> Iterator[Town]:
    yield build_town(services, clock)


def send_with_text(town: Town, kind: str, text: str, n: int) -> tuple[str, Any]:
    if kind == "read":
        envelope = town.read(town.a, town.ident("001"), "G-A", case=f"T-{n}", operator=text,
                             purpose=text)
        return envelope["command_id"], town.run(envelope)
    if kind == "issue":  # the holder's name and the free-text face fields
        [original] = town.s.issue(1)
        payload = original["payload"]
        payload["holders"][0]["name"] = text
        payload["face"] = {k: (text if str(v).startswith(k) else v)
                           for k, v in payload["face"].items()}
        return "", town.run(town.envelope(town.s.issued[-1]["issuer"], "IssueLicence",
                                          payload))
    issuer = town.lic("002")["issuer"]
    identifier = town.ident("002")
    suspended = town.send(issuer, "SuspendLicence", {"identifier": identifier, "reason": text})
    town.send(issuer, "EndSuspension", {"identifier": identifier, "reason": text})
    return "", suspended


@settings(max_examples=30, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(kind=st.sampled_from(["read", "suspend", "issue"]), text=TEXT)
def test_whatever_text_is_accepted_every_read_model_stores(
        town: Town, kind: str, text: str) -> None:
    services = town.services
    n = services.store.max_notification_id()
    _, result = send_with_text(town, kind, text, n)
    runner = services.projections
    runner.catch_up()
    assert runner.stuck == {}, runner.stuck
    head = services.store.max_notification_id()
    assert set(runner.positions().values()) == {head}
    if kind == "read" and result.accepted:
        [row] = [r for r in get_access_log(services.read_db, user=town.a.code)
                 if r["case_number"] == f"T-{n}"]
        assert (row["operator"], row["purpose"]) == (text, text)
    problems = check(services.store, services.read_db, runner.projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert not any(problems.values()), problems
