"""Refusals of annotated copies (加注件, Art. 22) and of bulk analysis without approval
(Art. 15), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from tests.integration.use_town import (
    Town,
    allowed,
    refused_and_recorded,
    refused_writes_nothing,
)


# -- annotated copies ---------------------------------------------------------------------
def test_annotation_of_a_licence_that_is_not_valid(town: Town) -> None:
    ident = town.ident("001", 1)
    town.ok(town.issuer("market"), "SuspendLicence", {"identifier": ident,
                                                      "reason": "inspection pending"})
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(10), case="C-1"),
                         "licence_not_valid", ident)


def test_annotation_validity_end(town: Town) -> None:
    ident = town.ident("001")
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(-1), case="C-1"),
                         "copy_expired", ident)
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(91), case="C-2"),
                         "copy_too_long", ident)
    allowed(town, town.annotate(town.a, ident, "G-A", town.day(90), case="C-3"))
    allowed(town, town.annotate(town.a, ident, "G-A", town.day(0), case="C-4"))


def test_at_most_max_live_copies(town: Town) -> None:
    ident = town.ident("002")
    for i in range(3):
        allowed(town, town.annotate(town.a, ident, "G-A", town.day(1), case=f"C-{i}"))
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(1), case="C-3"),
                         "too_many_copies", ident)
    # Another department's copies count too: the limit is per licence.
    refused_and_recorded(town, town.annotate(town.b, ident, "G-B", town.day(1), case="C-4"),
                         "too_many_copies", ident)
    town.clock.advance(days=2)  # the three copies are no longer live
    allowed(town, town.annotate(town.a, ident, "G-A", town.day(1), case="C-5"))


def test_incomplete_annotation_is_malformed_and_writes_nothing(town: Town) -> None:
    envelope = town.read(town.a, town.ident("001"), "G-A", command_type="AnnotateLicence",
                         case="C-1", copy_id="copy-1", valid_until=town.day(5))
    refused_writes_nothing(town, envelope, "invalid_command")


def test_annotated_copy_cannot_outlive_the_licence(town: Town) -> None:
    lapsed = town.lic("002", 1)  # its validity ended; nobody has recorded the expiry yet
    assert lapsed["until"] < town.day(0) and lapsed["status"] == "01"
    envelope = town.annotate(town.a, lapsed["identifier"], "G-A", town.day(60), case="C-1")
    result = town.run(envelope)
    assert not result.accepted
    [row] = town.access_rows(user=town.a.code, case="C-1")
    assert (row["outcome"], row["code"]) == ("refused", result.code)


# -- bulk analysis (Art. 15) ----------------------------------------------------------------
def test_bulk_read_needs_a_live_approval(town: Town) -> None:
    t1, t2 = town.t("001"), town.t("002")
    refused_and_recorded(town, town.bulk(town.a, "R-NONE", t1, "B-0"), "no_approval")
    for rid in ("R-1", "R-2", "R-3"):
        town.ok(town.a, "RequestBulkAnalysis", {"request_id": rid, "type_codes": [t1],
                                                "purpose": "quarterly analysis"})
    refused_and_recorded(town, town.bulk(town.a, "R-1", t1, "B-1"), "no_approval")
    town.ok(town.mgmt, "DecideBulkAnalysis", {"request_id": "R-2", "approved": False,
                                              "reason": "purpose too vague"})
    refused_and_recorded(town, town.bulk(town.a, "R-2", t1, "B-2"), "no_approval")
    town.ok(town.mgmt, "DecideBulkAnalysis", {"request_id": "R-3", "approved": True,
                                              "reason": "ok", "valid_until": town.day(0)})
    allowed(town, town.bulk(town.a, "R-3", t1, "B-3"))
    refused_and_recorded(town, town.bulk(town.a, "R-3", t2, "B-4"), "type_not_granted")
    refused_and_recorded(town, town.bulk(town.b, "R-3", t1, "B-5"), "no_approval")
    town.clock.advance(days=1)
    refused_and_recorded(town, town.bulk(town.a, "R-3", t1, "B-6"), "approval_expired")


def test_bulk_decisions_are_the_management_departments(town: Town) -> None:
    t1 = town.t("001")
    town.ok(town.a, "RequestBulkAnalysis", {"request_id": "R-1", "type_codes": [t1],
                                            "purpose": "analysis"})
    refused_writes_nothing(town, town.envelope(town.b, "DecideBulkAnalysis", {
        "request_id": "R-1", "approved": True, "reason": "self-approved"}), "unauthorised")
    refused_writes_nothing(town, town.envelope(town.platform, "RequestBulkAnalysis", {
        "request_id": "R-2", "type_codes": [t1], "purpose": "analysis"}), "unauthorised")
