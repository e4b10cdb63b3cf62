"""Thin engine functions behind the workbench views: table columns, filters, sorting, chemical-space
summaries, structure queries and the mixture breakdown.

The GUI calls these (from its worker threads, except the per-screenful cell look-up) and gets plain
frozen dataclasses back; nothing here knows Qt, and nothing in the GUI knows SQL or RDKit. Sorting
and filtering work on compound ids: the table never holds more than the ids of the current result,
so they stay fast at 100,000 compounds.

Numbers follow the store's rules: a property stored in several units is shown in one display unit
(converted by :mod:`cryodesk.domain.units`; values in units that cannot be converted are listed,
never mixed in), and a compound with conflicting values is represented by the median of its values,
with the number of values and their range shown beside it.
"""

from __future__ import annotations

import logging
import statistics
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from cryodesk.domain import ComponentRole, CryoDeskError, Mixture
from cryodesk.domain.properties import property_info, property_label
from cryodesk.domain.units import canonical_unit, convert
from cryodesk.store import table_queries as tq

if TYPE_CHECKING:
    from cryodesk.engine.jobs import JobOutcome, ProgressCallback
    from cryodesk.engine.service import Workbench
    from cryodesk.mixtures import SourcedValue
    from cryodesk.mixtures.composition import CompositionBreakdown
    from cryodesk.mixtures.glass_transition import PureTg, TgCurve, TgPrediction
    from cryodesk.ml.scoring import Profile
    from cryodesk.store.models import ModelRow

log = logging.getLogger(__name__)

Progress = Callable[[int, "int | None", str], None]

# ------------------------------------------------------------------------------------------ columns

#: Units as a lab user reads them (the store keeps canonical spellings).
UNIT_LABELS = {"degC": "°C", "degF": "°F", "1": ""}
#: Property columns shown on a project's first opening, when the project has them.
DEFAULT_PROPERTY_COLUMNS = ("tg", "melting_point", "log_solubility", "cpa_role")
#: Numeric compound columns a scatter plot or a range filter can use.
NUMERIC_COMPOUND_COLUMNS = {"mol_weight": ("MW", "g/mol"), "n_values": ("# values", "")}
TEXT_COMPOUND_COLUMNS = {"name": "Name", "inchikey": "InChIKey", "formula": "Formula"}
TOOLTIP_VALUES = 12  # values listed in a cell's tooltip; the detail panel has them all
#: Column kinds besides stored properties and compound fields.
PREDICTION = "prediction"
SCORE = "score"
PREDICTION_PREFIX = "pred:"
SCORE_PREFIX = "score:"
#: Desirability at or above GOOD is green, at or above FAIR amber, below red (traffic-light levels).
GOOD_DESIRABILITY = 2 / 3
FAIR_DESIRABILITY = 1 / 3


def unit_label(unit: str | None) -> str:
    """How a (canonical) unit is written on screen; '' for none or dimensionless."""
    if not unit:
        return ""
    return UNIT_LABELS.get(unit, unit)


@dataclass(frozen=True, slots=True)
class TableColumn:
    """A sortable/filterable column: a compound field or a stored property.

    Attributes:
        key: ``mol_weight``, ``name`` ... for compound fields, the property key for properties.
        label: the header text without unit.
        unit: the display unit (canonical spelling; see :func:`unit_label`), None when unitless.
        numeric: True when the column has numbers (range filter, scatter axis).
        is_property: True for stored properties, False for compound fields.
        n_values: values stored (properties only).
        conversions: stored unit -> (scale, offset) into ``unit``; units missing here are not converted.
        unconverted: stored units that cannot be converted into ``unit`` (their values are listed only).
    """

    key: str
    label: str
    unit: str | None = None
    numeric: bool = True
    is_property: bool = True
    n_values: int = 0
    conversions: tuple[tuple[str | None, float, float], ...] = ()
    unconverted: tuple[str, ...] = ()
    kind: str = ""  # "" stored property or compound field; PREDICTION or SCORE (see below)
    source: str = ""  # the model name (prediction) or profile name (score) the column reads

    @property
    def header(self) -> str:
        shown = unit_label(self.unit)
        if self.kind == PREDICTION:  # "Tg (K) pred": the unit belongs to the property, "pred" marks the model
            return f"{self.label} ({shown}) pred" if shown else f"{self.label} pred"
        return f"{self.label} ({shown})" if shown else self.label

    def conversion_table(self) -> dict[str | None, tuple[float, float]]:
        return {u: (s, o) for u, s, o in self.conversions}

    def describe(self) -> str:
        """A tooltip for the column header."""
        if self.kind == PREDICTION:
            return (
                f"Predictions of the promoted model {self.source} ({property_label(self.label)}), "
                f"value ± interval half-width; ⚠ marks a compound outside the model's applicability "
                f"domain; … a prediction not computed yet (computed in the background)."
            )
        if self.kind == SCORE:
            return (
                f"Desirability score under the profile {self.source!r} (0 worst … 1 best); the profile's "
                "property cells are coloured green/amber/red by their desirability."
            )
        parts = [property_label(self.key) if self.is_property else self.label]
        if self.is_property:
            parts.append(f"{self.n_values:,} values stored" + (", numbers" if self.numeric else ", text"))
            converted = [u for u, _s, _o in self.conversions if u not in (self.unit, None)]
            if converted:
                parts.append(
                    f"values in {', '.join(unit_label(u) or str(u) for u in converted)} converted to "
                    f"{unit_label(self.unit)}"
                )
            if self.unconverted:
                parts.append(f"values in {', '.join(self.unconverted)} cannot be converted: listed, not used")
            parts.append("Several values per compound: the median is shown, sorted and filtered on.")
        return "\n".join(parts)


def compound_columns() -> list[TableColumn]:
    """The compound fields that can be sorted, filtered or plotted."""
    out = [TableColumn(k, label, None, False, False) for k, label in TEXT_COMPOUND_COLUMNS.items()]
    out += [
        TableColumn(k, label, unit or None, True, False)
        for k, (label, unit) in NUMERIC_COMPOUND_COLUMNS.items()
    ]
    return out


