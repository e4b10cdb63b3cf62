"""Substructure and similarity search over a project's compounds, plus clustering and scaffolds.

The substructure index is persisted beside the project (``<project>.substructure``) and rebuilt
only when the compounds change (its header carries a hash of the structures it was built from).
Similarity search uses Morgan fingerprints from the feature cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cryodesk.engine.executor import make_executor
from cryodesk.engine.features import POOL_MIN_ITEMS, FeatureService
from cryodesk.store import Project

log = logging.getLogger(__name__)
SIMILARITY_FINGERPRINT = "morgan2"


@dataclass(frozen=True, slots=True)
class SearchHit:
    compound_id: int
    score: float | None = None


class SearchService:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._index = None
        self._index_ids: np.ndarray | None = None
        self._index_stamp: str | None = None

    @property
    def index_path(self) -> Path:
        return self.project.path.with_name(self.project.path.name + ".substructure")

    def _library(self) -> tuple[list[int], list[str]]:
        rows = self.project.compounds.smiles_by_id()
        return [cid for cid, _ in rows], [smi for _, smi in rows]

    def substructure_index(self, progress: Callable[[int, int], None] | None = None):
        """The project's index: kept in memory, loaded from disk if still current, else rebuilt."""
        from cryodesk.chem.search import SubstructureIndex, content_hash

        stamp = self.project.compounds.change_stamp()
        if self._index is not None and stamp == self._index_stamp:
            return self._index, self._index_ids
        ids, smiles = self._library()
        wanted = content_hash(smiles)
        index = self._load(wanted)
        if index is None:
            # Not "trusted": a few stored parents (e.g. hypervalent metal species kept whole) do not
            # re-sanitise, and one bad row must fail alone, not abort the build.
            with make_executor(None, min_items=POOL_MIN_ITEMS, n_items=len(smiles)) as executor:
                index = SubstructureIndex.build(smiles, executor=executor, progress=progress)
            self._save(index)
        self._index, self._index_ids, self._index_stamp = index, np.asarray(ids, np.int64), stamp
        return index, self._index_ids

    def _load(self, wanted: str):
        from cryodesk.chem.search import SubstructureIndex

        if not self.index_path.exists():
            return None
        try:
            return SubstructureIndex.from_bytes(self.index_path.read_bytes(), expected_hash=wanted)
        except ValueError as exc:  # stale or damaged: rebuilding is always safe
            log.info("rebuilding substructure index: %s", exc)
            return None

    def _save(self, index) -> None:
        if self.project.read_only:
            return
        tmp = self.index_path.with_suffix(".tmp")
        tmp.write_bytes(index.to_bytes())
        tmp.replace(self.index_path)

    def substructure(self, query: str, mode: str = "auto", use_chirality: bool = False) -> list[int]:
        """Every compound id containing ``query`` (SMILES or SMARTS), in id order.

        Raises:
            ValueError: the query is neither valid SMILES nor SMARTS (the message says why).
        """
        index, ids = self.substructure_index()
        hits = index.search(query, mode=mode, use_chirality=use_chirality)
        return ids[np.sort(hits.indices)].tolist()

    def similar(self, smiles: str, min_similarity: float = 0.0, top: int | None = 50) -> list[SearchHit]:
        """Compounds most similar to ``smiles`` (Tanimoto on Morgan radius-2 bits), best first."""
        from cryodesk.chem.search import SimilarityIndex

        fps = FeatureService(self.project).matrix(SIMILARITY_FINGERPRINT)
        index = SimilarityIndex(fps.values, fingerprint=SIMILARITY_FINGERPRINT, valid=fps.ok)
        hits = index.top_k(smiles, k=top or len(fps.ids), min_similarity=min_similarity)
        return [SearchHit(int(fps.ids[row]), float(score)) for row, score in zip(hits.indices, hits.scores, strict=True)]

    def clusters(self, distance_cutoff: float = 0.35) -> dict[int, int]:
        """Butina cluster label per compound id (Morgan fingerprints, Tanimoto distance cut-off)."""
        from cryodesk.chem.clustering import butina_clusters

        fps = FeatureService(self.project).matrix(SIMILARITY_FINGERPRINT)
        result = butina_clusters(fps.values, distance_cutoff)
        return {int(cid): int(label) for cid, label in zip(fps.ids, result.labels, strict=True)}

    def scaffolds(self) -> list[tuple[str, int]]:
        """Murcko scaffolds with their compound counts, most common first ("" = acyclic)."""
        from cryodesk.chem.clustering import murcko_scaffolds, scaffold_counts

        _, smiles = self._library()
        return scaffold_counts(murcko_scaffolds(smiles))

    def diverse_pick(self, n: int, seed: int = 42) -> list[int]:
        from cryodesk.chem.clustering import maxmin_pick

        fps = FeatureService(self.project).matrix(SIMILARITY_FINGERPRINT)
        picks = maxmin_pick(fps.values[fps.ok], n, seed=seed)
        return fps.ids[fps.ok][np.asarray(picks, int)].tolist()
