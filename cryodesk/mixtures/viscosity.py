"""Learned viscosity of liquid mixtures: a Grunberg–Nissan physics core plus a learned excess.

Physics first: log10 η of an ideal mixture is the mole-fraction average of the pure components' log10 η at
the same temperature (the Arrhenius/Grunberg–Nissan rule with G12 = 0). The pure liquids and the pair
parameters G12 of every training binary are solved jointly (:mod:`cryodesk.mixtures.viscosity_gn`):
Andrade lines ``log10 η = A + B/T`` from the pure rows, extrapolated from the binaries for liquids never
measured pure, a structure prior for liquids never seen; water, which the data set has no pure rows for,
from its published Vogel equation. A model of the model layer (:mod:`cryodesk.ml`) then learns the excess
over ideal mixing from permutation-invariant features of the pair (the two liquids in slots ordered by
their pure viscosity, composition-weighted descriptors and mismatches, and the graph's knowledge: each
liquid's fitted G with other partners, and the whole Redlich–Kister excess curves of the partners
most like the other liquid, evaluated at the row's composition). Training
features are cross-fitted over grouped inner folds so that training rows look like unseen pairs.
Mixtures of more components combine their binaries by the multicomponent Grunberg–Nissan rule.

The old plan's model, kept as the baseline every figure is compared with, is the composition-weighted
average of the component values plus one constant "synergy bonus" (:func:`old_plan_baseline`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cryodesk.mixtures.featurize import VISCOSITY_DESCRIPTORS, MixtureFeaturizer, MixtureRow
from cryodesk.mixtures.interaction_graph import EdgeSource, InteractionEdge, InteractionGraph, InteractionType
from cryodesk.mixtures.viscosity_gn import (
    GN_FEATURE_NAMES,
    SOURCE_BINARIES,
    SOURCE_MEASURED,
    SOURCE_STRUCTURE,
    T_REF,
    GNSystem,
    fit_gn_system,
    gn_features,
    normalised_components,
)

__all__ = [
    "VISCOSITY_FEATURE_VERSION",
    "WATER_INCHIKEY",
    "AndradeFit",
    "ViscosityModel",
    "ViscosityRow",
    "fit_pure_viscosities",
    "fit_viscosity_edges",
    "ideal_log_viscosity",
    "old_plan_baseline",
    "train_viscosity_model",
    "water_log10_viscosity",
]

WATER_INCHIKEY = "XLYOFNOQVPJJNP-UHFFFAOYSA-N"
#: Version of the viscosity features; a model trained with another version cannot read today's
#: columns and must be retrained (4: component descriptors are VISCOSITY_DESCRIPTORS).
VISCOSITY_FEATURE_VERSION = "4"
# Vogel equation for liquid water, η/mPa·s = A·exp(B/(T − C)); Viswanath & Natarajan, Data Book on the
# Viscosity of Liquids (1989). 0.891 mPa·s at 298.15 K (measured 0.890).
WATER_VOGEL = (0.02939, 507.88, 149.3)
WATER_BASIS = "stated default: Vogel equation for water (Viswanath & Natarajan 1989), valid ~273-373 K"


def water_log10_viscosity(T: float | np.ndarray) -> float | np.ndarray:
    """log10 of water's viscosity in cP (= mPa·s) at ``T`` kelvin."""
    a, b, c = WATER_VOGEL
    return np.log10(a) + (b / (np.asarray(T, float) - c)) / math.log(10)


@dataclass(frozen=True)
class ViscosityRow:
    """One measured point: components with mole fractions, temperature, log10 viscosity (cP)."""

    components: tuple[tuple[str, float], ...]
    T: float
    log10_cp: float
    row: int = 0

    @property
    def pair(self) -> tuple[str, ...]:
        """The sorted compound keys with a non-zero share: the group key of grouped CV."""
        return tuple(sorted(k for k, x in self.components if x > 0))


@dataclass(frozen=True)
class AndradeFit:
    """``log10 η = A + B/T`` of one pure liquid, with its basis."""

    A: float
    B: float
    n_points: int
    basis: str

    def at(self, T: float | np.ndarray) -> float | np.ndarray:
        return self.A + self.B / np.asarray(T, float)


