"""Every status word the QR page uses (有效 / 已暂停 / 已注销 / 已撤销 / 已过期 /
已被新版本取代), each reached by the ledger's own commands on a licence with a rendered file,
read from the page over plain HTTP. (已撤销 is shown in a browser by test_pages_public.py.)"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from ledger.domain.identifiers import make_licence_identifier, parse_licence_identifier
from ledger.domain.localtime import beijing_date
from licence_files.service import render_licence
from tests.integration.service_server import Served
from tests.integration.test_files_pdf import FileCity


def reference_of(city: FileCity, identifier: str) -> str:
    """Render the licence's original (in a thread of its own: pyhanko runs its own asyncio
    loop) and give the reference its QR code carries."""
    with ThreadPoolExecutor(1) as pool:
        _, summary = pool.submit(render_licence, city.services, city.fs, identifier, "pdf",
                                 city.now).result()
    return str(summary["reference"])


def shown(served: Served, reference: str) -> tuple[str, str]:
    """(the status word, the badge's class) of the page behind ``reference``."""
    answer = served.http.get(f"/v/{reference}")
    assert answer.status_code == 200, answer.text
    assert "状态最近变更" in answer.text and "不能作为有效证明" in answer.text
    found = re.search(r'<span class="([^"]+)" id="status">([^<]+)</span>', answer.text)
    assert found, answer.text
    return found.group(2), found.group(1)


def test_each_status_of_the_ledger_shows_in_plain_words(city: FileCity, served: Served
                                                        ) -> None:
    issued = city.scenario.issued
    today = beijing_date(datetime.now(UTC)).isoformat()
    lapsed = next(x for x in issued if x["until"] is not None and x["until"] < today)
    current = [x for x in issued if x is not lapsed]
    refs = {x["identifier"]: reference_of(city, x["identifier"]) for x in [lapsed, *current[:3]]}
    assert all(shown(served, r) == ("有效", "badge badge-ok")
               for i, r in refs.items() if i != lapsed["identifier"])

    suspended, cancelled, changed = current[:3]
    city.sign(suspended["issuer"], "SuspendLicence", {
        "identifier": suspended["identifier"], "reason": "停业整顿（测试）"})
    assert shown(served, refs[suspended["identifier"]]) == ("已暂停", "badge badge-bad")
    city.sign(suspended["issuer"], "EndSuspension", {
        "identifier": suspended["identifier"], "reason": "整顿结束（测试）"})
    assert shown(served, refs[suspended["identifier"]]) == ("有效", "badge badge-ok")

    city.sign(cancelled["issuer"], "CancelLicence", {
        "identifier": cancelled["identifier"], "reason": "持证人申请注销（测试）"})
    assert shown(served, refs[cancelled["identifier"]]) == ("已注销", "badge badge-bad")

    city.sign(changed["issuer"], "ChangeLicence", {
        "identifier": changed["identifier"], "kind": "change", "reason": "变更地址（测试）",
        "changes": {"case_number": "CASE-CHANGED-1"}})
    assert shown(served, refs[changed["identifier"]]) == ("已被新版本取代", "badge badge-bad")
    old = parse_licence_identifier(changed["identifier"])
    newer = str(make_licence_identifier(old.type_code, old.issuer_code, old.serial, 2))
    assert shown(served, reference_of(city, newer)) == ("有效", "badge badge-ok")

    # Past its end date: expired on the page at once, before and after the issuer records it.
    lapsed_ref = refs[lapsed["identifier"]]
    assert shown(served, lapsed_ref) == ("已过期", "badge badge-bad")
    city.sign(lapsed["issuer"], "ExpireLicence", {
        "identifier": lapsed["identifier"], "reason": "有效期届满（测试）", "as_of": today})
    assert shown(served, lapsed_ref) == ("已过期", "badge badge-bad")


def test_face_values_with_markup_are_shown_as_text(city: FileCity, served: Served) -> None:
    """A licence's disclosed face fields are the issuer's text: markup in them is escaped."""
    types = city.scenario.city.types
    public = next(x for x in city.scenario.issued
                  if types[x["type_code"]].get("disclosure") == "public")
    fields = types[public["type_code"]]["public_fields"]
    hostile = {"<script>alert(1)</script>", '"><img src=x onerror=alert(2)>'}
    city.sign(public["issuer"], "ChangeLicence", {
        "identifier": public["identifier"], "kind": "change", "reason": "测试",
        "changes": {"face": dict(zip(fields, sorted(hostile), strict=False))}})
    old = parse_licence_identifier(public["identifier"])
    newer = str(make_licence_identifier(old.type_code, old.issuer_code, old.serial, 2))
    page = served.http.get(f"/v/{reference_of(city, newer)}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
