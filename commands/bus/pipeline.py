"""The in-process message bus, as its pipeline of stages:

    decode ▸ deduplicate ▸ authenticate ▸ authorise ▸ handle ▸ save with position

Each stage is a method of :class:`MessageBus` named so: ``decode`` (a line or record to
a signed command, or the answer why not: :func:`decode_any`), ``deduplicate`` (a repeated
command id under a signature that verifies returns the original answer), ``authenticate``
(the signer's key; or genesis, the first department registering itself, a department rule in
:mod:`ledger.domain.departments`), ``authorise`` (:mod:`commands.authorisation.policy`:
who may send which command), ``handle`` (the command's handler: load, call the domain,
emit), ``save`` (the command's receipt) and ``save_with_position`` (the batch's commit
with its tracking position and seal). The ledger's own writes, signed by its key and by
no department (key rotation, checkpoints), are no commands: commands/bus/own_writes.py
saves what the ledger prepares with the same ``save_with_position``, with no receipt.

Commands are handled in batches; a batch is one database transaction ending with the
ledger's seal. A command that fails is rolled back to its savepoint and answered with
its reason; it never stops the rest. A repeated command id returns the original result
and changes nothing. If another writer changed a stream this batch read, the batch is
retried against fresh state (its commands were not applied).

What an unexpected exception does depends on where it is raised:

- inside one command's handling (authentication, policy, handler): the unit of work
  is in memory until commit, so rolling back to the command's savepoint undoes it
  exactly; the command is answered ``internal_error`` (the traceback goes to the log,
  never into the answer) and the rest of the batch goes on;
- outside any one command (decoding a record, the batch's prefetch, the commit itself,
  e.g. a value the database refuses): the whole batch failed and nothing of it was
  written, so no savepoint can help (on PostgreSQL an error inside the transaction
  aborts all of it). :meth:`MessageBus.execute_isolating` then applies the batch again
  one command at a time; the command that still fails alone is answered
  ``internal_error``. The Kafka consumer does the same with a position per record
  (consumers/poison.py).
- a database outage is neither: it is raised to the caller, which waits and retries;
  no command is answered as failed because a server was down (commands/bus/failures.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from eventsourcing.persistence import Tracking

from commands.authorisation import policy
from commands.bus.conflicts import commit_retrying
from commands.bus.failures import is_outage, log_unexpected
from commands.bus.prefetch import streams_of, written_once
from commands.handlers.context import Context
from commands.handlers.departments import register_department
from commands.handlers.licences import LoadedFacts
from commands.handlers.registry import HANDLERS
from commands.messages import limits
from commands.messages.core import RegisterDepartment
from commands.signed.authenticate import authenticate, authenticate_genesis, check_repeat
from commands.signed.envelope import SignedCommand, command_id_of, decode_envelope, decode_json_line
from ledger.domain import streams
from ledger.domain.departments import Department, check_genesis_command
from ledger.errors import (
    AccessRefusedError,
    DuplicateCommandError,
    LedgerError,
)
from ledger.integrity.canonical import format_instant
from ledger.integrity.receipts import CommandRecorded, apply_receipt
from ledger.store.application import Ledger, UnitOfWork

log = logging.getLogger("ledger.bus")


@dataclass(frozen=True)
class Result:
    """The answer to one command."""

    command_id: str
    accepted: bool
    code: str | None = None
    message: str | None = None
    events: tuple[tuple[str, int], ...] = ()
    duplicate: bool = False
    command_type: str | None = None
    notifications: tuple[int, ...] = field(default=(), compare=False)
    data: dict[str, Any] | None = field(default=None, compare=False)  # what a read returns

    @property
    def status(self) -> str:
        return "accepted" if self.accepted else "rejected"

    def line(self) -> str:
        """``ID<TAB>accepted`` or ``ID<TAB>rejected<TAB>CODE<TAB>MESSAGE`` (one line)."""
        if self.accepted:
            return f"{self.command_id}\taccepted"
        message = (self.message or "").replace("\t", " ").replace("\n", " ")
        return f"{self.command_id}\trejected\t{self.code}\t{message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "command_id": self.command_id, "status": self.status, "code": self.code,
            "message": self.message, "type": self.command_type, "duplicate": self.duplicate,
            "events": [{"stream": s, "version": v} for s, v in self.events],
            **({"data": self.data} if self.data is not None else {}),
        }


def rejected(command_id: str, error: LedgerError, command_type: str | None = None) -> Result:
    return Result(command_id, False, error.code, error.message, command_type=command_type)


def internal_error(command_id: str, command_type: str | None = None) -> Result:
    """The answer for a command whose handling raised something unexpected; what was
    raised goes to the log with its traceback, not into the answer."""
    return Result(command_id, False, "internal_error",
                  "internal error; the command was not applied (the ledger's log has the"
                  " details)", command_type=command_type)


def too_large(size: int, max_bytes: int) -> Result:
    """The answer for a line or record longer than ``LEDGER_MAX_RECORD_BYTES``."""
    return Result("-", False, "invalid_command",
                  f"the command is {size} bytes long; at most {max_bytes} bytes are accepted"
                  " (LEDGER_MAX_RECORD_BYTES)")


def decode_any(item: Any, max_bytes: int | None = None) -> SignedCommand | Result:
    """Decode a JSON line (bytes/str) or an already-parsed object; errors become results.

    A line longer than ``max_bytes`` is refused before it is parsed. Decoding never
    raises: an unexpected error (a decoder bug) is answered ``internal_error``."""
    limit = limits.MAX_RECORD_BYTES if max_bytes is None else max_bytes
    if item is None:  # a Kafka record without a value (a tombstone) is no JSON at all
        item = b""
    if isinstance(item, bytes | str) and len(item) > limit:
        return too_large(len(item), limit)  # never parsed, not even for its command id
    try:
        if isinstance(item, bytes | str):
            return decode_json_line(item, limit)
        return decode_envelope(item)
    except LedgerError as exc:
        return rejected(_command_id(item), exc)
    except Exception as exc:
        command_id = _command_id(item)
        log_unexpected(log, f"internal error decoding command {command_id}", exc)
        return internal_error(command_id)


def _command_id(item: Any) -> str:
    raw: Any = item
    if isinstance(item, bytes | str):
        try:
            raw = orjson.loads(item)
        except Exception:
            raw = None
    try:
        return command_id_of(raw)
    except Exception:
        return "-"


class MessageBus:
    def __init__(self, ledger: Ledger, clock: Callable[[], datetime] | None = None,
                 after_commit: Callable[[list[int]], None] | None = None) -> None:
        self.ledger = ledger
        self.clock = clock or (lambda: datetime.now(UTC))
        self.after_commit = after_commit
        self._ledger_key_checked = False

    def execute(self, items: Sequence[Any], tracking: Tracking | None = None,
                lane: str | None = None) -> list[Result]:
        """Handle a batch of commands (raw, decoded, or already answered) in one transaction.

        ``tracking`` (a Kafka position, say) is recorded in the same transaction, so a
        redelivered batch collides and changes nothing. ``lane`` names the seal chain.
        """
        decoded = [self.decode(i) for i in items]

        def prepare() -> tuple[UnitOfWork, list[Result]]:
            now = self.clock()
            uow = self.ledger.begin(format_instant(now), lane)
            self.ledger.prefetch([streams.registry_stream()] + [
                i for d in decoded if isinstance(d, SignedCommand) for i in streams_of(d)])
            self._register_ledger_key(uow)
            return uow, [d if isinstance(d, Result) else self.apply(uow, d, now)
                         for d in decoded]

        def commit(prepared: tuple[UnitOfWork, list[Result]]) -> tuple[list[int], list[Result]]:
            return self.save_with_position(prepared[0], tracking), prepared[1]

        def forget_key_check() -> None:
            self._ledger_key_checked = False

        ids, results = commit_retrying(prepare, commit, "batch", forget_key_check)
        self._ledger_key_checked = True
        if ids and self.after_commit:
            self.after_commit(ids)
        return results

    def execute_isolating(self, items: Sequence[Any], lane: str | None = None) -> list[Result]:
        """:meth:`execute`, but one command that breaks the whole batch cannot take the
        others down: the batch is applied again one command at a time, and a command
        that fails alone is answered ``internal_error``. Outages are raised."""
        try:
            return self.execute(items, lane=lane)
        except Exception as exc:
            if is_outage(exc):
                raise
            log_unexpected(log, f"a batch of {len(items)} commands failed as a whole;"
                           " applying them one by one", exc)
        results: list[Result] = []
        for item in items:
            try:
                results.extend(self.execute([item], lane=lane))
            except Exception as exc:
                if is_outage(exc):
                    raise
                decoded = self.decode(item)
                log_unexpected(log, f"internal error applying command {decoded.command_id}"
                               " alone; it was not applied", exc)
                results.append(internal_error(
                    decoded.command_id,
                    decoded.type if isinstance(decoded, SignedCommand) else None))
        return results

    @staticmethod
    def decode(item: Any) -> SignedCommand | Result:
        """A raw line or record to a signed command, or the answer why it is none."""
        return item if isinstance(item, SignedCommand | Result) else decode_any(item)

    def _register_ledger_key(self, uow: UnitOfWork) -> None:
        if self._ledger_key_checked:
            return
        registration = self.ledger.ledger_key_registration(uow.at)
        if registration is not None:
            stream, evt = registration
            uow.emit(stream, lambda s, e: e, evt, None)

    def apply(self, uow: UnitOfWork, signed: SignedCommand, now: datetime) -> Result:
        """One decoded command through the stages, undone to its savepoint if one refuses
        it (a refused read stays recorded, with its receipt)."""
        savepoint = uow.savepoint()
        try:
            return self._stages(uow, signed, now)
        except AccessRefusedError as exc:
            if not exc.recorded:
                uow.rollback(savepoint)
                return rejected(signed.command_id, exc, signed.type)
            # The refused read stays recorded; the receipt makes a repeat return this answer.
            events = tuple(uow.emitted_since(savepoint))
            self.save(uow, signed, events, exc)
            return Result(signed.command_id, False, exc.code, exc.message, events=events,
                          command_type=signed.type)
        except LedgerError as exc:
            uow.rollback(savepoint)
            return rejected(signed.command_id, exc, signed.type)
        except Exception as exc:  # a bug must not take the other commands down with it
            uow.rollback(savepoint)
            log_unexpected(log, f"internal error handling command {signed.command_id}", exc)
            return internal_error(signed.command_id, signed.type)

    def _stages(self, uow: UnitOfWork, signed: SignedCommand, now: datetime) -> Result:
        answered = self.deduplicate(uow, signed)
        if answered is not None:
            return answered
        actor = self.authenticate(uow, signed, now)
        if actor is None:  # genesis: the command registers the very signer it authenticates
            assert isinstance(signed.command, RegisterDepartment)
            ctx = Context(uow, signed, _placeholder(signed), now)
            register_department(signed.command, ctx, genesis=True)
        else:
            self.authorise(signed, actor, LoadedFacts(Context(uow, signed, actor, now)))
            ctx = self.handle(uow, signed, actor, now)
        events = tuple(ctx.events)
        self.save(uow, signed, events, None)
        return Result(signed.command_id, True, events=events, command_type=signed.type,
                      data=ctx.answer)

    @staticmethod
    def deduplicate(uow: UnitOfWork, signed: SignedCommand) -> Result | None:
        """A command id seen before: its original answer, or a refusal if it now names a
        different command. ``None`` for a new command id (now claimed in this batch)."""
        receipt_stream, *others = written_once(signed)
        uow.write_once(receipt_stream, *others)
        receipt = uow.get(receipt_stream, apply_receipt)
        if receipt is None:
            return None
        if receipt.digest != signed.digest:
            raise DuplicateCommandError(
                f"command id {signed.command_id} was already used for a different"
                f" {receipt.command_type} command by {receipt.actor}; use a new id"
            )
        check_repeat(uow, signed)  # the body alone, under another signature, is no repeat
        return Result(signed.command_id, receipt.outcome == "accepted", receipt.code,
                      receipt.message, events=receipt.events, duplicate=True,
                      command_type=signed.type)

    @staticmethod
    def authenticate(uow: UnitOfWork, signed: SignedCommand, now: datetime) -> Department | None:
        """The signing department; ``None`` for genesis (the ledger has no department yet,
        and the command is the management department registering itself with its key)."""
        if uow.get(streams.registry_stream(), lambda s, e: e) is not None:
            return authenticate(uow, signed, now)
        check_genesis_command(isinstance(signed.command, RegisterDepartment))
        authenticate_genesis(signed)
        return None

    @staticmethod
    def authorise(signed: SignedCommand, actor: Department, facts: policy.Facts) -> None:
        """Whether this signer may send this command (commands/authorisation/policy.py);
        ``facts`` loads what a rule needs (a licence's issuer), as the handler would."""
        policy.authorise(signed.type, signed.command, actor, facts)

    @staticmethod
    def handle(uow: UnitOfWork, signed: SignedCommand, actor: Department,
               now: datetime) -> Context:
        """The command's handler: load its streams, call the domain, emit the events."""
        ctx = Context(uow, signed, actor, now)
        HANDLERS[signed.type](signed.command, ctx)
        return ctx

    @staticmethod
    def save_with_position(uow: UnitOfWork, tracking: Tracking | None) -> list[int]:
        """Commit the batch: its events, receipts, tracking position and seal, or nothing."""
        return uow.commit(tracking)

    @staticmethod
    def save(uow: UnitOfWork, signed: SignedCommand, events: tuple[tuple[str, int], ...],
             refusal: LedgerError | None) -> None:
        """The command's receipt: what it wrote, or why it was refused (a recorded read)."""
        uow.emit(
            streams.receipt_stream(signed.command_id), apply_receipt,
            CommandRecorded(
                signed.command_id, signed.raw, signed.digest, uow.at, events,
                "refused" if refusal else "accepted",
                refusal.code if refusal else None, refusal.message if refusal else None,
            ),
            signed.cause,
        )


def _placeholder(signed: SignedCommand) -> Department:
    """Genesis has no registered actor yet; the handler checks the command itself."""
    return Department(signed.actor, "(genesis)", ("management",), "000000")