def _linear(from_unit: str, to_unit: str) -> tuple[float, float] | None:
    """(scale, offset) converting ``from_unit`` into ``to_unit``, or None if they do not convert."""
    try:
        offset = convert(0.0, from_unit, to_unit)
        return convert(1.0, from_unit, to_unit) - offset, offset
    except ValueError:
        return None


def _property_column(key: str, counts: Sequence[tq.UnitCount]) -> TableColumn:
    n_numeric = sum(c.n_numeric for c in counts)
    n_total = n_numeric + sum(c.n_text for c in counts)
    info = property_info(key)
    label = key
    if n_numeric == 0:
        return TableColumn(key, label, None, False, True, n_total)
    # Canonical spelling of every stored unit; an unknown unit keeps its own spelling.
    canon = {c.unit: (canonical_unit(c.unit) or c.unit) for c in counts if c.n_numeric}
    by_count: dict[str | None, int] = {}
    for c in counts:
        if c.n_numeric:
            by_count[canon[c.unit]] = by_count.get(canon[c.unit], 0) + c.n_numeric
    target = max(by_count, key=lambda u: by_count[u])  # the commonest unit ...
    if (
        info
        and info.default_unit
        and all(u is not None and (u == info.default_unit or _linear(u, info.default_unit)) for u in by_count)
    ):
        target = info.default_unit  # ... unless every value converts into the property's usual unit
    conversions: list[tuple[str | None, float, float]] = []
    unconverted: list[str] = []
    for stored, c_unit in canon.items():
        if c_unit == target:
            conversions.append((stored, 1.0, 0.0))
            continue
        lin = _linear(c_unit, target) if c_unit is not None and target is not None else None
        if lin is None:
            unconverted.append(str(stored))
        else:
            conversions.append((stored, lin[0], lin[1]))
    return TableColumn(key, label, target, True, True, n_total, tuple(conversions), tuple(unconverted))


def property_columns(wb: Workbench, extras: bool = True) -> list[TableColumn]:
    """One column per stored property, with its display unit and unit conversions; then (``extras``)
    the promoted models' prediction columns and one score column per scoring profile."""
    grouped: dict[str, list[tq.UnitCount]] = {}
    for count in tq.unit_counts(wb.project.db):
        grouped.setdefault(count.property, []).append(count)
    stored = [_property_column(key, counts) for key, counts in grouped.items()]
    return stored + (extra_columns(wb) if extras else [])


def all_columns(wb: Workbench) -> dict[str, TableColumn]:
    """Compound fields, stored properties, prediction and score columns by key (a property named like a
    field is shadowed)."""
    out = {c.key: c for c in property_columns(wb)}
    out.update({c.key: c for c in compound_columns()})
    return out


def default_property_columns(columns: Iterable[TableColumn]) -> list[str]:
    keys = {c.key for c in columns if c.is_property}
    return [k for k in DEFAULT_PROPERTY_COLUMNS if k in keys]


# -------------------------------------------------------------------------------------------- cells


def format_number(value: float) -> str:
    """Four significant digits, without exponent for the numbers a lab table usually holds."""
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


@dataclass(frozen=True, slots=True)
class CellValue:
    """What the table shows for one property of one compound.

    Attributes:
        text: the cell text, e.g. ``"190 K (6)"``: median, unit, and the number of values when they differ.
        value: the number the cell stands for (median in the display unit), None for text.
        n_values: values stored for this compound and property.
        conflict: True when the stored values differ.
        tooltip: every value (up to :data:`TOOLTIP_VALUES`) with unit and source.
    """

    text: str
    value: float | None
    n_values: int
    conflict: bool
    tooltip: str
    desirability: float | None = None  # under the chosen scoring profile (None: not scored)
    level: str | None = None  # "good", "fair" or "poor": the traffic light of ``desirability``
    pending: bool = False  # a prediction not computed yet (the background warm-up will fill it)
    out_of_domain: bool = False  # a prediction for a compound outside the model's applicability domain


def _cell(column: TableColumn, values: Sequence[tq.StoredValue]) -> CellValue:
    table = column.conversion_table()
    unit = unit_label(column.unit)
    numbers: list[float] = []
    lines: list[str] = []
    texts: list[str] = []
    for v in values:
        shown_unit = unit_label(canonical_unit(v.unit) or v.unit)
        if v.value is not None:
            raw = f"{format_number(v.value)} {shown_unit}".strip()
            if column.numeric and v.unit in table:
                scale, shift = table[v.unit]
                x = v.value * scale + shift
                numbers.append(x)
                converted = f"{format_number(x)} {unit}".strip()
                lines.append(converted if converted == raw else f"{converted} (stored as {raw})")
            else:
                lines.append(
                    f"{raw} (not converted to {unit or 'the column unit'})" if column.numeric else raw
                )
            lines[-1] += f"  — {v.source}, {v.method}"
        elif v.value_text:
            texts.append(v.value_text)
            lines.append(f"{v.value_text}  — {v.source}, {v.method}")
    n = len(values)
    more = f"\n… and {n - TOOLTIP_VALUES} more (see the Compound panel)" if n > TOOLTIP_VALUES else ""
    if numbers:
        median = statistics.median(numbers)
        conflict = len({round(x, 9) for x in numbers}) > 1
        text = f"{format_number(median)} {unit}".strip()
        head = f"{column.key}: {text}"
        if conflict:
            text += f" ({len(numbers)})"
            head += (
                f" — median of {len(numbers)} differing values, "
                f"{format_number(min(numbers))}–{format_number(max(numbers))} {unit}".rstrip()
            )
        tip = head + "\n" + "\n".join(lines[:TOOLTIP_VALUES]) + more
        return CellValue(text, median, n, conflict, tip)
    if texts:
        distinct = list(dict.fromkeys(texts))
        conflict = len(distinct) > 1
        text = distinct[0] + (f" (+{len(distinct) - 1})" if conflict else "")
        return CellValue(
            text, None, n, conflict, f"{column.key}\n" + "\n".join(lines[:TOOLTIP_VALUES]) + more
        )
    if lines:  # numbers only in units that do not convert: show the first as stored
        first = values[0]
        text = f"{format_number(first.value or 0.0)} {unit_label(first.unit)}".strip() + " ?"
        return CellValue(
            text,
            None,
            n,
            True,
            f"{column.key}: no value in {unit or 'the column unit'}\n"
            + "\n".join(lines[:TOOLTIP_VALUES])
            + more,
        )
    return CellValue("", None, n, False, "")


