"""Learned mixture models (issue 8): grouped 5-fold CV of viscosity and post-thaw viability, graph sanity.

Prints one JSON document (and writes it to ``--out``). Run with ``nice -n 5``::

    nice -n 5 .venv/bin/python tests/bench/bench_mixture_models.py --out /tmp/bench_mixtures.json

* viscosity: the training rows of the published CheMixHub/Bilodeau split (``binary_viscosity_train.csv``;
  the published test rows are not in this folder and nothing here is tuned to them). 5-fold CV grouped by
  the set of components, so no mixture pair (and no pure liquid) sits on both sides. MAE/RMSE in log10(cP),
  overall and on water-containing binaries, for the learned model with and without graph terms and for the
  old plan's baseline (composition-weighted average + constant synergy bonus), all on the same rows.
* viability: ``parsed_formulations.csv``, 5-fold CV grouped by source DOI (rows that share any DOI are one
  group), ingredient names resolved through the engine's resolver (offline strategies only), MAE against
  predicting the training mean, with graph terms on and off, next to the old plan's baseline.
* graph: edge counts by source, ideal-mixture synergy, Hill parameter recovery, real concentration series.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DATA = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared")) / "data"
PUBLISHED = {
    "overall": {"mae": 0.033},
    "water_binaries": {"mae": 0.082},
    "note": (
        "published model on its own test split (Bilodeau et al. 2023, as quoted by issue 8); our figures are "
        "grouped CV on the training rows, a different (harder: unseen pairs) protocol"
    ),
}


def _scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    err = p - y
    return {
        "n": int(len(y)),
        "mae": round(float(np.mean(np.abs(err))), 4),
        "rmse": round(float(np.sqrt(np.mean(err**2))), 4),
    }


def _subset_scores(
    y: np.ndarray, preds: dict[str, np.ndarray], mask: np.ndarray
) -> dict[str, dict[str, float]]:
    return {name: _scores(y[mask], p[mask]) for name, p in preds.items()} if mask.any() else {}


# ------------------------------------------------------------------------------------------- viscosity
def load_viscosity(limit: int | None) -> tuple[list, dict[str, np.ndarray], dict[str, object]]:
    from cryodesk.chem.identity import compound_from_text
    from cryodesk.mixtures.featurize import VISCOSITY_DESCRIPTORS, component_descriptors
    from cryodesk.mixtures.viscosity import viscosity_rows_from_records

    with open(DATA / "mixture_viscosity" / "binary_viscosity_train.csv", newline="") as fh:
        records = list(csv.DictReader(fh))
    if limit:
        rng = np.random.default_rng(0)
        records = [records[i] for i in sorted(rng.choice(len(records), limit, replace=False))]
    smiles = sorted({r[f"SMILES_{j}"] for r in records for j in (0, 1) if r[f"SMILES_{j}"]})
    key_of, smiles_of_key, failed = {}, {}, {}
    for s in smiles:
        ident = compound_from_text(s, "smiles")
        if ident.compound is None:
            failed[s] = ident.error
            continue
        key_of[s] = ident.compound.inchikey
        smiles_of_key.setdefault(ident.compound.inchikey, ident.compound.smiles)
    rows, problems = viscosity_rows_from_records(records, key_of)
    descriptors, desc_problems = component_descriptors(smiles_of_key, VISCOSITY_DESCRIPTORS)
    info = {
        "records": len(records),
        "rows": len(rows),
        "rejected_rows": len(problems),
        "rejected_examples": problems[:3],
        "smiles": len(smiles),
        "smiles_not_standardised": len(failed),
        "compounds": len(smiles_of_key),
        "compounds_without_descriptors": len(desc_problems),
    }
    return rows, descriptors, info


def _viscosity_config() -> object:
    from cryodesk.mixtures.viscosity import DEFAULT_LGBM
    from cryodesk.ml import TrainConfig

    # the deployed settings (DEFAULT_LGBM, fixed a priori), 2 inner folds (they only feed the conformal
    # intervals with one member) and one thread: the machine is shared
    return TrainConfig(members=("lgbm",), n_folds=2, domain="none", n_jobs=1, params={"lgbm": DEFAULT_LGBM})


def _viscosity_breakdown(
    rows: list, y: np.ndarray, pred: np.ndarray, measured: np.ndarray, water: np.ndarray
) -> dict[str, object]:
    """MAE/RMSE of one prediction vector by row category and by temperature distance from 298 K."""
    n_live = np.array([len(r.pair) for r in rows])
    binary = n_live == 2
    temps = np.array([r.T for r in rows])
    categories = {
        "pure_liquids": n_live == 1,
        "binaries_both_measured_pure": binary & measured & ~water,
        "binaries_some_not_measured_pure": binary & ~measured & ~water,
        "water_binaries_partner_measured_pure": water & measured,
        "water_binaries_partner_not_measured_pure": water & ~measured,
    }
    by_category = {k: _scores(y[m], pred[m]) for k, m in categories.items() if m.any()}
    by_temperature = {}
    for low, high in ((0, 5), (5, 20), (20, 40), (40, 80), (80, 1000)):
        dist = np.abs(temps - 298.15)
        for name, m in (("pure", n_live == 1), ("binary", binary), ("water", water)):
            sel = m & (dist >= low) & (dist < high)
            if sel.any():
                by_temperature[f"{name}_dT_{low}-{high}K"] = _scores(y[sel], pred[sel])
    return {"by_category": by_category, "by_temperature_distance": by_temperature}


def _water_parts(model: object, rows: list, test: np.ndarray, water: np.ndarray, out: np.ndarray) -> None:
    """Ideal, global-model excess and aqueous-specialist excess of the fold's aqueous test binaries."""
    from cryodesk.mixtures.viscosity import viscosity_gn_matrix
    from cryodesk.mixtures.viscosity_gn import normalised_components

    idx = np.asarray(test)[water[test]]
    if not idx.size or model.water_model is None:  # type: ignore[attr-defined]
        return
    items = [(normalised_components(rows[i].components), float(rows[i].T)) for i in idx]
    X, ideal = viscosity_gn_matrix(model.system, items, model.use_graph)  # type: ignore[attr-defined]
    out[idx, 0] = ideal
    out[idx, 1] = model.model.predict(X).value  # type: ignore[attr-defined]
    out[idx, 2] = model.water_model.predict(X).value  # type: ignore[attr-defined]


