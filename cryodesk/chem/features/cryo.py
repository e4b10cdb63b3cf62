"""Cryoprotection-relevant descriptors (feature set ``cryo``, version 1).

Why these numbers. A cryoprotective agent (CPA) works by binding and structuring water: it lowers the
freezing point, raises the viscosity and glass-forming tendency of the solution so that it vitrifies
instead of crystallising, and keeps ice from growing. Penetrating CPAs must also cross the cell
membrane quickly and be tolerated at molar concentrations. The well-known CPAs are small, very polar
molecules with many groups that hydrogen-bond with water: polyols (glycerol, ethylene glycol,
propylene glycol, sugars), sulfoxides (DMSO), amides (formamide, acetamide), and zwitterionic or
quaternary osmolytes (betaine, proline, trimethylamine N-oxide). The descriptors below measure exactly
these traits; each is cheap (SMARTS counts and C++ descriptors) and hand-checked in the tests.

Functional-group counts (how a molecule binds water and which CPA family it belongs to):

- ``n_hydroxyl``: alcoholic and phenolic OH (not acid OH). The OH is the water-binding group of
  polyols; glycerol has 3, ethylene glycol 2.
- ``n_vicinal_diol``: HO-C-C-OH pairs. Adjacent OH groups (glycerol 2, sugars many) fit the
  tetrahedral water network and are typical of good glass formers.
- ``n_carboxylic_acid``: COOH / COO-. Ionisable; osmotically active, often pH-shifting.
- ``n_amide``: C(=O)N groups that are not ureas or carbamates (formamide 1, acetamide 1). Strong
  donor/acceptor pairs; several amides are permeating CPAs.
- ``n_urea``: N-C(=O)-N (urea, hydroxyethyl ureas); urea is a chaotrope and a CPA additive.
- ``n_sulfoxide``: S=O with two carbons on sulfur (DMSO 1), written as S=O or [S+][O-]. The
  sulfoxide oxygen is a very strong H-bond acceptor, which is why DMSO disrupts ice so well.
- ``n_sulfone``: O=S(=O) with two carbons on sulfur (sulfolane); a related, weaker-binding motif.
- ``n_ether``: C-O-C oxygens that are not esters (glycol ethers, PEG, sugar ring and glycosidic O).
  Acceptors only; ethers lower toxicity relative to hydroxyls but bind water less.
- ``n_ester``: C(=O)O-C; hydrolysable, weaker acceptors.
- ``n_carbonyl``: ketone/aldehyde C=O (acetone-like acceptors).
- ``n_amine``: basic aliphatic amine nitrogens (protonated at physiological pH; osmolytes, toxicity).
- ``n_quaternary_ammonium``: permanently charged N+ with four carbons (betaine, choline).
- ``n_charged_atoms`` and ``net_charge``: ions and zwitterions are non-penetrating but strongly
  hydrated (betaine, TMAO, amino acids as zwitterions).

Hydrogen-bond balance (water offers one donor and one acceptor pair per molecule; CPAs that match
that balance integrate into the network instead of disrupting it):

- ``n_hbd``, ``n_hba``: RDKit's donor/acceptor counts (``CalcNumHBD`` / ``CalcNumHBA``).
- ``hbd_fraction``: ``n_hbd / (n_hbd + n_hba)``; 0.5 is balanced (glycerol), 0 is acceptor-only
  (DMSO). 0 when the molecule has neither.
- ``n_polar_h``: hydrogens on N and O, the donor sites a water molecule can accept from
  (glycerol 3, formamide 2, urea 4).

Polarity per size (a good CPA is polar *throughout*, not a large molecule with one polar end):

- ``tpsa_per_heavy_atom``: topological polar surface area divided by heavy atoms.
- ``fraction_csp3``: saturated carbon fraction; flexible sp3 scaffolds (polyols) form glasses,
  flat aromatics do not dissolve at molar concentrations.
- ``oh_per_carbon``: hydroxyls per carbon (glycerol 1.0, sorbitol 1.0, ethanol 0.5); the classic
  polyol hydration index.
- ``polar_atoms_per_carbon``: (N + O) per carbon; hydrophilic/hydrophobic balance (DMSO 0.5).

Hydration proxies (how much of the molecule water can bind to):

- ``hbond_heteroatom_fraction``: of the heteroatoms (not C or H), the fraction that can accept or
  donate an H-bond with water (glycerol 1.0, DMSO 0.5: the O binds, the S does not).
- ``hbond_atom_fraction``: the same atoms as a fraction of all heavy atoms (glycerol 0.5).
- ``hydration_sites``: donor hydrogens plus acceptor atoms, a count of water contacts;
  ``hydration_sites_per_heavy_atom`` normalises it by size.

Size and permeability (penetrating CPAs are small and moderately polar):

- ``mol_weight``, ``n_heavy_atoms``, ``n_carbon``, ``clogp`` (Crippen), ``n_rotatable_bonds``.

SMARTS were written for neutral, standardised parents; charged forms of DMSO and acids are covered
explicitly. Counts are of distinct atoms (or atom pairs for diols), not of overlapping matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

__all__ = ["CRYO_COLUMNS", "compute_cryo", "cryo_descriptors"]

RowErrors = list[tuple[int, str]]

# (column, SMARTS, anchor): the count is the number of distinct atoms at position `anchor` of the
# matches, or of distinct atom pairs when anchor is a tuple. Counting anchors, not matches, keeps
# symmetric patterns (C-O-C matched both ways) from counting twice.
_GROUPS: tuple[tuple[str, str, int | tuple[int, int]], ...] = (
    ("n_hydroxyl", "[OX2H1][#6;!$([#6]=[O,S,N])]", 0),
    ("n_vicinal_diol", "[OX2H1][CX4][CX4][OX2H1]", (1, 2)),
    ("n_carboxylic_acid", "[CX3](=[OX1])[OX2H1,OX1-]", 0),
    ("n_amide", "[CX3;!$(C(=O)([#7])[#7]);!$(C(=O)([#7])[#8])](=[OX1])[#7X3]", 0),
    ("n_urea", "[#7X3][CX3](=[OX1])[#7X3]", 1),
    ("n_sulfoxide", "[$([SX3](=[OX1])([#6])[#6]),$([SX3+]([OX1-])([#6])[#6])]", 0),
    ("n_sulfone", "[SX4](=[OX1])(=[OX1])([#6])[#6]", 0),
    ("n_ether", "[OX2;!a;!$(O[#6]=[O,S,N]);!$(O-[!#6])]([#6])[#6]", 0),
    ("n_ester", "[#6][CX3](=[OX1])[OX2][#6]", 1),
    ("n_carbonyl", "[CX3;$([#6]([#6])([#6])=O),$([CH1](=O)[#6]),$([CH2]=O)](=[OX1])", 0),
    ("n_amine", "[NX3;+0;!$(N[#6,#7,#16,#15]=[O,S,N]);!$(N-a);!$(N-[#7,#8])]", 0),
    ("n_quaternary_ammonium", "[NX4+]([#6])([#6])([#6])[#6]", 0),
)

# Atoms that can take part in an H-bond with water, as donor or acceptor:
#   N or O carrying H (donor); any neutral or anionic O (acceptor: hydroxyl, ether, carbonyl, S=O
#   oxygen, nitro O); nitrile and pyridine/imine N (sp/sp2 lone pair); non-amide, non-aryl amine N.
# Halogens and sulfur are left out: they are weak acceptors and would flatter lipophilic molecules.
_WATER_HBOND_ATOM = (
    "[$([#7,#8;!H0]),$([#8;+0,-1]),$([#7;+0;X1]),$([#7;+0;X2;H0]),"
    "$([NX3;+0;!$(N[#6,#7,#16,#15]=[O,S,N]);!$(N-a);!$(N-[#7,#8])])]"
)
_WATER_ACCEPTOR_ATOM = (
    "[$([#8;+0,-1]),$([#7;+0;X1]),$([#7;+0;X2;H0]),"
    "$([NX3;+0;!$(N[#6,#7,#16,#15]=[O,S,N]);!$(N-a);!$(N-[#7,#8])])]"
)
_ATOM_COUNTS: tuple[tuple[str, str], ...] = (
    ("_carbon", "[#6]"),
    ("_n_or_o", "[#7,#8]"),
    ("_heteroatom", "[!#6;!#1]"),
    ("_water_hbond_atom", _WATER_HBOND_ATOM),
    ("_water_acceptor_atom", _WATER_ACCEPTOR_ATOM),
    ("_polar_h1", "[#7,#8;H1]"),
    ("_polar_h2", "[#7,#8;H2]"),
    ("_polar_h3", "[#7,#8;H3]"),
)
_CHARGED = "[!+0]"

CRYO_COLUMNS: tuple[str, ...] = (
    *(name for name, _, _ in _GROUPS),
    "n_charged_atoms",
    "net_charge",
    "n_hbd",
    "n_hba",
    "hbd_fraction",
    "n_polar_h",
    "tpsa_per_heavy_atom",
    "fraction_csp3",
    "oh_per_carbon",
    "polar_atoms_per_carbon",
    "hbond_heteroatom_fraction",
    "hbond_atom_fraction",
    "hydration_sites",
    "hydration_sites_per_heavy_atom",
    "mol_weight",
    "n_heavy_atoms",
    "n_carbon",
    "clogp",
    "n_rotatable_bonds",
)

# Raw per-molecule numbers gathered in the Python loop; the ratios are derived afterwards in NumPy
# over the whole chunk at once.
_RAW_COLUMNS: tuple[str, ...] = (
    *(name for name, _, _ in _GROUPS),
    *(name for name, _ in _ATOM_COUNTS),
    "n_charged_atoms",
    "net_charge",
    "n_hbd",
    "n_hba",
    "tpsa",
    "fraction_csp3",
    "mol_weight",
    "n_heavy_atoms",
    "clogp",
    "n_rotatable_bonds",
)

_MAX_MATCHES = 100_000  # RDKit's default (1,000) would undercount carbons in large molecules


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[Chem.Mol, int | tuple[int, int]], ...]:
    compiled = []
    for name, smarts, anchor in _GROUPS:
        patt = Chem.MolFromSmarts(smarts)
        if patt is None:  # a programming error, caught by the tests
            raise ValueError(f"bad SMARTS for {name}: {smarts}")
        compiled.append((patt, anchor))
    return tuple(compiled)


@lru_cache(maxsize=1)
def _atom_patterns() -> tuple[Chem.Mol, ...]:
    return tuple(Chem.MolFromSmarts(smarts) for _, smarts in (*_ATOM_COUNTS, ("_charged", _CHARGED)))


def _count_anchor(mol: Chem.Mol, patt: Chem.Mol, anchor: int | tuple[int, int]) -> int:
    matches = mol.GetSubstructMatches(patt, uniquify=False, maxMatches=_MAX_MATCHES)
    if isinstance(anchor, tuple):
        return len({frozenset((m[anchor[0]], m[anchor[1]])) for m in matches})
    return len({m[anchor] for m in matches})


def _count_atoms(mol: Chem.Mol, patt: Chem.Mol) -> int:
    # Single-atom patterns: each match is one atom, so the number of matches is the count.
    return len(mol.GetSubstructMatches(patt, uniquify=True, maxMatches=_MAX_MATCHES))


def _raw_row(mol: Chem.Mol) -> list[float]:
    row: list[float] = [_count_anchor(mol, patt, anchor) for patt, anchor in _patterns()]
    atom_patterns = _atom_patterns()
    row.extend(_count_atoms(mol, patt) for patt in atom_patterns[:-1])
    logp, _ = rdMolDescriptors.CalcCrippenDescriptors(mol)
    row.extend(
        (
            _count_atoms(mol, atom_patterns[-1]),
            Chem.GetFormalCharge(mol),
            rdMolDescriptors.CalcNumHBD(mol),
            rdMolDescriptors.CalcNumHBA(mol),
            rdMolDescriptors.CalcTPSA(mol),
            rdMolDescriptors.CalcFractionCSP3(mol),
            rdMolDescriptors._CalcMolWt(mol),
            mol.GetNumHeavyAtoms(),
            logp,
            rdMolDescriptors.CalcNumRotatableBonds(mol),
        )
    )
    return row


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # 0 (not NaN) when the denominator is 0: "no carbons, so no OH per carbon" is a real value,
    # and NaN would make an inorganic or a water row look like a failure.
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _derive(raw: np.ndarray) -> np.ndarray:
    """Map the raw chunk matrix to the :data:`CRYO_COLUMNS` matrix, vectorised over rows."""
    col = {name: raw[:, j] for j, name in enumerate(_RAW_COLUMNS)}
    n_polar_h = col["_polar_h1"] + 2 * col["_polar_h2"] + 3 * col["_polar_h3"]
    hydration_sites = n_polar_h + col["_water_acceptor_atom"]
    derived = {
        "hbd_fraction": _ratio(col["n_hbd"], col["n_hbd"] + col["n_hba"]),
        "n_polar_h": n_polar_h,
        "tpsa_per_heavy_atom": _ratio(col["tpsa"], col["n_heavy_atoms"]),
        "oh_per_carbon": _ratio(col["n_hydroxyl"], col["_carbon"]),
        "polar_atoms_per_carbon": _ratio(col["_n_or_o"], col["_carbon"]),
        "hbond_heteroatom_fraction": _ratio(col["_water_hbond_atom"], col["_heteroatom"]),
        "hbond_atom_fraction": _ratio(col["_water_hbond_atom"], col["n_heavy_atoms"]),
        "hydration_sites": hydration_sites,
        "hydration_sites_per_heavy_atom": _ratio(hydration_sites, col["n_heavy_atoms"]),
        "n_carbon": col["_carbon"],
    }
    return np.column_stack([derived[name] if name in derived else col[name] for name in CRYO_COLUMNS])


def compute_cryo(mols: Sequence[Chem.Mol], num_threads: int = 1) -> tuple[np.ndarray, RowErrors]:
    """Compute the ``cryo`` set for parsed molecules (float64 [n, len(CRYO_COLUMNS)])."""
    del num_threads
    raw = np.full((len(mols), len(_RAW_COLUMNS)), np.nan)
    errors: RowErrors = []
    for i, mol in enumerate(mols):
        try:
            raw[i] = _raw_row(mol)
        except Exception as exc:  # keep the batch going; the row is reported
            errors.append((i, f"cryo descriptor calculation failed: {exc}"))
    return _derive(raw), errors


def cryo_descriptors(mol: Chem.Mol) -> dict[str, float]:
    """The ``cryo`` set of one molecule as a name-to-value dict (for views and tests)."""
    values, errors = compute_cryo([mol])
    if errors:
        raise ValueError(errors[0][1])
    return dict(zip(CRYO_COLUMNS, values[0].tolist(), strict=True))
