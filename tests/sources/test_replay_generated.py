"""The replay server's generated replies have the recorded key sets and JSON value types."""

from __future__ import annotations

from typing import Any

import requests

from tests.replay import ReplayServer
from tests.replay.generate import LEGACY_TO_NEW
from tests.replay.recorded import fixture_json

LEGACY_FILE = ("pubchem", "property_POST_cid5564_2244_allprops_legacy-smiles-keys.json")


def type_class(value: Any) -> str:
    """JSON type, with int and float as one "number" (PubChem sends 5 for one CID, 1.2 for another)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


def recorded_types(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    types: dict[str, set[str]] = {}
    for row in rows:
        for key, value in row.items():
            types.setdefault(key, set()).add(type_class(value))
    return types


def _post_properties(server: ReplayServer, cids: list[int], names: list[str]) -> list[dict[str, Any]]:
    reply = requests.post(
        f"{server.pubchem_base}/compound/cid/property/{','.join(names)}/JSON",
        data={"cid": ",".join(map(str, cids))},
        timeout=30,
    )
    assert reply.status_code == 200
    return reply.json()["PropertyTable"]["Properties"]


def test_generated_property_rows_match_the_recorded_legacy_reply(replay_server: ReplayServer) -> None:
    recorded = fixture_json(*LEGACY_FILE)["PropertyTable"]["Properties"]
    names = [k for k in recorded[0] if k != "CID"]
    expected = recorded_types(recorded)
    replay_server.pubchem.smiles_keys = "legacy"
    rows = _post_properties(replay_server, list(range(10, 50)), names)
    assert len(rows) == 40
    full = 0
    for row in rows:
        assert set(row) <= set(expected), set(row) - set(expected)
        for key, value in row.items():
            assert type_class(value) in expected[key], (key, value)
        full += set(row) == set(expected)
    # Keys may be missing (no XLogP / 3-D data for salts and big molecules) but mostly are not.
    assert full >= 30
    assert all(isinstance(r["MolecularWeight"], str) and isinstance(r["ExactMass"], str) for r in rows)


def test_generated_rows_use_the_2025_smiles_keys(replay_server: ReplayServer) -> None:
    recorded = fixture_json(*LEGACY_FILE)["PropertyTable"]["Properties"]
    names = [k for k in recorded[0] if k != "CID"]
    expected = {LEGACY_TO_NEW.get(k, k) for k in recorded[0]}
    rows = _post_properties(replay_server, [2244, 5564, 11, 12], names)
    assert set(rows[0]) == expected and set(rows[1]) == expected
    assert "IsomericSMILES" not in rows[2] and "SMILES" in rows[2]
    # Recorded CIDs keep their recorded values.
    assert rows[0]["SMILES"] == recorded[1]["IsomericSMILES"] and rows[0]["MolecularWeight"] == "180.16"


def test_generated_small_property_reply_matches_the_recorded_one(replay_server: ReplayServer) -> None:
    recorded = fixture_json("pubchem", "property_POST_cid5564_MolecularFormula_MolecularWeight.json")
    rows = _post_properties(replay_server, [1, 2, 3], ["MolecularFormula", "MolecularWeight"])
    for row in rows:
        assert list(row) == list(recorded["PropertyTable"]["Properties"][0])
        assert recorded_types([row]) == recorded_types(recorded["PropertyTable"]["Properties"])


def test_generated_synonyms_match_the_recorded_shape(replay_server: ReplayServer) -> None:
    recorded = fixture_json("pubchem", "synonyms_POST_name_aspirin.json")
    reply = requests.post(f"{replay_server.pubchem_base}/compound/cid/synonyms/JSON", data={"cid": "1,2"}, timeout=10)
    data = reply.json()
    assert set(data) == set(recorded) and set(data["InformationList"]) == set(recorded["InformationList"])
    for item in data["InformationList"]["Information"]:
        assert set(item) == set(recorded["InformationList"]["Information"][0])
        assert isinstance(item["CID"], int) and all(isinstance(s, str) for s in item["Synonym"])


def test_generated_chembl_molecules_match_the_recorded_ones(replay_server: ReplayServer) -> None:
    recorded = [fixture_json("chembl", f) for f in ("molecule_CHEMBL25.json", "molecule_CHEMBL1082.json")]
    top = recorded_types(recorded)
    props = recorded_types([m["molecule_properties"] for m in recorded])
    structures = recorded_types([m["molecule_structures"] for m in recorded])
    for number in (3, 77, 123_456):
        molecule = requests.get(f"{replay_server.chembl_base}/molecule/CHEMBL{number}.json", timeout=10).json()
        assert set(molecule) == set(top)
        assert all(type_class(v) in top[k] for k, v in molecule.items()), molecule
        assert set(molecule["molecule_properties"]) == set(props)
        assert all(type_class(v) in props[k] for k, v in molecule["molecule_properties"].items())
        assert set(molecule["molecule_structures"]) == set(structures)
        assert all(type_class(v) in structures[k] for k, v in molecule["molecule_structures"].items())


def test_generated_list_pages_match_the_recorded_page_meta(replay_server: ReplayServer) -> None:
    recorded = fixture_json("chembl", "atc_class_limit1000_offset0_page1.json")["page_meta"]
    page = requests.get(
        f"{replay_server.chembl_base}/molecule.json",
        params={"molecule_chembl_id__in": "CHEMBL25,CHEMBL3,CHEMBL4", "limit": 2},
        timeout=10,
    ).json()
    assert set(page) == {"molecules", "page_meta"}
    assert set(page["page_meta"]) == set(recorded)
    assert page["page_meta"]["next"].startswith("/chembl/api/data/molecule.json?")
    assert recorded_types([page["page_meta"]])["limit"] == recorded_types([recorded])["limit"]


def test_pruned_pug_view_reply_keeps_the_record_shape(replay_server: ReplayServer) -> None:
    full = fixture_json("pubchem", "pugview_data_compound_176_acetic-acid_full.json")["Record"]
    pruned = requests.get(
        f"{replay_server.pubchem_view_base}/data/compound/176/JSON", params={"heading": "Viscosity"}, timeout=10
    ).json()["Record"]
    assert set(pruned) == set(full)
    refs = {r["ReferenceNumber"] for r in pruned["Reference"]}
    assert refs and refs <= {r["ReferenceNumber"] for r in full["Reference"]}
