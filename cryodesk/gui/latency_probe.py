"""An event-loop latency probe: how long the GUI thread could not answer a timer.

A precise timer asks to run every ``interval_ms``; each time it fires, the lag is how much later than
asked it came. A lag of 80 ms means a click in that moment would have waited 80 ms: it is the stall
the user feels, whatever caused it (our code, a long C call holding the GIL, a paint, or the
operating system giving the CPU to other programs). Beside the lag the probe records, per interval:

* ``busy``: the GUI thread's own CPU time: work this thread did in one go;
* ``own``: the lag minus the time the thread sat runnable in the kernel's run queue waiting for a CPU
  (Linux ``/proc/thread-self/schedstat``), i.e. the stall that was not the machine being busy with
  other programs: our work, the GIL, locks and I/O. Where schedstat is missing it equals the lag.
  On a crowded machine it also holds waits for the GIL (or a Qt mutex) held by another thread of
  this process that the kernel preempted: that thread waits for a CPU, the GUI thread waits for it.

With ``sample_stalls=True`` a watchdog thread also looks, every few milliseconds, at what the GUI
thread is running while a tick is overdue (its Python stack, ``sys._current_frames``), so each stall
longer than ``stall_ms`` is recorded with *where* the thread was (:attr:`EventLoopLatencyProbe.stalls`):
our code by file, line and function, or ``"in Qt's C++ (no cryodesk frame)"`` when the thread sat
in Qt's C++ each time it was looked at: painting, layout, waiting for a CPU, or between many short
calls into Python (a table's model and delegate are called from Qt's paint loop, and the watchdog,
which needs the GIL to look, mostly gets it between them). Also recorded: which other threads of the
process used a CPU meanwhile and where (``other_threads_ms``: the GIL's other holders, e.g. a
structure depiction drawn on a pool thread). A stall with no sample at all means the watchdog got
no CPU or GIL either: the whole process was waiting.

Tests start the probe around a background job and assert on :meth:`EventLoopLatencyProbe.stats`;
``tests/bench/bench_gui_latency.py`` prints the figures as JSON.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

DEFAULT_INTERVAL_MS = 10
DEFAULT_STALL_MS = 30.0  # stalls at least this long are recorded with where the GUI thread was
SAMPLE_PERIOD_S = 0.004  # how often the watchdog looks while a tick is overdue
STALLS_KEPT = 200
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])  # .../cryodesk
IDLE_IN_QT = "in Qt's C++ (no cryodesk frame)"
_SCHEDSTAT = Path("/proc/thread-self/schedstat")
_TASKS = Path("/proc/self/task")


def _thread_cpu_ns() -> dict[int, int]:
    """CPU time (ns) of every thread of this process by native id (empty off Linux)."""
    out: dict[int, int] = {}
    try:
        tasks = list(_TASKS.iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out[int(task.name)] = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return out


def _thread_name(native_id: int) -> str:
    for thread in threading.enumerate():
        if thread.native_id == native_id:
            return thread.name
    try:
        return (_TASKS / str(native_id) / "comm").read_text().strip()
    except OSError:
        return str(native_id)


def _run_queue_wait_ms(fd: int | None = None) -> float | None:
    """How long this thread has waited for a CPU while runnable, in ms (None off Linux).

    ``fd``: this thread's schedstat file kept open (a re-read from offset 0 is fresh and costs a
    tenth of an open and read).
    """
    try:
        raw = os.pread(fd, 128, 0) if fd is not None else _SCHEDSTAT.read_bytes()
        return int(raw.split()[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


def _open_schedstat() -> int | None:
    try:
        return os.open(_SCHEDSTAT, os.O_RDONLY)
    except OSError:
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
    median_ms: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            k: round(v, 1) if isinstance(v, float) else v
            for k, v in (
                ("samples", self.samples),
                ("max_ms", self.max_ms),
                ("p99_ms", self.p99_ms),
                ("p95_ms", self.p95_ms),
                ("median_ms", self.median_ms),
                ("mean_ms", self.mean_ms),
                ("busy_max_ms", self.busy_max_ms),
                ("busy_p99_ms", self.busy_p99_ms),
                ("own_max_ms", self.own_max_ms),
                ("own_p99_ms", self.own_p99_ms),
            )
        }


@dataclass(frozen=True, slots=True)
class Stall:
    """One tick that came ``lag_ms`` late, and where the GUI thread was meanwhile.

    ``where`` is the most frequent of the watchdog's samples (our innermost frame, and the innermost
    frame if that is a library's); empty when the watchdog got no sample (the GIL was held elsewhere
    all along, or sampling was off).
    """

    lag_ms: float
    own_ms: float
    busy_ms: float
    where: str
    samples: int
    others: tuple[tuple[str, float], ...] = ()  # other threads of this process that ran meanwhile (name, ms)
    # Where Qt's pool threads ran Python meanwhile (place, samples).
    pool_places: tuple[tuple[str, int], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "lag_ms": round(self.lag_ms, 1),
            "own_ms": round(self.own_ms, 1),
            "busy_ms": round(self.busy_ms, 1),
            "where": self.where,
            "samples": self.samples,
            "other_threads_ms": {name: round(ms, 1) for name, ms in self.others},
            "pool_threads_at": dict(self.pool_places),
        }


@dataclass(slots=True)
class _Overdue:
    """The watchdog's samples of one overdue interval (keyed by the tick it follows)."""

    since: float
    places: Counter[str] = field(default_factory=Counter)
    cpu_first: dict[int, int] = field(default_factory=dict)
    cpu_last: dict[int, int] = field(default_factory=dict)
    other_places: dict[int, Counter[str]] = field(default_factory=dict)  # other Python threads' stacks
    # Where threads unknown to ``threading`` (Qt's pool threads running Python) were, when not waiting.
    elsewhere: Counter[str] = field(default_factory=Counter)

    def others(self, gui_native_id: int, watchdog_native_id: int | None) -> tuple[tuple[str, float], ...]:
        """Threads (other than the GUI thread and the watchdog) that used a CPU while the tick was overdue.

        In the GUI process they are the GIL's other holders: what they ran, the GUI thread could not.
        """
        spent = []
        for tid, ns in self.cpu_last.items():
            if tid in (gui_native_id, watchdog_native_id):
                continue
            ms = (ns - self.cpu_first.get(tid, ns)) / 1e6
            if ms >= 1.0:
                places = self.other_places.get(tid)
                where = f" at {places.most_common(1)[0][0]}" if places else ""
                spent.append((_thread_name(tid) + where, ms))
        return tuple(sorted(spent, key=lambda x: -x[1])[:4])


