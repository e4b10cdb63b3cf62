"""Additive expectations (Grunberg–Nissan ideal, Gordon–Taylor, Bliss, Loewe) and excess edges."""

from __future__ import annotations

import math

import pytest

from cryodesk.mixtures.dose_response import HillFit
from cryodesk.mixtures.glass_transition import GlassFormer, MixtureTgModel, PureTg
from cryodesk.mixtures.interaction_graph import EdgeSource, InteractionGraph, InteractionType
from cryodesk.mixtures.synergy import (
    ReferenceModel,
    bliss_excess,
    bliss_expected_effect,
    classify_excess,
    effect_from_viability,
    grunberg_nissan_g12,
    ideal_mixture_viscosity,
    loewe_combination_index,
    loewe_excess,
    loewe_expected_effect,
    record_excess,
    tg_excess,
    viscosity_excess,
)
from cryodesk.mixtures.units import SourcedValue

DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
WATER = "XLYOFNOQVPJJNP-UHFFFAOYSA-N"
EG = "LYCAIKOWRPUZTN-UHFFFAOYSA-N"


def curve(ec50: float, hill: float = 1.0, r0: float = 0.0, r_inf: float = 1.0) -> HillFit:
    """A known effect curve (fraction affected rising from r0 to r_inf)."""
    return HillFit(r0=r0, r_inf=r_inf, ec50=ec50, hill=hill, se={}, ci={}, conf_level=0.95, n=0, dof=0,
                   rss=0.0, rmse=0.0, r_squared=1.0, aic=0.0)


def test_ideal_viscosity_hand_checked() -> None:
    # ln eta = 0.3 ln 2 + 0.7 ln 20 -> eta = 2^0.3 x 20^0.7 = 1.231144 x 8.141810 = 10.0237 mPa·s
    assert ideal_mixture_viscosity([0.3, 0.7], [2.0, 20.0]) == pytest.approx(10.0237, abs=1e-4)


def test_constructed_ideal_mixture_has_zero_synergy() -> None:
    x, eta = [0.25, 0.5, 0.25], [1.0, 2.0, 16.0]
    measured = math.exp(sum(xi * math.log(e) for xi, e in zip(x, eta, strict=True)))
    res = viscosity_excess(measured, x, eta, sigma_log10=0.02)
    assert res.excess == pytest.approx(0.0, abs=1e-12)
    assert res.sign == 0 and res.confidence == pytest.approx(0.0, abs=1e-9)
    assert res.reference_model is ReferenceModel.GRUNBERG_NISSAN_IDEAL
    assert grunberg_nissan_g12(0.4, 2.0, 20.0, ideal_mixture_viscosity([0.4, 0.6], [2.0, 20.0])) == pytest.approx(0.0)
    # Bliss: measured = 1 - 0.8 x 0.7 = 0.44 exactly -> no synergy
    assert bliss_excess(0.44, [0.2, 0.3]).sign == 0
    # Loewe sham combination: a drug with itself is additive (CI = 1)
    f = curve(2.0, 1.5)
    e = loewe_expected_effect([1.0, 1.0], [f, f])
    assert e == pytest.approx(float(f.predict(2.0)), abs=1e-9)
    assert loewe_combination_index([1.0, 1.0], [f, f], e) == pytest.approx(1.0)
    assert loewe_excess(e, [1.0, 1.0], [f, f]).sign == 0


def test_grunberg_nissan_g12_recovered() -> None:
    # eta = ideal x exp(G12 x1 x2) with G12 = 1.0, x1 = 0.3 -> factor exp(0.21)
    ideal = ideal_mixture_viscosity([0.3, 0.7], [2.0, 20.0])
    assert grunberg_nissan_g12(0.3, 2.0, 20.0, ideal * math.exp(0.21)) == pytest.approx(1.0)
    res = viscosity_excess(ideal * math.exp(0.21), [0.3, 0.7], [2.0, 20.0], sigma_log10=0.05)
    # excess = 0.21 / ln 10 = 0.091202 log10 units; z = 1.824 -> confidence erf(1.824/√2) = 0.9319
    assert res.excess == pytest.approx(0.091202, abs=1e-6)
    assert res.sign == 1 and res.confidence == pytest.approx(0.9319, abs=1e-4)


