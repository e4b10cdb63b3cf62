"""Log-logistic (Hill) fits: parameter recovery, intervals and fit quality."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cryodesk.mixtures.dose_response import FitError, fit_hill, log_logistic

CONC = np.repeat([0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], 3)  # mol/L, triplicates


def test_log_logistic_shape() -> None:
    # at c = EC50 the response is half-way: 5 + (100 - 5)/2 = 52.5
    assert log_logistic(2.0, 100.0, 5.0, 2.0, 1.5) == pytest.approx(52.5)
    assert log_logistic(0.0, 100.0, 5.0, 2.0, 1.5) == pytest.approx(100.0)


def test_exact_curve_recovered() -> None:
    y = log_logistic(CONC, 100.0, 5.0, 2.0, 1.5)
    fit = fit_hill(CONC, y, concentration_unit="M", response_unit="% viability", source="synthetic")
    assert fit.r0 == pytest.approx(100.0, abs=1e-5)
    assert fit.r_inf == pytest.approx(5.0, abs=1e-5)
    assert fit.ec50 == pytest.approx(2.0, rel=1e-6)
    assert fit.hill == pytest.approx(1.5, rel=1e-6)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.concentration_unit == "M" and fit.source == "synthetic"


def test_seeded_noise_parameters_inside_confidence_intervals() -> None:
    rng = np.random.default_rng(2024)
    y = log_logistic(CONC, 100.0, 5.0, 2.0, 1.5) + rng.normal(0.0, 3.0, CONC.size)
    fit = fit_hill(CONC, y)
    assert fit.ci["ec50"][0] < 2.0 < fit.ci["ec50"][1]
    assert fit.ci["hill"][0] < 1.5 < fit.ci["hill"][1]
    assert fit.ci["r0"][0] < 100.0 < fit.ci["r0"][1]
    assert fit.ec50 == pytest.approx(2.0, rel=0.15)
    assert fit.dof == CONC.size - 4 and fit.identifiable
    assert 2.0 < fit.rmse < 4.0 and fit.r_squared > 0.98
    # EC50 interval is asymmetric because it is fitted on a log scale
    lo, hi = fit.ci["ec50"]
    assert hi - fit.ec50 > fit.ec50 - lo


def test_interval_coverage_over_seeds() -> None:
    # 95 % t-intervals should cover the true EC50 in roughly 95 % of repeated experiments
    covered = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        y = log_logistic(CONC, 100.0, 5.0, 2.0, 1.5) + rng.normal(0.0, 4.0, CONC.size)
        lo, hi = fit_hill(CONC, y).ci["ec50"]
        covered += lo < 2.0 < hi
    assert covered >= 51  # >= 85 %


def test_fixed_asymptotes_and_rising_effect() -> None:
    rng = np.random.default_rng(5)
    effect = log_logistic(CONC, 0.0, 1.0, 3.0, 2.0) + rng.normal(0.0, 0.02, CONC.size)
    fit = fit_hill(CONC, effect, r0=0.0, r_inf=1.0)
    assert fit.fixed == {"r0": 0.0, "r_inf": 1.0}
    assert set(fit.se) == {"log10_ec50", "hill"} and fit.dof == CONC.size - 2
    assert fit.ec50 == pytest.approx(3.0, rel=0.1)
    # inverse: the concentration that gives 0.5 is the EC50
    assert fit.concentration_for(0.5) == pytest.approx(fit.ec50)
    assert fit.predict(fit.concentration_for(0.8)) == pytest.approx(0.8)
    with pytest.raises(ValueError):
        fit.concentration_for(1.2)


def test_too_few_points_and_bad_input() -> None:
    with pytest.raises(FitError, match="at least 5"):
        fit_hill([0.0, 1.0, 2.0, 4.0], [100, 80, 50, 20])
    with pytest.raises(FitError):
        fit_hill([-1.0, 1.0, 2.0, 4.0, 8.0], [100, 80, 50, 20, 5])


def test_to_dict_is_json_safe() -> None:
    fit = fit_hill(CONC, log_logistic(CONC, 100.0, 5.0, 2.0, 1.5))
    again = json.loads(json.dumps(fit.to_dict()))
    assert again["ec50"] == pytest.approx(2.0) and "method" in again


def test_flat_series_is_fitted_but_reported_not_identifiable() -> None:
    # no response trend (as in several real formulation series): the EC50 interval overflows, which
    # must be reported (identifiable False, infinite bound) rather than raise OverflowError
    c = np.array([0.1, 0.2, 0.5, 1.0, 2.0, 4.0])
    fit = fit_hill(c, np.array([71.0, 69.5, 70.2, 70.8, 70.1, 69.9]))
    assert not fit.identifiable and fit.ci["ec50"][1] == float("inf")
    assert fit.r_inf == pytest.approx(70.1, abs=1.0)
