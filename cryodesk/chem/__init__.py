"""Chemistry core: parse, standardise, identify, read structure files, depict.

Every public function is total: bad input gives a result object carrying the reason (or ``None``
for depiction), never an exception, and RDKit's log is captured rather than printed. Identity is
the standard InChIKey of the standardised parent; the rules are in :mod:`cryodesk.chem.standardize`.

This package knows nothing of the store or Qt.
"""

from __future__ import annotations

from cryodesk.chem.depict import depict_png, depict_svg
from cryodesk.chem.identity import (
    FLAG_INORGANIC,
    FLAG_MIXTURE,
    FLAG_MULTI_COMPONENT,
    FLAG_NEUTRALISED,
    FLAG_SALT,
    IdentityResult,
    compound_from_mol,
    compound_from_text,
    compounds_from_smiles,
    compounds_from_texts,
)
from cryodesk.chem.parse import (
    ParseResult,
    detect_kind,
    looks_like_structure,
    parse_inchi,
    parse_molblock,
    parse_smiles,
    parse_structure,
)
from cryodesk.chem.rdkit_log import capture_rdkit_log, mute_rdkit_log
from cryodesk.chem.standardize import STANDARDISATION_VERSION, StandardizeResult, standardize
from cryodesk.chem.structure_files import (
    SdfTextRecord,
    SmilesTextRecord,
    StructureRecord,
    iter_sdf,
    iter_sdf_text_records,
    iter_smiles_file,
    iter_smiles_text_records,
    iter_structure_file,
)

__all__ = [
    "FLAG_INORGANIC",
    "FLAG_MIXTURE",
    "FLAG_MULTI_COMPONENT",
    "FLAG_NEUTRALISED",
    "FLAG_SALT",
    "STANDARDISATION_VERSION",
    "IdentityResult",
    "ParseResult",
    "StandardizeResult",
    "SdfTextRecord",
    "SmilesTextRecord",
    "StructureRecord",
    "capture_rdkit_log",
    "compound_from_mol",
    "compound_from_text",
    "compounds_from_smiles",
    "compounds_from_texts",
    "depict_png",
    "depict_svg",
    "detect_kind",
    "looks_like_structure",
    "iter_sdf",
    "iter_sdf_text_records",
    "iter_smiles_file",
    "iter_smiles_text_records",
    "iter_structure_file",
    "mute_rdkit_log",
    "parse_inchi",
    "parse_molblock",
    "parse_smiles",
    "parse_structure",
    "standardize",
]
