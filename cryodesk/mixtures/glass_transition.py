"""Glass transition (Tg) of aqueous CPA mixtures: Gordon–Taylor and Fox, with bases and uncertainty.

What :class:`MixtureTgModel` predicts is the **solution Tg**: the Tg of a homogeneous, ice-free glass of the
given composition. It is not Tg′ (the Tg of the maximally freeze-concentrated phase left between ice
crystals), which depends on where the freezing curve meets the glass curve and on annealing. Tg′ is kept
apart: measured values are records (:class:`TgPrime`), and the separate estimate :func:`estimate_tg_prime`
returns a :class:`TgPrimeEstimate` (kind ``"tg_prime_estimate"``) whose basis is stated: the solution Tg
of the freeze-concentrated phase at its solute mass fraction W′g (reported, else a typical value), i.e. the
state-diagram construction Tg′ = Tg(W′g). Evaluating the solution model at the *initial* concentration of
a frozen sample is never done.

Conventions
-----------
* Compositions are mass fractions (0-1), water included.
* Gordon–Taylor constant ``k`` is relative to water and multiplies the water term of the binary, as in
  ``shared/data/aqueous_tg/gordon_taylor_k.csv`` and the food-science literature:

      Tg = (w_s·Tg_s + k·w_w·Tg_w) / (w_s + k·w_w)

  The polymer-literature form ``Tg = (w1·Tg1 + K·w2·Tg2)/(w1 + K·w2)`` with 1 = water has K = 1/k.
  For several solutes each gets its own water-relative k (no solute–solute terms):

      Tg = (w_w·Tg_w + Σ w_i·Tg_i/k_i) / (w_w + Σ w_i/k_i)

* Fox: ``1/Tg = Σ w_i/Tg_i``; it is Gordon–Taylor with k_i = Tg_i/Tg_w.
* Simha–Boyer estimate of k when no fitted or literature value exists: ``k ≈ ρ_s·Tg_s/(ρ_w·Tg_w)``
  (from Δα·Tg ≈ const), with a stated model error (:data:`SIMHA_BOYER_LOG_SIGMA`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from cryodesk.mixtures.units import MissingQuantity, MissingQuantityError, SourcedValue

if TYPE_CHECKING:
    from cryodesk.mixtures.composition import CompositionBreakdown

# ------------------------------------------------------------------------------------------- constants

#: Default Tg of water (K). 136 K is the conventional end-member; Schwab, J. Chem. Educ. 101:1696 (2024),
#: doi 10.1021/acs.jchemed.4c00102, extrapolates 135.3 ± 1.2 K from glycerol-water DSC; Inaba &
#: Andersson (2007) 135 K; Johari et al. (1987) 138 K. Configurable per model.
WATER_TG_K = 136.0
WATER_TG_SIGMA_K = 1.2

#: Tg ≈ 2/3·Tm (Beaman–Kauzmann rule) as the baseline when no Tg is known.
TM_RULE_RATIO = 2.0 / 3.0
#: Standard deviation of Tg/Tm over the 341 rows with a melting point in the Koop et al. (2011)
#: compilation (shared/data/glass_transition/Koop_dataset.csv; mean 0.693, SD 0.090, computed for
#: CryoDesk). Used as the 1σ uncertainty of the rule: σ(Tg) = 0.09·Tm, i.e. about ±26 K at Tm = 290 K.
TM_RULE_SIGMA_RATIO = 0.09

#: 1σ model error of a Simha–Boyer k, as a factor exp(±0.4) ≈ ×/÷1.5. A stated assumption, not a fitted
#: figure: the rule is an order-of-magnitude relation between expansivity jumps and Tg.
SIMHA_BOYER_LOG_SIGMA = 0.4

#: Uncertainty floor (K) when a pure Tg rests on one value or on agreeing replicates: DSC onset vs
#: midpoint conventions and heating rate alone move Tg by a few kelvin.
TG_SIGMA_FLOOR_K = 3.0

#: Water density used in the Simha–Boyer estimate. The rule concerns the glass/liquid; 1.00 g/mL is the
#: conventional value for water in aqueous Gordon–Taylor estimates (stated, not measured for glassy water).
WATER_DENSITY_FOR_K = SourcedValue(1.0, "conventional 1.00 g/mL for water in the Simha–Boyer estimate")

K_CONVENTION = "k multiplies the water term: Tg = (w_s*Tg_s + k*w_w*Tg_w)/(w_s + k*w_w)"

HOMOGENEOUS_GLASS_NOTE = (
    "Solution Tg of a homogeneous, ice-free glass. At low solute fractions ordinary cooling freezes water and "
    "the transition seen is Tg' of the freeze-concentrated phase, which this model does not predict."
)


# ----------------------------------------------------------------------------------- pure-component Tg


class TgBasis(StrEnum):
    """How a pure-component Tg was obtained."""

    MEASURED = "measured"
    LITERATURE = "literature"  # compiled literature values, e.g. the Koop et al. (2011) compilation
    PREDICTED = "predicted"
    TM_RULE = "estimated_from_tm"


@dataclass(frozen=True, slots=True)
class PureTg:
    """Tg of a pure component (K) with its 1σ standard uncertainty and basis.

    Attributes:
        value_K: Tg in kelvin.
        sigma_K: 1σ standard uncertainty in kelvin.
        basis: measured, literature, predicted or estimated from Tm.
        source: citation, store reference or model name.
        n_values: how many values were averaged.
        note: anything a user should know (e.g. "range 191-199 K").
    """

    value_K: float
    sigma_K: float
    basis: TgBasis
    source: str
    n_values: int = 1
    note: str | None = None

    def __post_init__(self) -> None:
        if not (self.value_K > 0 and self.sigma_K >= 0):
            raise ValueError(f"Tg must be > 0 K and sigma >= 0 K, got {self.value_K}, {self.sigma_K}")

    @classmethod
    def measured(cls, value_K: float, sigma_K: float, source: str) -> PureTg:
        return cls(value_K, sigma_K, TgBasis.MEASURED, source)

    @classmethod
    def predicted(cls, value_K: float, sigma_K: float, model: str) -> PureTg:
        """A model prediction; ``sigma_K`` should be the model's own uncertainty (e.g. CV RMSE)."""
        return cls(value_K, sigma_K, TgBasis.PREDICTED, model)

    @classmethod
    def from_melting_point(
        cls,
        tm_K: float,
        source: str,
        *,
        ratio: float = TM_RULE_RATIO,
        sigma_ratio: float = TM_RULE_SIGMA_RATIO,
    ) -> PureTg:
        """Tg ≈ ratio·Tm with σ = sigma_ratio·Tm (defaults: 2/3 and 0.09, see the module constants)."""
        return cls(
            ratio * tm_K,
            sigma_ratio * tm_K,
            TgBasis.TM_RULE,
            f"{ratio:.3g}·Tm rule, Tm = {tm_K:g} K ({source})",
            note=f"estimate with a large uncertainty (σ = {sigma_ratio:g}·Tm)",
        )

    @classmethod
    def from_replicates(
        cls,
        values_K: Sequence[float],
        source: str,
        *,
        basis: TgBasis = TgBasis.LITERATURE,
        sigma_floor_K: float = TG_SIGMA_FLOOR_K,
    ) -> PureTg:
        """Average several reported values of one Tg.

        The uncertainty is the sample SD (not the standard error of the mean), floored at ``sigma_floor_K``,
        because the spread between sources is systematic (onset vs midpoint, heating rate, residual
        water), not noise that averages away.
        """
        arr = np.asarray(values_K, dtype=float)
        if arr.size == 0:
            raise ValueError("no Tg values to average")
        sd = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
        note = f"mean of {arr.size} values ({', '.join(f'{v:g}' for v in arr)} K)" if arr.size > 1 else None
        return cls(float(arr.mean()), max(sd, sigma_floor_K), basis, source, int(arr.size), note)


