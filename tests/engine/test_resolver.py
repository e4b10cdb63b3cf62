"""The multi-strategy identifier resolver: offline (store + parsing + OPSIN) and with the replay server."""

from __future__ import annotations

import shutil

import pytest

from cryodesk.chem import compound_from_text
from cryodesk.domain import Identifier, IdentifierKind
from cryodesk.engine.resolver import InputKind, OpsinNameParser, Resolver, ResolverClients, classify
from cryodesk.sources.cactus import CactusClient, cactus_config
from cryodesk.sources.chembl import ChemblClient, chembl_config
from cryodesk.sources.comptox import CompToxClient, comptox_config
from cryodesk.sources.http import ServiceRegistry
from cryodesk.sources.pubchem import PubChemClient, pubchem_config
from tests.replay.ctx_routes import REPLAY_KEY
from tests.replay.plugin import replay_server
from tests.replay.server import ReplayServer

__all__ = ["replay_server"]

PG = "DNIAPMSPPWPWGF-UHFFFAOYSA-N"
needs_java = pytest.mark.skipif(not OpsinNameParser().available, reason="OPSIN needs py2opsin and Java")


def _add(project, smiles: str, name: str, *extra: tuple[IdentifierKind, str, float]) -> str:
    compound = compound_from_text(smiles, name=name).compound
    project.compounds.upsert_many([compound])
    ids = [Identifier(compound.inchikey, IdentifierKind.NAME, name, "test", 1.0)]
    ids += [Identifier(compound.inchikey, kind, value, "test", conf) for kind, value, conf in extra]
    project.identifiers.upsert_many(ids)
    return compound.inchikey


@pytest.fixture
def stocked(project):
    _add(project, "CC(O)CO", "1,2-Propanediol", (IdentifierKind.CAS, "57-55-6", 1.0),
         (IdentifierKind.SYNONYM, "PG", 0.9))
    _add(project, "OCCO", "Ethylene glycol", (IdentifierKind.SYNONYM, "PG", 0.5))  # a deliberately clashing synonym
    return project


@pytest.mark.parametrize(("text", "kind"), [
    ("DNIAPMSPPWPWGF-UHFFFAOYSA-N", InputKind.INCHIKEY), ("InChI=1S/CH4O/c1-2/h2H,1H3", InputKind.INCHI),
    ("57-55-6", InputKind.CAS), ("CID 1030", InputKind.PUBCHEM_CID), ("1030", InputKind.PUBCHEM_CID),
    ("CHEMBL286398", InputKind.CHEMBL_ID), ("DB00898", InputKind.DRUGBANK_ID), ("DTXSID7020182", InputKind.DTXSID),
    ("OCC(O)CO", InputKind.SMILES), ("1,2-propanediol", InputKind.NAME), ("glycerol", InputKind.NAME),
])
def test_classify(text: str, kind: InputKind) -> None:
    assert classify(text) == (kind, None)


def test_wrong_cas_check_digit_is_a_clear_error(stocked) -> None:
    res = Resolver(stocked, offline=True, use_opsin=False).resolve("57-55-5")
    assert not res.resolved
    assert res.error == "CAS 57-55-5 has a wrong check digit: 5 given, 6 expected (typo?)"


def test_store_cas_and_structure_parse_agree(stocked) -> None:
    resolver = Resolver(stocked, offline=True, use_opsin=False)
    cas, smiles = resolver.resolve_many(["57-55-6", "OC(C)CO"])
    assert (cas.inchikey, cas.method, cas.confidence) == (PG, "store", 1.0)
    assert smiles.inchikey == PG and smiles.method == "parse" and not smiles.conflict


def test_conflicting_synonym_is_reported_not_resolved_silently(stocked) -> None:
    res = Resolver(stocked, offline=True, use_opsin=False).resolve("PG")
    assert res.conflict and res.inchikey == PG
    assert [a.inchikey for a in res.alternatives] == ["LYCAIKOWRPUZTN-UHFFFAOYSA-N"]
    assert res.confidence < 0.7  # the disagreement costs confidence


