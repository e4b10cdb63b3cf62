"""Token-bucket accuracy against real time, sharing between threads, and the server's view of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from cryodesk.sources.http import HttpClient, RateLimiterRegistry, TokenBucket, VirtualClock
from tests.replay import ReplayServer


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_bucket_paces_one_thread_in_real_time() -> None:
    bucket = TokenBucket(rate=20.0, burst=1.0)
    stamps = []
    started = time.monotonic()
    for _ in range(21):
        bucket.acquire()
        stamps.append(time.monotonic())
    elapsed = time.monotonic() - started
    # 21 tokens: one at once, then 20 at 20/s = 1.0 s.
    assert 0.95 <= elapsed <= 1.15
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert min(gaps) >= 0.045  # never two requests closer than 1/rate (minus timer slack)


def test_bucket_is_shared_by_threads_of_the_process() -> None:
    limiters = RateLimiterRegistry()
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        bucket = limiters.get("svc", rate=20.0)  # each thread asks the registry: same bucket
        for _ in range(6):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert len(stamps) == 24
    assert 23 / 20 - 0.05 <= elapsed <= 23 / 20 + 0.2
    assert _max_in_window(stamps) <= 21


def test_registry_shares_and_updates_buckets() -> None:
    limiters = RateLimiterRegistry()
    first = limiters.get("pubchem", rate=4.0)
    assert limiters.get("pubchem", rate=4.0) is first
    assert limiters.get("chembl", rate=5.0) is not first
    limiters.get("pubchem", rate=2.0)  # new settings reach the shared bucket
    assert first.base_rate == 2.0


def test_factor_and_pause_with_a_virtual_clock() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(rate=2.0, clock=clock)
    start = clock.monotonic()
    for _ in range(5):
        bucket.acquire()
    assert clock.monotonic() - start == pytest.approx(2.0, abs=1e-6)  # 4 waits of 0.5 s
    bucket.set_factor(0.5)
    assert bucket.effective_rate == 1.0
    t0 = clock.monotonic()
    bucket.acquire()
    assert clock.monotonic() - t0 == pytest.approx(1.0, abs=1e-6)
    bucket.pause_for(10.0)
    assert bucket.status().paused_for == pytest.approx(10.0)
    t1 = clock.monotonic()
    bucket.acquire()
    assert clock.monotonic() - t1 >= 10.0
    with pytest.raises(TimeoutError):
        bucket.pause_for(5.0)
        bucket.acquire(timeout=1.0)


def test_threads_sharing_one_client_stay_under_the_server_limit(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient]
) -> None:
    replay_server.set_rate_limit(10, reject=True)
    # 20 % headroom below the server's limit: on a loaded CI machine request arrival jitters.
    client = make_http(replay_server.pubchem_base, name="pubchem", rate=8.0)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(7):
                client.get("compound/name/aspirin/cids/JSON")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert replay_server.violations == 0
    assert client.metrics().retries == 0
    times = replay_server.times()
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 6.5 <= rate <= 8.4


def test_server_counts_violations_of_an_unlimited_client(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient]
) -> None:
    replay_server.set_rate_limit(5, reject=False)
    client = make_http(replay_server.pubchem_base, rate=1000.0)
    for _ in range(12):
        client.get("compound/name/aspirin/cids/JSON")
    assert replay_server.violations >= 6
    assert replay_server.window.max_in_window == 12
