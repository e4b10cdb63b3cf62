"""Grunberg–Nissan viscosity model: the joint fit recovers generated physics; predictions keep its shape."""

from __future__ import annotations

import csv
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from cryodesk.mixtures.featurize import COMPONENT_DESCRIPTORS
from cryodesk.mixtures.viscosity import (
    WATER_INCHIKEY,
    ViscosityRow,
    old_plan_baseline,
    train_viscosity_model,
    viscosity_gn_matrix,
    water_log10_viscosity,
)
from cryodesk.mixtures.viscosity_gn import (
    SOURCE_BINARIES,
    SOURCE_MEASURED,
    SOURCE_STRUCTURE,
    T_REF,
    fit_gn_system,
    normalised_components,
)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared")) / "data"
A, B, C, D = (f"{c * 14}-{c * 10}-N" for c in "ABCD")
PURE = {A: (0.20, 600.0), B: (1.10, 1400.0), C: (-0.30, 450.0), D: (0.60, 900.0)}  # L298, B
G = {(A, B): (0.30, 0.10), (A, C): (-0.15, 0.0), (B, C): (0.05, -0.05), (A, D): (0.20, 0.0),
     (B, D): (-0.10, 0.0), (C, D): (0.12, 0.05), (A, WATER_INCHIKEY): (0.40, 0.15)}  # fmt: skip
TEMPS = (283.15, 293.15, 303.15, 313.15)


def pure_log(key: str, T: float) -> float:
    if key == WATER_INCHIKEY:
        return float(water_log10_viscosity(T))
    L, slope = PURE[key]
    return L + slope * (1 / T - 1 / T_REF)


def truth(components: list[tuple[str, float]], T: float) -> float:
    """Generated law: Σ xᵢ log ηᵢ + Σ xᵢxⱼ (G0 + G1 (xᵢ − xⱼ)), keys sorted."""
    live = normalised_components(components)
    value = sum(x * pure_log(k, T) for k, x in live)
    for (a, xa), (b, xb) in itertools.combinations(live, 2):
        g0, g1 = G[(a, b)] if (a, b) in G else G[(b, a)]
        value += xa * xb * (g0 + g1 * (xa - xb))
    return value


def generated_rows(unmeasured: str | None = None, noise: float = 0.0) -> list[ViscosityRow]:
    """Pure rows of every liquid but ``unmeasured`` and dense binaries of every pair in ``G``."""
    rng = np.random.default_rng(0)
    rows = [ViscosityRow(((k, 1.0),), T, pure_log(k, T)) for k in PURE if k != unmeasured for T in TEMPS]
    for a, b in G:
        for x in np.linspace(0.1, 0.9, 9):
            for T in TEMPS:
                comps = [(a, float(x)), (b, float(1 - x))]
                rows.append(ViscosityRow(tuple(comps), T, truth(comps, T) + rng.normal(0, noise)))
    return rows


def descriptors() -> dict[str, np.ndarray]:
    return {k: np.arange(len(COMPONENT_DESCRIPTORS), dtype=float) * (i + 1) for i, k in enumerate(PURE)}


def test_joint_fit_recovers_pure_lines_and_pair_parameters() -> None:
    system = fit_gn_system(generated_rows(), descriptors(), WATER_INCHIKEY)
    for key, (L, slope) in PURE.items():
        liquid = system.pure[key]
        assert liquid.source == SOURCE_MEASURED
        assert liquid.L298 == pytest.approx(L, abs=2e-3) and liquid.B == pytest.approx(slope, abs=20.0)
    for (a, b), (g0, g1) in G.items():
        key = (min(a, b), max(a, b))
        sign = 1.0 if key == (a, b) else -1.0  # G1 multiplies (x_first − x_second) in key order
        fitted = system.pairs[key]
        assert fitted[0] == pytest.approx(g0, abs=5e-3) and fitted[1] == pytest.approx(sign * g1, abs=1e-2)


