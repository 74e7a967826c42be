"""The ledger's error types: one base, each with a machine-readable code.

Every refusal the ledger gives carries a stable ``code`` (for programs) and a
``message`` that says what was wrong, where, and what is expected (for people).
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every refusal. ``code`` is stable and machine-readable."""

    code = "ledger_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidCommandError(LedgerError):
    """The command is malformed: unknown or missing fields, wrong types, bad values."""

    code = "invalid_command"


class InvalidSignatureError(LedgerError):
    """A signature does not verify over the canonical bytes it claims to cover."""

    code = "bad_signature"


class UnknownKeyError(LedgerError):
    """The key id is not registered to the acting department."""

    code = "unknown_key"


class KeyNotValidError(LedgerError):
    """The key exists but was not valid when the command was signed or received."""

    code = "key_not_valid"


class UnauthorisedError(LedgerError):
    """The actor may not perform this action on this object."""

    code = "unauthorised"


class AccessRefusedError(UnauthorisedError):
    """A read (verify, view, download, annotate, query) that policy does not allow.

    Unlike other refusals the attempt itself is recorded as an access event, so the
    handler raises it *after* emitting that event, with ``recorded`` set.
    """

    code = "access_refused"
    recorded = False

    def as_recorded(self) -> AccessRefusedError:
        self.recorded = True
        return self


class NotFoundError(LedgerError):
    """The command names something the ledger does not hold."""

    code = "not_found"


class AlreadyExistsError(LedgerError):
    """The command would create something that already exists."""

    code = "already_exists"


class IllegalTransitionError(LedgerError):
    """The licence's current status does not allow this operation."""

    code = "illegal_transition"


class DuplicateLicenceNumberError(LedgerError):
    """The licence number is already used by another licence of the same type."""

    code = "duplicate_licence_number"


class DuplicateCommandError(LedgerError):
    """The command id was already used for a different command."""

    code = "command_id_reused"


class ConcurrencyError(LedgerError):
    """Another writer changed a stream this batch read; the batch is retried."""

    code = "concurrency_conflict"


class ConfigurationError(LedgerError):
    """Settings or key files are missing or malformed."""

    code = "configuration"


class StoreUnavailable(LedgerError):
    """The ledger database could not be reached or used for a query; nothing was changed.

    Raised by the store's interface (:meth:`ledger.store.event_store.EventStore.position`)
    in place of the driver's own errors, with the driver's message."""

    code = "store_unavailable"
