"""Recorded licence files: hashes, references and formats checked, each recorded once
(ledger/domain/file_records.py)."""

from __future__ import annotations

import pytest

from ledger.domain.file_records import (
    FileIndexed,
    apply_indexed,
    check_format,
    check_hash,
    check_new,
    check_reference,
    file_stream,
    reference_stream,
)
from ledger.errors import AlreadyExistsError, InvalidCommandError

H, REF = "a" * 64, "b" * 32
INDEXED = FileIndexed(H, "original", "pdf", REF, "stream", "ID1", 1, ("c" * 64,), ("I",))


def test_good_values_pass() -> None:
    check_hash("0123456789abcdef" * 4, "file_hash")
    check_reference("0123456789abcdef" * 2, "reference")
    check_format("pdf", "format")
    check_format("ofd", "format")


@pytest.mark.parametrize("value", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "", " " + "a" * 63,
                                   "ａ" * 64])
def test_a_hash_is_64_lower_case_hex_digits(value: str) -> None:
    with pytest.raises(InvalidCommandError, match=r"payload\.file_hash: expected 64 lower-case"):
        check_hash(value, "payload.file_hash")


@pytest.mark.parametrize("value", ["B" * 32, "b" * 31, "b" * 33, "z" * 32, "", "b" * 64])
def test_a_reference_is_32_lower_case_hex_digits(value: str) -> None:
    with pytest.raises(InvalidCommandError, match="reference: expected a 128-bit reference"):
        check_reference(value, "reference")


@pytest.mark.parametrize("value", ["PDF", "docx", "", "pdf "])
def test_only_pdf_and_ofd_are_formats(value: str) -> None:
    with pytest.raises(InvalidCommandError, match="is not one of pdf, ofd"):
        check_format(value, "format")


def test_a_hash_and_a_reference_are_recorded_once_ever() -> None:
    check_new(None, None, H, REF)
    with pytest.raises(AlreadyExistsError, match="is already recorded for ID1"):
        check_new(INDEXED, None, H, REF)
    with pytest.raises(AlreadyExistsError, match="render again with a fresh reference"):
        check_new(None, INDEXED, H, REF)


def test_a_file_index_is_written_once() -> None:
    assert apply_indexed(None, INDEXED) is INDEXED
    with pytest.raises(TypeError, match="FileIndexed does not apply to a file index"):
        apply_indexed(INDEXED, INDEXED)


def test_files_are_found_by_hash_and_by_reference_in_separate_streams() -> None:
    assert file_stream(H) == file_stream(H) != file_stream("c" * 64)
    assert reference_stream(REF) != file_stream(REF)