def property_cells(
    wb: Workbench, ids: Sequence[int], columns: Sequence[TableColumn]
) -> dict[int, dict[str, CellValue]]:
    """Cells of ``columns`` for a screenful of compounds: id -> property key -> cell (absent when empty)."""
    props = [c for c in columns if c.is_property]
    out: dict[int, dict[str, CellValue]] = {}
    if not ids:
        return out
    if props:
        by_key = {c.key: c for c in props}
        grouped: dict[tuple[int, str], list[tq.StoredValue]] = {}
        for v in tq.stored_values(wb.project.db, ids, list(by_key)):
            grouped.setdefault((v.compound_id, v.property), []).append(v)
        for (cid, key), values in grouped.items():
            out.setdefault(cid, {})[key] = _cell(by_key[key], values)
    predictions = [c for c in columns if c.kind == PREDICTION]
    if predictions:
        _add_prediction_cells(wb, ids, predictions, out)
    for column in columns:
        if column.kind == SCORE and not scoring_ready():  # the table asks for a background import
            for cid in ids:
                out.setdefault(cid, {})[column.key] = CellValue(
                    "…", None, 0, False, "scoring is loading (in the background)", pending=True
                )
        elif column.kind == SCORE:
            _add_profile_colours(wb, ids, column, columns, out)
    return out


# ------------------------------------------------------------------------ predictions and scores


def prediction_columns(wb: Workbench) -> list[TableColumn]:
    """One column per promoted model, in the unit models are trained in (the property's default unit)."""
    out = []
    for row in wb.project.models.list(include_retired=False):
        if row.status != "promoted":
            continue
        info = property_info(row.task)
        unit = info.default_unit if info and "class" not in row.kind else None
        out.append(
            TableColumn(
                PREDICTION_PREFIX + row.name,
                row.task,
                unit,
                True,
                False,
                wb.project.models.count_predictions(row.id),
                kind=PREDICTION,
                source=row.name,
            )
        )
    return out


#: Names of the built-in profiles (``cryodesk.ml.scoring.BUILTIN_PROFILES``; a test keeps them equal).
#: Listing columns must not import the ML stack: that costs seconds, and the first query waits for it.
BUILTIN_PROFILE_NAMES = ("CPA candidate",)


def score_columns(wb: Workbench) -> list[TableColumn]:
    """One score column per scoring profile (built-in and saved in the project)."""
    from cryodesk.engine.reconcile import PROFILES_KEY

    saved = wb.project.view_state.get(PROFILES_KEY, {}) or {}
    names = dict.fromkeys([*BUILTIN_PROFILE_NAMES, *saved])
    return [
        TableColumn(SCORE_PREFIX + name, f"score: {name}", None, True, False, kind=SCORE, source=name)
        for name in names
    ]


def scoring_ready() -> bool:
    """Whether scoring can run without first importing the ML stack (seconds, holding the GIL)."""
    return "cryodesk.ml.scoring" in sys.modules


def prepare_scoring() -> None:
    """Import the scoring code (call off the GUI thread, before the first coloured screenful)."""
    import cryodesk.ml.scoring  # noqa: F401


def extra_columns(wb: Workbench) -> list[TableColumn]:
    """Prediction and score columns, offered beside the stored properties."""
    return prediction_columns(wb) + score_columns(wb)


def desirability_level(d: float | None) -> str | None:
    """The traffic light of a desirability: ``good`` (green), ``fair`` (amber), ``poor`` (red)."""
    if d is None or d != d:
        return None
    return "good" if d >= GOOD_DESIRABILITY else "fair" if d >= FAIR_DESIRABILITY else "poor"


def _keys_of(wb: Workbench, ids: Sequence[int]) -> dict[int, str]:
    from cryodesk.store import quality_queries as qq

    return {cid: key for cid, (key, _name) in qq.compound_keys(wb.project.db, ids).items()}


def promoted_model(wb: Workbench, name: str) -> ModelRow | None:
    """The promoted version of a model, read from the registry (no model code is imported: the
    table's per-screenful read runs on the GUI thread)."""
    return wb.project.models.promoted(name)


def _prediction_values(wb: Workbench, column: TableColumn) -> dict[int, float]:
    """Compound id -> cached prediction of a prediction column, every compound that has one."""
    models = wb.project.models
    row = promoted_model(wb, column.source)
    if row is None:
        raise CryoDeskError(f"no promoted model {column.source!r} (rolled back or retired?)")
    db = wb.project.db
    key = ("prediction", str(wb.project.path), row.id, models.count_predictions(row.id), tq.data_stamp(db))

    def compute() -> dict[int, float]:
        by_key = {str(k): cid for cid, k in tq.compound_column(db, "inchikey").items()}
        return {
            by_key[k]: p.value
            for k, p in models.all_predictions(row.id).items()
            if p.value is not None and k in by_key
        }

    return _cached(key, compute, _values_cache)


def _prediction_cell(
    column: TableColumn,
    model_label: str,
    value: float | None,
    half_width: float | None,
    in_domain: bool | None,
) -> CellValue:
    unit = unit_label(column.unit)
    if value is None:
        return CellValue("failed", None, 0, False, f"{model_label}: no prediction (features failed)")
    # Two significant digits for the half-width: an interval is not known better than that.
    text = format_number(value) + (f" ± {half_width:.2g}" if half_width is not None else "")
    text = f"{text} {unit}".strip()
    tip = f"{column.header}: {text}\nmodel {model_label}"
    if half_width is not None:
        tip += "; ± is the half-width of the model's prediction interval"
    out_of_domain = in_domain is False
    if out_of_domain:
        text = "⚠ " + text
        tip += "\n⚠ outside the model's applicability domain: the prediction is an extrapolation"
    return CellValue(text, value, 1, False, tip, out_of_domain=out_of_domain)