#: Default water end-member, see :data:`WATER_TG_K`.
WATER_TG = PureTg(
    WATER_TG_K,
    WATER_TG_SIGMA_K,
    TgBasis.LITERATURE,
    "136 K default; 135.3 ± 1.2 K, Schwab, J. Chem. Educ. 101:1696 (2024), doi 10.1021/acs.jchemed.4c00102",
)


def select_pure_tg(
    name: str,
    measured: Sequence[PureTg] = (),
    predicted: PureTg | None = None,
    tm_K: float | None = None,
    tm_source: str = "melting point",
) -> PureTg:
    """Choose the Tg to use for a component: measured (averaged) > predicted > 2/3·Tm rule.

    Raises:
        MissingQuantityError: nothing to base a Tg on.
    """
    if measured:
        if len(measured) == 1:
            return measured[0]
        return PureTg.from_replicates(
            [m.value_K for m in measured],
            "; ".join(sorted({m.source for m in measured})),
            basis=measured[0].basis,
        )
    if predicted is not None:
        return predicted
    if tm_K is not None:
        return PureTg.from_melting_point(tm_K, tm_source)
    raise MissingQuantityError(
        [MissingQuantity(name, "pure-component Tg (K) or melting point", "mixture Tg")]
    )


# ---------------------------------------------------------------------------------------- k constants


class KBasis(StrEnum):
    FITTED = "fitted"
    LITERATURE = "literature"
    SIMHA_BOYER = "simha_boyer_estimate"
    FOX = "fox_rule"  # k_i = Tg_i/Tg_w, which turns Gordon–Taylor into the Fox equation


@dataclass(frozen=True, slots=True)
class GordonTaylorK:
    """Gordon–Taylor k of a solute relative to water (convention :data:`K_CONVENTION`).

    Attributes:
        k: dimensionless constant.
        sigma: 1σ standard uncertainty of k.
        basis: fitted, literature or Simha–Boyer estimate.
        source: data set, citation or the formula and inputs used.
    """

    k: float
    sigma: float
    basis: KBasis
    source: str

    def __post_init__(self) -> None:
        if not (self.k > 0 and self.sigma >= 0):
            raise ValueError(f"k must be > 0 and sigma >= 0, got {self.k}, {self.sigma}")


