"""Structure depiction to SVG or PNG bytes, for table cells, detail panels and reports.

The GUI turns the bytes into a pixmap (RDKit's own Qt drawer needs PyQt's sip, which a PySide6
build does not have). Drawings are deterministic: 2D coordinates are always computed by RDKit's own
depictor in canonical orientation (never CoordGen, whose use is a process-wide switch), unless the
caller asks to keep coordinates a file already drew. A small drawing takes a few milliseconds, fine
for drawing the visible rows of a table on demand; the caller caches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from rdkit import Chem
from rdkit.Chem import rdDepictor

from cryodesk.chem.parse import parse_structure
from cryodesk.chem.rdkit_log import capture_rdkit_log

Background = Literal["white", "transparent"]
MAX_SIZE: Final = 4096

_WHITE: Final = (1.0, 1.0, 1.0, 1.0)
_CLEAR: Final = (1.0, 1.0, 1.0, 0.0)


def depict_svg(
    structure: Chem.Mol | str | None,
    width: int = 300,
    height: int = 200,
    *,
    background: Background = "white",
    dark: bool = False,
    highlight_atoms: Sequence[int] = (),
    keep_coords: bool = False,
) -> bytes | None:
    """Draw a structure as SVG.

    Args:
        structure: an RDKit molecule, or structure text (SMILES, InChI or molblock).
        width: drawing width in pixels (1..4096).
        height: drawing height in pixels (1..4096).
        background: ``"white"`` or ``"transparent"``.
        dark: light-on-dark colours for a dark theme (background then dark unless transparent).
        highlight_atoms: atom indices to highlight, e.g. a substructure match.
        keep_coords: draw with the molecule's own 2D coordinates if it has them (e.g. from an SD
            file) instead of computing fresh ones.

    Returns:
        UTF-8 SVG bytes, or None when the structure cannot be read or drawn.
    """
    return _depict(structure, width, height, "svg", background, dark, highlight_atoms, keep_coords)


def depict_png(
    structure: Chem.Mol | str | None,
    width: int = 300,
    height: int = 200,
    *,
    background: Background = "white",
    dark: bool = False,
    highlight_atoms: Sequence[int] = (),
    keep_coords: bool = False,
) -> bytes | None:
    """Draw a structure as PNG (arguments as for :func:`depict_svg`).

    Returns:
        PNG bytes, or None when the structure cannot be read or drawn.
    """
    return _depict(structure, width, height, "png", background, dark, highlight_atoms, keep_coords)


def _depict(
    structure: Chem.Mol | str | None,
    width: int,
    height: int,
    fmt: str,
    background: str,
    dark: bool,
    highlight_atoms: Sequence[int],
    keep_coords: bool,
) -> bytes | None:
    if not _valid_size(width) or not _valid_size(height) or background not in ("white", "transparent"):
        return None
    with capture_rdkit_log():
        try:
            mol = _drawable(structure, keep_coords)
            if mol is None:
                return None
            highlights = [i for i in highlight_atoms if 0 <= i < mol.GetNumAtoms()]
            return _draw(mol, width, height, fmt, background, dark, highlights)
        except Exception:  # a drawing failure must leave an empty cell, not a broken table
            return None


def _valid_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIZE


def _drawable(structure: Chem.Mol | str | None, keep_coords: bool) -> Chem.Mol | None:
    """A copy of the molecule with 2D coordinates and wedges, or None."""
    if isinstance(structure, Chem.Mol):
        mol = Chem.Mol(structure)
    elif isinstance(structure, str):
        mol = parse_structure(structure).mol
    else:
        return None
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    if not (keep_coords and _has_2d_conformer(mol)):
        rdDepictor.Compute2DCoords(mol, canonOrient=True, clearConfs=True, forceRDKit=True)
    from rdkit.Chem.Draw import rdMolDraw2D

    try:
        return rdMolDraw2D.PrepareMolForDrawing(mol, kekulize=True)
    except Exception:  # some valid aromatic systems do not kekulize; draw them aromatic
        return rdMolDraw2D.PrepareMolForDrawing(mol, kekulize=False)


def _has_2d_conformer(mol: Chem.Mol) -> bool:
    return mol.GetNumConformers() > 0 and not mol.GetConformer().Is3D()


def _draw(
    mol: Chem.Mol, width: int, height: int, fmt: str, background: str, dark: bool, highlights: list[int]
) -> bytes:
    # Imported here: the drawing module adds ~0.1 s to start-up and only the GUI and reports draw.
    from rdkit.Chem.Draw import rdMolDraw2D

    if fmt == "svg":
        drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    else:
        drawer = rdMolDraw2D.MolDraw2DCairo(width, height)
    options = drawer.drawOptions()
    if dark:
        rdMolDraw2D.SetDarkMode(options)
    if background == "transparent":
        options.setBackgroundColour(_CLEAR)
        options.clearBackground = fmt == "png"  # PNG: clear to alpha 0; SVG: simply no background rect
    elif not dark:
        options.setBackgroundColour(_WHITE)
    # Metadata would embed the molecule in the image; it makes bytes larger and is not needed.
    options.includeMetadata = False
    options.prepareMolsBeforeDrawing = False  # done in _drawable, with a kekulize fallback
    drawer.DrawMolecule(mol, highlightAtoms=highlights)
    drawer.FinishDrawing()
    text = drawer.GetDrawingText()
    if isinstance(text, str):
        # RDKit declares Latin-1 but the text is Python str; say what we actually encode.
        return text.replace("encoding='iso-8859-1'", "encoding='UTF-8'", 1).encode("utf-8")
    return bytes(text)