def _add_prediction_cells(
    wb: Workbench, ids: Sequence[int], columns: Sequence[TableColumn], out: dict[int, dict[str, CellValue]]
) -> None:
    """Cached predictions only (one indexed read): missing ones are marked pending, never computed here."""
    keys = _keys_of(wb, ids)
    for column in columns:
        row = promoted_model(wb, column.source)
        if row is None:  # the model was retired or rolled back meanwhile
            continue
        stored = wb.project.models.read_predictions(row.id, list(keys.values()))
        for cid, key in keys.items():
            p = stored.get(key)
            if p is None:
                cell = CellValue(
                    "…",
                    None,
                    0,
                    False,
                    f"{row.label}: not predicted yet (computing in the background)",
                    pending=True,
                )
            else:
                cell = _prediction_cell(column, row.label, p.value, p.uncertainty, p.in_domain)
            out.setdefault(cid, {})[column.key] = cell


@dataclass(frozen=True, slots=True)
class ProfileCell:
    """A compound's score under a profile and the desirability of each of its terms (None: no input)."""

    score: float | None
    sd: float | None
    coverage: float
    desirability: dict[str, float | None]


def profile_cells(wb: Workbench, profile: str, ids: Sequence[int] | None) -> dict[int, ProfileCell]:
    """Per-compound score and per-property desirability under a saved (or built-in) profile.

    ``ids`` None scores every compound with an input (cached per data stamp: the sort and filter of a
    score column); a screenful of ids is scored directly (the delta method: no sampling).
    """
    import json

    def compute() -> dict[int, ProfileCell]:
        out = {}
        for s in wb.rank_compounds(profile, None if ids is None else list(ids), method="delta"):
            if s.compound_id is None:
                continue
            scored = s.coverage > 0
            out[s.compound_id] = ProfileCell(
                s.score if scored else None, s.sd if scored else None, s.coverage, dict(s.desirability)
            )
        return out

    if ids is not None:
        return compute()
    found = wb.scoring_profiles().get(profile)
    if found is None:
        raise CryoDeskError(f"no scoring profile named {profile!r}")
    key = (
        "profile",
        str(wb.project.path),
        json.dumps(found.to_dict(), sort_keys=True, default=str),
        tq.data_stamp(wb.project.db),
    )
    return _cached(key, compute, _values_cache)


def _colour_predictions(
    profile: Profile, columns: Sequence[TableColumn], out: dict[int, dict[str, CellValue]]
) -> None:
    """A prediction cell gets the desirability of the predicted value itself (not of "the value",
    which prefers a measurement), converted from the model's unit into the term's."""
    from cryodesk.ml.scoring import desirability

    terms = {t.key: t for t in profile.terms}
    for column in columns:
        term = terms[column.label]
        lin = (1.0, 0.0)
        if term.unit and column.unit and (canonical_unit(term.unit) or term.unit) != column.unit:
            found = _linear(column.unit, canonical_unit(term.unit) or term.unit)
            if found is None:
                continue  # units that do not convert: no colour rather than a wrong one
            lin = found
        for row in out.values():
            cell = row.get(column.key)
            if cell is None or cell.value is None:
                continue
            d = float(desirability(term, cell.value * lin[0] + lin[1]))
            row[column.key] = replace(
                cell,
                desirability=d,
                level=desirability_level(d),
                tooltip=cell.tooltip + f"\ndesirability {d:.2f} ({desirability_level(d)}) "
                f"of the predicted value under {profile.name!r}",
            )


def _add_profile_colours(
    wb: Workbench,
    ids: Sequence[int],
    score_column: TableColumn,
    columns: Sequence[TableColumn],
    out: dict[int, dict[str, CellValue]],
) -> None:
    """The score cell, and desirability + traffic light on the cells of the profile's properties."""
    profile = wb.scoring_profiles().get(score_column.source)
    if profile is None:
        return
    targets: dict[str, list[str]] = {}  # term key -> shown stored-property columns of that property
    for c in columns:
        if c.is_property and c.key in profile.keys:
            targets.setdefault(c.key, []).append(c.key)
    _colour_predictions(
        profile, [c for c in columns if c.kind == PREDICTION and c.label in profile.keys], out
    )
    for cid, cell in profile_cells(wb, profile.name, ids).items():
        row = out.setdefault(cid, {})
        if cell.score is not None:
            text = f"{cell.score:.2f}" + (f" ± {cell.sd:.2f}" if cell.sd else "")
            tip = (
                f"score under {profile.name!r}: {text} (coverage {cell.coverage:.0%} of the weight)\n"
                + "\n".join(
                    f"{k}: desirability {'—' if d is None else f'{d:.2f}'}"
                    for k, d in cell.desirability.items()
                )
            )
            row[score_column.key] = CellValue(
                text, cell.score, 1, False, tip, cell.score, desirability_level(cell.score)
            )
        for term, d in cell.desirability.items():
            if d is None:
                continue
            for key in targets.get(term, []):
                existing = row.get(key)
                if existing is not None and not existing.pending:
                    note = f"\ndesirability {d:.2f} ({desirability_level(d)}) under {profile.name!r}"
                    row[key] = replace(
                        existing, desirability=d, level=desirability_level(d), tooltip=existing.tooltip + note
                    )


# ------------------------------------------------------------------------------- sorting, filtering


def column_values(wb: Workbench, column: TableColumn) -> dict[int, Any]:
    """Compound id -> the value a column sorts and filters on (median number, or text), all compounds.

    Kept (per project and data stamp) for the next sort, filter or plot: re-reading 100,000 values
    costs a few hundred ms, checking that nothing changed costs well under one.
    """
    db = wb.project.db
    key = ("column", str(wb.project.path), column, tq.data_stamp(db))
    return _cached(key, lambda: _column_values(wb, column), _values_cache)


def _column_values(wb: Workbench, column: TableColumn) -> dict[int, Any]:
    db = wb.project.db
    if column.kind == PREDICTION:
        return _prediction_values(wb, column)
    if column.kind == SCORE:
        return {
            cid: cell.score
            for cid, cell in profile_cells(wb, column.source, None).items()
            if cell.score is not None
        }
    if not column.is_property:
        if column.key == "n_values":
            return tq.value_counts(db)
        return tq.compound_column(db, column.key)
    if column.numeric:
        return tq.numeric_medians(db, column.key, column.conversion_table())
    return tq.text_values(db, column.key)