def simha_boyer_k(
    tg_solute_K: float, density_solute: float, tg_water_K: float = WATER_TG_K, density_water: float = 1.0
) -> float:
    """Simha–Boyer estimate k ≈ ρ_s·Tg_s / (ρ_w·Tg_w), densities in g/mL, Tg in K.

    Example: glycerol 1.261 g/mL, Tg 190.5 K, water 136 K -> k = 1.261·190.5/136 = 1.766.
    """
    return density_solute * tg_solute_K / (density_water * tg_water_K)


# ------------------------------------------------------------------------------------------ core maths


def gordon_taylor_tg(
    w_water: float | np.ndarray,
    tg_water_K: float | np.ndarray,
    w_solutes: Sequence[float | np.ndarray],
    tg_solutes_K: Sequence[float | np.ndarray],
    k_solutes: Sequence[float | np.ndarray],
) -> float | np.ndarray:
    """Multi-component Gordon–Taylor Tg (K) with water-relative k (see module docstring).

    Inputs may be numpy arrays (broadcast together), which is how curves and Monte Carlo samples are
    evaluated in one call.
    """
    num = np.asarray(w_water, dtype=float) * tg_water_K
    den = np.asarray(w_water, dtype=float) + 0.0
    for w, tg, k in zip(w_solutes, tg_solutes_K, k_solutes, strict=True):
        num = num + np.asarray(w) * tg / k
        den = den + np.asarray(w) / k
    return num / den


def fox_tg(
    mass_fractions: Sequence[float | np.ndarray], tg_K: Sequence[float | np.ndarray]
) -> float | np.ndarray:
    """Fox equation: 1/Tg = Σ w_i/Tg_i (mass fractions summing to 1, Tg in K)."""
    inv = sum(np.asarray(w) / tg for w, tg in zip(mass_fractions, tg_K, strict=True))
    return 1.0 / inv


# ------------------------------------------------------------------------------------------ the model


class TgModelKind(StrEnum):
    GORDON_TAYLOR = "gordon_taylor"
    FOX = "fox"


@dataclass(frozen=True, slots=True)
class GlassFormer:
    """A solute the Tg model knows.

    Attributes:
        name: component name (matches the keys of the mass fractions passed to the model).
        tg: its pure-component Tg.
        k: fitted or literature Gordon–Taylor k; None -> Simha–Boyer estimate (needs ``density``).
        density: g/mL with basis, used only for the Simha–Boyer estimate.
    """

    name: str
    tg: PureTg
    k: GordonTaylorK | None = None
    density: SourcedValue | None = None


@dataclass(frozen=True, slots=True)
class TgPrediction:
    """Predicted solution Tg with its uncertainty and everything it rests on.

    Attributes:
        tg_K: central value (K), from the nominal parameters.
        sigma_K: 1σ (K), propagated from the pure Tg, water Tg and k uncertainties.
        lower95_K, upper95_K: 95 % interval (± 1.96σ analytic, or 2.5/97.5 percentiles Monte Carlo).
        model: gordon_taylor or fox.
        uncertainty_method: "analytic (linearised)" or "monte carlo (n, seed)".
        mass_fractions: composition used, water included.
        tg_used, k_used: the pure Tg and k of each component.
        assumptions: stated approximations.
        kind: always "solution_tg" (never Tg′).
    """

    tg_K: float
    sigma_K: float
    lower95_K: float
    upper95_K: float
    model: TgModelKind
    uncertainty_method: str
    mass_fractions: dict[str, float]
    tg_used: dict[str, PureTg]
    k_used: dict[str, GordonTaylorK]
    assumptions: tuple[str, ...]
    kind: str = "solution_tg"


