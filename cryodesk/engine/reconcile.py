"""Reconciliation of conflicting values by explicit, configurable rules, and "the value" read through it.

A compound often has several values of one property: replicates from one compilation (Koop lists
seven glass transitions of glycerol), the same property from two data sets in different units
(melting points from Bradley in degC and from Koop in K), a prediction beside a measurement. The
store keeps all of them (ARCHITECTURE.md, data rules). This module picks *the* value by rules the
user can see and change, and records the choice without deleting or changing any losing value:

* the winning row(s) get the flag ``reconciled=<rule chain>`` in ``property_values.flags`` (e.g.
  ``reconciled=source_priority+median_of_replicates``): the rule chain says which rules narrowed the
  candidates down, so the choice is explained wherever flags are shown (``cryodesk show``, the detail panel);
* the reconcile run is a job (kind ``reconcile``) with its rules in the params and its counts in the
  metrics, and the project remembers, per property, the highest value id the run saw, so a value
  imported later makes its group "not yet reconciled" and it is decided live with the saved rules.

Rules (applied in the configured order, each keeps the best candidates of the previous one):

``measured_over_predicted``
    keep the values with the best method in ``method_priority`` (measured before literature,
    computed and predicted).
``source_priority``
    keep the values of the best-ranked source in ``source_priority`` (glob patterns such as
    ``file:*`` allowed; sources not listed rank after all listed ones, equal to each other).
``recency``
    keep the values retrieved last.
``median_of_replicates``
    several values still left (replicates of one source after the rules above): the median; for an
    even number the two middle values are both winners and the value is their mean.

Values are compared after converting units with :func:`cryodesk.domain.units.convert` into the
property's display unit (a melting point of 291.35 K and one of 17.8 degC are 0.4 degC apart);
values in units that cannot be converted are reported, never mixed in.

This module also holds the engine side of scoring (saved desirability profiles and their inputs),
because scores are computed on "the value" defined here.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryodesk.domain import InputError, utc_now_iso
from cryodesk.domain.properties import property_info
from cryodesk.domain.units import canonical_unit, convert
from cryodesk.engine.jobs import JobContext
from cryodesk.store import Project
from cryodesk.store import quality_queries as qq
from cryodesk.store.quality_queries import ValueRow

if TYPE_CHECKING:
    from cryodesk.ml.scoring import Profile, ScoreResult

log = logging.getLogger(__name__)

RULE_NAMES = ("measured_over_predicted", "source_priority", "recency", "median_of_replicates")
RECONCILED_FLAG = "reconciled="
RULES_KEY = "reconcile.rules"
STATE_KEY = "reconcile.state"
AGREEMENT = "agreement"  # the rule chain when every candidate has the same value
ONLY_VALUE = "only_value"


# ------------------------------------------------------------------------------ units, tolerance
@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far two values of a property may differ and still agree.

    ``amount`` is a difference in ``unit`` (converted as a *difference*: 5 K is 5 degC, 9 degF),
    or, with ``relative``, a fraction of the larger magnitude of the two values.
    """

    amount: float
    unit: str | None = None
    relative: bool = False

    def limit(self, unit: str | None, reference: float = 0.0) -> float:
        """The allowed absolute difference in ``unit`` around ``reference``."""
        if self.relative:
            return abs(self.amount * reference)
        if self.unit is None or unit is None or self.unit == unit:
            return self.amount
        try:
            return abs(convert(self.amount, self.unit, unit) - convert(0.0, self.unit, unit))
        except ValueError:
            return self.amount

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Per-property tolerances: the spread of careful independent measurements of the same thing.
DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "tg": Tolerance(5.0, "K"),
    "tg_prime": Tolerance(5.0, "K"),
    "melting_point": Tolerance(5.0, "degC"),
    "boiling_point": Tolerance(5.0, "degC"),
    "log_solubility": Tolerance(0.5, "log10(M)"),
    "logp": Tolerance(0.5, "1"),
    "density": Tolerance(0.02, "g/mL"),
    "molecular_weight": Tolerance(0.5, "g/mol"),
    "viscosity": Tolerance(0.10, relative=True),
}
FALLBACK_TOLERANCE = Tolerance(0.05, relative=True)


