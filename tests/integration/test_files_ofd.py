"""The OFD original: a ZIP of XML with the text extractable and the font embedded, signed
by a detached signature over the digest list of every file; tampering is caught."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import Services
from licence_files.ofd_xml import FONT_PATH
from tests.conftest import FakeClock
from tests.integration.test_files_pdf import FileCity, build_file_city, codes

CONTENT = "Doc_0/Pages/Page_0/Content.xml"


@pytest.fixture
def town(services: Services, clock: FakeClock, tmp_path: Path) -> FileCity:
    return build_file_city(services, clock, tmp_path)


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def rezip(files: dict[str, bytes], level: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", level) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_ofd_original_is_valid_extractable_and_embeds_its_font(town: FileCity) -> None:
    data = town.render(town.identifier(), "ofd")
    answer: dict[str, Any] = town.verify(data)
    assert answer["verdict"] == "valid", answer["reasons"]
    assert answer["file"] == {"sha256": answer["file"]["sha256"], "format": "ofd",
                              "kind": "original", "reference": answer["file"]["reference"]}
    files = files_of(data)
    assert next(iter(files)) == "OFD.xml"
    holder = town.scenario.issued[0]
    text = files[CONTENT].decode()
    assert "统一社会信用代码" in text and holder["holder"] in text  # the face, labelled
    assert files[FONT_PATH][:4] == b"\x00\x01\x00\x00"  # an embedded TrueType subset
    assert b"font_0.ttf" in files["Doc_0/PublicRes.xml"]


def test_ofd_tampering_is_caught(town: FileCity) -> None:
    data = town.render(town.identifier(), "ofd")
    files = files_of(data)
    edited = dict(files, **{CONTENT: files[CONTENT].replace("营业".encode(), "经营".encode())})
    assert codes(town.verify(rezip(edited)))[0] == "signature_broken"
    added = dict(files, **{"Doc_0/Res/extra.png": b"\x89PNG"})
    assert codes(town.verify(rezip(added)))[0] == "not_whole_file"
    resaved = town.verify(rezip(files))  # same content, other bytes
    assert resaved["verdict"] == "not_genuine" and codes(resaved) == ["not_recorded"]
    assert "re-saved" in resaved["reasons"][0]["message"]
    assert codes(town.verify(data[:-40]))[0] == "unreadable"
