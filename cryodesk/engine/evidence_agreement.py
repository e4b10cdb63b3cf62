"""Agreement between literature values and a model's predictions of the same property.

For one compound and one registered regression model: every stored value with method
``literature`` of the model's target (or of ``reported_<target>``, how the PubMed import names an
outcome such as viability) is put beside the model's prediction and its interval
(value ± the stored half-width, the model's conformal interval), converted to the unit the model
was trained in, and marked inside or outside that interval. A value that cannot be put in the
model's unit is listed as not comparable, with the reason, never dropped.

Used by ``cryodesk evidence KEY --compare MODEL`` and the GUI's evidence tab.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from cryodesk.domain import CryoDeskError, InputError, Method
from cryodesk.domain.units import convert
from cryodesk.engine.evidence_features import SoluteConstants, to_mol_per_litre
from cryodesk.store import Project
from cryodesk.store import quality_queries as qq

if TYPE_CHECKING:
    from cryodesk.engine.prediction import PredictionService
    from cryodesk.store.models import ModelRow

#: Units a model may be trained in that :func:`to_mol_per_litre` can reach.
_MOLAR_UNITS = {"M": 1.0, "mol/L": 1.0, "mM": 1e3}
DEFAULT_LEVEL = 0.9  # TrainConfig.conformal_alpha = 0.1 unless the artefact says otherwise


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """One literature value beside the prediction.

    Attributes:
        compared: the literature value in the model's unit (None: not comparable, see ``note``).
        inside: whether ``compared`` lies in the prediction interval (None: no interval or not comparable).
        deviation: ``compared - predicted`` in the model's unit.
    """

    value_id: int
    property: str
    pmid: str | None
    reported: float
    reported_unit: str | None
    conditions: str | None
    confidence: float | None
    compared: float | None
    inside: bool | None
    deviation: float | None
    note: str | None = None


@dataclass(frozen=True)
class Agreement:
    """Literature values of one compound against one model's prediction."""

    inchikey: str
    name: str | None
    model: str
    model_id: int
    target: str
    unit: str | None
    predicted: float | None
    uncertainty: float | None
    lower: float | None
    upper: float | None
    level: float | None
    in_domain: bool | None
    rows: tuple[AgreementRow, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_inside(self) -> int:
        return sum(1 for r in self.rows if r.inside is True)

    @property
    def n_outside(self) -> int:
        return sum(1 for r in self.rows if r.inside is False)

    @property
    def n_not_comparable(self) -> int:
        return sum(1 for r in self.rows if r.compared is None)

    @property
    def verdict(self) -> str:
        """``agrees`` (every comparable value inside), ``disagrees`` (none inside), ``partly``, or why none."""
        if not self.rows:
            return "no literature values"
        if self.predicted is None:
            return "no prediction"
        if self.n_inside + self.n_outside == 0:
            return "not comparable"
        if self.n_outside == 0:
            return "agrees"
        return "disagrees" if self.n_inside == 0 else "partly"

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "verdict": self.verdict,
            "n_inside": self.n_inside,
            "n_outside": self.n_outside,
            "n_not_comparable": self.n_not_comparable,
        }

    def lines(self) -> list[str]:
        """Readable text for the CLI."""
        unit = self.unit or ""
        head = f"{self.name or self.inchikey} vs {self.model} ({self.target}): "
        if self.predicted is None:
            return [head + "no prediction", *[f"  note: {n}" for n in self.notes]]
        interval = ""
        if self.lower is not None and self.upper is not None:
            level = f"{self.level:.0%} " if self.level else ""
            interval = f", {level}interval {self.lower:.4g} .. {self.upper:.4g}"
        domain = (
            "" if self.in_domain is None else (", in domain" if self.in_domain else ", OUTSIDE the domain")
        )
        out = [
            head + f"predicted {self.predicted:.4g} {unit}{interval}{domain}".rstrip(),
            f"  {self.verdict}: {self.n_inside} inside, {self.n_outside} outside, "
            f"{self.n_not_comparable} not comparable",
        ]
        for r in self.rows:
            where = f"PMID {r.pmid}" if r.pmid else f"value {r.value_id}"
            shown = f"{r.reported:g} {r.reported_unit or ''}".strip()
            if r.compared is None:
                out.append(f"  {where}: {shown}: not comparable ({r.note})")
                continue
            verdict = {True: "inside", False: "OUTSIDE", None: "no interval"}[r.inside]
            converted = f" = {r.compared:.4g} {unit}" if r.reported_unit != self.unit else ""
            out.append(f"  {where}: {shown}{converted}: {verdict} (deviation {r.deviation:+.4g})")
        out.extend(f"  note: {n}" for n in self.notes)
        return out


def literature_properties(target: str) -> tuple[str, ...]:
    """The stored literature properties a model of ``target`` is compared with."""
    if target.startswith("reported_"):
        return (target,)
    return (target, f"reported_{target}")


