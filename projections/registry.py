"""Every read model the runner keeps, in one list (one place to add a projection)."""

from __future__ import annotations

from projections.access_log import AccessLog
from projections.base import Projection
from projections.corrections import CorrectionsQueue
from projections.licence_state import LicenceState
from projections.public_register import PublicRegister
from projections.quality import QualityFindings
from projections.statistics import Statistics
from projections.wallet import Grants


def all_projections() -> list[Projection]:
    # The runner applies a page projection by projection, in this order. PublicRegister
    # reads the catalogue on a run's first page (then keeps it, see ReadModelWriter.memo);
    # first, that read waits for no writes (on PostgreSQL a read in a pipeline waits for
    # every statement sent before it, and starts the page for real).
    return [PublicRegister(), LicenceState(), AccessLog(), Grants(), CorrectionsQueue(),
            Statistics(), QualityFindings()]
