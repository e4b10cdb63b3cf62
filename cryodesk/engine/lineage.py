"""Lineage: the chain that produced a stored value or a prediction, for ``cryodesk lineage`` and the
GUI detail panel.

A stored value: source record (source, record id, citation, retrieval time, errors on the same
input row) -> import job (kind, parameters, when; the seeding job that started it) -> standardisation
(the compound's InChIKey and ``std_version``, structure flags) -> reconciliation (whether this value is
"the value", by which rule).

A prediction: the subject's source records and import jobs -> standardisation version -> feature set
and version (from the model record; whether the subject's features are cached) -> model version
(status, training job, artefact hash, training-data hash) -> the stored prediction.

Every function returns plain frozen dataclasses with ``as_dict()`` (JSON) and ``lines()`` (text),
so the GUI shows them without knowing SQL.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from cryodesk.domain import ProjectError
from cryodesk.engine.evidence_features import EVIDENCE_FEATURE_SET
from cryodesk.engine.quality import DISAGREES_FLAG
from cryodesk.engine.reconcile import RECONCILED_FLAG, the_value
from cryodesk.store import JobRecord, Project
from cryodesk.store import quality_queries as qq
from cryodesk.store.quality_queries import ValueRow

#: Job parameters worth showing (the rest, e.g. a whole column map, is in ``cryodesk jobs show``).
JOB_PARAMS_SHOWN = ("path", "sha256", "source", "method", "names", "cids", "ids", "query", "feature_set", "version")
_ROW_RECORD = re.compile(r"^(?:row|line|record)\s+(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class LineageStep:
    """One link of the chain: ``stage`` (machine name), ``title`` (one readable line), ``details``."""

    stage: str
    title: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Lineage:
    """How one value or prediction came to be, oldest link first."""

    kind: str  # "value" or "prediction"
    subject: str
    steps: tuple[LineageStep, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """Readable text: the subject, then one line per step with its details indented."""
        out = [self.subject]
        for i, step in enumerate(self.steps, start=1):
            out.append(f"  {i}. {step.stage}: {step.title}")
            out.extend(f"       {k}: {_short(v)}" for k, v in step.details.items() if v not in (None, "", [], {}))
        return out

    def step(self, stage: str) -> LineageStep | None:
        return next((s for s in self.steps if s.stage == stage), None)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------ shared links
def _source_step_details(project: Project, source: str) -> dict[str, Any]:
    record = qq.source_record(project.db, source)
    if record is None:
        return {"source": source}
    return {"source": source, "source_title": record[1], "licence": record[2], "source_citation": record[3],
            "url": record[4]}


def _parent_job(project: Project, job: JobRecord) -> JobRecord | None:
    # Seeding runs the data-set imports inside its own job; the store keeps no parent column, so the
    # enclosing job is the one of another kind that was running over the whole of this one.
    for other in project.jobs.list(limit=1000):
        if other.id >= job.id or other.kind == job.kind:
            continue
        if other.finished_at is None:
            ends_after = str(other.state) == "running"  # a paused or pending job started nothing still running
        else:
            ends_after = (job.finished_at or "") <= other.finished_at
        if other.created_at <= job.created_at and ends_after:
            return other
    return None


def _job_step(project: Project, job_id: int | None, what: str) -> LineageStep:
    if job_id is None:
        return LineageStep("import_job", f"no job recorded for this {what} (stored directly)")
    try:
        job = project.jobs.get(job_id)
    except ProjectError:
        return LineageStep("import_job", f"job {job_id} (no longer in the project)", {"job_id": job_id})
    params = {k: v for k, v in job.params.items() if k in JOB_PARAMS_SHOWN and v not in (None, "", [])}
    parent = _parent_job(project, job)
    details = {"job_id": job.id, "kind": job.kind, "state": str(job.state), "started": job.created_at,
               "finished": job.finished_at, "params": params,
               "started_by": f"job {parent.id} ({parent.kind})" if parent else None}
    return LineageStep("import_job", f"job {job.id} {job.kind} ({job.state}, {job.finished_at or job.created_at})",
                       details)


def _standardisation_step(compound: tuple[Any, ...], flags: list[str] | None = None) -> LineageStep:
    compound_id, inchikey, name, smiles, std_version, created_at, _ = compound
    structure_flags = [f for f in flags or [] if "=" not in f and f != DISAGREES_FLAG]
    return LineageStep(
        "standardisation", f"{inchikey} ({name or 'no name'}), standardised with {std_version}",
        {"compound_id": compound_id, "inchikey": inchikey, "smiles": smiles, "std_version": std_version,
         "first_stored": created_at, "structure_flags": structure_flags},
    )


# ----------------------------------------------------------------------------------- values
def value_lineage(project: Project, value_id: int) -> Lineage | None:
    """The chain behind one stored property value (None for an unknown id)."""
    row = qq.value_by_id(project.db, value_id)
    if row is None:
        return None
    compound = qq.compound_by_id(project.db, row.compound_id)
    shown = f"{row.value:g} {row.unit or ''}".strip() if row.value is not None else (row.value_text or "")
    subject = f"value {row.id}: {row.property} = {shown} of {compound[2] or compound[1]}"
    steps = (_record_step(project, row), _job_step(project, row.job_id, "value"),
             _standardisation_step(compound, row.flag_list), _reconciliation_step(project, row))
    return Lineage("value", subject, steps)


def _record_step(project: Project, row: ValueRow) -> LineageStep:
    details = {
        **_source_step_details(project, row.source),
        "record": row.source_record_id, "method": row.method, "retrieved_at": row.retrieved_at,
        "stored_value": row.value, "unit": row.unit, "text": row.value_text, "conditions": row.conditions,
        "citation": row.citation, "flags": row.flag_list,
    }
    match = _ROW_RECORD.match(row.source_record_id or "")
    if match and row.job_id is not None:
        issues = qq.row_errors_of_record(project.db, row.job_id, int(match.group(1)))
        details["same_row_issues"] = [f"{f or 'row'}: {r}" for f, r, _ in issues]
    title = f"{row.source} {row.source_record_id or '(no record id)'} ({row.method}, retrieved {row.retrieved_at or '?'})"
    return LineageStep("source_record", title, details)


def _reconciliation_step(project: Project, row: ValueRow) -> LineageStep:
    details: dict[str, Any] = {"disagrees_with_reference": DISAGREES_FLAG in row.flag_list}
    if row.value is None:
        return LineageStep("reconciliation", "text value: not reconciled", details)
    decision = the_value(project, row.compound_id, row.property)
    if decision is None:
        return LineageStep("reconciliation", "unit cannot be compared: not reconciled", details)
    details.update({"the_value": round(decision.value, 6), "unit": decision.unit, "rule": decision.rule,
                    "chosen_value_ids": list(decision.winners), "values_considered": len(decision.candidates),
                    "recorded": decision.recorded, "conflict": decision.conflict})
    recorded = [f[len(RECONCILED_FLAG):] for f in row.flag_list if f.startswith(RECONCILED_FLAG)]
    if len(decision.candidates) == 1:
        title = "the only value: it is the value"
    elif row.id in decision.winners:
        title = f"chosen by {decision.rule}" + ("" if decision.recorded else " (decided live; not yet recorded)")
    else:
        title = f"not chosen: the value is {decision.value:g} {decision.unit or ''} by {decision.rule}".rstrip()
    if recorded:
        details["flag"] = RECONCILED_FLAG + recorded[0]
    return LineageStep("reconciliation", title, details)


def compound_property_lineage(project: Project, inchikey: str, prop: str) -> list[Lineage]:
    """The lineage of every stored value of one compound's property, oldest first."""
    compound = qq.compound_by_key(project.db, inchikey)
    if compound is None:
        return []
    return [lin for r in qq.values_of(project.db, compound[0], prop)
            if (lin := value_lineage(project, r.id)) is not None]


