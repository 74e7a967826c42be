"""Import every module that defines events, so each stored type name decodes.

Readers of the whole log (the auditor, replays, exports) import this one module instead
of depending on whichever modules happen to have been imported before.
"""

from __future__ import annotations

from ledger import (  # noqa: F401 - imported for their @event registrations
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
    receipts,
    sealing,
    transparency,
)
from ledger.files import records  # noqa: F401
