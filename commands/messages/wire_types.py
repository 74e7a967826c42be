"""The field types of the wire format: every value has a kind, a length and a range.

Command fields are annotated with these (``Annotated`` aliases over ``str``, ``int`` and
tuples); :mod:`commands.messages.fields` decodes by them and
:mod:`commands.cli.schema_gen` writes them into the JSON Schema, so the decoder and the
published schema give the same bounds. The bounds themselves are in
:mod:`commands.messages.limits`, the text kinds in :mod:`ledger.domain.text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from commands.messages import limits
from ledger.domain import text as policy


@dataclass(frozen=True)
class Text:
    """Text of a :mod:`ledger.domain.text` kind, at most ``max_len`` characters, in ``form``."""

    kind: str
    max_len: int
    form: str | None = None  # "date", "area_code", "period": a fixed ASCII shape


@dataclass(frozen=True)
class Items:
    """A list (or an object's members) of at most ``max_items`` entries."""

    max_items: int


@dataclass(frozen=True)
class Range:
    """An integer within ``low``..``high``."""

    low: int
    high: int


@dataclass(frozen=True)
class Shape:
    """A JSON object checked against a dataclass but kept as a frozen mapping.

    With ``only``, the object gives any non-empty subset of those fields of ``cls`` (a
    change names only what changes); ``name`` is its name in the schema.
    """

    cls: type
    only: tuple[str, ...] = ()
    name: str = ""


# -- text ---------------------------------------------------------------------------------
Code = Annotated[str, Text(policy.CODE, limits.MAX_CODE)]
Identifier = Annotated[str, Text(policy.CODE, limits.MAX_IDENTIFIER)]
Hash = Annotated[str, Text(policy.CODE, limits.MAX_HASH)]
Number = Annotated[str, Text(policy.NUMBER, limits.MAX_NUMBER)]
Name = Annotated[str, Text(policy.NAME, limits.MAX_NAME)]
FreeText = Annotated[str, Text(policy.TEXT, limits.MAX_TEXT)]
Pem = Annotated[str, Text(policy.PEM, limits.MAX_PEM)]
Date = Annotated[str, Text(policy.CODE, 10, "date")]
AreaCode = Annotated[str, Text(policy.CODE, 6, "area_code")]
Period = Annotated[str, Text(policy.CODE, 7, "period")]

# -- numbers ------------------------------------------------------------------------------
Count = Annotated[int, Range(0, limits.MAX_INTEGER)]
Positive = Annotated[int, Range(1, limits.MAX_INTEGER)]

# -- lists --------------------------------------------------------------------------------
Codes = Annotated[tuple[Code, ...], Items(limits.MAX_ITEMS)]
TypeCodes = Annotated[tuple[Code, ...], Items(limits.MAX_TYPE_CODES)]
Hashes = Annotated[tuple[Hash, ...], Items(limits.MAX_ITEMS)]
FaceKeys = Annotated[tuple[Annotated[str, Text(policy.NAME, limits.MAX_FACE_KEY)], ...],
                     Items(limits.MAX_FACE_FIELDS)]

# -- a licence's face: field name → text or integer (null: no value) ------------------------
FaceValue = (Annotated[str, Text(policy.TEXT, limits.MAX_FACE_TEXT)]
             | Annotated[int, Range(-limits.MAX_INTEGER, limits.MAX_INTEGER)] | None)
Face = Annotated[Mapping[Annotated[str, Text(policy.NAME, limits.MAX_FACE_KEY)], FaceValue],
                 Items(limits.MAX_FACE_FIELDS)]