def describe_frame(frame: object) -> str:
    """Where a thread is: its innermost frame in our package, plus the innermost one if that is elsewhere."""
    if frame is None:
        return ""
    innermost = frame
    ours = None
    f = frame
    while f is not None:
        code = f.f_code  # type: ignore[attr-defined]
        if code.co_filename.startswith(_PACKAGE_DIR) and not code.co_filename.endswith("latency_probe.py"):
            ours = f
            break
        f = f.f_back  # type: ignore[attr-defined]
    parts = []
    if ours is not None:
        parts.append(_frame_text(ours))
    if innermost is not ours:
        parts.append(_frame_text(innermost))
    return " <- ".join(reversed(parts)) if parts else ""


# Modules whose innermost frame means a thread is blocked waiting, not holding the GIL to compute.
_WAITING_IN = ("threading.py", "queues.py", "connection.py", "selectors.py", "socket.py", "socketserver.py")


def _waiting(frame: object) -> bool:
    return frame is not None and frame.f_code.co_filename.endswith(_WAITING_IN)  # type: ignore[attr-defined]


def _frame_text(frame: object) -> str:
    code = frame.f_code  # type: ignore[attr-defined]
    name = code.co_filename
    if name.startswith(_PACKAGE_DIR):
        name = "cryodesk/" + name[len(_PACKAGE_DIR) + 1 :]
    else:
        name = Path(name).name
    return f"{name}:{frame.f_lineno} {code.co_name}"  # type: ignore[attr-defined]


