"""Structure identity: from text or molecule to a :class:`cryodesk.domain.Compound`.

Identity is the standard InChIKey of the standardised parent (rules in
:mod:`cryodesk.chem.standardize`). The InChI is computed once and the key is hashed from it, so
each compound costs one InChI run.

:func:`compounds_from_smiles` and :func:`compounds_from_texts` are the bulk entry points for import
jobs: pure functions of picklable input that return picklable :class:`IdentityResult` objects (no
RDKit molecules), so the engine can map them over a ``multiprocessing`` pool in chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from rdkit import Chem
from rdkit.Chem import rdinchi, rdMolDescriptors
from rdkit.Chem.Descriptors import MolWt

from cryodesk.chem.parse import parse_structure
from cryodesk.chem.rdkit_log import capture_rdkit_log
from cryodesk.chem.standardize import STANDARDISATION_VERSION, StandardizeResult, standardize
from cryodesk.domain import Compound

# Flags an import can attach to what it stores (e.g. ``PropertyValue.flags``).
FLAG_SALT: Final = "salt"
FLAG_MIXTURE: Final = "mixture"
FLAG_MULTI_COMPONENT: Final = "multi_component"
FLAG_INORGANIC: Final = "inorganic"
FLAG_NEUTRALISED: Final = "neutralised"

# Standard InChI; AuxInfo is not needed and costs ~15 % of the InChI run.
_INCHI_OPTIONS: Final = "/AuxNone"
_INCHIKEY_LENGTH: Final = 27


@dataclass(frozen=True, slots=True)
class IdentityResult:
    """Outcome of turning one structure into a compound. Picklable; holds no RDKit objects.

    Attributes:
        compound: the compound, or None when any step failed.
        error: why ``compound`` is None (starts with what failed: SMILES/InChI/molblock parse,
            standardisation or InChI generation); None on success.
        warnings: notes from parsing, standardisation and the InChI library (e.g.
            ``"InChI: Omitted undefined stereo"``).
        removed_fragments: SMILES of fragments removed from the input (counter-ions, solvents, ...).
        charge_changed: neutralisation changed a charge or protonation state.
        multi_component: the input had more than one fragment (salt, solvate, hydrate or mixture).
        is_salt: the input was a salt (see :class:`cryodesk.chem.standardize.StandardizeResult`).
        is_mixture: the input held two or more different carbon-containing fragments.
        inorganic: the parent has no carbon atom.
        stage: where it failed: ``"parse"``, ``"standardize"`` or ``"identity"``; None on success.
    """

    compound: Compound | None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    removed_fragments: tuple[str, ...] = ()
    charge_changed: bool = False
    multi_component: bool = False
    is_salt: bool = False
    is_mixture: bool = False
    inorganic: bool = False
    stage: str | None = None

    @property
    def ok(self) -> bool:
        """True when a compound was produced."""
        return self.compound is not None

    @property
    def inchikey(self) -> str | None:
        """The compound's InChIKey, or None."""
        return self.compound.inchikey if self.compound is not None else None

    @property
    def flags(self) -> tuple[str, ...]:
        """The set flags as short names (``FLAG_*``), in a fixed order."""
        named = (
            (self.is_salt, FLAG_SALT),
            (self.is_mixture, FLAG_MIXTURE),
            (self.multi_component, FLAG_MULTI_COMPONENT),
            (self.inorganic, FLAG_INORGANIC),
            (self.charge_changed, FLAG_NEUTRALISED),
        )
        return tuple(name for is_set, name in named if is_set)


def compound_from_text(text: object, kind: str = "auto", name: str | None = None) -> IdentityResult:
    """Parse, standardise and identify one structure given as text.

    Args:
        text: SMILES, InChI or molblock (anything else gives an error result).
        kind: ``"auto"`` (detect), ``"smiles"``, ``"inchi"`` or ``"molblock"``.
        name: the compound's name; when None, a name carried by the text (molblock title,
            text after a SMILES) is used.

    Returns:
        An :class:`IdentityResult`; never raises.
    """
    with capture_rdkit_log() as log:
        try:
            parsed = parse_structure(text, kind)
            if parsed.mol is None:
                return IdentityResult(None, error=parsed.error, stage="parse")
            result = _identify(standardize(parsed.mol), _clean_name(name) or parsed.name, parsed.warnings)
        except Exception as exc:  # last line of defence: one odd structure must not stop an import
            return IdentityResult(
                None, error=f"internal error: {type(exc).__name__}: {exc}", stage="identity"
            )
    return _add_warnings(result, log.messages)


