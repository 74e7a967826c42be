"""Domain events: immutable past-tense facts, registered by name for decoding.

Events hold only JSON-native values (str, int, bool, None, tuples, dicts) so that
their canonical bytes are well defined. They carry no clock and no identity of their
own: the store adds stream, version, time and cause when it records them.

Each event class has a ``class_version`` (1 unless its fields ever changed). Stored data
of an older version is brought up to the current one by the upcasters of
:mod:`ledger.domain.upcasting` when it is decoded (docs/integrity.md, "Event evolution").
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

from ledger.domain.upcasting import upcast
from ledger.integrity.canonical import freeze

EVENT_TYPES: dict[str, type[DomainEvent]] = {}

E = TypeVar("E", bound="DomainEvent")


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base of every recorded fact. Subclasses are registered with :func:`event`."""

    type_name: ClassVar[str] = "DomainEvent"
    # The version of this class's fields; raise it by one whenever they change, with an
    # upcaster from the previous version (ledger.domain.upcasting).
    class_version: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _field_names(type(self))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() rebuilds its answer on every call: ~4 µs an event.
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def event(cls: type[E]) -> type[E]:
    """Register an event class under its class name (the stored ``type``)."""
    name = cls.__name__
    if name in EVENT_TYPES:
        raise RuntimeError(f"event type {name} registered twice")
    version = cls.class_version
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RuntimeError(f"event type {name}: class_version must be a whole number from 1,"
                           f" not {version!r}")
    cls.type_name = name
    EVENT_TYPES[name] = cls
    return cls


def decode_event(type_name: str, data: dict[str, Any], version: int = 1) -> DomainEvent:
    """Rebuild a registered event from data stored at ``version`` of its type, upcast to
    the class's current version first (KeyError if the type is unknown, TypeError if the
    data does not fit, UpcastError, a TypeError, if it cannot be brought up to date)."""
    cls = EVENT_TYPES[type_name]
    if version != cls.class_version:
        data = upcast(type_name, data, version, cls.class_version)
    return cls(**{k: freeze(v) for k, v in data.items()})
