"""CompTox CTX client against the replay server's recorded replies."""

from __future__ import annotations

import pytest

from cryodesk.domain import InputError
from cryodesk.sources.comptox import CompToxClient, CompToxKeyError, comptox_config
from cryodesk.sources.http import ServiceRegistry
from tests.replay.ctx_routes import REPLAY_KEY
from tests.replay.server import ReplayServer

BPA = "DTXSID7020182"


def _client(server: ReplayServer, key: str | None = REPLAY_KEY) -> CompToxClient:
    return CompToxClient(config=comptox_config(key, base_url=f"{server.url}/ctx"), cache=False,
                         registry=ServiceRegistry())


def test_chemical_detail_recorded(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        chem = client.chemical(BPA)
    assert chem is not None
    assert chem.preferred_name == "Bisphenol A" and chem.casrn == "80-05-7"
    assert chem.inchi is not None and not chem.inchi.endswith("\n")  # recorded value ends in a newline
    assert replay_server.requests[-1].headers["x-api-key"] == REPLAY_KEY


def test_properties_recorded(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        props = client.properties(BPA)
    melting = [p for p in props if p.property_id == "melting-point" and p.prop_type == "experimental"]
    assert melting and melting[0].value == 153.0 and melting[0].unit == "°C"


def test_missing_key_fails_before_any_request(replay_server: ReplayServer) -> None:
    with _client(replay_server, key=None) as client, pytest.raises(CompToxKeyError, match="needs a free API key"):
        client.chemical(BPA)
    assert replay_server.count() == 0


def test_wrong_key_gives_the_recorded_401_as_a_clear_message(replay_server: ReplayServer) -> None:
    with _client(replay_server, key="not-a-key") as client, pytest.raises(CompToxKeyError) as info:
        client.bioactivity_by_aeid(1)
    assert info.value.status == 401
    assert "API key refused" in str(info.value) and "API Key Not Found" in str(info.value)


def test_empty_result_is_no_data(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        assert client.bioactivity_by_aeid(1) == []
        assert client.genetox_summary(BPA)[0]["micronucleus"] == "negative"


def test_unknown_dtxsid_and_bad_id(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        assert client.chemical("DTXSID0000001") is None
        with pytest.raises(InputError, match="not a DTXSID"):
            client.chemical("BPA")
