"""``POST /api/v1/verify-file``: a presented PDF or OFD file and the department's signed
``VerifyLicenceFile`` command; the answer is the JSON of ``ledger verify-file --json``.

The envelope's signature is checked first, so nobody's bytes are parsed (nor findings
given) for a request its department did not sign. The service inspects the bytes itself
and runs the command only if what the department signed is what the bytes show (hash,
format, signers, revisions, problems, reference):
the ledger records the department's own signed statement, never facts the service added.
A command that does not match is refused with the service's findings (``expected``), so
a client that does not inspect files itself can sign those and post again.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from commands.bootstrap import Services
from commands.bus.pipeline import Result, decode_any, rejected
from commands.messages.files import VerifyLicenceFile
from commands.signed.authenticate import signed_by
from commands.signed.envelope import SignedCommand
from ledger.errors import LedgerError
from licence_files.verify import inspect_file
from sharing.kafka_door import KafkaDoor
from sharing.problems import answer, problem, result_answer
from sharing.routes.commands import pending
from sharing.routes.common import on_ledger, problems, settings_of, writer_of
from sharing.stored_state import get_department

router = APIRouter(tags=["files"])


def findings(data: bytes) -> dict[str, Any]:
    """What the bytes show, in the form of a ``VerifyLicenceFile`` payload (as the CLI
    fills it in :func:`licence_files.service.verify_file`)."""
    found = inspect_file(data)
    return {"file_hash": found.file_hash, "format": found.format,
            "signers": list(found.signers), "revision_hashes": list(found.revision_hashes),
            "problems": [p[:1000] for p in found.problems[:20]],
            "claimed_reference": found.claimed_reference}


def forged_signature(services: Services, signed: SignedCommand) -> Result | None:
    """The refusal of a command whose signature does not verify with the key its actor
    registered (the bus checks it all again, with the key's validity, when it runs)."""
    try:
        signed_by(get_department(services, signed.actor), signed)
    except LedgerError as exc:
        return rejected(signed.command_id, exc, signed.type)
    return None


@router.post("/api/v1/verify-file", responses={
    200: {"description": "the verdict, as `ledger verify-file --json` prints it"},
    **problems(400, 401, 403, 408, 409, 413, 429, 503)})
async def verify_file(request: Request, file: Annotated[UploadFile, File()],
                      command: Annotated[str, Form(min_length=1)]) -> JSONResponse:
    """Verify a presented file; the verification is recorded as an access event."""
    decoded = decode_any(command)
    if isinstance(decoded, Result):
        return result_answer(decoded)
    if not isinstance(decoded.command, VerifyLicenceFile):
        return problem(400, "invalid_command", f"command.type: expected VerifyLicenceFile,"
                       f" got {decoded.type}", command_id=decoded.command_id)
    forged = await on_ledger(request, lambda s: forged_signature(s, decoded))
    if forged is not None:  # nobody's bytes are parsed, nor findings given, unsigned
        return result_answer(forged)
    data = await file.read()
    expected = await asyncio.to_thread(findings, data)
    signed = {k: decoded.raw["payload"].get(k) for k in expected}
    signed["claimed_reference"] = signed["claimed_reference"] or None
    if signed != expected:
        wrong = sorted(k for k in expected if signed[k] != expected[k])
        return problem(400, "file_mismatch", f"the signed command does not describe the"
                       f" posted file: {', '.join(wrong)} differ; sign the payload with"
                       " the values in `expected`", command_id=decoded.command_id,
                       expected=expected)
    door: KafkaDoor | None = request.app.state.kafka
    if door is not None:  # through the commands topic, like every other command
        body = await door.post(decoded, command.encode())
        if body is None:
            return pending(decoded.command_id, None)  # a verdict: no data held back
        return JSONResponse(body.get("data") or {}) if body["status"] == "accepted" \
            else answer(body)
    result = await asyncio.wait_for(writer_of(request).execute(decoded),
                                    settings_of(request).request_timeout)
    if not result.accepted:
        return result_answer(result)
    return JSONResponse(result.data or {})
