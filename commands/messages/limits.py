"""Every bound the wire format enforces, in one place ("Bounds" in docs/commands.md).

Decoding checks these before any other work, so no input can make the ledger spend
unbounded memory or time, or crash, before it is answered. ``MAX_RECORD_BYTES`` is the
default of the record-size setting; the others are fixed by the format.
"""

from __future__ import annotations

from ledger.domain.text import MAX_QUOTE as MAX_QUOTE  # characters of a bad value a refusal quotes

# Dates and instants are the domain's own bounds (ledger.integrity.canonical); repeated here so
# this module lists every limit.
from ledger.integrity.canonical import MAX_INSTANT_YEAR as MAX_INSTANT_YEAR
from ledger.integrity.canonical import MAX_OFFSET_MINUTES as MAX_OFFSET_MINUTES
from ledger.integrity.canonical import MAX_YEAR as MAX_YEAR
from ledger.integrity.canonical import MIN_INSTANT_YEAR as MIN_INSTANT_YEAR
from ledger.integrity.canonical import MIN_YEAR as MIN_YEAR

# -- whole records -----------------------------------------------------------------------
MAX_RECORD_BYTES = 1024 * 1024
"""A JSON line or Kafka record larger than this (in bytes) is refused unread."""
MAX_DEPTH = 16
"""Arrays and objects nested deeper than this are refused (the deepest command needs 6)."""

# -- text: the longest value of each kind (in characters) --------------------------------
MAX_CODE = 64          # codes, ids, keys, enumerations
MAX_IDENTIFIER = 128   # a dotted licence identifier (at most 94 characters)
MAX_HASH = 128         # file hashes and key material in base64
MAX_NUMBER = 100       # licence, paper and case numbers, holder document numbers
MAX_NAME = 200         # names of people, organisations, operators, places
MAX_TEXT = 2000        # free text: reasons, purposes, descriptions
MAX_FACE_TEXT = 500    # one face value
MAX_FACE_KEY = 64      # one face field name
MAX_PEM = 64 * 1024    # a certificate chain in PEM
MAX_SIGNATURE = 1024   # a command's signature in base64

# -- lists --------------------------------------------------------------------------------
MAX_ITEMS = 100        # any list not named below
MAX_HOLDERS = 32
MAX_USAGE_ENTRIES = 500
MAX_TYPE_CODES = 500   # licence types named by one grant, usage entry or bulk request
MAX_FACE_FIELDS = 100  # face fields of a licence type, and values on one face

# -- numbers ------------------------------------------------------------------------------
MAX_INTEGER = 2**53 - 1
"""Integers are within ±(2^53 - 1): RFC 8785 writes numbers as doubles, exact only so far.
Counts, caps and versions are at least 0."""