# ------------------------------------------------------------------------------ predictions
def resolve_model(project: Project, text: str | int) -> dict[str, Any] | None:
    """A model row by id (``12``), ``name``, ``name:3``, ``name@3`` or ``name v3`` (name alone: the
    newest promoted version, else the newest)."""
    if isinstance(text, int) or str(text).isdigit():
        found = qq.model_by_id(project.db, int(text))
        if found is not None:
            return found
    match = re.match(r"^(.*?)(?::|@|\s+v)(\d+)$", str(text).strip())
    if match:
        found = qq.model_by_name(project.db, match.group(1).strip(), int(match.group(2)))
        if found is not None:
            return found
    return qq.model_by_name(project.db, str(text).strip())


def prediction_lineage(project: Project, model: str | int, subject_key: str) -> Lineage | None:
    """The chain behind the prediction of ``model`` for ``subject_key`` (InChIKey or mixture hash).

    Returns None when the model is unknown; the chain is still given when no prediction is stored
    yet (its last step says so), because the GUI asks before the cache is warm.
    """
    record = resolve_model(project, model)
    if record is None:
        return None
    compound = qq.compound_by_key(project.db, subject_key)
    steps: list[LineageStep] = []
    if compound is not None:
        steps += _subject_source_steps(project, compound)
        steps.append(_standardisation_step(compound))
    else:
        steps.append(LineageStep("source_record", f"{subject_key} is not a compound of this project (a mixture hash?)",
                                 {"subject_key": subject_key}))
    steps.append(_feature_step(project, record, compound))
    steps.append(_model_step(project, record))
    steps.append(_prediction_step(project, record, subject_key))
    title = f"prediction of {record['name']} v{record['version']} ({record['task']}) for {subject_key}"
    if compound is not None and compound[2]:
        title += f" ({compound[2]})"
    return Lineage("prediction", title, tuple(steps))


