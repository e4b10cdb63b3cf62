"""Grunberg–Nissan system of pure-liquid and pair parameters, fitted jointly from all training rows.

Every training row, pure or binary, is one linear equation of the Grunberg–Nissan form with
Redlich–Kister terms (a and b sorted by key, u = 1/T − 1/298.15 K, d = xₐ − x_b)::

    log10 η = Σᵢ xᵢ (Lᵢ + Bᵢ·u [+ Cᵢ·u²])  +  xₐx_b (G0ₐ_b [+ G0Tₐ_b·u] + G1ₐ_b·d + G2ₐ_b·d²)

with Lᵢ = log10 ηᵢ at 298.15 K and Bᵢ the Andrade slope of pure liquid i. G2 (fitted only for pairs
measured at ≥ 7 compositions, pulled towards 0) lets a curve bend without dragging the extrapolated
endpoint of a liquid never measured pure: in grouped CV (dev split) it lowered the pure-liquid MAE
from 0.058 to 0.054. The bracketed terms, a pure liquid's curvature (Vogel-like associated liquids)
and a temperature-dependent G0, are off by default (prior width 0): the training rows span only
293–323 K, and on the dev split they changed nothing (C) or made the model worse (G0T). All unknowns are solved
together by regularised (ridge) least squares: Lᵢ and Bᵢ are pulled towards a structure prior (a small
model of the model layer trained on the liquids measured pure; the median without descriptors), G
towards 0. A liquid never measured pure therefore still gets a pure viscosity from its binaries
(extrapolated along the fitted curve), and a liquid absent from the training rows gets the structure
prior. Water, which the data has no pure rows for, is the reference correlation of
:func:`cryodesk.mixtures.viscosity.water_log10_viscosity` and has no free parameters.

The fitted pair parameters also summarise each compound's mixing behaviour (its mean G0 with other
partners, and the whole excess curves of its partners most like a new one), which is what a model
can use for a pair nobody has measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = [
    "SOURCE_BINARIES",
    "SOURCE_MEASURED",
    "SOURCE_REFERENCE",
    "SOURCE_STRUCTURE",
    "GNPriors",
    "GNSystem",
    "PureLiquid",
    "fit_gn_system",
    "normalised_components",
]

T_REF = 298.15
SOURCE_MEASURED, SOURCE_BINARIES, SOURCE_STRUCTURE, SOURCE_REFERENCE = 0, 1, 2, 3


class _Row(Protocol):
    components: tuple[tuple[str, float], ...]
    T: float
    log10_cp: float


def normalised_components(components: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """Components with x > 0, the same compound merged, fractions normalised to 1, sorted by key."""
    merged: dict[str, float] = {}
    for key, x in components:
        if x < 0 or not math.isfinite(x):
            raise ValueError(f"component {key!r}: mole fraction must be a finite number >= 0, got {x}")
        if x > 0:
            merged[key] = merged.get(key, 0.0) + float(x)
    total = sum(merged.values())
    return [(k, merged[k] / total) for k in sorted(merged)]


@dataclass(frozen=True)
class PureLiquid:
    """log10 η(T) of one pure liquid, ``L + B·u + C·u²`` (u = 1/T − 1/298.15), and where it comes from.

    ``C`` (K²) is the curvature of associated liquids (glycerol, glycols: Vogel-like, not Arrhenius);
    0 is the Andrade line.
    """

    L298: float
    B: float
    source: int
    basis: str
    C: float = 0.0

    def at(self, T: float | np.ndarray) -> float | np.ndarray:
        if self.source == SOURCE_REFERENCE:
            from cryodesk.mixtures.viscosity import water_log10_viscosity

            return water_log10_viscosity(T)
        u = 1.0 / np.asarray(T, float) - 1.0 / T_REF
        return self.L298 + self.B * u + self.C * u * u


@dataclass(frozen=True)
class GNPriors:
    """Standard deviations of the ridge priors, in the units of the parameters (fixed a priori).

    ``noise`` is the assumed scatter of a measured log10 η; each prior acts like one observation of
    its parameter with this standard deviation relative to it.
    """

    noise: float = 0.02
    sd_L: float = 0.5
    sd_B: float = 400.0
    sd_G0: float = 1.0
    sd_G1: float = 0.5
    #: curvature C of a pure liquid (K²); 0 disables the term
    sd_C: float = 0.0
    #: temperature slope of a pair's G0 (K, G0 + G0T·u); 0 disables; only pairs measured over a span
    sd_G0T: float = 0.0
    min_G0T_span: float = 10.0
    #: second Redlich–Kister term G2·(xa − xb)²; 0 disables; only pairs with enough compositions.
    #: 0.3 was chosen over 0.15 and 0.6 on the development split (group_kfold seed 7), never seed 0
    sd_G2: float = 0.3
    min_G2_compositions: int = 7
    min_structure_liquids: int = 30


@dataclass
class _StructurePrior:
    """Structure -> (L298, B) of pure liquids; medians when there is too little to learn from."""

    L_median: float
    B_median: float
    model_L: object | None = None
    model_B: object | None = None

    def predict(self, descriptors: np.ndarray | None) -> tuple[float, float]:
        if descriptors is None or self.model_L is None or self.model_B is None:
            return self.L_median, self.B_median
        x = np.asarray(descriptors, float)[None, :]
        return float(self.model_L.predict(x)[0]), float(self.model_B.predict(x)[0])  # type: ignore[attr-defined]


@dataclass
class GNSystem:
    """Fitted pure liquids and pair parameters, with the structure prior for unseen liquids."""

    pure: dict[str, PureLiquid]
    pairs: dict[tuple[str, str], tuple[float, float, int]]
    structure: _StructurePrior
    descriptors: Mapping[str, np.ndarray]
    water_key: str
    L_range: tuple[float, float] = (-1.5, 4.0)
    #: pair -> (G0T in K, G2), the optional terms (0 when not fitted)
    pair_extra: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    _node: dict[str, tuple[float, float, int]] = field(default_factory=dict, init=False, repr=False)
    #: anchor -> [(partner, G0, G1 oriented as anchor − partner, G2, G0T)]
    _partners: dict[str, list[tuple[str, float, float, float, float]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _scale: np.ndarray | None = field(default=None, init=False, repr=False)
    _neighbour: dict[tuple[str, str, int], tuple[np.ndarray, np.ndarray, float]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for (a, b), (g0, g1, _n) in self.pairs.items():
            g0t, g2 = self.pair_extra.get((a, b), (0.0, 0.0))
            for key, other, sign in ((a, b, 1.0), (b, a, -1.0)):
                s, s2, n = self._node.get(key, (0.0, 0.0, 0))
                self._node[key] = (s + g0, s2 + g0 * g0, n + 1)
                self._partners.setdefault(key, []).append((other, g0, sign * g1, g2, g0t))
        vectors = [np.asarray(v, float) for v in self.descriptors.values()]
        if vectors:
            spread = np.nanstd(np.vstack(vectors), axis=0)
            self._scale = np.where(spread > 0, spread, 1.0)

    def liquid(self, key: str) -> PureLiquid:
        """The pure liquid ``key`` (structure prior, memoised, for a liquid the fit never saw)."""
        found = self.pure.get(key)
        if found is None:
            L, B = self.structure.predict(self.descriptors.get(key))
            basis = "structure prior" if key in self.descriptors else "median of training liquids"
            found = PureLiquid(float(np.clip(L, *self.L_range)), B, SOURCE_STRUCTURE, basis)
            self.pure[key] = found
        return found

    def log10_pure(self, key: str, T: float) -> float:
        low, high = self.L_range
        return min(high, max(low, float(self.liquid(key).at(T))))

    def node_G(self, key: str, exclude: str | None = None) -> tuple[float, int]:
        """Mean fitted G0 of ``key`` with its partners other than ``exclude`` (NaN, 0 if none)."""
        s, _s2, n = self._node.get(key, (0.0, 0.0, 0))
        if exclude is not None:
            own = self.pairs.get((min(key, exclude), max(key, exclude)))
            if own is not None:
                s, n = s - own[0], n - 1
        return (s / n if n > 0 else math.nan), n

    def _neighbours(self, anchor: str, other: str, k: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Rows of ``anchor``'s (G0, G1, G2, G0T) with its ``k`` partners most like ``other``, their weights
        (inverse distance) and the nearest distance; empty when nothing is comparable."""
        memo = self._neighbour.get((anchor, other, k))
        if memo is not None:
            return memo
        target = self.descriptors.get(other)
        partners = [p for p in self._partners.get(anchor, []) if p[0] != other and p[0] in self.descriptors]
        result: tuple[np.ndarray, np.ndarray, float] = (np.zeros((0, 4)), np.zeros(0), math.nan)
        if target is not None and partners and self._scale is not None:
            P = np.vstack([self.descriptors[p[0]] for p in partners])
            d = np.sqrt(np.nansum(((P - np.asarray(target, float)) / self._scale) ** 2, axis=1))
            order = np.argsort(d)[:k]
            w = 1.0 / (d[order] + 0.5)
            params = np.array([partners[i][1:] for i in order], float)
            result = (params, w / w.sum(), float(d[order[0]]))
        self._neighbour[(anchor, other, k)] = result
        return result

    def neighbour_G(self, anchor: str, other: str, k: int = 5) -> tuple[float, float]:
        """G0 of ``anchor`` with the ``k`` fitted partners most like ``other``, and the nearest distance.

        Distance is Euclidean over standardised descriptors; the estimate is the inverse-distance
        weighted mean of those pairs' G0. ``other`` itself is never one of the partners, so a pair's
        own fit cannot leak into its features. (NaN, NaN) when nothing is comparable.
        """
        params, w, nearest = self._neighbours(anchor, other, k)
        return (float(w @ params[:, 0]), nearest) if w.size else (math.nan, math.nan)

    def neighbour_curve(
        self, anchor: str, other: str, x_anchor: float, T: float = T_REF, k: int = 5
    ) -> float:
        """Excess log10 η at ``x_anchor`` and ``T`` of the ``k`` partners of ``anchor`` most like ``other``.

        Each neighbour pair's whole Redlich–Kister curve x(1−x)(G0 + G0T·u + G1·d + G2·d²), d = 2x − 1
        from the anchor's side, is evaluated at this composition and averaged with the neighbour_G
        weights: the shape (where the excess peaks) transfers from similar pairs, not only its size.
        """
        params, w, _nearest = self._neighbours(anchor, other, k)
        if not w.size:
            return math.nan
        d, u = 2.0 * x_anchor - 1.0, 1.0 / T - 1.0 / T_REF
        g = params[:, 0] + params[:, 3] * u + params[:, 1] * d + params[:, 2] * d * d
        return float(x_anchor * (1.0 - x_anchor) * (w @ g))


