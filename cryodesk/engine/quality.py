"""Data quality: coverage before/after imports, per-import quality metrics, validation against the
reference compounds, and a quality report per source (``cryodesk quality``).

* **Coverage** counts compounds with a structure, with identifiers (and per identifier kind), with a
  value of each property and property family, and with results of each toxicity endpoint. Import jobs
  call :func:`on_import_start` and :func:`on_import_end`, which store ``coverage_before``,
  ``coverage_after`` and ``coverage_change`` in the job's metrics, so every import says what it added.
* **Per-import quality** (job metrics ``quality``): completeness (rows stored, values per property
  column), rejected rows and fields grouped by reason, conflicts the import created or met (values of
  the same compound and property that differ by more than the property's tolerance after unit
  conversion), and disagreements with the reference values.
* **Reference validation**: the curated reference CPAs (source ``reference_cpas``) are the checked
  compounds; their *reference values* are the measured values from trusted sources (Koop Tg,
  Bradley melting points, ESOL by default; configurable). Any other value of a reference compound
  that lies further from the median of the trusted values (of the *other* sources) than the
  property's tolerance (5 K for temperatures, compared after K <-> degC conversion) is reported and,
  when an import wrote it, flagged ``disagrees_with_reference`` on the stored value (never changed).

Tolerances are the ones of the reconciliation rules (:mod:`cryodesk.engine.reconcile`), so "a
conflict" means the same thing everywhere.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from cryodesk.engine.reconcile import (
    Decision,
    ReconcileRules,
    convert_value,
    decide,
    display_unit,
    group_rows,
    load_rules,
)
from cryodesk.store import Project
from cryodesk.store import quality_queries as qq
from cryodesk.store.quality_queries import ValueRow

log = logging.getLogger(__name__)

SETTINGS_KEY = "quality.settings"
DISAGREES_FLAG = "disagrees_with_reference"
N_EXAMPLES = 5

#: Property families of the coverage report; keys not listed fall into "other" (``cpa_*`` into "annotation").
PROPERTY_FAMILIES: dict[str, tuple[str, ...]] = {
    "thermal": ("tg", "tg_prime", "melting_point", "boiling_point"),
    "solubility": ("log_solubility",),
    "physicochemical": ("logp", "density", "viscosity", "molecular_weight"),
    "biological": ("viability", "ld50"),
}
#: Identifier kinds that come with every record and say little about how well a compound is identified.
WEAK_IDENTIFIER_KINDS = ("name", "synonym", "source_id")


def property_family(prop: str) -> str:
    for family, keys in PROPERTY_FAMILIES.items():
        if prop in keys:
            return family
    return "annotation" if prop.startswith("cpa_") else "other"


# ---------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class QualitySettings:
    """Which compounds are the checked reference set and which sources give their reference values."""

    reference_source: str = "reference_cpas"
    trusted_sources: tuple[str, ...] = ("koop_tg", "bradley_mp", "esol")

    def to_dict(self) -> dict[str, Any]:
        return {"reference_source": self.reference_source, "trusted_sources": list(self.trusted_sources)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualitySettings:
        default = cls()
        return cls(str(data.get("reference_source", default.reference_source)),
                   tuple(data.get("trusted_sources", default.trusted_sources)))


def load_settings(project: Project) -> QualitySettings:
    stored = project.view_state.get(SETTINGS_KEY)
    return QualitySettings() if stored is None else QualitySettings.from_dict(stored)


def save_settings(project: Project, settings: QualitySettings) -> None:
    project.view_state.set(SETTINGS_KEY, settings.to_dict())


# ---------------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class Coverage:
    """What share of the library has what (counts of compounds unless said otherwise)."""

    compounds: int
    with_structure: int
    with_identifiers: int
    with_strong_identifiers: int
    identifier_kinds: dict[str, int]
    properties: dict[str, dict[str, int]]
    families: dict[str, int]
    toxicity: dict[str, dict[str, int]]
    with_toxicity: int
    mixture_components: int
    mixture_components_linked: int

    def fraction(self, count: int) -> float | None:
        return round(count / self.compounds, 4) if self.compounds else None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["fractions"] = {
            "with_structure": self.fraction(self.with_structure),
            "with_identifiers": self.fraction(self.with_identifiers),
            "with_strong_identifiers": self.fraction(self.with_strong_identifiers),
            "with_toxicity": self.fraction(self.with_toxicity),
            **{f"family:{k}": self.fraction(v) for k, v in self.families.items()},
        }
        return out


def coverage(project: Project) -> Coverage:
    """Coverage of the whole project now (a handful of GROUP BY queries: fast at 100,000 compounds)."""
    db = project.db
    total, with_structure = qq.compound_totals(db)
    props = qq.property_coverage(db)
    by_family: dict[str, list[str]] = {}
    for prop in props:
        by_family.setdefault(property_family(prop), []).append(prop)
    components, linked = qq.mixture_component_totals(db)
    return Coverage(
        compounds=total,
        with_structure=with_structure,
        with_identifiers=qq.compounds_with_identifiers(db),
        with_strong_identifiers=qq.compounds_with_identifiers(db, WEAK_IDENTIFIER_KINDS),
        identifier_kinds=qq.identifier_kind_coverage(db),
        properties={p: {"compounds": c, "values": v} for p, (c, v) in props.items()},
        families={f: qq.compounds_with_properties(db, keys) for f, keys in sorted(by_family.items())},
        toxicity={a: {"tested": t, "active": n} for a, (t, n) in qq.assay_coverage(db).items()},
        with_toxicity=qq.compounds_with_assay_results(db),
        mixture_components=components,
        mixture_components_linked=linked,
    )


def coverage_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What an import changed: counts after minus before (only what changed)."""
    out: dict[str, Any] = {}
    for key in ("compounds", "with_structure", "with_identifiers", "with_strong_identifiers", "with_toxicity"):
        delta = int(after.get(key, 0)) - int(before.get(key, 0))
        if delta:
            out[key] = delta
    for section, count_key in (("properties", "compounds"), ("toxicity", "tested")):
        old, new = before.get(section, {}), after.get(section, {})
        changed = {k: int(new[k][count_key]) - int(old.get(k, {}).get(count_key, 0)) for k in new}
        changed = {k: v for k, v in changed.items() if v}
        if changed:
            out[section] = changed
    families = {k: int(v) - int(before.get("families", {}).get(k, 0)) for k, v in after.get("families", {}).items()}
    if any(families.values()):
        out["families"] = {k: v for k, v in families.items() if v}
    return out


