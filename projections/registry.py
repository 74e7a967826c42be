"""Every read model the runner keeps, in one list (one place to add a projection)."""

from __future__ import annotations

from projections.engine.base import Projection
from projections.models.access_log import AccessLog
from projections.models.corrections import CorrectionsQueue
from projections.models.licence_state import LicenceState
from projections.models.public_register import PublicRegister
from projections.models.quality import QualityFindings
from projections.models.statistics import Statistics
from projections.models.wallet import Grants


def all_projections() -> list[Projection]:
    # The runner applies a page projection by projection, in this order. PublicRegister
    # reads the catalogue on a run's first page (then keeps it, see ReadModelWriter.memo);
    # first, that read waits for no writes (on PostgreSQL a read in a pipeline waits for
    # every statement sent before it, and starts the page for real).
    return [PublicRegister(), LicenceState(), AccessLog(), Grants(), CorrectionsQueue(),
            Statistics(), QualityFindings()]
