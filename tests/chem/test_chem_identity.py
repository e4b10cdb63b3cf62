"""Identity: standard InChIKeys of standardised parents, checked against published keys."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest
from rdkit import Chem

from cryodesk.chem import (
    FLAG_NEUTRALISED,
    FLAG_SALT,
    STANDARDISATION_VERSION,
    compound_from_mol,
    compound_from_text,
    compounds_from_smiles,
    compounds_from_texts,
)
from cryodesk.domain import Compound

# Standard InChIKeys as published (PubChem compound records / the InChI Trust's examples).
PUBLISHED_KEYS = [
    ("CCO", "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"),  # ethanol
    ("CS(C)=O", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"),  # DMSO
    ("OCC(O)CO", "PEDCQBHIVMGVHV-UHFFFAOYSA-N"),  # glycerol
    ("CC(=O)Oc1ccccc1C(=O)O", "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"),  # aspirin
    ("OCCO", "LYCAIKOWRPUZTN-UHFFFAOYSA-N"),  # ethylene glycol
    ("O", "XLYOFNOQVPJJNP-UHFFFAOYSA-N"),  # water
    ("C[C@H](N)C(=O)O", "QNAYBMKLOCPYGJ-REOHCLBHSA-N"),  # L-alanine
    ("C[C@@H](N)C(=O)O", "QNAYBMKLOCPYGJ-UWTATZPHSA-N"),  # D-alanine
    ("CC(N)C(=O)O", "QNAYBMKLOCPYGJ-UHFFFAOYSA-N"),  # alanine, stereo unspecified
    ("OC(=O)[C@@H]1CCCN1", "ONIBWKKTOPOVIA-BYPYZUCNSA-N"),  # L-proline
    ("C[N+](C)(C)CC(=O)[O-]", "KWIUHFFTVRNATP-UHFFFAOYSA-N"),  # betaine
    ("[2H]C([2H])([2H])S(=O)C([2H])([2H])[2H]", "IAZDPXIOMUYVGZ-WFGJKAKNSA-N"),  # DMSO-d6
    ("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"),  # ethanol from InChI
]


@pytest.mark.parametrize(("text", "key"), PUBLISHED_KEYS)
def test_published_inchikeys(text, key):
    result = compound_from_text(text)
    assert result.ok, result.error
    assert result.inchikey == key


@pytest.mark.parametrize(
    ("salt", "key"),
    [
        ("CC(=O)[O-].[Na+]", "QTBSBXVTEAMEQO-UHFFFAOYSA-N"),  # sodium acetate -> acetic acid
        ("C[N+](C)(C)CCO.[Cl-]", "OEYIOHPDSNJKLS-UHFFFAOYSA-N"),  # choline chloride -> choline
        ("[Na+].[Cl-]", "FAPWRFPIFSIZLT-UHFFFAOYSA-M"),  # sodium chloride, kept whole
        ("O=[N+]([O-])[O-].[Na+]", "VWDWKYIASSYTQR-UHFFFAOYSA-N"),  # sodium nitrate, kept whole
    ],
)
def test_salts_get_the_key_of_their_parent(salt, key):
    result = compound_from_text(salt)
    assert result.inchikey == key and result.is_salt and FLAG_SALT in result.flags


def test_charge_neutralisation_gives_the_neutral_key():
    acetate = compound_from_text("CC(=O)[O-]")
    assert acetate.inchikey == "QTBSBXVTEAMEQO-UHFFFAOYSA-N"
    assert acetate.charge_changed and FLAG_NEUTRALISED in acetate.flags
    zwitterion = compound_from_text("C[C@H]([NH3+])C(=O)[O-]")
    assert zwitterion.inchikey == "QNAYBMKLOCPYGJ-REOHCLBHSA-N"


def test_stereoisomers_are_different_compounds():
    keys = {compound_from_text(s).inchikey for s in ("C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "CC(N)C(=O)O")}
    assert len(keys) == 3


def test_mobile_h_tautomers_share_a_key_without_tautomer_canonicalisation():
    hydroxypyridine = compound_from_text("Oc1ccccn1")
    pyridone = compound_from_text("O=c1cccc[nH]1")
    assert hydroxypyridine.inchikey == pyridone.inchikey == "UBQKCCHYAOITMY-UHFFFAOYSA-N"
    # The SMILES stays the tautomer the source gave.
    assert hydroxypyridine.compound.smiles != pyridone.compound.smiles


def test_compound_fields():
    result = compound_from_text("OCC(O)CO", name=" glycerol ")
    compound = result.compound
    assert isinstance(compound, Compound)
    assert compound.smiles == "OCC(O)CO"
    assert compound.inchi == "InChI=1S/C3H8O3/c4-1-3(6)2-5/h3-6H,1-2H2"
    assert compound.formula == "C3H8O3"
    assert compound.std_version == STANDARDISATION_VERSION
    assert compound.name == "glycerol"
    assert compound.mol_weight == pytest.approx(92.094, abs=0.001)


def test_inchi_warnings_are_captured_not_printed(capfd):
    result = compound_from_text("CC(N)C(=O)O")
    assert "InChI: Omitted undefined stereo" in result.warnings
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_name_falls_back_to_the_text_or_molecule():
    assert compound_from_text("CCO ethanol").compound.name == "ethanol"
    assert compound_from_text("CCO ethanol", name="alcohol").compound.name == "alcohol"
    mol = Chem.MolFromSmiles("OCCO")
    mol.SetProp("_Name", "MEG")
    assert compound_from_mol(mol).compound.name == "MEG"
    assert compound_from_mol(mol, name="ethylene glycol").compound.name == "ethylene glycol"


def test_compound_from_mol_standardises():
    result = compound_from_mol(Chem.MolFromSmiles("CC(=O)[O-].[Na+]"))
    assert result.inchikey == "QTBSBXVTEAMEQO-UHFFFAOYSA-N"
    assert result.removed_fragments == ("[Na+]",)


@pytest.mark.parametrize(
    ("text", "stage", "reason"),
    [
        ("C1CC", "parse", "SMILES parse error: unclosed ring"),
        ("", "parse", "empty structure text"),
        (None, "parse", "no structure text given"),
        ("C(C)(C)(C)(C)C", "parse", "valence"),
        ("InChI=1S/garbage", "parse", "InChI parse error"),
        ("*CC", "identity", "InChI generation failed"),
    ],
)
def test_failures_name_the_stage_and_reason(text, stage, reason):
    result = compound_from_text(text)
    assert result.compound is None and result.stage == stage
    assert reason in result.error


def test_compound_from_mol_with_no_molecule():
    result = compound_from_mol(None)
    assert result.stage == "standardize" and result.error == "no molecule to standardise"


def test_bulk_keeps_order_and_reports_failures_in_place():
    results = compounds_from_smiles(["CCO", "C1CC", "OCC(O)CO"], names=["ethanol", "broken", "glycerol"])
    assert [r.inchikey for r in results] == [
        "LFQSCWFLJHTTHZ-UHFFFAOYSA-N",
        None,
        "PEDCQBHIVMGVHV-UHFFFAOYSA-N",
    ]
    assert results[1].error.startswith("SMILES parse error")
    assert results[2].compound.name == "glycerol"


def test_bulk_by_kind():
    results = compounds_from_texts(["InChI=1S/CH4/h1H4", "CCO"], kind="inchi")
    assert results[0].ok and not results[1].ok and "InChI=" in results[1].error


def test_bulk_rejects_mismatched_names():
    with pytest.raises(ValueError, match="2 names for 1 structures"):
        compounds_from_smiles(["CCO"], names=["a", "b"])


def test_results_are_picklable_and_hold_no_rdkit_objects():
    results = compounds_from_smiles(["CC(=O)[O-].[Na+]", "C1CC"])
    restored = pickle.loads(pickle.dumps(results))  # noqa: S301 - our own bytes, as a worker pool does
    assert restored == results
    for result in restored:
        assert not any(isinstance(getattr(result, f), Chem.Mol) for f in result.__dataclass_fields__)


def test_bulk_runs_in_a_spawned_worker_process():
    # Spawn is what Windows and a frozen app use: the function must be importable and pure.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = pool.submit(compounds_from_smiles, ["OCC(O)CO", "C1CC"]).result(timeout=120)
    assert results[0].inchikey == "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
    assert results[1].stage == "parse"


def test_bulk_parsing_of_bad_smiles_prints_nothing(capfd):
    bad = ["C1CC", "C(C", "c1cccc1", "C(C)(C)(C)(C)C", "Xx", "N(C)(C)(C)C", "CC)", "c1cccn1"] * 30
    results = compounds_from_smiles(bad)
    assert all(not r.ok and r.error for r in results)
    # Inputs RDKit accepts with a warning, and metal salts, must be quiet too.
    noisy_but_valid = compounds_from_smiles(["[H+].[Cl-]", "CC(=O)O[Na]", "[2H][H]"])
    assert all(r.ok for r in noisy_but_valid)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
