"""Mixture behaviour against the additive (ideal) expectation from its components.

``excess = measured − expected``, where the expectation comes from a named reference model:

* viscosity: Arrhenius / Grunberg–Nissan ideal mixing, ``ln η_mix = Σ x_i ln η_i`` (G12 = 0); the
  excess is reported in Δlog10 η.
* Tg: the Gordon–Taylor or Fox prediction of :mod:`cryodesk.mixtures.glass_transition`; excess in K.
* toxicity (effect = fraction of cells affected, 0..1; use :func:`effect_from_viability`):
  Bliss independence ``E = 1 − Π(1 − E_i)`` (components act independently), or Loewe additivity
  (a component is a dilution of the other: ``Σ d_i / D_i(E) = 1``, with D_i from each component's
  concentration–response fit). Positive excess = more toxic than the reference = synergistic toxicity.

The sign of an excess is +1 / −1, or 0 when ``|excess| <= tolerance``. Its confidence is
``erf(|excess| / (σ·√2))`` = 1 − two-sided p of "excess is zero" under a normal error ``σ``; without σ it
is 0 (unknown). Excesses of *binary* mixtures are recorded as interaction-graph edges with
:func:`record_excess`; for larger mixtures the excess belongs to the whole mixture, not to one pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cryodesk.mixtures.dose_response import HillFit
from cryodesk.mixtures.glass_transition import TgModelKind, TgPrediction
from cryodesk.mixtures.interaction_graph import EdgeSource, InteractionEdge, InteractionGraph, InteractionType

#: Default |excess| below which the sign is 0: guards against floating-point noise only.
DEFAULT_TOLERANCE = 1e-9


class ReferenceModel(StrEnum):
    """The additive expectation an excess is measured against."""

    GRUNBERG_NISSAN_IDEAL = "arrhenius_grunberg_nissan_ideal"
    GORDON_TAYLOR = "gordon_taylor"
    FOX = "fox"
    BLISS = "bliss_independence"
    LOEWE = "loewe_additivity"


@dataclass(frozen=True, slots=True)
class ExcessResult:
    """Measured against expected, with sign and confidence.

    Attributes:
        quantity: what is compared, e.g. "log10 viscosity".
        measured, expected: in ``units``.
        excess: measured − expected.
        sigma: 1σ of the excess, if known.
        sign: +1, −1 or 0.
        confidence: erf(|excess|/(σ√2)); 0 when σ is unknown.
        reference_model: the additive model used.
        units: unit of measured/expected/excess.
        note: extra information (e.g. Loewe combination index).
    """

    quantity: str
    measured: float
    expected: float
    excess: float
    sigma: float | None
    sign: int
    confidence: float
    reference_model: ReferenceModel
    units: str
    note: str = ""


def classify_excess(excess: float, sigma: float | None, *, tolerance: float = DEFAULT_TOLERANCE) -> tuple[int, float]:
    """Sign (0 within ``tolerance``) and confidence (1 − two-sided p under N(0, σ²); 0 without σ)."""
    sign = 0 if abs(excess) <= tolerance else (1 if excess > 0 else -1)
    if sigma is None or not sigma > 0:
        return sign, 0.0
    return sign, math.erf(abs(excess) / (sigma * math.sqrt(2.0)))


def _result(quantity: str, measured: float, expected: float, sigma: float | None, model: ReferenceModel,
            units: str, tolerance: float, note: str = "") -> ExcessResult:
    excess = measured - expected
    sign, conf = classify_excess(excess, sigma, tolerance=tolerance)
    return ExcessResult(quantity, measured, expected, excess, sigma, sign, conf, model, units, note)


# -------------------------------------------------------------------------------------------- viscosity


def ideal_mixture_viscosity(mole_fractions: Sequence[float], viscosities: Sequence[float]) -> float:
    """Ideal (Arrhenius / Grunberg–Nissan with G12 = 0) mixture viscosity: ln η = Σ x_i ln η_i.

    Viscosities in any one unit (mPa·s = cP); mole fractions must sum to 1. The result is in that unit.
    """
    x = np.asarray(mole_fractions, dtype=float)
    eta = np.asarray(viscosities, dtype=float)
    if x.shape != eta.shape or abs(x.sum() - 1.0) > 1e-6 or np.any(x < 0) or np.any(eta <= 0):
        raise ValueError("need non-negative mole fractions summing to 1 and positive viscosities of equal length")
    return float(np.exp(np.sum(x * np.log(eta))))


def grunberg_nissan_g12(x1: float, eta1: float, eta2: float, eta_mix: float) -> float:
    """Grunberg–Nissan interaction parameter of a binary: G12 = (ln η − x1 ln η1 − x2 ln η2) / (x1·x2)."""
    x2 = 1.0 - x1
    if not (0 < x1 < 1):
        raise ValueError("G12 needs 0 < x1 < 1")
    return (math.log(eta_mix) - x1 * math.log(eta1) - x2 * math.log(eta2)) / (x1 * x2)


def viscosity_excess(
    measured_viscosity: float,
    mole_fractions: Sequence[float],
    viscosities: Sequence[float],
    *,
    sigma_log10: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExcessResult:
    """Excess log10 viscosity of a mixture over the ideal (G12 = 0) expectation.

    Args:
        measured_viscosity: the mixture's viscosity (same unit as ``viscosities``).
        mole_fractions: mole fractions of the pure components (sum 1).
        viscosities: viscosities of the pure components at the same temperature.
        sigma_log10: 1σ of the excess in log10 units (measurement and pure-component errors combined).
    """
    ideal = ideal_mixture_viscosity(mole_fractions, viscosities)
    return _result("log10 viscosity", math.log10(measured_viscosity), math.log10(ideal), sigma_log10,
                   ReferenceModel.GRUNBERG_NISSAN_IDEAL, "log10(viscosity unit)", tolerance)


# ----------------------------------------------------------------------------------------------------- Tg


def tg_excess(
    measured_K: float,
    prediction: TgPrediction,
    *,
    measured_sigma_K: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExcessResult:
    """Deviation of a measured solution Tg from the Gordon–Taylor/Fox expectation (K).

    σ of the excess combines the measurement σ (if given) with the prediction's propagated σ.
    """
    sigma = math.hypot(measured_sigma_K or 0.0, prediction.sigma_K) or None
    model = ReferenceModel.FOX if prediction.model is TgModelKind.FOX else ReferenceModel.GORDON_TAYLOR
    return _result("solution Tg", measured_K, prediction.tg_K, sigma, model, "K", tolerance)


# ------------------------------------------------------------------------------------------------ toxicity


def effect_from_viability(viability: float, control: float = 100.0) -> float:
    """Fraction affected (0..1) from a viability and its untreated control in the same unit."""
    return 1.0 - viability / control


def bliss_expected_effect(effects: Sequence[float]) -> float:
    """Bliss independence: E = 1 − Π(1 − E_i), with E_i each component's effect alone at its dose."""
    e = np.asarray(effects, dtype=float)
    if np.any((e < 0) | (e > 1)):
        raise ValueError("Bliss independence needs fractional effects in [0, 1]")
    return float(1.0 - np.prod(1.0 - e))


