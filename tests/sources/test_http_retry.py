"""Retries with backoff on transient failures, Retry-After, and no retry on client errors."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from email.utils import formatdate

import pytest

from cryodesk.domain import SourceError
from cryodesk.sources.errors import NotFoundError, RequestRejectedError, RetriesExhaustedError
from cryodesk.sources.http import HttpClient, RetryPolicy, VirtualClock, parse_retry_after
from cryodesk.sources.pubchem import parse_fault
from tests.replay import Fault, ReplayServer

PATH = "compound/name/aspirin/cids/JSON"


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        draws = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in draws)
        assert max(draws) > 0.8 * ceiling and min(draws) < 0.2 * ceiling  # spread over the whole range
    assert policy.delay(1, retry_after=30.0) == 30.0
    assert policy.delay(1, retry_after=1e6) == policy.max_retry_after


def test_parse_retry_after() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after(formatdate(now + 120, usegmt=True), now) == pytest.approx(120, abs=1)
    assert parse_retry_after(formatdate(now - 50, usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None


def test_503_is_retried_and_retry_after_seconds_honoured(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: VirtualClock
) -> None:
    client = make_http(replay_server.pubchem_base, clock=vclock)
    replay_server.faults.queue(Fault.busy(retry_after=3), times=2)
    response = client.get(PATH)
    assert response.json() == {"IdentifierList": {"CID": [2244]}}
    assert replay_server.count() == 3
    assert vclock.slept.count(3.0) >= 2
    metrics = client.metrics()
    assert metrics.retries == 2 and metrics.transient_failures == 2 and metrics.requests_sent == 3


def test_retry_after_as_http_date(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: VirtualClock
) -> None:
    client = make_http(replay_server.pubchem_base, clock=vclock)
    replay_server.faults.queue(Fault.busy(retry_after=formatdate(vclock.time() + 20, usegmt=True)))
    started = vclock.monotonic()
    client.get(PATH)
    assert 18.5 <= vclock.monotonic() - started <= 21.0


def test_retry_after_is_honoured_in_real_time(replay_server: ReplayServer, make_http: Callable[..., HttpClient]) -> None:
    client = make_http(replay_server.pubchem_base)
    replay_server.faults.queue(Fault.rate_limited(retry_after=1))
    client.get(PATH)
    first, second = replay_server.times()
    assert second - first >= 1.0


@pytest.mark.parametrize(
    "fault",
    [
        Fault.server_error(500),
        Fault.html_page(502),
        Fault.busy(retry_after=None, html=True),  # maintenance page
        Fault.server_error(504),
        Fault.rate_limited(retry_after=None),
        Fault.stall(1.0),
        Fault.truncate(),
        Fault.truncated_json(),
        Fault.reset(),
    ],
    ids=["500", "502-html", "503-html", "504", "429", "stall", "truncated-body", "truncated-json", "reset"],
)
def test_transient_faults_are_retried(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: VirtualClock, fault: Fault
) -> None:
    client = make_http(replay_server.pubchem_base, clock=vclock, read_timeout=0.3)
    replay_server.faults.queue(fault)
    response = client.get(PATH)
    assert response.json()["IdentifierList"]["CID"] == [2244]
    assert replay_server.count() == 2
    assert client.metrics().retries == 1


def test_not_found_is_not_retried(replay_server: ReplayServer, make_http: Callable[..., HttpClient]) -> None:
    client = make_http(replay_server.pubchem_base, fault_parser=parse_fault)
    with pytest.raises(NotFoundError) as caught:
        client.get("compound/name/no-such-compound-xyz/cids/JSON")
    assert replay_server.count() == 1
    error = caught.value
    assert error.status == 404 and error.fault_code == "PUGREST.NotFound"
    assert "No CID found that matches the given name" in str(error)
    assert client.metrics().retries == 0 and client.metrics().not_found == 1


@pytest.mark.parametrize("status", [400, 401, 403, 405])
def test_other_client_errors_are_not_retried(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], status: int
) -> None:
    client = make_http(replay_server.pubchem_base, fault_parser=parse_fault)
    replay_server.faults.queue(Fault.client_error(status))
    with pytest.raises(RequestRejectedError) as caught:
        client.get(PATH)
    assert caught.value.status == status
    assert isinstance(caught.value, SourceError)
    assert replay_server.count() == 1


def test_bad_request_fault_is_parsed_into_the_message(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient]
) -> None:
    client = make_http(replay_server.pubchem_base, fault_parser=parse_fault)
    with pytest.raises(RequestRejectedError) as caught:
        client.post("compound/cid/property/MolecularWeight/JSON", data={"cid": "abc"})
    message = str(caught.value)
    assert caught.value.fault_code == "PUGREST.BadRequest"
    assert "svc: request rejected; HTTP 400; PUGREST.BadRequest Invalid ID, must be positive integer" in message
    assert "(POST http://127.0.0.1:" in message


def test_exhausted_retries_raise_a_clear_error(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: VirtualClock
) -> None:
    client = make_http(
        replay_server.pubchem_base,
        name="pubchem",
        clock=vclock,
        retry=RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=8.0),
        fault_parser=parse_fault,
    )
    replay_server.faults.queue(Fault.server_error(500), times=10)
    with pytest.raises(RetriesExhaustedError) as caught:
        client.get(PATH)
    error = caught.value
    assert error.attempts == 3 and error.status == 500
    assert replay_server.count() == 3
    assert str(error).startswith("pubchem: gave up after 3 attempts, last failure: HTTP 500; HTTP 500; PUGREST.ServerError")
    assert len(vclock.slept) == 2 and vclock.slept[0] <= 1.0 and vclock.slept[1] <= 2.0


def test_api_keys_never_reach_messages_or_logs(
    replay_server: ReplayServer,
    make_http: Callable[..., HttpClient],
    vclock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "S3CR3T-KEY-123"
    client = make_http(
        replay_server.pubchem_base,
        clock=vclock,
        api_key=secret,
        api_key_param="api_key",
        retry=RetryPolicy(max_attempts=2, base_delay=0.01),
    )
    replay_server.faults.queue(Fault.server_error(503), times=5)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RetriesExhaustedError) as caught:
        client.get(PATH, params={"x": "1"})
    assert secret not in str(caught.value) and "api_key=***" in str(caught.value)
    assert secret not in caplog.text
    assert secret not in repr(client.config)
    # ... but the service does receive it.
    assert replay_server.requests[0].query["api_key"] == [secret]


def test_timeouts_apply_to_every_call(replay_server: ReplayServer, make_http: Callable[..., HttpClient]) -> None:
    client = make_http(replay_server.pubchem_base, read_timeout=0.2, retry=RetryPolicy(max_attempts=1))
    replay_server.faults.queue(Fault.stall(3.0))
    started = time.monotonic()
    with pytest.raises(RetriesExhaustedError, match="timeout"):
        client.get(PATH)
    assert time.monotonic() - started < 1.5
