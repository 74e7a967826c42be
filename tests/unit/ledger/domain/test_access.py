"""Grant windows open and close at Beijing midnight (ledger/domain/access.py)."""

from __future__ import annotations

import pytest

from ledger.domain.access import check_grant_live
from ledger.domain.grants import FUNCTION, Grant
from ledger.domain.localtime import beijing_date
from ledger.errors import AccessRefusedError

# -- grant windows are Beijing dates ----------------------------------------------------------
GRANT = Grant("G-1", FUNCTION, "dept", valid_from="2026-03-02", valid_until="2026-03-05")


@pytest.mark.parametrize(("instant", "code"), [
    ("2026-03-01T15:59:59Z", "grant_not_yet_valid"),
    ("2026-03-01T16:00:00Z", None),
    ("2026-03-05T15:59:59Z", None),
    ("2026-03-05T16:00:00Z", "grant_expired"),
])
def test_grant_window_edges_fall_at_beijing_midnight(instant: str, code: str | None) -> None:
    today = beijing_date(instant)
    if code is None:
        assert check_grant_live(GRANT, "G-1", today) is GRANT
    else:
        with pytest.raises(AccessRefusedError) as caught:
            check_grant_live(GRANT, "G-1", today)
        assert caught.value.code == code
