"""The same commands build the same ledger through Kafka as applied in order in-process.

3 or 5 partitions, 2 consumer processes in one group: commands for different aggregates
travel on different partitions and arrive out of order (a licence before its
catalogue entry, a department before the management department that registers it, a
read before its functional grant, a consent's revocation before the download under
it). The keys, the readiness rules and the parking rule (docs/kafka.md) must make
that invisible: every command gets the same answer (accepted or refused, and why),
and the ledger and its read models end up the same.

The stream is `ledger loadgen`'s (set-up, grants, issues, reads, lifecycle, public
queries, holder consents with downloads, a consent revoked, refusable commands),
plus a read under a grant that is never made, posted mid-stream: it must neither be
handled early nor wait forever, and is refused and recorded as in-process.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from commands.bootstrap import bootstrap
from commands.settings import load_settings
from commands.signed.envelope import sign_envelope
from consumers.loadgen import LoadGenerator
from ledger.store.sql import ProjectionDB
from projections.engine.runner import ProjectionRunner
from projections.models.access_log import AccessLog
from projections.models.licence_state import LicenceState
from projections.models.wallet import Grants
from tests.integration.conftest import make_topics, snapshot
from tests.kafka_broker import Broker, cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SEED = 21


def never_granted_read(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """A read by a using department under a grant id nobody grants (signed by its key)."""
    gen = LoadGenerator(SEED)
    read = next(e for e in envelopes if e["type"] in {"VerifyLicence", "ViewLicence",
                                                        "DownloadLicence"}
                and e["payload"]["mode"] == "function")
    user = next(d for d in gen.scenario.city.departments if d.code == read["actor"])
    return sign_envelope(user.key, command_type="VerifyLicence", actor=user.code,
                         payload={**read["payload"], "grant_id": "never-granted",
                                  "case_number": "USE-NEVER"},
                         issued_at=read["issued_at"], command_id=str(uuid.uuid4()))


def apply_in_process(database_url: str, key_file: Path, lines: list[bytes]
                     ) -> dict[str, tuple[str, str | None]]:
    """What `ledger apply FILE` does, in batches; the answer to each command id."""
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": database_url,
                                        "LEDGER_KEY_FILE": str(key_file)}))
    answers: dict[str, tuple[str, str | None]] = {}
    try:
        for i in range(0, len(lines), 200):
            for line, r in zip(lines[i:i + 200], services.bus.execute(lines[i:i + 200]),
                               strict=True):
                command_id = str(orjson.loads(line)["command_id"])
                answers[command_id] = ("accepted" if r.accepted else "rejected", r.code)
    finally:
        services.close()
    return answers


# The columns of the read models that do not depend on when something was handled.
READ_MODELS = {
    "licences": "SELECT stream, identifier, version, status, status_reason, last_operation"
                " FROM licences",
    "licence_versions": "SELECT identifier, stream, version, operation FROM licence_versions",
    "access_log": "SELECT access_stream, action, mode, outcome, identifier, organisation,"
                  " case_number, grant_id, code, fields_returned, command_id FROM access_log",
    "grants": "SELECT grant_id, kind, grantee, identifier, revoked, revocation_reason"
              " FROM grants",
}


def read_models(database_url: str, key_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": database_url,
                                        "LEDGER_KEY_FILE": str(key_file)}))
    try:
        db = ProjectionDB("sqlite:///:memory:")
        ProjectionRunner(services.store, db, [LicenceState(), AccessLog(), Grants()]).catch_up()
        models = {name: sorted(db.query(q), key=repr) for name, q in READ_MODELS.items()}
    finally:
        services.close()
    return models


@pytest.mark.parametrize("partitions", [3, 5])
def test_two_consumers_on_several_partitions_build_the_in_order_ledger(
        kafka_broker: Broker, partitions: int, pg_url: str, second_pg_url: str,
        ledger_key: Path, tmp_path: Path) -> None:
    topics = make_topics(kafka_broker, partitions)
    env = topics.env(pg_url, ledger_key)
    made = cli(["loadgen", "--licences", "60", "--seed", str(SEED), "--bad-ratio", "0.1"], env)
    assert made.returncode == 0, made.stderr.decode()
    envelopes = [orjson.loads(line) for line in made.stdout.splitlines()]
    kinds = {e["type"] for e in envelopes}
    assert {"GrantFunctionalUse", "GrantHolderConsent", "RevokeGrant", "QueryPublicRegister",
            "VerifyLicence", "ViewLicence", "DownloadLicence"} <= kinds
    envelopes.insert(len(envelopes) // 2, never_granted_read(envelopes))
    lines = [orjson.dumps(e) for e in envelopes]
    stream = tmp_path / "stream.jsonl"
    stream.write_bytes(b"\n".join(lines) + b"\n")

    expected_answers = apply_in_process(second_pg_url, ledger_key, lines)
    expected = snapshot(second_pg_url, ledger_key, envelopes)
    outcomes = set(expected_answers.values())
    assert ("rejected", "no_grant") in outcomes  # the read under a grant never made
    assert ("rejected", "not_found") in outcomes and ("accepted", None) in outcomes
    revoked = {e["payload"]["grant_id"] for e in envelopes if e["type"] == "RevokeGrant"}
    consent_reads = [e["command_id"] for e in envelopes
                     if e["payload"].get("grant_id") in revoked and e["type"] != "RevokeGrant"]
    assert consent_reads and all(expected_answers[c] == ("accepted", None)
                                 for c in consent_reads)  # posted before the revocation

    posted = cli(["post", str(stream)], env)
    assert posted.returncode == 0, posted.stderr.decode()
    logs = [tmp_path / "consumer-a.log", tmp_path / "consumer-b.log"]
    consumers = [start_consumer(env, log, until_idle=4) for log in logs]
    assert [c.wait(timeout=150) for c in consumers] == [0, 0]

    # Both members of the group did work: the partitions were shared.
    for log in logs:
        assert "assigned: resuming at offset" in log.read_text(), log.read_text()

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(lines)))
    got_answers = {cid: (a[0]["status"], a[0]["code"]) for cid, a in answers.items()}
    assert got_answers == expected_answers

    got = snapshot(pg_url, ledger_key, envelopes)
    assert got.accepted == expected.accepted  # every command with a receipt, refused reads too
    assert got.licences == expected.licences
    assert got.events == expected.events
    assert read_models(pg_url, ledger_key) == read_models(second_pg_url, ledger_key)
