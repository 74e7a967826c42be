"""A command id answered before is answered again only to its own signed envelope: the
repeat of a signed query returns the holder's data read again (docs/service.md), so a copy
of the envelope's body under a signature that does not verify (another command's, or
none at all) must be refused like any forged command, not answered as a duplicate."""

from __future__ import annotations

import httpx

from ledger.domain import streams
from tests.integration.service_fixtures import api, clock
from tests.integration.test_service_commands import assert_problem, post
from tests.integration.test_service_holders import holder_query
from tests.integration.use_town import Town

__all__ = ["api", "clock"]  # fixtures, used by name


def test_a_replayed_command_id_under_a_forged_signature_is_refused_with_no_data(
        town: Town, api: httpx.Client) -> None:
    holder = town.s.holder_of(town.ident("001"))
    town.services.projections.catch_up()
    listing = holder_query(town, town.platform, "ListHolderLicences", holder,
                           agent_auth="certificate")
    other = holder_query(town, town.platform, "GetHolderAccessLog", holder,
                         agent_auth="certificate")
    assert post(api, listing).status_code == 200
    for signature in (other["signature"], "AAAA", listing["signature"][:-4] + "AAA="):
        forged = post(api, {**listing, "signature": signature})
        body = assert_problem(forged, 401, "bad_signature")
        assert "data" not in body and "licences" not in forged.text
    again = post(api, listing)  # the genuine envelope still gets its original answer
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["data"]["holder_code"] == holder
    assert len(town.services.store.read_stream(streams.access_stream(listing["command_id"]))) == 1