#: LightGBM of the structure prior: small trees and shrinkage for about a thousand liquids and 14
#: descriptors; fixed a priori, not tuned (a zero holdout fraction makes the member use all its trees).
STRUCTURE_LGBM = {"n_estimators": 150, "learning_rate": 0.07, "num_leaves": 15, "min_child_samples": 5,
                  "early_stopping_fraction": 0.0}  # fmt: skip


def _structure_prior(
    L: Mapping[str, float],
    B: Mapping[str, float],
    descriptors: Mapping[str, np.ndarray],
    priors: GNPriors,
    seed: int,
) -> _StructurePrior:
    """Small LightGBM models (model layer) of L298 and B from descriptors of the measured liquids."""
    prior = _StructurePrior(
        float(np.median(list(L.values()))) if L else 0.0,
        float(np.median(list(B.values()))) if B else 500.0,
    )
    keys_L = [k for k in L if k in descriptors]
    keys_B = [k for k in B if k in descriptors]
    if min(len(keys_L), len(keys_B)) < priors.min_structure_liquids:
        return prior
    from cryodesk.ml import make_estimator

    params = STRUCTURE_LGBM
    for attr, keys, target in (("model_L", keys_L, L), ("model_B", keys_B, B)):
        X = np.vstack([descriptors[k] for k in keys])
        y = np.array([target[k] for k in keys])
        model = make_estimator("lgbm", "regression", params, seed=seed)
        setattr(prior, attr, model.fit(X, y))
    return prior


