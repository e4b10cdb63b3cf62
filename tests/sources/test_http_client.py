"""Base-client plumbing: User-Agent, configuration sources, metrics, redaction, thread safety."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest

import cryodesk
from cryodesk.config import Settings
from cryodesk.sources.chembl import CHEMBL_BASE, chembl_config
from cryodesk.sources.http import ClientMetrics, HttpClient, redact_url, user_agent
from cryodesk.sources.pubchem import PUBCHEM_BASE, PubChemClient, pubchem_config, view_base_for
from tests.replay import Fault, ReplayServer

PATH = "compound/name/aspirin/cids/JSON"


def test_user_agent_names_cryodesk_version_and_contact(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient]
) -> None:
    client = make_http(replay_server.pubchem_base, contact="lab@example.org")
    client.get(PATH)
    agent = replay_server.requests[0].headers["user-agent"]
    assert agent == f"CryoDesk/{cryodesk.__version__} (+lab@example.org)"
    assert user_agent() == f"CryoDesk/{cryodesk.__version__}"


def test_base_urls_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pubchem_config().base_url == PUBCHEM_BASE
    assert chembl_config().base_url == CHEMBL_BASE
    monkeypatch.setenv("CRYODESK_PUBCHEM_BASE", "http://127.0.0.1:9/rest/pug")
    monkeypatch.setenv("CRYODESK_CHEMBL_BASE", "http://127.0.0.1:9/chembl/api/data")
    assert pubchem_config().base_url == "http://127.0.0.1:9/rest/pug"
    assert chembl_config().base_url == "http://127.0.0.1:9/chembl/api/data"
    assert view_base_for(pubchem_config().base_url) == "http://127.0.0.1:9/rest/pug_view"
    monkeypatch.setenv("CRYODESK_PUBCHEM_VIEW_BASE", "http://127.0.0.1:9/view")
    assert view_base_for(pubchem_config().base_url) == "http://127.0.0.1:9/view"
    assert pubchem_config(rate=2.5, read_timeout=7.0).rate == 2.5


def test_settings_apply_but_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        contact_email="me@lab.org",
        service_base_urls={"pubchem": "http://mirror/rest/pug"},
        service_rate_limits={"pubchem": 3.0},
    )
    config = pubchem_config().with_settings(settings)
    assert (config.base_url, config.rate, config.contact) == ("http://mirror/rest/pug", 3.0, "me@lab.org")
    monkeypatch.setenv("CRYODESK_PUBCHEM_BASE", "http://env/rest/pug")
    assert pubchem_config().with_settings(settings).base_url == "http://env/rest/pug"


def test_clients_pick_up_the_replay_server_from_the_environment(replay_env: ReplayServer) -> None:
    with PubChemClient(cache=False) as client:
        assert client.cids_by_name("aspirin") == [2244]
        assert client.view_base_url == replay_env.pubchem_view_base
    assert replay_env.count("/rest/pug/") == 1


def test_metrics_snapshot_delta_and_json(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: object
) -> None:
    client = make_http(replay_server.pubchem_base, clock=vclock, throttle_header="X-Throttling-Control")
    before = client.metrics()
    replay_server.throttle.set("Yellow")
    replay_server.faults.queue(Fault.server_error(500))
    client.get(PATH)
    after = client.metrics()
    delta = after.delta(before)
    assert isinstance(delta, ClientMetrics)
    assert (delta.requests_sent, delta.responses, delta.retries, delta.transient_failures) == (2, 2, 1, 1)
    assert delta.throttle_events == {"Yellow": 2}
    assert delta.bytes_received > 0
    data = after.as_dict()
    assert json.loads(json.dumps(data))["throttle_events"] == {"Yellow": 2}
    assert data["service"] == "svc"


def test_one_client_is_safe_to_share_between_threads(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient]
) -> None:
    client = make_http(replay_server.pubchem_base, rate=500.0)
    results: list[list[int]] = []
    lock = threading.Lock()

    def worker(cid: int) -> None:
        for _ in range(10):
            data = client.post("compound/cid/property/MolecularWeight/JSON", data={"cid": str(cid)}).json()
            with lock:
                results.append([row["CID"] for row in data["PropertyTable"]["Properties"]])

    threads = [threading.Thread(target=worker, args=(cid,)) for cid in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 40
    assert sorted(r[0] for r in results) == sorted([1, 2, 3, 4] * 10)
    assert client.metrics().requests_sent == 40


def test_redact_url_masks_only_secrets() -> None:
    url = "https://h/x?term=a&api_key=abc123&retmax=5"
    assert redact_url(url) == "https://h/x?term=a&api_key=***&retmax=5"
    assert redact_url("https://h/x?term=a") == "https://h/x?term=a"
