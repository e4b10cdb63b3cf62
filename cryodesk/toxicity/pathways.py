"""Assay hits mapped to adverse-outcome pathways (AOP-Wiki), with a confidence and a cytotoxicity flag.

Rule ``aop-map-1``:

* The curated table ``resources/aop/assay_aop_map.csv`` (its README says where every identifier came
  from) maps an assay to a pathway (molecular initiating event or key event of an AOP-Wiki AOP) and
  to a biological process. Tox21 12-task keys match exactly; ToxCast / invitrodb endpoints match by
  a regular expression on the endpoint name (``toxcast:<aenm>`` keys and ``ctx:aeid<N>`` names).
* Each mapped assay carries an *independence group*: the same screen seen under two names (the
  12-task ``tox21:NR-AR-LBD`` and ToxCast's ``TOX21_AR_BLA_Agonist_ratio``) is one group, so the
  confidence counts independent assays, never one assay twice.
* An assay is a hit when its combined call (:func:`cryodesk.toxicity.combine_assay`, quality
  weighted) has activity >= 0.5. A pathway's confidence is the number of independent groups with a
  hit that is not cytotoxicity-confounded: 1 low, 2 medium, 3 or more high; groups tested inactive
  are reported beside it ("against").
* Cytotoxicity burst (after Judson et al. 2016, Toxicol Sci 152:323): the median log10 AC50 of the
  compound's active cytotoxicity assays (viability counter-screens and cell-loss endpoints). A hit is
  *confounded* when its AC50 lies within ``BURST_MARGIN_LOG10`` of that median or above it: it is
  listed, but not counted as pathway evidence. The flag needs an AC50 for the hit and cytotoxicity
  data for the compound; the 12-task table and the ToxCast hit-call matrix carry no AC50, so there
  the flag is "unavailable (no potency data)": never guessed.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryodesk.toxicity.profile import AssayCall, Observation, combine_assay

RULE = "aop-map-1"
# A hit whose AC50 is within half a log unit of the cytotoxicity median (or above it) is read as a
# by-product of dying cells; Judson et al. used 3 global MADs (about 0.5-1 log unit) for the same idea.
BURST_MARGIN_LOG10 = 0.5
HIT_THRESHOLD = 0.5
PROCESS_ORDER = (
    "nuclear receptor",
    "stress response",
    "mitochondrial",
    "DNA damage",
    "cytotoxicity",
    "other",
)
CYTOTOXICITY = "cytotoxicity"
_CYTOTOX_WORDS = re.compile(r"viability|cytotox|cellloss|celltiter", re.IGNORECASE)

# Flag states of a hit (what the view and the CSV say).
FLAG_CONFOUNDED = "confounded (active near the cytotoxicity burst)"
FLAG_CLEAR = "clear (active below the cytotoxicity burst)"
FLAG_NO_CYTOTOX = "clear (no cytotoxicity in the tested range)"
FLAG_NO_POTENCY = "flag unavailable (no potency data)"
FLAG_NO_CYTOTOX_DATA = "flag unavailable (no cytotoxicity data)"

TABLE_COLUMNS = (
    "assay_pattern",
    "match",
    "assay_group",
    "process",
    "pathway_id",
    "pathway_name",
    "aop_id",
    "aop_title",
    "event_role",
    "event_title",
    "direction",
    "id_status",
    "evidence_note",
)


@dataclass(frozen=True, slots=True)
class AopMapping:
    """One row of the curated table."""

    assay_pattern: str
    match: str  # exact | regex
    assay_group: str
    process: str
    pathway_id: str
    pathway_name: str
    aop_id: str
    aop_title: str
    event_role: str
    event_title: str
    direction: str
    id_status: str
    evidence_note: str

    def matches(self, assay_key: str, assay_name: str | None) -> bool:
        if self.match == "exact":
            return assay_key == self.assay_pattern
        pattern = re.compile(self.assay_pattern)
        candidates = [assay_key, assay_key.split(":", 1)[-1]] + ([assay_name] if assay_name else [])
        return any(pattern.fullmatch(text) for text in candidates)


class AopTable:
    """The curated assay -> pathway table, first matching row wins (exact rows are listed first)."""

    def __init__(self, rows: Sequence[AopMapping], source: str = "") -> None:
        self.rows = tuple(rows)
        self.source = source
        self._cache: dict[tuple[str, str | None], AopMapping | None] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def lookup(self, assay_key: str, assay_name: str | None = None) -> AopMapping | None:
        cache_key = (assay_key, assay_name)
        if cache_key not in self._cache:
            ordered = sorted(self.rows, key=lambda r: r.match != "exact")
            self._cache[cache_key] = next((r for r in ordered if r.matches(assay_key, assay_name)), None)
        return self._cache[cache_key]

    def summary(self) -> dict[str, Any]:
        """Size and identifier status of the table (for the README and the closing note)."""
        aops = {r.aop_id for r in self.rows if r.aop_id}
        by_status: dict[str, int] = defaultdict(int)
        for row in self.rows:
            by_status[row.id_status] += 1
        return {
            "rows": len(self.rows),
            "exact_rows": sum(1 for r in self.rows if r.match == "exact"),
            "pattern_rows": sum(1 for r in self.rows if r.match == "regex"),
            "pathways": len({r.pathway_id for r in self.rows if r.process != CYTOTOXICITY}),
            "aop_ids": sorted(aops, key=int),
            "rows_by_id_status": dict(sorted(by_status.items())),
        }


def load_aop_table(path: Path) -> AopTable:
    """Read and check the curated CSV; a bad row names its line and field."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing columns {', '.join(missing)}")
        rows = []
        for line, raw in enumerate(reader, start=2):
            row = AopMapping(**{c: (raw[c] or "").strip() for c in TABLE_COLUMNS})
            _check_row(path.name, line, row)
            rows.append(row)
    return AopTable(rows, str(path))


