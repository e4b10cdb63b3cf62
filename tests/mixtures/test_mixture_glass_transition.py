"""Gordon–Taylor / Fox solution Tg, its bases and uncertainty, k fitting, curves."""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import os
from pathlib import Path

import numpy as np
import pytest

from cryodesk.mixtures.composition import Composition, component, solve_composition
from cryodesk.mixtures.glass_transition import (
    WATER_TG,
    GlassFormer,
    GordonTaylorK,
    KBasis,
    MixtureTgModel,
    PureTg,
    TgBasis,
    TgPrime,
    TgPrimeCorrelation,
    WPrime,
    WPrimeBasis,
    estimate_tg_prime,
    fit_gordon_taylor_k,
    fox_tg,
    gordon_taylor_tg,
    select_pure_tg,
    simha_boyer_k,
)
from cryodesk.mixtures.units import MissingQuantityError, SourcedValue

KOOP_GLYCEROL = [193, 185, 190, 189, 192, 194]  # K, the six glycerol rows of the Koop compilation


def glycerol() -> GlassFormer:
    return GlassFormer(
        "glycerol",
        PureTg.from_replicates(KOOP_GLYCEROL, "Koop et al. 2011 compilation"),
        density=SourcedValue(1.261, "notes.md"),
    )


def test_water_default_is_136_k_with_citation() -> None:
    assert WATER_TG.value_K == 136.0 and WATER_TG.sigma_K == 1.2
    assert "Schwab" in WATER_TG.source and "135.3" in WATER_TG.source


def test_replicates_average_and_sd() -> None:
    tg = PureTg.from_replicates(KOOP_GLYCEROL, "Koop")
    # mean 1143/6 = 190.5 K; squared deviations 6.25+30.25+0.25+2.25+2.25+12.25 = 53.5; /5 = 10.7; sqrt = 3.271
    assert tg.value_K == pytest.approx(190.5)
    assert tg.sigma_K == pytest.approx(3.2711, abs=1e-4)
    assert tg.n_values == 6 and tg.basis is TgBasis.LITERATURE
    # a single value gets the stated floor, not zero
    assert PureTg.from_replicates([151.0], "Koop").sigma_K == 3.0


def test_two_thirds_tm_rule_has_a_large_stated_uncertainty() -> None:
    tg = PureTg.from_melting_point(291.0, "Koop Tm of glycerol")
    # 2/3 x 291 = 194.0 K; sigma = 0.09 x 291 = 26.19 K
    assert tg.value_K == pytest.approx(194.0)
    assert tg.sigma_K == pytest.approx(26.19)
    assert tg.basis is TgBasis.TM_RULE


def test_select_pure_tg_priority() -> None:
    meas = [PureTg.measured(190, 2, "a"), PureTg.measured(192, 2, "b")]
    assert select_pure_tg("glycerol", meas, PureTg.predicted(200, 15, "model"), 291).value_K == 191
    assert select_pure_tg("x", (), PureTg.predicted(200, 15, "model"), 291).basis is TgBasis.PREDICTED
    assert select_pure_tg("x", (), None, 291).basis is TgBasis.TM_RULE
    with pytest.raises(MissingQuantityError, match="Tg"):
        select_pure_tg("x")


def test_simha_boyer_k() -> None:
    # 1.261 x 190.5 / (1.0 x 136) = 1.76633
    assert simha_boyer_k(190.5, 1.261) == pytest.approx(1.766327, abs=1e-6)


def test_gordon_taylor_binary_hand_checked() -> None:
    # w = 0.76 glycerol, k = 1.76633: (0.76 x 190.5 + 1.76633 x 0.24 x 136) / (0.76 + 1.76633 x 0.24)
    # = (144.78 + 57.653) / (0.76 + 0.42392) = 202.433 / 1.18392 = 170.985 K
    # (k multiplies the water term; in the solute-weight form the solute weight is 1/k)
    k = simha_boyer_k(190.5, 1.261)
    assert gordon_taylor_tg(0.24, 136.0, [0.76], [190.5], [k]) == pytest.approx(170.985, abs=1e-3)
    pred = MixtureTgModel([glycerol()]).predict({"glycerol": 0.76})
    assert pred.tg_K == pytest.approx(170.985, abs=1e-3)
    assert pred.k_used["glycerol"].basis is KBasis.SIMHA_BOYER
    assert pred.kind == "solution_tg"
    assert any("Tg'" in a for a in pred.assumptions)
    assert any("Simha–Boyer" in a for a in pred.assumptions)