class MixtureTgModel:
    """Solution Tg of water + glass-forming solutes by Gordon–Taylor (default) or Fox.

    Args:
        formers: the solutes with their pure Tg and (optionally) k.
        water_tg: water end-member (default 136 ± 1.2 K, see :data:`WATER_TG`).
        water_density: water density for the Simha–Boyer estimate.
        model: gordon_taylor or fox.
    """

    def __init__(
        self,
        formers: Sequence[GlassFormer],
        *,
        water_tg: PureTg = WATER_TG,
        water_density: SourcedValue = WATER_DENSITY_FOR_K,
        model: TgModelKind | str = TgModelKind.GORDON_TAYLOR,
    ) -> None:
        self.formers = {f.name.lower(): f for f in formers}
        self.water_tg = water_tg
        self.water_density = water_density
        self.model = TgModelKind(model)
        if self.model is TgModelKind.GORDON_TAYLOR:
            missing = [
                MissingQuantity(
                    f.name, "density (g/mL) for the Simha–Boyer k, or a fitted/literature k", "Gordon–Taylor"
                )
                for f in formers
                if f.k is None and f.density is None
            ]
            if missing:
                raise MissingQuantityError(missing)

    # -- k resolution -------------------------------------------------------------------------------

    def k_for(self, name: str) -> GordonTaylorK:
        """The k used for a solute: its own fitted/literature k, else the Simha–Boyer estimate."""
        f = self._former(name)
        if self.model is TgModelKind.FOX:
            k = f.tg.value_K / self.water_tg.value_K
            return GordonTaylorK(k, 0.0, KBasis.FOX, "Fox equation (k = Tg_s/Tg_w)")
        if f.k is not None:
            return f.k
        assert f.density is not None
        k = simha_boyer_k(f.tg.value_K, f.density.value, self.water_tg.value_K, self.water_density.value)
        return GordonTaylorK(
            k,
            k * SIMHA_BOYER_LOG_SIGMA,
            KBasis.SIMHA_BOYER,
            f"Simha–Boyer k = ρ_s·Tg_s/(ρ_w·Tg_w) = {f.density.value:g}·{f.tg.value_K:.4g}/"
            f"({self.water_density.value:g}·{self.water_tg.value_K:g}); ρ_s: {f.density.basis}; "
            f"model error ×/÷exp({SIMHA_BOYER_LOG_SIGMA}) assumed",
        )

    def _former(self, name: str) -> GlassFormer:
        try:
            return self.formers[name.lower()]
        except KeyError:
            raise MissingQuantityError(
                [MissingQuantity(name, "pure-component Tg (K)", "mixture Tg (component not in the Tg model)")]
            ) from None

    # -- prediction -----------------------------------------------------------------------------------

    def _split(self, mass_fractions: Mapping[str, float]) -> tuple[float, list[str], np.ndarray]:
        solutes = {k: float(v) for k, v in mass_fractions.items() if k.lower() != "water"}
        water = [float(v) for k, v in mass_fractions.items() if k.lower() == "water"]
        if any(v < 0 for v in [*solutes.values(), *water]):
            raise ValueError(f"negative mass fraction in {dict(mass_fractions)}")
        total = sum(solutes.values())
        w_water = water[0] if water else 1.0 - total
        if total > 1.0 + 1e-9 or abs(w_water + total - 1.0) > 1e-6:
            raise ValueError(
                f"mass fractions must sum to 1 (water included); got solutes {total:.6g}, water {w_water:.6g}"
            )
        names = list(solutes)
        for n in names:
            self._former(n)
        return max(w_water, 0.0), names, np.array([solutes[n] for n in names])

    def _evaluator(
        self, names: Sequence[str]
    ) -> tuple[Callable[[np.ndarray, float, np.ndarray], np.ndarray], np.ndarray, np.ndarray]:
        """f(theta, w_water, w_solutes) with theta = [Tg_w, Tg_1..n, e_1..n]; nominal theta and its sigmas.

        e_i is a log-scale perturbation of k_i. A Simha–Boyer k is recomputed from the perturbed Tg values,
        so its correlation with Tg_s and Tg_w is carried through; a fixed k is k_i·exp(e_i).
        """
        formers = [self._former(n) for n in names]
        n = len(formers)
        theta0 = np.array([self.water_tg.value_K, *(f.tg.value_K for f in formers), *([0.0] * n)])
        sig = [self.water_tg.sigma_K, *(f.tg.sigma_K for f in formers)]
        for f in formers:
            if self.model is TgModelKind.FOX:
                sig.append(0.0)
            elif f.k is None:
                sig.append(SIMHA_BOYER_LOG_SIGMA)
            else:
                sig.append(f.k.sigma / f.k.k)
        rho_w = self.water_density.value

        def f(theta: np.ndarray, w_water: float, w: np.ndarray) -> np.ndarray:
            tg_w, tgs, es = theta[0], theta[1 : n + 1], theta[n + 1 :]
            if self.model is TgModelKind.FOX:
                return fox_tg([w_water, *w], [tg_w, *tgs])
            ks = []
            for i, fm in enumerate(formers):
                if fm.k is None:
                    base = simha_boyer_k(tgs[i], fm.density.value, tg_w, rho_w)  # type: ignore[union-attr]
                else:
                    base = fm.k.k
                ks.append(base * np.exp(es[i]))
            return gordon_taylor_tg(w_water, tg_w, list(w), list(tgs), ks)

        return f, theta0, np.asarray(sig)

    def predict(
        self,
        mass_fractions: Mapping[str, float],
        *,
        uncertainty: str = "analytic",
        n_samples: int = 4000,
        seed: int = 0,
    ) -> TgPrediction:
        """Predict the solution Tg (K) of a composition given as mass fractions.

        Args:
            mass_fractions: solute name -> mass fraction; ``"water"`` optional (else the remainder).
            uncertainty: "analytic" (first-order propagation by central differences) or "monte_carlo"
                (Gaussian Tg, log-normal k, fixed ``seed``).
            n_samples: Monte Carlo sample count.
            seed: Monte Carlo seed (fixed so results are reproducible).
        """
        w_water, names, w = self._split(mass_fractions)
        f, theta0, sig = self._evaluator(names)
        tg0 = float(f(theta0, w_water, w))
        if uncertainty == "analytic":
            sigma = _linear_sigma(f, theta0, sig, w_water, w)
            lo, hi, method = (
                tg0 - 1.96 * sigma,
                tg0 + 1.96 * sigma,
                "analytic (linearised, central differences)",
            )
        elif uncertainty == "monte_carlo":
            rng = np.random.default_rng(seed)
            draws = theta0[:, None] + sig[:, None] * rng.standard_normal((theta0.size, n_samples))
            n = len(names)
            draws[: n + 1] = np.clip(draws[: n + 1], 1.0, None)  # a Tg draw below 1 K is unphysical
            values = f(draws, w_water, w[:, None] if w.size else w)
            sigma = float(np.std(values, ddof=1))
            lo, hi = (float(x) for x in np.percentile(values, [2.5, 97.5]))
            method = f"monte carlo (n={n_samples}, seed={seed})"
        else:
            raise ValueError(f"uncertainty must be 'analytic' or 'monte_carlo', not {uncertainty!r}")
        return TgPrediction(
            tg_K=tg0,
            sigma_K=sigma,
            lower95_K=lo,
            upper95_K=hi,
            model=self.model,
            uncertainty_method=method,
            mass_fractions={"water": w_water, **dict(zip(names, map(float, w), strict=True))},
            tg_used={"water": self.water_tg, **{n: self._former(n).tg for n in names}},
            k_used={n: self.k_for(n) for n in names},
            assumptions=self._assumptions(names),
        )

    def _assumptions(self, names: Sequence[str]) -> tuple[str, ...]:
        notes = [HOMOGENEOUS_GLASS_NOTE]
        if self.model is TgModelKind.FOX:
            notes.append("Fox equation 1/Tg = Σ w_i/Tg_i (Gordon–Taylor with k_i = Tg_i/Tg_w).")
        else:
            notes.append(
                "Multi-component Gordon–Taylor with water-relative k: Tg = (w_w·Tg_w + Σ w_i·Tg_i/k_i)/"
                "(w_w + Σ w_i/k_i); no solute–solute interaction terms."
            )
            for n in names:
                k = self.k_for(n)
                if k.basis is KBasis.SIMHA_BOYER:
                    notes.append(f"k of {n} is a Simha–Boyer estimate ({k.k:.3g}), not fitted: {k.source}.")
        for n in names:
            tg = self._former(n).tg
            if tg.basis is TgBasis.TM_RULE:
                notes.append(
                    f"Tg of {n} estimated from its melting point ({tg.source}); σ = {tg.sigma_K:.0f} K."
                )
        return tuple(notes)

    def predict_breakdown(
        self,
        breakdown: CompositionBreakdown,
        *,
        exclude: Sequence[str] = (),
        uncertainty: str = "analytic",
        n_samples: int = 4000,
        seed: int = 0,
    ) -> TgPrediction:
        """Predict from a :class:`~cryodesk.mixtures.composition.CompositionBreakdown`.

        ``exclude`` drops named components (e.g. a polymer with no Tg) and renormalises the rest; that
        choice is added to the assumptions.
        """
        fractions = dict(breakdown.mass_fractions())
        water_name = breakdown.water.name
        fractions["water"] = fractions.pop(water_name)
        dropped = {n: fractions.pop(n) for n in list(fractions) if n.lower() in {e.lower() for e in exclude}}
        scale = sum(fractions.values())
        fractions = {k: v / scale for k, v in fractions.items()}
        pred = self.predict(fractions, uncertainty=uncertainty, n_samples=n_samples, seed=seed)
        if dropped:
            note = f"Excluded from the Tg model and the rest renormalised: {', '.join(f'{k} (w={v:.3f})' for k, v in dropped.items())}."
            pred = _with_note(pred, note)
        return pred

    def curve(
        self,
        proportions: Mapping[str, float],
        w_solutes: Sequence[float] | np.ndarray,
        *,
        uncertainty: str = "analytic",
    ) -> TgCurve:
        """Tg versus total solute mass fraction at fixed solute proportions (by mass).

        Args:
            proportions: relative masses of the solutes, e.g. ``{"DMSO": 1, "ethylene glycol": 1}``.
            w_solutes: total solute mass fractions (0-1) at which to evaluate.
            uncertainty: as in :meth:`predict` (analytic is the fast default for curves).
        """
        total = sum(proportions.values())
        if total <= 0:
            raise ValueError("proportions must be positive")
        share = {k: v / total for k, v in proportions.items()}
        grid = np.asarray(w_solutes, dtype=float)
        preds = [self.predict({k: s * wt for k, s in share.items()}, uncertainty=uncertainty) for wt in grid]
        fractions = {"water": 1.0 - grid, **{k: s * grid for k, s in share.items()}}
        return TgCurve(
            w_solutes=grid,
            fractions=fractions,
            tg_K=np.array([p.tg_K for p in preds]),
            sigma_K=np.array([p.sigma_K for p in preds]),
            lower95_K=np.array([p.lower95_K for p in preds]),
            upper95_K=np.array([p.upper95_K for p in preds]),
            model=self.model,
            assumptions=preds[0].assumptions if preds else (),
            bases=tuple(
                f"{k}: k = {v.k:.4g} ± {v.sigma:.2g} ({v.basis.value})"
                for k, v in (preds[0].k_used.items() if preds else ())
            )
            + tuple(
                f"{k}: Tg = {v.value_K:.4g} ± {v.sigma_K:.2g} K ({v.basis.value}; {v.source})"
                for k, v in (preds[0].tg_used.items() if preds else ())
            ),
        )


