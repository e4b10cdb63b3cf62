"""Turn one input structure (SMILES string or RDKit Mol) into a Mol, or a reason why not.

The batch functions of this package take SMILES strings or Mols so that they do not depend on the
standardisation module; a store-backed caller passes the standardised SMILES it already holds.

RDKit reports problems through its C++ log. In a batch of 100,000 molecules that log is noise on
stderr (and a windowed build has no stderr), so batch code runs inside :func:`quiet_rdkit`, which
captures the messages of the *current thread* with ``cryodesk.chem.rdkit_log`` instead of switching
RDKit's log off for the whole process (``rdBase.BlockLogs`` is global: a featurisation in a worker
thread would also silence the GUI thread's parse errors).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from rdkit import Chem, rdBase

try:
    from cryodesk.chem.rdkit_log import capture_rdkit_log
except ImportError:  # pragma: no cover - the capture module is optional for this package
    capture_rdkit_log = None

__all__ = ["Structure", "parse_structure", "quiet_rdkit"]

#: What the batch functions accept per row. None (a missing structure) becomes a failed row.
Structure = str | Chem.Mol | None


def quiet_rdkit() -> AbstractContextManager[Any]:
    """Keep RDKit's log messages out of stderr while a block runs (this thread only, when possible)."""
    if capture_rdkit_log is not None:
        return capture_rdkit_log()
    return rdBase.BlockLogs()


def parse_structure(item: Any) -> tuple[Chem.Mol | None, str | None]:
    """Parse one SMILES (or pass a Mol through) and say why it failed if it did.

    Call it inside :func:`quiet_rdkit` in loops; on its own RDKit's parse errors are logged as usual.

    Returns:
        ``(mol, None)`` on success, ``(None, reason)`` otherwise. The reason is meant for a per-row
        error report, e.g. ``"SMILES syntax error: unclosed ring for input: 'C1CC'"`` or
        ``"sanitization failed: Explicit valence for atom # 0 N, 5, is greater than permitted"``.
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
    mol = Chem.MolFromSmiles(smiles)
    if mol is not None:
        if mol.GetNumAtoms() == 0:
            return None, "empty molecule"
        return mol, None
    return None, _explain_failure(smiles)


def _explain_failure(smiles: str) -> str:
    # Only failures pay for the second parse, so the common path stays one RDKit call.
    if capture_rdkit_log is None:
        raw = Chem.MolFromSmiles(smiles, sanitize=False)
        detail = ""
    else:
        with capture_rdkit_log() as log:  # nested captures get the messages of this block only
            raw = Chem.MolFromSmiles(smiles, sanitize=False)
        detail = log.messages[0].removeprefix("SMILES Parse Error: ") if log.messages else ""
    if raw is None:
        return f"SMILES syntax error: {detail}" if detail else "SMILES syntax error"
    try:
        Chem.SanitizeMol(raw)
    except Exception as exc:  # RDKit raises several sanitisation exception types
        return f"sanitization failed: {exc}"
    return "SMILES could not be parsed"
