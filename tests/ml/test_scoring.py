"""Desirability profiles: Derringer functions, the weighted geometric mean, missing values, and the
uncertainty carried from the inputs into the score."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cryodesk.ml.scoring import (
    BUILTIN_PROFILES,
    CPA_CANDIDATE,
    Profile,
    Term,
    combine,
    desirability,
    desirability_slope,
    rank_subjects,
    score,
    score_one,
)

TG = Term("tg", "up", 150.0, 250.0, unit="K")
TOX = Term("tox", "down", 0.0, 0.2, weight=2.0)
PH = Term("ph", "target", 6.0, 8.0, target=7.4)


def two_term_profile(missing: str = "skip") -> Profile:
    return Profile("test", (TG, TOX), missing=missing)


# ------------------------------------------------------------------------------- desirability
def test_up_down_and_target_ramps() -> None:
    assert desirability(TG, [100.0, 150.0, 200.0, 250.0, 300.0]).tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert desirability(TOX, [0.0, 0.05, 0.2, 0.5]).tolist() == pytest.approx([1.0, 0.75, 0.0, 0.0])
    assert desirability(PH, [5.0, 6.0, 6.7, 7.4, 7.7, 8.0]).tolist() == pytest.approx([0, 0, 0.5, 1.0, 0.5, 0])
    assert np.isnan(desirability(TG, [np.nan])[0])


def test_shape_exponent_demands_values_nearer_the_good_end() -> None:
    strict = Term("tg", "up", 150.0, 250.0, shape=2.0)
    assert desirability(strict, 200.0) == pytest.approx(0.25)
    assert desirability(strict, 200.0) < desirability(TG, 200.0)


def test_slope_matches_a_finite_difference_on_the_ramps_and_is_zero_outside() -> None:
    for term, y in ((TG, 190.0), (TOX, 0.07), (PH, 6.5), (PH, 7.8), (Term("x", "up", 0, 1, shape=2.0), 0.3)):
        h = 1e-6 * (term.high - term.low)
        numeric = (desirability(term, y + h) - desirability(term, y - h)) / (2 * h)
        assert desirability_slope(term, y) == pytest.approx(numeric, rel=1e-5)
    assert desirability_slope(TG, 100.0) == 0.0 and desirability_slope(TG, 300.0) == 0.0


def test_geometric_mean_is_weighted_and_one_unacceptable_property_sinks_the_score() -> None:
    profile = two_term_profile()
    d = np.array([[0.5, 1.0], [1.0, 0.5], [0.0, 1.0]])
    scores = combine(profile, d)
    # Weights 1 and 2: D = (d1 * d2^2) ** (1/3).
    assert scores.tolist() == pytest.approx([0.5 ** (1 / 3), 0.5 ** (2 / 3), 0.0])
    assert scores[1] < scores[0]  # the heavier term hurts more


def test_missing_value_policies() -> None:
    values = np.array([[200.0, np.nan]])  # Tg known (d = 0.5), toxicity unknown
    assert score(two_term_profile("skip"), values, method="delta").score[0] == pytest.approx(0.5)
    assert score(two_term_profile("zero"), values, method="delta").score[0] == 0.0
    # Unknown counts as desirability 0.5 with its full weight: (0.5 * 0.5^2) ** (1/3) = 0.5.
    uncertain = score(two_term_profile("uncertain"), np.array([[250.0, np.nan]]), method="delta")
    assert uncertain.score[0] == pytest.approx((1.0 * 0.5**2) ** (1 / 3))
    assert uncertain.coverage[0] == pytest.approx(1 / 3)
    nothing = score(two_term_profile("skip"), np.array([[np.nan, np.nan]]))
    assert np.isnan(nothing.score[0]) and nothing.coverage[0] == 0.0


# ------------------------------------------------------------------------------- uncertainty
@pytest.mark.parametrize("method", ["mc", "delta"])
def test_wider_input_uncertainty_gives_wider_score_uncertainty(method: str) -> None:
    profile = two_term_profile()
    values = np.array([[200.0, 0.05]] * 3)  # both on their ramps
    sds = np.array([[2.0, 0.01], [10.0, 0.01], [20.0, 0.01]])  # Tg uncertainty grows down the rows
    result = score(profile, values, sds, method=method, n_samples=4000, seed=7)
    assert result.sd[0] < result.sd[1] < result.sd[2]
    assert (result.high - result.low)[0] < (result.high - result.low)[2]
    # The point score does not depend on the uncertainty.
    assert result.score.tolist() == pytest.approx([result.score[0]] * 3)


def test_delta_method_agrees_with_monte_carlo_on_the_linear_part() -> None:
    profile = two_term_profile()
    values, sds = np.array([[200.0, 0.1]]), np.array([[3.0, 0.005]])
    mc = score(profile, values, sds, method="mc", n_samples=20000, seed=1)
    delta = score(profile, values, sds, method="delta")
    assert mc.sd[0] == pytest.approx(delta.sd[0], rel=0.05)
    assert mc.mean[0] == pytest.approx(delta.score[0], abs=0.005)


def test_monte_carlo_is_reproducible_with_its_seed_and_exact_without_uncertainty() -> None:
    profile = two_term_profile()
    values, sds = np.array([[190.0, 0.08], [230.0, 0.02]]), np.array([[5.0, 0.02], [5.0, 0.02]])
    a = score(profile, values, sds, seed=3)
    b = score(profile, values, sds, seed=3)
    c = score(profile, values, sds, seed=4)
    assert a.sd.tolist() == b.sd.tolist() and a.low.tolist() == b.low.tolist()
    assert a.sd.tolist() != c.sd.tolist()
    exact = score(profile, values, np.zeros_like(values))
    assert exact.sd.tolist() == pytest.approx([0.0, 0.0], abs=1e-6)
    assert exact.mean.tolist() == pytest.approx(exact.score.tolist(), rel=1e-5)


def test_unknown_terms_widen_the_uncertainty_under_the_uncertain_policy() -> None:
    profile = two_term_profile("uncertain")
    known = score(profile, np.array([[220.0, 0.05]]), np.array([[3.0, 0.01]]), seed=0)
    unknown = score(profile, np.array([[220.0, np.nan]]), np.array([[3.0, np.nan]]), seed=0)
    assert unknown.sd[0] > 3 * known.sd[0]
    delta = score(profile, np.array([[220.0, np.nan]]), np.array([[3.0, np.nan]]), method="delta")
    assert delta.sd[0] > 0.1


def test_default_sd_of_a_term_is_used_when_none_is_given() -> None:
    profile = Profile("p", (Term("tg", "up", 150.0, 250.0, default_sd=10.0),))
    assert score(profile, np.array([[200.0]]), method="delta").sd[0] == pytest.approx(0.1)
    assert score(profile, np.array([[200.0]]), np.array([[0.0]]), method="delta").sd[0] == 0.0


# ------------------------------------------------------------------------------------ ranking
def test_ranking_puts_enough_coverage_first_and_breaks_ties_by_robustness() -> None:
    profile = Profile("p", (TG, TOX), min_coverage=0.9)
    names = ["complete-ok", "complete-best", "tg-only", "complete-best-but-uncertain", "nothing"]
    values = np.array([[200.0, 0.05], [260.0, 0.0], [260.0, np.nan], [260.0, 0.0], [np.nan, np.nan]])
    sds = np.array([[1.0, 0.01], [1.0, 0.001], [1.0, np.nan], [80.0, 0.05], [np.nan, np.nan]])
    result = score(profile, values, sds, seed=0)
    assert rank_subjects(profile, names, result) == [
        "complete-best", "complete-best-but-uncertain", "complete-ok", "tg-only", "nothing"]


def test_score_one_for_a_single_mixture() -> None:
    result = score_one(two_term_profile(), {"tg": 200.0, "tox": 0.0}, {"tg": 5.0}, method="delta")
    assert result["score"] == pytest.approx(0.5 ** (1 / 3))
    assert result["sd"] > 0 and result["coverage"] == 1.0


# ----------------------------------------------------------------------------------- profiles
def test_profiles_round_trip_through_json() -> None:
    profile = Profile("mine", (TG, TOX, PH), description="x", missing="uncertain", min_coverage=0.5)
    again = Profile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again == profile
    assert Profile.from_dict(CPA_CANDIDATE.to_dict()) == CPA_CANDIDATE


@pytest.mark.parametrize("bad", [
    {"key": "tg", "trend": "sideways", "low": 0, "high": 1},
    {"key": "tg", "trend": "up", "low": 1, "high": 1},
    {"key": "tg", "trend": "up", "low": 0, "high": 1, "weight": 0},
    {"key": "tg", "trend": "target", "low": 0, "high": 1, "target": 2},
    {"key": "tg", "trend": "up", "low": 0, "high": 1, "colour": "red"},
])
def test_invalid_terms_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        Profile.from_dict({"name": "bad", "terms": [bad]})


def test_profile_needs_terms_once_each_and_a_known_policy() -> None:
    with pytest.raises(ValueError):
        Profile("p", ())
    with pytest.raises(ValueError):
        Profile("p", (TG, TG))
    with pytest.raises(ValueError):
        Profile("p", (TG,), missing="guess")


def test_default_cpa_candidate_profile_prefers_a_glycerol_like_compound() -> None:
    assert BUILTIN_PROFILES["CPA candidate"] is CPA_CANDIDATE
    assert CPA_CANDIDATE.keys == ("tox21_active_fraction", "tg", "log_solubility")
    # Glycerol-like: no active Tox21 assay, Tg 190 K, miscible; a toxic, poorly soluble dye; an unknown.
    values = np.array([[0.0, 190.0, 1.1], [0.4, 300.0, -3.0], [np.nan, np.nan, np.nan]])
    result = score(CPA_CANDIDATE, values, seed=0)
    assert result.score[0] > 0.8 and result.score[1] == 0.0
    assert rank_subjects(CPA_CANDIDATE, ["glycerol-like", "dye", "unknown"], result) == [
        "glycerol-like", "dye", "unknown"]