# ------------------------------------------------------------------------- reference validation
@dataclass(frozen=True)
class ReferenceCheck:
    """One value of a reference compound compared with the trusted values of other sources."""

    value_id: int
    compound_id: int
    compound: str
    property: str
    source: str
    record: str
    stored: str
    value: float
    reference: float
    unit: str | None
    reference_sources: tuple[str, ...]
    n_reference: int
    difference: float
    tolerance: float
    agrees: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_reference(project: Project, *, job_id: int | None = None, source: str | None = None,
                    settings: QualitySettings | None = None,
                    rules: ReconcileRules | None = None) -> list[ReferenceCheck]:
    """Compare values of the reference compounds with the trusted values of *other* sources.

    Args:
        job_id: only the values this job stored.
        source: only the values of this source.
        settings, rules: the reference set / trusted sources, and the tolerances (project's by default).
    """
    settings = settings or load_settings(project)
    rules = rules or load_rules(project)
    reference_ids = qq.compounds_of_source(project.db, settings.reference_source)
    rows = qq.numeric_values(project.db, compound_ids=reference_ids)
    names = qq.compound_keys(project.db, reference_ids)
    out: list[ReferenceCheck] = []
    for (compound_id, prop), group in group_rows(rows).items():
        trusted = [r for r in group if r.source in settings.trusted_sources and r.method == "measured"]
        unit = display_unit(prop, (r.unit for r in group))
        for row in group:
            if (job_id is not None and row.job_id != job_id) or (source is not None and row.source != source):
                continue
            check = _check_one(row, [t for t in trusted if t.source != row.source], unit, rules)
            if check is not None:
                key, name = names.get(compound_id, ("", None))
                out.append(ReferenceCheck(row.id, compound_id, name or key, prop, row.source, row.source_record_id,
                                          f"{row.value:g} {row.unit or ''}".strip(), *check))
    return out


