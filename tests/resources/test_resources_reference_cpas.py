"""Checks of the embedded reference CPA table (resources/reference_cpas/reference_cpas.csv).

The central check: for every row whose InChIKey has an independent published source, RDKit's standard
InChIKey of the SMILES written in the table must equal that published key. The published key was copied
from the source named in ``inchikey_source`` (PubChem-derived table, DrugBank vocabulary, a recorded
PubChem response, ...), never computed from the same SMILES.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
from rdkit import Chem, RDLogger

REPO = Path(__file__).resolve().parents[2]
CSV_PATH = REPO / "resources" / "reference_cpas" / "reference_cpas.csv"
SHARED = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared"))

COLUMNS = [
    "name",
    "smiles",
    "cas",
    "role",
    "category",
    "expected_inchikey",
    "inchikey_source",
    "synonyms",
    "dataset_matches",
    "notes",
]
ROLES = {"penetrating", "non_penetrating", "polymer_unit", "other"}
CATEGORIES = {
    "sulfoxide",
    "sulfone",
    "alcohol",
    "polyol",
    "sugar",
    "sugar_alcohol",
    "amide",
    "urea",
    "amino_acid",
    "osmolyte",
    "oligoethylene_glycol",
}
INCHIKEY_RE = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")
CAS_RE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")

RDLogger.DisableLog("rdApp.*")


def _rows() -> list[dict[str, str]]:
    with CSV_PATH.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


ROWS = _rows()
CHECKED = [r for r in ROWS if r["inchikey_source"].strip().lower() != "recalled"]


def cas_is_valid(cas: str) -> bool:
    """CAS Registry Number check digit: sum of digits times position from the right, modulo 10."""
    m = CAS_RE.match(cas)
    if not m:
        return False
    body = (m.group(1) + m.group(2))[::-1]
    total = sum((i + 1) * int(d) for i, d in enumerate(body))
    return total % 10 == int(m.group(3))


def rdkit_inchikey(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    assert mol is not None, f"SMILES does not parse: {smiles}"
    return Chem.MolToInchiKey(mol)


def test_cas_checksum_helper_on_known_values() -> None:
    assert cas_is_valid("67-68-5")  # DMSO
    assert cas_is_valid("7732-18-5")  # water
    assert not cas_is_valid("67-68-4")
    assert not cas_is_valid("6768-5")


def test_header_is_as_documented() -> None:
    with CSV_PATH.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == COLUMNS


def test_size_and_checked_count() -> None:
    assert len(ROWS) >= 45
    assert len(CHECKED) >= 40


def test_names_unique() -> None:
    names = [r["name"].strip().lower() for r in ROWS]
    assert all(names)
    assert len(names) == len(set(names))


def test_cas_unique_and_checksums() -> None:
    bad = [(r["name"], r["cas"]) for r in ROWS if not cas_is_valid(r["cas"])]
    assert bad == []
    cas = [r["cas"] for r in ROWS]
    assert len(cas) == len(set(cas))


def test_roles_categories_and_key_format() -> None:
    for r in ROWS:
        assert r["role"] in ROLES, r["name"]
        assert r["category"] in CATEGORIES, r["name"]
        assert INCHIKEY_RE.match(r["expected_inchikey"]), r["name"]
        assert r["inchikey_source"].strip(), r["name"]


def test_inchikeys_unique() -> None:
    keys = [r["expected_inchikey"] for r in ROWS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("row", CHECKED, ids=[r["name"] for r in CHECKED])
def test_smiles_matches_independent_published_inchikey(row: dict[str, str]) -> None:
    assert rdkit_inchikey(row["smiles"]) == row["expected_inchikey"]


@pytest.mark.parametrize("row", CHECKED, ids=[r["name"] for r in CHECKED])
def test_checked_source_is_locatable(row: dict[str, str]) -> None:
    """A checked key names a repository@commit:path, a shared fixture path, or a URL for each source."""
    for source in row["inchikey_source"].split(" | "):
        source = source.strip()
        assert (
            re.match(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}:", source)
            or source.startswith("shared/fixtures/")
            or source.startswith("https://")
        ), (row["name"], source)


def test_recalled_rows_are_labelled_and_parse() -> None:
    recalled = [r for r in ROWS if r not in CHECKED]
    for r in recalled:
        assert r["inchikey_source"] == "recalled"
        assert Chem.MolFromSmiles(r["smiles"]) is not None, r["name"]


def test_stereo_is_defined_for_single_stereoisomers() -> None:
    """Sugars and amino acids must carry their stereo (a stereo-less key would merge D/L or epimers)."""
    for r in ROWS:
        if r["category"] in {"sugar", "amino_acid"} and r["name"] != "Glycine":
            assert "-UHFFFAOYSA-" not in r["expected_inchikey"], r["name"]


def test_mixture_compounds_are_present() -> None:
    names = {r["name"] for r in ROWS}
    for needed in [
        "Dimethyl sulfoxide",
        "Glycerol",
        "Ethylene glycol",
        "1,2-Propanediol",
        "Formamide",
        "Acetamide",
        "N-Methylformamide",
        "3-Methoxy-1,2-propanediol",
        "Sucrose",
        "Trehalose",
        "Taurine",
        "Ectoine",
    ]:
        assert needed in names


FIXTURES = SHARED / "fixtures"


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared/fixtures not present")
def test_fixture_sources_contain_the_key() -> None:
    """Rows citing a recorded response in shared/fixtures: the key is literally in that file."""
    seen = 0
    for r in ROWS:
        for source in r["inchikey_source"].split(" | "):
            if source.startswith("shared/fixtures/"):
                path = SHARED.parent / source.split(" ")[0]
                assert r["expected_inchikey"] in path.read_text(encoding="utf-8"), r["name"]
                seen += 1
    assert seen >= 1


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared/fixtures not present")
def test_cas_agrees_with_tox21_library_rows() -> None:
    """CAS numbers of compounds in the recorded Tox21 10K library excerpt agree with the table."""
    path = FIXTURES / "tox21_toxcast" / "tox21_10k_library_info.cryoprotectant_rows.tsv"
    by_key = {r["expected_inchikey"]: r for r in ROWS}
    matched = 0
    with path.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            mol = Chem.MolFromSmiles(rec["SMILES"])
            if mol is None:
                continue
            frags = sorted(Chem.GetMolFrags(mol, asMols=True), key=lambda m: m.GetNumHeavyAtoms())
            key = Chem.MolToInchiKey(frags[-1])
            if key in by_key and rec["SAMPLE_NAME"].lower().find("dihydrate") < 0:
                assert by_key[key]["cas"] == rec["CAS"], rec["SAMPLE_NAME"]
                matched += 1
    assert matched >= 5
