"""Standardise a parsed molecule into the parent structure CryoDesk stores.

The procedure, versioned as :data:`STANDARDISATION_VERSION` and stored with every compound:

1. **Clean up** (RDKit ``rdMolStandardize``, the same steps as ``Cleanup``): remove explicit
   hydrogens (isotopic ones such as deuterium stay), disconnect metals bonded to N/O/halogens,
   apply RDKit's default functional-group normalisations (nitro, azide, N-oxides, ...) and
   reionise so the strongest acid carries the negative charge; stereo is re-perceived.
2. **Fragment parent**: when the input has several fragments (a salt, solvate, hydrate or mixture),
   keep the largest organic fragment (RDKit ``LargestFragmentChooser(preferOrganic=True)``: the
   carbon-containing fragment with most atoms, then highest mass, then SMILES order) and record
   every removed fragment as SMILES. If *no* fragment contains carbon the input is an inorganic
   substance (NaCl, NaNO3, NH4HSO4: these matter in cryobiology) and is kept whole, minus waters
   of hydration; "largest fragment" would have turned sodium chloride into hydrogen chloride.
3. **Neutralise** with RDKit's ``Uncharger``: acids and bases get their neutral form; charges that
   cannot be removed (quaternary ammonium, betaine zwitterions) stay, with a warning if the parent
   keeps a net charge. After a change, clean-up runs again (as RDKit's ``ChargeParent`` does).
4. **Display form of sulfoxides**: RDKit's normaliser writes sulfoxides charge-separated
   (``C[S+](C)[O-]``). We turn them back into ``CS(C)=O``, the form PubChem, the literature and the
   training sets use, so DMSO looks like DMSO. The InChI (and so the identity) is the same either way.

**Identity** (see :mod:`cryodesk.chem.identity`) is the standard InChIKey of this parent.

* *Tautomers* are **not** canonicalised. Standard InChI already merges mobile-hydrogen tautomers
  (keto/enol forms are still distinct, as in PubChem), and RDKit's ``TautomerEnumerator``
  canonicalisation is slow (tens of ms on drug-like molecules), can time out, and may change
  stereo or the structure a user drew. So two inputs that differ only by a mobile H get the same
  key; the stored SMILES is the tautomer the source gave.
* *Stereo* is **kept**: the standard InChIKey includes it, so L- and D-alanine are two compounds and
  racemic or unspecified input (no stereo marks) is a third one. Undefined stereo stays undefined;
  we never guess it.
* *Isotopes* are kept (DMSO-d6 is not DMSO), as the standard InChI does.

Change any of these rules only together with a new :data:`STANDARDISATION_VERSION`, so stored
compounds can be re-standardised.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Final

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

from cryodesk.chem.rdkit_log import capture_rdkit_log

STANDARDISATION_VERSION: Final = "cryodesk-std-1"

WATER_SMILES: Final = "O"

# Reverses RDKit's "Sulfoxide to -S+(O-)-" normalisation, for aliphatic S only (thiophene oxides
# and other aromatic S stay as RDKit writes them).
_SULFOXIDE_TO_S_DOUBLE_O: Final = "Sulfoxide to S=O\t[S+1;X3;!a:1]-[O-1;X1:2]>>[S+0:1]=[O+0:2]"

# Pre-checks that let us skip a step exactly when it would do nothing. Reionize acts on charged
# atoms and on isolated atoms (it charges a bare [Na] to [Na+]).
_HYDROGEN = Chem.MolFromSmarts("[#1]")
_CHARGED = Chem.MolFromSmarts("[!+0]")
_CHARGED_OR_ISOLATED = Chem.MolFromSmarts("[!+0,D0]")
_CARBON = Chem.MolFromSmarts("[#6]")


@dataclass(frozen=True, slots=True)
class StandardizeResult:
    """Outcome of :func:`standardize`.

    Attributes:
        mol: the standardised parent, or None when standardisation failed.
        removed_fragments: SMILES of every fragment dropped from the input (counter-ions, solvents,
            waters, other mixture components), one entry per fragment, as they were after clean-up.
        charge_changed: True when neutralisation changed a charge or protonation state.
        warnings: things worth a look that did not stop standardisation.
        error: why ``mol`` is None; None on success.
        multi_component: the input had more than one fragment (salt, solvate, hydrate or mixture).
        is_salt: the input was a salt: a multi-component input with a charged fragment, or with a
            carbon-free fragment other than water (HCl, H2SO4, a metal, ammonia). A salt written as
            a neutral organic acid plus base (``CCN.OC(=O)C(F)(F)F``) counts as a mixture instead.
        is_mixture: the input had two or more different carbon-containing fragments.
        inorganic: the parent has no carbon atom.
    """

    mol: Chem.Mol | None
    removed_fragments: tuple[str, ...] = ()
    charge_changed: bool = False
    warnings: tuple[str, ...] = ()
    error: str | None = None
    multi_component: bool = False
    is_salt: bool = False
    is_mixture: bool = False
    inorganic: bool = False

    @property
    def ok(self) -> bool:
        """True when a parent structure was produced."""
        return self.mol is not None


class _Tools:
    """The RDKit standardiser objects, built once per thread (building them parses dozens of
    SMARTS, which costs more than standardising a molecule; one per thread because we do not rely
    on RDKit's objects being safe to share)."""

    __slots__ = ("chooser", "metal", "normalizer", "reionizer", "sulfoxide", "uncharger")

    def __init__(self) -> None:
        self.metal = rdMolStandardize.MetalDisconnector()
        self.normalizer = rdMolStandardize.Normalizer()
        self.reionizer = rdMolStandardize.Reionizer()
        self.uncharger = rdMolStandardize.Uncharger(canonicalOrder=True)
        self.chooser = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
        self.sulfoxide = rdMolStandardize.NormalizerFromData(
            _SULFOXIDE_TO_S_DOUBLE_O, rdMolStandardize.CleanupParameters()
        )


_local = threading.local()


def _tools() -> _Tools:
    tools: _Tools | None = getattr(_local, "tools", None)
    if tools is None:
        with capture_rdkit_log():
            tools = _Tools()
        _local.tools = tools
    return tools


@dataclass(slots=True)
class _Fragments:
    """What the fragment step decided."""

    parent: Chem.Mol
    removed: list[str]
    multi_component: bool = False
    is_salt: bool = False
    is_mixture: bool = False


def standardize(mol: Chem.Mol | None) -> StandardizeResult:
    """Standardise ``mol`` into its parent structure (see the module docstring for the rules).

    The input molecule is not modified.

    Args:
        mol: a sanitised RDKit molecule, e.g. ``ParseResult.mol``.

    Returns:
        A :class:`StandardizeResult`; never raises.
    """
    if mol is None:
        return StandardizeResult(None, error="no molecule to standardise")
    if not isinstance(mol, Chem.Mol):
        return StandardizeResult(None, error=f"expected an RDKit molecule, got {type(mol).__name__}")
    if mol.GetNumAtoms() == 0:
        return StandardizeResult(None, error="empty structure (no atoms)")
    try:
        with capture_rdkit_log() as log:
            result = _standardize(mol, _tools(), normalize=True)
            problem = _invalid_reason(result.mol)
        if problem is not None:
            # RDKit's normaliser occasionally returns a structure it cannot kekulize (mesoionic
            # rings such as molsidomine's sydnone imine). Standardise without it, and say so.
            with capture_rdkit_log() as log:
                result = _standardize(mol, _tools(), normalize=False)
                if (second := _invalid_reason(result.mol)) is not None:
                    return StandardizeResult(
                        None, error=f"standardisation gave an invalid structure: {second}"
                    )
            result = replace(
                result, warnings=(f"functional-group normalisation skipped: {problem}", *result.warnings)
            )
    except Exception as exc:  # RDKit raises several unrelated types; the caller needs a reason
        return StandardizeResult(None, error=f"standardisation failed: {_exception_text(exc)}")
    if log.messages:
        result = replace(result, warnings=tuple(dict.fromkeys([*result.warnings, *log.messages])))
    return result


def _invalid_reason(mol: Chem.Mol | None) -> str | None:
    """Why ``mol`` cannot be kekulized (checked on a copy), or None if it can.

    Kekulization is what SMILES output, InChI and depiction all need, and what a bad normalisation
    breaks; a full ``SanitizeMol`` does not catch it (it passes aromatic atoms on single bonds).
    """
    if mol is None:
        return "no structure"
    try:
        Chem.Kekulize(Chem.Mol(mol))
    except Exception as exc:  # KekulizeException carries the reason in its text
        return _exception_text(exc)
    return None


def _standardize(mol: Chem.Mol, tools: _Tools, *, normalize: bool) -> StandardizeResult:
    work, disconnected = _cleanup(Chem.RWMol(mol), tools, normalize=normalize)
    frags = _choose_fragments(work, tools)
    # Copy only when the fragment chooser handed back a new read-only molecule.
    parent = frags.parent if isinstance(frags.parent, Chem.RWMol) else Chem.RWMol(frags.parent)
    charge_changed = False
    if parent.HasSubstructMatch(_CHARGED):
        # A parent with several fragments is an inorganic salt kept whole: its ions are the
        # substance, and uncharging would only rewrite NH4+ HSO4- as NH3 + H2SO4.
        if len(Chem.GetMolFrags(parent)) == 1:
            charge_changed = _neutralise(parent, tools)
        if charge_changed:
            parent, _ = _cleanup(parent, tools, normalize=normalize)
        if parent.HasSubstructMatch(_CHARGED):
            tools.sulfoxide.normalizeInPlace(parent)
            Chem.AssignStereochemistry(parent, cleanIt=True, force=True)
    warnings = []
    if disconnected:
        # Right for salts drawn with covalent metal bonds (CC(=O)O[Na]), crude for coordination
        # compounds (nitroprusside keeps only a cyanide): say so, so nobody trusts it blindly.
        warnings.append("bonds to metal atoms were broken (metals treated as ionic)")
    net = Chem.GetFormalCharge(parent)
    if net != 0:
        warnings.append(f"the parent keeps a net charge of {net:+d} (it has no neutral form)")
    return StandardizeResult(
        mol=parent,
        removed_fragments=tuple(frags.removed),
        charge_changed=charge_changed,
        warnings=tuple(warnings),
        multi_component=frags.multi_component,
        is_salt=frags.is_salt,
        is_mixture=frags.is_mixture,
        inorganic=not parent.HasSubstructMatch(_CARBON),
    )


def _cleanup(mol: Chem.RWMol, tools: _Tools, *, normalize: bool) -> tuple[Chem.RWMol, bool]:
    """RDKit's ``Cleanup`` with cached tools, skipping steps that would not change ``mol``.

    Returns:
        The cleaned molecule and whether bonds to metal atoms were broken.
    """
    if mol.HasSubstructMatch(_HYDROGEN):
        mol = Chem.RWMol(Chem.RemoveHs(mol))
    bonds = mol.GetNumBonds()
    tools.metal.DisconnectInPlace(mol)
    disconnected = mol.GetNumBonds() < bonds
    if normalize:
        tools.normalizer.normalizeInPlace(mol)
    if mol.HasSubstructMatch(_CHARGED_OR_ISOLATED):
        tools.reionizer.reionizeInPlace(mol)
    Chem.AssignStereochemistry(mol, cleanIt=True, force=True)
    return mol, disconnected


def _choose_fragments(mol: Chem.RWMol, tools: _Tools) -> _Fragments:
    """Pick the parent fragment and describe what was removed and what the input was."""
    atom_sets = Chem.GetMolFrags(mol)
    if len(atom_sets) == 1:
        return _Fragments(parent=mol, removed=[])
    pieces = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
    smiles = [Chem.MolToSmiles(piece) for piece in pieces]
    organic = [piece.HasSubstructMatch(_CARBON) for piece in pieces]
    charged = any(Chem.GetFormalCharge(piece) != 0 for piece in pieces)
    inorganic_ion = any(not org and smi != WATER_SMILES for org, smi in zip(organic, smiles, strict=True))
    if any(organic):
        parent = tools.chooser.choose(mol)
        removed = list(smiles)
        chosen = Chem.MolToSmiles(parent)
        if chosen in removed:
            removed.remove(chosen)
    else:
        parent, removed = _drop_waters(mol, atom_sets, smiles)
        # For a kept-whole inorganic salt, the ions themselves are the salt's components.
        inorganic_ion = sum(smi != WATER_SMILES for smi in smiles) > 1
    organic_kinds = {smi for smi, org in zip(smiles, organic, strict=True) if org}
    return _Fragments(
        parent=parent,
        removed=removed,
        multi_component=True,
        is_salt=charged or inorganic_ion,
        is_mixture=len(organic_kinds) > 1,
    )


def _drop_waters(
    mol: Chem.RWMol, atom_sets: tuple[tuple[int, ...], ...], smiles: list[str]
) -> tuple[Chem.Mol, list[str]]:
    """Remove water fragments from a carbon-free input, unless water is all there is."""
    water = [i for i, smi in enumerate(smiles) if smi == WATER_SMILES]
    if not water or len(water) == len(smiles):
        if len(water) == len(smiles) and len(water) > 1:
            # Several waters and nothing else: the substance is water.
            return _keep_fragments(mol, atom_sets, keep={0}), [WATER_SMILES] * (len(water) - 1)
        return mol, []
    keep = set(range(len(smiles))) - set(water)
    return _keep_fragments(mol, atom_sets, keep), [WATER_SMILES] * len(water)


def _keep_fragments(mol: Chem.RWMol, atom_sets: tuple[tuple[int, ...], ...], keep: set[int]) -> Chem.Mol:
    editable = Chem.RWMol(mol)
    doomed = sorted(
        (idx for i, atoms in enumerate(atom_sets) if i not in keep for idx in atoms), reverse=True
    )
    editable.BeginBatchEdit()
    for idx in doomed:
        editable.RemoveAtom(idx)
    editable.CommitBatchEdit()
    Chem.SanitizeMol(editable)
    return editable


def _neutralise(mol: Chem.RWMol, tools: _Tools) -> bool:
    """Uncharge ``mol`` in place; True if any charge or protonation state changed."""
    before = Chem.MolToSmiles(mol)
    tools.uncharger.unchargeInPlace(mol)
    return Chem.MolToSmiles(mol) != before


def _exception_text(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