def _check_row(name: str, line: int, row: AopMapping) -> None:
    if row.match not in ("exact", "regex"):
        raise ValueError(f"{name} line {line}, field 'match': {row.match!r} is not exact or regex")
    if row.match == "regex":
        try:
            re.compile(row.assay_pattern)
        except re.error as exc:
            raise ValueError(f"{name} line {line}, field 'assay_pattern': {exc}") from exc
    if row.process not in PROCESS_ORDER:
        raise ValueError(f"{name} line {line}, field 'process': {row.process!r} not one of {PROCESS_ORDER}")
    if row.aop_id and not row.aop_id.isdigit():
        raise ValueError(f"{name} line {line}, field 'aop_id': {row.aop_id!r} is not an AOP-Wiki number")


def process_of(table: AopTable, assay_key: str, assay_name: str | None, category: str | None = None) -> str:
    """The biological process an assay belongs to (for grouping a profile)."""
    mapping = table.lookup(assay_key, assay_name)
    if mapping is not None:
        return mapping.process
    if category == CYTOTOXICITY or _CYTOTOX_WORDS.search(f"{assay_key} {assay_name or ''}"):
        return CYTOTOXICITY
    return "other"


@dataclass(frozen=True, slots=True)
class AssayHit:
    """One assay's call as pathway evidence."""

    assay_key: str
    assay_name: str
    group: str
    activity: float
    ac50_um: float | None
    flag: str
    sources: tuple[str, ...]


@dataclass(slots=True)
class CytotoxicityBurst:
    """The compound's cytotoxicity reference: median AC50 of active cytotoxicity assays (µM)."""

    tested: int = 0
    active: int = 0
    with_ac50: int = 0
    median_ac50_um: float | None = None

    def describe(self) -> str:
        if not self.tested:
            return "no cytotoxicity assay: the confounding flag is unavailable"
        if not self.active:
            return f"{self.tested} cytotoxicity assays, none active in the tested range"
        if self.median_ac50_um is None:
            return (
                f"{self.active} active cytotoxicity assays without AC50: flag unavailable (no potency data)"
            )
        return (
            f"cytotoxicity burst at {self.median_ac50_um:.3g} µM (median AC50 of {self.with_ac50} "
            f"active cytotoxicity assays)"
        )


