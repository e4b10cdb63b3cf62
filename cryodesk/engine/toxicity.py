"""The toxicity profile of a stored compound: its assay results read from the project, scored by
:mod:`cryodesk.toxicity` (the pure package owns the rules; this module only gathers the records),
mapped to adverse-outcome pathways, and completed with model predictions for the Tox21 tasks the
compound was not tested in (marked predicted, never mixed with measured calls)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from cryodesk.config.paths import resources_dir
from cryodesk.store import Project
from cryodesk.toxicity import Observation, ToxicityProfile, build_profile
from cryodesk.toxicity.pathways import (
    PROCESS_ORDER,
    AopTable,
    PathwayReport,
    load_aop_table,
    pathway_report,
    process_of,
)

TOX_PREFIXES = ("tox21:", "toxcast:", "ctx:")
# The 12 Tox21 Data Challenge tasks (the default library's assays and default models).
TOX21_TASKS = (
    "tox21:NR-AR",
    "tox21:NR-AR-LBD",
    "tox21:NR-AhR",
    "tox21:NR-Aromatase",
    "tox21:NR-ER",
    "tox21:NR-ER-LBD",
    "tox21:NR-PPAR-gamma",
    "tox21:SR-ARE",
    "tox21:SR-ATAD5",
    "tox21:SR-HSE",
    "tox21:SR-MMP",
    "tox21:SR-p53",
)
AOP_TABLE = ("aop", "assay_aop_map.csv")
CSV_COLUMNS = (
    "inchikey",
    "name",
    "kind",
    "process",
    "assay_key",
    "assay_name",
    "activity",
    "call",
    "ac50_um",
    "weight",
    "weighting_basis",
    "uncertainty",
    "in_domain",
    "model",
    "sources",
)


@functools.lru_cache(maxsize=1)
def aop_table() -> AopTable:
    """The curated assay -> AOP table shipped in ``resources/aop`` (read once)."""
    return load_aop_table(resources_dir().joinpath(*AOP_TABLE))


def observations_for(project: Project, inchikey: str) -> list[Observation]:
    """Every Tox21 / ToxCast / CTX result of a compound, with the assay's display name and quality."""
    names = {a.key: a.name for a in project.assays.list_assays() if a.key.startswith(TOX_PREFIXES)}
    return [
        Observation(
            r.assay_key,
            str(r.outcome),
            r.provenance.source,
            r.provenance.source_record_id,
            names.get(r.assay_key),
            r.value,
            r.unit,
            quality,
        )
        for r, quality in project.assays.results_with_quality(inchikey)
        if r.assay_key in names
    ]


def toxicity_profile(project: Project, inchikey: str) -> ToxicityProfile | None:
    """The profile, or None when the project has no such compound."""
    if project.compounds.get(inchikey) is None:
        return None
    return build_profile(inchikey, observations_for(project, inchikey))


@dataclass(frozen=True, slots=True)
class PredictedCall:
    """A model's prediction for an assay the compound was not tested in (never a measurement)."""

    assay_key: str
    probability: float | None
    uncertainty: float | None
    in_domain: bool | None
    model: str
    error: str | None = None


@dataclass(slots=True)
class ToxicityReport:
    """Everything the toxicity view shows for one compound."""

    inchikey: str
    name: str | None
    profile: ToxicityProfile
    pathways: PathwayReport
    predicted: list[PredictedCall] = field(default_factory=list)
    processes: dict[str, str] = field(default_factory=dict)  # assay key -> process
    untested_without_model: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def toxicity_report(
    project: Project, inchikey: str, predict: Any | None = None, table: AopTable | None = None
) -> ToxicityReport | None:
    """Profile, pathways and predictions of a compound (None if unknown).

    Args:
        predict: ``predict(model_name, [inchikey]) -> PredictionBatch`` (the workbench's prediction
            service); None leaves predictions out.
        table: the AOP table (default: the shipped one).
    """
    compound = project.compounds.get(inchikey)
    if compound is None:
        return None
    table = table or aop_table()
    observations = observations_for(project, inchikey)
    profile = build_profile(inchikey, observations)
    report = ToxicityReport(inchikey, compound.name, profile, pathway_report(inchikey, observations, table))
    report.note = profile.note
    report.processes = {c.assay_key: process_of(table, c.assay_key, c.assay_name) for c in profile.calls}
    if predict is not None:
        report.predicted, report.untested_without_model = _predictions(
            project, inchikey, observations, predict
        )
    return report


