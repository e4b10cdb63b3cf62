"""ETKDG conformers (one shared function) and the optional ``3d`` descriptor set.

:func:`embed_conformer` is the single place a 3D structure is made: the ``3d`` feature set uses it, and
so will the 3D views, so that a shape descriptor shown next to a 3D picture describes that picture.
The seed is fixed, so the same input gives the same coordinates on every run and in every worker
process (embedding is single-threaded per molecule for that reason; parallelism is across molecules).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdDistGeom, rdForceFieldHelpers, rdFreeSASA, rdMolDescriptors

__all__ = ["DEFAULT_SEED", "THREE_D_COLUMNS", "compute_3d", "embed_conformer", "shape_descriptors"]

RowErrors = list[tuple[int, str]]

DEFAULT_SEED = 0xC0DE  # any fixed number; changing it changes the `3d` feature values (bump the version)

THREE_D_COLUMNS: tuple[str, ...] = (
    "pmi1",
    "pmi2",
    "pmi3",
    "npr1",
    "npr2",
    "radius_of_gyration",
    "pbf",
    "asphericity",
    "eccentricity",
    "inertial_shape_factor",
    "spherocity_index",
    "sasa",
    "sasa_polar",
    "sasa_polar_fraction",
)


def embed_conformer(
    mol: Chem.Mol,
    *,
    seed: int = DEFAULT_SEED,
    optimize: bool = True,
    timeout_s: int = 10,
) -> Chem.Mol | None:
    """Return a copy of ``mol`` with explicit hydrogens and one ETKDGv3 conformer, or None.

    Args:
        mol: a sanitised molecule (its hydrogens may be implicit).
        seed: random seed for the embedding; fixed by default for reproducible features.
        optimize: relax the geometry with MMFF94 (UFF when MMFF lacks parameters), which removes
            the small distortions of raw distance-geometry coordinates that shape descriptors see.
        timeout_s: give up on one molecule after this long (large macrocycles can take minutes).

    Returns:
        The embedded molecule (with Hs) or None when no conformer could be generated.
    """
    mol_h = Chem.AddHs(mol)
    params = rdDistGeom.ETKDGv3()
    params.randomSeed = seed
    params.numThreads = 1
    params.timeout = timeout_s
    if rdDistGeom.EmbedMolecule(mol_h, params) != 0:
        # Random starting coordinates succeed for many strained or crowded molecules where the
        # eigenvalue-based start fails; still seeded, so still deterministic.
        params.useRandomCoords = True
        if rdDistGeom.EmbedMolecule(mol_h, params) != 0:
            return None
    if optimize:
        _relax(mol_h)
    return mol_h


def _relax(mol_h: Chem.Mol) -> None:
    try:
        if rdForceFieldHelpers.MMFFHasAllMoleculeParams(mol_h):
            rdForceFieldHelpers.MMFFOptimizeMolecule(mol_h, maxIters=500)
        elif rdForceFieldHelpers.UFFHasAllMoleculeParams(mol_h):
            rdForceFieldHelpers.UFFOptimizeMolecule(mol_h, maxIters=500)
    except Exception:  # an unoptimised conformer is still a valid conformer
        pass


def _sasa(mol_h: Chem.Mol) -> tuple[float, float]:
    # Van der Waals radii from RDKit's periodic table: FreeSASA's built-in classifiers (ProtOr,
    # NACCESS) only know protein atom types and fail on most small molecules.
    table = Chem.GetPeriodicTable()
    radii = [table.GetRvdw(atom.GetAtomicNum()) for atom in mol_h.GetAtoms()]
    total = rdFreeSASA.CalcSASA(mol_h, radii)
    polar = 0.0
    for atom in mol_h.GetAtoms():
        # Polar surface: N and O plus hydrogens on them (the usual PSA convention).
        z = atom.GetAtomicNum()
        is_polar = z in (7, 8) or (z == 1 and any(n.GetAtomicNum() in (7, 8) for n in atom.GetNeighbors()))
        if is_polar:
            polar += float(atom.GetProp("SASA"))
    return total, polar


def shape_descriptors(mol_h: Chem.Mol) -> list[float]:
    """The :data:`THREE_D_COLUMNS` values of an embedded molecule (its first conformer)."""
    rd = rdMolDescriptors
    total, polar = _sasa(mol_h)
    return [
        rd.CalcPMI1(mol_h),
        rd.CalcPMI2(mol_h),
        rd.CalcPMI3(mol_h),
        rd.CalcNPR1(mol_h),
        rd.CalcNPR2(mol_h),
        rd.CalcRadiusOfGyration(mol_h),
        rd.CalcPBF(mol_h),
        rd.CalcAsphericity(mol_h),
        rd.CalcEccentricity(mol_h),
        rd.CalcInertialShapeFactor(mol_h),
        rd.CalcSpherocityIndex(mol_h),
        total,
        polar,
        polar / total if total > 0 else 0.0,
    ]


def compute_3d(mols: Sequence[Chem.Mol], num_threads: int = 1) -> tuple[np.ndarray, RowErrors]:
    """Embed each molecule with :func:`embed_conformer` and compute the shape descriptors."""
    del num_threads  # one conformer per molecule; parallelism comes from the executor
    out = np.full((len(mols), len(THREE_D_COLUMNS)), np.nan)
    errors: RowErrors = []
    for i, mol in enumerate(mols):
        try:
            mol_h = embed_conformer(mol)
            if mol_h is None:
                errors.append((i, "3D embedding (ETKDG) failed"))
                continue
            out[i] = shape_descriptors(mol_h)
        except Exception as exc:  # one exotic molecule must not stop a library
            errors.append((i, f"3D descriptor calculation failed: {exc}"))
    return out, errors
