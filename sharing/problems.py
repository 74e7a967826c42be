"""RFC 9457 problem documents carrying the ledger's own ``code``, and the HTTP status each
code maps to. Every refusal is answered this way; no answer ever holds a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from commands.bus.pipeline import Result

PROBLEM_TYPE = "https://licence-ledger.invalid/problems/"  # + code; documented in docs/service.md

_STATUS_OF: dict[int, frozenset[str]] = {
    401: frozenset({"bad_signature", "unknown_key", "key_not_valid", "unknown_actor",
                    "issued_in_future"}),
    403: frozenset({"unauthorised", "access_refused", "wrong_party", "no_grant",
                    "grant_revoked", "grant_expired", "grant_not_yet_valid", "cap_exceeded",
                    "copy_expired", "copy_outlives_licence", "copy_too_long",
                    "licence_not_valid", "matter_not_granted", "not_in_usage_list",
                    "not_public", "right_not_granted", "too_many_copies",
                    "type_not_granted", "agent_not_authenticated"}),
    404: frozenset({"not_found", "out_of_range"}),  # no such leaf or tree size (yet)
    409: frozenset({"illegal_transition", "already_exists", "duplicate_licence_number",
                    "command_id_reused", "holder_already_licensed", "superseded_version"}),
    408: frozenset({"too_slow"}),
    413: frozenset({"too_large"}),
    429: frozenset({"rate_limited"}),
    500: frozenset({"internal_error"}),
    # The transparency log disagrees with the events, or storage is damaged: the ledger
    # proves and signs nothing until an operator looks (``ledger audit``).
    503: frozenset({"database", "broker", "concurrency_conflict", "unavailable",
                    "shutting_down", "log_mismatch", "storage"}),
}
STATUS = {code: status for status, codes in _STATUS_OF.items() for code in codes}
TITLES = {400: "Bad request", 401: "Signature or key not accepted", 403: "Not allowed",
          404: "Not found", 405: "Method not allowed", 408: "Request timed out", 409: "Conflict",
          413: "Request too large", 415: "Unsupported media type", 429: "Too many requests",
          500: "Internal error", 503: "Service unavailable", 504: "Timed out"}


def status_of(code: str | None) -> int:
    """Any other refusal is the request's fault: 400."""
    return STATUS.get(code or "", 400)


def problem(status: int, code: str, detail: str, headers: Mapping[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + code, "title": TITLES.get(status, "Error"),
            "status": status, "detail": detail, "code": code, **extra}
    headers = {**(headers or {}), **({"Retry-After": "1"} if status in (429, 503) else {})}
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


def result_answer(result: Result) -> JSONResponse:
    """200 with the result object when accepted, else its problem document."""
    return answer(result.to_json())


def answer(body: dict[str, Any]) -> JSONResponse:
    """The same for a result object as published on the results topic."""
    if body.get("status") == "accepted":
        return JSONResponse(body)
    code = str(body.get("code") or "rejected")
    return problem(status_of(code), code, str(body.get("message") or code),
                   command_id=body.get("command_id"), result=body)
