"""Engine calls behind the mixture designer: drafts, component resolution, live reports, comparison, saving.

The designer edits an unsaved :class:`~cryodesk.domain.Mixture` (a *draft*). Everything computed about a
draft goes through here so the GUI holds no chemistry: the composition breakdown and Gordon–Taylor Tg come
from :func:`cryodesk.engine.views.mixture_report` (the same numbers the mixtures view shows for stored
recipes), learned viscosity/viability predictions from ``Workbench.predict_mixture`` when the project's
engine offers it, and the interaction graph from the predictions' pair interactions (or, when nothing is
known about a pair, an explicit "no evidence" edge — never an invented one).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cryodesk.domain import ComponentRole, CryoDeskError, Mixture, MixtureComponent
from cryodesk.engine.views import MixtureReport, format_number, mixture_report

if TYPE_CHECKING:
    from cryodesk.engine.service import Workbench
    from cryodesk.store import Project

log = logging.getLogger(__name__)

USER_SOURCE = "user"
DRAFT_STATUS = "user design (not measured)"
#: (label shown to the user, unit string stored with the component); the stored strings are the ones
#: :func:`cryodesk.mixtures.parse_unit` reads, so a saved design round-trips unchanged.
UNIT_CHOICES: tuple[tuple[str, str], ...] = (
    ("% w/w", "% w/w"),
    ("% w/v", "% w/v"),
    ("% v/v", "% v/v"),
    ("mol/L", "M"),
    ("mol/kg", "m"),
    ("mole fraction", "x"),
)
ROLE_CHOICES: tuple[ComponentRole, ...] = tuple(ComponentRole)


class MixtureDesignError(CryoDeskError):
    """A draft cannot be saved or evaluated as asked (the message says which field and why)."""


def unit_label(unit: str | None) -> str:
    """The selector label of a stored unit string (``"M"`` -> ``"mol/L"``); unknown units pass through."""
    for label, stored in UNIT_CHOICES:
        if stored == unit:
            return label
    return unit or ""


# -- drafts ----------------------------------------------------------------------------------------------


def empty_draft(name: str = "New mixture") -> Mixture:
    return Mixture(name, (), DRAFT_STATUS)


def draft_from(wb: Workbench, reference: str) -> Mixture:
    """A copy of a stored mixture to edit: same components, status saying it is a user design based on it.

    Raises:
        MixtureDesignError: no stored mixture has that name.
    """
    stored = wb.mixture(reference)
    if stored is None:
        raise MixtureDesignError(f"No mixture named {reference!r} in this project")
    return Mixture(
        f"{stored.name} (modified)",
        stored.components,
        f"{DRAFT_STATUS}; based on {stored.name}",
        stored.citation,
        stored.carrier,
        stored.category,
        None,
        (),
    )


# -- component resolution --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedComponent:
    """What the resolver made of a name, CAS or SMILES typed into the designer.

    Attributes:
        query: the text as typed.
        name: the name to show (the project's compound name, else the resolver's, else the query).
        inchikey: the compound's standard InChIKey; None when unresolved.
        in_project: whether the project holds the compound (its stored constants and Tg are then used).
        method, confidence: how the resolver found it (see :mod:`cryodesk.engine.resolver`).
        message: one line for the user (what was found, or why not).
    """

    query: str
    name: str
    inchikey: str | None
    in_project: bool
    method: str | None
    confidence: float
    message: str

    @property
    def resolved(self) -> bool:
        return self.inchikey is not None


def resolve_component(wb: Workbench, text: str, *, offline: bool = True) -> ResolvedComponent:
    """Resolve a component typed by name, CAS or SMILES with the engine's resolver.

    ``offline`` keeps to the project, local structure parsing and OPSIN (fast, no network); the designer
    resolves while the user types, so an online look-up is left to the import dialogs.
    """
    query = text.strip()
    if not query:
        return ResolvedComponent(text, "", None, False, None, 0.0, "Type a name, CAS number or SMILES.")
    result = wb.resolve_identifiers([query], offline=offline)[0]
    if result.error or result.inchikey is None:
        why = result.error or "; ".join(result.messages) or "no strategy found it"
        return ResolvedComponent(
            query, query, None, False, result.method, 0.0, f"“{query}” not resolved: {why}"
        )
    stored = wb.project.compounds.get(result.inchikey)
    name = (stored.name if stored is not None and stored.name else None) or result.name or query
    where = "in this project" if stored is not None else "not in this project (no stored constants)"
    conflict = " — strategies disagree, check the alternatives" if result.conflict else ""
    message = (
        f"“{query}” → {name} ({result.inchikey}), {result.method}, confidence "
        f"{result.confidence:.2f}; {where}{conflict}"
    )
    return ResolvedComponent(
        query, name, result.inchikey, stored is not None, result.method, result.confidence, message
    )


# -- reports ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PredictedQuantity:
    """A learned prediction for a mixture, ready to show.

    ``available`` is False when no model is there yet; ``text`` then says so.
    """

    quantity: str  # "viscosity", "viability"
    available: bool
    value: float | None = None
    sigma: float | None = None
    lower: float | None = None
    upper: float | None = None
    unit: str = ""
    note: str = ""
    interval: str = ""  # what lower/upper are, e.g. "90 % conformal"

    @property
    def text(self) -> str:
        if not self.available or self.value is None:
            return self.note or "no model yet"
        if self.lower is not None and self.upper is not None:
            level = re.match(r"\s*(\d+(?:\.\d+)?\s*%)", self.interval)
            label = level.group(1) if level else "interval"
            spread = f" ({label} {format_number(self.lower)}–{format_number(self.upper)})"
        elif self.sigma is not None:
            spread = f" ± {format_number(self.sigma)}"
        else:
            spread = ""
        return f"{format_number(self.value)}{spread} {self.unit}".strip()


@dataclass(frozen=True, slots=True)
class GraphNode:
    name: str
    inchikey: str | None
    role: str
    mass_fraction: float | None


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """One drawn edge: ``sign`` +1/-1/0, ``strength`` >= 0 (0 and ``evidence=False`` = nothing known)."""

    a: int
    b: int
    sign: int
    strength: float
    confidence: float
    label: str
    evidence: bool


@dataclass(frozen=True, slots=True)
class MixtureGraph:
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    note: str


@dataclass(frozen=True)
class DesignReport:
    """Everything the designer shows for a draft."""

    mixture: Mixture
    report: MixtureReport
    predictions: tuple[PredictedQuantity, ...]
    graph: MixtureGraph
    prediction_note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def prediction(self, quantity: str) -> PredictedQuantity | None:
        return next((p for p in self.predictions if p.quantity == quantity), None)


class _DraftView:
    """The workbench as :func:`mixture_report` sees it, with the draft in place of a stored mixture.

    ``mixture_report`` reads the recipe by name and everything else from the project; handing it this view
    gives a draft the very numbers (store constants, Tg inputs, bases) a stored recipe gets.
    """

    def __init__(self, wb: Workbench, draft: Mixture) -> None:
        self.project = wb.project
        self._draft = draft

    def mixture(self, name: str) -> Mixture | None:
        return self._draft if name == self._draft.name else None


def design_report(wb: Workbench, draft: Mixture) -> DesignReport:
    """Breakdown, Tg estimate with uncertainty, learned predictions and interaction graph of a draft."""
    report = mixture_report(_DraftView(wb, draft), draft.name)  # type: ignore[arg-type]
    assert report is not None  # the view always knows its draft
    predictions, note, pairs = _model_predictions(wb, draft)
    if not pairs:
        pairs = viscosity_pair_edges(
            wb,
            [
                c.inchikey
                for c in draft.components
                if c.inchikey and c.role not in (ComponentRole.WATER, ComponentRole.CARRIER)
            ],
        )
    return DesignReport(draft, report, predictions, mixture_graph(report, pairs), note)


PAIR_T_K = 298.15
CONFORMAL_Z = 1.645  # the viscosity model's default 90 % interval -> 1σ


def viscosity_pair_edges(wb: Workbench, keys: Sequence[str], temperature_K: float = PAIR_T_K) -> list[Any]:
    """Estimated viscosity-excess edges between the mixture's compounds, from the project's learned viscosity model.

    For each pair whose pure liquids the model knows, the equimolar binary's predicted log10 η minus the
    ideal (Arrhenius / Grunberg–Nissan, G12 = 0) mixing of the pure values: positive = more viscous than
    ideal (red), negative = less (blue); strength |Δlog10 η|; confidence from the conformal interval
    (see :func:`cryodesk.mixtures.synergy.classify_excess`). Edges are ``estimated``, never measured.
    Empty when the project has no promoted viscosity model.
    """
    import itertools

    model = _viscosity_model(wb)
    if model is None or len(keys) < 2:
        return []
    from cryodesk.mixtures.interaction_graph import EdgeSource, InteractionEdge, InteractionType
    from cryodesk.mixtures.synergy import ReferenceModel, classify_excess

    edges = []
    for a, b in itertools.combinations(sorted(set(keys)), 2):
        if a not in model.pure or b not in model.pure:
            continue  # no pure-liquid fit: the ideal reference is unknown, so is the excess
        pred = model.predict([(a, 0.5), (b, 0.5)], temperature_K)
        ideal = pred.get("ideal_log10_cp")
        if ideal is None or not math.isfinite(float(ideal)):
            continue
        excess = float(pred["log10_cp"]) - float(ideal)
        lower, upper = pred.get("lower"), pred.get("upper")
        sigma = None if lower is None or upper is None else (float(upper) - float(lower)) / (2 * CONFORMAL_Z)
        sign, confidence = classify_excess(excess, sigma)
        edges.append(
            InteractionEdge(
                a,
                b,
                InteractionType.VISCOSITY_EXCESS,
                abs(excess),
                sign,
                EdgeSource.ESTIMATED,
                confidence,
                f"mixture_viscosity model, equimolar binary at {temperature_K:g} K",
                excess,
                "Δlog10 η",
                ReferenceModel.GRUNBERG_NISSAN_IDEAL.value,
            )
        )
    return edges


def _viscosity_model(wb: Workbench) -> Any:
    """The promoted viscosity model, loaded (hash-checked) once per model version and workbench."""
    try:
        from cryodesk.engine.mixtures import VISCOSITY_MODEL, load_viscosity_model
    except ImportError:
        return None
    row = wb.project.models.promoted(VISCOSITY_MODEL)
    if row is None:
        return None
    cached = getattr(wb, "_design_viscosity_model", None)
    if cached is not None and cached[0] == (row.id, row.artefact_sha256):
        return cached[1]
    model, _why = load_viscosity_model(wb)
    wb._design_viscosity_model = ((row.id, row.artefact_sha256), model)  # type: ignore[attr-defined]
    return model


# tg_prime: the physics estimate of Tg′ (one solute in water) that predict_mixture returns beside the models.
QUANTITIES = ("tg_prime", "viscosity", "viability")
QUANTITY_LABELS = {"tg_prime": "Tg′ (K), freeze-concentrated", "viscosity": "viscosity", "viability": "viability"}


def _model_predictions(wb: Workbench, draft: Mixture) -> tuple[tuple[PredictedQuantity, ...], str, list[Any]]:
    predict = getattr(wb, "predict_mixture", None)
    if predict is None:
        missing = tuple(PredictedQuantity(q, False, note="no model yet") for q in QUANTITIES)
        return missing, "No learned mixture models in this version of the engine.", []
    if not draft.components:
        return tuple(PredictedQuantity(q, False, note="add components") for q in QUANTITIES), "", []
    try:
        prediction = predict(draft)
    except (CryoDeskError, ValueError) as exc:
        return (
            tuple(PredictedQuantity(q, False, note=f"not predicted: {exc}") for q in QUANTITIES),
            str(exc),
            [],
        )
    return _read_prediction(prediction)


def _read_prediction(prediction: Any) -> tuple[tuple[PredictedQuantity, ...], str, list[Any]]:
    """Turn the engine's :class:`~cryodesk.engine.mixtures.MixturePrediction` into what the designer shows."""
    problems: dict[str, tuple[str, ...]] = dict(getattr(prediction, "problems", {}) or {})
    out = []
    for quantity in QUANTITIES:
        item = getattr(prediction, quantity, None)
        if item is None:
            reasons = problems.get(quantity, ())
            if quantity == "tg_prime" and not reasons:  # a physics estimate: there is no model to train
                reasons = ("not estimated for this mixture",)
            out.append(PredictedQuantity(quantity, False, note=_missing_text(reasons)))
            continue
        notes = "; ".join(str(n) for n in getattr(item, "notes", ()) or ())
        domain = getattr(item, "in_domain", None)
        note = "; ".join(
            filter(
                None,
                (
                    f"{getattr(item, 'interval', '')}",
                    getattr(item, "basis", ""),
                    "outside the model's applicability domain" if domain is False else "",
                    notes,
                ),
            )
        )
        value, lower, upper, unit = item.value, item.lower, item.upper, item.unit
        if unit == "log10(cP)":  # lab users read viscosity in mPa·s; the interval maps through 10**x
            value, lower, upper = (None if v is None else 10.0**v for v in (value, lower, upper))
            unit = "mPa·s"
        interval = str(getattr(item, "interval", "") or "")
        out.append(
            PredictedQuantity(quantity, value is not None, value, None, lower, upper, unit, note, interval)
        )
    extra = [
        f"{k}: {'; '.join(v)}" for k, v in problems.items() if k not in ("tg", "composition", *QUANTITIES)
    ]
    pairs = list(getattr(prediction, "interactions", None) or [])
    return tuple(out), "; ".join(extra), pairs


