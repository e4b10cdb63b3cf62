"""Butina equals RDKit's; scaffolds and counts; MaxMin is reproducible and equals RDKit's picker."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from rdkit.ML.Cluster import Butina
from rdkit.SimDivFilters import rdSimDivPickers

from cryodesk.chem.clustering import butina_clusters, maxmin_pick, murcko_scaffolds, scaffold_counts
from cryodesk.chem.features import compute_fingerprints

DATA = Path(os.environ.get("CRYODESK_SHARED", Path(__file__).resolve().parents[3] / "shared")) / "data"


@pytest.fixture(scope="module")
def molecules() -> tuple[list[str], np.ndarray, list]:
    with open(DATA / "tox21" / "tox21.csv", newline="") as handle:
        smiles = [row["smiles"] for row in csv.DictReader(handle)][:400]
    smiles = [s for s in smiles if Chem.MolFromSmiles(s) is not None]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    rdkit_fps = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    return smiles, compute_fingerprints(smiles, "morgan2").data, rdkit_fps


@pytest.mark.parametrize("reordering", [False, True])
@pytest.mark.parametrize("cutoff", [0.35, 0.6])
def test_butina_equals_rdkit(molecules: tuple, cutoff: float, reordering: bool) -> None:
    _, packed, rdkit_fps = molecules
    distances = []
    for i in range(1, len(rdkit_fps)):
        distances.extend(1.0 - s for s in DataStructs.BulkTanimotoSimilarity(rdkit_fps[i], rdkit_fps[:i]))
    expected = Butina.ClusterData(distances, len(rdkit_fps), cutoff, isDistData=True, reordering=reordering)
    result = butina_clusters(packed, cutoff, reordering=reordering)
    assert [tuple(c.tolist()) for c in result.clusters] == [tuple(c) for c in expected]
    for number, members in enumerate(result.clusters):
        assert (result.labels[members] == number).all() and result.centroids[number] == members[0]
    assert result.sizes().sum() == len(rdkit_fps)


def test_scaffolds_and_counts() -> None:
    rows = ["c1ccccc1CCO", "Oc1ccccc1", "OCC(O)CO", "CS(C)=O", "C1CC", "CC1CCC(c2ccccc2)CC1"]
    scaffolds = murcko_scaffolds(rows)
    assert scaffolds == ["c1ccccc1", "c1ccccc1", "", "", None, "c1ccc(C2CCCCC2)cc1"]
    assert scaffold_counts(scaffolds) == [("", 2), ("c1ccccc1", 2), ("c1ccc(C2CCCCC2)cc1", 1)]
    assert scaffold_counts(scaffolds, include_acyclic=False)[0] == ("c1ccccc1", 2)
    assert murcko_scaffolds(["c1ccncc1C"], generic=True) == ["C1CCCCC1"]


def test_maxmin_is_reproducible_and_equals_rdkit(molecules: tuple) -> None:
    _, packed, rdkit_fps = molecules
    picks = maxmin_pick(packed, 20, seed=7)
    assert len(set(picks.tolist())) == 20
    np.testing.assert_array_equal(picks, maxmin_pick(packed, 20, seed=7))
    expected = rdSimDivPickers.MaxMinPicker().LazyBitVectorPick(rdkit_fps, len(rdkit_fps), 20, seed=7)
    assert picks.tolist() == list(expected)
    forced = maxmin_pick(packed, 5, seed=7, first_picks=[3, 11])
    assert forced[:2].tolist() == [3, 11]
    assert maxmin_pick(packed[:3], 10).size == 3