def _pure_andrade(rows: Sequence[_Row], priors: GNPriors) -> tuple[dict[str, float], dict[str, float]]:
    """Per liquid measured pure: regularised Andrade fit (L298 always; B only over a ≥ 10 K span)."""
    points: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        live = normalised_components(r.components)
        if len(live) == 1:
            points.setdefault(live[0][0], []).append((r.T, r.log10_cp))
    slopes = {}
    for key, pts in points.items():
        T = np.array([p[0] for p in pts])
        if np.ptp(T) >= 10.0:
            slopes[key] = float(np.polyfit(1.0 / T - 1.0 / T_REF, [p[1] for p in pts], 1)[0])
    b0 = float(np.median(list(slopes.values()))) if slopes else 500.0
    L = {}
    for key, pts in points.items():
        u = np.array([1.0 / p[0] - 1.0 / T_REF for p in pts])
        y = np.array([p[1] for p in pts])
        B = slopes.get(key, b0)
        L[key] = float(np.mean(y - B * u))
    return L, slopes


#: Column scales: B in units of 1000 K, C in 10⁶ K², G0T in 1000 K keep the columns comparably sized.
_B_UNIT, _C_UNIT, _G0T_UNIT = 1000.0, 1.0e6, 1000.0


@dataclass
class _Layout:
    """Where each liquid's (L, B[, C]) and each pair's (G0, G1[, G0T][, G2]) sit in the solution."""

    liquid: dict[str, int]
    n_liquid_terms: int
    pair_start: dict[tuple[str, str], int]
    pair_terms: dict[tuple[str, str], tuple[str, ...]]
    prior_scales: np.ndarray
    n_par: int

    @classmethod
    def build(
        cls,
        liquids: Sequence[str],
        pairs: Sequence[tuple[str, str]],
        usable: Sequence[tuple[list[tuple[str, float]], float, float]],
        priors: GNPriors,
    ) -> _Layout:
        temps: dict[tuple[str, str], list[float]] = {}
        compositions: dict[tuple[str, str], set[float]] = {}
        for live, T, _y in usable:
            if len(live) == 2:
                key = (live[0][0], live[1][0])
                temps.setdefault(key, []).append(T)
                compositions.setdefault(key, set()).add(round(live[0][1], 3))
        n_terms = 3 if priors.sd_C > 0 else 2
        liquid_sd = [priors.sd_L, priors.sd_B / _B_UNIT, priors.sd_C / _C_UNIT][:n_terms]
        scales = [priors.noise / sd for sd in liquid_sd for _ in liquids]
        pair_start, pair_terms = {}, {}
        column = n_terms * len(liquids)
        for p in pairs:
            terms = ["G0", "G1"]
            if priors.sd_G0T > 0 and np.ptp(temps[p]) >= priors.min_G0T_span:
                terms.append("G0T")
            if priors.sd_G2 > 0 and len(compositions[p]) >= priors.min_G2_compositions:
                terms.append("G2")
            sd = {
                "G0": priors.sd_G0,
                "G1": priors.sd_G1,
                "G0T": priors.sd_G0T / _G0T_UNIT,
                "G2": priors.sd_G2,
            }
            scales += [priors.noise / sd[t] for t in terms]
            pair_start[p], pair_terms[p] = column, tuple(terms)
            column += len(terms)
        liquid = {k: i for i, k in enumerate(liquids)}
        return cls(liquid, n_terms, pair_start, pair_terms, np.asarray(scales, float), column)

    def liquid_columns(self, i: int, x: float, u: float) -> tuple[list[int], list[float]]:
        n = len(self.liquid)
        cols = [i + t * n for t in range(self.n_liquid_terms)]
        return cols, [x, x * u * _B_UNIT, x * u * u * _C_UNIT][: self.n_liquid_terms]

    def liquid_values(self, i: int, sol: np.ndarray) -> tuple[float, float, float]:
        n = len(self.liquid)
        values = [float(sol[i + t * n]) for t in range(self.n_liquid_terms)]
        C = values[2] * _C_UNIT if self.n_liquid_terms > 2 else 0.0
        return values[0], values[1] * _B_UNIT, C

    def pair_columns(
        self, pair: tuple[str, str], xa: float, xb: float, u: float
    ) -> tuple[list[int], list[float]]:
        start, terms = self.pair_start[pair], self.pair_terms[pair]
        z, d = xa * xb, xa - xb
        value = {"G0": z, "G1": z * d, "G0T": z * u * _G0T_UNIT, "G2": z * d * d}
        return [start + j for j in range(len(terms))], [value[t] for t in terms]

    def pair_values(self, pair: tuple[str, str], sol: np.ndarray) -> tuple[float, float, float, float]:
        """(G0, G1, G0T in K, G2) of ``pair``; absent terms are 0."""
        start, terms = self.pair_start[pair], self.pair_terms[pair]
        got = {t: float(sol[start + j]) for j, t in enumerate(terms)}
        return got["G0"], got["G1"], got.get("G0T", 0.0) * _G0T_UNIT, got.get("G2", 0.0)


