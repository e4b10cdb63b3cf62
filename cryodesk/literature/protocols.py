"""Cooling protocols: methods (slow freezing, vitrification ...) and rates (``1 °C/min``).

Rates are normalised to °C/min (a rate in K is the same number; per second x 60, per hour / 60)
and reported as absolute values; ``direction`` says cooling or warming when a word within
:data:`DIRECTION_WINDOW` characters before the rate says so.
"""

from __future__ import annotations

import re

from cryodesk.literature.quantities import NUMBER, to_number
from cryodesk.literature.records import CoolingProtocol

METHODS: dict[str, str] = {
    "slow_freezing": (
        r"slow[-\s]+(?:freez\w*|cool\w*|rate\s+freez\w*)|controlled[-\s]+rate\s+(?:freez\w*|cool\w*)|"
        r"programm(?:able|ed)\s+freez\w*|equilibrium\s+(?:freez\w*|cool\w*)|conventional\s+freezing"
    ),
    "vitrification": r"vitrif\w*|cryotop|open\s+pulled\s+straws?|cryoloop|cryoleaf|cryotip",
    "rapid_cooling": r"(?:ultra-?)?rapid\s+(?:freez\w*|cool\w*)|fast\s+(?:freez\w*|cool\w*)|plunge[-\s]freez\w*",
    "directional_freezing": r"directional\s+freez\w*",
    "isochoric": r"isochoric",
    "passive_container": r"Mr\.?\s*Frosty|CoolCell|isopropanol\s+(?:freezing\s+)?container",
    "liquid_nitrogen": r"liquid\s+nitrogen|\bLN2\b|[-−–]\s?196\s?°?\s?C",
    "minus_80": r"[-−–]\s?80\s?°\s?C|[-−–]\s?80\s?ºC",
}
METHOD_RE = re.compile("|".join(f"(?P<{k}>{v})" for k, v in METHODS.items()), re.IGNORECASE)

_DEGREE = r"(?:°\s?C|º\s?C|˚\s?C|° ?C|K|degrees?\s+C(?:elsius)?|deg\s?C)"
_PER = r"\s*(?:/\s*|per\s+|·\s*|\s)"
_TIME = r"(?P<time>min(?:ute)?s?|s(?:ec(?:ond)?s?)?|h(?:ours?|r)?)(?:\s*[-−]\s*1|⁻¹)?"
RATE_RE = re.compile(
    rf"(?<![\w.])[-−–]?\s?(?P<num>{NUMBER})(?:\s*(?:-|–|to)\s*[-−–]?\s?(?P<num2>{NUMBER}))?\s*{_DEGREE}{_PER}{_TIME}(?![A-Za-z])"
)
COOLING_WORDS = re.compile(r"cool\w*|freez\w*|frozen", re.IGNORECASE)
WARMING_WORDS = re.compile(r"warm\w*|thaw\w*|heat\w*", re.IGNORECASE)
DIRECTION_WINDOW = 50
_PER_MINUTE = {"s": 60.0, "h": 1.0 / 60.0}


def _factor(time_unit: str) -> float:
    unit = time_unit.lower()
    if unit.startswith("min"):
        return 1.0
    return _PER_MINUTE["h" if unit.startswith("h") else "s"]


def _direction(text: str, lo: int, hi: int) -> str | None:
    window = text[lo:hi]
    cooling = [m.end() for m in COOLING_WORDS.finditer(window)]
    warming = [m.end() for m in WARMING_WORDS.finditer(window)]
    if not cooling and not warming:
        return None
    # The word nearest the rate wins ("cooled at 1 °C/min and warmed at ...").
    return "cooling" if max(cooling, default=-1) > max(warming, default=-1) else "warming"


def find_protocols(text: str, start: int = 0, end: int | None = None, sentence_index: int = 0) -> list[CoolingProtocol]:
    """Methods and rates in ``text[start:end]`` (offsets into ``text``), in text order."""
    stop = len(text) if end is None else end
    lowered = text[start:stop].lower()
    found: list[CoolingProtocol] = []
    if any(anchor in lowered for anchor in _METHOD_ANCHORS):
        found.extend(_methods(text, start, stop, sentence_index))
    if any(anchor in lowered for anchor in _RATE_ANCHORS):
        found.extend(_rates(text, start, stop, sentence_index))
    found.sort(key=lambda p: p.start)
    return found


#: Cheap pre-checks (lower-case substrings): most abstracts have no protocol at all.
_METHOD_ANCHORS = ("freez", "cool", "vitrif", "cryo", "straw", "plunge", "isochoric", "frosty", "coolcell",
                   "isopropanol", "nitrogen", "ln2", "196", "80")
_RATE_ANCHORS = ("°", "º", "˚", "degree", "deg", "k/", "k min", "k per", "k·")


def _methods(text: str, start: int, stop: int, sentence_index: int) -> list[CoolingProtocol]:
    found = []
    for match in METHOD_RE.finditer(text, start, stop):
        found.append(CoolingProtocol(match.start(), match.end(), match.group(0), match.lastgroup or "", sentence_index))
    return found


def _rates(text: str, start: int, stop: int, sentence_index: int) -> list[CoolingProtocol]:
    found = []
    for match in RATE_RE.finditer(text, start, stop):
        factor = _factor(match.group("time"))
        rate = to_number(match.group("num")) * factor
        rate_max = to_number(match.group("num2")) * factor if match.group("num2") else None
        direction = _direction(text, max(start, match.start() - DIRECTION_WINDOW), match.start())
        found.append(
            CoolingProtocol(match.start(), match.end(), match.group(0), "rate", sentence_index, rate, rate_max, direction)
        )
    return found
