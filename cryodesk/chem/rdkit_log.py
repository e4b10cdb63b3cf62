"""Capture RDKit's log so its messages become error reasons instead of stderr noise.

RDKit reports why a structure failed (``SMILES Parse Error: unclosed ring ...``, ``Explicit valence
for atom # 0 C, 5, is greater than permitted``) only through its C++ log. During a bulk import that
log would print thousands of lines to stderr, and a windowed build has no stderr at all. So:

* On first use we route RDKit's log to Python's :mod:`logging` (logger ``"rdkit"``), as the
  architecture asks for library logs, and keep RDKit's debug/info channels as they were (they are
  chatty, e.g. "Running Normalizer" for every molecule).
* :func:`capture_rdkit_log` collects the messages RDKit emits *in the current thread* and stops them
  from propagating, so a total function can turn them into a reason. Outside a capture, messages
  reach the ``"rdkit"`` logger as usual and the application's logging config decides.

The capture is per thread (a filter checks a thread-local stack), so a depiction in the GUI thread
and an import in a worker thread do not steal each other's messages. Captures nest: the innermost
one receives the messages.

Captures work even when other code has switched RDKit's log off (``RDLogger.DisableLog``,
``BlockLogs``) or routed it elsewhere (``LogToPythonStderr``): while any capture is active, RDKit's
warning and error channels are open and routed to :mod:`logging`; afterwards the channel switches
are put back (the sink stays :mod:`logging`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rdkit import rdBase

RDKIT_LOGGER_NAME = "rdkit"
_NEEDED_CHANNELS = frozenset({"rdApp.warning", "rdApp.error"})

_state = threading.local()
_install_lock = threading.Lock()
_installed = False
_switch_lock = threading.Lock()
_active_captures = 0
_saved_switches: _Switches | None = None

# RDKit prefixes each message with a wall-clock stamp, e.g. "[02:25:22] ".
_TIMESTAMP = re.compile(r"^\[\d{2}:\d{2}:\d{2}\]\s?")
# Lines of an invariant-violation dump that say nothing to a user (stack frames, rulers, file/line).
_NOISE = re.compile(
    r"^(\*{4}|-{4,}|Stacktrace:|\s*\d+# |Violation occurred on line|Failed Expression:"
    r"|(Pre|Post)-condition Violation|Invariant Violation|ERROR:\s*$)"
)


@dataclass(slots=True)
class RDKitLogCapture:
    """Messages RDKit logged inside one :func:`capture_rdkit_log` block, oldest first.

    Attributes:
        messages: cleaned messages (timestamps and stack-trace noise removed, no duplicates).
    """

    messages: list[str] = field(default_factory=list)

    def add(self, raw: str) -> None:
        """Split ``raw`` into lines, drop noise, and keep each new line once."""
        for line in raw.splitlines():
            text = _TIMESTAMP.sub("", line).strip()
            if text and not _NOISE.match(text) and text not in self.messages:
                self.messages.append(text)

    def text(self, sep: str = "; ") -> str:
        """All messages joined by ``sep`` (empty string when nothing was logged)."""
        return sep.join(self.messages)


class _ThreadCaptureFilter(logging.Filter):
    """Hands a record to the current thread's innermost capture and stops it there."""

    def filter(self, record: logging.LogRecord) -> bool:
        stack: list[RDKitLogCapture] | None = getattr(_state, "stack", None)
        if not stack:
            return True
        try:
            stack[-1].add(record.getMessage())
        except Exception:  # a malformed record must not break the caller's parse
            stack[-1].add(str(record.msg))
        return False


def _disabled_channels() -> list[str]:
    """RDKit log channels currently disabled, parsed from ``rdBase.LogStatus()``."""
    disabled = []
    for line in rdBase.LogStatus().splitlines():
        name, _, status = line.partition(":")
        if status.strip() == "disabled":
            disabled.append(name.strip())
    return disabled


def install_rdkit_log_bridge() -> None:
    """Route RDKit's log to :mod:`logging` and install the capture filter (idempotent).

    ``LogToPythonLogger`` enables every channel, so the channels that were disabled before
    (by default debug and info) are disabled again afterwards.
    """
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        disabled = _disabled_channels()
        rdBase.LogToPythonLogger()
        for channel in disabled:
            rdBase.DisableLog(channel)
        logging.getLogger(RDKIT_LOGGER_NAME).addFilter(_ThreadCaptureFilter())
        _installed = True


@dataclass(slots=True)
class _Switches:
    """Log switches as they were before the first active capture changed them."""

    disabled_channels: list[str]
    logger_disabled: bool
    logger_level: int | None  # None: we did not change the level


def _claim_channels() -> None:
    """Make sure RDKit's warnings and errors reach our filter while a capture is active.

    Other code switches RDKit's log off globally (``RDLogger.DisableLog("rdApp.*")`` is common in
    scripts and tests), routes it elsewhere (``LogToPythonStderr``), or a logging config disables
    the ``"rdkit"`` logger. Any of these would leave a capture empty and reasons generic. So each
    thread's outermost capture re-claims the sink and opens the two channels it needs; the first
    of all active captures remembers the switches and the last one puts them back.
    """
    global _active_captures, _saved_switches
    logger = logging.getLogger(RDKIT_LOGGER_NAME)
    with _switch_lock:
        disabled = _disabled_channels()
        if _active_captures == 0:
            needed_off = [c for c in disabled if c in _NEEDED_CHANNELS]
            _saved_switches = _Switches(needed_off, logger.disabled, None)
        _active_captures += 1
        rdBase.LogToPythonLogger()  # re-claims the sink; it also enables every channel
        for channel in disabled:
            if channel not in _NEEDED_CHANNELS:
                rdBase.DisableLog(channel)
        logger.disabled = False
        # setLevel clears every logger's cache, so only when the level would drop our messages.
        if logger.getEffectiveLevel() > logging.WARNING:
            if _saved_switches is not None and _saved_switches.logger_level is None:
                _saved_switches.logger_level = logger.level
            logger.setLevel(logging.WARNING)


def _release_channels() -> None:
    global _active_captures, _saved_switches
    with _switch_lock:
        _active_captures -= 1
        if _active_captures or _saved_switches is None:
            return
        for channel in _saved_switches.disabled_channels:
            rdBase.DisableLog(channel)
        logger = logging.getLogger(RDKIT_LOGGER_NAME)
        logger.disabled = _saved_switches.logger_disabled
        if _saved_switches.logger_level is not None:
            logger.setLevel(_saved_switches.logger_level)
        _saved_switches = None


@contextmanager
def capture_rdkit_log() -> Iterator[RDKitLogCapture]:
    """Collect RDKit's warnings and errors from this thread instead of printing them.

    Yields:
        An :class:`RDKitLogCapture` whose ``messages`` fill while the block runs.

    Example::

        with capture_rdkit_log() as log:
            mol = Chem.MolFromSmiles("C1CC")
        reason = log.text()  # "SMILES Parse Error: unclosed ring for input: 'C1CC'"
    """
    install_rdkit_log_bridge()
    stack: list[RDKitLogCapture] | None = getattr(_state, "stack", None)
    if stack is None:
        stack = []
        _state.stack = stack
    outermost = not stack
    if outermost:
        _claim_channels()
    capture = RDKitLogCapture()
    stack.append(capture)
    try:
        yield capture
    finally:
        stack.pop()
        if outermost:
            _release_channels()


@contextmanager
def mute_rdkit_log() -> Iterator[None]:
    """Silence RDKit's log in this thread for the block (messages are discarded)."""
    with capture_rdkit_log():
        yield
