"""Circuit breaker: opens after N consecutive failures, fails fast, probes when half-open, recovers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cryodesk.sources.errors import CircuitOpenError, RetriesExhaustedError
from cryodesk.sources.http import (
    BreakerState,
    BreakerStatus,
    CircuitBreaker,
    HttpClient,
    RetryPolicy,
    VirtualClock,
)
from tests.replay import Fault, ReplayServer

PATH = "compound/name/aspirin/cids/JSON"


def test_breaker_state_machine(vclock: VirtualClock) -> None:
    seen: list[BreakerStatus] = []
    breaker = CircuitBreaker("svc", failure_threshold=3, recovery_time=10.0, clock=vclock, listener=seen.append)
    assert breaker.allow() == (True, 0.0)
    breaker.record_failure()
    breaker.record_success()  # a success resets the count: failures must be consecutive
    assert not breaker.record_failure() and not breaker.record_failure()
    assert breaker.record_failure()  # the third consecutive failure opens it
    status = breaker.status()
    assert status.state is BreakerState.OPEN and status.openings == 1 and status.retry_in == pytest.approx(10.0)
    allowed, wait = breaker.allow()
    assert not allowed and wait == pytest.approx(10.0)
    vclock.advance(10.0)
    assert breaker.allow() == (True, 0.0)  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()[0] is False  # only one probe at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert [s.state for s in seen] == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_failed_probe_reopens(vclock: VirtualClock) -> None:
    breaker = CircuitBreaker("svc", failure_threshold=1, recovery_time=5.0, clock=vclock)
    breaker.record_failure()
    vclock.advance(5.0)
    assert breaker.allow()[0]
    assert breaker.record_failure()
    status = breaker.status()
    assert status.state is BreakerState.OPEN and status.openings == 2


def test_lost_probe_does_not_wedge_the_breaker(vclock: VirtualClock) -> None:
    breaker = CircuitBreaker("svc", failure_threshold=1, recovery_time=5.0, clock=vclock)
    breaker.record_failure()
    vclock.advance(5.0)
    assert breaker.allow()[0]  # this probe's thread dies without reporting
    vclock.advance(5.0)
    assert breaker.allow()[0]


def test_client_opens_fails_fast_and_recovers_through_half_open(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: VirtualClock
) -> None:
    events: list[BreakerStatus] = []
    client = make_http(
        replay_server.pubchem_base,
        clock=vclock,
        breaker_threshold=3,
        breaker_recovery=30.0,
        retry=RetryPolicy(max_attempts=2, base_delay=0.1),
        breaker_listener=events.append,
    )
    replay_server.faults.queue(Fault.server_error(500), times=4)

    with pytest.raises(RetriesExhaustedError):
        client.get(PATH)  # 2 failures
    with pytest.raises(CircuitOpenError) as caught:
        client.get(PATH)  # third failure opens the breaker; the retry is refused
    assert replay_server.count() == 3
    assert client.breaker_status().state is BreakerState.OPEN
    assert 29.0 <= caught.value.retry_in <= 30.0

    with pytest.raises(CircuitOpenError):
        client.get(PATH)  # fails fast: nothing sent
    assert replay_server.count() == 3

    vclock.advance(30.0)
    with pytest.raises(CircuitOpenError):
        client.get(PATH)  # half-open probe meets the 4th injected 500: open again
    assert replay_server.count() == 4
    assert client.breaker_status().openings == 2

    vclock.advance(30.0)
    assert client.get(PATH).json()["IdentifierList"]["CID"] == [2244]  # probe succeeds
    assert client.breaker_status().state is BreakerState.CLOSED
    assert [e.state for e in events] == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]
    metrics = client.metrics()
    assert metrics.breaker_openings == 2 and metrics.breaker_rejections == 3


def test_breaker_is_shared_by_clients_of_one_service(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: VirtualClock
) -> None:
    first = make_http(replay_server.pubchem_base, name="pubchem", clock=vclock, breaker_threshold=2)
    second = make_http(replay_server.pubchem_base, name="pubchem", clock=vclock, breaker_threshold=2)
    other = make_http(replay_server.chembl_base, name="chembl", clock=vclock)
    replay_server.faults.queue(Fault.server_error(500), times=2)
    with pytest.raises(CircuitOpenError):
        first.get(PATH)
    with pytest.raises(CircuitOpenError):
        second.get(PATH)
    assert other.get("molecule/CHEMBL25.json").json()["molecule_chembl_id"] == "CHEMBL25"
    assert other.breaker_status().state is BreakerState.CLOSED