def test_classify_excess() -> None:
    # z = 2 -> erf(2/√2) = 0.9545
    assert classify_excess(0.1, 0.05) == (1, pytest.approx(0.954500, abs=1e-6))
    assert classify_excess(-0.1, 0.05)[0] == -1
    assert classify_excess(0.1, None) == (1, 0.0)  # no sigma: confidence unknown (0)


def test_bliss_and_viability() -> None:
    assert effect_from_viability(70.0, 100.0) == pytest.approx(0.3)
    assert bliss_expected_effect([0.2, 0.3]) == pytest.approx(0.44)
    res = bliss_excess(0.60, [0.2, 0.3], sigma=0.05)
    # excess 0.16, z = 3.2 -> more toxic than independent action
    assert res.excess == pytest.approx(0.16) and res.sign == 1 and res.confidence > 0.99
    with pytest.raises(ValueError):
        bliss_expected_effect([1.2])


def test_loewe_hand_checked() -> None:
    # E = c/(c + EC50) for hill 1 -> D(E) = EC50·E/(1 - E). Doses 0.5 (EC50 1) and 2 (EC50 4):
    # 0.5/u + 2/(4u) = 1 with u = E/(1 - E) -> u = 1 -> E = 0.5
    a, b = curve(1.0), curve(4.0)
    assert loewe_expected_effect([0.5, 2.0], [a, b]) == pytest.approx(0.5, abs=1e-9)
    # at measured 0.6: u = 1.5, CI = 0.5/1.5 + 2/6 = 0.6667 (< 1: synergy)
    assert loewe_combination_index([0.5, 2.0], [a, b], 0.6) == pytest.approx(2 / 3)
    res = loewe_excess(0.6, [0.5, 2.0], [a, b], sigma=0.02)
    assert res.sign == 1 and res.reference_model is ReferenceModel.LOEWE and "0.6667" in res.note


def test_loewe_undefined_beyond_the_smaller_maximum() -> None:
    # B only reaches 0.5; doses that need more than that are outside Loewe's domain
    a, b = curve(1.0), curve(1.0, r_inf=0.5)
    with pytest.raises(ValueError, match="undefined"):
        loewe_expected_effect([50.0, 50.0], [a, b])
    with pytest.raises(ValueError, match="same way"):
        loewe_expected_effect([1.0, 1.0], [a, curve(1.0, r0=1.0, r_inf=0.0)])


def test_tg_excess_against_gordon_taylor() -> None:
    gly = GlassFormer("glycerol", PureTg.from_replicates([193, 185, 190, 189, 192, 194], "Koop"),
                      density=SourcedValue(1.261, "notes.md"))
    pred = MixtureTgModel([gly]).predict({"glycerol": 0.76})
    same = tg_excess(pred.tg_K, pred, measured_sigma_K=1.0)
    assert same.sign == 0 and same.units == "K"
    off = tg_excess(pred.tg_K - 7.0, pred, measured_sigma_K=1.0)
    assert off.sign == -1 and off.sigma == pytest.approx(math.hypot(1.0, pred.sigma_K))
    assert off.reference_model is ReferenceModel.GORDON_TAYLOR


def test_excess_recorded_as_graph_edges() -> None:
    g = InteractionGraph()
    ideal = ideal_mixture_viscosity([0.3, 0.7], [2.0, 1.0])
    r1 = viscosity_excess(ideal * 1.5, [0.3, 0.7], [2.0, 1.0], sigma_log10=0.02)
    e1 = record_excess(g, DMSO, WATER, r1, InteractionType.VISCOSITY_EXCESS, evidence="set A rows 3-9")
    assert e1.sign == 1 and e1.strength == pytest.approx(math.log10(1.5))
    assert e1.reference_model == "arrhenius_grunberg_nissan_ideal" and e1.units.startswith("log10")
    r2 = bliss_excess(0.44, [0.2, 0.3])
    e2 = record_excess(g, DMSO, EG, r2, "toxicity_synergy", evidence="plate 7", source=EdgeSource.LITERATURE)
    assert e2.sign == 0 and e2.confidence == 0.0
    assert g.edge_counts_by_source() == {"fitted": 1, "literature": 1}
    # recording the same evidence again replaces the edge
    record_excess(g, WATER, DMSO, r1, InteractionType.VISCOSITY_EXCESS, evidence="set A rows 3-9")
    assert g.number_of_edges == 2
