"""Grunberg–Nissan viscosity model: the joint fit recovers generated physics; predictions keep its shape."""

from __future__ import annotations

import csv
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from cryodesk.mixtures.featurize import VISCOSITY_DESCRIPTORS
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
    GNPriors,
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
    return {k: np.arange(len(VISCOSITY_DESCRIPTORS), dtype=float) * (i + 1) for i, k in enumerate(PURE)}


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
    return rows, component_descriptors(smiles_of, VISCOSITY_DESCRIPTORS)[0]


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
    width = len(VISCOSITY_DESCRIPTORS)
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


def test_second_redlich_kister_term_is_recovered_and_changes_the_extrapolated_pure_value() -> None:
    """A pair with a G2·(xa − xb)² term: the fit recovers G2, and without it D's endpoint is biased."""
    g2 = {(A, D): 0.25, (B, D): -0.20, (C, D): 0.15}

    def with_g2(components: list[tuple[str, float]], T: float) -> float:
        live = normalised_components(components)
        (a, xa), (b, xb) = live
        return truth(components, T) + xa * xb * g2.get((a, b), 0.0) * (xa - xb) ** 2

    def rows_for(unmeasured: str | None) -> list[ViscosityRow]:
        rows = [r for r in generated_rows(unmeasured=unmeasured) if len(r.components) == 1]
        for a, b in G:
            for x in np.linspace(0.1, 0.9, 9):
                for T in TEMPS:
                    comps = [(a, float(x)), (b, float(1 - x))]
                    rows.append(ViscosityRow(tuple(comps), T, with_g2(comps, T)))
        return rows

    system = fit_gn_system(rows_for(None), descriptors(), WATER_INCHIKEY)
    for (a, b), value in g2.items():
        # the ridge prior (sd 0.3) shrinks a term that 36 points barely see at x = 0.5 by ~15 %
        fitted = system.pair_extra[(min(a, b), max(a, b))][1]
        assert 0.75 * abs(value) < abs(fitted) <= abs(value) and np.sign(fitted) == np.sign(value)
    # D never measured pure: its endpoint is extrapolated from curves that bend, and G2 is what
    # lets the fit bend them instead of moving the endpoint
    rows = rows_for(D)
    system = fit_gn_system(rows, descriptors(), WATER_INCHIKEY)
    without = fit_gn_system(rows, descriptors(), WATER_INCHIKEY, priors=GNPriors(sd_G2=0.0))
    assert system.pure[D].source == SOURCE_BINARIES
    error, error_without = abs(system.pure[D].L298 - PURE[D][0]), abs(without.pure[D].L298 - PURE[D][0])
    assert error < 0.02 and error < 0.5 * error_without


def test_optional_curvature_and_pair_temperature_terms_are_recovered() -> None:
    """With the priors switched on, a curved pure liquid and a temperature-dependent G0 come back."""
    temps = np.linspace(273.15, 353.15, 9)
    curvature, g0t = 2.0e6, 800.0  # K², K (glycerol-like curvature, aqueous-like G0 slope)

    def pure_c(key: str, T: float) -> float:
        u = 1 / T - 1 / T_REF
        return pure_log(key, T) + (curvature * u * u if key == B else 0.0)

    rows = [ViscosityRow(((k, 1.0),), float(T), pure_c(k, T)) for k in (A, B) for T in temps]
    for x in np.linspace(0.1, 0.9, 9):
        for T in temps:
            u = 1 / T - 1 / T_REF
            xa, xb = float(x), float(1 - x)
            y = xa * pure_c(A, T) + xb * pure_c(B, T) + xa * xb * (0.3 + g0t * u)
            rows.append(ViscosityRow(((A, xa), (B, xb)), float(T), y))
    system = fit_gn_system(rows, descriptors(), WATER_INCHIKEY, priors=GNPriors(sd_C=5e6, sd_G0T=2000.0))
    assert system.pure[B].C == pytest.approx(curvature, rel=0.05)
    assert abs(system.pure[A].C) < 0.02 * curvature
    key = (min(A, B), max(A, B))
    assert system.pair_extra[key][0] == pytest.approx(g0t, rel=0.05)  # symmetric in a and b
    assert system.pairs[key][0] == pytest.approx(0.3, abs=0.01)
    default = fit_gn_system(rows, descriptors(), WATER_INCHIKEY)  # off by default: Andrade lines
    assert default.pure[B].C == 0.0 and default.pair_extra[key][0] == 0.0


def test_neighbour_curve_transfers_the_nearest_partners_whole_curve() -> None:
    """Anchor A with an unseen liquid that looks like B gets the fitted (A, B) curve, seen from A's side."""
    system = fit_gn_system(generated_rows(), descriptors(), WATER_INCHIKEY)
    E = "EEEEEEEEEEEEEE-EEEEEEEEEE-N"
    system.descriptors[E] = descriptors()[B] + 1e-3
    key = (min(A, B), max(A, B))
    g0, g1, _n = system.pairs[key]
    g2 = system.pair_extra[key][1]
    for x_a in (0.2, 0.5, 0.7):
        x_first = x_a if key[0] == A else 1 - x_a  # G1 multiplies (x_first − x_second) in key order
        d = 2 * x_first - 1
        expected = x_a * (1 - x_a) * (g0 + g1 * d + g2 * d * d)
        assert system.neighbour_curve(A, E, x_a, k=1) == pytest.approx(expected, abs=1e-9)
    # the generated (A, B) curve is asymmetric (G1 = 0.10): the transferred curve is too
    assert system.neighbour_curve(A, E, 0.2, k=1) != pytest.approx(
        system.neighbour_curve(A, E, 0.8, k=1), abs=1e-3
    )
    # a pair's own fit is never its neighbour
    assert system.neighbour_curve(A, B, 0.5, k=1) != pytest.approx(0.25 * g0, abs=1e-6)