def _water_weight_sweep(y: np.ndarray, parts: np.ndarray, water: np.ndarray) -> dict[str, object]:
    """Water-binary MAE/RMSE for specialist weights 0 (global model only) … 1 (specialist only)."""
    m = water & ~np.isnan(parts[:, 2])
    if not m.any():
        return {}
    return {
        f"specialist_weight_{w:.2f}": _scores(y[m], parts[m, 0] + (1 - w) * parts[m, 1] + w * parts[m, 2])
        for w in (0.0, 0.25, 0.5, 0.75, 1.0)
    }


def bench_viscosity(
    limit: int | None,
    folds: int,
    ablation: bool,
    fold_seed: int = 0,
    save_predictions: Path | None = None,
) -> dict[str, object]:
    from cryodesk.mixtures.featurize import VISCOSITY_DESCRIPTORS
    from cryodesk.mixtures.viscosity import (
        DEFAULT_LGBM,
        WATER_INCHIKEY,
        fit_pure_viscosities,
        old_plan_baseline,
        train_viscosity_model,
    )
    from cryodesk.mixtures.viscosity_gn import SOURCE_MEASURED, SOURCE_REFERENCE
    from cryodesk.ml import group_kfold

    t0 = time.perf_counter()
    rows, descriptors, info = load_viscosity(limit)
    load_s = time.perf_counter() - t0
    y = np.array([r.log10_cp for r in rows])
    groups = ["+".join(r.pair) for r in rows]
    split = group_kfold(groups, folds, seed=fold_seed)
    variants = (("graph_model", True), ("no_graph_model", False)) if ablation else (("graph_model", True),)
    preds = {k: np.full(len(rows), np.nan) for k in (*(v[0] for v in variants), "old_plan_baseline")}
    config = _viscosity_config()
    n_live = np.array([len(r.pair) for r in rows])
    water = np.array([WATER_INCHIKEY in r.pair for r in rows]) & (n_live == 2)
    # rows whose every liquid was measured pure in the training fold (or is water, the reference)
    measured = np.zeros(len(rows), bool)
    fold_seconds, fit_seconds, edges, per_fold = [], [], [], []
    water_parts = np.full((len(rows), 3), np.nan)  # ideal, global excess, specialist excess
    for k, fold in enumerate(split):
        start = time.perf_counter()
        train = [rows[i] for i in fold.train]
        test = [rows[i] for i in fold.test]
        for label, graph in variants:
            fit_start = time.perf_counter()
            model = train_viscosity_model(train, descriptors, use_graph=graph, config=config, seed=0)
            if graph:
                fit_seconds.append(round(time.perf_counter() - fit_start, 1))
            preds[label][fold.test] = model.predict_rows(test)[0]
            if graph:
                _water_parts(model, rows, fold.test, water, water_parts)
            if graph:
                edges.append(model.featurizer.graph.number_of_edges)  # type: ignore[union-attr]
                system = model.system
                measured[fold.test] = [
                    all(
                        (p := system.pure.get(key)) is not None
                        and p.source in (SOURCE_MEASURED, SOURCE_REFERENCE)
                        for key in rows[i].pair
                    )
                    for i in fold.test
                ]
        preds["old_plan_baseline"][fold.test] = old_plan_baseline(train, fit_pure_viscosities(train))(test)
        fold_seconds.append(round(time.perf_counter() - start, 1))
        in_fold = np.zeros(len(rows), bool)
        in_fold[fold.test] = True
        per_fold.append({
            "fold": k,
            "test_rows": int(in_fold.sum()),
            "test_groups": len({groups[i] for i in fold.test}),
            "overall": _subset_scores(y, preds, in_fold),
            "water_binaries": _subset_scores(y, preds, in_fold & water),
        })  # fmt: skip
    binary = n_live == 2
    out = {
        "data": info,
        "protocol": {
            "outer": f"{folds}-fold GroupKFold (cryodesk.ml.group_kfold, seed {fold_seed}) on the {len(rows)} published "
            "training rows; group = the set of components, so no pair and no pure liquid is on both sides",
            "per_fold_fitting": "pure liquids, pair parameters, structure prior, graph edges and the model are "
            "fitted on the training fold only; training features cross-fitted over 5 inner GroupKFold folds "
            "(seed 0) of the training fold",
            "hyperparameters": f"LightGBM {DEFAULT_LGBM}, GNPriors() defaults and the component descriptor "
            "list: chosen on the development split (--fold-seed 7), never on a reported seed's test folds",
            "published_test_split": "not used (not in the file)",
        },
        "model": "Grunberg–Nissan system (joint ridge fit of pure Andrade lines and pair G0/G1; water = Vogel "
        "reference) + cryodesk.ml train_model lgbm on the excess over ideal mixing, 2 inner folds (conformal); "
        f"component descriptors: {len(VISCOSITY_DESCRIPTORS)} (VISCOSITY_DESCRIPTORS)",
        "overall": _subset_scores(y, preds, np.ones(len(rows), bool)),
        "water_binaries": _subset_scores(y, preds, water),
        "binaries": _subset_scores(y, preds, binary),
        "pure_liquids": _subset_scores(y, preds, n_live == 1),
        "binaries_both_liquids_measured_pure_in_training_fold": _subset_scores(y, preds, binary & measured),
        "binaries_some_liquid_not_measured_pure_in_training_fold": _subset_scores(
            y, preds, binary & ~measured
        ),
        "water_binaries_partner_measured_pure": _subset_scores(y, preds, water & measured),
        "breakdown_graph_model": _viscosity_breakdown(rows, y, preds["graph_model"], measured, water),
        "per_fold": per_fold,
        "water_mae_per_fold": [f["water_binaries"].get("graph_model", {}).get("mae") for f in per_fold],
        "graph_edges_per_fold": edges,
        "published_model_test_split": PUBLISHED,
        "seconds": {
            "load": round(load_s, 1),
            "per_fold": fold_seconds,
            "graph_model_fit_per_fold": fit_seconds,
        },
    }
    out["water_specialist_weight_sweep"] = _water_weight_sweep(y, water_parts, water)
    if save_predictions is not None:
        # per-row predictions for residual analysis (plain arrays, no pickle)
        np.savez_compressed(
            save_predictions,
            y=y,
            pred=preds["graph_model"],
            T=np.array([r.T for r in rows]),
            measured=measured,
            water=water,
            n_live=n_live,
            row=np.array([r.row for r in rows]),
            group=np.array(groups, dtype=str),
        )
    g, b = out["overall"]["graph_model"]["mae"], out["overall"]["old_plan_baseline"]["mae"]
    out["gain_over_old_plan_overall_pct"] = round(100 * (b - g) / b, 1)
    if out["water_binaries"]:
        gw, bw = (
            out["water_binaries"]["graph_model"]["mae"],
            out["water_binaries"]["old_plan_baseline"]["mae"],
        )
        out["gain_over_old_plan_water_pct"] = round(100 * (bw - gw) / bw, 1)
    return out


