"""CACTUS client against the replay server (recorded replies) and the XML parser on bad input."""

from __future__ import annotations

import pytest

from cryodesk.sources.cactus import CactusClient, cactus_config, parse_cactus_xml
from cryodesk.sources.errors import InvalidResponseError
from cryodesk.sources.http import ServiceRegistry
from tests.conftest import FIXTURES
from tests.replay.server import ReplayServer


def _client(server: ReplayServer) -> CactusClient:
    config = cactus_config(base_url=f"{server.url}/cactus/chemical/structure")
    return CactusClient(config=config, cache=False, registry=ServiceRegistry())


def test_recorded_cas_list_keeps_every_item_and_resolver(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        result = client.resolve("Aspirin", "cas")
    assert result.found
    assert result.values()[0] == "50-78-2" and len(result.values()) == 6
    assert result.answers[0].resolver == "name_by_cir"


def test_two_resolvers_answer_acetic_acid(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        result = client.resolve("acetic acid", "mw")
    assert [a.resolver for a in result.answers] == ["name_by_opsin", "name_by_cir"]
    assert result.values() == ["60.0524"]


def test_inchikey_prefix_is_stripped_and_resolver_param_sent(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        result = client.resolve("3380-34-5", "stdinchikey", resolvers=("cas_number",))
    assert result.values() == ["XEFQLINVKFYRCS-UHFFFAOYSA-N"]
    assert replay_server.requests[-1].query["resolver"] == ["cas_number"]


def test_smiles_with_hash_is_escaped(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        result = client.resolve("C#C", "inchikey")
    assert result.values() == ["HSFWRNGVRCDJHI-UHFFFAOYNA-N"]  # the non-standard key, as recorded
    assert "%23" in replay_server.requests[-1].path or "#" not in replay_server.requests[-1].path


def test_not_found_is_empty_not_an_error(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        assert not client.resolve("pumpkin", "cas").found


def test_recorded_not_found_bodies_parse_empty() -> None:
    for name in ("structure_pumpkin_cas_xml_NOTFOUND.xml", "structure_xxxxxxx_mw_xml_NOTFOUND.xml"):
        assert not parse_cactus_xml((FIXTURES / "cactus" / name).read_bytes()).found


def test_external_entity_is_refused() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<request string="x" representation="cas"><data resolver="a"><item>&x;</item></data></request>')
    with pytest.raises(InvalidResponseError, match="unsafe XML refused"):
        parse_cactus_xml(evil)


def test_html_is_not_accepted_as_a_reply() -> None:
    with pytest.raises(InvalidResponseError):
        parse_cactus_xml((FIXTURES / "cactus" / "structure_abcdefghijk_image_NOTFOUND.body").read_bytes())