@dataclass(frozen=True, slots=True)
class RangeFilter:
    """Keep compounds whose value of ``key`` lies in ``[low, high]`` (None: open end)."""

    key: str
    low: float | None = None
    high: float | None = None

    def describe(self, column: TableColumn | None = None) -> str:
        unit = unit_label(column.unit) if column else ""
        lo = "" if self.low is None else format_number(self.low)
        hi = "" if self.high is None else format_number(self.high)
        name = self.key
        if column is not None and column.kind == PREDICTION:
            name = f"{column.label} pred"
        elif column is not None and column.kind == SCORE:
            name = column.label
        return f"{name} {lo}…{hi} {unit}".strip()


@dataclass(frozen=True, slots=True)
class TextFilter:
    """Keep compounds with one of ``texts`` as a value of the text property ``key``."""

    key: str
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IdSubset:
    """A set of compounds from a search, cluster, scaffold or row list; ``ordered`` keeps its order."""

    kind: str  # "structure", "cluster", "scaffold", "row_list", "selection"
    label: str
    ids: tuple[int, ...]
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class SortKey:
    key: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class TableQuery:
    """Everything that decides which compounds the table shows, and in what order."""

    text: str = ""
    subsets: tuple[IdSubset, ...] = ()
    ranges: tuple[RangeFilter, ...] = ()
    texts: tuple[TextFilter, ...] = ()
    sort: SortKey | None = None


def sort_ids(ids: Sequence[int], values: dict[int, Any], descending: bool = False) -> list[int]:
    """``ids`` ordered by ``values`` (numbers, or text case-insensitively); ids without a value last."""
    have = [i for i in ids if i in values]
    missing = [i for i in ids if i not in values]
    sample = next(iter(values.values()), None) if values else None
    if isinstance(sample, str):
        have.sort(key=lambda i: str(values[i]).casefold(), reverse=descending)
    else:
        have.sort(key=lambda i: values[i], reverse=descending)
    return have + missing


def select_ids(wb: Workbench, query: TableQuery) -> list[int]:
    """The ids the table shows for ``query``: text search, subsets, range and text filters, then sort."""
    if query.text.strip():
        ids = wb.compound_ids(query.text)
    else:  # every compound in display order, kept like a column (the commonest query, and the slowest)
        key = ("all ids", str(wb.project.path), tq.data_stamp(wb.project.db))
        ids = _cached(key, lambda: wb.compound_ids(""), _values_cache)
    for subset in query.subsets:
        keep = set(subset.ids)
        ids = [i for i in ids if i in keep]
    if query.sort is None:
        ordered = [s for s in query.subsets if s.ordered]
        if ordered:  # a similarity search lists the nearest compounds first unless a column sort is set
            keep = set(ids)
            ids = [i for i in ordered[-1].ids if i in keep]
    columns = all_columns(wb) if (query.ranges or query.sort) else {}
    db = wb.project.db
    for r in query.ranges:
        column = columns.get(r.key)
        if column is None or not column.numeric:
            raise CryoDeskError(f"no numeric column {r.key!r} to filter on")
        if column.kind:  # predictions and scores: filtered on the values the column sorts on
            values = column_values(wb, column)
            inside = {
                i
                for i, v in values.items()
                if (r.low is None or v >= r.low) and (r.high is None or v <= r.high)
            }
        elif column.is_property:
            inside = set(tq.ids_in_range(db, column.key, column.conversion_table(), r.low, r.high))
        elif column.key == "n_values":
            counts = tq.value_counts(db)
            inside = {
                i
                for i in ids
                if (r.low is None or counts.get(i, 0) >= r.low)
                and (r.high is None or counts.get(i, 0) <= r.high)
            }
        else:
            inside = set(tq.compound_ids_in_range(db, column.key, r.low, r.high))
        ids = [i for i in ids if i in inside]
    for t in query.texts:
        inside = set(tq.ids_with_text(db, t.key, t.texts))
        ids = [i for i in ids if i in inside]
    if query.sort is not None:
        column = columns.get(query.sort.key)
        if column is None:
            raise CryoDeskError(f"no column {query.sort.key!r} to sort on")
        ids = sort_ids(ids, column_values(wb, column), query.sort.descending)
    return list(ids)  # a copy: the default order is shared through the cache


@dataclass(frozen=True)
class ColumnSummary:
    """The distribution of a column over some compounds, for a filter's histogram."""

    key: str
    minimum: float | None
    maximum: float | None
    n: int
    counts: np.ndarray
    edges: np.ndarray
    texts: tuple[tuple[str, int], ...] = ()


def column_summary(
    wb: Workbench, column: TableColumn, ids: Sequence[int] | None = None, bins: int = 30
) -> ColumnSummary:
    """Minimum, maximum and a histogram of a numeric column (or the text values of a text column)."""
    if not column.numeric:
        texts = tuple(tq.distinct_texts(wb.project.db, column.key)) if column.is_property else ()
        return ColumnSummary(
            column.key, None, None, sum(n for _, n in texts), np.zeros(0), np.zeros(0), texts
        )
    values = column_values(wb, column)
    if ids is not None:
        values = {i: values[i] for i in ids if i in values}
    data = np.fromiter((float(v) for v in values.values()), float, len(values))
    data = data[np.isfinite(data)]
    if not data.size:
        return ColumnSummary(column.key, None, None, 0, np.zeros(0), np.zeros(0))
    lo, hi = float(data.min()), float(data.max())
    counts, edges = np.histogram(data, bins=bins, range=(lo, hi if hi > lo else lo + 1.0))
    return ColumnSummary(column.key, lo, hi, int(data.size), counts, edges)