def fit_pure_viscosities(rows: Sequence[ViscosityRow], *, add_water: bool = True) -> dict[str, AndradeFit]:
    """Andrade fits from the pure-liquid rows (one component with x = 1).

    A liquid measured at one temperature only gets the median slope B of the liquids measured at several.
    """
    points: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        live = [(k, x) for k, x in r.components if x > 0]
        if len(live) == 1:
            points.setdefault(live[0][0], []).append((r.T, r.log10_cp))
    fits: dict[str, AndradeFit] = {}
    single: dict[str, list[tuple[float, float]]] = {}
    for key, pts in points.items():
        T = np.array([p[0] for p in pts])
        y = np.array([p[1] for p in pts])
        if np.ptp(T) >= 5.0:
            B, A = np.polyfit(1.0 / T, y, 1)
            fits[key] = AndradeFit(
                float(A), float(B), len(pts), f"Andrade fit to {len(pts)} pure-liquid rows"
            )
        else:
            single[key] = pts
    slopes = [f.B for f in fits.values()]
    b_default = float(np.median(slopes)) if slopes else 500.0
    for key, pts in single.items():
        A = float(np.mean([y - b_default / T for T, y in pts]))
        fits[key] = AndradeFit(
            A, b_default, len(pts), f"{len(pts)} pure row(s) at one temperature; median slope B"
        )
    if add_water and WATER_INCHIKEY not in fits:
        T = np.linspace(273.15, 373.15, 21)
        B, A = np.polyfit(1.0 / T, water_log10_viscosity(T), 1)
        fits[WATER_INCHIKEY] = AndradeFit(float(A), float(B), 0, WATER_BASIS)
    return fits


def _pure_at(pure: Mapping[str, AndradeFit], key: str, T: float) -> float:
    if key == WATER_INCHIKEY and (key not in pure or pure[key].n_points == 0):
        return float(water_log10_viscosity(T))  # the Vogel form is better than its Andrade line
    fit = pure.get(key)
    return float(fit.at(T)) if fit is not None else math.nan


def ideal_log_viscosity(components: MixtureRow, T: float, pure: Mapping[str, AndradeFit]) -> float:
    """Σ xᵢ log10 ηᵢ(T) (NaN when a component with x > 0 has no pure-liquid value)."""
    total = sum(x for _k, x in components if x > 0)
    if total <= 0:
        return math.nan
    return sum(x / total * _pure_at(pure, k, T) for k, x in components if x > 0)


def fit_viscosity_edges(
    rows: Sequence[ViscosityRow],
    pure: Mapping[str, AndradeFit],
    *,
    evidence: str = "training rows",
    min_points: int = 3,
) -> InteractionGraph:
    """Grunberg–Nissan excess edges, one per binary pair with ``min_points`` points and both pure values.

    ``log10 η = x₁ log10 η₁ + x₂ log10 η₂ + x₁x₂·G`` is fitted by least squares; the edge value is G
    (Δlog10 η at x₁x₂ = 1), the sign that of G, confidence 1 − two-sided p of G = 0.
    """
    from scipy import stats

    by_pair: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for r in rows:
        live = [(k, x) for k, x in r.components if x > 0]
        if len(live) != 2:
            continue
        ideal = ideal_log_viscosity(live, r.T, pure)
        if math.isnan(ideal):
            continue
        total = live[0][1] + live[1][1]
        x12 = live[0][1] * live[1][1] / total**2
        by_pair.setdefault(r.pair, []).append((x12, r.log10_cp - ideal))
    graph = InteractionGraph()
    for (a, b), pts in sorted(by_pair.items()):
        if len(pts) < min_points:
            continue
        z = np.array([p[0] for p in pts])
        resid = np.array([p[1] for p in pts])
        G = float(z @ resid / (z @ z))
        dof = len(pts) - 1
        s2 = float(((resid - G * z) ** 2).sum() / dof)
        se = math.sqrt(s2 / float(z @ z)) if s2 > 0 else 0.0
        p = 0.0 if se == 0 else float(2 * stats.t.sf(abs(G) / se, dof))
        graph.add_interaction(InteractionEdge(
            a, b, InteractionType.VISCOSITY_EXCESS, abs(G), int(np.sign(G)), EdgeSource.FITTED,
            min(1.0, max(0.0, 1.0 - p)), f"{evidence}: {len(pts)} binary points", value=G,
            units="Δlog10(η/cP) at x1·x2 = 1", reference_model="ideal (Grunberg–Nissan G12 = 0)",
        ))  # fmt: skip
    return graph


