"""Shared helpers of the model benchmarks (``bench_models_*.py``): data loading and cached features.

Not a benchmark itself (run directly, it only lists what the benchmarks use). Chemistry happens here,
in the benchmark, never in :mod:`cryodesk.ml`, which only sees matrices, labels and group keys:

- identity: :func:`cryodesk.chem.compound_from_text` (standardised parent, InChIKey, salt flags);
- features: :func:`cryodesk.chem.features.featurize` / :func:`compute_fingerprints` on the
  standardised parent SMILES (what the store would hold), cached in ``$CRYODESK_BENCH_CACHE``
  (default ``/tmp/cryodesk_bench_cache``) keyed by the SMILES list and the feature-set version;
- DeepChem scaffolds: ``MurckoScaffoldSmiles(includeChirality=False)`` on the dataset's own SMILES,
  exactly what ``deepchem.splits.ScaffoldSplitter`` computes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = Path(os.environ.get("CRYODESK_SHARED_DATA", ROOT.parent / "shared" / "data"))
CACHE = Path(os.environ.get("CRYODESK_BENCH_CACHE", "/tmp/cryodesk_bench_cache"))
#: Descriptor sets and fingerprints a benchmark can ask for (fingerprints as dense counts/bits).
KNOWN_BLOCKS = ("default", "rdkit2d_full", "cryo", "morgan2_counts", "morgan2", "maccs", "rdkit", "atompair")


@dataclass(frozen=True)
class Molecules:
    """Rows of a benchmark data set after identity: parent SMILES, InChIKeys, flags and raw labels."""

    smiles: list[str]  # the data set's own SMILES (for DeepChem scaffolds)
    parent_smiles: list[str]  # standardised parent (featurised)
    keys: list[str]
    inorganic: np.ndarray
    salt: np.ndarray
    labels: np.ndarray  # float64 [n] or [n, t], NaN = missing
    task_names: list[str]
    dropped: list[tuple[int, str]]  # rows of the file that failed identity, with the reason


def _digest(items: Sequence[str], *extra: str) -> str:
    h = hashlib.sha256()
    for item in (*items, *extra):
        h.update(item.encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def _identity(smiles: list[str]) -> list[tuple[str | None, str | None, bool, bool, str | None]]:
    """(parent smiles, inchikey, inorganic, salt, error) per SMILES, cached on disk."""
    from cryodesk.chem import compound_from_text
    from cryodesk.chem.standardize import STANDARDISATION_VERSION

    path = CACHE / f"identity_{_digest(smiles, str(STANDARDISATION_VERSION))}.json"
    if path.exists():
        return [tuple(row) for row in json.loads(path.read_text())]  # type: ignore[misc]
    out = []
    for text in smiles:
        r = compound_from_text(text, "smiles")
        if r.compound is None:
            out.append((None, None, False, False, r.error))
        else:
            out.append((r.compound.smiles, r.compound.inchikey, r.inorganic, r.is_salt, None))
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    return out


def molecules(smiles: list[str], labels: np.ndarray, task_names: list[str]) -> Molecules:
    """Identify every row; rows whose structure fails identity are dropped (and listed)."""
    ident = _identity(smiles)
    keep = [i for i, row in enumerate(ident) if row[1] is not None]
    dropped = [(i, str(row[4])) for i, row in enumerate(ident) if row[1] is None]
    return Molecules(
        smiles=[smiles[i] for i in keep],
        parent_smiles=[str(ident[i][0]) for i in keep],
        keys=[str(ident[i][1]) for i in keep],
        inorganic=np.array([bool(ident[i][2]) for i in keep]),
        salt=np.array([bool(ident[i][3]) for i in keep]),
        labels=np.asarray(labels, np.float64)[keep],
        task_names=task_names,
        dropped=dropped,
    )


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def load_csv(path: Path, smiles_col: str, label_cols: list[str]) -> tuple[list[str], np.ndarray]:
    """SMILES and a float label matrix (blank -> NaN) from a CSV file."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    smiles = [row[smiles_col] for row in rows]
    labels = np.array([[_float(row[c]) for c in label_cols] for row in rows], np.float64)
    return smiles, labels


def load_tox21() -> Molecules:
    path = DATA / "tox21" / "tox21.csv"
    with open(path, newline="") as handle:
        tasks = next(csv.reader(handle))[1:]
    smiles, labels = load_csv(path, "smiles", tasks)
    return molecules(smiles, labels, tasks)


