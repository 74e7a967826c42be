"""Importing ledger.integrity.all_events registers every stored event type
(ledger/integrity/all_events.py), so a reader of the whole log can decode any record."""

from __future__ import annotations

import inspect

from ledger.domain.events import EVENT_TYPES, DomainEvent
from ledger.integrity import all_events


def _modules() -> list[object]:
    return [m for _, m in inspect.getmembers(all_events, inspect.ismodule)]


def test_every_event_class_of_every_imported_module_is_registered() -> None:
    modules = _modules()
    assert len(modules) >= 13  # every module of ledger/integrity/all_events.py
    for module in modules:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, DomainEvent) and cls is not DomainEvent
                    and cls.__module__ == module.__name__):  # type: ignore[attr-defined]
                # A shared base (LicenceStatusChanged) is never stored itself: its kinds are.
                base_of_stored = any(sub in EVENT_TYPES.values() for sub in cls.__subclasses__())
                assert EVENT_TYPES.get(name) is cls or base_of_stored, f"{name} not registered"


def test_the_registry_holds_only_events_under_their_own_names() -> None:
    assert len(EVENT_TYPES) >= 40
    for name, cls in EVENT_TYPES.items():
        assert issubclass(cls, DomainEvent) and cls.__name__ == name == cls.type_name