def fit_gn_system(
    rows: Sequence[_Row],
    descriptors: Mapping[str, np.ndarray],
    water_key: str,
    *,
    priors: GNPriors | None = None,
    seed: int = 0,
) -> GNSystem:
    """Solve all pure-liquid and pair parameters of ``rows`` at once (training rows only).

    Args:
        rows: pure-liquid and binary points (more components are skipped).
        descriptors: compound key -> descriptor vector for the structure prior.
        water_key: the key of water, whose viscosity is the reference correlation.
        priors: ridge prior widths (defaults fixed a priori).
    """
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    priors = priors or GNPriors()
    L_meas, B_meas = _pure_andrade(rows, priors)
    structure = _structure_prior(L_meas, B_meas, descriptors, priors, seed)
    usable = []
    for r in rows:
        live = normalised_components(r.components)
        if 1 <= len(live) <= 2 and math.isfinite(r.log10_cp):
            usable.append((live, r.T, r.log10_cp))
    liquids = sorted({k for live, _T, _y in usable for k, _x in live} - {water_key})
    pairs = sorted({(live[0][0], live[1][0]) for live, _T, _y in usable if len(live) == 2})
    layout = _Layout.build(liquids, pairs, usable, priors)
    prior_L = np.zeros(len(liquids))
    prior_B = np.zeros(len(liquids))
    for k, i in layout.liquid.items():
        L0, B0 = structure.predict(descriptors.get(k))
        prior_L[i] = L_meas.get(k, L0)
        prior_B[i] = B_meas.get(k, B0)
    from cryodesk.mixtures.viscosity import water_log10_viscosity

    r_idx, c_idx, vals, target = [], [], [], []
    for n, (live, T, y) in enumerate(usable):
        u = 1.0 / T - 1.0 / T_REF
        rest = y
        for k, x in live:
            if k == water_key:
                rest -= x * float(water_log10_viscosity(T))
                continue
            i = layout.liquid[k]
            rest -= x * (prior_L[i] + prior_B[i] * u)  # the unknowns are deviations from the prior
            cols, scaled = layout.liquid_columns(i, x, u)
            r_idx += [n] * len(cols)
            c_idx += cols
            vals += scaled
        if len(live) == 2:
            (_a, xa), (_b, xb) = live
            cols, scaled = layout.pair_columns((live[0][0], live[1][0]), xa, xb, u)
            r_idx += [n] * len(cols)
            c_idx += cols
            vals += scaled
        target.append(rest)
    n_rows, n_par = len(usable), layout.n_par
    A = sparse.csr_matrix((vals, (r_idx, c_idx)), shape=(n_rows, n_par))
    # ridge priors as extra rows: (noise / sd) * parameter = 0
    A = sparse.vstack([A, sparse.diags(layout.prior_scales)]).tocsr()
    b = np.concatenate([target, np.zeros(n_par)])
    # normal equations: sparse (each row touches a handful of parameters) and positive definite thanks
    # to the priors, so a direct solve is exact and fast where an iterative one crawls
    sol = np.atleast_1d(spsolve((A.T @ A).tocsc(), A.T @ b)) if n_par else np.zeros(0)
    measured_pure = set(L_meas)
    pure: dict[str, PureLiquid] = {
        water_key: PureLiquid(
            float(water_log10_viscosity(T_REF)), math.nan, SOURCE_REFERENCE, "water reference correlation"
        )
    }
    for k, i in layout.liquid.items():
        L, B, C = layout.liquid_values(i, sol)
        L, B = float(prior_L[i] + L), float(prior_B[i] + B)
        if k in measured_pure:
            pure[k] = PureLiquid(L, B, SOURCE_MEASURED, "joint fit, measured pure", C)
        else:
            pure[k] = PureLiquid(L, B, SOURCE_BINARIES, "joint fit from binaries (structure prior)", C)
    counts: dict[tuple[str, str], int] = {}
    for live, _T, _y in usable:
        if len(live) == 2:
            counts[(live[0][0], live[1][0])] = counts.get((live[0][0], live[1][0]), 0) + 1
    fitted_pairs = {p: (*layout.pair_values(p, sol)[:2], counts[p]) for p in pairs}
    extra_pairs = {p: layout.pair_values(p, sol)[2:] for p in pairs}
    all_L = [v.L298 for v in pure.values() if v.source != SOURCE_REFERENCE]
    L_range = (min(all_L, default=-1.0) - 0.5, max(all_L, default=3.0) + 0.5)
    return GNSystem(pure, fitted_pairs, structure, dict(descriptors), water_key, L_range, extra_pairs)


