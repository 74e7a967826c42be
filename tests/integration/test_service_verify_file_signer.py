"""``POST /api/v1/verify-file`` parses the posted file (up to 16 MB of PDF or OFD, CPU
in the service's own process) only for a request its department really signed: a
decodable envelope under a signature that does not verify, or of a department the ledger
does not know, is refused before the bytes are inspected, and gets no findings back."""

from __future__ import annotations

import httpx
import orjson

from tests.integration.service_fixtures import city, clock
from tests.integration.test_files_pdf import FileCity
from tests.integration.test_service_commands import assert_problem
from tests.integration.test_service_public import _verify_command, api

__all__ = ["api", "city", "clock"]  # fixtures, used by name


def test_a_file_is_inspected_only_for_a_genuinely_signed_request(
        city: FileCity, api: httpx.Client) -> None:
    data = city.render(city.identifier())
    blank = {"file_hash": "x", "format": "pdf", "signers": [], "revision_hashes": [],
             "problems": [], "claimed_reference": None}
    genuine = orjson.loads(_verify_command(city, blank))
    for forged, code in (({**genuine, "signature": "AAAA"}, "bad_signature"),
                         ({**genuine, "actor": "91320581MA1XXXXXX0"}, "unknown_actor")):
        answer = api.post("/api/v1/verify-file", files={"file": ("licence.pdf", data)},
                          data={"command": orjson.dumps(forged).decode()})
        body = assert_problem(answer, 401, code)
        assert "expected" not in body, code
    mismatch = api.post("/api/v1/verify-file", files={"file": ("licence.pdf", data)},
                        data={"command": orjson.dumps(genuine).decode()})
    assert assert_problem(mismatch, 400, "file_mismatch")["expected"]["format"] == "pdf"