def _linear_sigma(
    f: Callable[[np.ndarray, float, np.ndarray], np.ndarray],
    theta0: np.ndarray,
    sig: np.ndarray,
    w_water: float,
    w: np.ndarray,
) -> float:
    var = 0.0
    for j, s in enumerate(sig):
        if s == 0:
            continue
        h = 1e-4 * max(1.0, abs(theta0[j]))
        up, dn = theta0.copy(), theta0.copy()
        up[j] += h
        dn[j] -= h
        grad = (float(f(up, w_water, w)) - float(f(dn, w_water, w))) / (2 * h)
        var += (grad * s) ** 2
    return math.sqrt(var)


def _with_note(pred: TgPrediction, note: str) -> TgPrediction:
    return replace(pred, assumptions=(*pred.assumptions, note))


# -------------------------------------------------------------------------------------------- curves


@dataclass(frozen=True)
class TgCurve:
    """Solution Tg versus total solute mass fraction.

    Attributes:
        w_solutes: total solute mass fraction per point.
        fractions: mass fraction of each component (water included) per point.
        tg_K, sigma_K, lower95_K, upper95_K: Tg, its 1σ and 95 % interval per point (K).
        model: gordon_taylor or fox.
        assumptions, bases: as for :class:`TgPrediction`.
    """

    w_solutes: np.ndarray
    fractions: dict[str, np.ndarray]
    tg_K: np.ndarray
    sigma_K: np.ndarray
    lower95_K: np.ndarray
    upper95_K: np.ndarray
    model: TgModelKind
    assumptions: tuple[str, ...] = ()
    bases: tuple[str, ...] = field(default_factory=tuple)

    def to_csv(self, target: str | Path | TextIO | None = None, *, header_comments: bool = True) -> str:
        """Write the curve as CSV (and return the text). Comment lines (``#``) state model and bases."""
        buf = io.StringIO()
        if header_comments:
            buf.write(f"# CryoDesk solution Tg curve (not Tg'); model: {self.model.value}\n")
            for line in (*self.bases, *self.assumptions):
                buf.write(f"# {line}\n")
        names = list(self.fractions)
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(
            ["w_solutes", *(f"w_{n}" for n in names), "tg_K", "sigma_K", "lower95_K", "upper95_K"]
        )
        for i in range(self.w_solutes.size):
            writer.writerow(
                [
                    f"{self.w_solutes[i]:.6g}",
                    *(f"{self.fractions[n][i]:.6g}" for n in names),
                    f"{self.tg_K[i]:.4f}",
                    f"{self.sigma_K[i]:.4f}",
                    f"{self.lower95_K[i]:.4f}",
                    f"{self.upper95_K[i]:.4f}",
                ]
            )
        text = buf.getvalue()
        if isinstance(target, str | Path):
            Path(target).write_text(text, encoding="utf-8")
        elif target is not None:
            target.write(text)
        return text


