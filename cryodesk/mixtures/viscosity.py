"""Learned viscosity of liquid mixtures: ideal (Arrhenius) mixing from pure components plus a learned excess.

Physics first: log10 η of an ideal mixture is the mole-fraction average of the pure components' log10 η at
the same temperature (the Arrhenius/Grunberg–Nissan rule with G12 = 0). Pure-component viscosities come from
the pure rows of the training data as Andrade fits ``log10 η = A + B/T`` (water, which the data set has
no pure rows for, from its published Vogel equation). A model of the model layer (:mod:`cryodesk.ml`) then
learns the rest from permutation-invariant mixture features (:mod:`cryodesk.mixtures.featurize`): the
composition-weighted component descriptors and pure-component parameters, and the interaction graph's
Grunberg–Nissan excess edges fitted from the training binaries.

The old plan's model, kept as the baseline every figure is compared with, is the composition-weighted
average of the component values plus one constant "synergy bonus" (:func:`old_plan_baseline`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cryodesk.mixtures.featurize import COMPONENT_DESCRIPTORS, MixtureFeaturizer, MixtureRow
from cryodesk.mixtures.interaction_graph import EdgeSource, InteractionEdge, InteractionGraph, InteractionType

__all__ = [
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


@dataclass
class ViscosityModel:
    """A trained mixture-viscosity model: pure fits, graph, featuriser and the model layer's ensemble."""

    pure: dict[str, AndradeFit]
    featurizer: MixtureFeaturizer
    model: object  # cryodesk.ml.TrainedModel (kept untyped so this module imports ml lazily)
    descriptors: dict[str, np.ndarray] = field(default_factory=dict)

    def features(self, rows: Sequence[ViscosityRow]) -> np.ndarray:
        return viscosity_features(rows, self.pure, self.featurizer)

    def predict_rows(
        self, rows: Sequence[ViscosityRow]
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """log10 η (cP) of many rows: (value, lower, upper); the model predicts the excess over ideal mixing."""
        pred = self.model.predict(self.features(rows))  # type: ignore[attr-defined]
        base = _offset(rows, self.pure)
        lower = None if pred.lower is None else pred.lower + base
        upper = None if pred.upper is None else pred.upper + base
        return pred.value + base, lower, upper

    def predict(self, components: MixtureRow, T: float) -> dict[str, float | bool | None]:
        """log10 η (cP) of one mixture at ``T`` with its interval, the ideal estimate and domain flag."""
        row = ViscosityRow(tuple(components), float(T), math.nan)
        pred = self.model.predict(self.features([row]))  # type: ignore[attr-defined]
        base = float(_offset([row], self.pure)[0])
        return {
            "log10_cp": float(pred.value[0]) + base,
            "lower": None if pred.lower is None else float(pred.lower[0]) + base,
            "upper": None if pred.upper is None else float(pred.upper[0]) + base,
            "alpha": pred.alpha,
            "in_domain": None if pred.in_domain is None else bool(pred.in_domain[0]),
            "ideal_log10_cp": ideal_log_viscosity(components, T, self.pure),
        }


def _offset(rows: Sequence[ViscosityRow], pure: Mapping[str, AndradeFit]) -> np.ndarray:
    """Ideal-mixing log10 η where every component has a pure value, else 0 (the model learns it all).

    Trees approximate an identity map in steps; learning only the excess over the physics keeps the
    well-understood part exact.
    """
    ideal = np.array([ideal_log_viscosity(r.components, r.T, pure) for r in rows])
    return np.where(np.isnan(ideal), 0.0, ideal)


def component_table(
    descriptors: Mapping[str, np.ndarray], pure: Mapping[str, AndradeFit]
) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """Component feature vectors: descriptors plus pure-liquid log10 η at 298.15 K and Andrade slope."""
    names = (*COMPONENT_DESCRIPTORS, "pure_log10_cp_298", "pure_andrade_B")
    keys = set(descriptors) | set(pure)
    table = {}
    for key in keys:
        d = descriptors.get(key)
        d = np.full(len(COMPONENT_DESCRIPTORS), np.nan) if d is None else np.asarray(d, float)
        fit = pure.get(key)
        extra = [_pure_at(pure, key, 298.15), fit.B] if fit is not None else [np.nan, np.nan]
        table[key] = np.concatenate([d, extra])
    return table, names


def viscosity_features(
    rows: Sequence[ViscosityRow], pure: Mapping[str, AndradeFit], featurizer: MixtureFeaturizer
) -> np.ndarray:
    X = featurizer.transform([r.components for r in rows])
    ideal = np.array([ideal_log_viscosity(r.components, r.T, pure) for r in rows])
    extra = np.column_stack([1000.0 / np.array([r.T for r in rows]), ideal, (~np.isnan(ideal)).astype(float)])
    return np.hstack([X, extra])


def train_viscosity_model(
    rows: Sequence[ViscosityRow],
    descriptors: Mapping[str, np.ndarray],
    *,
    use_graph: bool = True,
    config: object | None = None,
    name: str = "mixture_viscosity",
) -> ViscosityModel:
    """Fit pure-liquid lines, graph edges and the model-layer ensemble on ``rows`` (training rows only).

    Args:
        rows: training points (pure liquids and binaries).
        descriptors: compound key -> :data:`~cryodesk.mixtures.featurize.COMPONENT_DESCRIPTORS` vector.
        use_graph: add the pairwise graph terms.
        config: a :class:`cryodesk.ml.TrainConfig` (default: LightGBM, 3 inner folds).
    """
    from cryodesk.ml import Dataset, TrainConfig, train_model

    pure = fit_pure_viscosities(rows)
    graph = fit_viscosity_edges(rows, pure) if use_graph else None
    table, names = component_table(descriptors, pure)
    featurizer = MixtureFeaturizer(table, names, graph, InteractionType.VISCOSITY_EXCESS)
    X = viscosity_features(rows, pure, featurizer)
    y = np.array([r.log10_cp for r in rows]) - _offset(rows, pure)
    keys = np.array(["+".join(r.pair) for r in rows], dtype=object)
    ds = Dataset(X, y, (*featurizer.feature_names, *EXTRA_COLUMNS), "regression", keys,
                 task_names=("log10_viscosity_excess_over_ideal",), groups=keys, feature_set="mixture-viscosity",
                 feature_version="1" + ("+graph" if use_graph else ""), name=name)  # fmt: skip
    config = config or TrainConfig(members=("lgbm",), n_folds=3, domain="knn")
    return ViscosityModel(pure, featurizer, train_model(ds, config), dict(descriptors))  # type: ignore[arg-type]


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