def old_plan_baseline(
    train: Sequence[ViscosityRow], pure: Mapping[str, AndradeFit]
) -> Callable[[Sequence[ViscosityRow]], np.ndarray]:
    """The old plan's model: composition-weighted average of component values + one constant bonus.

    The constant is the mean excess over the ideal average on the training rows. Rows with a component
    that has no pure value get the training mean (the old plan had nothing better for them).
    """
    ideal = np.array([ideal_log_viscosity(r.components, r.T, pure) for r in train])
    y = np.array([r.log10_cp for r in train])
    ok = ~np.isnan(ideal)
    bonus = float(np.mean(y[ok] - ideal[ok])) if ok.any() else 0.0
    fallback = float(np.mean(y))

    def predict(rows: Sequence[ViscosityRow]) -> np.ndarray:
        values = np.array([ideal_log_viscosity(r.components, r.T, pure) for r in rows])
        return np.where(np.isnan(values), fallback, values + bonus)

    return predict


EXTRA_COLUMNS = ("inv_T_1000", "ideal_log10_cp", "ideal_known")

#: LightGBM settings of the excess model, never tuned on a reported test fold: moderately deep trees for
#: about 25k rows, column subsampling because the four descriptor blocks are correlated, and the number
#: of trees (at most 2,000) from the model layer's early stopping. The learning rate was chosen on the
#: development split (grouped 5-fold, seed 7): 0.1 / 0.05 / 0.03 gave overall MAE 0.0385 / 0.0376 /
#: 0.0373 and water-binary MAE 0.074 / 0.074 / 0.073; 0.03 costs about twice the training time of 0.05.
DEFAULT_LGBM = {"n_estimators": 2000, "learning_rate": 0.03, "num_leaves": 63, "min_child_samples": 20,
                "colsample_bytree": 0.5}  # fmt: skip


