"""Checks of the embedded reference mixtures (resources/mixtures/reference_mixtures.json)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MIX_PATH = REPO / "resources" / "mixtures" / "reference_mixtures.json"
CPA_PATH = REPO / "resources" / "reference_cpas" / "reference_cpas.csv"
SHARED = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared"))
NOTES = SHARED / "data" / "cpa_mixtures" / "notes.md"

UNITS = {"M", "m", "% w/v", "% v/v", "% w/w", "mM", "mg/mL"}
ROLES = {"penetrating", "non_penetrating", "polymer", "carrier", "water", "other"}
STATUS = {"confirmed", "literature (recalled)", "partly checked"}

DOC = json.loads(MIX_PATH.read_text(encoding="utf-8"))
MIXTURES = DOC["mixtures"]
with CPA_PATH.open(newline="", encoding="utf-8") as _fh:
    CPAS = {r["name"]: r for r in csv.DictReader(_fh)}
COMPONENTS = [(m["id"], c) for m in MIXTURES for c in m["components"]]


def _mix(mid: str) -> dict:
    return next(m for m in MIXTURES if m["id"] == mid)


def _amounts(mid: str) -> dict[str, tuple[float | None, str | None]]:
    return {c["label"]: (c["amount"], c["unit"]) for c in _mix(mid)["components"]}


def test_declared_vocabularies_match() -> None:
    assert set(DOC["allowed_units"]) == UNITS
    assert set(DOC["allowed_roles"]) == ROLES
    assert set(DOC["allowed_status"]) == STATUS


def test_ids_unique_and_all_expected_mixtures_present() -> None:
    ids = [m["id"] for m in MIXTURES]
    assert len(ids) == len(set(ids))
    names = " | ".join(m["name"] for m in MIXTURES)
    for expected in [
        "VS55",
        "VS83",
        "DP6",
        "M22",
        "VM3",
        "Veg",
        "model-optimised Gly/DMSO/FA",
        "Cryotop ES",
        "Cryotop VS",
        "VS11",
        "VS14",
        "EFS40",
        "EAFS10/10",
        "20 % EG",
        "PROH/sucrose",
        "PVS2",
        "PVS3",
        "10 % DMSO",
        "HPC",
        "RBC high-glycerol",
        "RBC low-glycerol",
        "SEGA",
    ]:
        assert expected in names, expected


def test_status_and_citation() -> None:
    for m in MIXTURES:
        assert m["status"] in STATUS, m["id"]
        assert m["citation"].strip(), m["id"]
        assert m["status_detail"].strip(), m["id"]
        assert "10.1002/jmr.1234" not in json.dumps(m)  # placeholder DOI of the old project


@pytest.mark.parametrize("mid,comp", COMPONENTS, ids=[f"{m}:{c['label']}" for m, c in COMPONENTS])
def test_component_unit_role_and_amount(mid: str, comp: dict) -> None:
    assert comp["role"] in ROLES
    if comp["amount"] is None and comp["unit"] is None:
        assert comp["role"] in {"carrier", "water"}, "only carriers/water may have no amount"
        return
    assert comp["unit"] in UNITS
    if comp["amount"] is None:
        assert 0 < comp["amount_min"] < comp["amount_max"]
    else:
        assert comp["amount"] > 0
    if comp["unit"] in {"% w/v", "% v/v", "% w/w"}:
        assert (comp["amount"] or comp["amount_max"]) <= 100
    if comp["unit"] == "M":
        assert comp["amount"] <= 10, "single component above 10 mol/L is not physical"
    if "unit_as_published" in comp:
        assert comp["unit_note"].strip()


@pytest.mark.parametrize("mid,comp", COMPONENTS, ids=[f"{m}:{c['label']}" for m, c in COMPONENTS])
def test_component_links_to_reference_cpa(mid: str, comp: dict) -> None:
    if comp["inchikey"] is None:
        assert comp["compound"] is None
        assert comp["role"] in {"polymer", "carrier", "water", "other"}
        return
    assert comp["compound"] in CPAS, comp["compound"]
    assert CPAS[comp["compound"]]["expected_inchikey"] == comp["inchikey"]


def test_undefined_materials_have_no_structure() -> None:
    for _mid, comp in COMPONENTS:
        if comp["role"] in {"polymer", "carrier"}:
            assert comp["compound"] is None and comp["inchikey"] is None


def test_total_molarity_is_physical() -> None:
    for m in MIXTURES:
        total = sum(c["amount"] for c in m["components"] if c["unit"] == "M" and c["amount"])
        assert total < 15, m["id"]


def test_published_values_and_known_errors_not_copied() -> None:
    vs55 = _amounts("vs55")
    assert vs55["DMSO"] == (3.1, "M") and vs55["formamide"] == (3.1, "M")
    assert vs55["1,2-propanediol"] == (2.2, "M")
    dp6 = _amounts("dp6")
    assert dp6["DMSO"] == (3.0, "M") and dp6["1,2-propanediol"] == (3.0, "M")  # not 6 % w/v
    es = _amounts("cryotop_es")
    assert es["DMSO"] == (7.5, "% v/v") and es["EG"] == (7.5, "% v/v")  # not 7.5 mol/L
    m22 = _amounts("m22")
    assert m22["DMSO"] == (22.305, "% w/v") and m22["N-methylformamide"] == (3, "% w/v")
    assert m22["PVP K12"] == (2.8, "% w/v")
    assert _amounts("gly_dmso_fa_model_optimised")["glycerol"] == (7.4, "m")
    assert _amounts("sega")["EG"] == (300, "mM")
    assert _amounts("efs40")["Ficoll 70"] == (18, "% w/v")
    assert "3.4 M" not in json.dumps(_mix("eafs10_10")["components"])
    assert "411-416" in _mix("proh_sucrose_slow")["citation"]


def test_status_counts() -> None:
    counts: dict[str, int] = {}
    for m in MIXTURES:
        counts[m["status"]] = counts.get(m["status"], 0) + 1
    assert counts.get("confirmed", 0) >= 6
    assert sum(counts.values()) == len(MIXTURES) >= 20


@pytest.mark.skipif(not NOTES.is_file(), reason="shared/data/cpa_mixtures/notes.md not present")
def test_amounts_appear_in_notes() -> None:
    """Every stored number is written in notes.md (catches typos in transcription)."""
    text = NOTES.read_text(encoding="utf-8")
    for mid, comp in COMPONENTS:
        for value in (comp["amount"], comp.get("amount_min"), comp.get("amount_max")):
            if value is None:
                continue
            as_text = str(int(value)) if float(value).is_integer() else str(value)
            assert as_text in text, (mid, comp["label"], value)
