"""The cryo descriptors, hand-checked on molecules whose groups can be counted by eye."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from cryodesk.chem.features import CRYO_COLUMNS, cryo_descriptors, featurize


def cryo(smiles: str) -> dict[str, float]:
    return cryo_descriptors(Chem.MolFromSmiles(smiles))


GLYCEROL = "OCC(O)CO"
DMSO = "CS(C)=O"
TREHALOSE = "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O"


def test_glycerol_three_hydroxyls_two_vicinal_pairs_balanced() -> None:
    d = cryo(GLYCEROL)
    assert d["n_hydroxyl"] == 3
    assert d["n_vicinal_diol"] == 2  # O1-C1-C2-O2 and O2-C2-C3-O3
    assert d["n_ether"] == 0 and d["n_amide"] == 0 and d["n_sulfoxide"] == 0
    assert d["n_hbd"] == 3 and d["n_hba"] == 3 and d["hbd_fraction"] == 0.5
    assert d["oh_per_carbon"] == 1.0 and d["polar_atoms_per_carbon"] == 1.0
    assert d["hbond_heteroatom_fraction"] == 1.0  # every O binds water
    assert d["hbond_atom_fraction"] == 0.5  # 3 of 6 heavy atoms
    assert d["n_polar_h"] == 3 and d["hydration_sites"] == 6  # 3 donor H + 3 acceptor O
    assert d["fraction_csp3"] == 1.0 and d["n_carbon"] == 3 and d["n_heavy_atoms"] == 6


@pytest.mark.parametrize("smiles", [DMSO, "C[S+](C)[O-]"])
def test_dmso_one_sulfoxide_in_either_notation(smiles: str) -> None:
    d = cryo(smiles)
    assert d["n_sulfoxide"] == 1
    assert d["n_sulfone"] == 0 and d["n_hydroxyl"] == 0
    assert d["n_hbd"] == 0 and d["hbd_fraction"] == 0.0  # acceptor only
    assert d["hbond_heteroatom_fraction"] == 0.5  # O binds water, S does not
    assert d["polar_atoms_per_carbon"] == 0.5


def test_formamide_one_amide() -> None:
    d = cryo("NC=O")
    assert d["n_amide"] == 1 and d["n_urea"] == 0
    assert d["n_polar_h"] == 2 and d["hbond_heteroatom_fraction"] == 1.0


@pytest.mark.parametrize(
    ("smiles", "column", "expected"),
    [
        ("CC(N)=O", "n_amide", 1),  # acetamide
        ("CN(C)C=O", "n_amide", 1),  # DMF
        ("NC(N)=O", "n_amide", 0),  # urea is not counted as an amide ...
        ("NC(N)=O", "n_urea", 1),  # ... but as a urea
        ("NC(N)=O", "n_polar_h", 4),
        ("OCCO", "n_hydroxyl", 2),  # ethylene glycol
        ("OCCO", "n_vicinal_diol", 1),
        ("CC(O)CO", "n_vicinal_diol", 1),  # propylene glycol
        ("OCCCO", "n_vicinal_diol", 0),  # 1,3-propanediol: not vicinal
        (TREHALOSE, "n_hydroxyl", 8),
        (TREHALOSE, "n_ether", 3),  # two ring O + glycosidic O
        ("OCCOCCOCCO", "n_ether", 2),  # triethylene glycol
        ("COC(C)=O", "n_ester", 1),  # methyl acetate: ester, not ether
        ("COC(C)=O", "n_ether", 0),
        ("CC(=O)O", "n_hydroxyl", 0),  # acid OH is not a hydroxyl
        ("CC(=O)O", "n_carboxylic_acid", 1),
        ("Oc1ccccc1", "n_hydroxyl", 1),  # phenol
        ("CC(C)=O", "n_carbonyl", 1),  # acetone
        ("O=S1(=O)CCCC1", "n_sulfone", 1),  # sulfolane
        ("O=S1(=O)CCCC1", "n_sulfoxide", 0),
        ("C[N+](C)(C)CC(=O)[O-]", "n_quaternary_ammonium", 1),  # betaine
        ("C[N+](C)(C)CC(=O)[O-]", "n_charged_atoms", 2),
        ("C[N+](C)(C)CC(=O)[O-]", "net_charge", 0),
        ("CCN(CC)CC", "n_amine", 1),
        ("CC(N)=O", "n_amine", 0),  # amide N is not a basic amine
        ("CCO", "oh_per_carbon", 0.5),
    ],
)
def test_group_counts(smiles: str, column: str, expected: float) -> None:
    assert cryo(smiles)[column] == expected


def test_ratios_are_zero_not_nan_without_carbon() -> None:
    d = cryo("O")  # water: no carbon, no H-bond donors/acceptors counted by RDKit's rules
    assert d["n_carbon"] == 0
    assert d["oh_per_carbon"] == 0.0 and d["polar_atoms_per_carbon"] == 0.0
    assert all(np.isfinite(list(d.values())))


def test_batch_matches_single_and_is_finite(tox21_smiles: list[str]) -> None:
    rows = [GLYCEROL, DMSO, *tox21_smiles[:200]]
    fm = featurize(rows, "cryo")
    assert fm.columns == list(CRYO_COLUMNS) and len(set(fm.columns)) == len(fm.columns)
    assert fm.values.dtype == np.float32
    assert np.isfinite(fm.values[fm.ok]).all()
    one = cryo(GLYCEROL)
    np.testing.assert_array_equal(fm.values[0], np.array([one[c] for c in CRYO_COLUMNS], np.float32))
