"""Readiness for grants and reads, the revocation barrier, and their keys (on SQLite).

Each rule has a case where the command waits and one where it may go; the parking
watch is driven with stand-ins for the broker and the other partitions' positions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from kafka import TopicPartition

from commands.bootstrap import Services
from commands.bus.pipeline import Result, decode_any
from commands.demo.scenario import Scenario
from commands.demo.use import Use
from commands.signed.envelope import SignedCommand, decode_envelope
from consumers.config import KafkaOptions
from consumers.loadgen import LoadGenerator
from consumers.parking import Decision, decide
from consumers.parking_watch import ParkingWatch
from consumers.readiness import BARRIER, grant_created, missing_dependency
from consumers.records import Incoming
from ledger.domain.identifiers import make_licence_identifier

TODAY = datetime.now(UTC).date()


@dataclass
class City:
    """A scenario with its set-up applied (or not), and the grants to come."""

    svc: Services
    s: Scenario
    use: Use
    setup: list[dict[str, Any]]
    grants: list[dict[str, Any]]

    def apply(self, *envelopes: dict[str, Any]) -> list[Result]:
        return self.svc.bus.execute([orjson.dumps(e) for e in envelopes])

    def missing(self, envelope: dict[str, Any], granted: tuple[str, ...] = ()) -> str | None:
        return missing_dependency(self.svc.ledger, decode_envelope(envelope), granted)

    def user(self, i: int = 0) -> Any:
        return self.s.using_departments[i]


@pytest.fixture
def city(svc: Services) -> City:
    s = LoadGenerator(11, start=datetime.now(UTC) - timedelta(seconds=5)).scenario
    use = Use(s, TODAY)
    return City(svc, s, use, list(s.setup()), list(use.functional_grants()))


@pytest.fixture
def ready(city: City) -> City:
    """Set-up, functional grants and one licence applied."""
    results = city.apply(*city.setup, *city.grants, next(city.s.issue(1)))
    assert all(r.accepted for r in results)
    return city


# -- functional grants ---------------------------------------------------------------------
def test_a_functional_grant_waits_for_its_grantee_department(city: City) -> None:
    registrations = [e for e in city.setup if e["type"] == "RegisterDepartment"]
    grantee = city.user()
    without = [e for e in registrations if e["payload"]["code"] != grantee.code]
    city.apply(*without, *[e for e in city.setup if e["type"] == "RegisterLicenceType"])
    assert city.missing(city.grants[0]) == f"department {grantee.code} (the grantee)"
    city.apply(*[e for e in registrations if e["payload"]["code"] == grantee.code])
    assert city.missing(city.grants[0]) is None


def test_a_holders_consent_waits_for_its_grantee_department(city: City) -> None:
    registrations = [e for e in city.setup if e["type"] == "RegisterDepartment"]
    grantee = city.user()  # Use.consent names the first using department
    city.apply(*[e for e in registrations if e["payload"]["code"] != grantee.code],
               *[e for e in city.setup if e["type"] == "RegisterLicenceType"],
               next(city.s.issue(1)))
    _, consent = city.use.consent(city.s.issued[0])
    assert city.missing(consent) == f"department {grantee.code} (the grantee)"
    city.apply(*[e for e in registrations if e["payload"]["code"] == grantee.code])
    assert city.missing(consent) is None
    assert city.apply(consent)[0].accepted


def test_a_functional_grant_waits_for_every_type_it_grants(city: City) -> None:
    departments = [e for e in city.setup if e["type"] == "RegisterDepartment"]
    types = [e for e in city.setup if e["type"] == "RegisterLicenceType"]
    city.apply(*departments, *types[:-1])
    last = types[-1]["payload"]["type_code"]
    assert city.missing(city.grants[0]) == f"licence type {last} in the catalogue"
    city.apply(types[-1])
    assert city.missing(city.grants[0]) is None


# -- reads -----------------------------------------------------------------------------------
def test_a_read_waits_for_its_grant(city: City) -> None:
    city.apply(*city.setup, next(city.s.issue(1)))
    read = city.use.read(city.user(), city.s.issued[0]["identifier"], 1)
    assert city.missing(read) == f"grant {read['payload']['grant_id']}"
    city.apply(city.grants[0])
    assert city.missing(read) is None


def test_a_read_after_its_grant_in_the_same_batch_is_ready(city: City) -> None:
    city.apply(*city.setup, next(city.s.issue(1)))
    read = city.use.read(city.user(), city.s.issued[0]["identifier"], 1)
    assert city.missing(read, granted=(read["payload"]["grant_id"],)) is None
    assert grant_created(decode_envelope(city.grants[0])) == read["payload"]["grant_id"]


def test_a_function_read_waits_for_its_departments_usage_list(city: City) -> None:
    lists = [e for e in city.setup if e["type"] == "SetUsageList"]
    city.apply(*[e for e in city.setup if e["type"] != "SetUsageList"], *city.grants,
               next(city.s.issue(1)))
    user = city.user()
    read = city.use.read(user, city.s.issued[0]["identifier"], 1)
    assert city.missing(read) == f"the usage list of department {user.code}"
    city.apply(*[e for e in lists if e["actor"] == user.code])
    assert city.missing(read) is None
    assert city.apply(read)[0].accepted


def test_a_function_read_without_the_using_role_does_not_wait_for_a_usage_list(
        city: City) -> None:
    city.apply(*[e for e in city.setup if e["type"] != "SetUsageList"], *city.grants,
               next(city.s.issue(1)))
    health = city.s.city.issuers["health"]
    payload = {**city.use.read(city.user(), city.s.issued[0]["identifier"], 1)["payload"]}
    read = city.s.sign(health, "VerifyLicence", payload)
    assert city.missing(read) is None
    assert city.apply(read)[0].code == "unauthorised"  # refused, whatever the list says


def test_a_consent_read_waits_for_the_consent_not_for_a_usage_list(city: City) -> None:
    city.apply(*[e for e in city.setup if e["type"] != "SetUsageList"],
               next(city.s.issue(1)))
    lic = city.s.issued[0]
    grant_id, grant = city.use.consent(lic)
    read = city.use.consent_read(lic, grant_id, 0)
    assert city.missing(read) == f"grant {grant_id}"
    assert city.missing(grant) is None  # its licence travels with it: nothing to wait for
    city.apply(grant)
    assert city.missing(read) is None
    assert city.apply(read)[0].accepted


def test_a_read_of_an_unknown_licence_waits_for_nothing_but_its_grant(ready: City) -> None:
    lic = ready.s.issued[0]
    identifier = str(make_licence_identifier(lic["type_code"], lic["issuer"].code,
                                             "90000000001", 1))
    read = ready.use.read(ready.user(), identifier, 1)
    assert ready.missing(read) is None  # the licence is on its own partition
    assert ready.apply(read)[0].code == "not_found"


def test_a_public_query_waits_only_for_its_actor(ready: City) -> None:
    query = ready.use.public_query(ready.s.issued[0])
    assert ready.missing(query) is None


# -- the revocation barrier -------------------------------------------------------------------
def test_a_grant_revocation_always_waits_for_everything_posted_before_it(
        ready: City) -> None:
    lic = ready.s.issued[0]
    grant_id, grant = ready.use.consent(lic)
    ready.apply(grant)
    assert ready.missing(ready.use.revoke(grant_id)) == BARRIER  # even with its grant there
    assert ready.missing(ready.use.revoke("no-such-grant")) == BARRIER
    # Only the release rule lets it go: ready never, released once the others passed.
    assert decide(ready=False, passed=True, waited=0.0, max_wait=60) is Decision.RELEASE
    assert decide(ready=False, passed=False, waited=0.0, max_wait=60) is Decision.WAIT


# -- keys --------------------------------------------------------------------------------------
def test_reads_consents_and_the_lifecycle_of_a_licence_share_its_key(ready: City) -> None:
    lic = ready.s.issued[0]
    grant_id, grant = ready.use.consent(lic)
    same = [grant, ready.use.consent_read(lic, grant_id, 0),
            ready.use.read(ready.user(), lic["identifier"], 1), ready.use.public_query(lic),
            ready.s.sign(lic["issuer"], "SuspendLicence",
                         {"identifier": lic["identifier"], "reason": "inspection"})]
    assert {decode_envelope(e).partition_key() for e in same} == {
        f"licence:{lic['identifier'].split('.')[5]}.{lic['issuer'].code}"
        f".{lic['identifier'].split('.')[7]}"}
    revoke = decode_envelope(ready.use.revoke(grant_id))
    assert revoke.partition_key() == f"grant:{grant_id}"
    functional = decode_envelope(ready.grants[0])
    assert functional.partition_key() == f"grant:{functional.raw['payload']['grant_id']}"


# -- the parking watch with stand-ins for the broker and the other partitions -------------------
@dataclass
class Stub:
    """Stands in for what :class:`ParkingWatch` is given: the Kafka consumer, the stored
    positions, the side reader and the store watch's refresh."""

    services: Services
    next_ts: dict[int, int | None] | None  # the other partitions' next undecided records
    positions: dict[str, int] = field(default_factory=dict)
    refreshed: int = 0
    asked: int = 0

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def position(self, name: str) -> int | None:
        return self.positions.get(name)

    def next_timestamps(self, topic: str, positions: Mapping[int, int]
                        ) -> dict[int, int | None] | None:
        self.asked += 1
        return self.next_ts

    def refresh_if_others_wrote(self) -> None:
        self.refreshed += 1
        self.services.ledger.forget()


