"""Use of the city's licences as signed commands: grants, reads, copies, corrections,
counts. Kept apart from :mod:`commands.demo.scenario` so each stays short."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from commands.demo.scenario import Dept, Scenario

ACTIONS = ("VerifyLicence", "ViewLicence", "DownloadLicence")
OFF_USAGE_LIST = "not_in_usage_list"  # a read for a matter outside the usage list
NOT_PUBLIC = "not_public"  # a public query of a licence whose type is not disclosed


class Use:
    """Signed grants and reads for a scenario's licences; remembers the grants it made."""

    def __init__(self, s: Scenario, today: date) -> None:
        self.s, self.today = s, today
        self.grant_of: dict[str, str] = {}  # using department -> its functional grant id

    def functional_grants(self) -> Iterator[dict[str, Any]]:
        """One functional grant from management to each using department, all types."""
        s, city, today = self.s, self.s.city, self.today
        start = (today - timedelta(days=30)).isoformat()
        end = (today + timedelta(days=365)).isoformat()
        for user in s.using_departments:
            self.grant_of[user.code] = s.ids()
            fields = sorted({f["name"] for d in city.types.values() for f in d["face_fields"]})[:3]
            yield s.sign(city.management, "GrantFunctionalUse", {
                "grant_id": self.grant_of[user.code], "department": user.code,
                "type_codes": list(city.types), "fields": fields, "valid_from": start,
                "valid_until": end, "daily_cap": None, "scenarios": ["MATTER-001"]})

    def read(self, user: Dept, identifier: str, i: int,
             matter: str = "MATTER-001") -> dict[str, Any]:
        """The ``i``-th read by government function (verify, view, download in turn)."""
        return self.s.sign(user, ACTIONS[i % 3], {
            "identifier": identifier, "mode": "function", "grant_id": self.grant_of[user.code],
            "matter_code": matter, "case_number": f"USE-{i:07d}", "operator": f"officer-{i % 5}",
            "purpose": "handling an application"})

    def consent(self, lic: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A holder's consent (through the platform) for the first using department."""
        s, today = self.s, self.today
        grant_id = s.ids()
        return grant_id, s.sign(s.platform, "GrantHolderConsent", {
            "grant_id": grant_id, "identifier": lic["identifier"],
            "holder_code": s.holder_of(lic["identifier"]),
            "grantee": s.using_departments[0].code, "rights": ["verify", "download"],
            "matter_code": "MATTER-002", "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat()})

    def consent_read(self, lic: dict[str, Any], grant_id: str, i: int) -> dict[str, Any]:
        """A download under a holder's consent, by its grantee."""
        return self.s.sign(self.s.using_departments[0], "DownloadLicence", {
            "identifier": lic["identifier"], "mode": "consent", "grant_id": grant_id,
            "matter_code": "MATTER-002", "case_number": f"CONSENT-{i:05d}",
            "operator": "officer-c", "purpose": "holder asked us to fetch it"})

    def revoke(self, grant_id: str) -> dict[str, Any]:
        return self.s.sign(self.s.platform, "RevokeGrant", {
            "grant_id": grant_id, "reason": "holder withdrew consent"})

    def public_query(self, lic: dict[str, Any]) -> dict[str, Any]:
        return self.s.sign(self.s.platform, "QueryPublicRegister",
                           {"identifier": lic["identifier"]})


def use(s: Scenario, today: date, reads: int) -> Iterator[dict[str, Any]]:
    """Grant use, then make ``reads`` reads of issued licences, some of them refused."""
    u, users = Use(s, today), s.using_departments
    s.functional_grants = u.grant_of
    yield from u.functional_grants()
    live = [lic for lic in s.issued if lic["status"] == "01"] or s.issued
    for i in range(reads):
        matter = "MATTER-001" if i % 10 else "MATTER-999"  # one in ten is off the usage list
        read = u.read(users[i % len(users)], live[(i * 7) % len(live)]["identifier"], i, matter)
        if matter == "MATTER-999":
            s.expected_refusals[read["command_id"]] = OFF_USAGE_LIST
        yield read
    for i, lic in enumerate(live[: max(1, reads // 20)]):
        grant_id, grant = u.consent(lic)
        yield grant
        yield u.consent_read(lic, grant_id, i)
        if i % 2:
            yield u.revoke(grant_id)
    for lic in live[:10]:
        query = u.public_query(lic)
        if s.city.types[lic["type_code"]]["disclosure"] != "public":
            s.expected_refusals[query["command_id"]] = NOT_PUBLIC
        yield query
    yield from paper_counts(s)
    for type_code in s.city.types:
        for user in users:
            yield s.sign(user, "ReportCaseCount", {
                "matter_code": "MATTER-001", "type_code": type_code,
                "period": today.strftime("%Y-%m"), "cases": max(1, reads // 2)})


def paper_counts(s: Scenario) -> Iterator[dict[str, Any]]:
    """Each issuer's paper register per type and month: one in five months has one paper
    licence more than went out electronically, as real registers do."""
    counts: dict[tuple[str, str], int] = {}
    for lic in s.issued:
        key = (lic["type_code"], lic["period"])
        counts[key] = counts.get(key, 0) + 1
    for (type_code, period), n in sorted(counts.items()):
        issuer = next(d for d in s.city.issuers.values()
                      if d.code == s.city.types[type_code]["issuers"][0])
        extra = 1 if int(period[-2:]) % 5 == 0 else 0
        yield s.sign(issuer, "ReportPaperCount", {
            "type_code": type_code, "period": period, "issued": n + extra, "changed": 0,
            "withdrawn": 0, "in_force": n})