@dataclass(frozen=True)
class PlotData:
    """Two numeric columns for the compounds that have both (ids aligned with x and y)."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    x_column: TableColumn
    y_column: TableColumn
    n_missing: int


def plot_data(wb: Workbench, ids: Sequence[int], x_key: str, y_key: str) -> PlotData:
    """Values of two numeric columns for ``ids`` (those lacking either value are counted, not plotted)."""
    columns = all_columns(wb)
    try:
        xc, yc = columns[x_key], columns[y_key]
    except KeyError as exc:
        raise CryoDeskError(f"no column {exc.args[0]!r} to plot") from None
    xs, ys = column_values(wb, xc), column_values(wb, yc)
    keep = [i for i in ids if i in xs and i in ys]
    return PlotData(
        np.asarray(keep, np.int64),
        np.asarray([float(xs[i]) for i in keep], float),
        np.asarray([float(ys[i]) for i in keep], float),
        xc,
        yc,
        len(ids) - len(keep),
    )


# ------------------------------------------------------------------------ chemical space summaries

_CACHE_SIZE = 4


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.lock = threading.Lock()


_cache = _LRU(_CACHE_SIZE)  # clusters and scaffolds
_values_cache = _LRU(8)  # column values and the default id order (about 5 MB each at 100,000 compounds)


def _cached(key: tuple[Any, ...], compute: Callable[[], Any], cache: _LRU | None = None) -> Any:
    """Small LRU keyed by project and a change stamp: reopening a view, re-sorting are instant.

    Cached values are shared: callers must not modify them.
    """
    cache = cache or _cache
    with cache.lock:
        if key in cache.items:
            cache.items.move_to_end(key)
            return cache.items[key]
    value = compute()
    with cache.lock:
        cache.items[key] = value
        while len(cache.items) > cache.size:
            cache.items.popitem(last=False)
    return value


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    """One Butina cluster: its centroid compound and every member id (centroid first)."""

    number: int
    size: int
    centroid_id: int
    centroid_smiles: str
    centroid_name: str | None
    member_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ClusterTable:
    cutoff: float
    clusters: tuple[ClusterInfo, ...]
    n_compounds: int
    n_singletons: int
    n_failed: int


def clusters(wb: Workbench, cutoff: float = 0.35, progress: Progress | None = None) -> ClusterTable:
    """Butina clusters of the project's compounds (Morgan radius-2 bits, Tanimoto distance ``cutoff``).

    Like ``wb.search.clusters`` but keeps each cluster's centroid, for a representative structure,
    and leaves out compounds whose fingerprint failed instead of clustering them together.
    """
    project = wb.project

    def compute() -> ClusterTable:
        from cryodesk.chem.clustering import butina_clusters
        from cryodesk.engine.features import FeatureService
        from cryodesk.engine.search import SIMILARITY_FINGERPRINT

        def fp_progress(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total, f"fingerprints {done:,} of {total:,}")

        fps = FeatureService(project).matrix(SIMILARITY_FINGERPRINT, None, fp_progress)
        ok = fps.ok
        ids = fps.ids[ok]
        if progress is not None:
            progress(0, None, f"clustering {len(ids):,} compounds")
        result = butina_clusters(fps.values[ok], cutoff) if len(ids) else None
        groups = [] if result is None else [ids[m] for m in result.clusters]
        rows = {r.id: r for r in project.compounds.rows_by_ids([int(g[0]) for g in groups])}
        infos = tuple(
            ClusterInfo(
                n + 1,
                len(g),
                int(g[0]),
                rows[int(g[0])].smiles if int(g[0]) in rows else "",
                rows[int(g[0])].name if int(g[0]) in rows else None,
                tuple(int(i) for i in g),
            )
            for n, g in enumerate(groups)
        )
        return ClusterTable(
            cutoff, infos, int(len(ids)), sum(1 for g in groups if len(g) == 1), len(fps.failures)
        )

    key = ("clusters", str(project.path), project.compounds.change_stamp(), round(cutoff, 4))
    return _cached(key, compute)


@dataclass(frozen=True, slots=True)
class ScaffoldGroup:
    """A Bemis–Murcko scaffold (``""`` = acyclic) with the compounds that have it."""

    scaffold: str
    ids: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.ids)


def scaffolds(wb: Workbench, progress: Progress | None = None) -> list[ScaffoldGroup]:
    """Murcko scaffolds of the project's compounds, most common first (ties alphabetical)."""
    project = wb.project

    def compute() -> list[ScaffoldGroup]:
        from cryodesk.chem.clustering import murcko_scaffolds

        rows = project.compounds.smiles_by_id()
        groups: dict[str, list[int]] = {}
        step = 500
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            for (cid, _), scaffold in zip(chunk, murcko_scaffolds([s for _, s in chunk]), strict=True):
                if scaffold is not None:
                    groups.setdefault(scaffold, []).append(cid)
            if progress is not None:
                progress(min(start + step, len(rows)), len(rows), "scaffolds")
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
        return [ScaffoldGroup(s, tuple(ids)) for s, ids in ordered]

    key = ("scaffolds", str(project.path), project.compounds.change_stamp())
    return _cached(key, compute)


# -------------------------------------------------------------------------------- structure queries


@dataclass(frozen=True, slots=True)
class QueryPreview:
    """A structure query as the user typed it: readable or not, how, and its drawing.

    Attributes:
        text: the query text.
        valid: whether it parses as SMILES or SMARTS.
        mode: ``"smiles"`` or ``"smarts"`` (how it will be searched), None when invalid.
        message: why it is invalid, or a short note on how it is read.
        png: the drawing of the query (None when it cannot be drawn).
        similarity_ok: True when it is a molecule (SMILES), which similarity search needs.
    """

    text: str
    valid: bool
    mode: str | None
    message: str
    png: bytes | None
    similarity_ok: bool


def preview_query(
    text: str, width: int = 260, height: int = 180, mode: str = "auto", dark: bool = False
) -> QueryPreview:
    """Parse and draw a substructure/similarity query (SMILES or SMARTS); explain why if it is invalid."""
    from cryodesk.chem import depict_png, parse_smiles
    from cryodesk.chem.search import SubstructureQueryError, parse_query

    text = text.strip()
    if not text:
        return QueryPreview(
            text, False, None, "Type a SMILES (e.g. OCC(O)CO) or SMARTS (e.g. [OX2H][CX4]).", None, False
        )
    try:
        mol, used = parse_query(text, mode)  # type: ignore[arg-type]
    except SubstructureQueryError:
        reason = (parse_smiles(text).error or "unreadable").rstrip(".")
        return QueryPreview(
            text, False, None, f"Not a valid query. {reason}. Not valid SMARTS either.", None, False
        )
    png = depict_png(mol, width, height, dark=dark, background="transparent")
    note = (
        "Read as SMILES: matches compounds containing this structure."
        if used == "smiles"
        else "Read as SMARTS: a pattern; similarity search needs a SMILES."
    )
    return QueryPreview(text, True, used, note, png, used == "smiles")