def compound_from_mol(mol: Chem.Mol | None, name: str | None = None) -> IdentityResult:
    """Standardise and identify an RDKit molecule (e.g. a record read from an SD file).

    Standardisation is idempotent, so passing an already standardised parent is fine.

    Args:
        mol: the molecule (not modified).
        name: the compound's name; when None, the molecule's ``_Name`` property (if any) is used.

    Returns:
        An :class:`IdentityResult`; never raises.
    """
    with capture_rdkit_log() as log:
        try:
            mol_name = None
            if isinstance(mol, Chem.Mol) and mol.HasProp("_Name"):
                mol_name = mol.GetProp("_Name")
            result = _identify(standardize(mol), _clean_name(name) or _clean_name(mol_name), ())
        except Exception as exc:  # last line of defence, as in compound_from_text
            return IdentityResult(
                None, error=f"internal error: {type(exc).__name__}: {exc}", stage="identity"
            )
    return _add_warnings(result, log.messages)


def compounds_from_smiles(
    texts: Sequence[str], names: Sequence[str | None] | None = None
) -> list[IdentityResult]:
    """Identify many SMILES; the unit of work an import hands to a worker process.

    Args:
        texts: SMILES strings (bad ones give error results in their position).
        names: optional names, one per SMILES.

    Returns:
        One :class:`IdentityResult` per input, in input order.

    Raises:
        ValueError: if ``names`` is given with a different length than ``texts``.
    """
    return compounds_from_texts(texts, kind="smiles", names=names)


def compounds_from_texts(
    texts: Sequence[str], kind: str = "auto", names: Sequence[str | None] | None = None
) -> list[IdentityResult]:
    """Identify many structure texts of one kind (or mixed, with ``kind="auto"``).

    Args:
        texts: SMILES, InChI or molblock strings.
        kind: as for :func:`compound_from_text`.
        names: optional names, one per text.

    Returns:
        One :class:`IdentityResult` per input, in input order.

    Raises:
        ValueError: if ``names`` is given with a different length than ``texts``.
    """
    if names is not None and len(names) != len(texts):
        raise ValueError(f"{len(names)} names for {len(texts)} structures")
    # One capture around the batch: the per-structure captures nest inside it, so RDKit's log
    # switches are set once per batch instead of once per structure.
    with capture_rdkit_log():
        if names is None:
            return [compound_from_text(text, kind) for text in texts]
        return [compound_from_text(text, kind, name) for text, name in zip(texts, names, strict=True)]


def _identify(std: StandardizeResult, name: str | None, parse_warnings: tuple[str, ...]) -> IdentityResult:
    """Build the compound from a standardisation result (which may itself be a failure)."""
    flags = {
        "removed_fragments": std.removed_fragments,
        "charge_changed": std.charge_changed,
        "multi_component": std.multi_component,
        "is_salt": std.is_salt,
        "is_mixture": std.is_mixture,
        "inorganic": std.inorganic,
    }
    warnings = (*parse_warnings, *std.warnings)
    if std.mol is None:
        return IdentityResult(None, error=std.error, warnings=warnings, stage="standardize", **flags)
    parent = std.mol
    inchi, retcode, message, _log, _aux = rdinchi.MolToInchi(parent, _INCHI_OPTIONS)
    message = " ".join(message.split())
    if not inchi or retcode not in (0, 1):
        reason = "InChI generation failed" + (f": {message}" if message else "")
        return IdentityResult(None, error=reason, warnings=warnings, stage="identity", **flags)
    if message:
        warnings = (*warnings, f"InChI: {message}")
    inchikey = rdinchi.InchiToInchiKey(inchi)
    if not inchikey or len(inchikey) != _INCHIKEY_LENGTH:
        return IdentityResult(
            None, error="InChIKey generation failed", warnings=warnings, stage="identity", **flags
        )
    compound = Compound(
        inchikey=inchikey,
        smiles=Chem.MolToSmiles(parent),
        inchi=inchi,
        formula=rdMolDescriptors.CalcMolFormula(parent),
        std_version=STANDARDISATION_VERSION,
        name=name,
        # Rounded so exports and re-imports compare equal as text; 4 decimals exceed any use.
        mol_weight=round(MolWt(parent), 4),
    )
    return IdentityResult(compound, warnings=tuple(dict.fromkeys(warnings)), **flags)


def _add_warnings(result: IdentityResult, extra: list[str]) -> IdentityResult:
    """Append log messages no inner step captured (there are rarely any)."""
    if not extra:
        return result
    return replace(result, warnings=tuple(dict.fromkeys([*result.warnings, *extra])))


def _clean_name(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    stripped = name.strip()
    return stripped or None