def load_esol() -> Molecules:
    # The column named "logp" is measured log10 solubility (mol/L); see esol/SOURCE.txt.
    smiles, labels = load_csv(DATA / "esol" / "delaney.csv", "smiles", ["logp"])
    return molecules(smiles, labels[:, 0], ["logS"])


def load_koop() -> Molecules:
    smiles, labels = load_csv(DATA / "glass_transition" / "Koop_dataset.csv", "SMILES", ["Tg (K)"])
    return molecules(smiles, labels[:, 0], ["Tg_K"])


def load_bradley() -> Molecules:
    path = DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv"
    smiles, labels = load_csv(path, "smiles", ["mpC"])
    return molecules(smiles, labels[:, 0], ["mp_C"])


def feature_block(smiles: list[str], name: str) -> tuple[np.ndarray, list[str], str]:
    """One feature block (float32 values, column names, version), cached on disk."""
    from cryodesk.chem.features import featurize, get_feature_set

    version = get_feature_set(name).version
    path = CACHE / f"feat_{name}_{_digest(smiles, name, version)}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        return data["values"], [str(c) for c in data["columns"]], version
    executor = _executor()
    try:
        fm = featurize(smiles, name, executor)
    finally:
        if executor is not None:
            executor.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, values=fm.values, columns=np.array(fm.columns))
    return fm.values, list(fm.columns), version


def packed_fingerprints(smiles: list[str], name: str = "morgan2") -> np.ndarray:
    """Packed bit fingerprints (uint8, little bit order) for the applicability domain, cached."""
    from cryodesk.chem.features import compute_fingerprints, get_feature_set

    version = get_feature_set(name).version
    path = CACHE / f"fp_{name}_{_digest(smiles, name, version)}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    data = compute_fingerprints(smiles, name).data
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, data)
    return data


def _executor() -> Any:
    from cryodesk.engine.executor import ProcessPoolExecutor, available_cpus

    workers = min(2, available_cpus())
    return ProcessPoolExecutor(workers) if workers > 1 else None


def features(smiles: list[str], blocks: Sequence[str]) -> Any:
    """Concatenated feature blocks (``cryodesk.ml.AssembledFeatures``: X, columns, set, version, blocks)."""
    from cryodesk.ml import assemble_features

    parts = [feature_block(smiles, b) for b in blocks]
    return assemble_features([(name, v, c, ver) for name, (v, c, ver) in zip(blocks, parts, strict=True)])


def deepchem_scaffolds(smiles: list[str]) -> list[str]:
    """Bemis-Murcko scaffold SMILES as DeepChem's ScaffoldSplitter computes them (no chirality)."""
    from rdkit import Chem, rdBase
    from rdkit.Chem.Scaffolds import MurckoScaffold

    out = []
    with rdBase.BlockLogs():
        for s in smiles:
            mol = Chem.MolFromSmiles(s)
            out.append(
                "" if mol is None else MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
            )
    return out