def substructure_ids(wb: Workbench, text: str, mode: str = "auto") -> list[int]:
    """Compounds containing the query (SMILES or SMARTS); ValueError with the reason when invalid."""
    return wb.search.substructure(text, mode=mode)


@dataclass(frozen=True, slots=True)
class SimilarityResult:
    ids: tuple[int, ...]  # best first
    scores: tuple[float, ...]


def similar(wb: Workbench, smiles: str, threshold: float, top: int | None = None) -> SimilarityResult:
    """Compounds with Tanimoto similarity >= ``threshold`` to ``smiles`` (Morgan radius 2), best first."""
    hits = wb.search.similar(smiles, threshold, top)
    return SimilarityResult(tuple(h.compound_id for h in hits), tuple(float(h.score or 0.0) for h in hits))


def depiction_png(smiles: str, width: int = 200, height: int = 150, dark: bool = False) -> bytes | None:
    """A structure drawing; ``dark`` draws light-on-transparent for a dark theme."""
    from cryodesk.chem import depict_png

    if dark:
        return depict_png(smiles, width, height, dark=True, background="transparent")
    return depict_png(smiles, width, height)


# ------------------------------------------------------------------------------------------- jobs


def resumable_kinds() -> frozenset[str]:
    """Job kinds :func:`cryodesk.engine.resume.resume_job` can continue."""
    from cryodesk.engine import resume

    return frozenset(getattr(resume, "_BUILDERS", {}))


def resume_job(wb: Workbench, job_id: int, on_progress: ProgressCallback | None = None) -> JobOutcome:
    from cryodesk.engine.resume import resume_job as resume

    return resume(wb, job_id, on_progress)


# --------------------------------------------------------------------------------------- mixtures

STORE_MW_BASIS = "store: molecular weight of the compound record"
TG_PROPERTY = "tg"
MELTING_POINT_PROPERTY = "melting_point"
DENSITY_PROPERTY = "density"
CURVE_POINTS = 41


@dataclass(frozen=True, slots=True)
class ComponentInfo:
    """A mixture component as published, with what the store knows about it."""

    name: str
    amount: float | None
    unit: str | None
    role: ComponentRole
    note: str | None
    inchikey: str | None
    compound_id: int | None
    molar_mass: str  # "92.09 g/mol" or "" when unknown
    density: str  # "1.261 g/mL" or ""
    tg: str  # "190.5 ± 3 K (mean of 6 values; koop_tg)" or why there is none
    molar_mass_basis: str = ""  # where the number comes from ("store: ...", "default table: ...")
    density_basis: str = ""


@dataclass(frozen=True)
class MixtureReport:
    """Everything the mixtures view shows for one stored mixture.

    Attributes:
        mixture: the stored recipe (amounts and units as published, status, citation).
        components: each component with its constants and their bases.
        breakdown: the per-litre breakdown (possibly partial), None when it cannot be computed at all.
        composition_problems: why numbers are missing (missing densities, unknown units ...); never guessed.
        tg: the Gordon–Taylor solution-Tg estimate, None when no component has a Tg or melting point.
        tg_problems: why the Tg estimate is missing or what it leaves out.
        curve: Tg versus total solute mass fraction at the mixture's solute proportions.
        solute_fraction: the mixture's own total solute mass fraction (its point on the curve).
    """

    mixture: Mixture
    components: tuple[ComponentInfo, ...]
    breakdown: CompositionBreakdown | None
    composition_problems: tuple[str, ...]
    tg: TgPrediction | None
    tg_problems: tuple[str, ...]
    curve: TgCurve | None = None
    solute_fraction: float | None = None
    tg_inputs: dict[str, PureTg] = field(default_factory=dict)

    @property
    def status_kind(self) -> str:
        return mixture_status_kind(self.mixture.status)


def mixture_status_kind(status: str) -> str:
    """``confirmed``, ``recalled`` (recalled from the literature, not checked), ``partial`` or ``other``."""
    status = status.casefold()
    if "recalled" in status:
        return "recalled"
    if status.startswith("confirmed"):
        return "confirmed"
    if "partly" in status or "partial" in status:
        return "partial"
    return "other"


def mixture_statuses(wb: Workbench) -> list[tuple[str, str]]:
    """(name, status as stored) of every stored mixture, by name."""
    out = []
    for name in wb.mixture_names():
        mixture = wb.mixture(name)
        out.append((name, mixture.status if mixture is not None else ""))
    return out


def _median_in(values: Sequence[tuple[float, str | None]], target: str) -> list[float]:
    out = []
    for value, unit in values:
        c_unit = canonical_unit(unit) or unit
        if c_unit == target:
            out.append(value)
        elif c_unit is not None:
            lin = _linear(c_unit, target)
            if lin is not None:
                out.append(value * lin[0] + lin[1])
    return out


def _store_values(
    wb: Workbench, keys: Sequence[str], prop: str
) -> dict[str, list[tuple[float, str | None, str]]]:
    found: dict[str, list[tuple[float, str | None, str]]] = {}
    for key, value, unit, source in tq.values_by_key(wb.project.db, keys, prop):
        found.setdefault(key, []).append((value, unit, source))
    return found