@dataclass
class ViscosityModel:
    """A trained mixture-viscosity model: Grunberg–Nissan system, featuriser and the model layer's ensemble.

    ``system`` holds the pure liquids and pair parameters solved jointly from the training rows
    (:mod:`cryodesk.mixtures.viscosity_gn`); the ensemble predicts the excess of log10 η over ideal
    mixing of those pure liquids. ``pure`` lists, as Andrade lines, the liquids whose pure viscosity
    the training data determined (measured pure, or extrapolated from their binaries); ``featurizer``
    keeps the component descriptors (callers may add unseen compounds to its table) and the graph.
    """

    pure: dict[str, AndradeFit]
    featurizer: MixtureFeaturizer
    model: object  # cryodesk.ml.TrainedModel (kept untyped so this module imports ml lazily)
    descriptors: dict[str, np.ndarray] = field(default_factory=dict)
    system: GNSystem | None = None
    use_graph: bool = True
    water_model: object | None = None  # cryodesk.ml.TrainedModel on aqueous binaries only, or None
    #: VISCOSITY_FEATURE_VERSION at training; models pickled before the field existed read ""
    feature_version: str = ""

    def _sync_descriptors(self, keys: Sequence[str]) -> None:
        """Descriptors of compounds a caller added to the featuriser's table after training."""
        assert self.system is not None
        width = len(VISCOSITY_DESCRIPTORS)
        for key in keys:
            if key in self.system.descriptors or key not in self.featurizer.component_features:
                continue
            self.system.descriptors[key] = np.asarray(self.featurizer.component_features[key], float)[:width]  # type: ignore[index]
            known = self.system.pure.get(key)
            if known is not None and known.source == SOURCE_STRUCTURE:
                del self.system.pure[key]  # a median guess made before the descriptors were known

    def _excess(
        self, items: Sequence[tuple[list[tuple[str, float]], float]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None, float | None]:
        """(ideal, excess, lower offset, upper offset, in-domain, alpha) of normalised mixtures.

        Pure liquids and binaries go to the ensemble directly. A mixture of more components is
        decomposed into its binaries (the Grunberg–Nissan multicomponent rule): each pair's predicted
        excess at its own relative composition is its x'ᵢx'ⱼ·Gᵢⱼ, and the mixture gets Σ xᵢxⱼ·Gᵢⱼ.
        """
        import itertools

        assert self.system is not None
        self._sync_descriptors(sorted({k for live, _T in items for k, _x in live}))
        subs: list[tuple[list[tuple[str, float]], float]] = []
        plan: list[list[tuple[int, float]]] = []
        ideal = np.empty(len(items))
        for n, (live, T) in enumerate(items):
            if not live:
                raise ValueError(f"mixture {n + 1}: no component with a mole fraction > 0")
            ideal[n] = sum(x * self.system.log10_pure(k, T) for k, x in live)
            if len(live) <= 2:
                plan.append([(len(subs), 1.0)])
                subs.append((live, T))
                continue
            entries = []
            for (a, xa), (b, xb) in itertools.combinations(live, 2):
                za, zb = xa / (xa + xb), xb / (xa + xb)
                entries.append((len(subs), xa * xb / (za * zb)))
                subs.append(([(a, za), (b, zb)], T))
            plan.append(entries)
        X, _sub_ideal = viscosity_gn_matrix(self.system, subs, self.use_graph)
        pred = self.model.predict(X)  # type: ignore[attr-defined]
        central = np.asarray(pred.value, float).copy()
        aqueous = np.flatnonzero(X[:, GN_FEATURE_NAMES.index("has_water")] > 0)
        if self.water_model is not None and aqueous.size:
            # equal-weight average with the aqueous specialist (weight fixed a priori, not tuned)
            central[aqueous] = 0.5 * (central[aqueous] + self.water_model.predict(X[aqueous]).value)  # type: ignore[attr-defined]
        # A pure liquid has no excess over ideal mixing by definition: its value is the system's pure
        # line (measured, or extrapolated from binaries / structure). Grouped CV showed the learned
        # correction made unseen pure liquids worse (MAE 0.065 vs 0.061), so only the interval is kept.
        pure_item = [len(live) == 1 for live, _T in items]
        excess = np.array([
            0.0 if pure_item[n] else sum(w * central[i] for i, w in entries) for n, entries in enumerate(plan)
        ])  # fmt: skip

        def offsets(bound: np.ndarray | None) -> np.ndarray | None:
            if bound is None:
                return None
            return np.array([sum(w * (bound[i] - pred.value[i]) for i, w in e) for e in plan])

        in_domain = None
        if pred.in_domain is not None:
            in_domain = np.array([all(bool(pred.in_domain[i]) for i, _w in e) for e in plan])
        return ideal, excess, offsets(pred.lower), offsets(pred.upper), in_domain, pred.alpha

    def predict_rows(
        self, rows: Sequence[ViscosityRow]
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """log10 η (cP) of many rows: (value, lower, upper)."""
        items = [(normalised_components(r.components), float(r.T)) for r in rows]
        ideal, excess, low, high, _dom, _alpha = self._excess(items)
        value = ideal + excess
        return value, None if low is None else value + low, None if high is None else value + high

    def predict(self, components: MixtureRow, T: float) -> dict[str, float | bool | None]:
        """log10 η (cP) of one mixture at ``T`` with its interval, the ideal estimate and domain flag."""
        ideal, excess, low, high, dom, alpha = self._excess([(normalised_components(components), float(T))])
        value = float(ideal[0] + excess[0])
        return {
            "log10_cp": value,
            "lower": None if low is None else value + float(low[0]),
            "upper": None if high is None else value + float(high[0]),
            "alpha": alpha,
            "in_domain": None if dom is None else bool(dom[0]),
            "ideal_log10_cp": float(ideal[0]),
        }


def component_table(
    descriptors: Mapping[str, np.ndarray], pure: Mapping[str, AndradeFit]
) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """Component feature vectors: descriptors plus pure-liquid log10 η at 298.15 K and Andrade slope."""
    names = (*VISCOSITY_DESCRIPTORS, "pure_log10_cp_298", "pure_andrade_B")
    keys = set(descriptors) | set(pure)
    table = {}
    for key in keys:
        d = descriptors.get(key)
        d = np.full(len(VISCOSITY_DESCRIPTORS), np.nan) if d is None else np.asarray(d, float)
        fit = pure.get(key)
        extra = [_pure_at(pure, key, 298.15), fit.B] if fit is not None else [np.nan, np.nan]
        table[key] = np.concatenate([d, extra])
    return table, names


def viscosity_features(
    rows: Sequence[ViscosityRow], pure: Mapping[str, AndradeFit], featurizer: MixtureFeaturizer
) -> np.ndarray:
    """The previous model's features (composition-weighted descriptors + ideal mixing), kept for callers."""
    X = featurizer.transform([r.components for r in rows])
    ideal = np.array([ideal_log_viscosity(r.components, r.T, pure) for r in rows])
    extra = np.column_stack([1000.0 / np.array([r.T for r in rows]), ideal, (~np.isnan(ideal)).astype(float)])
    return np.hstack([X, extra])


def gn_feature_names(use_graph: bool = True) -> tuple[str, ...]:
    """Column names of :func:`viscosity_gn_matrix`."""
    blocks = [f"{block}:{d}" for block in ("mean", "mismatch", "low", "high") for d in VISCOSITY_DESCRIPTORS]
    return (*GN_FEATURE_NAMES, *blocks)


def viscosity_gn_matrix(
    system: GNSystem, items: Sequence[tuple[Sequence[tuple[str, float]], float]], use_graph: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Features (:func:`gn_feature_names`) and ideal log10 η of normalised pure liquids and binaries.

    ``use_graph=False`` blanks the columns that carry fitted pair parameters of other pairs (the
    graph's knowledge), for the ablation.
    """
    width = len(VISCOSITY_DESCRIPTORS)
    X = np.empty((len(items), len(GN_FEATURE_NAMES) + 4 * width))
    ideal = np.empty(len(items))
    for n, (live, T) in enumerate(items):
        X[n], ideal[n] = gn_features(system, live, T, width)
    if not use_graph:
        X[:, list(GRAPH_COLUMNS)] = np.nan
    return X, ideal


GRAPH_COLUMNS = tuple(i for i, name in enumerate(GN_FEATURE_NAMES) if "nodeG" in name or "nbrG" in name)


def _cross_fitted_matrix(
    rows: Sequence[ViscosityRow],
    descriptors: Mapping[str, np.ndarray],
    use_graph: bool,
    folds: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Training features whose pure liquids and pair parameters come from the other inner folds.

    A test row's pair is never in the training fold, and a third of its liquids were never measured
    pure there; a training row featurised with parameters fitted on itself would look easier than
    that. Fitting the system on the other inner folds (grouped by component set, like the outer CV)
    gives training rows the same kind of inputs the model will meet.
    """
    from cryodesk.ml import group_kfold

    groups = ["+".join(r.pair) for r in rows]
    X = np.empty((len(rows), len(gn_feature_names(use_graph))))
    ideal = np.empty(len(rows))
    for fold in group_kfold(groups, folds, seed=seed):
        inner = fit_gn_system([rows[i] for i in fold.train], descriptors, WATER_INCHIKEY, seed=seed)
        items = [(normalised_components(rows[i].components), rows[i].T) for i in fold.test]
        X[fold.test], ideal[fold.test] = viscosity_gn_matrix(inner, items, use_graph)
    return X, ideal


def train_viscosity_model(
    rows: Sequence[ViscosityRow],
    descriptors: Mapping[str, np.ndarray],
    *,
    use_graph: bool = True,
    config: object | None = None,
    name: str = "mixture_viscosity",
    cross_fit_folds: int = 5,
    seed: int = 0,
) -> ViscosityModel:
    """Fit the Grunberg–Nissan system and the model-layer ensemble on ``rows`` (training rows only).

    Args:
        rows: training points (pure liquids and binaries; rows with more components are skipped).
        descriptors: compound key -> :data:`~cryodesk.mixtures.featurize.VISCOSITY_DESCRIPTORS` vector.
        use_graph: give the model the fitted pair parameters of each compound's other partners.
        config: a :class:`cryodesk.ml.TrainConfig` (default: LightGBM, 3 inner folds).
        cross_fit_folds: inner grouped folds for the training features (< 2: fit on all rows).
        seed: seed of the inner folds and the structure prior.
    """
    from cryodesk.ml import Dataset, TrainConfig, train_model

    rows = [r for r in rows if 1 <= len(r.pair) <= 2]
    system = fit_gn_system(rows, descriptors, WATER_INCHIKEY, seed=seed)
    n_groups = len({r.pair for r in rows})
    if cross_fit_folds >= 2 and n_groups >= 2 * cross_fit_folds:
        X, ideal = _cross_fitted_matrix(rows, descriptors, use_graph, cross_fit_folds, seed)
    else:
        X, ideal = viscosity_gn_matrix(
            system, [(normalised_components(r.components), r.T) for r in rows], use_graph
        )
    y = np.array([r.log10_cp for r in rows]) - ideal
    keys = np.array(["+".join(r.pair) for r in rows], dtype=object)
    ds = Dataset(X, y, gn_feature_names(use_graph), "regression", keys,
                 task_names=("log10_viscosity_excess_over_ideal",), groups=keys, feature_set="mixture-viscosity-gn",
                 feature_version=VISCOSITY_FEATURE_VERSION + ("+graph" if use_graph else ""), name=name)  # fmt: skip
    # OOF folds by pair, so the conformal interval is the error on a pair the model has not seen
    config = config or TrainConfig(
        members=("lgbm",), n_folds=3, domain="knn", params={"lgbm": DEFAULT_LGBM}, grouped_oof=True
    )
    trained = train_model(ds, config)  # type: ignore[arg-type]
    water_model = _train_water_model(ds, use_graph, config)
    pure = {
        k: AndradeFit(p.L298 - p.B / T_REF, p.B, 0, p.basis)
        for k, p in system.pure.items()
        if p.source in (SOURCE_MEASURED, SOURCE_BINARIES)
    }
    pure.update(fit_pure_viscosities([], add_water=True))  # water: the reference correlation
    graph = fit_viscosity_edges(rows, fit_pure_viscosities(rows)) if use_graph else None
    table, names = component_table(descriptors, pure)
    featurizer = MixtureFeaturizer(table, names, graph, InteractionType.VISCOSITY_EXCESS)
    return ViscosityModel(
        pure, featurizer, trained, dict(descriptors), system, use_graph, water_model, VISCOSITY_FEATURE_VERSION
    )


#: An aqueous specialist is trained only with at least this many aqueous binary rows and pairs.
MIN_WATER_ROWS, MIN_WATER_PAIRS = 200, 10
#: Small trees for about a thousand aqueous rows; fixed a priori.
WATER_LGBM = {"n_estimators": 400, "learning_rate": 0.03, "num_leaves": 15, "min_child_samples": 10,
              "colsample_bytree": 0.5}  # fmt: skip


def _train_water_model(ds: object, use_graph: bool, config: object) -> object | None:
    """A second model-layer LightGBM on the aqueous binaries of ``ds`` alone, or None if too few.

    Water binaries are 5 % of the rows and mix unlike the rest (hydrogen-bond networks, large
    positive excess), so the global model's trees spend little on them. In grouped CV (5 outer
    folds, cross-fitted features) averaging it with the global model lowered the water-binary MAE
    from 0.102 to 0.097 and left the overall MAE unchanged.
    """
    from dataclasses import replace

    from cryodesk.ml import train_model

    col = GN_FEATURE_NAMES.index("has_water")
    binary = GN_FEATURE_NAMES.index("is_binary")
    mask = (ds.X[:, col] > 0) & (ds.X[:, binary] > 0)  # type: ignore[attr-defined]
    groups = ds.groups[mask] if ds.groups is not None else None  # type: ignore[attr-defined]
    if mask.sum() < MIN_WATER_ROWS or groups is None or len(set(groups)) < MIN_WATER_PAIRS:
        return None
    sub = replace(
        ds, X=ds.X[mask], y=ds.y[mask], keys=ds.keys[mask], groups=groups, name=f"{ds.name}-aqueous"
    )  # type: ignore[attr-defined, arg-type]
    params = {**dict(config.params), "lgbm": WATER_LGBM}  # type: ignore[attr-defined]
    return train_model(sub, replace(config, params=params))  # type: ignore[arg-type]


def viscosity_rows_from_records(
    records: Sequence[Mapping[str, str]], key_of_smiles: Mapping[str, str]
) -> tuple[list[ViscosityRow], list[str]]:
    """Rows of a CheMixHub-style table (``SMILES_0, SMILES_1, comp_0, comp_1, T, logV``).

    Args:
        records: CSV rows as dicts.
        key_of_smiles: SMILES -> compound key (InChIKey); a SMILES missing here rejects its row.

    Returns:
        ``(rows, problems)``; each problem names the 1-based data row, the field and the reason.
    """
    rows, problems = [], []
    for i, rec in enumerate(records, start=1):
        try:
            T, y = float(rec["T"]), float(rec["logV"])
            parts = []
            for j in (0, 1):
                smiles, x = (rec.get(f"SMILES_{j}") or "").strip(), float(rec.get(f"comp_{j}") or 0.0)
                if smiles and x > 0:
                    if smiles not in key_of_smiles:
                        raise ValueError(f"SMILES_{j}: no compound for {smiles!r}")
                    parts.append((key_of_smiles[smiles], x))
        except (KeyError, ValueError) as exc:
            problems.append(f"row {i}: {exc}")
            continue
        if not parts or not (150.0 < T < 700.0) or not math.isfinite(y):
            problems.append(f"row {i}: T/logV out of range or no component (T={T}, logV={y})")
            continue
        rows.append(ViscosityRow(tuple(parts), T, y, i))
    return rows, problems