def _check_one(row: ValueRow, trusted: Sequence[ValueRow], unit: str | None,
               rules: ReconcileRules) -> tuple[Any, ...] | None:
    value = convert_value(row.value, row.unit, unit)
    reference = [v for v in (convert_value(t.value, t.unit, unit) for t in trusted) if v is not None]
    if value is None or not reference:
        return None
    median = statistics.median(reference)
    tol = rules.tolerance(row.property).limit(unit, median)
    difference = value - median
    sources = tuple(sorted({t.source for t in trusted}))
    return value, median, unit, sources, len(reference), difference, tol, abs(difference) <= tol + 1e-9


def flag_disagreements(project: Project, checks: Iterable[ReferenceCheck]) -> int:
    """Set (or clear) ``disagrees_with_reference`` on the checked values; returns values changed."""
    updates = []
    for check in checks:
        row = qq.value_by_id(project.db, check.value_id)
        if row is None:
            continue
        flags = [f for f in row.flag_list if f != DISAGREES_FLAG] + ([] if check.agrees else [DISAGREES_FLAG])
        if ",".join(flags) != row.flags:
            updates.append((row.id, ",".join(flags)))
    return qq.set_flags(project.db, updates)


def _reference_summary(checks: Sequence[ReferenceCheck]) -> dict[str, Any]:
    bad = sorted((c for c in checks if not c.agrees), key=lambda c: -abs(c.difference))
    return {
        "checked": len(checks),
        "disagreements": len(bad),
        "examples": [_check_example(c) for c in bad[:N_EXAMPLES]],
    }


def _check_example(c: ReferenceCheck) -> dict[str, Any]:
    return {"value_id": c.value_id, "compound": c.compound, "property": c.property, "stored": c.stored,
            "value": round(c.value, 3), "reference": round(c.reference, 3), "unit": c.unit,
            "difference": round(c.difference, 3), "tolerance": round(c.tolerance, 3),
            "reference_sources": list(c.reference_sources), "source": c.source, "record": c.record}


# ------------------------------------------------------------------------------ conflicts
def _conflict_summary(project: Project, decisions: Sequence[Decision]) -> dict[str, Any]:
    conflicts = sorted((d for d in decisions if d.conflict), key=lambda d: -d.spread)
    names = qq.compound_keys(project.db, [d.compound_id for d in conflicts[:N_EXAMPLES]])
    return {
        "groups_checked": len(decisions),
        "conflicts": len(conflicts),
        "across_sources": sum(d.n_sources > 1 for d in conflicts),
        "within_source": sum(d.n_sources == 1 for d in conflicts),
        "examples": [_conflict_example(d, names.get(d.compound_id, ("", None))) for d in conflicts[:N_EXAMPLES]],
    }


def _conflict_example(d: Decision, identity: tuple[str, str | None]) -> dict[str, Any]:
    return {"compound": identity[1] or identity[0], "property": d.property, "unit": d.unit,
            "spread": round(d.spread, 3), "tolerance": round(d.tolerance, 3),
            "values": [f"{c.stored_value:g} {c.stored_unit or ''}".strip() + f" [{c.source} {c.source_record_id}]"
                       for c in d.candidates]}


