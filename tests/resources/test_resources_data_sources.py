"""Checks of resources/data_sources.json and the data files it describes."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from rdkit import Chem, RDLogger

REPO = Path(__file__).resolve().parents[2]
RES = REPO / "resources"
SHARED = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared"))
DOC = json.loads((RES / "data_sources.json").read_text(encoding="utf-8"))
SOURCES = {s["key"]: s for s in DOC["sources"]}
KEYS = [
    "tox21",
    "koop_tg",
    "bradley_mp",
    "esol",
    "reference_cpas",
    "reference_mixtures",
    "aop_map",
    "assay_targets",
    "cpa_formulations",
]
TABULAR = ["tox21", "koop_tg", "bradley_mp", "esol"]
REQUIRED = ["key", "title", "files", "licence", "licence_file", "citation", "url", "notes"]
TOX21_TASKS = [
    "NR-AR",
    "NR-AR-LBD",
    "NR-AhR",
    "NR-Aromatase",
    "NR-ER",
    "NR-ER-LBD",
    "NR-PPAR-gamma",
    "SR-ARE",
    "SR-ATAD5",
    "SR-HSE",
    "SR-MMP",
    "SR-p53",
]

RDLogger.DisableLog("rdApp.*")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh))


def stated_hashes(source_txt: Path) -> dict[str, str]:
    """File name -> sha256 as written in a SOURCE.txt ('<file>' line, then an indented 'sha256:' line)."""
    out: dict[str, str] = {}
    current = None
    for line in source_txt.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace():
            current = line.split()[0]
        m = re.match(r"^\s+sha256:\s+([0-9a-f]{64})\s*$", line)
        if m and current:
            out[current] = m.group(1)
    return out


def test_all_keys_present() -> None:
    assert list(SOURCES) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_entry_complete_and_files_exist(key: str) -> None:
    entry = SOURCES[key]
    for field in REQUIRED:
        assert field in entry, field
    assert entry["title"] and entry["licence"] and entry["citation"] and entry["notes"]
    assert entry["files"]
    for f in entry["files"]:
        path = RES / f["path"]
        assert path.is_file(), f["path"]
        if "sha256" in f:
            assert sha256(path) == f["sha256"], f["path"]
        if "sha256_stated_in_source" in f:
            assert f["sha256_stated_in_source"] == f["sha256"]
    assert (RES / entry["licence_file"]).is_file()
    for extra in entry.get("licence_files", []):
        assert (RES / extra).is_file()


def test_copied_files_match_sha256_stated_in_source_txt() -> None:
    checked = 0
    for source_txt in sorted((RES / "data").glob("*/SOURCE.txt")):
        for name, digest in stated_hashes(source_txt).items():
            path = source_txt.parent / name
            if path.is_file():
                assert sha256(path) == digest, path
                checked += 1
    assert checked >= 3  # tox21.csv, Koop_dataset.csv, delaney.csv


@pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="shared/data not present")
def test_copies_are_verbatim() -> None:
    for folder in ["tox21", "glass_transition", "melting_point", "esol", "cpa_formulations"]:
        for path in (RES / "data" / folder).iterdir():
            original = SHARED / "data" / folder / path.name
            assert original.is_file(), original
            assert path.read_bytes() == original.read_bytes(), path
        for stated in stated_hashes(SHARED / "data" / folder / "SOURCE.txt").items():
            if (RES / "data" / folder / stated[0]).is_file():
                assert sha256(RES / "data" / folder / stated[0]) == stated[1]


@pytest.mark.parametrize("key", TABULAR)
def test_column_mapping_matches_file(key: str) -> None:
    entry = SOURCES[key]
    data_file = RES / entry["files"][0]["path"]
    cols = header(data_file)
    assert entry["columns"]["smiles"] in cols
    if entry["columns"]["name"] is not None:
        assert entry["columns"]["name"] in cols
    assert entry["properties"]
    for prop in entry["properties"]:
        assert prop["column"] in cols, prop["column"]
        assert prop["property"]
    for extra in entry.get("secondary_files", []):
        extra_cols = header(RES / extra["path"])
        assert extra["columns"]["smiles"] in extra_cols
        for prop in extra["properties"]:
            assert prop["column"] in extra_cols


@pytest.mark.parametrize("key", TABULAR)
def test_row_count_and_smiles_parse(key: str) -> None:
    entry = SOURCES[key]
    with (RES / entry["files"][0]["path"]).open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == entry["rows"]
    smiles_col = entry["columns"]["smiles"]
    sample = rows[:: max(1, len(rows) // 200)]
    parsed = sum(Chem.MolFromSmiles(r[smiles_col]) is not None for r in sample)
    assert parsed / len(sample) > 0.95


def test_units_of_properties() -> None:
    units = {(k, p["column"]): p["unit"] for k in TABULAR for p in SOURCES[k]["properties"]}
    assert units[("koop_tg", "Tg (K)")] == "K"
    assert units[("koop_tg", "Tm_exp (K)")] == "K"
    assert units[("bradley_mp", "mpC")] == "degC"
    assert units[("esol", "logp")] == "log10(mol/L)"
    assert SOURCES["esol"]["properties"][0]["property"] == "log_solubility"


def test_tox21_assays_described() -> None:
    props = SOURCES["tox21"]["properties"]
    assert [p["column"] for p in props] == TOX21_TASKS
    assert header(RES / "data" / "tox21" / "tox21.csv")[1:] == TOX21_TASKS
    for p in props:
        expected = "nuclear receptor" if p["column"].startswith("NR-") else "stress response"
        assert p["category"] == expected
        assert p["description"] and p["values"][""] == "not tested"


def test_caveats_are_stated() -> None:
    text = json.dumps(DOC).lower()
    assert "logp" in text and "solubility" in text
    koop_notes = " ".join(SOURCES["koop_tg"]["notes"]).lower()
    assert "duplicate" in koop_notes and "salt" in koop_notes
    assert "not tested" in " ".join(SOURCES["tox21"]["notes"]).lower()