def _missing_text(reasons: Sequence[str]) -> str:
    """ "no model yet (...)" when the project has no such model, else the engine's reason."""
    text = "; ".join(r for r in reasons if r)
    if not text:
        return "no model yet"
    if text.startswith("no mixture_"):
        return f"no model yet ({text.split(': ', 1)[-1]})" if ": " in text else "no model yet"
    return f"not predicted: {text}"


def mixture_graph(report: MixtureReport, pairs: Sequence[Any] = ()) -> MixtureGraph:
    """Nodes: the components (water and undefined carriers left out; size = mass fraction). Edges: one per
    pair of nodes, from the engine's pair interactions when it has any, else drawn as "no evidence"."""
    fractions = (
        report.tg.mass_fractions
        if report.tg is not None
        else (
            report.breakdown.mass_fractions()
            if report.breakdown is not None and not report.breakdown.partial
            else {}
        )
    )
    nodes = tuple(
        GraphNode(c.name, c.inchikey, c.role.value, fractions.get(c.name))
        for c in report.mixture.components
        if c.role not in (ComponentRole.WATER, ComponentRole.CARRIER)
    )
    known = _pair_index(pairs)
    edges = []
    for i in range(len(nodes)):
        for j in range(i + 1, len(nodes)):
            pair = known.get(frozenset((_node_key(nodes[i]), _node_key(nodes[j]))))
            if pair is None:
                edges.append(GraphEdge(i, j, 0, 0.0, 0.0, "no evidence", False))
            else:
                edges.append(GraphEdge(i, j, *pair))
    evidence = sum(e.evidence for e in edges)
    if not edges:
        note = "Add two or more solutes to see their interactions."
    elif evidence:
        note = (
            f"{evidence} of {len(edges)} pairs have an interaction estimate (red: above the additive "
            "expectation, blue: below; width: strength; hover for the number); dashed pairs have no data."
        )
    else:
        note = (
            f"None of the {len(edges)} pairs has measured or predicted interaction data in this project: "
            "they are drawn as dashed grey lines (unexplored), not guessed."
        )
    return MixtureGraph(nodes, tuple(edges), note)