TP = TopicPartition("cmds", 0)
OPTIONS = KafkaOptions("-", "g", "cmds", "res", "dlq", 200)


def watch(svc: Services, next_ts: dict[int, int | None] | None) -> tuple[ParkingWatch, Stub]:
    stub = Stub(svc, next_ts)
    return ParkingWatch(OPTIONS, consumer=stub, positions=stub, reader=stub,
                        ledger=svc.ledger, refresh=stub.refresh_if_others_wrote), stub


def batch(envelopes: list[dict[str, Any]], first_offset: int = 10, first_ts: int = 1_000
          ) -> tuple[list[Incoming], list[SignedCommand | Result]]:
    values = [orjson.dumps(e) for e in envelopes]
    records = [Incoming("cmds", 0, first_offset + i, None, v, first_ts + i)
               for i, v in enumerate(values)]
    return records, [decode_any(v) for v in values]


def test_a_consent_then_its_read_in_one_batch_go_together(ready: City) -> None:
    lic = ready.s.issued[0]
    grant_id, grant = ready.use.consent(lic)
    records, decoded = batch([grant, ready.use.consent_read(lic, grant_id, 0)])
    pw, stub = watch(ready.svc, {1: None, 2: None})
    assert pw.first_unready(TP, records, decoded) == (2, None)
    assert stub.asked == 0  # nothing was missing: the broker was not asked


