"""Conformal coverage on unseen rows, calibration, and the applicability domain."""

from __future__ import annotations

import numpy as np
import pytest

from cryodesk.ml import (
    ApplicabilityDomain,
    ConformalRegressor,
    Dataset,
    ProbabilityCalibrator,
    Split,
    calibration_error,
    choose_threshold,
    evaluate_split,
    interval_coverage,
    max_tanimoto,
    random_split,
)
from tests.ml.helpers import fast_config, make_regression


def test_split_conformal_coverage_is_nominal_on_fresh_data() -> None:
    rng = np.random.default_rng(0)
    coverages = []
    for _ in range(20):
        y_cal, y_test = rng.standard_t(4, 500), rng.standard_t(4, 2000)
        conformal = ConformalRegressor(alpha=0.1).fit(y_cal, np.zeros(500))
        lower, upper = conformal.interval(np.zeros(2000))
        coverages.append(interval_coverage(y_test, lower, upper)["coverage"])
    assert np.mean(coverages) == pytest.approx(0.9, abs=0.015)


def test_trained_model_intervals_cover_held_out_rows() -> None:
    ds = make_regression(1200, noise=0.5, seed=2)
    split = random_split(len(ds), (0.6, 0.1, 0.3), seed=1)
    report, model = evaluate_split(ds, split, fast_config(members=("lgbm", "rf")))
    conf = report.per_task["y"]["conformal"]
    print("coverage", conf)
    assert conf["nominal"] == pytest.approx(0.9)
    assert 0.85 <= conf["coverage"] <= 0.96 and conf["n"] == len(split.test)
    pred = model.predict(ds.X[:5], alpha=0.5)
    assert np.all(pred.upper - pred.lower < model.predict(ds.X[:5]).upper - model.predict(ds.X[:5]).lower)


def test_normalized_conformal_widens_where_members_disagree() -> None:
    rng = np.random.default_rng(1)
    spread = rng.uniform(0.1, 2.0, 3000)
    y = rng.normal(scale=spread)
    conformal = ConformalRegressor("normalized", 0.1).fit(y[:1500], np.zeros(1500), spread[:1500])
    lower, upper = conformal.interval(np.zeros(1500), spread[1500:])
    assert interval_coverage(y[1500:], lower, upper)["coverage"] == pytest.approx(0.9, abs=0.03)
    assert (upper - lower)[spread[1500:] > 1.5].mean() > 2 * (upper - lower)[spread[1500:] < 0.5].mean()


def test_sigmoid_calibration_fixes_overconfident_scores_without_changing_ranking() -> None:
    rng = np.random.default_rng(2)
    true_p = rng.uniform(0.05, 0.6, 4000)
    y = (rng.random(4000) < true_p).astype(float)
    raw = np.clip(true_p * 1.6, 0, 0.99)  # overconfident
    cal = ProbabilityCalibrator("sigmoid").fit(raw[:2000], y[:2000])
    after = cal.transform(raw[2000:])
    assert calibration_error(y[2000:], after)["ece"] < calibration_error(y[2000:], raw[2000:])["ece"] / 2
    assert np.array_equal(np.argsort(after, kind="stable"), np.argsort(raw[2000:], kind="stable"))


def test_max_tanimoto_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    bits_q = rng.random((7, 100)) < 0.2
    bits_r = rng.random((30, 100)) < 0.2
    bits_q[0] = False  # an empty fingerprint has similarity 0
    pack = lambda b: np.packbits(b, axis=1, bitorder="little")  # noqa: E731
    expected = []
    for q in bits_q:
        inter = (bits_r & q).sum(axis=1)
        union = (bits_r | q).sum(axis=1)
        expected.append(np.max(np.where(union > 0, inter / np.maximum(union, 1), 0.0)))
    assert np.allclose(max_tanimoto(pack(bits_q), pack(bits_r), max_words=50), expected)


def test_threshold_is_chosen_where_errors_are_measurably_larger() -> None:
    rng = np.random.default_rng(4)
    scores = rng.uniform(0, 1, 2000)
    errors = np.abs(rng.normal(size=2000)) * np.where(scores < 0.2, 3.0, 1.0)
    choice = choose_threshold(scores, errors)
    assert choice.validated and choice.error_out > 2 * choice.error_in
    assert 0.1 <= choice.threshold <= 0.3
    flat = choose_threshold(scores, np.abs(rng.normal(size=2000)))
    assert not flat.validated or flat.error_out / flat.error_in < 1.3


