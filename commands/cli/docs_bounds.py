"""The "Bounds and text" section of ``docs/commands.md``, written from the limits themselves."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, get_args, get_origin

from commands.messages import limits as L
from commands.messages.wire_types import Items, Range, Shape, Text


def render_bounds() -> list[str]:
    return [
        "## Bounds and text", "",
        "Decoding checks these before any other work (`commands/messages/limits.py` lists them all;"
        " `commands/messages/wire_types.py` gives each field its kind; the JSON Schema carries the"
        " lengths, counts, ranges and the part of the text policy a pattern can say)."
        " Whatever arrives, the answer is one result: an envelope that breaks a bound is"
        " rejected `invalid_command` (`malformed_json` when it is not JSON at all) with the"
        f" field's path and at most {L.MAX_QUOTE} characters of the bad value, escaped.", "",
        "| bound | limit |", "|---|---|",
        f"| one record (JSON line, Kafka value) | {L.MAX_RECORD_BYTES} bytes by default"
        " (a setting), refused unread |",
        f"| nesting of arrays and objects | {L.MAX_DEPTH} levels |",
        f"| text of kind `code` (codes, ids, keys, enumerations) | {L.MAX_CODE} characters;"
        f" a licence identifier {L.MAX_IDENTIFIER}, a hash or key {L.MAX_HASH},"
        f" a signature {L.MAX_SIGNATURE} |",
        f"| `number` (licence, paper, case and document numbers) | {L.MAX_NUMBER} characters |",
        f"| `name` (people, organisations, operators, places) | {L.MAX_NAME} characters;"
        f" other plain text fields of a catalogue definition {L.MAX_TEXT} |",
        f"| `text` (reasons, purposes, descriptions) | {L.MAX_TEXT} characters;"
        f" a face value {L.MAX_FACE_TEXT}, a face field name {L.MAX_FACE_KEY} |",
        f"| `pem` (a certificate chain) | {L.MAX_PEM} characters |",
        f"| holders of one licence | {L.MAX_HOLDERS} |",
        f"| usage-list entries | {L.MAX_USAGE_ENTRIES} |",
        f"| licence types named by one grant or bulk request | {L.MAX_TYPE_CODES} |",
        f"| face fields of a licence type; values on one face | {L.MAX_FACE_FIELDS} |",
        f"| any other list | {L.MAX_ITEMS} entries |",
        f"| integers | within ±{L.MAX_INTEGER} (2^53 - 1, exact in RFC 8785); counts,"
        " caps and versions at least 0 (template versions at least 1) |",
        f"| dates (`YYYY-MM-DD`, digits 0-9) and months (`YYYY-MM`) | years {L.MIN_YEAR}.."
        f"{L.MAX_YEAR}, real calendar dates |",
        "| instants (`issued_at`: `YYYY-MM-DDTHH:MM:SS[.f](Z\\|±HH:MM)`, digits 0-9) | years"
        f" {L.MIN_INSTANT_YEAR}..{L.MAX_INSTANT_YEAR}, offsets at most"
        f" ±{L.MAX_OFFSET_MINUTES // 60:02d}:00 |",
        "| area codes | exactly 6 digits 0-9 |", "",
        "One text policy (`ledger/domain/text.py`) applies to every text value. Never allowed:"
        " control characters (NUL and all of Unicode category Cc; only `text` may hold line"
        " feeds and tabs), lone surrogates, format characters (category Cf: zero-width"
        " spaces and joiners, bidirectional embeddings, overrides and isolates U+202A-202E"
        " and U+2066-2069, the byte-order mark, soft hyphens), private-use and unassigned"
        " code points, line and paragraph separators, Hangul fillers, variation selectors"
        " and the braille blank. `code` and `pem` are printable ASCII (`code` without"
        " spaces, `pem` with line breaks). `number` and `name` allow any script but only"
        " the ordinary space, single and inside; `number` refuses combining marks and"
        " `name` must be in NFC (precomposed) form; in both, every digit is 0-9 once"
        " folded by NFKC (full-width digits fold; Arabic-Indic and other digits are"
        " refused). Values are refused, never repaired: the ledger stores what was signed.", "",
        "A JSON object may name each member only once (I-JSON, RFC 7493): a repeated name"
        " is refused (`invalid_command`), wherever it is, never read as its last value.", "",
        "Base64 values (the signature, public keys) are taken only in their one canonical"
        " spelling: standard alphabet, padded, the unused bits of the last character zero,"
        " so one signature cannot be sent as several strings.", "",
        "Licence numbers are unique per licence type after NFKC folding (full-width and"
        " half-width forms are the same number), with Greek and Cyrillic letters drawn like"
        " Latin ones (Cyrillic А, Greek Ο, …: the single-letter confusables of Unicode's"
        " UTS #39, listed in `ledger/domain/text.py`) read as those Latin letters and white space"
        " collapsed, so two numbers that look the same are the same number. Letters and"
        " digits that merely resemble each other inside one script (O and 0, l and 1) stay"
        " different. A holder's document number (other than a USCC or citizen ID, which"
        " have their own alphabet and check) is taken only in NFKC form without such"
        " twins, so one document takes one holder slot.", "",
    ]


def describe_type(annotation: Any) -> str:
    """A field's wire type for the docs: ``code ≤64``, ``date``, ``list ≤32 of Holder``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, rule = get_args(annotation)[:2]
        if isinstance(rule, Text):
            return rule.form or f"{rule.kind} ≤{rule.max_len}"
        if isinstance(rule, Range):
            return "count" if rule.low == 0 else f"integer ≥{rule.low}" if rule.low > 0 \
                else "integer"
        if isinstance(rule, Items) and get_origin(base) is tuple:
            return f"list ≤{rule.max_items} of {describe_type(get_args(base)[0])}"
        if isinstance(rule, Items):
            return f"face: ≤{rule.max_items} field name → text or integer"
        if isinstance(rule, Shape):
            return rule.name or rule.cls.__name__
    if origin in (typing.Union, types.UnionType):
        options = [describe_type(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(options) + (" or null" if type(None) in get_args(annotation) else "")
    if annotation is str:
        return f"name ≤{L.MAX_TEXT}"
    if origin is tuple:
        return f"list ≤{L.MAX_ITEMS} of {describe_type(get_args(annotation)[0])}"
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)
