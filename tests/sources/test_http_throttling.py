"""PubChem X-Throttling-Control: parsing, and the request rate measured at the server as colours change."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from cryodesk.sources.http import (
    Colour,
    HttpClient,
    ThrottleController,
    ThrottlePolicy,
    TokenBucket,
    VirtualClock,
    parse_throttling_control,
)
from tests.replay import Fault, ReplayServer
from tests.replay.paths import fixtures_dir


def test_parses_the_documented_example() -> None:
    line = (Path(fixtures_dir()) / "pubchem/transcribed/x_throttling_control_doc_example.txt").read_text()
    state = parse_throttling_control(line.split(":", 1)[1])
    assert state is not None
    assert state.request_count is not None and state.request_count.colour is Colour.GREEN
    assert state.request_count.percent == 0
    assert state.service is not None and state.service.percent == 20
    assert state.worst is Colour.GREEN


def test_parses_the_observed_503_header_and_ignores_the_free_text_tail() -> None:
    text = (Path(fixtures_dir()) / "pubchem/transcribed/fault_503_ServerBusy.headers.txt").read_text()
    header = next(line for line in text.splitlines() if line.startswith("X-Throttling-Control"))
    state = parse_throttling_control(header.split(":", 1)[1])
    assert state is not None and state.worst is Colour.GREEN
    assert state.request_time is not None and state.request_time.colour is Colour.GREEN


@pytest.mark.parametrize(
    ("header", "worst"),
    [
        ("Request Count status: Yellow (55%), Request Time status: Green (3%), Service status: Green (1%)", Colour.YELLOW),
        ("request count status: green (1%), request time status: RED (80%)", Colour.RED),
        ("Request Count status: Black (100%), Request Time status: Red (90%), Service status: Green", Colour.BLACK),
        ("Service status: Red (70%)", Colour.RED),
    ],
)
def test_worst_colour(header: str, worst: Colour) -> None:
    state = parse_throttling_control(header)
    assert state is not None and state.worst is worst


@pytest.mark.parametrize("header", [None, "", "nothing to see here", "Request Count status: Purple (5%)"])
def test_unreadable_headers_give_none(header: str | None) -> None:
    assert parse_throttling_control(header) is None


def test_controller_slows_pauses_and_recovers_gradually() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(rate=10.0, clock=clock)
    controller = ThrottleController(bucket, ThrottlePolicy(black_pause=5.0, recovery_step=0.25))
    state = parse_throttling_control
    controller.observe(state("Request Count status: Yellow (60%)"))  # type: ignore[arg-type]
    assert bucket.factor == 0.5
    controller.observe(state("Request Count status: Yellow (60%)"))  # type: ignore[arg-type]
    assert bucket.factor == 0.5  # repeated Yellow does not compound
    controller.observe(state("Request Time status: Red (80%)"))  # type: ignore[arg-type]
    assert bucket.factor == 0.25
    controller.observe(state("Request Count status: Black (100%)"), retry_after=8.0)  # type: ignore[arg-type]
    assert bucket.factor == 0.1
    assert bucket.status().paused_for == pytest.approx(8.0)  # the longer of policy and Retry-After
    factors = []
    for _ in range(4):
        controller.observe(state("Request Count status: Green (5%)"))  # type: ignore[arg-type]
        factors.append(round(bucket.factor, 2))
    assert factors == [0.35, 0.6, 0.85, 1.0]


def _median_gap(times: list[float]) -> float:
    return statistics.median(b - a for a, b in zip(times, times[1:], strict=False))


def test_measured_rate_drops_on_yellow_and_red_and_pauses_on_black(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient]
) -> None:
    policy = ThrottlePolicy(black_pause=0.8, black_factor=0.25, recovery_step=0.25)
    client = make_http(
        replay_server.pubchem_base, name="pubchem", rate=20.0, throttle_header="X-Throttling-Control", throttle_policy=policy
    )
    path = "compound/name/aspirin/cids/JSON"

    def phase(colour: str, n: int) -> list[float]:
        replay_server.throttle.set(colour)
        client.get(path)  # the first reply in a colour is what the client reacts to
        before = replay_server.count()
        for _ in range(n):
            client.get(path)
        return replay_server.times()[before - 1 :]

    green = _median_gap(phase("Green", 8))
    yellow = _median_gap(phase("Yellow", 6))
    red = _median_gap(phase("Red", 5))
    assert green == pytest.approx(1 / 20, rel=0.25)
    assert yellow == pytest.approx(2 * green, rel=0.25)  # half rate
    assert red == pytest.approx(4 * green, rel=0.25)  # quarter rate

    # Black: the client stops for black_pause, then resumes slowly and climbs back on Green.
    replay_server.throttle.set("Black")
    client.get(path)
    replay_server.throttle.set("Green")
    black_at = replay_server.times()[-1]
    for _ in range(6):
        client.get(path)
    after = replay_server.times()
    assert after[-6] - black_at >= 0.8
    recovery_gaps = [b - a for a, b in zip(after[-6:], after[-5:], strict=False)]
    assert recovery_gaps[0] > recovery_gaps[-1]  # gradual recovery, not a jump
    assert client.limiter_status().factor == 1.0

    events = client.metrics().throttle_events
    assert events["Yellow"] == 7 and events["Red"] == 6 and events["Black"] == 1


def test_black_on_a_503_pauses_other_threads_too(
    replay_server: ReplayServer, make_http: Callable[..., HttpClient], vclock: VirtualClock
) -> None:
    client = make_http(
        replay_server.pubchem_base,
        name="pubchem",
        throttle_header="X-Throttling-Control",
        throttle_policy=ThrottlePolicy(black_pause=3.0),
        clock=vclock,
    )
    replay_server.faults.queue(Fault.busy(retry_after=12, colour="Black"))
    client.get("compound/name/aspirin/cids/JSON")
    assert sum(vclock.slept) >= 12.0  # Retry-After (12) beats black_pause (3)
    assert client.metrics().throttle_events == {"Black": 1}