def _subject_source_steps(project: Project, compound: tuple[Any, ...]) -> list[LineageStep]:
    jobs = qq.jobs_for_compound(project.db, compound[0])
    identifier_sources = qq.identifier_sources_for_compound(project.db, compound[0])
    sources = sorted({s for _, s, _ in jobs} | {s for s, _ in identifier_sources})
    record = LineageStep("source_record", f"records of {len(sources)} source(s): {', '.join(sources) or 'none'}",
                         {"sources": [_source_step_details(project, s) for s in sources],
                          "identifiers_by_source": dict(identifier_sources)})
    job_steps = [_job_step(project, job_id, "compound") for job_id in dict.fromkeys(j for j, _, _ in jobs)]
    return [record, *job_steps] if job_steps else [record, _job_step(project, None, "compound")]


def feature_parts(feature_set: str, feature_version: str) -> list[tuple[str, str]]:
    """The cached feature sets behind a model's features: ``default+cryo`` with version
    ``default=1+rdkit..;cryo=1+rdkit..`` (how ``ml.datasets.assemble_features`` names a concatenation)
    is two cache entries; a single set is itself."""
    names = feature_set.split("+")
    versions = dict(part.split("=", 1) for part in feature_version.split(";") if "=" in part)
    if len(names) > 1 and set(names) <= versions.keys():
        return [(name, versions[name]) for name in names]
    return [(feature_set, feature_version)]


def _feature_step(project: Project, record: dict[str, Any], compound: tuple[Any, ...] | None) -> LineageStep:
    parts = feature_parts(record["feature_set"], record["feature_version"])
    # The literature-evidence block is read from the store at prediction time and never cached.
    cacheable = [(name, version) for name, version in parts if name != EVIDENCE_FEATURE_SET]
    cached = None if compound is None else all(qq.feature_cached(project.db, compound[0], name, version)
                                               for name, version in cacheable)
    details = {"feature_set": record["feature_set"], "feature_version": record["feature_version"],
               "cached_sets": [f"{name} v{version}" for name, version in cacheable],
               "cached_for_subject": cached}
    if len(cacheable) < len(parts):
        details["read_from_store"] = [EVIDENCE_FEATURE_SET]
    return LineageStep("feature_set", f"{record['feature_set']} version {record['feature_version']}", details)


def _model_step(project: Project, record: dict[str, Any]) -> LineageStep:
    params = json.loads(record.get("params") or "{}")
    training = None
    if record.get("job_id") is not None:
        training = _job_step(project, record["job_id"], "model").details or None
    details = {"model_id": record["id"], "name": record["name"], "version": record["version"], "task": record["task"],
               "kind": record["kind"], "status": record["status"], "created_at": record["created_at"],
               "artefact_sha256": record.get("artefact_sha256"), "training_data_hash": params.get("training_data_hash"),
               "training_job": training}
    return LineageStep("model", f"{record['name']} v{record['version']} ({record['status']}, {record['kind']} of "
                                f"{record['task']}, trained {record['created_at']})", details)


def _prediction_step(project: Project, record: dict[str, Any], subject_key: str) -> LineageStep:
    row = qq.prediction_row(project.db, record["id"], subject_key)
    if row is None:
        return LineageStep("prediction", "no stored prediction yet (computed on request)",
                           {"model_id": record["id"], "subject_key": subject_key})
    value, uncertainty, in_domain, created_at = row
    title = f"{value:g}" + (f" ± {uncertainty:g}" if uncertainty is not None else "") + f", predicted {created_at}"
    return LineageStep("prediction", title, {"value": value, "uncertainty": uncertainty,
                                             "in_domain": None if in_domain is None else bool(in_domain),
                                             "created_at": created_at})