# ------------------------------------------------------------------------------------------------ Tg′


@dataclass(frozen=True, slots=True)
class TgPrime:
    """A measured Tg′ (maximally freeze-concentrated phase), kept apart from solution Tg.

    Tg′ is fixed by where the ice-melting curve meets the glass curve (and by annealing); evaluating
    Gordon–Taylor at the initial concentration of a frozen sample gives a number with no meaning.

    Measured Tg′ is never derived from the solution model; the stated-basis estimate is a different type
    (:class:`TgPrimeEstimate`, from :func:`estimate_tg_prime`).

    Attributes:
        solute: solute name.
        value_K: Tg′ in kelvin (lower end when a range is given).
        source: citation.
        method: measurement method (DSC, adiabatic calorimetry ...).
        w_prime: solute mass fraction of the freeze-concentrated phase (W′g), when reported.
        value_high_K: upper end of a reported range.
        lower_transition: True for the lower of two transitions (Tg1′), which is not maximally freeze-concentrated.
    """

    solute: str
    value_K: float
    source: str
    method: str | None = None
    w_prime: float | None = None
    value_high_K: float | None = None
    lower_transition: bool = False


# ------------------------------------------------------------------------------------ Tg′ estimate

#: Typical solute mass fraction of the maximally freeze-concentrated phase (C′g = W′g here, solute basis)
#: for sugars and polyols. RECALLED, not checked in this project: Roos & Karel (1991) and Roos,
#: Carbohydr. Res. 238:39 (1993) report C′g near 0.80 for sucrose and most mono/disaccharides (Levine &
#: Slade's older Wg′ values correspond to C′g ≈ 0.64-0.83). Data in shared/data/aqueous_tg agree where
#: they speak: glycerol W′g = 0.76 (Inaba & Andersson 2007), and an unfrozen 80 % sucrose glass showing
#: "a similar glass transition" to frozen 40 % sucrose (Cryobiology 2006 abstract, row 17's note).
TYPICAL_W_PRIME = 0.80
#: 1σ of the typical W′g: an assumption chosen to span the recalled 0.70-0.85 spread of C′g values.
TYPICAL_W_PRIME_SIGMA = 0.05
TYPICAL_W_PRIME_SOURCE = (
    "typical C′g ≈ 0.80 of sugars/polyols (Roos & Karel 1991; Roos, Carbohydr. Res. 238:39 (1993); recalled, "
    "not checked here); σ = 0.05 assumed"
)
#: 1σ of a W′g read from a publication: C′g is found by extrapolation on the state diagram and reported
#: values for one solute differ by a few percent between methods (stated assumption).
REPORTED_W_PRIME_SIGMA = 0.02