def _decisions(groups: Mapping[tuple[int, str], list[ValueRow]], rules: ReconcileRules) -> list[Decision]:
    stored_units: dict[str, list[str | None]] = {}
    for (_, prop), rows in groups.items():
        stored_units.setdefault(prop, []).extend(r.unit for r in rows)
    units = {prop: display_unit(prop, u) for prop, u in stored_units.items()}  # one unit per property
    out = []
    for (_, prop), rows in groups.items():
        if len(rows) < 2:
            continue
        d = decide(rows, rules, units[prop])
        if d is not None and len(d.candidates) > 1:
            out.append(d)
    return out


# --------------------------------------------------------------------------- per-import quality
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def reason_pattern(reason: str) -> str:
    """A row error's reason with its particulars taken out, so equal problems group together:
    ``duplicate of row 12: ...`` -> ``duplicate of row N``, ``unit 'mg' is not known ...`` -> ``unit '…' ...``."""
    text = _QUOTED.sub("'…'", reason)
    text = _NUMBER.sub("N", text)
    head = text.split(": ", 1)[0]
    return head.strip() or reason


def rejection_summary(errors: Sequence[tuple[int, str, str]]) -> dict[str, Any]:
    """Row errors grouped by reason pattern and by field."""
    return {
        "errors": len(errors),
        "rows_with_errors": len({row for row, _, _ in errors}),
        "by_reason": dict(Counter(reason_pattern(r) for _, _, r in errors).most_common()),
        "by_field": dict(Counter(f or "(whole row)" for _, f, _ in errors).most_common()),
    }


def import_quality(project: Project, job_id: int, *, flag: bool = True) -> dict[str, Any]:
    """Quality metrics of one import job (and, with ``flag``, flag its values that disagree with the
    reference values)."""
    job = project.jobs.get(job_id)
    summary = job.metrics.get("summary") or {}
    stored = int(summary.get("rows_stored", 0))
    completeness = {
        "rows_read": int(summary.get("rows_read", 0)),
        "rows_stored": stored,
        "rows_rejected": int(summary.get("rows_rejected", 0)),
        "duplicates": int(summary.get("duplicates", 0)),
        "stored_fraction": round(stored / summary["rows_read"], 4) if summary.get("rows_read") else None,
        "compounds": qq.job_compound_count(project.db, job_id),
        "values_per_row": {p: round(n / stored, 4) for p, n in qq.job_value_counts(project.db, job_id).items()}
        if stored else {},
        "results_per_row": {a: round(n / stored, 4) for a, n in qq.job_assay_counts(project.db, job_id).items()}
        if stored else {},
    }
    rules = load_rules(project)
    groups = group_rows(qq.values_in_groups_of_job(project.db, job_id))
    checks = check_reference(project, job_id=job_id, rules=rules)
    if flag and not project.read_only:
        flag_disagreements(project, checks)
    return {
        "completeness": completeness,
        "rejected": rejection_summary(qq.row_errors(project.db, [job_id])),
        "conflicts": _conflict_summary(project, _decisions(groups, rules)),
        "reference": _reference_summary(checks),
    }


def on_import_start(project: Project, job_id: int) -> None:
    """Record the coverage before an import (kept from the first run when the job is resumed)."""
    try:
        if "coverage_before" in project.jobs.get(job_id).metrics:
            return
        project.jobs.merge_metrics(job_id, {"coverage_before": coverage(project).as_dict()})
    except Exception as exc:  # the import's rows matter more than its report: never fail it here
        log.exception("coverage before job %s failed", job_id)
        project.jobs.merge_metrics(job_id, {"quality_error": f"{type(exc).__name__}: {exc}"})


def on_import_end(project: Project, job_id: int) -> None:
    """Record the coverage after an import, what changed, and the import's quality metrics."""
    try:
        before = project.jobs.get(job_id).metrics.get("coverage_before") or {}
        after = coverage(project).as_dict()
        project.jobs.merge_metrics(job_id, {
            "coverage_after": after,
            "coverage_change": coverage_change(before, after),
            "quality": import_quality(project, job_id),
        })
    except Exception as exc:  # the rows are committed; a failed report must not mark the import failed
        log.exception("quality metrics of job %s failed", job_id)
        project.jobs.merge_metrics(job_id, {"quality_error": f"{type(exc).__name__}: {exc}"})