class EventLoopLatencyProbe(QObject):
    """Measures event-loop lag with a repeating precise timer (off until :meth:`start`)."""

    def __init__(
        self,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        parent: QObject | None = None,
        *,
        sample_stalls: bool = False,
        stall_ms: float = DEFAULT_STALL_MS,
    ) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.sample_stalls = sample_stalls
        self.stall_ms = stall_ms
        self.stalls: list[Stall] = []
        self._gui_thread_id = threading.get_ident()
        self._gui_native_id = threading.get_native_id()
        self._lock = threading.Lock()
        self._overdue: _Overdue | None = None
        self._watchdog: threading.Thread | None = None
        self._watching = threading.Event()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self._last_cpu = 0.0
        self._last_wait: float | None = None
        self._schedstat_fd: int | None = None  # opened by the GUI thread: it reads that thread's figures
        self.lags_ms: list[float] = []
        self.busy_ms: list[float] = []
        self.own_ms: list[float] = []

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self.reset()
        self._gui_thread_id = threading.get_ident()
        self._gui_native_id = threading.get_native_id()
        if self._schedstat_fd is None:
            self._schedstat_fd = _open_schedstat()
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._last_wait = _run_queue_wait_ms(self._schedstat_fd)
        self._timer.start()
        if self.sample_stalls and self._watchdog is None:
            self._watching.set()
            self._watchdog = threading.Thread(target=self._watch, name="latency-watchdog", daemon=True)
            self._watchdog.start()

    def stop(self) -> LatencyStats:
        self._timer.stop()
        self._last = None
        self._stop_watchdog()
        if self._schedstat_fd is not None:
            os.close(self._schedstat_fd)
            self._schedstat_fd = None
        return self.stats()

    def _stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watching.clear()
            self._watchdog.join(1.0)
            self._watchdog = None

    def reset(self) -> None:
        self.lags_ms = []
        self.busy_ms = []
        self.own_ms = []
        self.stalls = []
        with self._lock:
            self._overdue = None
        if self._timer.isActive():
            self._last = time.perf_counter()
            self._last_cpu = time.thread_time()
            self._last_wait = _run_queue_wait_ms(self._schedstat_fd)

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()  # thread_time: this (the GUI) thread's CPU only
        wait = _run_queue_wait_ms(self._schedstat_fd)
        if self._last is not None:
            lag = max(0.0, (now - self._last) * 1000.0 - self.interval_ms)
            self.lags_ms.append(lag)
            self.busy_ms.append(max(0.0, (cpu - self._last_cpu) * 1000.0))
            waited = 0.0 if wait is None or self._last_wait is None else max(0.0, wait - self._last_wait)
            own = max(0.0, lag - waited)
            self.own_ms.append(own)
            if lag >= self.stall_ms:
                self._record_stall(lag, own, self.busy_ms[-1])
        self._last, self._last_cpu, self._last_wait = now, cpu, wait
        with self._lock:
            self._overdue = None

    def _record_stall(self, lag: float, own: float, busy: float) -> None:
        with self._lock:
            overdue = (
                self._overdue if self._overdue is not None and self._overdue.since == self._last else None
            )
        places = overdue.places if overdue is not None else Counter()
        where, count = places.most_common(1)[0] if places else ("", 0)
        watchdog = self._watchdog.native_id if self._watchdog is not None else None
        others = overdue.others(self._gui_native_id, watchdog) if overdue is not None else ()
        pool = tuple(overdue.elsewhere.most_common(3)) if overdue is not None else ()
        stall = Stall(lag, own, busy, where, count, others, pool)
        if len(self.stalls) < STALLS_KEPT:
            self.stalls.append(stall)
        elif lag > min(st.lag_ms for st in self.stalls):  # keep the worst ones
            self.stalls.remove(min(self.stalls, key=lambda st: st.lag_ms))
            self.stalls.append(stall)

    def _watch(self) -> None:
        """The watchdog thread: while a tick is overdue by ``stall_ms``/2, sample the GUI thread's stack."""
        threshold_s = (self.interval_ms + self.stall_ms / 2) / 1000.0
        while self._watching.is_set():
            last = self._last
            if last is None:
                time.sleep(SAMPLE_PERIOD_S)
                continue
            due = last + threshold_s - time.perf_counter()
            if due > 0:  # sleep until this tick would be overdue (few wakeups: each one takes the GIL)
                time.sleep(max(due, SAMPLE_PERIOD_S))
                continue
            time.sleep(SAMPLE_PERIOD_S)
            if self._last != last:
                continue
            # Threads' CPU times from the moment the tick is overdue (reading them every tick would
            # itself load the GUI process): the attribution covers the stall past stall_ms / 2.
            cpu = _thread_cpu_ns()
            frames = sys._current_frames()
            frame = frames.get(self._gui_thread_id)
            place = describe_frame(frame) or IDLE_IN_QT
            if frame is not None and not place.startswith("cryodesk/") and " <- " not in place:
                place = IDLE_IN_QT  # only test or bench code on the stack: the thread waits inside Qt
            others, elsewhere = self._other_places(frames)
            del frame, frames
            with self._lock:
                if self._overdue is None or self._overdue.since != last:
                    self._overdue = _Overdue(last, cpu_first=cpu)
                self._overdue.places[place] += 1
                self._overdue.cpu_last = cpu
                for tid, where in others.items():
                    self._overdue.other_places.setdefault(tid, Counter())[where] += 1
                self._overdue.elsewhere.update(elsewhere)

    def _other_places(self, frames: dict[int, Any]) -> tuple[dict[int, str], list[str]]:
        """Where the process's other threads are: Python's threads by native id, and the places of
        threads ``threading`` does not know (Qt's pool threads running Python) unless they wait."""
        by_native: dict[int, str] = {}
        mine = threading.get_ident()
        known = {mine, self._gui_thread_id}
        for thread in threading.enumerate():
            known.add(thread.ident or 0)
            if thread.ident in (mine, self._gui_thread_id) or thread.native_id is None:
                continue
            where = describe_frame(frames.get(thread.ident))
            if where:
                by_native[thread.native_id] = where
        elsewhere = []
        for ident, frame in frames.items():
            if ident in known or _waiting(frame):
                continue
            where = describe_frame(frame)
            if where:
                elsewhere.append(where)
        return by_native, elsewhere

    def worst_stalls(self, count: int = 10) -> list[Stall]:
        return sorted(self.stalls, key=lambda st: st.lag_ms, reverse=True)[:count]

    def stall_places(self) -> dict[str, dict[str, float]]:
        """Per place: how many stalls were seen there, their total and their worst lag (ms)."""
        out: dict[str, dict[str, float]] = {}
        for st in self.stalls:
            entry = out.setdefault(st.where or "(no sample)", {"stalls": 0, "total_ms": 0.0, "max_ms": 0.0})
            entry["stalls"] += 1
            entry["total_ms"] = round(entry["total_ms"] + st.lag_ms, 1)
            entry["max_ms"] = round(max(entry["max_ms"], st.lag_ms), 1)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["total_ms"]))

    def stats(self) -> LatencyStats:
        lags, busy, own = sorted(self.lags_ms), sorted(self.busy_ms), sorted(self.own_ms)
        if not lags:
            return LatencyStats(0, 0.0, 0.0, 0.0, 0.0)
        return LatencyStats(
            len(lags),
            lags[-1],
            _pct(lags, 99),
            _pct(lags, 95),
            sum(lags) / len(lags),
            busy[-1],
            _pct(busy, 99),
            own[-1],
            _pct(own, 99),
            _pct(lags, 50),
        )


def _pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]
