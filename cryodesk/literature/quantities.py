"""Numbers with units in free text: ``10% (v/v)``, ``1.5 M``, ``300 mM``, ``5 mg/mL``, ``10-20%``.

One compiled pattern finds a number (or a range, or ``mean ± sd``) followed by a concentration
unit; the unit is normalised to the spellings of :class:`~cryodesk.literature.records.Quantity`.
Numbers of a list that share the last number's unit (``5, 10 and 15% DMSO``) are returned too,
marked ``unit_source="list"``. Temperatures and rates are left to :mod:`.protocols`.
"""

from __future__ import annotations

import re

from cryodesk.literature.records import Quantity

NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:[.·]\d+)?|[.·]\d+)"
_RANGE = r"\s*(?:-|–|—|−|to|~)\s*"
_PLUS_MINUS = r"\s*(?:±|\+/-|\+/−|\+-)\s*"
_UNIT = (
    r"(?P<pctbasis>%\s*(?:\(\s*|,\s*)?(?P<b1>[wvWV])\s*/\s*(?P<b2>[wvWV])\s*\)?)"
    r"|(?P<basispct>(?P<b3>[wvWV])\s*/\s*(?P<b4>[wvWV])\s*%)"
    r"|(?P<wtpct>(?P<wv>wt|vol|w|v)\.?\s*%)"
    r"|(?P<pct>%|\s?percent\b)"
    r"|(?P<molkg>mol\s*/\s*kg\b|molal\b)"
    r"|(?P<moll>(?P<mp>m|µ|μ|u|n)?mol\s*(?:/\s*[lL]\b|·?\s*[lL]\s*[-−]1|\s+per\s+lit(?:re|er)))"
    r"|(?P<molar>(?P<prefix>[mµμunp])?M(?![A-Za-z0-9]))"
    r"|(?P<mass>(?P<mprefix>[mµμun]?)g\s*(?:/\s*(?P<vol>m[lL]|d[lL]|[lL]|kg)\b|(?P<vol2>m[lL]|[lL])\s*[-−]1))"
)
QUANTITY_RE = re.compile(
    rf"(?<![\w.])(?<!\d,)(?P<num>{NUMBER})(?:(?P<rangesep>{_RANGE})(?P<num2>{NUMBER}))?(?:{_PLUS_MINUS}(?P<sd>{NUMBER}))?"
    rf"\s*(?:{_UNIT})"
)
_LIST_TAIL_RE = re.compile(rf"((?:(?<![\w.])(?<!\d,){NUMBER}\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|&\s*))+)$")
_LIST_NUMBER_RE = re.compile(rf"(?<![\w.])(?<!\d,){NUMBER}")

_PREFIX = {None: "M", "": "M", "m": "mM", "µ": "uM", "μ": "uM", "u": "uM", "n": "nM", "p": "pM"}
_MASS_PREFIX = {"": "g", "m": "mg", "µ": "ug", "μ": "ug", "u": "ug", "n": "ng"}


def to_number(text: str) -> float:
    """A float from ``"1,500"``, ``"0·25"`` or ``".5"``."""
    return float(text.replace(",", "").replace("·", "."))


def _basis(a: str | None, b: str | None) -> str | None:
    if not a or not b:
        return None
    return f"{a.lower()}/{b.lower()}"


def normalise_unit(match: re.Match[str]) -> str:
    """The canonical unit of a :data:`QUANTITY_RE` match."""
    g = match.group
    if g("pctbasis") or g("basispct"):
        basis = _basis(g("b1"), g("b2")) or _basis(g("b3"), g("b4"))
        return f"% {basis}"
    if g("wtpct"):
        return "% w/w" if g("wv").lower().startswith("w") else "% v/v"
    if g("pct"):
        return "%"
    if g("molkg"):
        return "mol/kg"
    if g("moll"):
        return _PREFIX[g("mp") or ""]
    if g("molar"):
        return _PREFIX[g("prefix")]
    mass = _MASS_PREFIX[g("mprefix") or ""]
    volume = (g("vol") or g("vol2") or "").lower()
    if volume == "kg":
        return f"{mass}/kg"
    if volume == "dl":
        return f"{mass}/dL"
    return f"{mass}/mL" if volume == "ml" else f"{mass}/L"


def find_quantities(text: str, *, start: int = 0, end: int | None = None, sentence_index: int = 0) -> list[Quantity]:
    """Every number-with-unit in ``text[start:end]`` (offsets are into ``text``), in text order."""
    stop = len(text) if end is None else end
    found: list[Quantity] = []
    for match in QUANTITY_RE.finditer(text, start, stop):
        unit = normalise_unit(match)
        value = to_number(match.group("num"))
        value_max = to_number(match.group("num2")) if match.group("num2") else None
        sd = to_number(match.group("sd")) if match.group("sd") else None
        q_end = match.end()
        while q_end > match.start() and text[q_end - 1].isspace():
            q_end -= 1
        if value_max is None:
            found.extend(_list_members(text, max(start, match.start() - 80), match.start(), unit, sentence_index))
        found.append(
            Quantity(match.start(), q_end, text[match.start() : q_end], value, unit, "parsed", sentence_index, value_max, sd)
        )
    found.sort(key=lambda q: q.start)
    return found


def _list_members(text: str, lo: int, hi: int, unit: str, sentence_index: int) -> list[Quantity]:
    """Bare numbers listed just before a quantity and sharing its unit (``5, 10 and`` of ``15%``)."""
    tail = _LIST_TAIL_RE.search(text, lo, hi)
    if tail is None:
        return []
    members = []
    for number in _LIST_NUMBER_RE.finditer(text, tail.start(1), tail.end(1)):
        members.append(
            Quantity(number.start(), number.end(), number.group(0), to_number(number.group(0)), unit, "list", sentence_index)
        )
    return members
