"""Benchmark: substructure and similarity search over a deterministic 100,000-compound library.

The library: every parsable structure of Tox21, ToxCast, the Bradley melting-point set and ESOL
(canonical, de-duplicated, sorted), topped up to 100,000 with enumerated analogues: one hydrogen of a
parent replaced by C, F, Cl, O, N or Br, taken round-robin over parents and positions in a fixed order,
so every run builds the same library.

Prints one JSON document: library/index build times, serialised size and reload time, substructure
latency (median, p95, max over typical queries, all hits returned) and Tanimoto top-50 latency.

Run: ``.venv/bin/python tests/bench/bench_search.py`` (``CRYODESK_BENCH_LIBRARY_N`` changes the size).
"""

from __future__ import annotations

import csv
import gzip
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rdkit import Chem, rdBase  # noqa: E402

from cryodesk.chem.features import compute_fingerprints  # noqa: E402
from cryodesk.chem.search import SimilarityIndex, SubstructureIndex  # noqa: E402
from cryodesk.engine.executor import ProcessPoolExecutor, available_cpus  # noqa: E402

DATA = Path(os.environ.get("CRYODESK_SHARED_DATA", ROOT.parent / "shared" / "data"))
LIBRARY_N = int(os.environ.get("CRYODESK_BENCH_LIBRARY_N", "100000"))
SUBSTITUENTS = (6, 9, 17, 8, 7, 35)  # C, F, Cl, O, N, Br

QUERIES = [
    "c1ccccc1",  # benzene
    "OCC(O)CO",  # glycerol backbone
    "OCCO",  # ethylene glycol unit
    "CS(C)=O",  # DMSO / sulfoxide
    "C(=O)N",  # amide
    "NC(N)=O",  # urea
    "C(=O)O",  # acid / ester
    "[OX2H][CX4]",  # aliphatic hydroxyl (SMARTS)
    "[OX2H][CX4][CX4][OX2H]",  # vicinal diol (SMARTS)
    "Clc1ccccc1",
    "c1ccncc1",
    "C1CCCCC1",
    "c1ccc2ccccc2c1",
    "[N+](=O)[O-]",
    "S(=O)(=O)N",
    "C1CCC2C(C1)CCC1C2CCC2CCCC12",  # steroid core
    "OC1C(O)C(O)C(CO)OC1",  # pyranose
    "P(=O)(O)O",
    "[#6]F",
    "C=CC(=O)O",  # acrylate
    "c1ccoc1",
    "c1ccsc1",
]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def read_column(path: Path, opener: Callable[..., Any] = open) -> list[str]:
    with opener(path, "rt", newline="", encoding="utf-8", errors="replace") as handle:
        return [row["smiles"] for row in csv.DictReader(handle)]


