"""Standardisation: clean-up, fragment parent, neutralisation, flags."""

from __future__ import annotations

import pytest
from rdkit import Chem

from cryodesk.chem import STANDARDISATION_VERSION, parse_smiles, standardize


def std(smiles: str):
    parsed = parse_smiles(smiles)
    assert parsed.ok, parsed.error
    return standardize(parsed.mol)


def smiles_of(result) -> str:
    return Chem.MolToSmiles(result.mol)


def test_version_string_is_the_documented_one():
    assert STANDARDISATION_VERSION == "cryodesk-std-1"


def test_sodium_acetate_gives_acetic_acid_and_records_the_counter_ion():
    result = std("CC(=O)[O-].[Na+]")
    assert smiles_of(result) == "CC(=O)O"
    assert result.removed_fragments == ("[Na+]",)
    assert result.charge_changed and result.is_salt and result.multi_component
    assert not result.is_mixture and not result.inorganic


def test_covalently_drawn_sodium_salt_is_disconnected_with_a_warning():
    result = std("CC(=O)O[Na]")
    assert smiles_of(result) == "CC(=O)O"
    assert result.removed_fragments == ("[Na+]",)
    assert any("metal" in w for w in result.warnings)


def test_hydrochloride_is_a_salt():
    result = std("CCN.Cl")
    assert smiles_of(result) == "CCN"
    assert result.removed_fragments == ("Cl",) and result.is_salt


def test_hydrate_is_multi_component_but_not_a_salt():
    result = std("CCO.O")
    assert smiles_of(result) == "CCO"
    assert result.multi_component and not result.is_salt and not result.is_mixture


def test_two_organic_components_are_a_mixture_and_the_larger_is_kept():
    result = std("CCO.CCCO")
    assert smiles_of(result) == "CCCO"
    assert result.removed_fragments == ("CCO",)
    assert result.is_mixture and not result.is_salt


def test_zwitterionic_amino_acid_is_neutralised_and_keeps_stereo():
    result = std("[O-]C(=O)[C@@H]1CCC[NH2+]1")
    assert smiles_of(result) == "O=C(O)[C@@H]1CCCN1"
    assert result.charge_changed and not result.multi_component


def test_betaine_cannot_be_neutralised_and_is_left_alone():
    result = std("C[N+](C)(C)CC(=O)[O-]")
    assert smiles_of(result) == "C[N+](C)(C)CC(=O)[O-]"
    assert not result.charge_changed and result.warnings == ()


def test_permanent_cation_keeps_its_charge_with_a_warning():
    result = std("C[N+](C)(C)CCO.[Cl-]")
    assert smiles_of(result) == "C[N+](C)(C)CCO"
    assert result.removed_fragments == ("[Cl-]",) and result.is_salt
    assert any("net charge of +1" in w for w in result.warnings)


@pytest.mark.parametrize("dmso", ["CS(C)=O", "C[S+](C)[O-]", "CS(=O)C"])
def test_sulfoxides_are_written_with_s_double_o(dmso):
    assert smiles_of(std(dmso)) == "CS(C)=O"


def test_chiral_sulfoxide_keeps_its_configuration():
    charge_separated = std("COc1ccc2[nH]c([S@@+]([O-])Cc3ncc(C)c(OC)c3C)nc2c1")
    double_bond = std("COc1ccc2[nH]c([S@@](=O)Cc3ncc(C)c(OC)c3C)nc2c1")
    assert smiles_of(charge_separated) == smiles_of(double_bond)
    assert "@" in smiles_of(double_bond)


@pytest.mark.parametrize(
    ("salt", "parent"),
    [
        # The two salts of the Koop Tg compilation: inorganic, kept whole, flagged.
        ("O=S(=O)([O-])O.[NH4+]", "O=S(=O)([O-])O.[NH4+]"),
        ("O=[N+]([O-])[O-].[Na+]", "O=[N+]([O-])[O-].[Na+]"),
        ("[Na+].[Cl-]", "[Cl-].[Na+]"),
    ],
)
def test_inorganic_salts_are_kept_whole_and_flagged(salt, parent):
    result = std(salt)
    assert smiles_of(result) == parent
    assert result.is_salt and result.inorganic and result.multi_component
    assert result.removed_fragments == ()


def test_waters_of_hydration_are_removed_from_inorganic_salts():
    result = std("O.O.[Ca+2].[Cl-].[Cl-]")
    assert smiles_of(result) == "[Ca+2].[Cl-].[Cl-]"
    assert result.removed_fragments == ("O", "O")


def test_water_is_inorganic():
    result = std("O")
    assert smiles_of(result) == "O" and result.inorganic and not result.multi_component


def test_deuterium_is_kept():
    assert smiles_of(std("[2H]C([2H])([2H])S(=O)C([2H])([2H])[2H]")).count("[2H]") == 6


def test_input_molecule_is_not_modified():
    mol = Chem.MolFromSmiles("CC(=O)[O-].[Na+]")
    before = Chem.MolToSmiles(mol)
    standardize(mol)
    assert Chem.MolToSmiles(mol) == before


@pytest.mark.parametrize(
    "smiles",
    [
        "CC(=O)[O-].[Na+]",
        "C[N+](C)(C)CC(=O)[O-]",
        "O=[N+]([O-])c1ccccc1",
        "CS(C)=O",
        "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O",
    ],
)
def test_standardisation_is_idempotent(smiles):
    once = std(smiles)
    twice = standardize(once.mol)
    assert smiles_of(twice) == smiles_of(once)
    assert not twice.charge_changed and twice.removed_fragments == ()


def test_normaliser_failure_falls_back_to_the_unnormalised_structure():
    # Molsidomine: RDKit's normaliser makes its sydnone imine unkekulizable.
    result = std("CCOC(=O)[N-]c1c[n+](N2CCOCC2)no1")
    assert result.ok
    assert smiles_of(result) == "CCOC(=O)[N-]c1c[n+](N2CCOCC2)no1"
    assert any("normalisation skipped" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("mol", "expected"),
    [
        (None, "no molecule to standardise"),
        (Chem.Mol(), "empty structure (no atoms)"),
        ("CCO", "expected an RDKit molecule, got str"),
    ],
)
def test_bad_input_gives_a_reason(mol, expected):
    result = standardize(mol)
    assert result.mol is None and result.error == expected
