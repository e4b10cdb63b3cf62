"""What the GUI's evidence and lineage tabs show for one compound, gathered in one engine call each.

The GUI calls these on a worker thread and only draws the plain dataclasses they return (no SQL,
no chemistry in the view):

* :func:`evidence_view`: the evidence summary, every evidence row (sentences with offsets, PMIDs,
  confidence and its basis), the evidence feature values, the agreement of the literature values
  with each model that predicts their property, and the conflicts worth a warning;
* :func:`lineage_choices`: the compound's stored values (each marked chosen / not chosen /
  conflicting by reconciliation) and the models that can predict it, to pick a lineage from;
  :func:`lineage_of` then gives the chain of the picked one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryodesk.domain import CryoDeskError, Method
from cryodesk.engine.evidence_agreement import Agreement, compare_with_model, literature_properties
from cryodesk.store import Project
from cryodesk.store import quality_queries as qq
from cryodesk.store.literature import EvidenceItem, EvidenceSummary

if TYPE_CHECKING:
    from cryodesk.engine.lineage import Lineage
    from cryodesk.engine.prediction import PredictionService
    from cryodesk.store.models import ModelRow


@dataclass(frozen=True)
class EvidenceView:
    """Everything the evidence tab shows for one compound."""

    inchikey: str
    name: str | None
    summary: EvidenceSummary | None
    items: tuple[EvidenceItem, ...]
    features: dict[str, float]
    agreements: tuple[Agreement, ...]
    conflicts: tuple[str, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineageChoice:
    """A value or a prediction whose lineage can be shown.

    Attributes:
        kind: ``value`` or ``prediction``.
        label: one readable line.
        value_id / model_id: what :func:`lineage_of` traces.
        status: for values, what reconciliation made of it (``the value``, ``not chosen``, ``only value``,
            ``text``); for predictions the model's status.
        conflict: the property's values disagree beyond the reconciliation tolerance.
    """

    kind: str
    label: str
    value_id: int | None = None
    model_id: int | None = None
    status: str = ""
    conflict: bool = False
    details: dict[str, object] = field(default_factory=dict)


def usable_models(project: Project) -> list[ModelRow]:
    """One version per model name: the promoted one, else the newest (retired versions are left out)."""
    chosen: dict[str, ModelRow] = {}
    for row in project.models.list():
        if row.status == "retired":
            continue
        kept = chosen.get(row.name)
        if (
            kept is None
            or (row.status == "promoted") > (kept.status == "promoted")
            or ((row.status == "promoted") == (kept.status == "promoted") and row.version > kept.version)
        ):
            chosen[row.name] = row
    return sorted(chosen.values(), key=lambda r: r.name)


def evidence_view(project: Project, predictions: PredictionService, inchikey: str) -> EvidenceView | None:
    """The evidence tab's data for ``inchikey`` (None: not a compound of the project)."""
    from cryodesk.engine.evidence_features import evidence_matrix

    compound = qq.compound_by_key(project.db, inchikey)
    if compound is None:
        return None
    summary = project.literature.compound_summary(inchikey, top=20)
    items = tuple(project.literature.evidence_for_compound(inchikey))
    matrix = evidence_matrix(project, [int(compound[0])])
    features = {c: float(v) for c, v in zip(matrix.columns, matrix.values[0], strict=True)}
    literature = {
        p for p in _property_names(project, inchikey) if _has_literature(project, int(compound[0]), p)
    }
    agreements, errors = [], []
    for row in usable_models(project):
        if row.kind != "regression" or not literature & set(literature_properties(row.task)):
            continue
        try:
            agreements.append(compare_with_model(project, predictions, inchikey, row))
        except CryoDeskError as exc:  # one broken artefact must not hide the evidence
            errors.append(f"{row.label}: {exc}")
    conflicts = [*_agreement_conflicts(agreements), *_value_conflicts(project, int(compound[0]), literature)]
    return EvidenceView(
        inchikey, compound[2], summary, items, features, tuple(agreements), tuple(conflicts), tuple(errors)
    )


def _property_names(project: Project, inchikey: str) -> list[str]:
    return sorted({v.property for v in project.properties.for_compound(inchikey)})


def _has_literature(project: Project, compound_id: int, prop: str) -> bool:
    return any(v.method == Method.LITERATURE.value for v in qq.values_of(project.db, compound_id, prop))


def _agreement_conflicts(agreements: list[Agreement]) -> list[str]:
    out = []
    for a in agreements:
        for r in a.rows:
            if r.inside is False and a.lower is not None and a.upper is not None:
                where = f"PMID {r.pmid}" if r.pmid else f"value {r.value_id}"
                out.append(
                    f"{where} reports {r.reported:g} {r.reported_unit or ''}: outside {a.model}'s interval "
                    f"{a.lower:.4g} .. {a.upper:.4g} {a.unit or ''}".rstrip()
                )
    return out


def _value_conflicts(project: Project, compound_id: int, properties: set[str]) -> list[str]:
    from cryodesk.engine.reconcile import the_value

    out = []
    for prop in sorted(properties):
        decision = the_value(project, compound_id, prop)
        if decision is not None and decision.conflict:
            out.append(
                f"{prop}: {len(decision.candidates)} values spread over {decision.spread:.4g} {decision.unit or ''}"
                f" (beyond the tolerance); the value {decision.value:.4g} by {decision.rule}"
            )
    return out


# -- lineage ------------------------------------------------------------------------------------------
def lineage_choices(project: Project, inchikey: str) -> list[LineageChoice]:
    """The compound's stored values (by property) and the usable models, to pick a lineage from."""
    from cryodesk.engine.reconcile import the_value

    compound = qq.compound_by_key(project.db, inchikey)
    if compound is None:
        return []
    compound_id = int(compound[0])
    choices: list[LineageChoice] = []
    for prop in _property_names(project, inchikey):
        rows = qq.values_of(project.db, compound_id, prop)
        decision = the_value(project, compound_id, prop) if any(r.value is not None for r in rows) else None
        for r in rows:
            choices.append(_value_choice(r, decision))
    for model in usable_models(project):
        choices.append(
            LineageChoice(
                "prediction",
                f"prediction: {model.label} ({model.task}, {model.kind})",
                model_id=model.id,
                status=model.status,
            )
        )
    return choices


def _value_choice(r: qq.ValueRow, decision: object | None) -> LineageChoice:
    shown = f"{r.value:g} {r.unit or ''}".strip() if r.value is not None else (r.value_text or "")
    label = f"{r.property} = {shown}  [{r.method}, {r.source} {r.source_record_id or ''}]".replace(" ]", "]")
    if r.value is None:
        return LineageChoice("value", label, value_id=r.id, status="text")
    if decision is None:
        return LineageChoice("value", label, value_id=r.id, status="not reconciled")
    winners = getattr(decision, "winners", ())
    candidates = getattr(decision, "candidates", ())
    conflict = bool(getattr(decision, "conflict", False))
    if len(candidates) <= 1:
        status = "only value"
    else:
        status = "the value" if r.id in winners else "not chosen"
    return LineageChoice("value", label, value_id=r.id, status=status, conflict=conflict)


def lineage_of(project: Project, choice: LineageChoice, inchikey: str) -> Lineage | None:
    """The chain behind a choice from :func:`lineage_choices`."""
    from cryodesk.engine.lineage import prediction_lineage, value_lineage

    if choice.kind == "value" and choice.value_id is not None:
        return value_lineage(project, choice.value_id)
    if choice.kind == "prediction" and choice.model_id is not None:
        return prediction_lineage(project, choice.model_id, inchikey)
    return None