def model_unit(row: ModelRow) -> tuple[str | None, list[str]]:
    """The unit the model's labels were in, and notes when that is not one clear unit."""
    assembly = row.params_dict.get("assembly") or {}
    unit = assembly.get("unit")
    if unit:
        return str(unit), []
    seen = Counter({str(k): int(v) for k, v in (assembly.get("units_seen") or {}).items()})
    if not seen:
        return None, ["the model record does not say which unit its labels were in"]
    dominant, n = seen.most_common(1)[0]
    if len(seen) == 1:
        return dominant or None, []
    others = ", ".join(f"{u or 'no unit'} x{c}" for u, c in seen.most_common()[1:])
    return dominant or None, [
        f"the model was trained on labels in mixed units ({dominant or 'no unit'} x{n}, "
        f"{others}; not converted): values are compared in {dominant or 'no unit'} only"
    ]


def _in_model_unit(
    value: float, unit: str | None, target_unit: str | None, constants: SoluteConstants
) -> tuple[float | None, str | None]:
    if (unit or None) == (target_unit or None):
        return value, None
    if target_unit is None or unit is None:
        return None, f"unit {unit or 'none'} vs model unit {target_unit or 'none'}"
    if target_unit in _MOLAR_UNITS:
        molar, reason = to_mol_per_litre(value, unit, constants)
        return (None, reason) if molar is None else (molar * _MOLAR_UNITS[target_unit], None)
    try:
        return convert(value, unit, target_unit), None
    except ValueError:
        return None, f"{unit} cannot be converted to {target_unit}"


def _confidence(flags: list[str]) -> float | None:
    for flag in flags:
        if flag.startswith("confidence="):
            try:
                return float(flag.split("=", 1)[1])
            except ValueError:
                return None
    return None


def _pmid(record_id: str | None) -> str | None:
    if record_id and record_id.upper().startswith("PMID"):
        return record_id[4:].strip()
    return None


def compare_with_model(
    project: Project, predictions: PredictionService, inchikey: str, model: str | int | ModelRow
) -> Agreement:
    """Literature values of a compound against a model's prediction (see the module docstring).

    Raises:
        InputError: no such compound in the project.
        ProjectError: no such model.
    """
    compound = qq.compound_by_key(project.db, inchikey)
    if compound is None:
        raise InputError(f"{inchikey} is not a compound of this project")
    row = predictions.resolve(model)
    target = str((row.params_dict.get("request") or {}).get("target") or row.name)
    unit, notes = model_unit(row)
    values = [
        v
        for prop in literature_properties(target)
        for v in qq.values_of(project.db, compound[0], prop)
        if v.method == Method.LITERATURE.value and v.value is not None
    ]
    if row.kind != "regression":
        notes.append(f"{row.label} is a {row.kind} model: it gives no value interval to compare with")
    prediction = predictions.predict(row, [inchikey]).rows[0]
    if prediction.error:
        notes.append(f"prediction failed: {prediction.error}")
    predicted, half = prediction.value, prediction.uncertainty
    lower = upper = None
    if predicted is not None and half is not None and row.kind == "regression" and math.isfinite(half):
        lower, upper = predicted - half, predicted + half
    mol_weight = project.compounds.rows_by_ids([int(compound[0])])[0].mol_weight
    units = {v.unit for v in values}
    constants = (
        _constants_for_volume(project, inchikey, mol_weight)
        if "% v/v" in units
        else SoluteConstants(mol_weight)
    )
    rows = tuple(_row(v, unit, constants, predicted, lower, upper) for v in values)
    level = _level(predictions, row) if lower is not None else None
    return Agreement(
        inchikey,
        compound[2],
        row.label,
        row.id,
        target,
        unit,
        predicted,
        half,
        lower,
        upper,
        level,
        prediction.in_domain,
        rows,
        tuple(notes),
    )


def _constants_for_volume(project: Project, inchikey: str, mol_weight: float | None) -> SoluteConstants:
    from cryodesk.engine.evidence_features import solute_constants

    # solute_constants looks the density up only when an evidence row needs it: say one does.
    items = [
        i
        for i in project.literature.evidence_for_compound(inchikey, kinds=("concentration",))
        if i.unit == "% v/v"
    ][:1]
    return solute_constants(project, inchikey, mol_weight, items)


def _row(
    v: qq.ValueRow,
    unit: str | None,
    constants: SoluteConstants,
    predicted: float | None,
    lower: float | None,
    upper: float | None,
) -> AgreementRow:
    compared, reason = _in_model_unit(float(v.value), v.unit, unit, constants)  # type: ignore[arg-type]
    inside = deviation = None
    if compared is not None and predicted is not None:
        deviation = compared - predicted
        if lower is not None and upper is not None:
            inside = lower <= compared <= upper
    return AgreementRow(
        v.id,
        v.property,
        _pmid(v.source_record_id),
        float(v.value),
        v.unit,  # type: ignore[arg-type]
        v.conditions or None,
        _confidence(v.flag_list),
        compared,
        inside,
        deviation,
        reason,
    )


def _level(predictions: PredictionService, row: ModelRow) -> float | None:
    """Coverage the interval was built for (1 - the artefact's conformal alpha)."""
    try:
        config = getattr(predictions.load(row).model, "config", None)
    except CryoDeskError:  # the level is a label; the comparison stands without it
        return DEFAULT_LEVEL
    alpha = getattr(config, "conformal_alpha", None)
    return DEFAULT_LEVEL if alpha is None else round(1.0 - float(alpha), 4)