def test_fox_hand_checked_and_equal_to_gt_with_tg_ratio() -> None:
    # 1 / (0.76/190.5 + 0.24/136) = 1 / (0.0039895 + 0.0017647) = 173.786 K
    assert fox_tg([0.76, 0.24], [190.5, 136.0]) == pytest.approx(173.786, abs=1e-3)
    pred = MixtureTgModel([glycerol()], model="fox").predict({"glycerol": 0.76})
    assert pred.tg_K == pytest.approx(173.786, abs=1e-3)
    assert gordon_taylor_tg(0.24, 136.0, [0.76], [190.5], [190.5 / 136.0]) == pytest.approx(pred.tg_K)


def test_gordon_taylor_limits() -> None:
    # k = 1 is a linear mass-weighted mix: 0.5 x 136 + 0.5 x 200 = 168 K
    assert gordon_taylor_tg(0.5, 136.0, [0.5], [200.0], [1.0]) == pytest.approx(168.0)
    m = MixtureTgModel([glycerol()])
    assert m.predict({"glycerol": 0.0}).tg_K == pytest.approx(136.0)
    assert m.predict({"glycerol": 1.0}).tg_K == pytest.approx(190.5)


def test_multicomponent_consistency() -> None:
    fixed = GordonTaylorK(2.0, 0.2, KBasis.LITERATURE, "test")
    a = GlassFormer("A", PureTg.measured(200, 2, "t"), k=fixed)
    b = GlassFormer("B", PureTg.measured(200, 2, "t"), k=fixed)
    c = GlassFormer("C", PureTg.measured(300, 2, "t"), k=GordonTaylorK(5.0, 0.5, KBasis.LITERATURE, "t"))
    m = MixtureTgModel([a, b, c])
    # two identical solutes split 0.2 + 0.2 behave as one at 0.4
    assert m.predict({"A": 0.2, "B": 0.2}).tg_K == pytest.approx(m.predict({"A": 0.4}).tg_K)
    # a zero-fraction solute changes nothing
    assert m.predict({"A": 0.4, "C": 0.0}).tg_K == pytest.approx(m.predict({"A": 0.4}).tg_K)
    # ternary by hand: w_w 0.5, A 0.3 (Tg 200, k 2), C 0.2 (Tg 300, k 5):
    # (0.5 x 136 + 0.3 x 200/2 + 0.2 x 300/5) / (0.5 + 0.3/2 + 0.2/5) = (68 + 30 + 12) / 0.69 = 159.420 K
    assert m.predict({"A": 0.3, "C": 0.2}).tg_K == pytest.approx(159.4203, abs=1e-3)
    with pytest.raises(ValueError, match="sum to 1"):
        m.predict({"A": 0.7, "C": 0.5})


def test_uncertainty_analytic_matches_monte_carlo_and_is_seeded() -> None:
    m = MixtureTgModel([glycerol()])
    an = m.predict({"glycerol": 0.6})
    mc1 = m.predict({"glycerol": 0.6}, uncertainty="monte_carlo", n_samples=4000, seed=7)
    mc2 = m.predict({"glycerol": 0.6}, uncertainty="monte_carlo", n_samples=4000, seed=7)
    assert mc1.sigma_K == mc2.sigma_K  # fixed seed -> identical
    assert mc1.sigma_K == pytest.approx(an.sigma_K, rel=0.15)
    assert an.lower95_K < an.tg_K < an.upper95_K
    # pure water end: only the water Tg uncertainty (1.2 K) remains
    assert m.predict({"glycerol": 0.0}).sigma_K == pytest.approx(1.2, abs=1e-6)
    # a fitted k with a small SE gives a tighter band than the Simha–Boyer estimate
    fitted = GlassFormer("glycerol", glycerol().tg, k=GordonTaylorK(1.77, 0.05, KBasis.FITTED, "test"))
    assert MixtureTgModel([fitted]).predict({"glycerol": 0.6}).sigma_K < an.sigma_K


