"""ChEMBL client against the replay server: recorded molecules, 404s, lists, paging, activities."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from cryodesk.sources.chembl import ChemblClient, chembl_config, parse_molecule, parse_page
from cryodesk.sources.http import RetryPolicy, ServiceRegistry, VirtualClock
from tests.replay import Fault, ReplayServer
from tests.replay.recorded import fixture_json


@pytest.fixture
def chembl(replay_server: ReplayServer, registry: ServiceRegistry, vclock: VirtualClock) -> Iterator[ChemblClient]:
    config = chembl_config(base_url=replay_server.chembl_base, rate=100.0, retry=RetryPolicy(max_attempts=3, base_delay=0.01))
    client = ChemblClient(config=config, cache=False, registry=registry, clock=vclock)
    yield client
    client.close()


def test_molecule_by_id(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    aspirin = chembl.molecule("CHEMBL25")
    assert aspirin is not None
    assert (aspirin.chembl_id, aspirin.pref_name, aspirin.molecule_type) == ("CHEMBL25", "ASPIRIN", "Small molecule")
    assert aspirin.full_mwt == 180.16 and aspirin.alogp == 1.31 and aspirin.max_phase == 4.0
    assert aspirin.canonical_smiles == "CC(=O)Oc1ccccc1C(=O)O"
    assert aspirin.standard_inchi_key == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    assert "N02BA01" in aspirin.atc_classifications and aspirin.parent_chembl_id == "CHEMBL25"
    assert aspirin.raw["molecule_properties"]["full_mwt"] == "180.16"  # strings kept as received
    request = replay_server.requests[-1]
    assert request.path == "/chembl/api/data/molecule/CHEMBL25.json"
    assert "application/json" in request.headers["accept"]


def test_unknown_id_is_none_and_not_retried(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    assert chembl.molecule("CHEMBL12345678") is None
    assert replay_server.count() == 1 and replay_server.requests[0].status == 404
    assert chembl.lookup("CHEMBL99999999") is None


def test_the_server_defaults_to_xml_like_chembl(replay_server: ReplayServer) -> None:
    reply = requests.get(f"{replay_server.chembl_base}/molecule/CHEMBL25", timeout=5)
    assert reply.headers["Content-Type"] == "application/xml"


def test_many_ids_in_one_get(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    molecules = chembl.molecules(["chembl1082", "CHEMBL25", "CHEMBL12345678", "CHEMBL25", "CHEMBL7"])
    assert [m.chembl_id for m in molecules] == ["CHEMBL1082", "CHEMBL25", "CHEMBL7"]
    (request,) = replay_server.requests
    assert request.method == "GET"
    assert request.query["molecule_chembl_id__in"] == ["CHEMBL1082,CHEMBL25,CHEMBL12345678,CHEMBL7"]


def test_long_id_lists_are_posted_with_a_method_override(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    ids = [f"CHEMBL{n}" for n in range(1000, 1030)]
    chembl.chunk_size = 30
    chembl.max_url_length = 200  # 30 ids make a longer URL than this
    molecules = chembl.molecules(ids)
    assert [m.chembl_id for m in molecules] == ids
    (request,) = replay_server.requests
    assert request.method == "POST" and request.path == "/chembl/api/data/molecule.json"
    assert request.headers["x-http-method-override"] == "GET"
    pairs = json.loads(request.body)
    assert ["molecule_chembl_id__in", ",".join(ids)] in pairs and ["limit", 30] in pairs


def test_smiles_flexmatch(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    hits = chembl.molecules_by_smiles("OC(=O)c1ccccc1OC(C)=O")  # aspirin, another spelling
    assert [m.chembl_id for m in hits] == ["CHEMBL25"]
    assert replay_server.requests[-1].query["molecule_structures__canonical_smiles__flexmatch"] == [
        "OC(=O)c1ccccc1OC(C)=O"
    ]


def test_pages_are_walked_through_page_meta_next(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    ids = ",".join(f"CHEMBL{n}" for n in range(100, 145))
    pages = list(chembl.iter_pages("molecule", {"molecule_chembl_id__in": ids}, page_size=20))
    assert [p.offset for p in pages] == [0, 20, 40]
    assert [len(p.items) for p in pages] == [20, 20, 5]
    assert pages[-1].next is None and pages[0].total_count == 45
    assert [r.query["offset"] for r in replay_server.requests] == [["0"], ["20"], ["40"]]


def test_recorded_atc_pages(chembl: ChemblClient) -> None:
    (first,) = chembl.iter_pages("atc_class", page_size=1000, max_pages=1)
    assert len(first.items) == 1000 and first.total_count == 5265
    assert first.next == "/chembl/api/data/atc_class.json?limit=1000&offset=1000" and first.previous is None
    last = parse_page(fixture_json("chembl", "atc_class_limit1000_offset5000_lastpage.json"))
    assert len(last.items) == 265 and last.next is None and last.offset == 5000


def test_activities_for_a_molecule(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    activities = chembl.activities("CHEMBL25")
    assert activities and {a.standard_type for a in activities} <= {"CC50", "LD50", "IC50"}
    assert replay_server.requests[0].query["standard_type__in"] == ["CC50,LD50,IC50"]
    assert all(isinstance(a.standard_value, float) for a in activities)
    assert all(a.molecule_chembl_id == "CHEMBL25" for a in activities)
    everything = chembl.activities("CHEMBL25", standard_types=None)
    assert len(everything) > len(activities)
    ld50 = chembl.activities("CHEMBL25", standard_types=["LD50"])
    assert ld50 and ld50[0].provenance().citation and ld50[0].standard_units == "mg.kg-1"


def test_id_lookup(chembl: ChemblClient) -> None:
    lookup = chembl.lookup("CHEMBL771355")
    assert lookup is not None and (lookup.entity_type, lookup.status, lookup.last_active) == ("ASSAY", "ACTIVE", 33)


def test_html_error_pages_are_retried(chembl: ChemblClient, replay_server: ReplayServer) -> None:
    replay_server.faults.queue(Fault.server_error(500))
    replay_server.faults.queue(Fault.html_page(502))
    assert chembl.molecule("CHEMBL1082") is not None
    assert [r.status for r in replay_server.requests] == [500, 502, 200]


def test_recorded_molecules_parse_directly() -> None:
    amoxicillin = parse_molecule(fixture_json("chembl", "molecule_CHEMBL1082.json"))
    assert amoxicillin.molecular_formula == "C16H19N3O5S" and amoxicillin.full_mwt == 365.41
    assert amoxicillin.hba == 6 and amoxicillin.hbd == 4
    assert amoxicillin.synonyms[:2] == ("Amix 125", "Amix 250")