def mixture_report(wb: Workbench, name: str) -> MixtureReport | None:
    """The composition breakdown and Tg estimate of the stored mixture ``name`` (None: no such mixture)."""
    from cryodesk.mixtures import (
        ComponentProperties,
        Composition,
        CompositionError,
        MissingQuantityError,
        SourcedValue,
        UnitError,
        default_properties,
        solve_composition,
    )
    from cryodesk.mixtures.glass_transition import PureTg

    mixture = wb.mixture(name)
    if mixture is None:
        return None
    keys = [c.inchikey for c in mixture.components if c.inchikey]
    db = wb.project.db
    ids = tq.compound_ids_by_keys(db, keys)
    masses = tq.molar_masses(db, keys)
    densities = _store_values(wb, keys, DENSITY_PROPERTY)
    tgs = _store_values(wb, keys, TG_PROPERTY)
    tms = _store_values(wb, keys, MELTING_POINT_PROPERTY)

    properties: dict[str, ComponentProperties] = {}
    for key in keys:
        mw = SourcedValue(masses[key], STORE_MW_BASIS) if key in masses else None
        rho_values = _median_in([(v, u) for v, u, _s in densities.get(key, [])], "g/mL")
        rho = None
        if rho_values:
            sources = sorted({s for _v, _u, s in densities[key]})
            rho = SourcedValue(statistics.median(rho_values), f"store: density ({', '.join(sources)})")
        properties[key] = ComponentProperties(key, mw, rho, key)

    problems: list[str] = []
    breakdown = None
    try:
        composition = Composition.from_mixture(mixture, properties)
        try:
            breakdown = solve_composition(composition)
        except MissingQuantityError as exc:
            problems.extend(f"Missing {m.describe()}." for m in exc.missing)
            # Solutes given per volume still have per-litre figures; only the water remainder is unknown.
            breakdown = solve_composition(composition, allow_partial=True)
            problems.append(
                "Water per litre, % w/w, molality and mole fractions need those values; "
                "CryoDesk does not guess them."
            )
    except MissingQuantityError:
        problems.append("No per-litre breakdown: the missing values above are needed for every component.")
    except (CompositionError, UnitError, ValueError) as exc:
        problems.append(str(exc))

    # Pure-component Tg: stored Tg values (averaged, spread as uncertainty), else the 2/3·Tm rule.
    pure: dict[str, PureTg] = {}
    tg_text: dict[str, str] = {}
    for c in mixture.components:
        if not c.inchikey or c.role in (ComponentRole.WATER, ComponentRole.CARRIER):
            continue
        tg_k = _median_in([(v, u) for v, u, _s in tgs.get(c.inchikey, [])], "K")
        tm_k = _median_in([(v, u) for v, u, _s in tms.get(c.inchikey, [])], "K")
        if tg_k:
            sources = ", ".join(sorted({s for _v, _u, s in tgs[c.inchikey]}))
            pure[c.name] = PureTg.from_replicates(tg_k, f"store: tg ({sources})")
        elif tm_k:
            sources = ", ".join(sorted({s for _v, _u, s in tms[c.inchikey]}))
            pure[c.name] = PureTg.from_melting_point(
                statistics.median(tm_k), f"store: melting_point ({sources})"
            )
        if c.name in pure:
            p = pure[c.name]
            tg_text[c.name] = (
                f"{p.value_K:.1f} ± {p.sigma_K:.1f} K ({p.basis.value}; "
                + (p.note or f"{p.n_values} value" + ("s" if p.n_values > 1 else ""))
                + ")"
            )

    component_rows = []
    rho_by_name: dict[str, SourcedValue] = {}
    for c in mixture.components:
        props = properties.get(c.inchikey or "")
        defaults = default_properties(c.inchikey) if c.inchikey else None
        defaults = defaults or default_properties(c.name)
        mw = (props.molar_mass if props else None) or (defaults.molar_mass if defaults else None)
        rho = (props.density if props else None) or (defaults.density if defaults else None)
        if rho is not None:
            rho_by_name[c.name] = rho
        component_rows.append(
            ComponentInfo(
                c.name,
                c.amount,
                c.unit,
                c.role,
                c.note,
                c.inchikey,
                ids.get(c.inchikey or ""),
                f"{mw.value:.2f} g/mol" if mw else "",
                f"{rho.value:g} g/mL" if rho else "",
                tg_text.get(
                    c.name,
                    ""
                    if c.role in (ComponentRole.WATER, ComponentRole.CARRIER)
                    else "no Tg or melting point stored",
                ),
                mw.basis if mw else "",
                rho.basis if rho else "",
            )
        )

    tg, curve, solute_fraction, tg_problems = _tg_estimate(breakdown, pure, rho_by_name)
    return MixtureReport(
        mixture,
        tuple(component_rows),
        breakdown,
        tuple(problems),
        tg,
        tuple(tg_problems),
        curve,
        solute_fraction,
        pure,
    )


def _tg_estimate(
    breakdown: CompositionBreakdown | None, pure: dict[str, PureTg], densities: dict[str, SourcedValue]
) -> tuple[TgPrediction | None, TgCurve | None, float | None, list[str]]:
    from cryodesk.mixtures import MissingQuantityError
    from cryodesk.mixtures.glass_transition import GlassFormer, MixtureTgModel

    problems: list[str] = []
    if breakdown is None or breakdown.partial:
        problems.append("The Tg estimate needs the full composition (mass fractions, water included).")
        return None, None, None, problems
    formers: list[GlassFormer] = []
    exclude: list[str] = []
    fractions = breakdown.mass_fractions()
    for row in breakdown.solutes:
        tg = pure.get(row.name)
        share = f"w = {fractions.get(row.name, 0.0):.3f}"
        if tg is None:
            exclude.append(row.name)
            problems.append(
                f"{row.name} ({share}) left out of the Tg estimate: no Tg or melting point stored."
            )
        elif row.name not in densities:
            exclude.append(row.name)
            problems.append(
                f"{row.name} ({share}) left out of the Tg estimate: no density for its Simha–Boyer k."
            )
        else:
            formers.append(GlassFormer(row.name, tg, None, densities[row.name]))
    if not formers:
        problems.append("No component has a stored Tg (or melting point) and a density: no Tg estimate.")
        return None, None, None, problems
    try:
        model = MixtureTgModel(formers)
        prediction = model.predict_breakdown(breakdown, exclude=exclude)
        proportions = {n: w for n, w in prediction.mass_fractions.items() if n != "water" and w > 0}
        curve = model.curve(proportions, np.linspace(0.0, 1.0, CURVE_POINTS)) if proportions else None
        return prediction, curve, 1.0 - prediction.mass_fractions["water"], problems
    except (MissingQuantityError, ValueError) as exc:
        problems.append(f"Tg estimate not possible: {exc}")
        return None, None, None, problems