def test_model_refuses_missing_inputs() -> None:
    with pytest.raises(MissingQuantityError, match="density"):
        MixtureTgModel([GlassFormer("sucrose", PureTg.measured(330, 10, "t"))])
    # Fox needs no density
    MixtureTgModel([GlassFormer("sucrose", PureTg.measured(330, 10, "t"))], model="fox")
    with pytest.raises(MissingQuantityError, match="DMSO"):
        MixtureTgModel([glycerol()]).predict({"DMSO": 0.3})


def test_fit_k_recovers_known_value_from_seeded_noise() -> None:
    rng = np.random.default_rng(42)
    w = np.linspace(0.5, 0.95, 12)
    true = gordon_taylor_tg(1 - w, 136.0, [w], [330.0], [4.0])
    noisy = true + rng.normal(0.0, 1.0, w.size)
    fit = fit_gordon_taylor_k(w, noisy, tg_solute_K=330.0, source="synthetic")
    assert fit.k.basis is KBasis.FITTED
    assert abs(fit.k.k - 4.0) < 3 * fit.k.sigma
    assert fit.k.sigma < 0.2
    assert fit.dof == 11 and fit.rmse_K < 2.0
    exact = fit_gordon_taylor_k(w, true, tg_solute_K=330.0)
    assert exact.k.k == pytest.approx(4.0, rel=1e-6)
    both = fit_gordon_taylor_k(w, true, tg_solute_K=300.0, fit_tg_solute=True)
    assert both.k.k == pytest.approx(4.0, rel=1e-4) and both.tg_solute_K == pytest.approx(330.0, rel=1e-5)
    with pytest.raises(ValueError, match="at least"):
        fit_gordon_taylor_k([0.5], [200.0], tg_solute_K=330.0)


def test_curve_and_csv() -> None:
    m = MixtureTgModel([glycerol()])
    curve = m.curve({"glycerol": 1.0}, np.linspace(0.0, 1.0, 11))
    assert curve.tg_K[0] == pytest.approx(136.0) and curve.tg_K[-1] == pytest.approx(190.5)
    assert np.all(np.diff(curve.tg_K) > 0)
    buf = io.StringIO()
    text = curve.to_csv(buf)
    assert buf.getvalue() == text
    assert text.startswith("# CryoDesk solution Tg curve (not Tg')")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) == 11
    assert set(rows[0]) == {"w_solutes", "w_water", "w_glycerol", "tg_K", "sigma_K", "lower95_K", "upper95_K"}
    assert float(rows[-1]["tg_K"]) == pytest.approx(190.5)


def test_predict_from_composition_breakdown() -> None:
    comp = Composition((component("glycerol", 40, "% w/w"),))
    b = solve_composition(comp)
    pred = MixtureTgModel([glycerol()]).predict_breakdown(b)
    assert pred.mass_fractions["glycerol"] == pytest.approx(0.40)
    # w = 0.4: (0.4 x 190.5 + 1.76633 x 0.6 x 136) / (0.4 + 1.76633 x 0.6) = (76.2 + 144.133)/1.45980 = 150.934 K
    assert pred.tg_K == pytest.approx(150.934, abs=1e-2)


def test_tg_prime_is_a_record_not_a_prediction() -> None:
    tp = TgPrime("glycerol", 164.0, "Inaba & Andersson 2007", "adiabatic calorimetry", w_prime=0.76)
    assert tp.w_prime == 0.76 and not tp.lower_transition
    # the solution model never yields Tg′; the estimate is a separate function with its own result type
    assert not hasattr(MixtureTgModel, "predict_tg_prime")
    assert math.isfinite(tp.value_K)


def sucrose() -> GlassFormer:
    # Koop compilation sucrose rows 319 and 341 K; crystal density 1.5879 g/cm3 (units default table)
    return GlassFormer(
        "sucrose",
        PureTg.from_replicates([319.0, 341.0], "Koop et al. 2011"),
        density=SourcedValue(1.5879, "Merck"),
    )


def test_w_prime_bases_and_validation() -> None:
    typical = WPrime.typical()
    assert (typical.value, typical.sigma, typical.basis) == (0.80, 0.05, WPrimeBasis.TYPICAL)
    assert "recalled" in typical.source
    rep = WPrime.reported(0.76, "Inaba & Andersson 2007")
    assert rep.basis is WPrimeBasis.REPORTED and rep.sigma == 0.02
    with pytest.raises(ValueError, match="W'g"):
        WPrime.reported(1.2, "bad")


