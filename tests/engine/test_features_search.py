"""Feature cache and search wired to a project: warm reads equal cold ones, versions invalidate,
the persisted substructure index is reused and rebuilt when compounds change."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

from cryodesk.engine.features import FeatureService
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.search import SearchService
from cryodesk.engine.service import Workbench
from tests.conftest import DATA


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("lib")
    rows = list(csv.DictReader((DATA / "tox21" / "tox21.csv").open()))[:400]
    path = tmp / "sample.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["smiles"])
        writer.writerows([r["smiles"]] for r in rows)
    wb = Workbench.open(tmp / "lib.cryodesk")
    wb.import_file(FileImportParams(str(path), workers=1))
    yield wb
    wb.close()


def test_warm_reads_return_the_cold_matrix_without_recomputing(library: Workbench) -> None:
    service = FeatureService(library.project, workers=1)
    cold = service.matrix("cryo")
    warm = service.matrix("cryo")
    assert cold.n_computed > 0 and warm.n_computed == 0 and warm.n_cached == cold.n_computed
    np.testing.assert_array_equal(cold.ids, warm.ids)
    np.testing.assert_array_equal(cold.values, warm.values)
    subset = warm.ids[::7][:20].tolist()
    part = service.matrix("cryo", subset)
    np.testing.assert_array_equal(part.values, warm.values[::7][:20])


def test_a_new_feature_set_version_misses_the_cache(library: Workbench) -> None:
    from cryodesk.chem.features import get_feature_set

    service = FeatureService(library.project, workers=1)
    service.matrix("maccs")
    fs = get_feature_set("maccs")
    dtype_width = (fs.width + 7) // 8
    ids, _ = library.project.features.read("maccs", "0+old", "uint8", dtype_width)
    assert len(ids) == 0
    assert len(library.project.features.cached_ids("maccs", fs.version)) > 0


def test_substructure_hits_equal_a_brute_force_scan_and_the_index_is_persisted(library: Workbench) -> None:
    search = SearchService(library.project)
    query = "c1ccccc1O"
    hits = set(search.substructure(query))
    pattern = Chem.MolFromSmiles(query)
    brute = {cid for cid, smi in library.project.compounds.smiles_by_id()
             if (m := Chem.MolFromSmiles(smi)) is not None and m.HasSubstructMatch(pattern)}
    assert hits == brute and hits
    assert search.index_path.exists()
    stamp = search.index_path.stat().st_mtime_ns
    assert set(SearchService(library.project).substructure(query)) == hits  # loaded, not rebuilt
    assert search.index_path.stat().st_mtime_ns == stamp


def test_adding_a_compound_rebuilds_the_index(library: Workbench, tmp_path: Path) -> None:
    search = SearchService(library.project)
    before = set(search.substructure("OCC(O)CO"))
    extra = tmp_path / "extra.csv"
    extra.write_text("smiles\nOCC(O)C(O)C(O)CO\n")
    library.import_file(FileImportParams(str(extra), workers=1))
    after = set(search.substructure("OCC(O)CO"))
    assert len(after) == len(before) + 1


def test_similarity_top_hit_is_the_query_itself(library: Workbench) -> None:
    cid, smiles = library.project.compounds.smiles_by_id()[10]
    hits = SearchService(library.project).similar(smiles, top=5)
    assert hits[0].compound_id == cid and hits[0].score == pytest.approx(1.0)
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