def _predictions(
    project: Project, inchikey: str, observations: Sequence[Observation], predict: Any
) -> tuple[list[PredictedCall], list[str]]:
    tested = {o.assay_key for o in observations if o.outcome in ("active", "inactive")}
    out: list[PredictedCall] = []
    missing: list[str] = []
    for task in TOX21_TASKS:
        if task in tested:
            continue
        row = project.models.promoted(task)
        if row is None:
            missing.append(task)
            continue
        try:
            prediction = predict(task, [inchikey]).rows[0]
        except Exception as exc:  # a broken artefact must not hide the measured profile
            out.append(PredictedCall(task, None, None, None, row.label, f"{type(exc).__name__}: {exc}"))
            continue
        out.append(
            PredictedCall(
                task,
                prediction.value,
                prediction.uncertainty,
                prediction.in_domain,
                row.label,
                prediction.error,
            )
        )
    return out, missing


def csv_rows(reports: Sequence[ToxicityReport]) -> list[dict[str, Any]]:
    """One row per compound and assay (measured) or task (predicted), columns :data:`CSV_COLUMNS`."""
    rows: list[dict[str, Any]] = []
    for report in reports:
        ac50 = _ac50_by_assay(report)
        for call in report.profile.calls:
            rows.append(
                {
                    "inchikey": report.inchikey,
                    "name": report.name or "",
                    "kind": "measured",
                    "process": report.processes.get(call.assay_key, "other"),
                    "assay_key": call.assay_key,
                    "assay_name": call.assay_name,
                    "activity": _round(call.activity),
                    "call": _call_word(call.activity),
                    "ac50_um": _round(ac50.get(call.assay_key)),
                    "weight": _round(call.weight),
                    "weighting_basis": call.basis,
                    "uncertainty": "",
                    "in_domain": "",
                    "model": "",
                    "sources": ";".join(call.sources),
                }
            )
        for pred in report.predicted:
            rows.append(
                {
                    "inchikey": report.inchikey,
                    "name": report.name or "",
                    "kind": "predicted",
                    "process": report.processes.get(pred.assay_key) or _task_process(pred.assay_key),
                    "assay_key": pred.assay_key,
                    "assay_name": pred.assay_key.split(":", 1)[1],
                    "activity": _round(pred.probability),
                    "call": _call_word(pred.probability),
                    "ac50_um": "",
                    "weight": "",
                    "weighting_basis": "",
                    "uncertainty": _round(pred.uncertainty),
                    "in_domain": "" if pred.in_domain is None else pred.in_domain,
                    "model": pred.model,
                    "sources": pred.error or "model",
                }
            )
    return rows


def _ac50_by_assay(report: ToxicityReport) -> dict[str, float]:
    out: dict[str, float] = {}
    for pathway in report.pathways.pathways:
        for hit in pathway.supporting + pathway.confounded:
            if hit.ac50_um is not None:
                out[hit.assay_key] = hit.ac50_um
    return out


def _task_process(assay_key: str) -> str:
    mapping = aop_table().lookup(assay_key)
    return mapping.process if mapping is not None else "other"


def _call_word(activity: float | None) -> str:
    if activity is None:
        return "inconclusive"
    return "active" if activity >= 0.5 else "inactive"


def _round(value: float | None) -> float | str:
    return "" if value is None else round(float(value), 4)


def process_sort_key(process: str) -> int:
    return PROCESS_ORDER.index(process) if process in PROCESS_ORDER else len(PROCESS_ORDER)
