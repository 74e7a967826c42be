"""Upcasters: bring an event's stored data up to its type's current class version.

Stored events are never rewritten (their bytes are hashed, chained, sealed and covered by
checkpoints). When an event type changes its fields, its class gets ``class_version``
one higher and one upcaster is registered here for the step from the previous version:
``(type name, from_version) -> function(data) -> data at from_version + 1``. Decoding
applies the steps in turn, from the version the event was stored at to the current one.
A step must be a pure function of the data (no clock, no lookups): the audit and the
replay apply it to the same stored bytes years apart. See docs/integrity.md, "Event
evolution".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]

STEPS: dict[tuple[str, int], Upcaster] = {}
"""Every registered step: (type name, version it reads) -> function giving the next one."""


class UpcastError(TypeError):
    """Stored data that cannot be brought to its type's current version.

    A TypeError, like data that does not fit its event class: every reader that reports
    such data ("does not fit ...") reports this too, with the type and versions named.
    """


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register the decorated function as the step from ``from_version`` of ``type_name``."""
    def register(step: Upcaster) -> Upcaster:
        register_step(type_name, from_version, step)
        return step
    return register


def register_step(type_name: str, from_version: int, step: Upcaster,
                  steps: dict[tuple[str, int], Upcaster] | None = None) -> None:
    table = STEPS if steps is None else steps
    if not isinstance(from_version, int) or isinstance(from_version, bool) or from_version < 1:
        raise ValueError(f"upcaster of {type_name}: from_version must be a whole number"
                         f" from 1, not {from_version!r}")
    if (type_name, from_version) in table:
        raise RuntimeError(f"upcaster of {type_name} from version {from_version}"
                           " registered twice")
    table[(type_name, from_version)] = step


def upcast(type_name: str, data: Data, stored: int, current: int,
           steps: Mapping[tuple[str, int], Upcaster] | None = None) -> Data:
    """``data`` stored at version ``stored`` of ``type_name``, brought to ``current``.

    Raises UpcastError when the stored version is not a version at all, is newer than this
    code knows (the data was written by newer software), or a step of the chain is missing.
    """
    if stored == current:
        return data
    table = STEPS if steps is None else steps
    if not isinstance(stored, int) or isinstance(stored, bool) or stored < 1:
        raise UpcastError(f"{type_name} stored with type version {stored!r}, which is not"
                          " a version (a whole number from 1)")
    if stored > current:
        raise UpcastError(f"{type_name} stored at type version {stored}, newer than the"
                          f" version {current} this software knows: read it with the"
                          " software that wrote it or a later one")
    for version in range(stored, current):
        step = table.get((type_name, version))
        if step is None:
            raise UpcastError(f"{type_name} stored at type version {stored} cannot reach"
                              f" version {current}: no upcaster from version {version} to"
                              f" {version + 1}")
        data = step(dict(data))
    return data


def missing_steps(versions: Mapping[str, int],
                  steps: Mapping[tuple[str, int], Upcaster] | None = None) -> list[str]:
    """The steps absent from the chains of ``versions`` (type name -> class version)."""
    table = STEPS if steps is None else steps
    return [f"{name} {v}->{v + 1}" for name, current in sorted(versions.items())
            for v in range(1, current) if (name, v) not in table]