def test_unknown_offline_says_why(stocked) -> None:
    res = Resolver(stocked, offline=True, use_opsin=False).resolve("CHEMBL286398")
    assert not res.resolved and "offline" in res.messages[0]


def test_opsin_skips_cleanly_without_java(stocked, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    res = Resolver(stocked, offline=True).resolve("propane-1,2-diol")
    assert not res.resolved
    assert any("no Java runtime" in m for m in res.messages)


@needs_java
def test_opsin_names_from_the_recorded_fixtures_and_cpas(stocked) -> None:
    # The OPSIN web-service fixtures (Octane, cyclopropane) give the expected keys; offline OPSIN must agree.
    resolver = Resolver(stocked, offline=True)
    octane, cyclopropane, pg, unknown = resolver.resolve_many(["Octane", "cyclopropane", "propane-1,2-diol", "pumpkin"])
    assert octane.inchikey == "TVMXDCGIABBOFY-UHFFFAOYSA-N" and octane.method == "opsin"
    assert cyclopropane.inchikey == "LVZWSLJZHVFIQJ-UHFFFAOYSA-N"
    assert pg.inchikey == PG and pg.method == "opsin"
    assert not unknown.resolved


def test_record_stores_conflicts_side_by_side(stocked) -> None:
    resolver = Resolver(stocked, offline=True, use_opsin=False)
    res = resolver.resolve("CC(=O)O")
    assert resolver.record([res]) == 1
    assert stocked.identifiers.lookup("CC(=O)O")[0][1].source == "resolver:parse"


# -- online strategies against the replay server ----------------------------------------------------
@pytest.fixture
def clients(replay_server: ReplayServer):
    registry = ServiceRegistry()
    url = replay_server.url
    made = ResolverClients(
        pubchem=PubChemClient(config=pubchem_config(base_url=replay_server.pubchem_base), cache=False, registry=registry),
        chembl=ChemblClient(config=chembl_config(base_url=replay_server.chembl_base), cache=False, registry=registry),
        comptox=CompToxClient(config=comptox_config(REPLAY_KEY, base_url=f"{url}/ctx"), cache=False, registry=registry),
        cactus=CactusClient(config=cactus_config(base_url=f"{url}/cactus/chemical/structure"), cache=False,
                            registry=registry),
    )
    yield made
    made.close()


def test_owner_services(project, clients) -> None:
    resolver = Resolver(project, clients, use_opsin=False)
    chembl, dtxsid, cid, unknown = resolver.resolve_many(["CHEMBL25", "DTXSID7020182", "CID 679", "CHEMBL12345678"])
    assert chembl.inchikey == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N" and chembl.method == "chembl"  # recorded aspirin
    assert dtxsid.inchikey == "IISBACLAFKSPIT-UHFFFAOYSA-N" and dtxsid.method == "comptox"  # recorded BPA
    assert cid.inchikey == "IAZDPXIOMUYVGZ-UHFFFAOYSA-N" and cid.method == "pubchem"
    assert not unknown.resolved and "not a known ChEMBL ID" in unknown.messages[0]


def test_missing_ctx_key_is_a_message(project, clients) -> None:
    clients.comptox = CompToxClient(config=comptox_config(None, base_url="http://127.0.0.1:9/ctx"), cache=False,
                                    registry=ServiceRegistry())
    res = Resolver(project, clients, use_opsin=False).resolve("DTXSID7020182")
    assert not res.resolved and "needs a free API key" in res.messages[0]


def test_verify_asks_services_and_agreement_raises_confidence(stocked, clients) -> None:
    offline = Resolver(stocked, clients, use_opsin=False).resolve("glycerol")
    assert offline.method == "pubchem"  # not in the store: the owner service answered, CACTUS not needed
    verified = Resolver(stocked, clients, use_opsin=False, verify=True).resolve("glycerol")
    assert verified.method == "pubchem+cactus" and verified.confidence > offline.confidence
    assert not verified.conflict