def test_tg_prime_estimate_hand_checked_glycerol() -> None:
    est = estimate_tg_prime(
        MixtureTgModel([glycerol()]), "glycerol", WPrime.reported(0.76, "Inaba & Andersson")
    )
    # Tg(W'g = 0.76) on the Simha–Boyer glass curve = 170.985 K (see test_gordon_taylor_binary_hand_checked)
    assert est.tg_prime_K == pytest.approx(170.985, abs=1e-3)
    assert est.kind == "tg_prime_estimate" and est.solution.kind == "solution_tg"
    # dTg/dw = (N'D - ND')/D^2 with N = 202.433, D = 1.18392, N' = 190.5 - 1.76633 x 136 = -49.721,
    # D' = 1 - 1.76633: (-58.866 + 155.131)/1.40167 = 68.68 K per unit w; x 0.02 = 1.374 K
    assert est.sigma_from_w_prime_K == pytest.approx(1.374, abs=5e-3)
    assert est.sigma_K == pytest.approx(math.hypot(est.solution.sigma_K, est.sigma_from_w_prime_K))
    assert est.lower95_K == pytest.approx(est.tg_prime_K - 1.96 * est.sigma_K)
    # known solute: measured glycerol Tg' is 170 K (DSC, PMC4621610) and 164 K (adiabatic, Inaba &
    # Andersson 2007); stated tolerance: within 2 sigma of both and within 8 K of both
    for measured in (170.0, 164.0):
        assert abs(est.tg_prime_K - measured) <= min(2 * est.sigma_K, 8.0)
    # the basis says Tg′, not solution Tg, and names W′g with its source
    assert not any("Solution Tg of a homogeneous" in a for a in est.solution.assumptions)
    assert "W′g = 0.76" in est.basis and "Inaba" in est.basis


def test_tg_prime_estimate_sucrose_with_typical_w_prime() -> None:
    est = estimate_tg_prime(MixtureTgModel([sucrose()]), "sucrose")
    # k = 1.5879 x 330 / 136 = 3.85299; (0.8 x 330 + 3.85299 x 0.2 x 136)/(0.8 + 3.85299 x 0.2)
    # = (264 + 104.801)/1.570598 = 234.816 K
    assert est.tg_prime_K == pytest.approx(234.816, abs=1e-2)
    assert est.w_prime.basis is WPrimeBasis.TYPICAL
    # measured frozen-sucrose transition about -47 C = 226.15 K (Cryobiology 2006): inside the stated 2 sigma
    assert abs(est.tg_prime_K - 226.15) <= 2 * est.sigma_K
    # the typical W'g (sigma 0.05) contributes more than a reported one (sigma 0.02) would
    rep = estimate_tg_prime(MixtureTgModel([sucrose()]), "sucrose", WPrime.reported(0.80, "t"))
    assert rep.tg_prime_K == pytest.approx(est.tg_prime_K)
    assert est.sigma_from_w_prime_K == pytest.approx(2.5 * rep.sigma_from_w_prime_K, rel=1e-6)
    # Fox at the same W'g is higher (k = Tg_s/Tg_w = 2.43 < 3.85): 1/(0.8/330 + 0.2/136) = 256.75 K
    fox = estimate_tg_prime(MixtureTgModel([sucrose()], model="fox"), "sucrose")
    assert fox.tg_prime_K == pytest.approx(256.75, abs=1e-2)
    with pytest.raises(MissingQuantityError, match="DMSO"):
        estimate_tg_prime(MixtureTgModel([sucrose()]), "DMSO")


def test_tg_prime_correlation_fit() -> None:
    line = TgPrimeCorrelation.fit([200.0, 300.0, 400.0], [180.0, 220.0, 260.0], "synthetic")
    assert line.slope == pytest.approx(0.4) and line.intercept_K == pytest.approx(100.0)
    assert line.residual_sd_K == pytest.approx(0.0, abs=1e-9) and line.n == 3
    assert line.predict(350.0) == pytest.approx(240.0)
    assert TgPrimeCorrelation.fit([200.0, 300.0], [180.0, 220.0], "two").residual_sd_K is None
    with pytest.raises(ValueError, match="at least 2"):
        TgPrimeCorrelation.fit([200.0], [180.0], "one")


