"""An event-loop latency probe: how long the GUI thread could not answer a timer.

A precise timer asks to run every ``interval_ms``; each time it fires, the lag is how much later than
asked it came. A lag of 80 ms means a click in that moment would have waited 80 ms: it is the stall
the user feels, whatever caused it (our code, a long C call holding the GIL, a paint, or the
operating system giving the CPU to other programs). Beside the lag the probe records, per interval:

* ``busy``: the GUI thread's own CPU time: work this thread did in one go;
* ``own``: the lag minus the time the thread sat runnable in the kernel's run queue waiting for a CPU
  (Linux ``/proc/thread-self/schedstat``), i.e. the stall that was not the machine being busy with
  other programs: our work, the GIL, locks and I/O. Where schedstat is missing it equals the lag.

Tests start the probe around a background job and assert on :meth:`EventLoopLatencyProbe.stats`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

DEFAULT_INTERVAL_MS = 10
_SCHEDSTAT = Path("/proc/thread-self/schedstat")


def _run_queue_wait_ms() -> float | None:
    """How long this thread has waited for a CPU while runnable, in ms (None off Linux)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Lag figures in milliseconds over ``samples`` timer ticks."""

    samples: int
    max_ms: float
    p99_ms: float
    p95_ms: float
    mean_ms: float
    busy_max_ms: float = 0.0  # the GUI thread's CPU time in its busiest interval
    busy_p99_ms: float = 0.0
    own_max_ms: float = 0.0  # the longest stall not spent waiting for a CPU (see the module docstring)
    own_p99_ms: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 1) if isinstance(v, float) else v for k, v in (
            ("samples", self.samples), ("max_ms", self.max_ms), ("p99_ms", self.p99_ms), ("p95_ms", self.p95_ms),
            ("mean_ms", self.mean_ms), ("busy_max_ms", self.busy_max_ms), ("busy_p99_ms", self.busy_p99_ms),
            ("own_max_ms", self.own_max_ms), ("own_p99_ms", self.own_p99_ms))}


class EventLoopLatencyProbe(QObject):
    """Measures event-loop lag with a repeating precise timer (off until :meth:`start`)."""

    def __init__(self, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self._last_cpu = 0.0
        self._last_wait: float | None = None
        self.lags_ms: list[float] = []
        self.busy_ms: list[float] = []
        self.own_ms: list[float] = []

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self.reset()
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._last_wait = _run_queue_wait_ms()
        self._timer.start()

    def stop(self) -> LatencyStats:
        self._timer.stop()
        self._last = None
        return self.stats()

    def reset(self) -> None:
        self.lags_ms = []
        self.busy_ms = []
        self.own_ms = []
        if self._timer.isActive():
            self._last = time.perf_counter()
            self._last_cpu = time.thread_time()
            self._last_wait = _run_queue_wait_ms()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()  # thread_time: this (the GUI) thread's CPU only
        wait = _run_queue_wait_ms()
        if self._last is not None:
            lag = max(0.0, (now - self._last) * 1000.0 - self.interval_ms)
            self.lags_ms.append(lag)
            self.busy_ms.append(max(0.0, (cpu - self._last_cpu) * 1000.0))
            waited = 0.0 if wait is None or self._last_wait is None else max(0.0, wait - self._last_wait)
            self.own_ms.append(max(0.0, lag - waited))
        self._last, self._last_cpu, self._last_wait = now, cpu, wait

    def stats(self) -> LatencyStats:
        lags, busy, own = sorted(self.lags_ms), sorted(self.busy_ms), sorted(self.own_ms)
        if not lags:
            return LatencyStats(0, 0.0, 0.0, 0.0, 0.0)
        return LatencyStats(len(lags), lags[-1], _pct(lags, 99), _pct(lags, 95), sum(lags) / len(lags),
                            busy[-1], _pct(busy, 99), own[-1], _pct(own, 99))


def _pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]
