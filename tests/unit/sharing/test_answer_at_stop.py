"""A request the graceful stop cuts off while it waits gets 503 ``unavailable`` (it may
still take effect), not uvicorn's 500 with a traceback; one already answering is cut."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

from sharing.errors import stopped_response
from sharing.middleware import AnswerAtStop

SCOPE: dict[str, Any] = {"type": "http", "method": "POST", "path": "/api/v1/commands",
                         "headers": [], "query_string": b""}


def run(app: AnswerAtStop) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def cut_off() -> None:
        task = asyncio.create_task(app(SCOPE, receive, send))
        await asyncio.sleep(0.01)  # the request is waiting for the ledger
        task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")  # as uvicorn
        await task

    asyncio.run(cut_off())
    return sent


async def waits_for_the_ledger(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(60)


async def answers_slowly(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await asyncio.sleep(60)


def test_a_request_cut_off_by_the_stop_is_told_it_may_still_take_effect() -> None:
    sent = run(AnswerAtStop(waits_for_the_ledger, stopped_response()))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 503
    assert (b"content-type", b"application/problem+json") in sent[0]["headers"]
    body = orjson.loads(sent[1]["body"])
    assert body["code"] == "unavailable" and "same command id" in body["detail"]


def test_an_answer_already_begun_is_cut_off_as_before() -> None:
    with pytest.raises(asyncio.CancelledError):
        run(AnswerAtStop(answers_slowly, stopped_response()))
