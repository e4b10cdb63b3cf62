"""Turn one input structure (SMILES string or RDKit Mol) into a Mol, or a reason why not.

The batch functions of this package take SMILES strings or Mols so that they do not depend on the
standardisation module; a store-backed caller passes the standardised SMILES it already holds.
"""

from __future__ import annotations

from typing import Any

from rdkit import Chem, rdBase

__all__ = ["Structure", "parse_structure"]

#: What the batch functions accept per row. None (a missing structure) becomes a failed row.
Structure = str | Chem.Mol | None


def parse_structure(item: Any) -> tuple[Chem.Mol | None, str | None]:
    """Parse one SMILES (or pass a Mol through) and say why it failed if it did.

    Returns:
        ``(mol, None)`` on success, ``(None, reason)`` otherwise. The reason is meant for a per-row
        error report ("sanitization failed: Explicit valence for atom # 0 N, 5, ...").
    """
    if isinstance(item, Chem.Mol):
        if item.GetNumAtoms() == 0:
            return None, "empty molecule"
        return item, None
    if item is None:
        return None, "missing structure"
    if not isinstance(item, str):
        return None, f"not a SMILES string or RDKit Mol: {type(item).__name__}"
    smiles = item.strip()
    if not smiles:
        return None, "empty SMILES"
    # RDKit logs parse errors to stderr from C++; in a windowed app there is no stderr, and in a
    # batch of 100,000 the noise hides real problems. The reason goes into the failure list instead.
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
        if mol is not None:
            if mol.GetNumAtoms() == 0:
                return None, "empty molecule"
            return mol, None
        return None, _explain_failure(smiles)


def _explain_failure(smiles: str) -> str:
    # Only failures pay for the second parse, so the common path stays one RDKit call.
    raw = Chem.MolFromSmiles(smiles, sanitize=False)
    if raw is None:
        return "SMILES syntax error"
    try:
        Chem.SanitizeMol(raw)
    except Exception as exc:  # RDKit raises several sanitisation exception types
        return f"sanitization failed: {exc}"
    return "SMILES could not be parsed"