def test_a_revocation_the_others_have_passed_is_released_at_once(ready: City) -> None:
    grant_id, grant = ready.use.consent(ready.s.issued[0])
    ready.apply(grant)
    records, decoded = batch([ready.use.revoke(grant_id),
                              ready.use.public_query(ready.s.issued[0])])
    pw, stub = watch(ready.svc, {1: 5_000, 2: None})  # both past the revocation's stamp
    assert pw.first_unready(TP, records, decoded) == (2, None)
    assert pw.released == {TP: {10}} and pw.busy() and stub.refreshed == 1
    pw.applied(TP, records)
    assert not pw.busy()


def test_a_revocation_waits_while_another_partition_holds_an_earlier_record(
        ready: City) -> None:
    grant_id, grant = ready.use.consent(ready.s.issued[0])
    ready.apply(grant)
    records, decoded = batch([ready.use.revoke(grant_id)])
    pw, stub = watch(ready.svc, {1: 999, 2: None})  # partition 1: a read stamped earlier
    assert pw.first_unready(TP, records, decoded) == (0, BARRIER)
    assert stub.refreshed == 1 and not pw.released
    stub.next_ts = None  # a partition that cannot be read has passed nothing
    assert pw.first_unready(TP, records, decoded) == (0, BARRIER)


def test_later_in_a_batch_a_missing_dependency_cuts_the_batch_without_asking(
        ready: City) -> None:
    """What is missing may come from the records before it: they go first."""
    grant_id, grant = ready.use.consent(ready.s.issued[0])
    ready.apply(grant)
    records, decoded = batch([ready.use.public_query(ready.s.issued[0]),
                              ready.use.revoke(grant_id)])
    pw, stub = watch(ready.svc, {1: None, 2: None})
    assert pw.first_unready(TP, records, decoded) == (1, BARRIER)
    assert stub.asked == 0 and stub.refreshed == 0


def test_a_read_whose_grant_never_comes_is_released_once_the_others_passed(
        ready: City) -> None:
    read = ready.use.read(ready.user(), ready.s.issued[0]["identifier"], 1)
    read = ready.s.sign(ready.user(), "VerifyLicence",
                        {**read["payload"], "grant_id": "never-granted"})
    records, decoded = batch([read])
    pw, _ = watch(ready.svc, {1: 999, 2: None})
    assert pw.first_unready(TP, records, decoded) == (0, "grant never-granted")
    pw, _ = watch(ready.svc, {1: 1_001, 2: None})
    assert pw.first_unready(TP, records, decoded) == (1, None)
    assert ready.apply(read)[0].code == "no_grant"  # what the bus then says, recorded


def test_released_offsets_before_the_batch_are_forgotten(ready: City) -> None:
    pw, _ = watch(ready.svc, {1: None, 2: None})
    pw.released[TP] = {3, 12}
    records, decoded = batch([ready.use.public_query(ready.s.issued[0])], first_offset=10)
    pw.first_unready(TP, records, decoded)
    assert pw.released == {TP: {12}}


def test_records_without_a_timestamp_never_ask_the_broker(ready: City) -> None:
    grant_id, _ = ready.use.consent(ready.s.issued[0])
    records, decoded = batch([ready.use.revoke(grant_id)])
    records = [replace(records[0], timestamp=-1)]
    pw, stub = watch(ready.svc, {1: None, 2: None})
    assert pw.first_unready(TP, records, decoded) == (0, BARRIER)
    assert stub.asked == 0