def test_liquid_never_measured_pure_is_extrapolated_from_its_binaries() -> None:
    system = fit_gn_system(generated_rows(unmeasured=D), descriptors(), WATER_INCHIKEY)
    liquid = system.pure[D]
    assert liquid.source == SOURCE_BINARIES and "binaries" in liquid.basis
    assert liquid.L298 == pytest.approx(PURE[D][0], abs=0.02)
    assert liquid.B == pytest.approx(PURE[D][1], abs=100.0)
    unseen = system.liquid("EEEEEEEEEEEEEE-EEEEEEEEEE-N")  # no rows, no descriptors: the median prior
    assert unseen.source == SOURCE_STRUCTURE and np.isfinite(unseen.L298)


def test_features_do_not_depend_on_component_order() -> None:
    system = fit_gn_system(generated_rows(), descriptors(), WATER_INCHIKEY)
    one = [normalised_components([(A, 0.3), (B, 0.7)]), normalised_components([(B, 0.7), (A, 0.3)])]
    X, ideal = viscosity_gn_matrix(system, [(one[0], 300.0), (one[1], 300.0)])
    assert np.array_equal(X[0], X[1], equal_nan=True) and ideal[0] == ideal[1]
    # swapping which liquid is the more viscous one moves it between slots, not the row's meaning
    Xs, _ = viscosity_gn_matrix(system, [(normalised_components([(A, 0.7), (B, 0.3)]), 300.0)])
    assert not np.array_equal(X[0], Xs[0], equal_nan=True)


@pytest.fixture(scope="module")
def generated_model():
    from cryodesk.ml import TrainConfig

    config = TrainConfig(
        members=("lgbm",), n_folds=2, domain="none", params={"lgbm": {"n_estimators": 300, "num_leaves": 15}}
    )
    return train_viscosity_model(generated_rows(noise=0.003), descriptors(), config=config)


def test_model_reproduces_pure_endpoints_and_is_order_invariant(generated_model) -> None:
    for key in PURE:
        assert generated_model.predict([(key, 1.0)], 298.15)["log10_cp"] == pytest.approx(
            pure_log(key, 298.15), abs=0.02
        )
    p1 = generated_model.predict([(A, 0.25), (B, 0.75)], 300.0)
    p2 = generated_model.predict([(B, 0.75), (A, 0.25)], 300.0)
    assert p1 == p2
    assert p1["log10_cp"] == pytest.approx(truth([(A, 0.25), (B, 0.75)], 300.0), abs=0.03)
    assert p1["lower"] <= p1["log10_cp"] <= p1["upper"]


def test_ternary_is_the_sum_of_its_binaries(generated_model) -> None:
    """A ternary's excess is Σ xᵢxⱼGᵢⱼ with each G from that pair's binary prediction (GN rule)."""
    mix = [(A, 0.2), (B, 0.3), (C, 0.5)]
    pred = generated_model.predict(mix, 298.15)
    expected = pred["ideal_log10_cp"]
    for (a, xa), (b, xb) in itertools.combinations(mix, 2):
        za, zb = xa / (xa + xb), xb / (xa + xb)
        binary = generated_model.predict([(a, za), (b, zb)], 298.15)
        expected += xa * xb / (za * zb) * (binary["log10_cp"] - binary["ideal_log10_cp"])
    assert pred["log10_cp"] == pytest.approx(expected, abs=1e-9)
    assert pred["log10_cp"] == pytest.approx(truth(mix, 298.15), abs=0.05)


def real_subset(max_groups: int = 160) -> tuple[list[ViscosityRow], dict[str, np.ndarray]]:
    """Rows of the real training file for the most measured compounds' pure rows and binaries."""
    from cryodesk.chem.identity import compound_from_text
    from cryodesk.mixtures.featurize import component_descriptors
    from cryodesk.mixtures.viscosity import viscosity_rows_from_records

    with open(DATA / "mixture_viscosity" / "binary_viscosity_train.csv", newline="") as fh:
        records = list(csv.DictReader(fh))
    count: dict[str, int] = {}
    for r in records:
        for j in (0, 1):
            if r[f"SMILES_{j}"]:
                count[r[f"SMILES_{j}"]] = count.get(r[f"SMILES_{j}"], 0) + 1
    common = set(sorted(count, key=lambda s: -count[s])[:60])
    picked = [r for r in records if {r["SMILES_0"], r["SMILES_1"] or r["SMILES_0"]} <= common]
    groups = sorted({(r["SMILES_0"], r["SMILES_1"]) for r in picked})[:max_groups]
    picked = [r for r in picked if (r["SMILES_0"], r["SMILES_1"]) in set(groups)]
    key_of, smiles_of = {}, {}
    for s in common:
        c = compound_from_text(s, "smiles").compound
        assert c is not None, s
        key_of[s], smiles_of[c.inchikey] = c.inchikey, c.smiles
    rows, problems = viscosity_rows_from_records(picked, key_of)
    assert not problems
    return rows, component_descriptors(smiles_of)[0]


