"""Two-level response cache: memory LRU + diskcache, per-service namespaces, TTLs, secret-free keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cryodesk.sources.errors import NotFoundError
from cryodesk.sources.http import (
    CachedResponse,
    HttpClient,
    ResponseCache,
    VirtualClock,
    clear_http_cache,
    make_cache_key,
)
from tests.replay import ReplayServer

PATH = "compound/name/aspirin/cids/JSON"


def _cache(tmp_path: Path, name: str = "svc", clock: VirtualClock | None = None, **kwargs: object) -> ResponseCache:
    return ResponseCache(name, tmp_path / "http", clock=clock, **kwargs)  # type: ignore[arg-type]


def test_repeat_request_is_served_from_memory(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], tmp_path: Path
) -> None:
    client = make_http(replay_server.pubchem_base, cache=_cache(tmp_path))
    first = client.get(PATH)
    second = client.get(PATH)
    assert not first.from_cache and second.from_cache
    assert second.json() == first.json()
    assert replay_server.count() == 1
    metrics = client.metrics()
    assert (metrics.cache_hits, metrics.cache_misses, metrics.requests_sent) == (1, 1, 1)
    assert client.cache is not None and client.cache.stats().memory_hits == 1


def test_disk_level_survives_a_new_client(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], tmp_path: Path
) -> None:
    make_http(replay_server.pubchem_base, cache=_cache(tmp_path)).get(PATH)
    cache = _cache(tmp_path)
    client = make_http(replay_server.pubchem_base, cache=cache)
    assert client.get(PATH).from_cache
    assert replay_server.count() == 1
    stats = cache.stats()
    assert (stats.disk_hits, stats.memory_hits) == (1, 0)
    assert client.get(PATH).from_cache and cache.stats().memory_hits == 1  # promoted to memory


def test_key_includes_method_and_body(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], tmp_path: Path
) -> None:
    client = make_http(replay_server.pubchem_base, cache=_cache(tmp_path))
    path = "compound/cid/property/MolecularWeight/JSON"
    a = client.post(path, data={"cid": "2244"})
    b = client.post(path, data={"cid": "5564"})
    again = client.post(path, data={"cid": "2244"})
    assert a.json() != b.json() and again.from_cache
    assert replay_server.count() == 2


def test_ttl_per_kind(replay_server: ReplayServer, make_http: Callable[..., HttpClient], tmp_path: Path) -> None:
    clock = VirtualClock()
    client = make_http(
        replay_server.pubchem_base,
        clock=clock,
        cache=_cache(tmp_path, clock=clock),
        cache_ttls={"default": 100.0, "search": 10.0, "pending": 0.0},
    )
    client.get(PATH, kind="search")
    client.get("compound/name/glycerol/cids/JSON")
    client.get("compound/name/dmso/cids/JSON", kind="pending")
    clock.advance(11.0)
    assert not client.get(PATH, kind="search").from_cache  # expired
    assert client.get("compound/name/glycerol/cids/JSON").from_cache  # still fresh
    assert not client.get("compound/name/dmso/cids/JSON", kind="pending").from_cache  # never cached
    assert replay_server.count() == 5


def test_not_found_is_cached_negatively(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], tmp_path: Path
) -> None:
    client = make_http(replay_server.pubchem_base, cache=_cache(tmp_path))
    for _ in range(2):
        with pytest.raises(NotFoundError):
            client.get("compound/name/unobtainium/cids/JSON")
    assert replay_server.count() == 1
    assert client.metrics().not_found == 2


def test_no_cache_flag_and_disabled_cache(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], tmp_path: Path
) -> None:
    cached = make_http(replay_server.pubchem_base, cache=_cache(tmp_path))
    cached.get(PATH)
    assert not cached.get(PATH, use_cache=False).from_cache
    uncached = make_http(replay_server.pubchem_base, cache=False)
    uncached.get(PATH)
    uncached.get(PATH)
    assert replay_server.count() == 4


def test_namespaces_are_separate_and_clear_is_per_service(tmp_path: Path) -> None:
    now = VirtualClock()
    pubchem, chembl = _cache(tmp_path, "pubchem", now), _cache(tmp_path, "chembl", now)
    entry = CachedResponse(200, b"{}", "application/json", "http://x/", now.time(), now.time() + 60)
    pubchem.set("k", entry)
    chembl.set("k", entry)
    assert (tmp_path / "http" / "pubchem").is_dir() and (tmp_path / "http" / "chembl").is_dir()
    pubchem.clear()
    assert pubchem.get("k") is None and chembl.get("k") is not None
    pubchem.close()
    chembl.close()
    clear_http_cache(tmp_path / "http")
    assert not any((tmp_path / "http").iterdir())


def test_default_directory_is_the_app_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYODESK_HOME", str(tmp_path / "home"))
    cache = ResponseCache("pubchem")
    assert cache.directory == tmp_path / "home" / "cache" / "http" / "pubchem"
    cache.close()


def test_api_keys_are_not_part_of_cache_keys_nor_stored(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], tmp_path: Path
) -> None:
    secret_a, secret_b = "KEY-AAAA-1111", "KEY-BBBB-2222"
    first = make_http(replay_server.pubchem_base, cache=_cache(tmp_path), api_key=secret_a, api_key_param="api_key")
    first.get(PATH)
    second = make_http(replay_server.pubchem_base, cache=_cache(tmp_path), api_key=secret_b, api_key_param="api_key")
    assert second.get(PATH).from_cache
    for file in (tmp_path / "http").rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert secret_a.encode() not in data and secret_b.encode() not in data
    assert make_cache_key("GET", "http://h/p?api_key=x&b=2&a=1") == make_cache_key("GET", "http://h/p?a=1&b=2")
    assert make_cache_key("GET", "http://h/p?a=1") != make_cache_key("POST", "http://h/p?a=1")
    assert make_cache_key("POST", "http://h/p", b"cid=1") != make_cache_key("POST", "http://h/p", b"cid=2")
    assert len(make_cache_key("GET", "http://h/p")) == 64


def test_memory_lru_is_bounded(tmp_path: Path) -> None:
    clock = VirtualClock()
    cache = _cache(tmp_path, clock=clock, memory_items=2)
    for i in range(4):
        cache.set(f"k{i}", CachedResponse(200, b"x" * 10, "text/plain", "u", clock.time(), clock.time() + 60))
    assert cache.stats().memory_items == 2
    assert cache.get("k0") is not None  # still on disk
    assert cache.stats().disk_hits == 1
    cache.close()
