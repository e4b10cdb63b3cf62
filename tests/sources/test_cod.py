"""COD client against the replay server (recorded CIF, generated search reply)."""

from __future__ import annotations

import pytest

from cryodesk.domain import InputError
from cryodesk.sources.cod import CodClient, cod_config, hill_query
from cryodesk.sources.http import ServiceRegistry
from tests.replay.server import ReplayServer


def _client(server: ReplayServer) -> CodClient:
    return CodClient(config=cod_config(base_url=f"{server.url}/cod"), cache=False, registry=ServiceRegistry())


def test_fetch_recorded_cif(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        (record,) = client.crystal("2000056")
        assert record.space_group_number == 14
        assert client.crystal("9999999") == []


def test_search_by_formula_in_any_spelling(replay_server: ReplayServer) -> None:
    with _client(replay_server) as client:
        hits = client.search(formula="C2H24N2Na2O14P2")
        assert [h.cod_id for h in hits] == ["2000056"] and hits[0].formula == "C2 H24 N2 Na2 O14 P2"
        assert client.search(formula="C2 H6 O2") == []
    assert replay_server.requests[0].query["formula"] == ["C2 H24 N2 Na2 O14 P2"]


def test_bad_input() -> None:
    with pytest.raises(InputError):
        hill_query("???")
    with pytest.raises(InputError, match="not a COD id"):
        CodClient(cache=False, registry=ServiceRegistry()).cif_text("12")
