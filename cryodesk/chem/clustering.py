"""Clustering, scaffolds and diversity picking on fingerprints; plain Python/NumPy results.

- :func:`butina_clusters`: Taylor-Butina clustering with a Tanimoto distance cutoff. Same result as
  ``rdkit.ML.Cluster.Butina.ClusterData`` (same neighbour rule, same tie order), but the neighbour
  lists come from vectorised popcounts on packed fingerprints instead of an n x n Python distance
  list, so 10,000 molecules take seconds and O(n * neighbours) memory, not O(n^2).
- :func:`murcko_scaffolds` / :func:`scaffold_counts`: Bemis-Murcko scaffolds (optionally generic).
- :func:`maxmin_pick`: MaxMin diversity picking (``rdSimDivPickers.MaxMinPicker``) with a seed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem.Scaffolds import MurckoScaffold
from rdkit.SimDivFilters import rdSimDivPickers

from cryodesk.chem.features.fingerprints import as_words, popcounts, unpack_bits
from cryodesk.chem.features.parsing import Structure, parse_structure, quiet_rdkit

__all__ = [
    "ButinaResult",
    "butina_clusters",
    "maxmin_pick",
    "murcko_scaffolds",
    "neighbour_lists",
    "scaffold_counts",
]


@dataclass(frozen=True, eq=False)
class ButinaResult:
    """Butina clusters.

    Attributes:
        clusters: member rows per cluster, centroid first, clusters in creation order (largest
            neighbourhoods first, as RDKit orders them).
        labels: ``int64 [n]`` cluster number of every row.
        centroids: ``int64 [n_clusters]`` centroid row of every cluster.
    """

    clusters: list[np.ndarray]
    labels: np.ndarray
    centroids: np.ndarray

    def __len__(self) -> int:
        return len(self.clusters)

    def sizes(self) -> np.ndarray:
        """Cluster sizes in cluster order."""
        return np.fromiter((len(c) for c in self.clusters), np.int64, len(self.clusters))


def neighbour_lists(packed: np.ndarray, distance_cutoff: float) -> list[np.ndarray]:
    """For every row, the rows within Tanimoto distance ``<= distance_cutoff`` (itself included).

    Distances are ``1 - similarity`` in float64, the same numbers RDKit's Butina sees when fed
    ``1 - BulkTanimotoSimilarity``. Work is done on the upper triangle in row blocks and mirrored.
    """
    words = as_words(packed)
    counts = popcounts(words).astype(np.int64)
    n = words.shape[0]
    # Rows per block so the AND temporary stays near 2M words (16 MB) whatever n is.
    block = max(1, (1 << 21) // max(1, n * words.shape[1]))
    pairs_i: list[np.ndarray] = []
    pairs_j: list[np.ndarray] = []
    for start in range(0, n, block):
        stop = min(n, start + block)
        rows = words[start:stop]
        tail = words[start:]  # upper triangle incl. the diagonal block
        common = np.bitwise_count(rows[:, None, :] & tail[None, :, :]).sum(axis=2, dtype=np.int64)
        union = counts[start:stop, None] + counts[None, start:] - common
        sim = np.zeros(common.shape, np.float64)
        np.divide(common, union, out=sim, where=union > 0)
        ii, jj = np.nonzero(1.0 - sim <= distance_cutoff)
        ii += start
        jj += start
        keep = jj > ii
        pairs_i.append(ii[keep])
        pairs_j.append(jj[keep])
    src = np.concatenate([*pairs_i, *pairs_j, np.arange(n)]) if n else np.zeros(0, np.int64)
    dst = np.concatenate([*pairs_j, *pairs_i, np.arange(n)]) if n else np.zeros(0, np.int64)
    order = np.lexsort((dst, src))  # group by row, neighbours ascending (RDKit's np.where order)
    src, dst = src[order], dst[order]
    bounds = np.searchsorted(src, np.arange(n + 1))
    return [dst[bounds[i] : bounds[i + 1]] for i in range(n)]


def butina_clusters(
    packed: np.ndarray, distance_cutoff: float = 0.35, *, reordering: bool = False
) -> ButinaResult:
    """Taylor-Butina clustering of packed bit fingerprints.

    Args:
        packed: ``uint8 [n, n_bytes]`` packed fingerprints (``FingerprintMatrix.data``; pass only
            the valid rows and map back with your own index).
        distance_cutoff: rows with Tanimoto distance ``<=`` this are neighbours (0.35 means
            similarity >= 0.65, a common choice for Morgan radius-2 bits).
        reordering: update neighbour counts after each cluster (RDKit's ``reordering=True``);
            slower, fewer singletons.

    Returns:
        :class:`ButinaResult`, identical to ``rdkit.ML.Cluster.Butina.ClusterData`` on the same
        distances.
    """
    neighbours = neighbour_lists(packed, distance_cutoff)
    n = len(neighbours)
    seen = np.zeros(n, bool)
    # RDKit sorts (count, index) descending: most neighbours first, ties by the higher index.
    candidates = sorted(((len(nb), i) for i, nb in enumerate(neighbours)), reverse=True)
    clusters: list[np.ndarray] = []
    while candidates and candidates[0][0] > 1:
        _, idx = candidates.pop(0)
        if seen[idx]:
            continue
        nb = neighbours[idx]
        members = nb[~seen[nb]]
        members = np.concatenate([[idx], members[members != idx]]).astype(np.int64)
        seen[members] = True
        clusters.append(members)
        if reordering:
            candidates = _reorder(candidates, neighbours, members, seen)
    for _, idx in candidates:
        if not seen[idx]:
            seen[idx] = True
            clusters.append(np.array([idx], np.int64))
    labels = np.empty(n, np.int64)
    for number, members in enumerate(clusters):
        labels[members] = number
    centroids = np.fromiter((c[0] for c in clusters), np.int64, len(clusters))
    return ButinaResult(clusters, labels, centroids)


def _reorder(
    candidates: list[tuple[int, int]], neighbours: list[np.ndarray], members: np.ndarray, seen: np.ndarray
) -> list[tuple[int, int]]:
    affected = set()
    for point in members:
        nb = neighbours[point]
        affected.update(nb[~seen[nb]].tolist())
    updated = []
    for count, point in candidates:
        if point in affected:
            nb = neighbours[point]
            neighbours[point] = nb[~seen[nb]]
            count = len(neighbours[point])
        updated.append((count, point))
    updated.sort(reverse=True)
    return updated


def murcko_scaffolds(structures: Sequence[Structure], *, generic: bool = False) -> list[str | None]:
    """Canonical Bemis-Murcko scaffold SMILES per row.

    Args:
        structures: SMILES strings or Mols.
        generic: replace every atom by carbon and every bond by a single bond (framework shape).

    Returns:
        One entry per row: the scaffold SMILES, ``""`` for acyclic molecules (glycerol, DMSO: most
        classic CPAs), or None when the structure could not be parsed.
    """
    out: list[str | None] = []
    with quiet_rdkit():
        for item in structures:
            out.append(_scaffold(item, generic))
    return out


def _scaffold(item: Structure, generic: bool) -> str | None:
    mol, _ = parse_structure(item)
    if mol is None:
        return None
    try:
        core = MurckoScaffold.GetScaffoldForMol(mol)
        if generic and core.GetNumAtoms():
            core = MurckoScaffold.MakeScaffoldGeneric(core)
    except Exception:  # scaffold extraction fails on a few exotic valences; treat as unparsed
        return None
    return Chem.MolToSmiles(core) if core.GetNumAtoms() else ""


def scaffold_counts(
    scaffolds: Sequence[str | None], *, include_acyclic: bool = True
) -> list[tuple[str, int]]:
    """Scaffolds with their row counts, most frequent first (ties alphabetical); None rows skipped."""
    counter = Counter(s for s in scaffolds if s is not None and (include_acyclic or s))
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _bitvects(packed: np.ndarray, n_bits: int) -> list[DataStructs.ExplicitBitVect]:
    bits = unpack_bits(np.asarray(packed, np.uint8), n_bits)
    vectors = []
    for row in bits:
        bv = DataStructs.ExplicitBitVect(n_bits)
        bv.SetBitsFromList(np.flatnonzero(row).tolist())
        vectors.append(bv)
    return vectors


def maxmin_pick(
    packed: np.ndarray,
    n_pick: int,
    *,
    n_bits: int | None = None,
    seed: int = 42,
    first_picks: Sequence[int] = (),
) -> np.ndarray:
    """Pick ``n_pick`` diverse rows by MaxMin on Tanimoto distance (RDKit's lazy bit-vector picker).

    Args:
        packed: ``uint8 [n, n_bytes]`` packed fingerprints.
        n_pick: how many rows to pick (capped at n).
        n_bits: fingerprint length (default ``8 * n_bytes``).
        seed: random seed for the first pick; fixed for reproducible selections.
        first_picks: rows that must be in the selection (e.g. compounds already tested).

    Returns:
        ``int64`` row indices in pick order.
    """
    packed = np.asarray(packed, np.uint8)
    n = packed.shape[0]
    n_pick = min(int(n_pick), n)
    if n_pick <= 0:
        return np.zeros(0, np.int64)
    vectors = _bitvects(packed, n_bits or packed.shape[1] * 8)
    picker = rdSimDivPickers.MaxMinPicker()
    picks = picker.LazyBitVectorPick(vectors, n, n_pick, firstPicks=list(first_picks), seed=seed)
    return np.fromiter(picks, np.int64, len(picks))