@pytest.mark.skipif(not (DATA / "mixture_viscosity").exists(), reason="shared data folder not present")
def test_grouped_cv_on_real_rows_beats_the_old_plan() -> None:
    from cryodesk.ml import TrainConfig, group_kfold

    rows, desc = real_subset()
    y = np.array([r.log10_cp for r in rows])
    groups = ["+".join(r.pair) for r in rows]
    config = TrainConfig(members=("lgbm",), n_folds=2, domain="none", params={"lgbm": {"n_estimators": 200}})
    ours, base = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    for fold in group_kfold(groups, 3, seed=0):
        train = [rows[i] for i in fold.train]
        test = [rows[i] for i in fold.test]
        assert not {groups[i] for i in fold.train} & {groups[i] for i in fold.test}
        model = train_viscosity_model(train, desc, config=config, cross_fit_folds=3)
        ours[fold.test] = model.predict_rows(test)[0]
        from cryodesk.mixtures.viscosity import fit_pure_viscosities

        base[fold.test] = old_plan_baseline(train, fit_pure_viscosities(train))(test)
    mae, mae_base = np.mean(np.abs(ours - y)), np.mean(np.abs(base - y))
    assert len(rows) > 500 and mae < 0.6 * mae_base and mae < 0.1


def test_aqueous_specialist_predicts_an_unseen_water_pair() -> None:
    """Fourteen liquids whose excess with water grows with one descriptor: a held-out middle one is predicted."""
    from cryodesk.ml import TrainConfig

    rng = np.random.default_rng(3)
    keys = [f"{chr(ord('F') + i) * 14}-{chr(ord('F') + i) * 10}-N" for i in range(14)]
    width = len(COMPONENT_DESCRIPTORS)
    desc = {k: np.concatenate([[i / 13.0], rng.normal(0, 1, width - 1)]) for i, k in enumerate(keys)}
    pure = {k: (0.2 + 0.05 * i, 700.0) for i, k in enumerate(keys)}

    def value(key: str, x: float, T: float) -> float:
        L, slope = pure[key]
        ideal = x * (L + slope * (1 / T - 1 / T_REF)) + (1 - x) * float(water_log10_viscosity(T))
        return ideal + x * (1 - x) * (0.2 + 0.8 * desc[key][0])

    rows = [
        ViscosityRow(((k, 1.0),), T, pure[k][0] + 700.0 * (1 / T - 1 / T_REF)) for k in keys for T in TEMPS
    ]
    held_out = keys[6]  # inside the descriptor range: trees interpolate, they do not extrapolate
    for k in keys:
        if k == held_out:
            continue
        for x in np.linspace(0.1, 0.9, 9):
            rows += [
                ViscosityRow(((k, float(x)), (WATER_INCHIKEY, float(1 - x))), T, value(k, x, T))
                for T in TEMPS
            ]
    config = TrainConfig(members=("lgbm",), n_folds=2, domain="none", params={"lgbm": {"n_estimators": 200}})
    model = train_viscosity_model(rows, desc, config=config, cross_fit_folds=0)
    assert model.water_model is not None  # 13 aqueous pairs, 468 rows: above the thresholds
    pred = model.predict([(held_out, 0.5), (WATER_INCHIKEY, 0.5)], 298.15)
    truth_value = value(held_out, 0.5, 298.15)
    assert abs(pred["log10_cp"] - truth_value) < 0.06
    assert abs(pred["log10_cp"] - truth_value) < 0.5 * abs(pred["ideal_log10_cp"] - truth_value)