# ------------------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("all", "viscosity", "viability", "graph"), default="all")
    ap.add_argument("--limit", type=int, default=None, help="viscosity: random subset of rows (smoke runs)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--fold-seed",
        type=int,
        default=0,
        help="viscosity: seed of the outer group_kfold (0 = reported protocol)",
    )
    ap.add_argument(
        "--save-predictions", type=Path, default=None, help="viscosity: write per-row predictions (.npz)"
    )
    ap.add_argument(
        "--viscosity-ablation", action="store_true", help="also train viscosity without graph terms"
    )
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    load = os.getloadavg()
    result: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_at_start": [round(x, 2) for x in load],
            "python": platform.python_version(),
        }
    }
    start = time.perf_counter()
    if args.part in ("all", "graph"):
        result["graph_sanity"] = bench_graph()
    if args.part in ("all", "viability"):
        result["viability"] = bench_viability(args.folds)
    if args.part in ("all", "viscosity"):
        result["viscosity"] = bench_viscosity(
            args.limit, args.folds, args.viscosity_ablation, args.fold_seed, args.save_predictions
        )
    result["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]  # type: ignore[index]
    result["seconds_total"] = round(time.perf_counter() - start, 1)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


# ------------------------------------------------------------------------------------------- viability
def _viability_workbench() -> tuple[object, Path]:
    """A scratch project holding the reference CPAs, so the resolver's store strategy knows their names."""
    import tempfile

    from cryodesk.engine.seed import load_manifest, seed_reference_cpas
    from cryodesk.engine.service import Workbench

    folder = Path(tempfile.mkdtemp(prefix="bench_mix_"))
    wb = Workbench.open(folder / "bench.cryodesk")
    seed_reference_cpas(wb.project, load_manifest())
    return wb, folder


def _viability_cv(
    forms: list, groups: list[str], resolved: dict, descriptors: dict, molar_mass: dict, folds: int
) -> dict[str, object]:
    from cryodesk.mixtures.viability import old_plan_baseline, train_viability_model
    from cryodesk.ml import TrainConfig, group_kfold

    y = np.array([f.viability for f in forms])
    split = group_kfold(groups, folds, seed=0)
    preds = {
        k: np.full(len(forms), np.nan)
        for k in ("graph_model", "no_graph_model", "training_mean", "old_plan_baseline")
    }
    config = TrainConfig(members=("rf", "lgbm"), n_folds=3, domain="none", n_jobs=1)
    edges, test_sizes = [], []
    for fold in split:
        train = [forms[i] for i in fold.train]
        g_train = [groups[i] for i in fold.train]
        test = [forms[i] for i in fold.test]
        test_sizes.append(len(test))
        for label, graph in (("graph_model", True), ("no_graph_model", False)):
            model = train_viability_model(
                train, g_train, resolved, descriptors, use_graph=graph, config=config
            )
            preds[label][fold.test] = model.predict(test).value  # type: ignore[attr-defined]
            if graph:
                edges.append(model.graph.number_of_edges)  # type: ignore[union-attr]
        preds["training_mean"][fold.test] = float(np.mean([f.viability for f in train]))
        preds["old_plan_baseline"][fold.test] = old_plan_baseline(train, resolved, molar_mass)(test)
    scores = {k: _scores(y, np.clip(p, 0, 100)) for k, p in preds.items()}
    mean_mae = scores["training_mean"]["mae"]
    return {
        "rows": len(forms),
        "groups": len(set(groups)),
        "fold_test_sizes": test_sizes,
        "scores": scores,
        "graph_edges_per_fold": edges,
        "gain_vs_mean_pct": {k: round(100 * (mean_mae - v["mae"]) / mean_mae, 1) for k, v in scores.items()},
        "graph_on_minus_off_mae": round(scores["graph_model"]["mae"] - scores["no_graph_model"]["mae"], 4),
    }


def bench_viability(folds: int) -> dict[str, object]:
    from cryodesk.engine.mixtures import formulation_inputs, read_csv_records
    from cryodesk.mixtures.viability import doi_groups

    start = time.perf_counter()
    wb, _folder = _viability_workbench()
    try:
        records = read_csv_records(DATA / "cpa_formulations" / "parsed_formulations.csv")
        forms, groups, resolved, descriptors, resolutions, problems = formulation_inputs(wb, records)
    finally:
        wb.close()  # type: ignore[attr-defined]
    molar_mass = {k: float(v[0]) for k, v in descriptors.items()}  # COMPONENT_DESCRIPTORS[0] is amw
    single = [i for i, f in enumerate(forms) if len(f.dois) <= 1]
    single_forms = [forms[i] for i in single]
    out = {
        "data": {
            "rows": len(forms),
            "rejected": problems[:5],
            "ingredients": len(resolutions),
            "resolved": sum(r.inchikey is not None for r in resolutions),
            "resolutions": [
                {
                    "stem": r.stem,
                    "query": r.query,
                    "role": r.role,
                    "inchikey": r.inchikey,
                    "method": r.method,
                    "confidence": round(r.confidence, 2),
                    "note": r.reason,
                }
                for r in resolutions
            ],
        },
        "protocol": f"{folds}-fold GroupKFold (seed 0); models: cryodesk.ml train_model rf+lgbm, 3 inner folds; "
        "graph edges and the old plan's ingredient scores fitted on each training fold only "
        "(graph terms of training rows cross-fitted over inner DOI-grouped folds)",
        "strict_all_rows": {
            "grouping": "connected components of shared DOIs over all rows (17 rows that "
            "average several papers tie many papers into one group)",
            **_viability_cv(forms, groups, resolved, descriptors, molar_mass, folds),
        },
        "single_source_rows": {
            "grouping": "rows citing at most one DOI (multi-paper averages left out of "
            "training and testing), grouped by DOI; rows without a DOI are "
            "one group each",
            **_viability_cv(single_forms, doi_groups(single_forms), resolved, descriptors, molar_mass, folds),
        },
        "repeated_grouped_cv": {
            "protocol": f"{folds}-fold GroupKFold repeated over seeds {list(VIABILITY_SEEDS)}; every "
            "fold-dependent step inside the training fold: standardisation (ridge), ridge alpha chosen by "
            "nested 3-fold "
            "grouped CV on the training fold, graph edges fitted on the training fold (training rows' "
            "graph terms cross-fitted); forest and boosting use fixed, strongly regularised settings "
            "(no tuning); fixed seeds",
            "strict_all_rows": _viability_repeated(forms, groups, resolved, descriptors, folds),
            "single_source_rows": _viability_repeated(
                single_forms, doi_groups(single_forms), resolved, descriptors, folds
            ),
        },
        "seconds": round(time.perf_counter() - start, 1),
    }
    return out


VIABILITY_SEEDS = (0, 1, 2, 3, 4)
SELECTION = "nested_selection/protocol_sets_x_regressors"


def _raw_metadata() -> dict[str, dict[str, float]]:
    from cryodesk.mixtures.viability import doi_metadata

    path = DATA / "cpa_formulations" / "Cryopreservative_Data_2026.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return doi_metadata(csv.DictReader(fh))


def _seed_summary(values: list[float], base: list[float], median: list[float]) -> dict[str, object]:
    """MAE over seeds and its paired differences to the mean and median predictors (same folds per seed)."""
    v = np.array(values)
    diff, diff_med = v - np.array(base), v - np.array(median)
    return {
        "mae_mean": round(float(v.mean()), 3),
        "mae_sd_over_seeds": round(float(v.std(ddof=1)), 3),
        "mae_min": round(float(v.min()), 3),
        "mae_max": round(float(v.max()), 3),
        "minus_mean_predictor_mean": round(float(diff.mean()), 3),
        "minus_mean_predictor_sd": round(float(diff.std(ddof=1)), 3),
        "seeds_better_than_mean_predictor": int((diff < 0).sum()),
        "minus_median_predictor_mean": round(float(diff_med.mean()), 3),
        "minus_median_predictor_sd": round(float(diff_med.std(ddof=1)), 3),
        "seeds_better_than_median_predictor": int((diff_med < 0).sum()),
        "per_seed": [round(float(x), 3) for x in v],
    }


def _viability_repeated(
    forms: list, groups: list[str], resolved: dict, descriptors: dict, folds: int
) -> dict[str, object]:
    """Seeded, repeated grouped CV of feature sets x regressors against the mean and median predictors."""
    from cryodesk.mixtures.viability import (
        META_NAMES,
        REGRESSORS,
        ViabilityFeatures,
        baseline_predictor,
        graph_term_features,
        grouped_cv,
        metadata_features,
        model_predictor,
        protocol_features,
        selecting_predictor,
    )

    y = np.array([f.viability for f in forms])
    proto, proto_names = protocol_features(forms)
    meta = _raw_metadata()
    meta_x = metadata_features(forms, meta)
    desc = ViabilityFeatures(resolved, descriptors, use_graph=False).transform(forms, None)
    feature_sets: dict[str, object] = {
        "protocol": proto,
        "protocol+graph": graph_term_features(proto, forms, groups, resolved, descriptors),
        "protocol+paper_metadata": np.hstack([proto, meta_x]),
        "descriptors": desc,
        "descriptors+graph": graph_term_features(desc, forms, groups, resolved, descriptors),
    }
    maes: dict[str, list[float]] = {"training_mean": [], "training_median": []}
    alphas: dict[str, set[float]] = {}
    selected: dict[str, int] = {}
    sizes = {}
    for seed in VIABILITY_SEEDS:
        for stat in ("mean", "median"):
            run = grouped_cv(y, groups, baseline_predictor(y, stat), n_splits=folds, seed=seed)
            maes[f"training_{stat}"].append(run.mae)
            sizes[seed] = list(run.fold_test_sizes)
        for fs_name, X in feature_sets.items():
            t0 = time.perf_counter()
            for kind in REGRESSORS:
                predictor = model_predictor(kind, X, y, groups, seed)  # type: ignore[arg-type]
                run = grouped_cv(y, groups, predictor, n_splits=folds, seed=seed)
                maes.setdefault(f"{fs_name}/{kind}", []).append(run.mae)
                if kind == "ridge":
                    alphas.setdefault(fs_name, set()).update(c["alpha"] for c in run.chosen)
            print(f"viability seed {seed} {fs_name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        # honest figure for "pick the best configuration": the choice is made inside each training fold
        candidates = {
            f"{fs}/{kind}": (kind, feature_sets[fs])
            for fs in ("protocol", "protocol+paper_metadata")
            for kind in REGRESSORS
        }
        chooser = selecting_predictor(candidates, y, groups, seed)  # type: ignore[arg-type]
        run = grouped_cv(y, groups, chooser, n_splits=folds, seed=seed)
        maes.setdefault(SELECTION, []).append(run.mae)
        for c in run.chosen:
            selected[str(c["selected"])] = selected.get(str(c["selected"]), 0) + 1
    base = maes["training_mean"]
    graph_effect = {}
    for fs in ("protocol", "descriptors"):
        for kind in REGRESSORS:
            diff = np.array(maes[f"{fs}+graph/{kind}"]) - np.array(maes[f"{fs}/{kind}"])
            graph_effect[f"{fs}/{kind}"] = {
                "on_minus_off_mean": round(float(diff.mean()), 3),
                "on_minus_off_sd": round(float(diff.std(ddof=1)), 3),
            }
    summary = {name: _seed_summary(values, base, maes["training_median"]) for name, values in maes.items()}
    models = [k for k in summary if "/" in k and k != SELECTION]
    best = min(models, key=lambda k: float(summary[k]["mae_mean"]))  # type: ignore[arg-type]
    shares = {n: round(float(meta_x[:, i].mean()), 3) for i, n in enumerate(META_NAMES)}
    return {
        "rows": len(forms),
        "groups": len(set(groups)),
        "seeds": list(VIABILITY_SEEDS),
        "fold_test_sizes_by_seed": sizes,
        "protocol_feature_names": list(proto_names),
        "paper_metadata": {"dois_with_metadata": len(meta), "flag_share_over_rows": shares},
        "ridge_alphas_chosen": {k: sorted(v) for k, v in alphas.items()},
        "summary": summary,
        "graph_on_minus_off": graph_effect,
        "best_by_mean_mae": best,
        "note": "the best-of-many row is picked after seeing all results; treat it as optimistic. "
        f"'{SELECTION}' makes that choice inside each training fold (inner 3-fold grouped CV) and is the "
        "honest figure for the best configuration",
        "nested_selection_picks_over_folds": selected,
    }


# ------------------------------------------------------------------------------------------- graph sanity
def bench_graph() -> dict[str, object]:
    from cryodesk.engine.mixtures import formulation_inputs, read_csv_records
    from cryodesk.mixtures.dose_response import FitError, concentration_series, fit_hill, log_logistic
    from cryodesk.mixtures.interaction_graph import InteractionGraph
    from cryodesk.mixtures.synergy import bliss_excess, bliss_expected_effect, viscosity_excess
    from cryodesk.mixtures.viability import fit_viability_edges
    from cryodesk.mixtures.viscosity import fit_pure_viscosities, fit_viscosity_edges

    start = time.perf_counter()
    # 1. edges by source: every graph this issue builds from data (all training rows).
    rows, _desc, _info = load_viscosity(None)
    pure = fit_pure_viscosities(rows)
    g_visc = fit_viscosity_edges(rows, pure, evidence="binary_viscosity_train.csv")
    wb, _folder = _viability_workbench()
    try:
        records = read_csv_records(DATA / "cpa_formulations" / "parsed_formulations.csv")
        forms, _groups, resolved, _d, _r, _p = formulation_inputs(wb, records)
    finally:
        wb.close()  # type: ignore[attr-defined]
    g_via = fit_viability_edges(forms, resolved)
    combined = InteractionGraph(validate_keys=False)
    for e in [*g_visc.edges(), *g_via.edges()]:
        combined.add_interaction(e)
    confident = sum(e.confidence >= 0.95 for e in combined.edges())
    signs = {str(k): sum(e.sign == k for e in g_visc.edges()) for k in (-1, 0, 1)}
    # 2. constructed ideal mixtures: measured = additive expectation exactly -> excess 0, sign 0.
    rng = np.random.default_rng(0)
    ideal_excess = []
    for _ in range(200):
        x = rng.dirichlet(np.ones(3))
        eta = rng.uniform(0.3, 1500.0, 3)
        measured = float(np.exp(np.sum(x * np.log(eta))))
        ideal_excess.append(viscosity_excess(measured, x, eta, sigma_log10=0.01))
        e = rng.uniform(0, 0.6, 3)
        ideal_excess.append(bliss_excess(bliss_expected_effect(e), e, sigma=0.02))
    # 3. Hill fits on generated curves recover the generating parameters.
    recov = []
    for i in range(50):
        truth = {
            "r0": 100.0,
            "r_inf": rng.uniform(0, 20),
            "ec50": 10 ** rng.uniform(-0.5, 1.0),
            "hill": rng.uniform(0.8, 4.0),
        }
        c = np.concatenate([[0.0], truth["ec50"] * np.logspace(-1.2, 1.2, 9)])
        y = log_logistic(c, **truth) + rng.normal(0, 2.0, c.size)
        try:
            fit = fit_hill(c, y, source=f"generated curve {i}")
        except FitError:
            recov.append(None)
            continue
        inside = {k: bool(fit.ci[k][0] <= truth[k] <= fit.ci[k][1]) for k in truth}
        recov.append(
            {
                "ec50_rel_err": abs(fit.ec50 / truth["ec50"] - 1),
                "hill_abs_err": abs(fit.hill - truth["hill"]),
                "inside": inside,
            }
        )
    ok = [r for r in recov if r is not None]
    # 4. real concentration series (>= 4 concentrations) in the formulation data, and Hill fits on them.
    series = concentration_series(forms)
    fits = []
    for s in series:
        try:
            f = fit_hill(s.concentrations, s.responses, concentration_unit=s.unit, response_unit="% viability",
                         source=f"cpa_formulations doi {s.doi}")  # fmt: skip
            fits.append({"ingredient": s.ingredient, "n": len(s.concentrations), "ec50": round(f.ec50, 4),
                         "hill": round(f.hill, 3), "identifiable": f.identifiable,
                         "r_squared": round(f.r_squared, 3)})  # fmt: skip
        except FitError as exc:
            fits.append({"ingredient": s.ingredient, "n": len(s.concentrations), "error": str(exc)[:120]})
    series_out = [
        {"doi": s.doi, "ingredient": s.ingredient, "unit": s.unit, "background": list(s.background),
         "points": [list(p) for p in zip(s.concentrations, s.responses, strict=True)]}
        for s in series
    ]  # fmt: skip
    return {
        "edge_counts_by_source": combined.edge_counts_by_source(),
        "edge_counts_by_type": combined.edge_counts_by_type(),
        "edges_confidence_ge_0.95": confident,
        "viscosity_edge_signs": signs,
        "ideal_mixture_synergy": {
            "cases": len(ideal_excess),
            "max_abs_excess": float(max(abs(r.excess) for r in ideal_excess)),
            "nonzero_signs": sum(r.sign != 0 for r in ideal_excess),
        },
        "hill_recovery": {
            "curves": len(recov),
            "fitted": len(ok),
            "median_ec50_rel_err": round(float(np.median([r["ec50_rel_err"] for r in ok])), 4),
            "median_hill_abs_err": round(float(np.median([r["hill_abs_err"] for r in ok])), 4),
            "ci95_coverage": {
                k: round(float(np.mean([r["inside"][k] for r in ok])), 3)
                for k in ("r0", "r_inf", "ec50", "hill")
            },
            "noise": "normal, sd 2 % points; 10 concentrations incl. 0",
        },
        "real_concentration_series_ge4": {"count": len(series), "series": series_out, "hill_fits": fits},
        "seconds": round(time.perf_counter() - start, 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