def test_domain_flags_far_rows_and_their_errors_are_larger() -> None:
    ds = make_regression(900, noise=0.2, seed=5)
    X = ds.X.copy()
    X[:100] *= 3.5  # test rows 0-99 lie far outside the training cloud; rows 100-199 inside it
    shifted = Dataset(X, ds.y, ds.feature_names, "regression", ds.keys)
    split = Split("manual", None, np.arange(200, 900), np.zeros(0, np.intp), np.arange(200), (0.8, 0.0, 0.2))
    report, model = evaluate_split(shifted, split, fast_config(members=("lgbm",), domain="knn"))
    dom = report.per_task["y"]["domain"]
    print("domain", dom, model.domain.describe())
    assert model.domain.kind == "knn" and model.domain.choice is not None
    assert dom["n_out"] >= 90 and dom["n_in"] >= 60
    assert dom["mae_out"] > 1.5 * dom["mae_in"]


def test_tanimoto_domain_on_packed_fingerprints() -> None:
    rng = np.random.default_rng(6)
    ref = np.packbits(rng.random((50, 64)) < 0.3, axis=1, bitorder="little")
    ad = ApplicabilityDomain("tanimoto").fit(ref)
    assert np.allclose(ad.score(ref), 1.0)


def test_auto_calibration_keeps_calibrated_scores_and_fixes_miscalibrated_ones() -> None:
    from cryodesk.ml import kfold
    from cryodesk.ml.uncertainty import choose_calibration

    rng = np.random.default_rng(7)
    true_p = rng.uniform(0.02, 0.7, 3000)
    y = (rng.random(3000) < true_p).astype(float)
    folds = [(f.train, f.test) for f in kfold(3000, 5, seed=0)]
    calibrated, brier = choose_calibration(true_p, y, folds)
    assert calibrated is None or brier[calibrated.method] <= brier["none"]
    squashed = true_p**3  # badly under-confident ranking-preserving distortion
    fixed, brier2 = choose_calibration(squashed, y, folds)
    assert fixed is not None and brier2[fixed.method] < brier2["none"]


def _grouped_offsets(n_groups: int, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose label is their group's random offset; one column names the group, so trees can memorise it."""
    rng = np.random.default_rng(seed)
    offsets = rng.normal(0.0, 1.0, n_groups)
    group = np.repeat(np.arange(n_groups), rows)
    X = np.column_stack([group.astype(float), rng.normal(size=group.size)])
    y = offsets[group] + rng.normal(0.0, 0.05, group.size)
    return X, y, group


def test_grouped_oof_intervals_cover_unseen_groups_where_random_folds_do_not() -> None:
    from dataclasses import replace

    from cryodesk.ml import TrainConfig, train_model

    X, y, group = _grouped_offsets(40, 30, seed=1)
    ds = Dataset(X, y, ("group_code", "noise"), "regression", group.astype(str), groups=group.astype(str))
    config = TrainConfig(members=("lgbm",), n_folds=3, domain="none", params={"lgbm": {"n_estimators": 100}})
    random_model = train_model(ds, config)
    grouped_model = train_model(ds, replace(config, grouped_oof=True))
    # new groups: codes between the training ones, offsets drawn afresh
    X_new, y_new, _ = _grouped_offsets(60, 8, seed=2)
    X_new[:, 0] += 0.5
    coverage = {}
    for name, model in (("random", random_model), ("grouped", grouped_model)):
        pred = model.predict(X_new)
        coverage[name] = interval_coverage(y_new, pred.lower, pred.upper)["coverage"]
    assert coverage["grouped"] >= 0.8  # nominal 0.9
    assert coverage["random"] < 0.5  # calibrated on rows of groups it had seen


def test_grouped_oof_without_groups_is_the_random_split() -> None:
    from dataclasses import replace

    from cryodesk.ml import TrainConfig, train_model

    X, y, group = _grouped_offsets(30, 6, seed=3)
    ds = Dataset(X, y, ("group_code", "noise"), "regression", group.astype(str))
    config = TrainConfig(members=("lgbm",), n_folds=3, domain="none", params={"lgbm": {"n_estimators": 50}})
    a = train_model(ds, config).predict(X)
    b = train_model(ds, replace(config, grouped_oof=True)).predict(X)
    np.testing.assert_array_equal(a.lower, b.lower)
