"""Substructure search equals a brute-force HasSubstructMatch scan; similarity equals brute force."""

from __future__ import annotations

import csv
import os
from concurrent.futures import CancelledError
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem, DataStructs, rdBase
from rdkit.Chem import rdFingerprintGenerator

from cryodesk.chem.features import compute_fingerprints
from cryodesk.chem.search import (
    SimilarityIndex,
    SubstructureIndex,
    SubstructureQueryError,
    content_hash,
    page_count,
    parse_query,
)

DATA = Path(os.environ.get("CRYODESK_SHARED", Path(__file__).resolve().parents[3] / "shared")) / "data"
N_LIBRARY = 3000

QUERIES = [
    "c1ccccc1",  # benzene: > 1,000 hits, so RDKit's default cap would show
    "OCC(O)CO",  # glycerol backbone
    "C(=O)O",
    "C(=O)N",
    "S(=O)(=O)N",
    "Clc1ccccc1",
    "c1ccncc1",
    "C1CCCCC1",
    "c1ccc2ccccc2c1",
    "[N+](=O)[O-]",  # bracket SMILES: radicals cleared, finds nitro groups
    "[#6]",
    "[OX2H][CX4]",  # SMARTS
    "[r5]",  # ring-size query: needs ring info in the trusted-SMILES holder
    "[#7;R]@[#6]",
    "C[C@H](N)C(=O)O",  # chirality ignored by default
    "CS(C)=O",
]


@pytest.fixture(scope="module")
def library() -> list[str]:
    with open(DATA / "tox21" / "tox21.csv", newline="") as handle:
        smiles = [row["smiles"] for row in csv.DictReader(handle)][:N_LIBRARY]
    return [*smiles, "C1CC", ""]  # two failing rows at the end


@pytest.fixture(scope="module")
def library_mols(library: list[str]) -> list[Chem.Mol | None]:
    with rdBase.BlockLogs():
        return [Chem.MolFromSmiles(s) if s else None for s in library]


@pytest.fixture(scope="module")
def index(library: list[str]) -> SubstructureIndex:
    return SubstructureIndex.build(library)


@pytest.mark.parametrize("query", QUERIES)
def test_hits_equal_brute_force(
    query: str, index: SubstructureIndex, library_mols: list[Chem.Mol | None]
) -> None:
    query_mol, _ = parse_query(query)
    params = Chem.SubstructMatchParameters()
    params.useChirality = False
    expected = {
        i for i, m in enumerate(library_mols) if m is not None and m.HasSubstructMatch(query_mol, params)
    }
    hits = index.search(query)
    assert set(hits.indices.tolist()) == expected
    assert hits.indices.tolist() == sorted(expected)  # ascending, no duplicates
    assert index.count(query) == len(expected)


def test_in_memory_holder_gives_the_same_hits(index: SubstructureIndex, library: list[str]) -> None:
    fast = SubstructureIndex.from_bytes(index.to_bytes(), in_memory=True)
    assert fast.in_memory and len(fast) == len(index)
    for query in ("c1ccccc1", "[OX2H][CX4]", "[r5]", "[N+](=O)[O-]"):
        np.testing.assert_array_equal(fast.search(query).indices, index.search(query).indices)
        assert fast.count(query) == index.count(query)
    assert fast.to_bytes() == index.to_bytes()  # persisted form stays the compact SMILES one


def test_blockwise_search_reports_progress_and_cancels(index: SubstructureIndex) -> None:
    seen: list[tuple[int, int]] = []
    hits = index.search("c1ccccc1", progress=lambda d, t: seen.append((d, t)), block_size=1000)
    np.testing.assert_array_equal(hits.indices, index.search("c1ccccc1").indices)
    assert seen[0] == (1000, len(index)) and seen[-1] == (len(index), len(index))
    with pytest.raises(CancelledError):
        index.search(
            "c1ccccc1",
            cancel=lambda: len(seen) >= 6,
            progress=lambda d, t: seen.append((d, t)),
            block_size=1000,
        )
    assert len(seen) == 6  # four from the first search, two blocks of the cancelled one
    assert len(index.search("c1ccccc1", max_results=25, progress=lambda d, t: None, block_size=500)) == 25


def test_all_hits_not_the_first_thousand(index: SubstructureIndex) -> None:
    assert len(index.search("[#6]")) > 1000 and len(index.search("c1ccccc1")) > 1000
    assert len(index.search("c1ccccc1", max_results=10)) == 10


def test_failed_rows_keep_their_place_and_never_match(index: SubstructureIndex, library: list[str]) -> None:
    assert len(index) == len(library)
    failed = [i for i, _ in index.failures]
    assert failed[-2:] == [len(library) - 2, len(library) - 1]  # plus Tox21's own bad rows (Al, valence 6)
    assert not set(index.search("[#6]").indices.tolist()) & set(failed)
    assert index.smiles(failed[0]) == ""


def test_paging_covers_all_hits_once(index: SubstructureIndex) -> None:
    hits = index.search("c1ccccc1")
    pages = [hits.page(p, 250) for p in range(hits.n_pages(250))]
    np.testing.assert_array_equal(np.concatenate(pages), hits.indices)
    assert hits.page(hits.n_pages(250), 250).size == 0
    assert page_count(0, 50) == 1


