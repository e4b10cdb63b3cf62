"""Write compounds with data fields to an SDF file (for exports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from rdkit import Chem
from rdkit.Chem import rdDepictor


def write_sdf(path: Path, records: Iterable[tuple[str, str, Mapping[str, str]]]) -> tuple[int, list[str]]:
    """Write (title, SMILES, fields) records; returns (written, problems) — a bad SMILES is skipped and named."""
    written, problems = 0, []
    with Chem.SDWriter(str(path)) as writer:
        for title, smiles, fields in records:
            mol = Chem.MolFromSmiles(smiles)
            if mol is None:
                problems.append(f"{title}: SMILES not readable, not exported")
                continue
            rdDepictor.Compute2DCoords(mol)
            mol.SetProp("_Name", title)
            for key, value in fields.items():
                mol.SetProp(key, value)
            writer.write(mol)
            written += 1
    return written, problems
