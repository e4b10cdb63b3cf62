"""Learned mixture models: physics parts recover generated truth; parsing reports row/field/reason."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cryodesk.mixtures.featurize import VISCOSITY_DESCRIPTORS
from cryodesk.mixtures.viability import (
    META_NAMES,
    RIDGE_ALPHAS,
    Formulation,
    baseline_predictor,
    doi_groups,
    doi_metadata,
    fit_viability_edges,
    grouped_cv,
    metadata_features,
    model_predictor,
    old_plan_baseline,
    parse_formulations,
    protocol_features,
    selecting_predictor,
)
from cryodesk.mixtures.viscosity import (
    WATER_INCHIKEY,
    ViscosityRow,
    fit_pure_viscosities,
    fit_viscosity_edges,
    ideal_log_viscosity,
    train_viscosity_model,
    viscosity_rows_from_records,
    water_log10_viscosity,
)
from cryodesk.mixtures.viscosity import (
    old_plan_baseline as visc_baseline,
)

A, B, C = "AAAAAAAAAAAAAA-AAAAAAAAAA-N", "BBBBBBBBBBBBBB-BBBBBBBBBB-N", "CCCCCCCCCCCCCC-CCCCCCCCCC-N"
ANDRADE = {A: (-2.0, 600.0), B: (-3.0, 1100.0), C: (-1.5, 450.0)}
G_TRUE = {(A, B): 0.30, (A, C): -0.15, (B, C): 0.05}


def generated_rows(noise: float = 0.0, seed: int = 0, dense: bool = False) -> list[ViscosityRow]:
    rng = np.random.default_rng(seed)
    rows = []
    for key, (a, b) in ANDRADE.items():
        rows += [
            ViscosityRow(((key, 1.0),), T, a + b / T + rng.normal(0, noise)) for T in (283.15, 298.15, 313.15)
        ]
    for (k1, k2), g in G_TRUE.items():
        for x in np.linspace(0.05, 0.95, 19) if dense else (0.1, 0.3, 0.5, 0.7, 0.9):
            for T in (283.15, 293.15, 303.15, 313.15) if dense else (288.15, 303.15):
                ideal = x * (ANDRADE[k1][0] + ANDRADE[k1][1] / T) + (1 - x) * (
                    ANDRADE[k2][0] + ANDRADE[k2][1] / T
                )
                rows.append(
                    ViscosityRow(((k1, x), (k2, 1 - x)), T, ideal + x * (1 - x) * g + rng.normal(0, noise))
                )
    return rows


def test_water_vogel_default_matches_the_measured_value() -> None:
    assert 10 ** water_log10_viscosity(298.15) == pytest.approx(0.890, abs=0.005)
    assert 10 ** water_log10_viscosity(273.15) == pytest.approx(1.79, abs=0.03)


def test_andrade_fits_and_grunberg_nissan_edges_recover_generated_parameters() -> None:
    rows = generated_rows()
    pure = fit_pure_viscosities(rows)
    for key, (a, b) in ANDRADE.items():
        assert pure[key].A == pytest.approx(a, abs=1e-9) and pure[key].B == pytest.approx(b, abs=1e-6)
    assert WATER_INCHIKEY in pure and "Vogel" in pure[WATER_INCHIKEY].basis
    graph = fit_viscosity_edges(rows, pure)
    assert graph.edge_counts_by_source() == {"fitted": 3}
    for (k1, k2), g in G_TRUE.items():
        (e,) = graph.interactions(k1, k2)
        assert e.value == pytest.approx(g, abs=1e-9) and e.sign == np.sign(g) and e.confidence == 1.0


def test_single_temperature_liquids_get_the_median_slope() -> None:
    rows = [*generated_rows(), ViscosityRow((("DDDDDDDDDDDDDD-DDDDDDDDDD-N", 1.0),), 298.15, 0.5)]
    pure = fit_pure_viscosities(rows)
    d = pure["DDDDDDDDDDDDDD-DDDDDDDDDD-N"]
    assert d.B == pytest.approx(600.0) and d.at(298.15) == pytest.approx(0.5) and "median slope" in d.basis


def test_old_plan_baseline_is_the_ideal_average_plus_one_constant() -> None:
    rows = generated_rows()
    pure = fit_pure_viscosities(rows)
    predict = visc_baseline(rows, pure)
    ideal = np.array([ideal_log_viscosity(r.components, r.T, pure) for r in rows])
    bonus = np.mean([r.log10_cp for r in rows] - ideal)
    assert np.allclose(predict(rows), ideal + bonus)
    unknown = ViscosityRow((("ZZZZZZZZZZZZZZ-ZZZZZZZZZZ-N", 0.5), (A, 0.5)), 298.15, 0.0)
    assert predict([unknown])[0] == pytest.approx(np.mean([r.log10_cp for r in rows]))


def test_learned_model_beats_the_old_plan_on_an_unseen_temperature() -> None:
    from cryodesk.ml import TrainConfig

    train = generated_rows(noise=0.005, seed=1, dense=True)
    descriptors = {
        k: np.arange(len(VISCOSITY_DESCRIPTORS), dtype=float) * i for i, k in enumerate((A, B, C), 1)
    }
    model = train_viscosity_model(
        train, descriptors, config=TrainConfig(members=("lgbm",), n_folds=3, domain="none")
    )
    test = [r for r in generated_rows(seed=2) if len(r.components) == 2]
    test = [ViscosityRow(r.components, 295.0, math.nan) for r in test]
    truth = []
    for r in test:
        (k1, x), (k2, _) = r.components
        ideal = ideal_log_viscosity(r.components, r.T, model.pure)
        truth.append(ideal + x * (1 - x) * G_TRUE[(k1, k2)])
    value, lower, upper = model.predict_rows(test)
    base = visc_baseline(train, model.pure)(test)
    assert np.mean(np.abs(value - truth)) < 0.5 * np.mean(np.abs(base - truth))
    assert lower is not None and np.all(lower <= value) and np.all(value <= upper)
    one = model.predict(test[0].components, 295.0)
    assert one["log10_cp"] == pytest.approx(value[0]) and one["ideal_log10_cp"] < one["log10_cp"] + 1


def test_viscosity_records_report_row_and_field() -> None:
    records = [
        {"SMILES_0": "O", "SMILES_1": "OCCO", "comp_0": "0.5", "comp_1": "0.5", "T": "298.15", "logV": "0.2"},
        {
            "SMILES_0": "O",
            "SMILES_1": "C1CC(",
            "comp_0": "0.5",
            "comp_1": "0.5",
            "T": "298.15",
            "logV": "0.2",
        },
        {"SMILES_0": "O", "SMILES_1": "", "comp_0": "1", "comp_1": "0", "T": "hot", "logV": "0.2"},
    ]
    rows, problems = viscosity_rows_from_records(records, {"O": WATER_INCHIKEY, "OCCO": A})
    assert len(rows) == 1 and rows[0].pair == tuple(sorted((WATER_INCHIKEY, A)))
    assert problems[0].startswith("row 2: SMILES_1") and problems[1].startswith("row 3")


def formulation(i: int, viability: float, **amounts: float) -> Formulation:
    return Formulation(
        str(i), viability, tuple(sorted((s, a, "M") for s, a in amounts.items())), (f"10.1/x{i % 4}",), i
    )


def test_parse_formulations_and_doi_groups() -> None:
    records = [
        {
            "formulation_id": "1",
            "viability_percent": "80",
            "source_doi": " https://doi.org/10.1/A",
            "dmso_M": "1.4",
            "fbs_pct": "10",
            "sucrose_M": "0",
        },
        {"formulation_id": "2", "viability_percent": "120", "source_doi": "10.1/B", "dmso_M": "1"},
        {"formulation_id": "3", "viability_percent": "50", "source_doi": "doi:10.1/b; 10.1/C", "dmso_M": "x"},
        {
            "formulation_id": "4",
            "viability_percent": "60",
            "source_doi": "10.1/B; https://doi.org/10.1/C",
            "glycerol_M": "1",
        },
        {"formulation_id": "5", "viability_percent": "70", "source_doi": "10.1/C", "glycerol_M": "2"},
        {"formulation_id": "6", "viability_percent": "65", "source_doi": "", "glycerol_M": "2"},
    ]
    forms, problems = parse_formulations(records)
    assert [f.formulation_id for f in forms] == ["1", "4", "5", "6"]
    assert forms[0].amounts == (("dmso", 1.4, "M"), ("fbs", 10.0, "%")) and forms[0].dois == ("10.1/a",)
    assert problems[0] == "row 2, field 'viability_percent': 120.0 is outside 0-100 %"
    assert problems[1].startswith("row 3, field 'dmso_M': not a number")
    groups = doi_groups(forms)
    assert groups[1] == groups[2] and len({groups[0], groups[1], groups[3]}) == 3


def test_viability_edges_find_a_constructed_interaction_and_the_baseline_averages() -> None:
    rng = np.random.default_rng(0)
    forms = []
    for i in range(80):
        dmso, tre, gly = rng.choice([0, 0.5, 1.0]), rng.choice([0, 0.2]), rng.choice([0, 1.0])
        amounts = {k: v for k, v in (("dmso", dmso), ("trehalose", tre), ("glycerol", gly)) if v > 0}
        bonus = 15.0 if ("dmso" in amounts and "trehalose" in amounts) else 0.0
        v = 50 + 10 * math.log1p(dmso) + 5 * math.log1p(gly) + bonus + rng.normal(0, 1)
        forms.append(formulation(i, min(100.0, v), **amounts))
    forms = [f for f in forms if f.amounts]
    graph = fit_viability_edges(forms, {})
    (e,) = graph.interactions("ingredient:dmso", "ingredient:trehalose")
    assert e.sign == 1 and e.value > 5 and e.confidence > 0.99 and "additive" in (e.reference_model or "")
    (g,) = graph.interactions("ingredient:dmso", "ingredient:glycerol")
    assert abs(g.value) < abs(e.value)
    predict = old_plan_baseline(forms, {}, {})
    p = predict([formulation(999, 0.0, dmso=1.0), formulation(998, 0.0, unknownium=1.0)])
    assert 0 <= p[0] <= 100 and p[1] == pytest.approx(np.mean([f.viability for f in forms]))


def test_protocol_features_hand_checked() -> None:
    amounts = (("dmso", 1.4, "M"), ("fbs", 10.0, "%"), ("sucrose", 0.1, "M"), ("trehalose", 5.0, "%"))
    f = Formulation("1", 80.0, amounts, (), 1)
    X, names = protocol_features([f])
    row = dict(zip(names, X[0], strict=True))
    # penetrating 1.4 M (DMSO), non-penetrating 0.1 M (sucrose); trehalose given in % does not fit the
    # mol/L total and goes to other_amount; FBS is a protein
    assert row["penetrating_M"] == 1.4 and row["non_penetrating_M"] == 0.1 and row["other_amount"] == 5.0
    assert row["total_small_M"] == pytest.approx(1.5)
    assert row["log1p_total_small_M"] == pytest.approx(math.log(2.5))
    assert row["penetrating_share"] == pytest.approx(1.4 / 1.5) and row["dmso_M"] == 1.4
    assert row["protein_pct"] == 10.0 and row["polymer_pct"] == 0.0 and row["has_protein"] == 1.0
    assert row["dmso_free"] == 0.0 and row["has_dmso"] == 1.0 and row["has_trehalose"] == 1.0
    assert row["has_glycerol"] == 0.0 and row["n_ingredients"] == 4.0


def test_paper_metadata_flags_from_raw_text() -> None:
    raw = [
        {"Source (DOI link)": "https://doi.org/10.1/A", "All ingredients in cryoprotective solution": "MSCs: 10% DMSO",
         "Cooling rate": "-1 °C/min to -80 °C", "Comments about method": ""},
        {"Source (DOI link)": "10.1/B", "All ingredients in cryoprotective solution": "5% DMSO, T cells",
         "Cooling rate": "Uncontrolled; storage at -80C", "Comments about method": None},
    ]  # fmt: skip
    meta = doi_metadata(raw)
    assert meta["10.1/a"]["cell_msc"] == 1.0 and meta["10.1/a"]["cooling_controlled_rate"] == 1.0
    assert meta["10.1/a"]["cell_blood"] == 0.0 and meta["10.1/b"]["cell_blood"] == 1.0
    assert meta["10.1/b"]["cooling_uncontrolled"] == 1.0 and meta["10.1/b"]["cooling_controlled_rate"] == 0.0
    forms = [
        Formulation("1", 50.0, (("dmso", 1.0, "M"),), ("10.1/a", "10.1/b"), 1),
        Formulation("2", 50.0, (("dmso", 1.0, "M"),), ("10.9/unknown",), 2),
    ]
    X = metadata_features(forms, meta)
    row = dict(zip(META_NAMES, X[0], strict=True))
    # the mean over the row's two papers
    assert row["cell_msc"] == 0.5 and row["cell_blood"] == 0.5 and row["meta_unknown"] == 0.0
    assert X[1, -1] == 1.0 and X[1, :-1].sum() == 0.0


def synthetic_viability(
    n_groups: int = 20, per_group: int = 6, seed: int = 0
) -> tuple[list, np.ndarray, list]:
    """Formulations whose viability depends on DMSO and sucrose, plus a per-paper offset (noise)."""
    rng = np.random.default_rng(seed)
    forms, groups = [], []
    for g in range(n_groups):
        offset = rng.normal(0, 3)
        for j in range(per_group):
            dmso, suc = rng.choice([0.0, 0.7, 1.4]), rng.choice([0.0, 0.1])
            amounts = tuple((s, a, "M") for s, a in (("dmso", dmso), ("sucrose", suc)) if a > 0)
            v = float(np.clip(30 + 35 * (dmso > 0) + 10 * (suc > 0) + offset + rng.normal(0, 3), 0, 100))
            forms.append(Formulation(f"{g}-{j}", v, amounts, (f"10.1/p{g}",), len(forms)))
            groups.append(f"paper-{g}")
    return forms, np.array([f.viability for f in forms]), groups


def test_grouped_cv_never_splits_a_group_and_predicts_every_row_once() -> None:
    forms, y, groups = synthetic_viability()
    seen: list[tuple[set, set]] = []

    def recording(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        seen.append(({groups[i] for i in train}, {groups[i] for i in test}))
        return np.full(len(test), float(np.mean(y[train]))), {}

    run = grouped_cv(y, groups, recording, n_splits=5, seed=3)
    assert len(seen) == 5 and all(not (tr & te) for tr, te in seen)
    assert sum(run.fold_test_sizes) == len(y) and not np.isnan(run.predictions).any()
    mean_run = grouped_cv(y, groups, baseline_predictor(y, "mean"), n_splits=5, seed=3)
    assert run.mae == pytest.approx(mean_run.mae)
    # different seeds regroup the papers into different folds
    other = grouped_cv(y, groups, baseline_predictor(y, "mean"), n_splits=5, seed=4)
    assert not np.allclose(other.predictions, mean_run.predictions)


def test_protocol_models_beat_the_mean_when_the_protocol_matters() -> None:
    forms, y, groups = synthetic_viability()
    X, _names = protocol_features(forms)
    mean_mae = grouped_cv(y, groups, baseline_predictor(y, "mean"), seed=0).mae
    median_mae = grouped_cv(y, groups, baseline_predictor(y, "median"), seed=0).mae
    assert median_mae > 10  # the trivial baselines are far off on this data
    for kind in ("ridge", "rf", "gbm"):
        run = grouped_cv(y, groups, model_predictor(kind, X, y, groups, seed=0), seed=0)
        # noise is 3 % points per row plus 3 per paper: a model that learned the protocol effects lands
        # near that, far below the mean predictor
        assert run.mae < 0.4 * mean_mae, kind
        if kind == "ridge":
            assert all(c["alpha"] in RIDGE_ALPHAS for c in run.chosen) and len(run.chosen) == 5
    # on labels with no relation to the inputs, ridge with nested alpha does not beat the mean by much
    shuffled = np.random.default_rng(1).permutation(y)
    noise = grouped_cv(shuffled, groups, model_predictor("ridge", X, shuffled, groups, seed=0), seed=0).mae
    base = grouped_cv(shuffled, groups, baseline_predictor(shuffled, "mean"), seed=0).mae
    assert noise > 0.9 * base


def test_nested_selection_chooses_inside_the_training_fold() -> None:
    forms, y, groups = synthetic_viability()
    X, _names = protocol_features(forms)
    useless = np.random.default_rng(5).normal(size=(len(y), 3))  # features unrelated to viability
    candidates = {"protocol/ridge": ("ridge", X), "noise/ridge": ("ridge", useless)}
    run = grouped_cv(y, groups, selecting_predictor(candidates, y, groups, seed=0), seed=0)
    # the informative candidate wins the inner CV in every outer fold, and the outer MAE matches it
    assert [c["selected"] for c in run.chosen] == ["protocol/ridge"] * 5
    direct = grouped_cv(y, groups, model_predictor("ridge", X, y, groups, seed=0), seed=0)
    assert run.mae == pytest.approx(direct.mae, rel=0.05)
