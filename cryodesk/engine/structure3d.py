"""3D scenes of a molecule (one ETKDG conformer) and of a crystal (a CIF's unit cell and packing).

The GUI draws what this module returns and does no chemistry itself: a :class:`Scene` is plain data
(atoms with element, Cartesian position in Å, covalent radius and label; bonds as index pairs with an
order; the 12 unit-cell edges for a crystal). The same scene can be checked in tests without Qt.

- Molecule: :func:`cryodesk.chem.features.conformers.embed_conformer`, the one conformer function
  shared with the ``3d`` descriptor set (ETKDGv3, fixed seed, optional MMFF94 relaxation), so the
  picture is exactly the geometry the shape descriptors describe.
- Crystal: gemmi reads the CIF's cell, symmetry operators and asymmetric unit; every site is expanded by
  the space-group operators into the unit cell (fractional coordinates wrapped into [0, 1)). Sites
  that coincide after expansion are merged: COD files often list symmetry-generated atoms as well
  (labels such as ``C1B*``), which would otherwise be drawn twice. Bonds are drawn between atoms closer
  than the sum of their covalent radii plus :data:`BOND_TOLERANCE`; with ``neighbours`` the 26
  surrounding cells are added, which also shows the bonds that cross the cell faces.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cryodesk.domain import InputError

#: Added to the sum of covalent radii when deciding that two atoms are bonded (Jmol uses 0.45 Å).
BOND_TOLERANCE = 0.45
#: Positions closer than this after symmetry expansion are one atom (Å).
MERGE_DISTANCE = 0.3

Vec3 = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class SceneAtom:
    element: str
    xyz: Vec3
    radius: float  # covalent radius, Å (the view scales it for the ball size)
    label: str


@dataclass(frozen=True, slots=True)
class SceneBond:
    begin: int
    end: int
    order: float = 1.0  # 1, 1.5 (aromatic), 2, 3; crystals: 1 (distance-based)


@dataclass(frozen=True, slots=True)
class Scene:
    """What a 3D view draws. ``kind`` is ``molecule`` or ``crystal``."""

    title: str
    kind: str
    atoms: tuple[SceneAtom, ...]
    bonds: tuple[SceneBond, ...]
    cell_edges: tuple[tuple[Vec3, Vec3], ...] = ()
    notes: tuple[str, ...] = ()
    info: dict[str, object] = field(default_factory=dict)

    def centre(self) -> Vec3:
        """Centre of the cell for crystals, of the atoms for molecules (what the view rotates about)."""
        points = [p for edge in self.cell_edges for p in edge] or [a.xyz for a in self.atoms]
        if not points:
            return (0.0, 0.0, 0.0)
        arr = np.asarray(points, float)
        mid = (arr.min(axis=0) + arr.max(axis=0)) / 2
        return (float(mid[0]), float(mid[1]), float(mid[2]))

    def extent(self) -> float:
        """Largest distance of an atom or cell corner from :meth:`centre` (for the initial zoom)."""
        points = [p for edge in self.cell_edges for p in edge] + [a.xyz for a in self.atoms]
        if not points:
            return 1.0
        arr = np.asarray(points, float) - np.asarray(self.centre())
        return float(max(np.linalg.norm(arr, axis=1).max(), 1.0))


# -- molecules --------------------------------------------------------------------------------------
def molecule_scene(
    smiles: str,
    *,
    title: str | None = None,
    optimize: bool = True,
    hydrogens: bool = True,
    seed: int | None = None,
) -> Scene:
    """The scene of one ETKDG conformer of ``smiles``.

    Args:
        smiles: the structure (a stored compound's SMILES).
        title: shown above the view (default: the SMILES).
        optimize: relax the conformer with MMFF94 (UFF when MMFF lacks parameters).
        hydrogens: include explicit hydrogens.
        seed: embedding seed; default is the shared fixed seed of the ``3d`` descriptors.

    Raises:
        InputError: the SMILES does not parse or no conformer could be embedded.
    """
    from cryodesk.chem import parse_smiles
    from cryodesk.chem.features.conformers import DEFAULT_SEED, embed_conformer

    parsed = parse_smiles(smiles)
    if parsed.mol is None:
        raise InputError(f"cannot build a 3D structure: {parsed.error}")
    mol_h = embed_conformer(parsed.mol, seed=DEFAULT_SEED if seed is None else seed, optimize=optimize)
    if mol_h is None:
        raise InputError(f"no 3D conformer could be embedded for {smiles} (ETKDG failed)")
    return _scene_from_mol(mol_h, title or smiles, optimize, hydrogens)


def _scene_from_mol(mol_h, title: str, optimize: bool, hydrogens: bool) -> Scene:
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    conf = mol_h.GetConformer()
    keep = [a.GetIdx() for a in mol_h.GetAtoms() if hydrogens or a.GetAtomicNum() != 1]
    index = {old: new for new, old in enumerate(keep)}
    atoms = []
    for old in keep:
        atom = mol_h.GetAtomWithIdx(old)
        p = conf.GetAtomPosition(old)
        symbol = atom.GetSymbol()
        atoms.append(
            SceneAtom(symbol, (p.x, p.y, p.z), table.GetRcovalent(atom.GetAtomicNum()), f"{symbol}{old + 1}")
        )
    bonds = [
        SceneBond(index[b.GetBeginAtomIdx()], index[b.GetEndAtomIdx()], b.GetBondTypeAsDouble())
        for b in mol_h.GetBonds()
        if b.GetBeginAtomIdx() in index and b.GetEndAtomIdx() in index
    ]
    geometry = "ETKDGv3 + MMFF94 (UFF fallback)" if optimize else "ETKDGv3, not optimised"
    return Scene(
        title,
        "molecule",
        tuple(atoms),
        tuple(bonds),
        notes=(geometry,),
        info={"geometry": geometry, "heavy_atoms": mol_h.GetNumHeavyAtoms()},
    )


# -- crystals ---------------------------------------------------------------------------------------
def crystal_scene_from_file(path: str | Path, *, neighbours: bool = False) -> Scene:
    """:func:`crystal_scene` of a CIF file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such CIF file: {path}")
    return crystal_scene(path.read_text(encoding="utf-8", errors="replace"), path.name, neighbours=neighbours)


def cod_crystal_scene(cod_id: str, neighbours: bool = False) -> Scene:
    """:func:`crystal_scene` of a COD entry, fetched with the user's COD settings and HTTP cache.

    Raises:
        InputError: not a COD id, or COD has no such entry.
    """
    from cryodesk.config import load_settings
    from cryodesk.engine.online_clients import configured
    from cryodesk.sources.cod import CodClient, cod_config

    settings = load_settings()
    with CodClient(config=configured(cod_config(), settings), cache_dir=settings.http_cache_dir) as client:
        text = client.cif_text(cod_id)
    if text is None:
        raise InputError(f"COD has no entry {cod_id}")
    return crystal_scene(text, f"COD {cod_id.strip()}", neighbours=neighbours)


def crystal_scene(cif_text: str, source_name: str = "<cif>", *, neighbours: bool = False) -> Scene:
    """The unit cell of the first CIF block with atom sites, packed by symmetry.

    Args:
        cif_text: the CIF.
        source_name: names the file or COD entry in messages and the title.
        neighbours: add the 26 surrounding cells (3x3x3 block), e.g. to see the packing.

    Raises:
        InputError: malformed CIF, or no block with a cell and atom sites.
    """
    import gemmi

    try:
        document = gemmi.cif.read_string(cif_text)
    except (ValueError, RuntimeError) as exc:
        raise InputError(f"{source_name}: malformed CIF ({exc})") from exc
    for block in document:
        small = gemmi.make_small_structure_from_block(block)
        if small.sites and small.cell.volume > 1.0:
            return _crystal(small, block.name, source_name, neighbours)
    raise InputError(f"{source_name}: no data block with a unit cell and atom sites (_atom_site_fract_x ...)")


def _crystal(small, block_name: str, source_name: str, neighbours: bool) -> Scene:
    cell = small.cell
    sites = _unique_cell_sites(small)
    shifts = list(itertools.product((-1, 0, 1), repeat=3)) if neighbours else [(0, 0, 0)]
    atoms = []
    for shift in shifts:
        for element, label, fract, radius in sites:
            f = np.asarray(fract) + np.asarray(shift)
            pos = cell.orthogonalize(_fractional(f))
            atoms.append(SceneAtom(element, (pos.x, pos.y, pos.z), radius, label))
    bonds = distance_bonds([a.xyz for a in atoms], [a.radius for a in atoms], [a.element for a in atoms])
    notes = [
        f"space group {small.spacegroup_hm or '?'}",
        f"{len(small.sites)} sites in the CIF -> {len(sites)} atoms in the unit cell",
    ]
    if neighbours:
        notes.append("with the 26 neighbouring cells")
    info = {
        "space_group": small.spacegroup_hm,
        "asymmetric_sites": len(small.sites),
        "cell_atoms": len(sites),
        "cell": (cell.a, cell.b, cell.c, cell.alpha, cell.beta, cell.gamma),
    }
    return Scene(
        f"{source_name} ({block_name})",
        "crystal",
        tuple(atoms),
        tuple(bonds),
        cell_edges=_cell_edges(cell),
        notes=tuple(notes),
        info=info,
    )


def _fractional(f: np.ndarray):
    import gemmi

    return gemmi.Fractional(float(f[0]), float(f[1]), float(f[2]))


def _unique_cell_sites(small) -> list[tuple[str, str, Vec3, float]]:
    """Every symmetry image of every site in [0, 1), with coincident positions merged."""
    cell = small.cell
    frac_to_cart = np.asarray(cell.orth.mat.tolist(), float)
    kept: list[tuple[str, str, Vec3, float]] = []
    kept_fract: list[np.ndarray] = []
    for site in small.get_all_unit_cell_sites():
        f = np.asarray([site.fract.x, site.fract.y, site.fract.z], float) % 1.0
        if kept_fract:
            delta = np.asarray(kept_fract) - f
            delta -= np.round(delta)  # nearest periodic image
            if (np.linalg.norm(delta @ frac_to_cart.T, axis=1) < MERGE_DISTANCE).any():
                continue
        kept_fract.append(f)
        element = site.element.name if site.element.atomic_number else site.type_symbol
        kept.append(
            (element, site.label, (float(f[0]), float(f[1]), float(f[2])), _covalent_radius(site.element))
        )
    return kept


def _covalent_radius(element) -> float:
    radius = float(element.covalent_r)
    return radius if radius > 0 else 0.8


def _cell_edges(cell) -> tuple[tuple[Vec3, Vec3], ...]:
    corners = {
        c: cell.orthogonalize(_fractional(np.asarray(c, float))) for c in itertools.product((0, 1), repeat=3)
    }
    edges = []
    for a, b in itertools.combinations(corners, 2):
        if sum(x != y for x, y in zip(a, b, strict=True)) == 1:  # corners differing along one axis
            pa, pb = corners[a], corners[b]
            edges.append(((pa.x, pa.y, pa.z), (pb.x, pb.y, pb.z)))
    return tuple(edges)


def distance_bonds(
    positions: Sequence[Vec3],
    radii: Sequence[float],
    elements: Sequence[str],
    tolerance: float = BOND_TOLERANCE,
) -> list[SceneBond]:
    """Bonds between atoms closer than the sum of their covalent radii plus ``tolerance`` (no H-H)."""
    from scipy.spatial import cKDTree

    if len(positions) < 2:
        return []
    xyz = np.asarray(positions, float)
    r = np.asarray(radii, float)
    cutoff = 2 * float(r.max()) + tolerance
    pairs = cKDTree(xyz).query_pairs(cutoff, output_type="ndarray")
    if len(pairs) == 0:
        return []
    d = np.linalg.norm(xyz[pairs[:, 0]] - xyz[pairs[:, 1]], axis=1)
    limit = r[pairs[:, 0]] + r[pairs[:, 1]] + tolerance
    out = []
    for (i, j), dist, lim in zip(pairs.tolist(), d, limit, strict=True):
        if dist <= lim and dist > 0.4 and not (elements[i] == "H" and elements[j] == "H"):
            out.append(SceneBond(int(i), int(j), 1.0))
    return sorted(out, key=lambda b: (b.begin, b.end))
