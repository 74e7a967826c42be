"""Stored form of every event: canonical bytes, hashed and chained per stream.

A stored event's state is the canonical JSON of::

    {"at", "cause", "data", "prev", "stream", "type", "version"}

``prev`` is the SHA-256 of the previous stored event of the same stream (null for the
first), so altering, removing or reordering any event of a stream breaks the chain;
the stream id and version inside the bytes tie each row to its place. ``cause`` names the
command (id, actor, key id and the department's signature) that produced the event.
This is the seam where signing and hashing happen, never the domain.

An event whose class is at ``class_version`` 2 or later also stores ``"type_version"``
(the version its ``data`` is written in); without that key the data is version 1, so
every event stored before its type first changed keeps its bytes. Stored bytes are never
rewritten: :meth:`Record.event` and :attr:`Record.current_data` upcast the data to the
current class version when it is decoded, after (and apart from) every check of the
bytes, which always uses ``data`` as stored (docs/integrity.md, "Event evolution").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from ledger.domain.events import EVENT_TYPES, DomainEvent, decode_event
from ledger.domain.upcasting import upcast
from ledger.integrity.canonical import canonical_bytes


@dataclass(frozen=True)
class Record:
    """One stored event, as the ledger and its auditors see it."""

    stream: UUID
    version: int
    type: str
    at: str
    data: dict[str, Any]
    cause: dict[str, Any] | None
    prev: str | None
    raw: bytes = field(repr=False, compare=False)
    # The stream as text, as read models key their rows: made once per record (each
    # projection reading a record would otherwise format the UUID again); derived from
    # ``stream`` unless the maker already holds it.
    stream_id: str = field(default="", repr=False, compare=False)
    # The version of its type that ``data`` is written in (the stored "type_version";
    # 1 when absent, as for every event stored before its type first changed).
    type_version: int = 1

    def __post_init__(self) -> None:
        if not self.stream_id:
            object.__setattr__(self, "stream_id", str(self.stream))

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    # eventsourcing's notification readers look for these two names.
    @property
    def originator_id(self) -> UUID:
        return self.stream

    @property
    def originator_version(self) -> int:
        return self.version

    def event(self) -> DomainEvent:
        """The domain event, its data upcast to the current version of its class."""
        return decode_event(self.type, self.data, self.type_version)

    @property
    def current_data(self) -> dict[str, Any]:
        """``data`` upcast to the current version of its type (``data`` itself when it is
        already current or the type is unknown here): what readers of fields should use."""
        cls = EVENT_TYPES.get(self.type)
        if cls is None or cls.class_version == self.type_version:
            return self.data
        return upcast(self.type, self.data, self.type_version, cls.class_version)


def stored_body(record: Record) -> dict[str, Any]:
    """The JSON object whose canonical bytes are the stored event."""
    body = {"at": record.at, "cause": record.cause, "data": record.data, "prev": record.prev,
            "stream": record.stream_id, "type": record.type, "version": record.version}
    if record.type_version != 1:
        body["type_version"] = record.type_version
    return body


def stored_type_version(body: dict[str, Any]) -> int:
    """The stored "type_version" of a decoded body (1 when absent); ValueError if mangled."""
    version = body.get("type_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"type_version {version!r} is not a whole number from 1")
    return version


def encode_record(
    stream: UUID,
    version: int,
    evt: DomainEvent,
    at: str,
    cause: dict[str, Any] | None,
    prev: str | None,
) -> Record:
    data = evt.to_data()
    stream_id = str(stream)
    body = {
        "at": at,
        "cause": cause,
        "data": data,
        "prev": prev,
        "stream": stream_id,
        "type": evt.type_name,
        "version": version,
    }
    type_version = evt.class_version
    if type_version != 1:
        body["type_version"] = type_version
    raw = canonical_bytes(body)
    return Record(stream, version, evt.type_name, at, data, cause, prev, raw, stream_id,
                  type_version)


def to_stored(record: Record) -> StoredEvent:
    return StoredEvent(
        originator_id=record.stream,
        originator_version=record.version,
        topic=record.type,
        state=record.raw,
    )


class RecordFormatError(ValueError):
    """Stored bytes that are not a well-formed ledger record."""


def decode_stored(stored: StoredEvent) -> Record:
    """Decode a stored row; raises RecordFormatError naming what is wrong."""
    raw = bytes(stored.state)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RecordFormatError(f"state is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise RecordFormatError("state is not a JSON object")
    column = stored.originator_id
    try:
        text = body["stream"]
        # Parsing a UUID costs more than the rest of this function: when the row's column
        # already holds the UUID its bytes name, take it (the common case by far).
        canonical = isinstance(column, UUID) and str(column) == text
        stream = column if isinstance(column, UUID) and canonical else UUID(text)
        record = Record(
            stream, int(body["version"]), str(body["type"]), str(body["at"]),
            body["data"], body["cause"], body["prev"], raw, text if canonical else "",
            stored_type_version(body),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise RecordFormatError(f"state lacks or mangles a field ({exc!r})") from None
    if stream is not column and record.stream != UUID(str(column)):
        raise RecordFormatError(
            f"row belongs to stream {stored.originator_id} but its bytes say {record.stream}"
        )
    if record.version != stored.originator_version:
        raise RecordFormatError(
            f"row is version {stored.originator_version} but its bytes say {record.version}"
        )
    if record.type != stored.topic:
        raise RecordFormatError(f"row topic {stored.topic} but its bytes say {record.type}")
    return record


class LedgerMapper(Mapper[UUID]):
    """eventsourcing's Mapper seam, so its notification readers yield :class:`Record`."""

    def __init__(self, transcoder: Transcoder) -> None:
        super().__init__(transcoder=transcoder)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if not isinstance(domain_event, Record):
            raise TypeError("the ledger stores Records built by"
                            " ledger.integrity.mapper.encode_record")
        return to_stored(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode_stored(stored_event)
