"""One text policy for everything the ledger accepts: text is what it looks like.

Each piece of text is checked as one of five kinds. Every kind refuses what cannot be
seen or would change how neighbouring text is shown: control characters (NUL and the rest
of Unicode category Cc), lone surrogates (Cs), format characters (Cf: zero-width spaces
and joiners, bidirectional embeddings, overrides and isolates U+202A-202E and U+2066-2069,
the byte-order mark U+FEFF, soft hyphens), private-use and unassigned code points, line
and paragraph separators, and a few invisible letters (Hangul fillers, variation
selectors, the combining grapheme joiner, the braille blank).

- ``code``: identifiers, codes, keys, hashes, enumerations: printable ASCII, no spaces.
- ``number``: licence and paper numbers, case numbers, holder document numbers. Any
  script (Chinese numbers carry Chinese text and full-width brackets), single ordinary
  spaces inside only, no combining marks, and every digit, once folded by NFKC, is an
  ASCII digit (full-width digits fold; Arabic-Indic and other digits are refused).
- ``name``: names of people, organisations, operators and places: as ``number`` but
  combining marks are allowed when the text is in NFC (precomposed) form.
- ``text``: free text (reasons, purposes, descriptions, face values): also line feeds,
  tabs and any Unicode space; not otherwise restricted beyond the common rules.
- ``pem``: PEM certificates: printable ASCII with line breaks.

Values are refused, never repaired: what is stored is exactly what the department signed.
Numbers and codes are compared through :func:`comparison_key` (NFKC, Greek and Cyrillic
letters drawn like Latin ones folded to them, then spaces collapsed), so two numbers that
look the same claim the same uniqueness slot.
"""

from __future__ import annotations

import unicodedata

CODE, NUMBER, NAME, TEXT, PEM = "code", "number", "name", "text", "pem"
KINDS = (CODE, NUMBER, NAME, TEXT, PEM)

# Not category Cf, yet invisible or blank wherever they appear (Unicode's
# Default_Ignorable_Code_Point letters, variation selectors, and the braille blank).
_INVISIBLE = frozenset((
    0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0,
    *range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0),
))
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible format character (zero-width, bidirectional or byte-order mark)",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
_TEXT_WHITESPACE = "\n\t"
_PEM_WHITESPACE = "\n\r"
MAX_QUOTE = 64


class TextPolicyError(ValueError):
    """Text that breaks the policy; the message names the character and its position."""


def quote(value: object, limit: int = MAX_QUOTE) -> str:
    """A short, escaped rendering of ``value`` for an error message.

    At most ``limit`` characters of the value are shown, between quotes, with every
    character a reader could not see (controls, surrogates, format and invisible
    characters, spaces other than U+0020, combining marks) written as a ``\\x``, ``\\u``
    or ``\\U`` escape, so a refusal never echoes a huge or invisible value back.
    """
    if isinstance(value, int) and abs(value) >= 10**20:
        return f"an integer of {value.bit_length()} bits"  # str() refuses huge integers
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
    shown = "'" + "".join(map(_escape, value[:limit])) + "'"
    return shown if len(value) <= limit else f"{shown}… ({len(value)} characters)"


def _escape(ch: str) -> str:
    if ch in "\\'":
        return "\\" + ch
    if ch.isprintable() and ord(ch) not in _INVISIBLE and not unicodedata.category(
            ch).startswith("M"):
        return ch
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _refusal(ch: str, kind: str) -> str | None:
    """Why ``ch`` may not appear in text of ``kind``, or None if it may."""
    cp = ord(ch)
    if kind in (CODE, PEM):
        if 0x21 <= cp <= 0x7E or (kind == PEM and (ch == " " or ch in _PEM_WHITESPACE)):
            return None
        # Say what the reader cannot see: full-width forms and other digits look right.
        if unicodedata.east_asian_width(ch) == "F":
            return "full-width; use half-width ASCII"
        if unicodedata.category(ch) == "Nd":
            return "a non-ASCII digit; write digits 0-9"
        return "not allowed here: only printable ASCII" + (
            " and line breaks" if kind == PEM else ", without spaces")
    if kind == TEXT and ch in _TEXT_WHITESPACE:
        return None
    category = unicodedata.category(ch)
    if category in _REFUSED_CATEGORIES:
        return f"{_REFUSED_CATEGORIES[category]}, which is never allowed"
    if cp in _INVISIBLE:
        return "invisible, which is never allowed"
    if category == "Zs" and ch != " " and kind != TEXT:
        return "a space other than the ordinary space (U+0020); use an ordinary space"
    if kind == NUMBER and category.startswith("M"):
        return "a combining mark, which numbers may not contain"
    if kind in (NUMBER, NAME) and category == "Nd" and not "0" <= ch <= "9" and not (
            "0" <= unicodedata.normalize("NFKC", ch) <= "9"):
        return "a non-ASCII digit; write digits 0-9"
    return None


