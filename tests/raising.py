"""The error an action raises, caught whatever it is: the failure classifier's tests
(unit and integration) judge real errors from real code, not constructed ones."""

from __future__ import annotations

from collections.abc import Callable


def raised(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except BaseException as exc:  # the point: whatever it is
        return exc
    raise AssertionError("expected an error")