class WPrimeBasis(StrEnum):
    REPORTED = "reported"  # stated in a publication for this solute
    TYPICAL = "typical_default"  # :data:`TYPICAL_W_PRIME`


@dataclass(frozen=True, slots=True)
class WPrime:
    """Solute mass fraction of the maximally freeze-concentrated phase (W′g, 0-1) with its basis."""

    value: float
    sigma: float
    basis: WPrimeBasis
    source: str

    def __post_init__(self) -> None:
        if not (0.0 < self.value < 1.0 and self.sigma >= 0):
            raise ValueError(f"W'g must lie in (0, 1) with sigma >= 0, got {self.value}, {self.sigma}")

    @classmethod
    def reported(cls, value: float, source: str, sigma: float = REPORTED_W_PRIME_SIGMA) -> WPrime:
        return cls(value, sigma, WPrimeBasis.REPORTED, source)

    @classmethod
    def typical(cls) -> WPrime:
        return cls(TYPICAL_W_PRIME, TYPICAL_W_PRIME_SIGMA, WPrimeBasis.TYPICAL, TYPICAL_W_PRIME_SOURCE)


@dataclass(frozen=True, slots=True)
class TgPrimeEstimate:
    """Estimated Tg′ of an aqueous solute: the solution Tg of the freeze-concentrated phase at W′g.

    Attributes:
        solute: solute name.
        tg_prime_K: central value (K).
        sigma_K: 1σ (K): the solution model's own σ at W′g and the W′g uncertainty, in quadrature.
        lower95_K, upper95_K: ± 1.96σ.
        w_prime: the W′g used, with basis.
        sigma_from_w_prime_K: the part of σ due to W′g alone.
        solution: the underlying solution-Tg prediction at W′g (its pure Tg, k and assumptions).
        basis: one-line statement of how the number was made.
        kind: always "tg_prime_estimate" (never "solution_tg", never a measured Tg′).
    """

    solute: str
    tg_prime_K: float
    sigma_K: float
    lower95_K: float
    upper95_K: float
    w_prime: WPrime
    sigma_from_w_prime_K: float
    solution: TgPrediction
    basis: str
    kind: str = "tg_prime_estimate"


def estimate_tg_prime(model: MixtureTgModel, solute: str, w_prime: WPrime | None = None) -> TgPrimeEstimate:
    """Tg′ of ``solute``–water as Tg(W′g) on the model's glass curve (state-diagram construction).

    Basis: below Tg′ the freeze-concentrated phase stops losing water to ice, so Tg′ is the glass-curve
    temperature at the phase's composition W′g. The glass curve is the model's Gordon–Taylor/Fox line.
    W′g is ``w_prime`` (reported for this solute) or the typical 0.80 ± 0.05 of sugars and polyols.

    Limits (stated in the assumptions): the estimate is for the maximally freeze-concentrated state (an
    annealed sample); a lower transition of an unannealed sample (Tg1′) sits below it. The Gordon–Taylor
    line is extrapolated from its end-members, and its k is often an estimate, so the σ here is the
    propagated input uncertainty, not a validated prediction error.

    Raises:
        MissingQuantityError: the solute is not in the model.
    """
    wp = w_prime or WPrime.typical()
    sol = model.predict({solute: wp.value})
    h = 1e-4
    slope = (model.predict({solute: wp.value + h}).tg_K - model.predict({solute: wp.value - h}).tg_K) / (
        2 * h
    )
    sigma_w = abs(slope) * wp.sigma
    sigma = math.hypot(sol.sigma_K, sigma_w)
    basis = (
        f"Tg′ = {model.model.value} solution Tg at W′g = {wp.value:.3g} ± {wp.sigma:.2g} ({wp.basis.value}: "
        f"{wp.source}); σ combines the model inputs ({sol.sigma_K:.2g} K) and W′g ({sigma_w:.2g} K)"
    )
    notes = (
        "Tg′ estimate for the maximally freeze-concentrated (annealed) phase; a lower transition of an "
        "unannealed frozen solution (Tg1′) lies below it.",
        basis,
    )
    sol = replace(sol, assumptions=(*notes, *sol.assumptions[1:]))  # drop the 'solution Tg only' note
    return TgPrimeEstimate(
        solute=solute,
        tg_prime_K=sol.tg_K,
        sigma_K=sigma,
        lower95_K=sol.tg_K - 1.96 * sigma,
        upper95_K=sol.tg_K + 1.96 * sigma,
        w_prime=wp,
        sigma_from_w_prime_K=sigma_w,
        solution=sol,
        basis=basis,
    )