def convert_value(value: float, unit: str | None, target: str | None) -> float | None:
    """``value`` in ``target`` (None when the units cannot be converted into each other)."""
    if unit == target:
        return value
    source_unit = canonical_unit(unit) or unit
    target_unit = canonical_unit(target) or target
    if source_unit == target_unit:
        return value
    if source_unit is None or target_unit is None:
        return None
    try:
        return convert(value, source_unit, target_unit)
    except ValueError:
        return None


def display_unit(prop: str, units: Iterable[str | None]) -> str | None:
    """The unit values of ``prop`` are compared in: the property's default unit when every stored unit
    converts into it, else the most common stored unit."""
    counts = Counter(units)
    if not counts:
        info = property_info(prop)
        return info.default_unit if info else None
    info = property_info(prop)
    if info and info.default_unit and all(convert_value(1.0, u, info.default_unit) is not None for u in counts):
        return info.default_unit
    return counts.most_common(1)[0][0]


# ------------------------------------------------------------------------------------------ rules
@dataclass(frozen=True)
class ReconcileRules:
    """The project's reconciliation rules (saved as JSON in the project's view state).

    Attributes:
        order: rule names in the order they narrow the candidates.
        source_priority: source keys or glob patterns, most trusted first.
        method_priority: methods, best first.
        per_property: property -> overrides of ``order``/``source_priority``/``method_priority``.
        tolerances: property -> tolerance for calling two values a conflict.
    """

    order: tuple[str, ...] = RULE_NAMES
    source_priority: tuple[str, ...] = ("reference_cpas", "bradley_mp", "koop_tg", "esol", "file:*", "pubchem*",
                                        "chembl*", "pubmed*")
    method_priority: tuple[str, ...] = ("measured", "literature", "computed", "predicted")
    per_property: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: {
        # Bradley's set is a curated melting-point compilation; Koop's Tm is a side column of a Tg set
        # (and is off by 100+ K for several anilines), so melting points trust Bradley first.
        "melting_point": {"source_priority": ("bradley_mp", "koop_tg", "file:*", "pubchem*", "chembl*")},
    })
    tolerances: Mapping[str, Tolerance] = field(default_factory=lambda: dict(DEFAULT_TOLERANCES))
    version: int = 1

    def __post_init__(self) -> None:
        for names in (self.order, *(o.get("order", ()) for o in self.per_property.values())):
            unknown = [n for n in names if n not in RULE_NAMES]
            if unknown:
                raise InputError(f"unknown reconciliation rule(s): {', '.join(unknown)}; known: {', '.join(RULE_NAMES)}")
        for prop, overrides in self.per_property.items():
            bad = set(overrides) - {"order", "source_priority", "method_priority"}
            if bad:
                raise InputError(f"rules for {prop!r}: cannot override {', '.join(sorted(bad))}")

    def for_property(self, prop: str) -> ReconcileRules:
        """These rules with the overrides for ``prop`` applied."""
        overrides = self.per_property.get(prop)
        if not overrides:
            return self
        return replace(self, **{k: tuple(v) for k, v in overrides.items()}, per_property={})

    def tolerance(self, prop: str) -> Tolerance:
        return self.tolerances.get(prop) or DEFAULT_TOLERANCES.get(prop) or FALLBACK_TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "order": list(self.order),
            "source_priority": list(self.source_priority),
            "method_priority": list(self.method_priority),
            "per_property": {k: {kk: list(vv) for kk, vv in v.items()} for k, v in self.per_property.items()},
            "tolerances": {k: t.to_dict() for k, t in self.tolerances.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReconcileRules:
        """Rules from their JSON form; missing keys keep the defaults (a given ``per_property`` replaces the
        default overrides; given ``tolerances`` add to the defaults). Raises InputError when invalid."""
        if not isinstance(data, Mapping):
            raise InputError("reconciliation rules must be a JSON object")
        default = cls()
        try:
            tolerances = dict(default.tolerances)
            for prop, tol in dict(data.get("tolerances", {})).items():
                tolerances[prop] = Tolerance(float(tol["amount"]), tol.get("unit"), bool(tol.get("relative", False)))
            return cls(
                order=tuple(data.get("order", default.order)),
                source_priority=tuple(data.get("source_priority", default.source_priority)),
                method_priority=tuple(data.get("method_priority", default.method_priority)),
                per_property={k: {kk: tuple(vv) if isinstance(vv, list | tuple) else vv for kk, vv in dict(v).items()}
                              for k, v in dict(data.get("per_property", default.per_property)).items()},
                tolerances=tolerances,
                version=int(data.get("version", 1)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"invalid reconciliation rules: {exc}") from exc


DEFAULT_RULES = ReconcileRules()


def load_rules(project: Project) -> ReconcileRules:
    """The rules saved in the project, or the defaults."""
    stored = project.view_state.get(RULES_KEY)
    return DEFAULT_RULES if stored is None else ReconcileRules.from_dict(stored)


def save_rules(project: Project, rules: ReconcileRules) -> None:
    project.view_state.set(RULES_KEY, rules.to_dict())


def rules_from_file(path: Path | str) -> ReconcileRules:
    """Rules from a JSON file (the ``--rules FILE`` of ``cryodesk reconcile``)."""
    try:
        data = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read reconciliation rules from {path}: {exc}") from exc
    return ReconcileRules.from_dict(data)


# ------------------------------------------------------------------------------------ deciding
@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored value taking part in a decision, converted into the decision's unit."""

    value_id: int
    value: float
    source: str
    source_record_id: str
    method: str
    retrieved_at: str
    stored_value: float
    stored_unit: str | None


@dataclass(frozen=True)
class Decision:
    """How one compound's property was reconciled.

    Attributes:
        value: the reconciled value in ``unit`` (the mean of the winners).
        winners: ids of the winning stored values (two for an even-sized median).
        rule: the rule chain that chose them (``+``-joined), ``agreement`` or ``only_value``.
        candidates: every numeric value considered, converted.
        unconvertible: ids of values whose unit cannot be converted into ``unit``.
        spread: largest minus smallest candidate; ``conflict`` when it exceeds the tolerance.
        sd: standard deviation of the replicates the median was taken over (None for one value).
        recorded: True when read from the winners a reconcile run recorded, False when decided live.
    """

    compound_id: int
    property: str
    unit: str | None
    value: float
    winners: tuple[int, ...]
    rule: str
    candidates: tuple[Candidate, ...]
    unconvertible: tuple[int, ...] = ()
    spread: float = 0.0
    conflict: bool = False
    tolerance: float = 0.0
    sd: float | None = None
    recorded: bool = False

    @property
    def n_sources(self) -> int:
        return len({c.source for c in self.candidates})

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["n_sources"] = self.n_sources
        return out


def _candidates(rows: Sequence[ValueRow], unit: str | None) -> tuple[list[Candidate], list[int]]:
    out, bad = [], []
    for r in rows:
        if r.value is None or not math.isfinite(r.value):
            continue
        converted = convert_value(r.value, r.unit, unit)
        if converted is None:
            bad.append(r.id)
            continue
        out.append(Candidate(r.id, converted, r.source, r.source_record_id, r.method, r.retrieved_at or "",
                             r.value, r.unit))
    return out, bad


def _source_rank(source: str, priority: Sequence[str]) -> int:
    for i, pattern in enumerate(priority):
        if source == pattern or fnmatchcase(source, pattern):
            return i
    return len(priority)


def _keep_best(pool: list[Candidate], key) -> list[Candidate]:
    best = min(key(c) for c in pool)
    return [c for c in pool if key(c) == best]


def _median_winners(pool: list[Candidate]) -> list[Candidate]:
    ordered = sorted(pool, key=lambda c: (c.value, c.value_id))
    n = len(ordered)
    return ordered[(n - 1) // 2: n // 2 + 1]


def _narrow(pool: list[Candidate], rule: str, rules: ReconcileRules) -> list[Candidate]:
    if rule == "measured_over_predicted":
        methods = rules.method_priority
        return _keep_best(pool, lambda c: methods.index(c.method) if c.method in methods else len(methods))
    if rule == "source_priority":
        return _keep_best(pool, lambda c: _source_rank(c.source, rules.source_priority))
    latest = max(c.retrieved_at for c in pool)  # recency
    return [c for c in pool if c.retrieved_at == latest]


def _apply_rules(candidates: list[Candidate], rules: ReconcileRules) -> tuple[list[Candidate], list[str], float | None]:
    """Narrow the candidates rule by rule: (winners, the rules that narrowed, sd of the median's replicates)."""
    pool, steps, replicate_sd = list(candidates), [], None
    order = list(rules.order)
    if "median_of_replicates" not in order:
        order.append("median_of_replicates")  # something must break a tie between differing values
    for rule in order:
        if len(pool) <= 1:
            break
        if rule == "median_of_replicates":
            if len({c.value for c in pool}) > 1:
                # The median of two values keeps both (their mean): it still is the rule that decided.
                replicate_sd = statistics.stdev(c.value for c in pool)
                steps.append(rule)
                pool = _median_winners(pool)
            continue
        narrowed = _narrow(pool, rule, rules)
        if len(narrowed) < len(pool):
            steps.append(rule)
            pool = narrowed
    return pool, steps, replicate_sd


def decide(rows: Sequence[ValueRow], rules: ReconcileRules, unit: str | None = None) -> Decision | None:
    """Reconcile the numeric values of one compound's property (None when there is no numeric value).

    Args:
        rows: the stored values of one (compound, property).
        rules: the rules (their per-property overrides are applied here).
        unit: the unit to compare and report in (default: :func:`display_unit` of the rows).
    """
    numeric = [r for r in rows if r.value is not None]
    if not numeric:
        return None
    prop = numeric[0].property
    unit = unit if unit is not None else display_unit(prop, (r.unit for r in numeric))
    candidates, unconvertible = _candidates(numeric, unit)
    if not candidates:
        return None
    rules = rules.for_property(prop)
    pool, steps, replicate_sd = _apply_rules(candidates, rules)
    values = [c.value for c in candidates]
    spread = max(values) - min(values)
    tol = rules.tolerance(prop).limit(unit, max(abs(v) for v in values))
    if len(candidates) == 1:
        chain = ONLY_VALUE
    else:
        chain = "+".join(steps) if steps else AGREEMENT
    return Decision(
        compound_id=numeric[0].compound_id, property=prop, unit=unit, value=statistics.fmean(c.value for c in pool),
        winners=tuple(c.value_id for c in pool), rule=chain, candidates=tuple(candidates),
        unconvertible=tuple(unconvertible), spread=spread, conflict=spread > tol + 1e-9, tolerance=tol,
        sd=replicate_sd,
    )


def group_rows(rows: Iterable[ValueRow]) -> dict[tuple[int, str], list[ValueRow]]:
    groups: dict[tuple[int, str], list[ValueRow]] = {}
    for r in rows:
        groups.setdefault((r.compound_id, r.property), []).append(r)
    return groups


# ---------------------------------------------------------------------------------- the job
@dataclass
class PropertyOutcome:
    property: str
    unit: str | None
    groups: int = 0
    conflicts: int = 0
    flags_changed: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    unconvertible: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReconcileSummary:
    job_id: int | None
    rules: dict[str, Any]
    properties: list[PropertyOutcome] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _without_reconciled(flags: Sequence[str]) -> list[str]:
    return [f for f in flags if not f.startswith(RECONCILED_FLAG)]


def _flag_updates(groups: Mapping[tuple[int, str], list[ValueRow]],
                  decisions: Mapping[tuple[int, str], Decision]) -> list[tuple[int, str]]:
    updates = []
    for key, rows in groups.items():
        decision = decisions.get(key)
        winners = set(decision.winners) if decision else set()
        for r in rows:
            flags = _without_reconciled(r.flag_list)
            if r.id in winners:
                flags.append(RECONCILED_FLAG + decision.rule)
            joined = ",".join(flags)
            if joined != r.flags:
                updates.append((r.id, joined))
    return updates


class ReconcileJob:
    """The ``reconcile`` job: decide every multi-valued (compound, property) and record the winners."""

    kind = "reconcile"

    def __init__(self, rules: ReconcileRules | None = None, properties: Sequence[str] | None = None,
                 n_examples: int = 10) -> None:
        self.rules = rules
        self.properties = tuple(properties) if properties else None
        self.n_examples = n_examples

    def params(self) -> dict[str, Any]:
        return {"rules": (self.rules or DEFAULT_RULES).to_dict(), "properties": list(self.properties or [])}

    def fingerprint(self) -> str | None:
        return None  # a run is cheap and always re-reads the current values: nothing to resume

    def run(self, ctx: JobContext) -> ReconcileSummary:
        project = ctx.project
        rules = self.rules or load_rules(project)
        props = list(self.properties or qq.numeric_properties(project.db))
        summary = ReconcileSummary(ctx.job_id, rules.to_dict())
        for i, prop in enumerate(props):
            ctx.raise_if_stopped()
            ctx.progress(i, len(props), f"reconciling {prop}")
            summary.properties.append(self._one_property(project, ctx.job_id, prop, rules))
        ctx.progress(len(props), len(props), "done")
        project.jobs.merge_metrics(ctx.job_id, {"reconcile": {p.property: _metric(p) for p in summary.properties}})
        return summary

    def _one_property(self, project: Project, job_id: int, prop: str, rules: ReconcileRules) -> PropertyOutcome:
        with project.db.transaction():  # decisions, flags and the run's watermark are one unit
            high_water = qq.max_value_id(project.db, prop)
            rows = qq.numeric_values(project.db, prop, multi_only=True)
            # A flag left on a group that no longer has several values (its compound lost values) is cleared.
            multi = {(r.compound_id, r.property) for r in rows}
            stale = [r for r in qq.flagged_values(project.db, prop, RECONCILED_FLAG)
                     if (r.compound_id, r.property) not in multi]
            groups = group_rows([*rows, *stale])
            unit = display_unit(prop, (r.unit for r in rows))
            decisions = {k: d for k, g in groups.items() if (d := decide(g, rules, unit)) is not None and len(g) > 1}
            changed = qq.set_flags(project.db, _flag_updates(groups, decisions))
            state = dict(project.view_state.get(STATE_KEY, {}) or {})
            state[prop] = {"max_value_id": high_water, "job_id": job_id, "at": utc_now_iso(), "unit": unit}
            project.view_state.set(STATE_KEY, state)
        outcome = PropertyOutcome(prop, unit, groups=len(decisions), flags_changed=changed)
        outcome.by_rule = dict(Counter(d.rule for d in decisions.values()).most_common())
        outcome.conflicts = sum(d.conflict for d in decisions.values())
        outcome.unconvertible = sum(len(d.unconvertible) for d in decisions.values())
        outcome.examples = _examples(project, [d for d in decisions.values() if d.conflict], self.n_examples)
        return outcome


def _metric(p: PropertyOutcome) -> dict[str, Any]:
    return {"groups": p.groups, "conflicts": p.conflicts, "flags_changed": p.flags_changed, "by_rule": p.by_rule,
            "unit": p.unit}


def _examples(project: Project, decisions: Sequence[Decision], limit: int) -> list[dict[str, Any]]:
    biggest = sorted(decisions, key=lambda d: -d.spread)[:limit]
    names = qq.compound_keys(project.db, [d.compound_id for d in biggest])
    return [explain_decision(d, names.get(d.compound_id, ("", None))) for d in biggest]


def explain_decision(d: Decision, identity: tuple[str, str | None] = ("", None)) -> dict[str, Any]:
    """A readable, JSON-able account of one decision (winner, rule, every candidate)."""
    winners = set(d.winners)
    return {
        "compound": identity[1] or identity[0], "inchikey": identity[0], "property": d.property,
        "value": round(d.value, 4), "unit": d.unit, "rule": d.rule, "spread": round(d.spread, 4),
        "tolerance": round(d.tolerance, 4), "conflict": d.conflict, "recorded": d.recorded,
        "candidates": [
            {"value_id": c.value_id, "stored": f"{c.stored_value:g} {c.stored_unit or ''}".strip(),
             "converted": round(c.value, 4), "source": c.source, "record": c.source_record_id, "method": c.method,
             "winner": c.value_id in winners}
            for c in sorted(d.candidates, key=lambda c: (c.value_id not in winners, c.source, c.value_id))
        ],
    }


# ------------------------------------------------------------------------ reading "the value"
def reconciled_values(project: Project, prop: str, compound_ids: Sequence[int] | None = None,
                      unit: str | None = None, rules: ReconcileRules | None = None) -> dict[int, Decision]:
    """Compound id -> "the value" of ``prop`` (every compound with a numeric value, or ``compound_ids``).

    The recorded winners of the last reconcile run are used where they still cover the group (no value
    of that compound was stored after the run); other groups are decided live with the saved rules.
    """
    rows = qq.numeric_values(project.db, prop, compound_ids)
    if not rows:
        return {}
    rules = rules or load_rules(project)
    unit = unit if unit is not None else display_unit(prop, (r.unit for r in rows))
    state = (project.view_state.get(STATE_KEY, {}) or {}).get(prop) or {}
    high_water = int(state.get("max_value_id", -1))
    out: dict[int, Decision] = {}
    for (compound_id, _), group in group_rows(rows).items():
        decision = _recorded(group, unit, rules, high_water) or decide(group, rules, unit)
        if decision is not None:
            out[compound_id] = decision
    return out


def _recorded(group: list[ValueRow], unit: str | None, rules: ReconcileRules, high_water: int) -> Decision | None:
    """The decision a reconcile run recorded for this group, if it still covers every value."""
    if len(group) < 2 or any(r.id > high_water for r in group):
        return None
    winners = [r for r in group if any(f.startswith(RECONCILED_FLAG) for f in r.flag_list)]
    if not winners:
        return None
    live = decide(group, rules, unit)  # spread/candidates; the value and rule come from the record
    converted = [convert_value(r.value, r.unit, unit) for r in winners]
    if live is None or any(v is None for v in converted):
        return None
    rule = next(f for f in winners[0].flag_list if f.startswith(RECONCILED_FLAG))[len(RECONCILED_FLAG):]
    return replace(live, value=statistics.fmean(converted), winners=tuple(r.id for r in winners), rule=rule,
                   recorded=True)


def the_value(project: Project, compound_id: int, prop: str, unit: str | None = None) -> Decision | None:
    """"The value" of one compound's property (see :func:`reconciled_values`)."""
    return reconciled_values(project, prop, [compound_id], unit).get(compound_id)


def explain(project: Project, compound_id: int, prop: str) -> dict[str, Any] | None:
    """The decision for one compound's property, with every candidate, as JSON-able data."""
    decision = the_value(project, compound_id, prop)
    if decision is None:
        return None
    identity = qq.compound_keys(project.db, [compound_id]).get(compound_id, ("", None))
    return explain_decision(decision, identity)


def reconcile_state(project: Project) -> dict[str, Any]:
    """Per property: the job, time and value watermark of its last reconcile run."""
    return dict(project.view_state.get(STATE_KEY, {}) or {})


# ============================================================================ scoring (engine side)
PROFILES_KEY = "scoring.profiles"
TOX21_FRACTION = "tox21_active_fraction"


def profiles(project: Project) -> dict[str, Profile]:
    """Built-in profiles (the default "CPA candidate") and the ones saved in the project, by name."""
    from cryodesk.ml.scoring import BUILTIN_PROFILES, Profile

    saved = project.view_state.get(PROFILES_KEY, {}) or {}
    out = dict(BUILTIN_PROFILES)
    for name, data in saved.items():
        try:
            out[name] = Profile.from_dict(data)
        except ValueError as exc:  # a hand-edited project must not hide every other profile
            log.warning("profile %r in %s is not valid: %s", name, project.path, exc)
    return out


def get_profile(project: Project, name: str) -> Profile:
    found = profiles(project)
    if name not in found:
        raise InputError(f"no scoring profile named {name!r}; known: {', '.join(sorted(found))}")
    return found[name]


def save_profile(project: Project, profile: Profile, replace_existing: bool = False) -> None:
    """Save a profile in the project. Built-in names are reserved; an existing name needs ``replace_existing``."""
    from cryodesk.ml.scoring import BUILTIN_PROFILES

    if profile.name in BUILTIN_PROFILES:
        raise InputError(f"{profile.name!r} is a built-in profile: choose another name")
    saved = dict(project.view_state.get(PROFILES_KEY, {}) or {})
    if profile.name in saved and not replace_existing:
        raise InputError(f"a profile named {profile.name!r} exists (replace it explicitly)")
    saved[profile.name] = profile.to_dict()
    project.view_state.set(PROFILES_KEY, saved)


def delete_profile(project: Project, name: str) -> bool:
    saved = dict(project.view_state.get(PROFILES_KEY, {}) or {})
    if name not in saved:
        return False
    del saved[name]
    project.view_state.set(PROFILES_KEY, saved)
    return True


@dataclass(frozen=True)
class ScoreInput:
    """One input of one subject: value, standard deviation and where it came from."""

    value: float
    sd: float | None
    origin: str  # "reconciled:<rule>", "measured", "prediction:<model id>", "tox21 a/k active"


@dataclass(frozen=True)
class ScoredSubject:
    """A ranked compound or mixture."""

    key: str  # InChIKey or mixture name
    name: str | None
    rank: int
    score: float
    sd: float
    low: float
    high: float
    coverage: float
    desirability: dict[str, float | None]
    inputs: dict[str, ScoreInput]
    compound_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tox21_inputs(project: Project) -> dict[int, ScoreInput]:
    out = {}
    for compound_id, (tested, active) in qq.assay_active_counts(project.db, "tox21:").items():
        # Laplace-smoothed share for the spread, so a compound with 0 of 2 actives is not "certain".
        p = (active + 1) / (tested + 2)
        out[compound_id] = ScoreInput(active / tested, math.sqrt(p * (1 - p) / tested), f"tox21 {active}/{tested} active")
    return out


def _property_inputs(project: Project, key: str, unit: str | None, default_sd: float | None,
                     compound_ids: Sequence[int] | None) -> dict[int, ScoreInput]:
    out: dict[int, ScoreInput] = {}
    for compound_id, d in reconciled_values(project, key, compound_ids, unit).items():
        sd = d.sd if d.sd is not None and len(d.winners) < len(d.candidates) else default_sd
        out[compound_id] = ScoreInput(d.value, sd, f"reconciled:{d.rule}")
    return out


#: A stored regression uncertainty is the half-width of a 90 % conformal interval: sd = half-width / z(0.95).
PREDICTION_HALF_WIDTH_Z = 1.6449


def _prediction_inputs(project: Project, key: str, unit: str | None,
                       compound_keys: Mapping[int, tuple[str, str | None]], have: set[int]) -> dict[int, ScoreInput]:
    """Predictions of the promoted model of ``key`` for the compounds without a stored value.

    Models are trained in the property's default unit (``cryodesk.engine.training``), so values are
    converted from it; the interval half-width becomes a standard deviation.
    """
    missing = {cid: k for cid, (k, _) in compound_keys.items() if cid not in have}
    found = qq.promoted_predictions(project.db, key, list(missing.values())) if missing else {}
    info = property_info(key)
    model_unit = info.default_unit if info else unit
    by_key = {k: cid for cid, k in missing.items()}
    out: dict[int, ScoreInput] = {}
    for k, (value, half_width) in found.items():
        converted = convert_value(value, model_unit, unit)
        if converted is None:
            continue
        sd = None
        if half_width is not None:
            scale = abs((convert_value(1.0, model_unit, unit) or 1.0) - (convert_value(0.0, model_unit, unit) or 0.0))
            sd = abs(half_width) * scale / PREDICTION_HALF_WIDTH_Z
        out[by_key[k]] = ScoreInput(converted, sd, "prediction (promoted model)")
    return out


def score_compounds(project: Project, profile: Profile, compound_ids: Sequence[int] | None = None, *,
                    method: str = "mc", n_samples: int = 1000, seed: int = 0,
                    use_predictions: bool = True) -> list[ScoredSubject]:
    """Rank compounds under ``profile``: best first, those below its ``min_coverage`` last.

    Inputs are "the value" of each property (measurement over prediction: a promoted model's stored
    prediction fills in only where no value is stored), and the Tox21 active share for
    ``tox21_active_fraction``. Without ``compound_ids`` every compound with at least one input (a stored
    value, Tox21 results or, with ``use_predictions``, a cached prediction) is scored.
    """
    import numpy as np

    from cryodesk.ml.scoring import score

    per_term: list[dict[int, ScoreInput]] = []
    for term in profile.terms:
        if term.key == TOX21_FRACTION:
            per_term.append(_tox21_inputs(project))
        else:
            per_term.append(_property_inputs(project, term.key, term.unit, term.default_sd, compound_ids))
    if compound_ids is None:
        found = set().union(*per_term)
        if use_predictions:  # a warmed prediction cache puts the whole library into the ranking
            for term in profile.terms:
                if term.key != TOX21_FRACTION:
                    found.update(qq.predicted_compound_ids(project.db, term.key))
        ids = sorted(found)
    else:
        ids = list(dict.fromkeys(compound_ids))
    identities = qq.compound_keys(project.db, ids)
    if use_predictions:
        for term, inputs in zip(profile.terms, per_term, strict=True):
            if term.key != TOX21_FRACTION:
                inputs.update(_prediction_inputs(project, term.key, term.unit, identities, set(inputs)))
    values = np.array([[t[cid].value if cid in t else np.nan for t in per_term] for cid in ids]).reshape(
        len(ids), len(per_term))
    sds = np.array([[_sd(t, cid) for t in per_term] for cid in ids]).reshape(len(ids), len(per_term))
    result = score(profile, values, sds, method=method, n_samples=n_samples, seed=seed)
    subjects = [(identities.get(cid, ("", None)), {term.key: t[cid] for term, t in zip(profile.terms, per_term,
                                                                                    strict=True) if cid in t}, cid)
                for cid in ids]
    return _ranked(profile, result, subjects)


def _sd(inputs: Mapping[int, ScoreInput], key: int) -> float:
    item = inputs.get(key)
    return math.nan if item is None or item.sd is None else float(item.sd)


def score_mixtures(project: Project, profile: Profile, names: Sequence[str] | None = None, *,
                   method: str = "mc", n_samples: int = 1000, seed: int = 0) -> list[ScoredSubject]:
    """Rank mixtures under ``profile`` from their measured properties (median of the stored values)."""
    import numpy as np

    from cryodesk.ml.scoring import score

    per_term: list[dict[str, ScoreInput]] = []
    for term in profile.terms:
        inputs: dict[str, ScoreInput] = {}
        for name, stored in qq.mixture_values(project.db, term.key).items():
            converted = [v for v in (convert_value(x, u, term.unit) for x, u, _ in stored) if v is not None]
            if converted:
                sd = statistics.stdev(converted) if len(converted) > 1 else term.default_sd
                inputs[name] = ScoreInput(statistics.median(converted), sd, f"measured ({len(converted)} values)")
        per_term.append(inputs)
    chosen = list(names) if names is not None else sorted(set().union(*per_term))
    values = np.array([[t[n].value if n in t else np.nan for t in per_term] for n in chosen]).reshape(
        len(chosen), len(per_term))
    sds = np.array([[math.nan if n not in t or t[n].sd is None else t[n].sd for t in per_term]
                    for n in chosen]).reshape(len(chosen), len(per_term))
    result = score(profile, values, sds, method=method, n_samples=n_samples, seed=seed)
    subjects = [((n, n), {term.key: t[n] for term, t in zip(profile.terms, per_term, strict=True) if n in t}, None)
                for n in chosen]
    return _ranked(profile, result, subjects)


def _ranked(profile: Profile, result: ScoreResult,
            subjects: Sequence[tuple[tuple[str, str | None], dict[str, ScoreInput], int | None]]) -> list[ScoredSubject]:
    out = []
    for rank, i in enumerate(result.ranking(profile.min_coverage), start=1):
        (key, name), inputs, compound_id = subjects[i]
        desir = {t.key: (None if math.isnan(result.desirabilities[i, j]) else float(result.desirabilities[i, j]))
                 for j, t in enumerate(profile.terms)}
        out.append(ScoredSubject(key, name, rank, float(result.score[i]), float(result.sd[i]), float(result.low[i]),
                                 float(result.high[i]), float(result.coverage[i]), desir, inputs, compound_id))
    return out