def bliss_excess(
    measured_effect: float,
    effects: Sequence[float],
    *,
    sigma: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExcessResult:
    """Measured combined effect minus the Bliss-independence expectation (fraction affected)."""
    return _result("fraction affected", measured_effect, bliss_expected_effect(effects), sigma,
                   ReferenceModel.BLISS, "fraction affected", tolerance)


def _loewe_range(fits: Sequence[HillFit]) -> tuple[float, float, bool]:
    rising = [f.r_inf > f.r0 for f in fits]
    if not (all(rising) or not any(rising)):
        raise ValueError("Loewe additivity needs all components' curves to move the same way")
    if all(rising):
        return max(f.r0 for f in fits), min(f.r_inf for f in fits), True
    return max(f.r_inf for f in fits), min(f.r0 for f in fits), False


def loewe_combination_index(doses: Sequence[float], fits: Sequence[HillFit], effect: float) -> float:
    """Loewe combination index CI = Σ d_i / D_i(effect); CI < 1 synergy, 1 additive, > 1 antagonism.

    ``D_i(effect)`` is the dose of component i alone that gives ``effect`` on its fitted curve.
    """
    return float(sum(d / f.concentration_for(effect) for d, f in zip(doses, fits, strict=True) if d > 0))


def loewe_expected_effect(doses: Sequence[float], fits: Sequence[HillFit]) -> float:
    """Effect of the combination if the components were dilutions of one another (Σ d_i/D_i(E) = 1).

    Raises:
        ValueError: no effect in the components' common range satisfies Loewe additivity (e.g. the doses
            reach beyond the smallest maximal effect, where Loewe is undefined).
    """
    from scipy.optimize import brentq

    if len(doses) != len(fits) or not any(d > 0 for d in doses):
        raise ValueError("need one positive dose per fitted component")
    lo, hi, _ = _loewe_range(fits)
    span = hi - lo
    a, b = lo + 1e-9 * span, hi - 1e-9 * span

    def g(e: float) -> float:
        return loewe_combination_index(doses, fits, e) - 1.0

    ga, gb = g(a), g(b)
    if ga * gb > 0:
        raise ValueError(
            "Loewe additivity is undefined for these doses: no effect in the common range "
            f"({lo:g}, {hi:g}) gives a combination index of 1"
        )
    return float(brentq(g, a, b, xtol=1e-12 * max(1.0, abs(span))))


def loewe_excess(
    measured_effect: float,
    doses: Sequence[float],
    fits: Sequence[HillFit],
    *,
    sigma: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExcessResult:
    """Measured combined effect minus the Loewe-additivity expectation, with the combination index.

    Effects must be in the unit the curves were fitted in (fraction affected for the sign convention
    "positive = more toxic"). The combination index at the measured effect is given in ``note`` when the
    measured effect lies inside every curve's range.
    """
    expected = loewe_expected_effect(doses, fits)
    try:
        ci = loewe_combination_index(doses, fits, measured_effect)
        note = f"Loewe combination index at the measured effect: {ci:.4g} (<1 synergy, >1 antagonism)"
    except ValueError:
        note = "measured effect outside a component curve's range: no combination index"
    return _result("effect", measured_effect, expected, sigma, ReferenceModel.LOEWE, "effect (curve unit)",
                   tolerance, note)


# ---------------------------------------------------------------------------------------- graph edges


def record_excess(
    graph: InteractionGraph,
    a: str,
    b: str,
    result: ExcessResult,
    interaction_type: InteractionType | str,
    *,
    evidence: str,
    source: EdgeSource | str = EdgeSource.FITTED,
    note: str | None = None,
) -> InteractionEdge:
    """Record a binary mixture's excess as an interaction edge between ``a`` and ``b`` (InChIKeys).

    Strength is |excess|, sign and confidence as computed, the reference model is kept on the edge.
    """
    edge = InteractionEdge(
        a=a, b=b, interaction_type=InteractionType(interaction_type), strength=abs(result.excess),
        sign=result.sign, source=EdgeSource(source), confidence=result.confidence, evidence=evidence,
        value=result.excess, units=result.units, reference_model=result.reference_model.value,
        note="; ".join(x for x in (result.note, note) if x) or None,
    )
    return graph.add_interaction(edge)