def test_roundtrip_bytes_and_integrity_checks(index: SubstructureIndex, library: list[str]) -> None:
    blob = index.to_bytes()
    assert b"pickle" not in blob[:100]
    loaded = SubstructureIndex.from_bytes(blob, expected_hash=content_hash(library))
    for query in ("c1ccccc1", "[r5]", "OCC(O)CO"):
        np.testing.assert_array_equal(loaded.search(query).indices, index.search(query).indices)
    assert loaded.failures == index.failures
    with pytest.raises(ValueError, match="stale"):
        SubstructureIndex.from_bytes(blob, expected_hash=content_hash([*library, "CCO"]))
    with pytest.raises(ValueError, match="checksum"):
        SubstructureIndex.from_bytes(blob[:-10] + b"0123456789")
    with pytest.raises(ValueError, match="not a CryoDesk"):
        SubstructureIndex.from_bytes(b"\x80\x04pickle-ish")


def test_trusted_smiles_build_equals_parsed_build(index: SubstructureIndex, library: list[str]) -> None:
    canonical = [index.smiles(i) for i in range(len(index))]
    trusted = SubstructureIndex.build(canonical, trusted_smiles=True)
    for query in ("c1ccccc1", "[OX2H][CX4]", "[r5]"):
        np.testing.assert_array_equal(trusted.search(query).indices, index.search(query).indices)


def test_build_with_a_process_pool_equals_serial_build(library: list[str]) -> None:
    from cryodesk.engine.executor import ProcessPoolExecutor

    rows = library[:500] + library[-2:]
    with ProcessPoolExecutor(2) as pool:
        pooled = SubstructureIndex.build(rows, executor=pool)
    serial = SubstructureIndex.build(rows)
    assert pooled.to_bytes() == serial.to_bytes() and pooled.failures == serial.failures


def test_tautomer_index_finds_both_tautomers() -> None:
    rows = ["Oc1ccccn1", "O=c1cccc[nH]1", "c1ccccc1"]
    plain, tautomeric = SubstructureIndex.build(rows), SubstructureIndex.build(rows, tautomer=True)
    assert plain.search("Oc1ccccn1").indices.tolist() == [0]
    assert tautomeric.search("Oc1ccccn1").indices.tolist() == [0, 1]
    assert tautomeric.search("O=c1cccc[nH]1").indices.tolist() == [0, 1]


def test_query_parsing() -> None:
    assert parse_query("OCC(O)CO")[1] == "smiles"
    assert parse_query("[OX2H]")[1] == "smarts"  # invalid SMILES, valid SMARTS
    assert parse_query("[C,N]")[1] == "smarts"  # SMARTS-only syntax
    assert parse_query("C1=CC=CC=C1", mode="smiles")[0].GetAtomWithIdx(0).GetIsAromatic()
    for bad in ("", "C1CC(", "[Qq]", "C1CC"):
        with pytest.raises(SubstructureQueryError):
            parse_query(bad)


# --- similarity -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def similarity(library: list[str]) -> tuple[SimilarityIndex, list[DataStructs.ExplicitBitVect | None]]:
    fps = compute_fingerprints(library, "morgan2")
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    with rdBase.BlockLogs():
        mols = [Chem.MolFromSmiles(s) if s else None for s in library]
    return SimilarityIndex.from_fingerprints(fps), [generator.GetFingerprint(m) if m else None for m in mols]


def brute_force_scores(rdkit_fps: list, query: int) -> np.ndarray:
    q = rdkit_fps[query]
    return np.array([DataStructs.TanimotoSimilarity(q, f) if f is not None else -1.0 for f in rdkit_fps])


@pytest.mark.parametrize("query", [0, 42, 1000, 2999])
def test_top_k_equals_brute_force(query: int, similarity: tuple, library: list[str]) -> None:
    index, rdkit_fps = similarity
    scores = brute_force_scores(rdkit_fps, query)
    expected = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:50]
    hits = index.top_k(library[query], 50)
    assert hits.indices.tolist() == expected
    np.testing.assert_array_equal(hits.scores, scores[expected])
    assert hits.indices[0] == query or hits.scores[0] == 1.0


def test_threshold_equals_brute_force(similarity: tuple, library: list[str]) -> None:
    index, rdkit_fps = similarity
    scores = brute_force_scores(rdkit_fps, 42)
    expected = sorted((i for i in range(len(scores)) if scores[i] >= 0.3), key=lambda i: (-scores[i], i))
    assert index.above(library[42], 0.3).indices.tolist() == expected
    top = index.top_k(library[42], 500, min_similarity=0.3)
    assert top.indices.tolist() == expected[:500]


def test_failed_rows_never_returned_and_k_larger_than_n(similarity: tuple) -> None:
    index, _ = similarity
    hits = index.top_k("CCO", 10_000)
    assert len(hits) == index.valid.sum() == len(index) - 5 and hits.scores.min() >= 0.0
    with pytest.raises(SubstructureQueryError):
        index.top_k("C1CC", 5)