SHARED = Path(os.environ.get("CRYODESK_SHARED", Path(__file__).resolve().parents[3] / "shared"))
BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_mixture_tg.py"


@pytest.mark.skipif(
    not (SHARED / "data" / "aqueous_tg" / "aqueous_tg.csv").exists(), reason="shared data absent"
)
def test_every_aqueous_tg_row_is_scored_or_listed_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYODESK_SHARED_DATA", str(SHARED / "data"))
    spec = importlib.util.spec_from_file_location("bench_mixture_tg", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = bench.main()
    rows = list(csv.DictReader((SHARED / "data" / "aqueous_tg" / "aqueous_tg.csv").open(encoding="utf-8")))
    assert out["data"]["aqueous_tg"]["rows"] == out["data"]["aqueous_tg"]["rows_accounted"] == len(rows)
    assert all(x["reason"] for x in out["not_predicted"])
    res = out["results"]
    kinds = {r["kind"] for r in rows}
    n_by_kind = {k: sum(r["kind"] == k for r in rows) for k in kinds}
    assert (
        res["tg_prime"]["n"] == n_by_kind["tg_prime"]
        and res["tg_prime_lower"]["n"] == n_by_kind["tg_prime_lower"]
    )
    assert res["tg_pure"]["loo_mean"]["n"] == n_by_kind["tg_pure"]
    # every Tg' row lies inside the stated 2 sigma of the Simha–Boyer estimate, and that estimate beats Fox
    # and the old plan's weighted average on Tg'
    prime = res["tg_prime"]
    assert prime["gt_simha_boyer"]["within_2sigma"] == f"{prime['n']}/{prime['n']}"
    assert (
        prime["gt_simha_boyer"]["mae_K"] < prime["fox"]["mae_K"] < prime["old_plan_weighted_average"]["mae_K"]
    )
    # leave-one-row-out: row 7 (Koop glycerol 185 K) is predicted from the other six glycerol rows only:
    # (195 [midpoint of 191-199] + 190 + 193 + 189 + 192 + 194)/6 = 1153/6 = 192.17 K
    row7 = next(e for e in out["rows"]["tg_pure"] if e["row_id"] == 7)
    assert row7["loo_mean"]["n_rows_used"] == 6 and row7["loo_mean"]["pred_K"] == pytest.approx(
        192.17, abs=0.01
    )


def test_engine_reports_tg_prime_apart_from_solution_tg(tmp_path: Path) -> None:
    from cryodesk.engine.mixtures import create_mixture
    from tests.engine.test_mixture_engine import cpa_workbench

    wb = cpa_workbench(tmp_path / "tgp.cryodesk")  # glycerol stored with Tg 190 K and density 1.261 g/mL
    try:
        create_mixture(wb, "GLY40", ["glycerol:40:%w/w:penetrating", "water"])
        create_mixture(
            wb, "GLYEG", ["glycerol:20:%w/w:penetrating", "ethylene glycol:20:%w/w:penetrating", "water"]
        )
        pred = wb.predict_mixture("GLY40")
        assert pred.tg is not None and pred.tg_prime is not None
        assert "not Tg′" in pred.tg.basis and pred.tg_prime.basis.startswith("Tg′ estimate")
        # Tg′ does not depend on the initial 40 % w/w; it is Tg at the typical W′g = 0.80:
        # k = 1.261 x 190 / 136 = 1.76169; (0.8 x 190 + 1.76169 x 0.2 x 136)/(0.8 + 0.352338)
        # = (152 + 47.918)/1.152338 = 173.489 K
        assert pred.tg_prime.value == pytest.approx(173.489, abs=0.01)
        assert pred.tg_prime.value > pred.tg.value
        assert pred.tg_prime.lower < pred.tg_prime.value < pred.tg_prime.upper
        assert pred.as_dict()["tg_prime_K"]["unit"] == "K"
        two = wb.predict_mixture("GLYEG")
        assert two.tg is not None and two.tg_prime is None
        assert "one solute" in two.problems["tg_prime"][0]
    finally:
        wb.close()