def _node_key(node: GraphNode) -> str:
    return node.inchikey or node.name


def _pair_index(pairs: Sequence[Any]) -> dict[frozenset[str], tuple[int, float, float, str, bool]]:
    """Pair interactions keyed by their two compounds; accepts InteractionEdge-like records."""
    index: dict[frozenset[str], tuple[int, float, float, str, bool]] = {}
    for p in pairs:
        a, b = getattr(p, "a", None), getattr(p, "b", None)
        if not a or not b:
            continue
        sign = int(getattr(p, "sign", 0) or 0)
        strength = float(getattr(p, "strength", 0.0) or 0.0)
        confidence = float(getattr(p, "confidence", 0.0) or 0.0)
        kind = str(getattr(p, "interaction_type", "") or "").replace("_", " ")
        units = str(getattr(p, "units", "") or "")
        source = str(getattr(p, "source", "") or "")
        label = (
            f"{kind} {'+' if sign > 0 else '−' if sign < 0 else '±'}{format_number(strength)} {units} "
            f"({source}, confidence {confidence:.2f})"
        ).strip()
        key = frozenset((a, b))
        if key not in index or strength > index[key][1]:
            index[key] = (sign, strength, confidence, label, True)
    return index


# -- comparison ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """Mixtures side by side: ``columns`` are the mixture names, each row a label and one cell per mixture."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


