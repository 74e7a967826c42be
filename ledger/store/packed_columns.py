"""A column of read-model values as one string, split on the server by ``string_to_array``.

A batch's column travels as one string: values joined by SEP, NULL written as NULL_MARK.
Both are control characters no value of the read models holds (JSON escapes them); a
value that does hold one sends its batch row by row instead (ledger.store.sql).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SEP, NULL_MARK = "\x1f", "\x1e"
SEP_SQL, NULL_SQL = "E'\\x1f'", "E'\\x1e'"


def packed(column: Sequence[Any]) -> str | None:
    """``column``'s values as one string for ``string_to_array``, or None if a value holds
    the separator or is the NULL mark (or is of a type that cannot be sent so)."""
    try:
        text = SEP.join(column)  # all strings: the common case, at C speed
    except TypeError:
        if NULL_MARK in column:
            return None
        values = []
        for value in column:
            if value is None:
                values.append(NULL_MARK)
            elif isinstance(value, (str, int)) and not isinstance(value, bool):
                values.append(str(value))
            else:
                return None
        text = SEP.join(values)
    else:
        if NULL_MARK in text and NULL_MARK in column:  # a substring search first: in C
            return None
    if text.count(SEP) != len(column) - 1:
        return None
    return text
