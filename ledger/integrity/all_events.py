"""Import every module that defines events, so each stored type name decodes.

Readers of the whole log (the auditor, replays, exports) import this one module instead
of depending on whichever modules happen to have been imported before.
"""

from __future__ import annotations

from ledger.domain import (  # noqa: F401 - imported for their @event registrations
    access,
    bulk,
    catalogue,
    corrections,
    departments,
    file_certificates,
    grants,
    indexes,
    licence,
    quality,
)
from ledger.domain import file_records as records  # noqa: F401
from ledger.integrity import receipts, sealing  # noqa: F401 (seals, keys, checkpoints)
