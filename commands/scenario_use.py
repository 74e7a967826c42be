"""Use of the city's licences as signed commands: grants, reads, copies, corrections,
counts. Kept apart from :mod:`commands.scenario` so each stays short."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from commands.scenario import Scenario


def use(s: Scenario, today: date, reads: int) -> Iterator[dict[str, Any]]:
    """Grant use, then make ``reads`` reads of issued licences, some of them refused."""
    city, mgmt, platform = s.city, s.city.management, s.platform
    start, end = (today - timedelta(days=30)).isoformat(), (today + timedelta(days=365)).isoformat()
    users = s.using_departments
    grant_ids = {}
    for user in users:
        grant_ids[user.code] = s.ids()
        fields = sorted({f["name"] for d in city.types.values() for f in d["face_fields"]})[:3]
        yield s.sign(mgmt, "GrantFunctionalUse", {
            "grant_id": grant_ids[user.code], "department": user.code,
            "type_codes": list(city.types), "fields": fields, "valid_from": start,
            "valid_until": end, "daily_cap": None, "scenarios": ["MATTER-001"]})
    live = [lic for lic in s.issued if lic["status"] == "01"] or s.issued
    for i in range(reads):
        lic = live[(i * 7) % len(live)]
        user = users[i % len(users)]
        action = ("VerifyLicence", "ViewLicence", "DownloadLicence")[i % 3]
        matter = "MATTER-001" if i % 10 else "MATTER-999"  # one in ten is off the usage list
        yield s.sign(user, action, {
            "identifier": lic["identifier"], "mode": "function",
            "grant_id": grant_ids[user.code], "matter_code": matter,
            "case_number": f"USE-{i:07d}", "operator": f"officer-{i % 5}",
            "purpose": "handling an application"})
    for i, lic in enumerate(live[: max(1, reads // 20)]):
        holder = s.holder_of(lic["identifier"])
        grant_id = s.ids()
        yield s.sign(platform, "GrantHolderConsent", {
            "grant_id": grant_id, "identifier": lic["identifier"], "holder_code": holder,
            "grantee": users[0].code, "rights": ["verify", "download"],
            "matter_code": "MATTER-002", "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat()})
        yield s.sign(users[0], "DownloadLicence", {
            "identifier": lic["identifier"], "mode": "consent", "grant_id": grant_id,
            "matter_code": "MATTER-002", "case_number": f"CONSENT-{i:05d}",
            "operator": "officer-c", "purpose": "holder asked us to fetch it"})
        if i % 2:
            yield s.sign(platform, "RevokeGrant", {"grant_id": grant_id,
                                                   "reason": "holder withdrew consent"})
    for lic in live[:10]:
        yield s.sign(platform, "QueryPublicRegister", {"identifier": lic["identifier"]})
    yield from paper_counts(s)
    for type_code in city.types:
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