def machine() -> dict[str, Any]:
    import lightgbm
    import sklearn

    from cryodesk.engine.executor import available_cpus

    return {
        "cpus": available_cpus(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "lightgbm": lightgbm.__version__,
        "numpy": np.__version__,
    }


def stderr_progress(done: int, total: int, message: str) -> None:
    """Progress lines on stderr (stdout carries only the JSON document)."""
    print(f"{time.strftime('%H:%M:%S')} {done}/{total} {message}", file=sys.stderr, flush=True)


class Timer:
    """Wall-clock seconds of a ``with`` block in ``.seconds``."""

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def rounded(obj: Any, digits: int = 4) -> Any:
    """Round every float in a nested JSON-able structure (numpy scalars included)."""
    if isinstance(obj, dict):
        return {str(k): rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [rounded(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return rounded(obj.tolist(), digits)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return None if not np.isfinite(value) else round(value, digits)
    return obj


if __name__ == "__main__":
    print(json.dumps({"helpers_for": "bench_models_*.py", "data": str(DATA), "cache": str(CACHE)}))


# --- regression benchmarks (ESOL, Tg, melting point) ------------------------------------------


def regression_dataset(
    mols: Molecules, blocks: Sequence[str], *, max_spread: float | None, drop_inorganic: bool, name: str
) -> tuple[Any, dict[str, Any]]:
    """A de-duplicated single-task regression Dataset with packed Morgan bits for the domain."""
    from cryodesk.ml import Dataset, deduplicate

    keep = ~mols.inorganic if drop_inorganic else np.ones(len(mols.keys), bool)
    f = features(mols.parent_smiles, blocks)
    fps = packed_fingerprints(mols.parent_smiles)
    ds = Dataset(
        f.X[keep], mols.labels[keep], f.columns, "regression", np.array(mols.keys)[keep], (mols.task_names[0],),
        feature_set=f.feature_set, feature_version=f.version, fingerprints=fps[keep], name=name, blocks=f.blocks,
    )  # fmt: skip
    ds, report = deduplicate(ds, max_spread=max_spread)
    info = {
        "file_rows": len(mols.smiles) + len(mols.dropped),
        "unparsable_rows_dropped": len(mols.dropped),
        "inorganic_rows_dropped": int((~keep).sum()),
        "inorganic_dropped": [mols.smiles[i] for i in np.flatnonzero(~keep)],
        "dedup": report.as_dict(),
        "rows": len(ds),
        "features": ds.X.shape[1],
        "feature_blocks": {k: list(v) for k, v in (ds.blocks or {}).items()},
        "feature_version": ds.feature_version,
    }
    return ds, info


def regression_summary(task_report: dict[str, Any], training: dict[str, Any]) -> dict[str, Any]:
    """The figures a regression benchmark prints for one held-out evaluation."""
    members = task_report["members"]
    best = min(members, key=lambda m: members[m]["rmse"])
    return {
        "ensemble": task_report["ensemble"],
        "members": members,
        "best_single_member": best,
        "ensemble_rmse_gain_vs_best_member_pct": 100 * (1 - task_report["ensemble"]["rmse"] / members[best]["rmse"]),
        "weights": task_report["weights"],
        "conformal": task_report.get("conformal"),
        "applicability_domain": task_report.get("domain"),
        "feature_selection": training.get("feature_selection"),
        "tuning": {k: {"params": v["params"], "inner_cv_score": v["score"], "seconds": v["seconds"]}
                   for k, v in training.get("tuning", {}).items()},
        "domain_threshold": (training.get("domain") or {}).get("threshold"),
        "train_seconds": sum(training.get("seconds", {}).values()),
    }  # fmt: skip


def artefact_check(model: Any, X: np.ndarray) -> dict[str, Any]:
    """Save, verify-load and re-predict a model: artefact size, load time, identical predictions."""
    import tempfile

    from cryodesk.ml import load_model, save_model

    with tempfile.TemporaryDirectory() as tmp:
        path, sha = save_model(model, tmp, "bench")
        with Timer() as t:
            loaded = load_model(path, sha)
        same = bool(np.array_equal(_values(loaded.predict(X)), _values(model.predict(X))))
        return {"bytes": path.stat().st_size, "load_seconds": t.seconds, "same_predictions": same}


def _values(pred: Any) -> np.ndarray:
    if isinstance(pred, dict):
        return np.column_stack([p.value for p in pred.values()])
    return pred.value


def run_random_splits(
    ds: Any, seeds: Sequence[int], make_config: Any, metric: str, on_seed: Any = None
) -> dict[str, Any]:
    """Random 80/10/10 splits: per-seed figures and mean/sd of ``metric`` for ensemble and members.

    ``on_seed(runs)`` is called after every seed with the finished runs (to save partial results).
    """
    from cryodesk.ml import evaluate_split, random_split

    runs = {}
    for seed in seeds:
        config = make_config(seed)
        with Timer() as t:
            report, model = evaluate_split(ds, random_split(len(ds), seed=seed), config)
        task = report.per_task[ds.task_names[0]]
        runs[f"seed{seed}"] = {"split": report.split, **regression_summary(task, report.training),
                               "wall_seconds": t.seconds, "artefact": artefact_check(model, ds.X[:50])}  # fmt: skip
        print(f"seed {seed}: ensemble {task['ensemble']}", file=sys.stderr, flush=True)
        if on_seed is not None:
            on_seed(runs)
    who = ["ensemble", *runs[f"seed{seeds[0]}"]["members"]]

    def values(w: str) -> list[float]:
        return [r["ensemble"][metric] if w == "ensemble" else r["members"][w][metric] for r in runs.values()]

    coverage = [r["conformal"]["coverage"] for r in runs.values() if r.get("conformal")]
    return {
        f"mean_{metric}": {w: float(np.mean(values(w))) for w in who},
        f"sd_{metric}": {w: float(np.std(values(w), ddof=1)) if len(seeds) > 1 else 0.0 for w in who},
        "mean_conformal_coverage_90": float(np.mean(coverage)) if coverage else None,
        "runs": runs,
    }
