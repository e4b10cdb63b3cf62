"""Benchmark: ESOL aqueous solubility (log mol/L), random 80/10/10 splits, RMSE.

Published figures (random split, as listed in issue 7): RF on descriptors 0.663, chemprop D-MPNN 0.567,
Attentive FP 0.503. Goal: RMSE <= 0.56. Seeds 0, 1, 2; mean and sd over seeds.

Data: shared/data/esol/delaney.csv (the column ``logp`` is log solubility). Parent structures,
InChIKey de-duplication (median; a key whose replicates span more than 1 log unit is dropped).
Features: the feature blocks are chosen inside each training set by LightGBM 5-fold CV among
rdkit2d_full, + MACCS, + Morgan counts; members may be tuned by successive halving (``--budget``) on the
training rows only. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_models_common as common

from cryodesk.ml import TrainConfig

BLOCKS = ("rdkit2d_full", "maccs", "morgan2_counts")
CANDIDATES = (("rdkit2d_full",), ("rdkit2d_full", "maccs"), ("rdkit2d_full", "maccs", "morgan2_counts"))
PUBLISHED = {
    "RF on RDKit descriptors (chemprop paper)": 0.663,
    "chemprop D-MPNN": 0.567,
    "Attentive FP": 0.503,
}
GOAL = 0.56


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--budget", type=int, default=12)
    parser.add_argument(
        "--tune", default="lgbm,mlp", help="members to tune (the forest is left at its defaults)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    machine = common.machine()
    ds, info = common.regression_dataset(
        common.load_esol(), BLOCKS, max_spread=1.0, drop_inorganic=False, name="esol"
    )
    seeds = [int(s) for s in args.seeds.split(",")]

    def make_config(seed: int) -> TrainConfig:
        return TrainConfig(
            seed=seed,
            n_jobs=1,
            tuning_budget=args.budget,
            tune=tuple(args.tune.split(",")),
            feature_candidates=CANDIDATES,
        )

    result = common.run_random_splits(ds, seeds, make_config, "rmse")
    ens = result["mean_rmse"]["ensemble"]
    out = {
        "benchmark": "models_esol",
        "protocol": f"random 80/10/10 split, seeds {seeds}, test RMSE (log10 mol/L)",
        "machine": machine,
        "data": info,
        "tuning_budget": args.budget,
        "tuned_members": args.tune.split(","),
        **{k: v for k, v in result.items() if k != "runs"},
        "published": PUBLISHED,
        "goal": GOAL,
        "goal_met": bool(ens <= GOAL),
        "runs": result["runs"],
        "total_seconds": time.perf_counter() - started,
    }
    print(json.dumps(common.rounded(out), indent=1))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