#: Partners whose excess curves are averaged for the neighbour-curve features.
CURVE_NEIGHBOURS = 5

#: Names of the columns of :func:`gn_features` after the descriptor blocks.
GN_FEATURE_NAMES: tuple[str, ...] = (
    "inv_T_1000", "ideal_log10_cp", "x1x2", "x_low", "L_low", "L_high", "L_gap", "source_low", "source_high",
    "estimated_fraction", "is_binary", "has_water", "nodeG_low", "nodeG_high", "nodeG_n_low", "nodeG_n_high",
    "x1x2_nodeG_mean", "B_low", "B_high", "nbrG_low", "nbrG_high", "nbrG_dist_low", "nbrG_dist_high",
    "x1x2_nbrG_mean", "nbrG_curve_low", "nbrG_curve_high", "nbrG_curve_mean",
)  # fmt: skip


def gn_features(
    system: GNSystem, live: Sequence[tuple[str, float]], T: float, n_descriptors: int
) -> tuple[np.ndarray, float]:
    """Permutation-invariant features of one pure liquid or binary, and its ideal log10 η.

    The two components are put in slots by their pure log10 η (ties by key), so swapping the input
    order cannot change a feature; descriptor blocks are the x-weighted mean, the size-weighted
    mismatch √(x₁x₂)·|d₁ − d₂|, and the two slots' own descriptors.
    """
    if len(live) == 1:
        live = [live[0], (live[0][0], 0.0)]
    (a, xa), (b, xb) = live
    La, Lb = system.log10_pure(a, T), system.log10_pure(b, T)
    ideal = xa * La + xb * Lb
    if (La, a) > (Lb, b):
        (a, xa, La), (b, xb, Lb) = (b, xb, Lb), (a, xa, La)
    pa, pb = system.liquid(a), system.liquid(b)
    binary = a != b
    gA, nA = system.node_G(a, b if binary else None)
    gB, nB = system.node_G(b, a if binary else None)
    known_G = [g for g in (gA, gB) if not math.isnan(g)]
    g_mean = sum(known_G) / len(known_G) if known_G else math.nan
    src = [pa.source, pb.source]
    estimated = xa * (src[0] in (SOURCE_BINARIES, SOURCE_STRUCTURE)) + xb * (
        src[1] in (SOURCE_BINARIES, SOURCE_STRUCTURE)
    )
    nbA, dA = system.neighbour_G(a, b) if binary else (math.nan, math.nan)
    nbB, dB = system.neighbour_G(b, a) if binary else (math.nan, math.nan)
    known_nb = [g for g in (nbA, nbB) if not math.isnan(g)]
    nb_mean = sum(known_nb) / len(known_nb) if known_nb else math.nan
    cA = system.neighbour_curve(a, b, xa, T, k=CURVE_NEIGHBOURS) if binary else math.nan
    cB = system.neighbour_curve(b, a, xb, T, k=CURVE_NEIGHBOURS) if binary else math.nan
    known_c = [c for c in (cA, cB) if not math.isnan(c)]
    c_mean = sum(known_c) / len(known_c) if known_c else math.nan
    nan = np.full(n_descriptors, np.nan)
    da = np.asarray(system.descriptors.get(a, nan), float)
    db = np.asarray(system.descriptors.get(b, nan), float)
    head = [
        1000.0 / T, ideal, xa * xb, xa, La, Lb, Lb - La, *src, estimated, float(binary),
        float(system.water_key in (a, b)), gA, gB, nA, nB, xa * xb * g_mean,
        pa.B if pa.source != SOURCE_REFERENCE else -1.0, pb.B if pb.source != SOURCE_REFERENCE else -1.0,
        nbA, nbB, dA, dB, xa * xb * nb_mean, cA, cB, c_mean,
    ]  # fmt: skip
    row = np.concatenate([head, xa * da + xb * db, np.sqrt(xa * xb) * np.abs(da - db), da, db])
    return row, ideal