@dataclass(frozen=True, slots=True)
class TgPrimeCorrelation:
    """Empirical line Tg′ = intercept + slope·Tg(dry solute), in the spirit of Levine & Slade's observation
    that Tg′ of carbohydrates rises with their anhydrous Tg (a correlation, not a physical law).

    Attributes:
        slope, intercept_K: least-squares line.
        residual_sd_K: residual SD (ddof = 2) used as the 1σ of a prediction; None with only 2 points.
        n: number of (Tg, Tg′) pairs it was fitted on.
        source: what it was fitted on.
    """

    slope: float
    intercept_K: float
    residual_sd_K: float | None
    n: int
    source: str

    @classmethod
    def fit(cls, tg_dry_K: Sequence[float], tg_prime_K: Sequence[float], source: str) -> TgPrimeCorrelation:
        x, y = np.asarray(tg_dry_K, float), np.asarray(tg_prime_K, float)
        if x.size != y.size or x.size < 2 or np.ptp(x) == 0:
            raise ValueError(f"need at least 2 pairs with distinct dry Tg, got {x.size}")
        slope, intercept = np.polyfit(x, y, 1)
        resid = y - (intercept + slope * x)
        sd = float(np.sqrt(np.sum(resid**2) / (x.size - 2))) if x.size > 2 else None
        return cls(float(slope), float(intercept), sd, int(x.size), source)

    def predict(self, tg_dry_K: float) -> float:
        return self.intercept_K + self.slope * tg_dry_K


# ------------------------------------------------------------------------------------------- fitting


@dataclass(frozen=True, slots=True)
class KFit:
    """Result of fitting Gordon–Taylor k to (w, Tg) points.

    Attributes:
        k: the fitted k with its standard error as sigma (basis FITTED).
        tg_solute_K: pure-solute Tg used (fixed) or fitted.
        tg_solute_se_K: its standard error when fitted, else None.
        tg_water_K: water Tg used (fixed).
        n, dof: number of points and degrees of freedom.
        rmse_K: root-mean-square residual (K).
        residuals_K: measured − fitted, per point.
    """

    k: GordonTaylorK
    tg_solute_K: float
    tg_solute_se_K: float | None
    tg_water_K: float
    n: int
    dof: int
    rmse_K: float
    residuals_K: tuple[float, ...]


def fit_gordon_taylor_k(
    w_solute: Sequence[float] | np.ndarray,
    tg_K: Sequence[float] | np.ndarray,
    *,
    tg_solute_K: float,
    tg_water_K: float = WATER_TG_K,
    sigma_K: Sequence[float] | np.ndarray | None = None,
    fit_tg_solute: bool = False,
    source: str = "least-squares fit",
) -> KFit:
    """Fit k (and optionally Tg_s) of a binary solute–water system by least squares.

    Args:
        w_solute: solute mass fractions of homogeneous glasses (not Tg′ points).
        tg_K: their measured Tg (K).
        tg_solute_K: pure-solute Tg (fixed unless ``fit_tg_solute``; then the starting value).
        tg_water_K: water Tg (fixed).
        sigma_K: per-point 1σ; when given the covariance is absolute, else scaled by the residual variance.
        fit_tg_solute: also fit the pure-solute Tg (useful when it cannot be measured).
        source: data-set reference for the provenance of the fitted k.

    The standard error of k does not include the uncertainty of the fixed end-members.
    """
    from scipy.optimize import curve_fit

    w = np.asarray(w_solute, dtype=float)
    y = np.asarray(tg_K, dtype=float)
    n_par = 2 if fit_tg_solute else 1
    if w.size != y.size or w.size < n_par + 1:
        raise ValueError(f"need at least {n_par + 1} (w, Tg) points for {n_par} parameter(s), got {w.size}")

    if fit_tg_solute:

        def model(ww: np.ndarray, k: float, tgs: float) -> np.ndarray:
            return gordon_taylor_tg(1 - ww, tg_water_K, [ww], [tgs], [k])  # type: ignore[return-value]

        p0, bounds = [2.0, tg_solute_K], ([1e-6, 1.0], [1e3, 1e4])
    else:

        def model(ww: np.ndarray, k: float) -> np.ndarray:  # type: ignore[misc]
            return gordon_taylor_tg(1 - ww, tg_water_K, [ww], [tg_solute_K], [k])  # type: ignore[return-value]

        p0, bounds = [2.0], ([1e-6], [1e3])
    popt, pcov = curve_fit(
        model, w, y, p0=p0, bounds=bounds, sigma=sigma_K, absolute_sigma=sigma_K is not None
    )
    se = np.sqrt(np.diag(pcov))
    resid = y - model(w, *popt)
    dof = w.size - n_par
    k = GordonTaylorK(
        float(popt[0]),
        float(se[0]),
        KBasis.FITTED,
        f"{source}; {w.size} points, Tg_w = {tg_water_K:g} K fixed, "
        + (f"Tg_s fitted = {popt[1]:.4g} K" if fit_tg_solute else f"Tg_s = {tg_solute_K:g} K fixed"),
    )
    return KFit(
        k=k,
        tg_solute_K=float(popt[1]) if fit_tg_solute else tg_solute_K,
        tg_solute_se_K=float(se[1]) if fit_tg_solute else None,
        tg_water_K=tg_water_K,
        n=int(w.size),
        dof=int(dof),
        rmse_K=float(np.sqrt(np.mean(resid**2))),
        residuals_K=tuple(float(r) for r in resid),
    )