# ------------------------------------------------------------------------------ per-source report
@dataclass
class SourceReport:
    """Everything quality-related about one source."""

    source: str
    title: str | None = None
    licence: str | None = None
    properties: list[dict[str, Any]] = field(default_factory=list)
    assay_results: dict[str, int] = field(default_factory=dict)
    identifiers: dict[str, int] = field(default_factory=dict)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    rejected: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)
    reconciled: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _job_entry(project: Project, job_id: int) -> dict[str, Any]:
    job = project.jobs.get(job_id)
    summary = job.metrics.get("summary") or {}
    quality = job.metrics.get("quality") or {}
    return {"id": job.id, "kind": job.kind, "state": str(job.state), "created_at": job.created_at,
            "finished_at": job.finished_at, "rows_read": summary.get("rows_read"),
            "rows_rejected": summary.get("rows_rejected"), "row_errors": job.n_row_errors,
            "reference_disagreements": (quality.get("reference") or {}).get("disagreements")}


def _flag_counts(project: Project, source: str) -> tuple[dict[str, int], dict[str, int]]:
    flags: Counter[str] = Counter()
    reconciled: Counter[str] = Counter()
    for text, n in qq.source_flag_counts(project.db, source):
        for f in filter(None, text.split(",")):
            if f.startswith("reconciled="):
                reconciled[f.split("=", 1)[1]] += n
            elif not f.startswith("confidence="):
                flags[f] += n
    return dict(flags.most_common()), dict(reconciled.most_common())


def source_report(project: Project, source: str, *, decisions: Sequence[Decision] | None = None,
                  checks: Sequence[ReferenceCheck] | None = None) -> SourceReport:
    """The quality report of one source (``decisions``/``checks`` let a caller share the work across sources)."""
    record = qq.source_record(project.db, source)
    report = SourceReport(source, record[1] if record else None, record[2] if record else None)
    report.properties = [
        {"property": p, "unit": u, "method": m, "values": n, "numeric": k, "compounds": c}
        for p, u, m, n, k, c in qq.source_property_stats(project.db, source)
    ]
    results, compounds, active = qq.source_assay_stats(project.db, source)
    report.assay_results = {"results": results, "compounds": compounds, "active": active} if results else {}
    report.identifiers = qq.source_identifier_stats(project.db, source)
    job_ids = qq.job_ids_of_source(project.db, source)
    report.jobs = [_job_entry(project, j) for j in job_ids]
    report.rejected = rejection_summary(qq.row_errors(project.db, job_ids))
    report.rejected["rows_rejected"] = sum(int(j["rows_rejected"] or 0) for j in report.jobs)
    report.flags, report.reconciled = _flag_counts(project, source)
    if decisions is None:
        decisions = _decisions(group_rows(qq.numeric_values(project.db, multi_only=True)), load_rules(project))
    mine = [d for d in decisions if any(c.source == source for c in d.candidates)]
    report.conflicts = _conflict_summary(project, mine)
    if checks is None:
        checks = check_reference(project, source=source)
    report.reference = _reference_summary([c for c in checks if c.source == source])
    return report


def known_sources(project: Project) -> list[str]:
    """Every source with values, results or identifiers, and every registered source."""
    return qq.value_sources(project.db)


def quality_report(project: Project, source: str | None = None) -> dict[str, Any]:
    """Coverage, settings and the report of one source (or of every source)."""
    rules = load_rules(project)
    decisions = _decisions(group_rows(qq.numeric_values(project.db, multi_only=True)), rules)
    checks = check_reference(project, rules=rules)
    sources = [source] if source else qq.value_sources(project.db)
    return {
        "coverage": coverage(project).as_dict(),
        "settings": load_settings(project).to_dict(),
        "sources": [source_report(project, s, decisions=decisions, checks=checks).as_dict() for s in sources],
    }
