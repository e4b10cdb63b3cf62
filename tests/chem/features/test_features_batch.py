"""featurize(): registry, equality with a one-molecule-at-a-time loop, failures, progress, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem, rdBase
from rdkit.Chem import Descriptors

from cryodesk.chem.features import (
    CancelledError,
    DescriptorListMismatch,
    UnknownFeatureSet,
    available_feature_sets,
    featurize,
    get_feature_set,
)
from cryodesk.chem.features import descriptors as descriptors_module
from cryodesk.chem.features.batch import _to_float32
from cryodesk.chem.features.descriptors import DEFAULT_COLUMNS, default_descriptor_functions


def naive_default(smiles: list[str]) -> np.ndarray:
    """The same RDKit calls, one descriptor function at a time, one molecule at a time."""
    functions = [fn for _, fn in default_descriptor_functions()]
    rows = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        rows.append([fn(mol) for fn in functions])
    return np.asarray(rows, np.float64).astype(np.float32)


def test_registry_names_versions_and_widths() -> None:
    names = [fs.name for fs in available_feature_sets()]
    assert names[:3] == ["default", "rdkit2d_full", "cryo"]
    assert {"morgan2", "morgan2_counts", "rdkit", "atompair", "maccs", "3d"} <= set(names)
    for fs in available_feature_sets():
        assert fs.version == f"{fs.schema_version}+rdkit{rdBase.rdkitVersion}"
        assert len(set(fs.columns)) == len(fs.columns), fs.name
    assert get_feature_set("rdkit2d_full").width == 217
    assert get_feature_set("morgan2").width == 2048 and get_feature_set("maccs").width == 167
    with pytest.raises(UnknownFeatureSet, match="known"):
        get_feature_set("nope")


def test_default_equals_naive_loop(tox21_smiles: list[str]) -> None:
    smiles = [s for s in tox21_smiles[:600] if Chem.MolFromSmiles(s) is not None]
    fm = featurize(smiles, "default", chunk_size=128)
    assert fm.columns == list(DEFAULT_COLUMNS) and fm.failures == []
    np.testing.assert_array_equal(fm.values, naive_default(smiles))


def test_failures_are_nan_rows_with_index_and_reason(mixed_rows: tuple[list[object], dict[int, str]]) -> None:
    rows, expected = mixed_rows
    fm = featurize(rows, "default", chunk_size=50)  # failures fall in different chunks
    assert [i for i, _ in fm.failures] == sorted(expected)
    for row, reason in fm.failures:
        assert reason.startswith(expected[row])
        assert np.isnan(fm.values[row]).all()
    assert fm.values.shape == (len(rows), len(DEFAULT_COLUMNS))
    assert not np.isnan(fm.values[fm.ok]).any()
    assert fm.ok.sum() == len(rows) - len(expected)


def test_mol_objects_and_smiles_give_the_same_rows(tox21_smiles: list[str]) -> None:
    smiles = tox21_smiles[:40]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    np.testing.assert_array_equal(featurize(mols, "cryo").values, featurize(smiles, "cryo").values)


def test_progress_reaches_total_and_cancel_stops(tox21_smiles: list[str]) -> None:
    seen: list[tuple[int, int]] = []
    featurize(tox21_smiles[:100], "default", progress=lambda d, t: seen.append((d, t)), chunk_size=30)
    assert seen == [(30, 100), (60, 100), (90, 100), (100, 100)]

    calls: list[int] = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2  # allow two chunks, then stop

    with pytest.raises(CancelledError):
        featurize(tox21_smiles[:100], "default", cancel=cancel, chunk_size=30)


def test_empty_input() -> None:
    fm = featurize([], "cryo")
    assert fm.values.shape == (0, len(get_feature_set("cryo").columns)) and fm.failures == []


def test_float32_overflow_becomes_nan_not_inf() -> None:
    out = _to_float32(np.array([[1.0, 1e300, np.nan, -1e39]]))
    assert out[0, 0] == 1.0 and np.isnan(out[0, 1:]).all()


def test_rdkit2d_full_matches_rdkit(tox21_smiles: list[str]) -> None:
    smiles = tox21_smiles[:25]
    fm = featurize(smiles, "rdkit2d_full")
    assert len(fm.columns) == 217
    for i, s in enumerate(smiles):
        expected = Descriptors.CalcMolDescriptors(Chem.MolFromSmiles(s), missingVal=np.nan)
        row = np.array([expected[name] for name in fm.columns], np.float64)
        np.testing.assert_array_equal(fm.values[i], _to_float32(row[None, :])[0])


def test_rdkit2d_full_detects_a_shrunken_descriptor_list(monkeypatch: pytest.MonkeyPatch) -> None:
    # What a frozen app without RDKit's data folder looks like: ~115 descriptors instead of 217.
    descriptors_module._rdkit2d_functions.cache_clear()
    monkeypatch.setattr(Descriptors, "_descList", Descriptors._descList[:115])
    try:
        with pytest.raises(DescriptorListMismatch, match="115"):
            featurize(["CCO"], "rdkit2d_full")
    finally:
        descriptors_module._rdkit2d_functions.cache_clear()


def test_fingerprint_set_is_unpacked_floats_with_nan_failures() -> None:
    fm = featurize(["CCO", "C1CC", "c1ccccc1O"], "morgan2")
    assert fm.values.shape == (3, 2048) and fm.values.dtype == np.float32
    assert np.isnan(fm.values[1]).all() and set(np.unique(fm.values[[0, 2]])) == {0.0, 1.0}


def test_3d_set_is_deterministic() -> None:
    rows = ["OCC(O)CO", "CS(C)=O", "CC(=O)Nc1ccc(O)cc1"]
    first, second = featurize(rows, "3d"), featurize(rows, "3d")
    np.testing.assert_array_equal(first.values, second.values)
    assert first.failures == [] and np.isfinite(first.values).all()
    glycerol = dict(zip(first.columns, first.values[0], strict=True))
    assert 0 < glycerol["npr1"] <= glycerol["npr2"] <= 1 and glycerol["sasa"] > glycerol["sasa_polar"] > 0


def test_bad_rows_give_rdkit_reasons_without_stderr_noise(capfd: pytest.CaptureFixture[str]) -> None:
    fm = featurize(["C1CC", "CCO", "c1cccc1"], "default")
    reasons = dict(fm.failures)
    assert reasons[0].startswith("SMILES syntax error: unclosed ring")
    assert reasons[2].startswith("sanitization failed: Can't kekulize")
    assert "Parse Error" not in capfd.readouterr().err


def test_featurising_holds_blas_to_one_thread_and_gives_the_callers_threads_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Descriptor code sees one BLAS thread (tiny matrices; OpenBLAS's own threads made the full RDKit
    list up to 2.4x slower beside a busy core); the caller's setting (a model's fit) is back after the
    call and between chunks."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from cryodesk.chem.features import sets

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    inside: list[list[int]] = []
    between: list[list[int]] = []

    def heavy_atoms_seeing_blas(mols: list[Chem.Mol], num_threads: int) -> tuple[np.ndarray, list]:
        inside.append(blas_threads())
        return np.array([[m.GetNumHeavyAtoms()] for m in mols], np.float64), []

    probe = sets.FeatureSet("blas_probe", 1, ("heavy_atoms",), heavy_atoms_seeing_blas)
    monkeypatch.setitem(sets._REGISTRY, probe.name, probe)  # a plug-in set, removed after the test
    smiles = ["OCC(O)CO", "CS(C)=O", "C1CCCCC1"] * 30
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        result = featurize(
            smiles, "blas_probe", chunk_size=30, progress=lambda d, t: between.append(blas_threads())
        )
        after = blas_threads()
    assert before and all(n == 2 for n in before), "needs numpy with a BLAS that threadpoolctl sees"
    assert result.values[:3, 0].tolist() == [6.0, 4.0, 6.0]
    assert inside and all(threads and all(n == 1 for n in threads) for threads in inside)
    assert len(between) == 3 and all(threads == before for threads in between)
    assert after == before
