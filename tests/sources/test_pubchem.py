"""PubChem client against the replay server: recorded fixtures and generated replies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cryodesk.domain import Method
from cryodesk.sources.errors import PendingTimeoutError, RequestRejectedError, RetriesExhaustedError
from cryodesk.sources.http import RetryPolicy, ServiceRegistry, VirtualClock
from cryodesk.sources.pubchem import (
    DEFAULT_PROPERTIES,
    PubChemClient,
    parse_experimental_properties,
    parse_fault,
    parse_property_table,
    pubchem_config,
)
from tests.replay import Fault, ReplayServer
from tests.replay.recorded import fixture_bytes, fixture_json

LEGACY_FILE = ("pubchem", "property_POST_cid5564_2244_allprops_legacy-smiles-keys.json")


@pytest.fixture
def pubchem(replay_server: ReplayServer, registry: ServiceRegistry, vclock: VirtualClock) -> Iterator[PubChemClient]:
    config = pubchem_config(
        base_url=replay_server.pubchem_base, rate=100.0, retry=RetryPolicy(max_attempts=3, base_delay=0.01)
    )
    client = PubChemClient(config=config, cache=False, registry=registry, clock=vclock, poll_interval=2.0)
    yield client
    client.close()


def _recorded_property_names() -> list[str]:
    row = fixture_json(*LEGACY_FILE)["PropertyTable"]["Properties"][0]
    return [k for k in row if k != "CID"]


# -- properties ----------------------------------------------------------------------------------
def test_recorded_legacy_keys_are_understood(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    replay_server.pubchem.smiles_keys = "legacy"
    records = pubchem.properties([5564, 2244], _recorded_property_names())
    assert [r.cid for r in records] == [5564, 2244]
    triclosan, aspirin = records
    assert triclosan.molecular_weight == 289.5 and triclosan.raw["MolecularWeight"] == "289.5"
    assert triclosan.xlogp == 5.0 and aspirin.xlogp == 1.2
    assert aspirin.smiles == "CC(=O)OC1=CC=CC=C1C(=O)O"  # from IsomericSMILES
    assert aspirin.connectivity_smiles == "CC(=O)OC1=CC=CC=C1C(=O)O"  # from CanonicalSMILES
    assert "CanonicalSMILES" in aspirin.raw and "SMILES" not in aspirin.raw
    assert aspirin.inchikey == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    assert aspirin.exact_mass == pytest.approx(180.04225873)
    assert (aspirin.hbond_donors, aspirin.hbond_acceptors, aspirin.heavy_atoms, aspirin.charge) == (1, 4, 13, 0)
    body = replay_server.requests[-1].body
    assert replay_server.requests[-1].method == "POST" and body == b"cid=5564%2C2244"


def test_recorded_files_parse_directly() -> None:
    rows = parse_property_table(fixture_json(*LEGACY_FILE))
    assert rows[1].smiles == rows[1].connectivity_smiles == "CC(=O)OC1=CC=CC=C1C(=O)O"
    small = parse_property_table(fixture_json("pubchem", "property_POST_cid5564_MolecularFormula_MolecularWeight.json"))
    assert small[0].molecular_formula == "C12H7Cl3O2" and small[0].molecular_weight == 289.5
    new_iso = parse_property_table(
        fixture_json("pubchem", "transcribed", "property_cid2244_IsomericSMILES_requested_SMILES_returned.json")
    )
    new_can = parse_property_table(
        fixture_json("pubchem", "transcribed", "property_cid2244_CanonicalSMILES_requested_ConnectivitySMILES_returned.json")
    )
    assert new_iso[0].smiles == "CC(=O)OC1=CC=CC=C1C(=O)O" and new_iso[0].connectivity_smiles is None
    assert new_can[0].connectivity_smiles == "CC(=O)OC1=CC=CC=C1C(=O)O" and new_can[0].smiles is None


def test_2025_keys_are_understood(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    (aspirin,) = pubchem.properties([2244])
    assert "SMILES" in aspirin.raw and "ConnectivitySMILES" in aspirin.raw
    assert "IsomericSMILES" not in aspirin.raw
    assert aspirin.smiles == aspirin.connectivity_smiles == "CC(=O)OC1=CC=CC=C1C(=O)O"
    assert aspirin.molecular_weight == 180.16 and aspirin.title is not None
    # A legacy name in the request, the new key in the reply (the transcribed 2025 curl output).
    (legacy_request,) = pubchem.properties([2244], ["CanonicalSMILES"])
    assert legacy_request.raw == {"CID": 2244, "ConnectivitySMILES": "CC(=O)OC1=CC=CC=C1C(=O)O"}
    assert legacy_request.structure_smiles == "CC(=O)OC1=CC=CC=C1C(=O)O"


def test_properties_are_posted_in_chunks_and_every_cid_comes_back_once(
    pubchem: PubChemClient, replay_server: ReplayServer
) -> None:
    cids = [*range(1, 251), 900_000_001, 3, 3]
    batches = list(pubchem.iter_property_batches(cids, ["MolecularWeight", "SMILES"], chunk_size=100))
    assert [len(b.requested) for b in batches] == [100, 100, 51]
    assert [len(r.body.split(b"%2C")) for r in replay_server.requests] == [100, 100, 51]
    assert all(r.path.endswith("/compound/cid/property/MolecularWeight,SMILES/JSON") for r in replay_server.requests)
    got = [rec.cid for b in batches for rec in b.records]
    assert got == list(range(1, 251))
    assert batches[-1].missing == (900_000_001,)
    assert all(isinstance(rec.molecular_weight, float) for b in batches for rec in b.records)
    assert isinstance(batches[0].records[0].raw["MolecularWeight"], str)


def test_default_properties_and_missing_batch(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    (batch,) = pubchem.iter_property_batches([900_000_005])
    assert batch.records == () and batch.missing == (900_000_005,)
    assert replay_server.requests[-1].path.endswith("/property/" + ",".join(DEFAULT_PROPERTIES) + "/JSON")
    with pytest.raises(ValueError, match="positive"):
        pubchem.properties([0])


# -- identifiers -----------------------------------------------------------------------------------
def test_name_inchikey_and_smiles_to_cids(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    assert pubchem.cids_by_name("Aspirin") == [2244]
    assert replay_server.requests[-1].body == b"name=Aspirin"
    assert pubchem.cids_by_name("not a real compound") == []  # 404 Fault = not found, no retry
    assert pubchem.cids_by_inchikey("BSYNRYMUTXBXSQ-UHFFFAOYSA-N") == [2244]
    assert pubchem.cids_by_inchikey("AAAAAAAAAAAAAA-UHFFFAOYSA-N") == []
    assert pubchem.cids_by_smiles("OC(=O)C") == [176]
    assert pubchem.cids_by_smiles("CCOc1ccc2nc(S(N)(=O)=O)sc2c1") == [1]
    assert replay_server.count() == 6


def test_synonyms_names_and_checksum_valid_cas(pubchem: PubChemClient) -> None:
    (aspirin,) = pubchem.synonyms_by_name("aspirin")
    assert aspirin.cid == 2244 and len(aspirin.synonyms) == 477
    assert aspirin.cas_numbers[0] == "50-78-2"
    assert set(aspirin.cas_numbers) == {"50-78-2", "11126-35-5", "98201-60-6"}
    assert "aspirin" in aspirin.names and "ACETYLSALICYLIC ACID" in aspirin.names
    assert "50-78-2" not in aspirin.names
    assert "CHEBI:15365" in aspirin.other_ids and "CHEBI:15365" not in aspirin.names
    assert "EINECS 200-064-1" in aspirin.other_ids
    assert pubchem.synonyms(2244) == aspirin  # same data through the cid route
    assert pubchem.synonyms_by_name("no such thing") == []


def test_registry_numbers_are_checksum_filtered(pubchem: PubChemClient) -> None:
    assert pubchem.registry_numbers(2244) == ["11126-35-5", "50-78-2", "98201-60-6"]
    rns = pubchem.xrefs(7)["RN"]
    assert len(rns) == 2 and len(pubchem.registry_numbers(7)) == 1  # the bad check digit is dropped


# -- searches --------------------------------------------------------------------------------------
def test_fast_searches_send_smiles_in_the_body(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    hits = pubchem.similar_cids("C/C=C/C(=O)O", threshold=96, max_records=3)
    request = replay_server.requests[-1]
    assert len(hits) == 3
    assert request.path.endswith("/compound/fastsimilarity_2d/smiles/cids/JSON")
    assert request.query == {"Threshold": ["96"], "MaxRecords": ["3"]}
    assert request.body == b"smiles=C%2FC%3DC%2FC%28%3DO%29O"
    assert len(pubchem.substructure_cids("c1ccccc1", max_records=5)) == 5
    assert "fastsubstructure" in replay_server.requests[-1].path


def test_listkey_flow_polls_until_ready(
    pubchem: PubChemClient, replay_server: ReplayServer, vclock: VirtualClock
) -> None:
    replay_server.pubchem.listkey_pending_polls = 2
    cids = pubchem.formula_search("C7H19N3")
    assert len(cids) == 12
    paths = [r.path for r in replay_server.requests]
    assert paths[0].endswith("/compound/formula/C7H19N3/cids/JSON")
    assert paths[1:] == ["/rest/pug/compound/listkey/2883150836684277104/cids/JSON"] * 3
    assert [r.status for r in replay_server.requests] == [202, 202, 202, 200]
    assert vclock.slept.count(2.0) == 3
    assert pubchem.similarity_search_async("CCO", threshold=95)


def test_listkey_gives_up_after_max_wait(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    replay_server.pubchem.listkey_pending_polls = 1000
    pubchem.max_wait = 9.0
    with pytest.raises(PendingTimeoutError, match="still running"):
        pubchem.similarity_search_async("CCO")
    assert replay_server.count() == 5  # the search + 4 polls 2 s apart


# -- errors ----------------------------------------------------------------------------------------
def test_fault_envelopes_become_messages(pubchem: PubChemClient) -> None:
    with pytest.raises(RequestRejectedError) as caught:
        pubchem.http.post("compound/cid/property/MolecularWeight/JSON", data={"cid": "-1"})
    assert caught.value.fault_message == "Invalid ID, must be positive integer"
    assert parse_fault(fixture_bytes("pubchem", "transcribed", "fault_404_NotFound_inchikey.json"), "application/json") == (
        "PUGREST.NotFound",
        "No CID found; No CID found that matches the given InChI key",
    )
    assert parse_fault(fixture_bytes("pubchem", "transcribed", "fault_503_ServerBusy.json"), "")[0] == "PUGREST.ServerBusy"
    assert parse_fault(b"<html><head><title>503 Service Unavailable</title></head></html>", "text/html") == (
        None,
        "503 Service Unavailable",
    )


def test_busy_html_pages_are_retried_then_reported(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    replay_server.faults.queue(Fault.busy(retry_after=None, html=True), times=3)
    with pytest.raises(RetriesExhaustedError) as caught:
        pubchem.cids_by_name("aspirin")
    assert "HTTP 503" in str(caught.value) and "503 Service Unavailable" in str(caught.value)
    assert replay_server.count() == 3


# -- PUG-View --------------------------------------------------------------------------------------
def _by(values: list[Any], prop: str) -> list[Any]:
    return [v for v in values if v.property == prop]


def test_experimental_properties_of_ethylene_glycol(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    values = pubchem.experimental_properties(174)
    assert [r.query for r in replay_server.requests] == [{"heading": [h]} for h in (
        "Melting Point", "Boiling Point", "Density", "Viscosity", "Solubility", "Toxicity Data")]
    melting = _by(values, "Melting Point")
    hsdb = next(v for v in melting if v.value == -12.69)
    assert hsdb.unit == "°C" and hsdb.value_text == "-12.69 °C"
    assert hsdb.source_name == "Hazardous Substances Data Bank (HSDB)" and hsdb.license_url
    fahrenheit = next(v for v in melting if v.value_text == "9 °F (NTP, 1992)")
    assert (fahrenheit.value, fahrenheit.unit) == (9.0, "°F")
    peg = [v for v in melting if v.qualifier == "PEG 400"]
    assert len(peg) == 1 and (peg[0].value, peg[0].value_max) == (4.0, 8.0)
    boiling = next(v for v in _by(values, "Boiling Point") if v.value_text.startswith("197.00 to 198.00"))
    assert (boiling.value, boiling.value_max, boiling.conditions) == (197.0, 198.0, "P=760.00 mmHg")
    viscosity = next(v for v in _by(values, "Viscosity") if v.value == 21.0)
    assert (viscosity.unit, viscosity.conditions) == ("mPa*s", "T=20 °C")
    density = next(v for v in _by(values, "Density") if v.value == 1.1135)
    assert (density.unit, density.conditions) == ("g/cm3", "T=20 °C")
    ld50 = next(v for v in _by(values, "Toxicity Data") if v.measure == "LD50" and v.value == 4700.0)
    assert (ld50.unit, ld50.conditions) == ("mg/kg", "Oral, Rat")
    assert "LD50: 5010 mg/kg" in ld50.value_text  # the whole original string is kept
    miscible = [v for v in _by(values, "Solubility") if v.value is None]
    assert any(v.value_text == "Miscible with water" for v in miscible)
    # Every Information string of the record is represented at least once.
    record = fixture_json("pubchem", "pugview_data_compound_174_ethylene-glycol_Record-only.json")
    texts = set()
    _strings(record["Section"], {"Melting Point", "Viscosity"}, texts)
    assert texts <= {v.value_text for v in values}


def _strings(sections: list[dict[str, Any]], headings: set[str], out: set[str]) -> None:
    for section in sections:
        if section["TOCHeading"] in headings:
            for info in section.get("Information", []):
                out.update(s["String"] for s in info["Value"].get("StringWithMarkup", []))
        _strings(section.get("Section", []), headings, out)


def test_full_record_of_acetic_acid_with_number_values(pubchem: PubChemClient, replay_server: ReplayServer) -> None:
    values = pubchem.experimental_properties(176, per_heading=False)
    assert replay_server.count() == 1 and replay_server.requests[0].query == {}
    number = next(v for v in _by(values, "Melting Point") if v.value_text == "16.6 °C")
    assert (number.value, number.unit, number.reference_number) == (16.6, "°C", 17)
    solubility = next(v for v in _by(values, "Solubility") if v.value == 1_000_000)
    assert (solubility.unit, solubility.conditions) == ("mg/L", "T=25 °C")
    rat = next(v for v in _by(values, "Toxicity Data") if v.value == 3.53)
    assert (rat.unit, rat.measure, rat.conditions) == ("g/kg", "LD50", "Oral, Rat")
    # Heat data in the Melting Point section must not become melting points.
    assert all(v.value is None for v in _by(values, "Melting Point") if "Latent heat" in v.value_text)


def test_experimental_value_to_domain_record() -> None:
    record = {"Record": fixture_json("pubchem", "pugview_data_compound_174_ethylene-glycol_Record-only.json")}
    values = parse_experimental_properties(record, ["Toxicity Data"])
    ld50 = next(v for v in values if v.measure == "LD50")
    domain = ld50.to_property_value("LYCAIKOWRPUZTN-UHFFFAOYSA-N", retrieved_at="2026-01-01T00:00:00+00:00")
    assert domain.property == "Toxicity Data/LD50" and domain.unit == "mg/kg"
    assert domain.value_text == ld50.value_text and domain.conditions == "Oral, Rat"
    assert domain.provenance.source == "pubchem" and domain.provenance.method is Method.MEASURED
    assert domain.provenance.source_record_id == f"CID 174 ref {ld50.reference_number}"
    assert ld50.source_name and ld50.source_name in (domain.provenance.citation or "")


def test_unknown_view_record_is_empty(pubchem: PubChemClient) -> None:
    assert pubchem.view_record(999) is None
    assert pubchem.experimental_properties(999) == []
