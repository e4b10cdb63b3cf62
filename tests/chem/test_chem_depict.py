"""Depiction to SVG/PNG bytes."""

from __future__ import annotations

import struct
import zlib

import pytest
from rdkit import Chem

from cryodesk.chem import depict_png, depict_svg

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_header_and_first_pixel(png: bytes) -> tuple[tuple[int, int, int], bytes]:
    """(width, height, colour type) and the raw bytes of the top-left pixel."""
    pos, idat, header = 8, b"", None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, _depth, colour, *_ = struct.unpack(">IIBBBBB", data)
            header = (width, height, colour)
        elif kind == b"IDAT":
            idat += data
    raw = zlib.decompress(idat)
    # Row 0's first pixel is stored unchanged by every PNG filter except Average; skip the filter byte.
    channels = 4 if header[2] == 6 else 3
    return header, raw[1 : 1 + channels]


def test_svg_is_valid_and_sized():
    svg = depict_svg("OCC(O)CO", 240, 160)
    text = svg.decode("utf-8")
    assert text.startswith("<?xml") and "encoding='UTF-8'" in text
    assert "width='240px'" in text and "height='160px'" in text
    assert text.rstrip().endswith("</svg>")


def test_png_has_magic_bytes_size_and_white_background():
    png = depict_png("CS(C)=O", 200, 150)
    assert png.startswith(PNG_MAGIC)
    header, pixel = png_header_and_first_pixel(png)
    assert header[:2] == (200, 150)
    assert pixel[:3] == b"\xff\xff\xff"


def test_transparent_png_has_a_clear_background():
    header, pixel = png_header_and_first_pixel(depict_png("CCO", background="transparent"))
    assert header[2] == 6  # RGBA
    assert pixel[3] == 0


def test_transparent_svg_has_no_background_rectangle():
    assert b"<rect" in depict_svg("CCO")
    assert b"<rect" not in depict_svg("CCO", background="transparent")


def test_depiction_is_deterministic_for_text_and_molecules():
    assert depict_svg("C[C@H](N)C(=O)O") == depict_svg("C[C@H](N)C(=O)O")
    assert depict_png("C[C@H](N)C(=O)O") == depict_png(Chem.MolFromSmiles("C[C@H](N)C(=O)O"))


def test_molecule_is_not_modified():
    mol = Chem.MolFromSmiles("c1ccccc1O")
    depict_png(mol)
    assert mol.GetNumConformers() == 0


def test_dark_mode_and_highlights_draw():
    assert depict_svg("c1ccccc1O", dark=True, highlight_atoms=[6, 99]).startswith(b"<?xml")


@pytest.mark.parametrize(
    ("structure", "size"),
    [
        (None, (100, 100)),
        ("C1CC", (100, 100)),
        ("", (100, 100)),
        (Chem.Mol(), (100, 100)),
        (42, (100, 100)),
        ("CCO", (0, 100)),
        ("CCO", (100, 100_000)),
    ],
)
def test_bad_input_gives_none(structure, size):
    assert depict_svg(structure, *size) is None
    assert depict_png(structure, *size) is None


def test_bad_background_gives_none():
    assert depict_svg("CCO", background="blue") is None