def check_text(value: str, kind: str) -> str:
    """Return ``value`` if it follows the policy for ``kind``, else raise TextPolicyError."""
    if kind not in KINDS:
        raise TypeError(f"unknown text kind {kind!r}")  # a programming error
    # The common case, in C: printable ASCII.
    if not (value.isascii() and value.isprintable() and (kind != CODE or " " not in value)):
        _check_characters(value, kind)
        if kind == NAME and unicodedata.normalize("NFC", value) != value:
            raise TextPolicyError("is not in NFC form (a letter followed by a separate"
                                  " combining mark); write the precomposed characters")
    if kind in (NUMBER, NAME) and (value != value.strip(" ") or "  " in value):
        raise TextPolicyError("has a space at either end or two spaces in a row")
    return value


# Characters already found acceptable, per kind: most text repeats a small repertoire
# (the common CJK characters), so each is looked up in the Unicode database only once.
_ACCEPTED: dict[str, set[str]] = {kind: set() for kind in KINDS}
_MAX_ACCEPTED = 1 << 16


def _check_characters(value: str, kind: str) -> None:
    accepted, refused = _ACCEPTED[kind], {}
    for ch in set(value).difference(accepted):
        why = _refusal(ch, kind)
        if why is not None:
            refused[ch] = why
        elif len(accepted) < _MAX_ACCEPTED:
            accepted.add(ch)
    if refused:
        ch = min(refused, key=value.index)  # the first one, as a reader scans
        raise TextPolicyError(f"character {_describe(ch)} at position {value.index(ch) + 1}"
                              f" is {refused[ch]}")


# Greek and Cyrillic letters drawn exactly like a Latin letter (single-letter entries of
# Unicode's confusables.txt, UTS #39). NFKC keeps them apart and the eye does not, so a
# number spelt with them claims the slot of its Latin twin. Written as escapes: printed,
# each line would read "A": "A".
_LATIN_TWINS = str.maketrans({
    # Cyrillic capitals А В Е К М Н О Р С Т У Х Ѕ І Ј Ԛ Ԝ Ү Ӏ
    "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M",
    "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0422": "T",
    "\u0423": "Y", "\u0425": "X", "\u0405": "S", "\u0406": "I", "\u0408": "J",
    "\u051a": "Q", "\u051c": "W", "\u04ae": "Y", "\u04c0": "I",
    # Cyrillic small а е о р с у х ѕ і ј ԛ ԝ һ ӏ
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
    "\u0443": "y", "\u0445": "x", "\u0455": "s", "\u0456": "i", "\u0458": "j",
    "\u051b": "q", "\u051d": "w", "\u04bb": "h", "\u04cf": "l",
    # Greek capitals Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ Ϲ Ϳ, small ο ν ρ
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H",
    "\u0399": "I", "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u039f": "O",
    "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X", "\u03f9": "C",
    "\u037f": "J", "\u03bf": "o", "\u03bd": "v", "\u03c1": "p",
})


def latin_twins(value: str) -> str:
    """``value`` with each Greek or Cyrillic letter drawn like a Latin one made that letter."""
    return value.translate(_LATIN_TWINS)


def comparison_key(value: str) -> str:
    """The form in which two numbers or codes that look the same are equal.

    NFKC folds full-width and half-width forms (``（`` and ``(``, ``２`` and ``2``) and
    compatibility characters; Greek and Cyrillic letters drawn like Latin ones (``А``,
    ``Ο``, ``р``) become those Latin letters; white space is collapsed. Text that passed
    :func:`check_text` has no invisible characters left to tell two keys apart.
    """
    return " ".join(latin_twins(unicodedata.normalize("NFKC", value)).split())


def is_ascii_digits(value: object, length: int | None = None) -> bool:
    """True if ``value`` is text made only of the ASCII digits 0-9 (of ``length``, if given).

    ``str.isdigit`` and ``re``'s ``\\d`` also accept full-width and Arabic-Indic digits.
    """
    return (isinstance(value, str) and value.isascii() and value.isdigit()
            and (length is None or len(value) == length))
