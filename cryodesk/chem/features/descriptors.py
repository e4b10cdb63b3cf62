"""2D descriptor feature sets: the fast C++ ``default`` set and the full RDKit list.

Both compute functions take already-parsed Mols and return a float64 matrix plus per-molecule
errors; :mod:`cryodesk.chem.features.batch` does parsing, chunking, parallelism and the float32 cast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

__all__ = [
    "DEFAULT_COLUMNS",
    "DEFAULT_PROPERTY_NAMES",
    "RDKIT2D_FULL_COLUMNS",
    "DescriptorListMismatch",
    "check_rdkit2d_full",
    "compute_default",
    "compute_rdkit2d_full",
    "default_descriptor_functions",
]

RowErrors = list[tuple[int, str]]

# The names rdMolDescriptors.Properties computes, in its order. Fixed here (not read from RDKit at
# run time) so that a different RDKit build cannot silently reorder or drop columns of a cached set.
DEFAULT_PROPERTY_NAMES: tuple[str, ...] = (
    "exactmw", "amw", "lipinskiHBA", "lipinskiHBD", "NumRotatableBonds", "NumHBD", "NumHBA",
    "NumHeavyAtoms", "NumAtoms", "NumHeteroatoms", "NumAmideBonds", "FractionCSP3", "NumRings",
    "NumAromaticRings", "NumAliphaticRings", "NumSaturatedRings", "NumHeterocycles",
    "NumAromaticHeterocycles", "NumSaturatedHeterocycles", "NumAliphaticHeterocycles", "NumSpiroAtoms",
    "NumBridgeheadAtoms", "NumAtomStereoCenters", "NumUnspecifiedAtomStereoCenters", "labuteASA", "tpsa",
    "CrippenClogP", "CrippenMR", "chi0v", "chi1v", "chi2v", "chi3v", "chi4v", "chi0n", "chi1n", "chi2n",
    "chi3n", "chi4n", "hallKierAlpha", "kappa1", "kappa2", "kappa3", "Phi",
)  # fmt: skip

# C++ descriptors that Properties does not cover ("friends"), one call each.
_EXTRA_FUNCTIONS: tuple[tuple[str, Callable[[Chem.Mol], float]], ...] = (
    ("NumAromaticCarbocycles", rdMolDescriptors.CalcNumAromaticCarbocycles),
    ("NumAliphaticCarbocycles", rdMolDescriptors.CalcNumAliphaticCarbocycles),
    ("NumSaturatedCarbocycles", rdMolDescriptors.CalcNumSaturatedCarbocycles),
    ("FormalCharge", Chem.GetFormalCharge),
)

DEFAULT_COLUMNS: tuple[str, ...] = DEFAULT_PROPERTY_NAMES + tuple(name for name, _ in _EXTRA_FUNCTIONS)


def _crippen_logp(mol: Chem.Mol) -> float:
    return rdMolDescriptors.CalcCrippenDescriptors(mol)[0]


def _crippen_mr(mol: Chem.Mol) -> float:
    return rdMolDescriptors.CalcCrippenDescriptors(mol)[1]


def default_descriptor_functions() -> list[tuple[str, Callable[[Chem.Mol], float]]]:
    """The ``default`` set as one RDKit function per column, in column order.

    This is the "naive" way to compute the same numbers (one Python call per descriptor per
    molecule); tests and benchmarks compare :func:`compute_default` against it.
    """
    rd = rdMolDescriptors
    per_property: dict[str, Callable[[Chem.Mol], float]] = {
        "exactmw": rd.CalcExactMolWt, "amw": rd._CalcMolWt, "lipinskiHBA": rd.CalcNumLipinskiHBA,
        "lipinskiHBD": rd.CalcNumLipinskiHBD, "NumRotatableBonds": rd.CalcNumRotatableBonds,
        "NumHBD": rd.CalcNumHBD, "NumHBA": rd.CalcNumHBA, "NumHeavyAtoms": rd.CalcNumHeavyAtoms,
        "NumAtoms": rd.CalcNumAtoms, "NumHeteroatoms": rd.CalcNumHeteroatoms,
        "NumAmideBonds": rd.CalcNumAmideBonds, "FractionCSP3": rd.CalcFractionCSP3,
        "NumRings": rd.CalcNumRings, "NumAromaticRings": rd.CalcNumAromaticRings,
        "NumAliphaticRings": rd.CalcNumAliphaticRings, "NumSaturatedRings": rd.CalcNumSaturatedRings,
        "NumHeterocycles": rd.CalcNumHeterocycles, "NumAromaticHeterocycles": rd.CalcNumAromaticHeterocycles,
        "NumSaturatedHeterocycles": rd.CalcNumSaturatedHeterocycles,
        "NumAliphaticHeterocycles": rd.CalcNumAliphaticHeterocycles, "NumSpiroAtoms": rd.CalcNumSpiroAtoms,
        "NumBridgeheadAtoms": rd.CalcNumBridgeheadAtoms, "NumAtomStereoCenters": rd.CalcNumAtomStereoCenters,
        "NumUnspecifiedAtomStereoCenters": rd.CalcNumUnspecifiedAtomStereoCenters,
        "labuteASA": rd.CalcLabuteASA, "tpsa": rd.CalcTPSA, "CrippenClogP": _crippen_logp,
        "CrippenMR": _crippen_mr, "chi0v": rd.CalcChi0v, "chi1v": rd.CalcChi1v, "chi2v": rd.CalcChi2v,
        "chi3v": rd.CalcChi3v, "chi4v": rd.CalcChi4v, "chi0n": rd.CalcChi0n, "chi1n": rd.CalcChi1n,
        "chi2n": rd.CalcChi2n, "chi3n": rd.CalcChi3n, "chi4n": rd.CalcChi4n,
        "hallKierAlpha": rd.CalcHallKierAlpha, "kappa1": rd.CalcKappa1, "kappa2": rd.CalcKappa2,
        "kappa3": rd.CalcKappa3, "Phi": rd.CalcPhi,
    }  # fmt: skip
    return [(name, per_property[name]) for name in DEFAULT_PROPERTY_NAMES] + list(_EXTRA_FUNCTIONS)


@lru_cache(maxsize=1)
def _properties() -> rdMolDescriptors.Properties:
    # One Properties object per process: building it looks up 43 registered functions by name.
    props = rdMolDescriptors.Properties(list(DEFAULT_PROPERTY_NAMES))
    names = tuple(props.GetPropertyNames())
    if names != DEFAULT_PROPERTY_NAMES:
        raise DescriptorListMismatch(f"rdMolDescriptors.Properties returned {names!r}")
    return props


def compute_default(mols: Sequence[Chem.Mol], num_threads: int = 1) -> tuple[np.ndarray, RowErrors]:
    """Compute the ``default`` set: one C++ ``Properties.ComputeProperties`` call per molecule.

    Properties evaluates all 43 descriptors inside C++ and reuses per-molecule work between them
    (ring info, Crippen contributions), so the Python cost per molecule is a handful of calls.
    """
    del num_threads  # no bulk/threaded API for these in RDKit; parallelism is across processes
    props = _properties()
    extras = [fn for _, fn in _EXTRA_FUNCTIONS]
    n_props = len(DEFAULT_PROPERTY_NAMES)
    out = np.full((len(mols), len(DEFAULT_COLUMNS)), np.nan)
    errors: RowErrors = []
    for i, mol in enumerate(mols):
        try:
            out[i, :n_props] = props.ComputeProperties(mol)
            out[i, n_props:] = [fn(mol) for fn in extras]
        except Exception as exc:  # a descriptor may throw on exotic valence states
            out[i] = np.nan
            errors.append((i, f"descriptor calculation failed: {exc}"))
    return out, errors


# The full RDKit 2D descriptor list of rdkit 2026.09 (Descriptors._descList), frozen for version 1
# of the rdkit2d_full set. A frozen app without RDKit's data folder has about 115 of these (the
# fragment counts and others are read from data files), which check_rdkit2d_full detects.
RDKIT2D_FULL_COLUMNS: tuple[str, ...] = (
    "MaxAbsEStateIndex", "MaxEStateIndex", "MinAbsEStateIndex", "MinEStateIndex", "qed", "SPS", "MolWt",
    "HeavyAtomMolWt", "ExactMolWt", "NumValenceElectrons", "NumRadicalElectrons", "MaxPartialCharge",
    "MinPartialCharge", "MaxAbsPartialCharge", "MinAbsPartialCharge", "FpDensityMorgan1",
    "FpDensityMorgan2", "FpDensityMorgan3", "BCUT2D_MWHI", "BCUT2D_MWLOW", "BCUT2D_CHGHI", "BCUT2D_CHGLO",
    "BCUT2D_LOGPHI", "BCUT2D_LOGPLOW", "BCUT2D_MRHI", "BCUT2D_MRLOW", "AvgIpc", "BalabanJ", "BertzCT",
    "Chi0", "Chi0n", "Chi0v", "Chi1", "Chi1n", "Chi1v", "Chi2n", "Chi2v", "Chi3n", "Chi3v", "Chi4n",
    "Chi4v", "HallKierAlpha", "Ipc", "Kappa1", "Kappa2", "Kappa3", "LabuteASA", "PEOE_VSA1", "PEOE_VSA10",
    "PEOE_VSA11", "PEOE_VSA12", "PEOE_VSA13", "PEOE_VSA14", "PEOE_VSA2", "PEOE_VSA3", "PEOE_VSA4",
    "PEOE_VSA5", "PEOE_VSA6", "PEOE_VSA7", "PEOE_VSA8", "PEOE_VSA9", "SMR_VSA1", "SMR_VSA10", "SMR_VSA2",
    "SMR_VSA3", "SMR_VSA4", "SMR_VSA5", "SMR_VSA6", "SMR_VSA7", "SMR_VSA8", "SMR_VSA9", "SlogP_VSA1",
    "SlogP_VSA10", "SlogP_VSA11", "SlogP_VSA12", "SlogP_VSA2", "SlogP_VSA3", "SlogP_VSA4", "SlogP_VSA5",
    "SlogP_VSA6", "SlogP_VSA7", "SlogP_VSA8", "SlogP_VSA9", "TPSA", "EState_VSA1", "EState_VSA10",
    "EState_VSA11", "EState_VSA2", "EState_VSA3", "EState_VSA4", "EState_VSA5", "EState_VSA6",
    "EState_VSA7", "EState_VSA8", "EState_VSA9", "VSA_EState1", "VSA_EState10", "VSA_EState2",
    "VSA_EState3", "VSA_EState4", "VSA_EState5", "VSA_EState6", "VSA_EState7", "VSA_EState8", "VSA_EState9",
    "FractionCSP3", "HeavyAtomCount", "NHOHCount", "NOCount", "NumAliphaticCarbocycles",
    "NumAliphaticHeterocycles", "NumAliphaticRings", "NumAmideBonds", "NumAromaticCarbocycles",
    "NumAromaticHeterocycles", "NumAromaticRings", "NumAtomStereoCenters", "NumBridgeheadAtoms",
    "NumHAcceptors", "NumHDonors", "NumHeteroatoms", "NumHeterocycles", "NumRotatableBonds",
    "NumSaturatedCarbocycles", "NumSaturatedHeterocycles", "NumSaturatedRings", "NumSpiroAtoms",
    "NumUnspecifiedAtomStereoCenters", "Phi", "RingCount", "MolLogP", "MolMR", "fr_Al_COO", "fr_Al_OH",
    "fr_Al_OH_noTert", "fr_ArN", "fr_Ar_COO", "fr_Ar_N", "fr_Ar_NH", "fr_Ar_OH", "fr_COO", "fr_COO2",
    "fr_C_O", "fr_C_O_noCOO", "fr_C_S", "fr_HOCCN", "fr_Imine", "fr_NH0", "fr_NH1", "fr_NH2", "fr_N_O",
    "fr_Ndealkylation1", "fr_Ndealkylation2", "fr_Nhpyrrole", "fr_SH", "fr_aldehyde", "fr_alkyl_carbamate",
    "fr_alkyl_halide", "fr_allylic_oxid", "fr_amide", "fr_amidine", "fr_aniline", "fr_aryl_methyl",
    "fr_azide", "fr_azo", "fr_barbitur", "fr_benzene", "fr_benzodiazepine", "fr_bicyclic", "fr_diazo",
    "fr_dihydropyridine", "fr_epoxide", "fr_ester", "fr_ether", "fr_furan", "fr_guanido", "fr_halogen",
    "fr_hdrzine", "fr_hdrzone", "fr_imidazole", "fr_imide", "fr_isocyan", "fr_isothiocyan", "fr_ketone",
    "fr_ketone_Topliss", "fr_lactam", "fr_lactone", "fr_methoxy", "fr_morpholine", "fr_nitrile", "fr_nitro",
    "fr_nitro_arom", "fr_nitro_arom_nonortho", "fr_nitroso", "fr_oxazole", "fr_oxime",
    "fr_para_hydroxylation", "fr_phenol", "fr_phenol_noOrthoHbond", "fr_phos_acid", "fr_phos_ester",
    "fr_piperdine", "fr_piperzine", "fr_priamide", "fr_prisulfonamd", "fr_pyridine", "fr_quatN",
    "fr_sulfide", "fr_sulfonamd", "fr_sulfone", "fr_term_acetylene", "fr_tetrazole", "fr_thiazole",
    "fr_thiocyan", "fr_thiophene", "fr_unbrch_alkane", "fr_urea",
)  # fmt: skip
RDKIT2D_FULL_COUNT = 217


class DescriptorListMismatch(RuntimeError):
    """The RDKit in this process does not provide the descriptors a feature-set version expects."""


@lru_cache(maxsize=1)
def _rdkit2d_functions() -> tuple[Callable[[Chem.Mol], float], ...]:
    from rdkit.Chem import Descriptors  # heavy import (QED, fragment patterns); only when used

    available = dict(Descriptors._descList)
    missing = [name for name in RDKIT2D_FULL_COLUMNS if name not in available]
    if missing or len(RDKIT2D_FULL_COLUMNS) != RDKIT2D_FULL_COUNT:
        raise DescriptorListMismatch(
            f"RDKit provides {len(available)} descriptors; rdkit2d_full v1 needs {RDKIT2D_FULL_COUNT} "
            f"and {len(missing)} are missing (first: {missing[:5]}). In a frozen app this means RDKit's "
            "data folder was not bundled."
        )
    return tuple(available[name] for name in RDKIT2D_FULL_COLUMNS)


def check_rdkit2d_full() -> None:
    """Raise :class:`DescriptorListMismatch` unless all 217 descriptors are available (frozen self-test)."""
    _rdkit2d_functions()


def compute_rdkit2d_full(mols: Sequence[Chem.Mol], num_threads: int = 1) -> tuple[np.ndarray, RowErrors]:
    """Compute the full RDKit 2D descriptor list in the fixed column order.

    A descriptor that raises gives NaN in that cell only (as RDKit's own ``CalcMolDescriptors``
    does): one failing Gasteiger charge should not throw away 216 good numbers.
    """
    del num_threads
    functions = _rdkit2d_functions()
    out = np.empty((len(mols), len(functions)))
    for i, mol in enumerate(mols):
        row = out[i]
        for j, fn in enumerate(functions):
            try:
                row[j] = fn(mol)
            except Exception:  # per-cell NaN, see docstring
                row[j] = np.nan
    return out, []