def compare_mixtures(wb: Workbench, mixtures: Sequence[Mixture | str]) -> Comparison:
    """Composition (as given, with % w/w where known) and predictions of several mixtures side by side.

    Raises:
        MixtureDesignError: a named mixture is not in the project.
    """
    drafts = []
    for m in mixtures:
        if isinstance(m, str):
            stored = wb.mixture(m)
            if stored is None:
                raise MixtureDesignError(f"No mixture named {m!r} in this project")
            m = stored
        drafts.append(m)
    reports = [design_report(wb, m) for m in drafts]
    # One row per compound (by InChIKey, so "DMSO" and "Dimethyl sulfoxide" share a row); undefined
    # materials (carriers) by name. The row is labelled with the first name met.
    labels: dict[str, str] = {}
    for m in drafts:
        for c in m.components:
            labels.setdefault(_row_key(c), c.name)
    rows: list[tuple[str, tuple[str, ...]]] = []
    for key, label in labels.items():
        rows.append((label, tuple(_component_cell(r, key) for r in reports)))
    rows.append(("total solutes (% w/v)", tuple(_total_wv(r.report) for r in reports)))
    rows.append(
        (
            "total solutes (mass fraction)",
            tuple(
                "—" if r.report.solute_fraction is None else f"{r.report.solute_fraction:.3f}"
                for r in reports
            ),
        )
    )
    rows.append(("Tg (K), Gordon–Taylor ± 1σ", tuple(_tg_cell(r.report) for r in reports)))
    for quantity in QUANTITIES:
        rows.append((QUANTITY_LABELS[quantity], tuple(_prediction_cell(r, quantity) for r in reports)))
    rows.append(("status", tuple(m.status for m in drafts)))
    return Comparison(tuple(m.name for m in drafts), tuple(rows))


