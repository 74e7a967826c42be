"""Every read model the runner keeps, in one list (one place to add a projection)."""

from __future__ import annotations

from projections.base import Projection
from projections.licence_state import LicenceState


def all_projections() -> list[Projection]:
    return [LicenceState()]
