"""A tolerant number + unit + conditions reader for free-text property values.

PUG-View values are mostly prose written by many sources: ``"9 °F (NTP, 1992)"``,
``"197.00 to 198.00 °C. @ 760.00 mm Hg"``, ``"PEG 400: 4-8 °C; PEG 3000: 50-56 °C"``,
``"16.1 mPa-sec at 25 °C; 6.554 mPa-sec at 50 °C"``, ``"LD50 Dog oral >8,810 mg/kg bw /from table/"``.
This module reads what it can (value or range, relation, unit, conditions, qualifier, toxicity
measure) and returns nothing rather than guessing: a number is only taken as the value when it
carries a unit of the right kind (density also accepts a bare number), and numbers in parentheses
or after "at"/"@" are conditions, never the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Property kinds and the PUG-View headings that map to them.
TEMPERATURE = "temperature"
DENSITY = "density"
VISCOSITY = "viscosity"
SOLUBILITY = "solubility"
TOXICITY = "toxicity"

HEADING_KINDS = {
    "Melting Point": TEMPERATURE,
    "Boiling Point": TEMPERATURE,
    "Flash Point": TEMPERATURE,
    "Density": DENSITY,
    "Viscosity": VISCOSITY,
    "Solubility": SOLUBILITY,
    "Toxicity Data": TOXICITY,
    "Non-Human Toxicity Values": TOXICITY,
    "Human Toxicity Values": TOXICITY,
}

# (spelling, canonical) — longest spellings first so "g/cu cm" wins over "g".
_UNITS: dict[str, list[tuple[str, str]]] = {
    TEMPERATURE: [
        ("°C", "°C"), ("° C", "°C"), ("ºC", "°C"), ("deg C", "°C"), ("degC", "°C"),
        ("°F", "°F"), ("° F", "°F"), ("ºF", "°F"), ("deg F", "°F"), ("K", "K"),
    ],
    DENSITY: [
        ("g/cu cm", "g/cm3"), ("g/cm3", "g/cm3"), ("g/cm³", "g/cm3"), ("g/cc", "g/cm3"), ("g/mL", "g/mL"),
        ("g/ml", "g/mL"), ("kg/m3", "kg/m3"), ("kg/m³", "kg/m3"), ("lb/gal", "lb/gal"), ("g/L", "g/L"),
    ],
    VISCOSITY: [
        ("mPa-sec", "mPa*s"), ("mPa.sec", "mPa*s"), ("mPa.s", "mPa*s"), ("mPa-s", "mPa*s"), ("mPa*s", "mPa*s"),
        ("mPa·s", "mPa*s"), ("mPa s", "mPa*s"), ("centipoise", "cP"), ("cP", "cP"), ("cp", "cP"),
        ("Pa.s", "Pa*s"), ("Pa*s", "Pa*s"), ("Pa·s", "Pa*s"), ("Pa-s", "Pa*s"), ("mm2/s", "mm2/s"),
        ("mm²/s", "mm2/s"), ("cSt", "mm2/s"),
    ],
    SOLUBILITY: [
        ("g/100 mL", "g/100 mL"), ("g/100mL", "g/100 mL"), ("g/100 ml", "g/100 mL"), ("g/100 g", "g/100 g"),
        ("mg/mL", "mg/mL"), ("mg/ml", "mg/mL"), ("ug/mL", "ug/mL"), ("µg/mL", "ug/mL"), ("mg/L", "mg/L"),
        ("mg/l", "mg/L"), ("g/L", "g/L"), ("g/l", "g/L"), ("g/kg", "g/kg"), ("mol/L", "mol/L"),
        ("mmol/L", "mmol/L"), ("% w/w", "% w/w"), ("wt%", "% w/w"), ("% w/v", "% w/v"), ("ppm", "ppm"),
    ],
    TOXICITY: [
        ("mg/kg", "mg/kg"), ("g/kg", "g/kg"), ("mL/kg", "mL/kg"), ("ml/kg", "mL/kg"), ("ug/kg", "ug/kg"),
        ("µg/kg", "ug/kg"), ("mg/m3", "mg/m3"), ("mg/m³", "mg/m3"), ("g/m3", "g/m3"), ("mg/L", "mg/L"),
        ("ppm", "ppm"),
    ],
}
_PRESSURE_UNITS = [("mm Hg", "mmHg"), ("mmHg", "mmHg"), ("kPa", "kPa"), ("atm", "atm"), ("torr", "Torr"),
                   ("Torr", "Torr"), ("bar", "bar"), ("Pa", "Pa")]

_NUM = r"[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?"
_RELATION = (
    r"(?P<rel>greater\s+than\s+or\s+equal\s+to|less\s+than\s+or\s+equal\s+to|greater\s+than|less\s+than|"
    r">=|<=|≥|≤|>|<|=|~|ca\.|approx\.|about)?"
)
_RELATION_CANON = {
    "greater than or equal to": ">=", "less than or equal to": "<=", "greater than": ">", "less than": "<",
    ">=": ">=", "<=": "<=", "≥": ">=", "≤": "<=", ">": ">", "<": "<", "=": "=", "~": "~",
    "ca.": "~", "approx.": "~", "about": "~",
}
_MEASURE_RE = re.compile(r"\b(LD50|LC50|LDLo|LCLo|TDLo|TCLo|LD0|LC0|LD100|LC100|ED50|EC50|IC50|CC50|TD50)\b", re.I)
_CITATION_RE = re.compile(r"\((?:[A-Z][A-Za-z&.\s]*,\s*)?(?:19|20)\d\d\)|\([A-Z]{1,2}\d{1,5}\)")
_PAREN_RE = re.compile(r"\(([^()]*)\)")
_QUALIFIER_RE = re.compile(r"^\s*([^:;]{1,60}?)\s*:\s*(?=\S)")
_SPLIT_RE = re.compile(r"\s*(?:;|\n)\s*")
_JUNK_RE = re.compile(r"^/?p>|</?[a-zA-Z][^>]*>")


def _unit_pattern(spellings: list[tuple[str, str]]) -> str:
    ordered = sorted((s for s, _ in spellings), key=len, reverse=True)
    return "(?P<unit>" + "|".join(re.escape(s) for s in ordered) + r")(?![A-Za-z])"


def _value_re(kind: str) -> re.Pattern[str]:
    return re.compile(
        _RELATION + r"\s*(?P<lo>" + _NUM + r")(?:\s*(?:-|–|to)\s*(?P<hi>" + _NUM + r"))?\s*"
        + "(?:" + _unit_pattern(_UNITS[kind]) + ")?"
    )


_VALUE_RES = {kind: _value_re(kind) for kind in _UNITS}
_AT = r"(?:\b[Aa][Tt]\b|@)\s*"
_TEMP_COND_RE = re.compile(_AT + r"(?P<num>" + _NUM + r")\s*" + _unit_pattern(_UNITS[TEMPERATURE]))
_BARE_TEMP_RE = re.compile(r"(?P<num>" + _NUM + r")\s*" + _unit_pattern(_UNITS[TEMPERATURE]))
_PRESS_COND_RE = re.compile(_AT + r"(?P<num>" + _NUM + r")\s*" + _unit_pattern(_PRESSURE_UNITS))


@dataclass(frozen=True, slots=True)
class ParsedValue:
    """What could be read from one segment of a free-text value."""

    value: float | None
    value_max: float | None
    relation: str | None
    unit: str | None
    conditions: str | None
    qualifier: str | None
    measure: str | None
    segment: str


def to_number(text: str) -> float:
    """``"8,810"`` → 8810.0, ``"−12.69"`` → -12.69."""
    return float(text.replace("−", "-").replace(",", ""))


def _canonical_measure(text: str) -> str:
    upper = text.upper()
    return upper[:-2] + "Lo" if upper.endswith("LO") else upper


def kind_for_heading(heading: str) -> str | None:
    return HEADING_KINDS.get(heading)


def parse_text(text: str, kind: str) -> list[ParsedValue]:
    """Read every value in ``text``; ``[]`` when none carries a usable number.

    Args:
        text: the original string (several values may be separated by ``;`` or new lines).
        kind: one of the kinds above (decides which units make a number a value).
    """
    if kind not in _UNITS:
        return []
    values = []
    for segment in _SPLIT_RE.split(text.strip()):
        if segment:
            parsed = parse_segment(segment, kind)
            if parsed is not None:
                values.append(parsed)
    return values


def parse_segment(segment: str, kind: str) -> ParsedValue | None:
    """Read one value from one segment, or None."""
    clean = _JUNK_RE.sub("", segment).strip()
    clean = _CITATION_RE.sub("", clean).lstrip(" .,").rstrip(" .,-")
    measure_match = _MEASURE_RE.search(clean)
    measure = _canonical_measure(measure_match.group(1)) if measure_match else None
    qualifier, body = _split_qualifier(clean, measure)
    # Parenthesised text and "at <temperature>" are conditions: mask them so no number inside is
    # mistaken for the value, keeping offsets so the conditions can be read afterwards.
    match = _find_value(_mask(body), kind)
    if match is None:
        return None
    lo = to_number(match.group("lo"))
    hi = to_number(match.group("hi")) if match.group("hi") else None
    unit = _canonical_unit(kind, match.group("unit"))
    relation = _RELATION_CANON.get(" ".join((match.group("rel") or "").lower().split()), None)
    conditions = _conditions(body, match, kind, measure)
    return ParsedValue(lo, hi, relation or "=", unit, conditions, qualifier, measure, segment.strip())


def parse_number_value(numbers: list[float], unit: str | None, kind: str | None) -> ParsedValue | None:
    """A PUG-View ``{"Number": [...], "Unit": "mg/L (at 25 °C)"}`` value."""
    if not numbers:
        return None
    unit_text = (unit or "").strip()
    conditions = None
    base = unit_text
    paren = _PAREN_RE.search(unit_text)
    if paren:
        base = unit_text[: paren.start()].strip()
        conditions = _condition_text(paren.group(1), kind) or paren.group(1).strip()
    canonical = _canonical_unit(kind, base) if kind else None
    value_max = float(numbers[1]) if len(numbers) > 1 else None
    text = " ".join(str(n) for n in numbers) + (f" {unit_text}" if unit_text else "")
    return ParsedValue(float(numbers[0]), value_max, "=", canonical or base or None, conditions, None, None, text)


def _split_qualifier(text: str, measure: str | None) -> tuple[str | None, str]:
    match = _QUALIFIER_RE.match(text)
    if not match or not re.search(r"\d", text[match.end() :]):
        return None, text
    label = match.group(1).strip()
    if measure and _MEASURE_RE.fullmatch(label):
        return None, text[match.end() :]
    return label, text[match.end() :]


def _mask(text: str) -> str:
    """Blank out parentheses and "at <T>"/"@ <P>" conditions, keeping offsets."""
    masked = _PAREN_RE.sub(lambda m: " " * len(m.group(0)), text)
    masked = _TEMP_COND_RE.sub(lambda m: " " * len(m.group(0)), masked)
    return _PRESS_COND_RE.sub(lambda m: " " * len(m.group(0)), masked)


def _find_value(masked: str, kind: str) -> re.Match[str] | None:
    """First number carrying a unit of ``kind``; for density also a bare leading number."""
    bare: re.Match[str] | None = None
    for match in _VALUE_RES[kind].finditer(masked):
        if not match.group("lo"):
            continue
        if match.group("unit"):
            return match
        if bare is None and kind == DENSITY and not masked[: match.start()].strip():
            bare = match
    return bare


def _canonical_unit(kind: str | None, spelled: str | None) -> str | None:
    if not spelled or kind not in _UNITS:
        return None
    for spelling, canonical in _UNITS[kind]:
        if spelled == spelling:
            return canonical
    return spelled


def _conditions(body: str, match: re.Match[str], kind: str, measure: str | None) -> str | None:
    """Conditions around the value: T/P, species and route for toxicity, other parentheses."""
    parts: list[str] = []
    if kind == TOXICITY:
        # "LD50 Rat oral 4700 mg/kg": the words between the measure and the number.
        lead = _PAREN_RE.sub("", _MEASURE_RE.sub("", body[: match.start()]))
        lead = lead.strip(" :=,")
        if lead:
            parts.append(lead)
    condition = _condition_text(body, kind)
    if condition:
        parts.append(condition)
    for paren in _PAREN_RE.finditer(body):
        inner = paren.group(1).strip()
        if inner and not _condition_text(inner, kind) and not _MEASURE_RE.fullmatch(inner):
            parts.append(inner)
    if kind == TOXICITY:
        tail = _PAREN_RE.sub("", body[match.end() :])
        tail = re.sub(r"^\s*(?:bw|body weight)\b", "", tail).strip(" .,;")
        if tail and not tail.startswith("/"):
            parts.append(tail)
    return "; ".join(dict.fromkeys(parts)) or None


def _condition_text(text: str, kind: str | None) -> str | None:
    """``T=<n> <unit>`` and ``P=<n> <unit>`` conditions found in ``text``."""
    parts = []
    if kind != TEMPERATURE:
        temp = _TEMP_COND_RE.search(text) or _BARE_TEMP_RE.fullmatch(text.strip())
        if temp is not None:
            parts.append(f"T={temp.group('num')} {_canonical_unit(TEMPERATURE, temp.group('unit'))}")
    pressure = _PRESS_COND_RE.search(text)
    if pressure is not None:
        unit = dict(_PRESSURE_UNITS).get(pressure.group("unit"), pressure.group("unit"))
        parts.append(f"P={pressure.group('num')} {unit}")
    return "; ".join(parts) or None