def _row_key(component: MixtureComponent) -> str:
    return component.inchikey or f"name:{component.name.casefold()}"


def _component_cell(report: DesignReport, key: str) -> str:
    comp = next((c for c in report.mixture.components if _row_key(c) == key), None)
    if comp is None:
        return ""
    given = "remainder" if comp.amount is None else f"{format_number(comp.amount)} {unit_label(comp.unit)}"
    b = report.report.breakdown
    if b is not None and not b.partial and comp.unit != "% w/w":
        try:
            ww = b.row(comp.name).percent_ww
        except KeyError:
            ww = None
        if ww is not None:
            return f"{given} ({ww:.1f} % w/w)"
    return given


def _total_wv(report: MixtureReport) -> str:
    b = report.breakdown
    return "—" if b is None else f"{b.total_solute_percent_wv():.1f}"


def _tg_cell(report: MixtureReport) -> str:
    tg = report.tg
    return "—" if tg is None else f"{tg.tg_K:.1f} ± {tg.sigma_K:.1f}"


def _prediction_cell(report: DesignReport, quantity: str) -> str:
    p = report.prediction(quantity)
    return "no model yet" if p is None else p.text


# -- saving ----------------------------------------------------------------------------------------------


def validate_draft(draft: Mixture) -> list[str]:
    """Why a draft cannot be saved, one reason per field (empty when it can)."""
    problems = []
    if not draft.name.strip():
        problems.append("name: empty")
    if not draft.components:
        problems.append("components: none")
    for i, c in enumerate(draft.components, start=1):
        where = f"component {i} ({c.name or '?'})"
        if not c.name.strip():
            problems.append(f"{where}, name: empty")
        if c.amount is not None and (not math.isfinite(c.amount) or c.amount < 0):
            problems.append(f"{where}, amount: {c.amount} is not a non-negative number")
        if c.amount is not None and not c.unit:
            problems.append(f"{where}, unit: missing for amount {c.amount}")
    return problems


def save_mixture(project: Project, draft: Mixture, source: str = USER_SOURCE) -> Mixture:
    """Store a designed mixture under its name; the stored copy is returned.

    A name already in the project is refused: stored recipes (the reference mixtures included) are never
    rewritten, so a design is saved under a new name.

    Raises:
        MixtureDesignError: the draft is incomplete (field and reason named) or the name is taken.
    """
    draft = replace(draft, name=draft.name.strip())
    problems = validate_draft(draft)
    if problems:
        raise MixtureDesignError("Cannot save the mixture: " + "; ".join(problems))
    if project.read_only:
        raise MixtureDesignError("Cannot save the mixture: the project is open read-only")
    if project.mixtures.get(draft.name) is not None:
        raise MixtureDesignError(
            f"A mixture named {draft.name!r} is already in the project; choose another name"
        )
    if project.mixtures.upsert_many([draft], source) != 1:
        raise MixtureDesignError(f"The mixture {draft.name!r} was not stored (it appeared meanwhile)")
    stored = project.mixtures.get(draft.name)
    assert stored is not None
    return stored


def with_component(draft: Mixture, component: MixtureComponent, index: int | None = None) -> Mixture:
    """The draft with ``component`` inserted at ``index`` (appended when None)."""
    parts = list(draft.components)
    parts.insert(len(parts) if index is None else index, component)
    return replace(draft, components=tuple(parts))