@dataclass(slots=True)
class PathwayEvidence:
    pathway_id: str
    pathway_name: str
    process: str
    aop_ids: tuple[str, ...]
    aop_titles: tuple[str, ...]
    events: tuple[str, ...]
    id_status: str
    supporting: list[AssayHit] = field(default_factory=list)
    confounded: list[AssayHit] = field(default_factory=list)
    against: list[str] = field(default_factory=list)  # independent groups tested inactive
    agreeing_assays: int = 0
    confidence: str = ""
    flag_state: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class PathwayReport:
    inchikey: str
    pathways: list[PathwayEvidence]
    burst: CytotoxicityBurst
    mapped_assays: int
    unmapped_assays: int
    rule: str = RULE

    def strongest(self) -> int:
        return max((p.agreeing_assays for p in self.pathways), default=0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def confidence_label(agreeing: int, against: int) -> str:
    """Words for how many independent assays agree (and how many were tested inactive)."""
    if agreeing == 0:
        base = "none (no unconfounded hit)"
    elif agreeing == 1:
        base = "low (1 assay)"
    elif agreeing == 2:
        base = "medium (2 independent assays agree)"
    else:
        base = f"high ({agreeing} independent assays agree)"
    return base + (f"; {against} tested inactive" if against else "")


def _ac50(observations: Iterable[Observation]) -> float | None:
    # Potency of the hit: the median AC50 of its active results that report one (µM).
    values = [
        o.value
        for o in observations
        if o.outcome == "active" and o.value is not None and o.value > 0 and (o.unit or "µM") in ("µM", "uM")
    ]
    return statistics.median(values) if values else None


def cytotoxicity_burst(
    calls: dict[str, tuple[AssayCall, float | None]], processes: dict[str, str]
) -> CytotoxicityBurst:
    burst = CytotoxicityBurst()
    logs = []
    for key, (call, ac50) in calls.items():
        if processes[key] != CYTOTOXICITY or call.activity is None:
            continue
        burst.tested += 1
        if call.activity >= HIT_THRESHOLD:
            burst.active += 1
            if ac50 is not None:
                logs.append(math.log10(ac50))
    burst.with_ac50 = len(logs)
    if logs:
        burst.median_ac50_um = 10 ** statistics.median(logs)
    return burst


def flag_for(ac50: float | None, burst: CytotoxicityBurst) -> str:
    """The confounding state of one hit (never guessed where potency or cytotoxicity data are missing)."""
    if ac50 is None:
        return FLAG_NO_POTENCY
    if not burst.tested:
        return FLAG_NO_CYTOTOX_DATA
    if not burst.active:
        return FLAG_NO_CYTOTOX
    if burst.median_ac50_um is None:
        return FLAG_NO_POTENCY
    near = math.log10(ac50) >= math.log10(burst.median_ac50_um) - BURST_MARGIN_LOG10
    return FLAG_CONFOUNDED if near else FLAG_CLEAR


def pathway_report(inchikey: str, observations: Sequence[Observation], table: AopTable) -> PathwayReport:
    """Pathways with assay evidence for one compound from its measured results."""
    grouped: dict[str, list[Observation]] = defaultdict(list)
    for obs in observations:
        grouped[obs.assay_key].append(obs)
    calls = {key: (combine_assay(key, obs), _ac50(obs)) for key, obs in grouped.items()}
    names = {key: calls[key][0].assay_name for key in calls}
    processes = {key: process_of(table, key, names[key]) for key in calls}
    burst = cytotoxicity_burst(calls, processes)
    pathways: dict[str, PathwayEvidence] = {}
    groups_for: dict[str, dict[str, str]] = defaultdict(dict)  # pathway -> group -> best state
    mapped = 0
    for key in sorted(calls):
        mapping = table.lookup(key, names[key])
        call, ac50 = calls[key]
        if mapping is None or mapping.process == CYTOTOXICITY or call.activity is None:
            continue
        mapped += 1
        evidence = pathways.get(mapping.pathway_id) or _new_pathway(mapping)
        pathways[mapping.pathway_id] = evidence
        _extend(evidence, mapping)
        group = mapping.assay_group or key
        if call.activity < HIT_THRESHOLD:
            groups_for[mapping.pathway_id].setdefault(group, "against")
            continue
        hit = AssayHit(
            key, call.assay_name, group, round(call.activity, 4), ac50, flag_for(ac50, burst), call.sources
        )
        if hit.flag == FLAG_CONFOUNDED:
            evidence.confounded.append(hit)
            if groups_for[mapping.pathway_id].get(group) != "supporting":
                groups_for[mapping.pathway_id][group] = "confounded"
        else:
            evidence.supporting.append(hit)
            groups_for[mapping.pathway_id][group] = "supporting"
    for pathway_id, evidence in pathways.items():
        states = groups_for[pathway_id]
        evidence.agreeing_assays = sum(1 for s in states.values() if s == "supporting")
        evidence.against = sorted(g for g, s in states.items() if s == "against")
        evidence.confidence = confidence_label(evidence.agreeing_assays, len(evidence.against))
        evidence.flag_state = _pathway_flag(evidence)
    ordered = sorted(
        pathways.values(),
        key=lambda p: (-p.agreeing_assays, -len(p.confounded), PROCESS_ORDER.index(p.process), p.pathway_id),
    )
    unmapped = sum(1 for k in calls if table.lookup(k, names[k]) is None)
    return PathwayReport(inchikey, ordered, burst, mapped, unmapped)


def _new_pathway(mapping: AopMapping) -> PathwayEvidence:
    return PathwayEvidence(
        mapping.pathway_id, mapping.pathway_name, mapping.process, (), (), (), mapping.id_status
    )


def _extend(evidence: PathwayEvidence, mapping: AopMapping) -> None:
    if mapping.aop_id and mapping.aop_id not in evidence.aop_ids:
        evidence.aop_ids += (mapping.aop_id,)
        evidence.aop_titles += (mapping.aop_title,)
    if mapping.event_title not in evidence.events:
        evidence.events += (mapping.event_title,)


def _pathway_flag(evidence: PathwayEvidence) -> str:
    hits = evidence.supporting + evidence.confounded
    if not hits:
        return "no hit"
    states = {h.flag for h in hits}
    if states <= {FLAG_NO_POTENCY, FLAG_NO_CYTOTOX_DATA}:
        return FLAG_NO_POTENCY if FLAG_NO_POTENCY in states else FLAG_NO_CYTOTOX_DATA
    if evidence.confounded:
        return f"{len(evidence.confounded)} of {len(hits)} hits confounded by cytotoxicity"
    unavailable = sum(1 for h in hits if h.flag in (FLAG_NO_POTENCY, FLAG_NO_CYTOTOX_DATA))
    if unavailable:
        return f"computed for {len(hits) - unavailable} of {len(hits)} hits; {FLAG_NO_POTENCY} for the rest"
    return "computed: no hit confounded"