def parents() -> list[str]:
    raw = (
        read_column(DATA / "tox21" / "tox21.csv")
        + read_column(DATA / "toxcast" / "toxcast.csv.gz", gzip.open)
        + read_column(DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv")
        + read_column(DATA / "esol" / "delaney.csv")
    )
    canonical = set()
    with rdBase.BlockLogs():
        for smiles in raw:
            mol = Chem.MolFromSmiles(smiles)
            if mol is not None and mol.GetNumAtoms():
                canonical.add(Chem.MolToSmiles(mol))
    return sorted(canonical)


def analogues(parent_smiles: list[str]) -> Iterator[str]:
    """Single-substituent analogues, round-robin over parents, then positions, then substituents."""
    mols = [Chem.MolFromSmiles(s) for s in parent_smiles]
    sites = [[a.GetIdx() for a in m.GetAtoms() if a.GetTotalNumHs() > 0] for m in mols]
    max_round = max(len(s) for s in sites) * len(SUBSTITUENTS)
    for round_number in range(max_round):
        site_number, substituent = divmod(round_number, len(SUBSTITUENTS))
        for mol, positions in zip(mols, sites, strict=True):
            if site_number < len(positions):
                smiles = _substitute(mol, positions[site_number], SUBSTITUENTS[substituent])
                if smiles:
                    yield smiles


def _substitute(mol: Chem.Mol, position: int, atomic_number: int) -> str | None:
    rw = Chem.RWMol(mol)
    atom = rw.GetAtomWithIdx(position)
    if atom.GetNumExplicitHs():
        atom.SetNumExplicitHs(atom.GetNumExplicitHs() - 1)
    new = rw.AddAtom(Chem.Atom(atomic_number))
    rw.AddBond(position, new, Chem.BondType.SINGLE)
    try:
        Chem.SanitizeMol(rw)
    except Exception:
        return None
    return Chem.MolToSmiles(rw)


def build_library(n: int) -> tuple[list[str], int]:
    base = parents()
    library, seen = list(base[:n]), set(base[:n])
    with rdBase.BlockLogs():
        for smiles in analogues(base):
            if len(library) >= n:
                break
            if smiles not in seen:
                seen.add(smiles)
                library.append(smiles)
    return library, min(len(base), n)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def rss_mb() -> float | None:
    """Resident memory of this process (Linux); None elsewhere."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, AttributeError):
        return None


def time_queries(index: SubstructureIndex) -> dict[str, Any]:
    index.search("CCCCCCCCCC")  # first-call set-up outside the timings
    per_query: dict[str, dict[str, float]] = {}
    for query in QUERIES:
        t_first, hits = timed(lambda q=query: index.search(q))
        t_again, _ = timed(lambda q=query: index.search(q))
        per_query[query] = {"hits": len(hits), "first_s": round(t_first, 4), "repeat_s": round(t_again, 4)}
    firsts = [v["first_s"] for v in per_query.values()]
    return {
        "latency_median_s": round(percentile(firsts, 50), 4),
        "latency_p95_s": round(percentile(firsts, 95), 4),
        "latency_max_s": round(max(firsts), 4),
        "per_query": per_query,
    }


def bench_substructure(library: list[str]) -> dict[str, Any]:
    t_build, index = timed(lambda: SubstructureIndex.build(library, trusted_smiles=True))
    t_dump, blob = timed(index.to_bytes)
    t_load, index = timed(lambda: SubstructureIndex.from_bytes(blob, expected_hash=index.content_hash))
    smiles_holder = time_queries(index)
    before = rss_mb()
    t_load_memory, fast = timed(lambda: SubstructureIndex.from_bytes(blob, in_memory=True))
    after = rss_mb()
    in_memory = time_queries(fast)
    same_hits = all(
        in_memory["per_query"][q]["hits"] == smiles_holder["per_query"][q]["hits"] for q in QUERIES
    )
    return {
        "index_build_s": round(t_build, 2),
        "serialised_mb": round(len(blob) / 1e6, 1),
        "serialise_s": round(t_dump, 3),
        "load_s": round(t_load, 3),
        "queries": len(QUERIES),
        "goal_median_s": 0.5,
        "smiles_holder": smiles_holder,
        "in_memory_holder": {
            "load_s": round(t_load_memory, 2),
            "extra_memory_mb": None if before is None or after is None else round(after - before),
            "same_hit_counts": same_hits,
            **in_memory,
        },
    }


def bench_similarity(library: list[str]) -> dict[str, Any]:
    with ProcessPoolExecutor(min(2, available_cpus())) as pool:
        t_fp, fps = timed(lambda: compute_fingerprints(library, "morgan2", pool))
    t_index, index = timed(lambda: SimilarityIndex.from_fingerprints(fps))
    rows = list(range(0, len(library), len(library) // 25))[:25]
    index.top_k(fps.data[0], 50)  # warm-up
    packed_times, smiles_times, threshold_times = [], [], []
    for row in rows:
        t, _ = timed(lambda r=row: index.top_k(fps.data[r], 50))
        packed_times.append(t)
        t, _ = timed(lambda r=row: index.top_k(library[r], 50))
        smiles_times.append(t)
        t, _ = timed(lambda r=row: index.above(fps.data[r], 0.6))
        threshold_times.append(t)
    return {
        "fingerprints_morgan2_s": round(t_fp, 2),
        "index_s": round(t_index, 3),
        "queries": len(rows),
        "top50_median_s": round(percentile(packed_times, 50), 4),
        "top50_p95_s": round(percentile(packed_times, 95), 4),
        "top50_from_smiles_median_s": round(percentile(smiles_times, 50), 4),
        "threshold_0_6_median_s": round(percentile(threshold_times, 50), 4),
        "goal_top50_s": 0.1,
    }


def main() -> None:
    t_library, (library, n_parents) = timed(lambda: build_library(LIBRARY_N))
    report = {
        "benchmark": "search",
        "library": {
            "compounds": len(library),
            "real_parents": n_parents,
            "enumerated_analogues": len(library) - n_parents,
            "build_s": round(t_library, 1),
            "sources": ["tox21", "toxcast", "bradley_melting_point", "esol"],
        },
        "cpus": available_cpus(),
        "rdkit": rdBase.rdkitVersion,
        "substructure": bench_substructure(library),
        "similarity": bench_similarity(library),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
