"""Dataset validation, de-duplication rules, feature assembly and the training-data hash."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cryodesk.ml import Dataset, assemble_features, deduplicate


def _ds(y: list, keys: list[str], task_type: str = "regression", names: tuple[str, ...] = ("y",)) -> Dataset:
    n = len(keys)
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return Dataset(X, np.array(y, float), ["a", "b"], task_type, np.array(keys), names)  # type: ignore[arg-type]


def test_regression_duplicates_take_the_median_and_wide_spreads_are_dropped() -> None:
    ds = _ds([1.0, 2.0, 9.0, 5.0, 10.0, 40.0, 7.0], ["A", "A", "A", "B", "C", "C", "D"])
    out, report = deduplicate(ds, max_spread=10.0)
    assert list(out.keys) == ["A", "B", "D"]  # C spans 30 > 10: dropped
    assert out.y.tolist() == [2.0, 5.0, 7.0]  # median of 1, 2, 9
    assert out.X[0].tolist() == ds.X[0].tolist()  # first occurrence's features
    assert report.duplicate_keys == 2 and report.merged_rows == 3
    assert [k for k, _ in report.dropped] == ["C"] and "spread 30" in report.dropped[0][1]
    assert "median" in report.rule and report.rows_in == 7 and report.rows_out == 3


def test_classification_majority_vote_and_ties_left_missing() -> None:
    y = [[1, 0], [1, 1], [0, np.nan], [1, 0], [0, 1]]
    ds = _ds(y, ["A", "A", "A", "B", "B"], "classification", ("t1", "t2"))
    out, report = deduplicate(ds)
    assert list(out.keys) == ["A", "B"]
    # A: t1 votes 1,1,0 -> 1; t2 votes 0,1 -> tie -> NaN.  B: t1 1,0 tie; t2 0,1 tie.
    assert out.y[0, 0] == 1.0 and np.isnan(out.y[0, 1])
    assert np.isnan(out.y[1]).all()
    assert set(report.ties) == {("A", "t2"), ("B", "t1"), ("B", "t2")}
    assert "majority" in report.rule


def test_validation_rejects_bad_shapes_and_labels() -> None:
    with pytest.raises(ValueError, match="names"):
        Dataset(np.zeros((2, 3)), np.zeros(2), ["a"], "regression", np.array(["A", "B"]))
    with pytest.raises(ValueError, match="0, 1"):
        Dataset(np.zeros((2, 1)), np.array([0, 2]), ["a"], "classification", np.array(["A", "B"]))


def test_inf_features_become_missing_and_task_drops_unlabelled_rows() -> None:
    X = np.array([[np.inf, 1], [2, 3], [4, 5]], np.float32)
    y = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 4.0]])
    ds = Dataset(X, y, ["a", "b"], "regression", np.array(["A", "B", "C"]), ("p", "q"))
    assert np.isnan(ds.X[0, 0])
    q = ds.task("q")
    assert list(q.keys) == ["B", "C"] and q.y.tolist() == [2.0, 4.0] and q.task_names == ("q",)


def test_data_hash_tracks_labels_and_feature_version() -> None:
    ds = _ds([1.0, 2.0], ["A", "B"])
    assert ds.data_hash() == _ds([1.0, 2.0], ["A", "B"]).data_hash()
    assert ds.data_hash() != _ds([1.0, 2.5], ["A", "B"]).data_hash()
    assert ds.data_hash() != replace(ds, feature_version="2").data_hash()


def test_assemble_features_concatenates_and_versions_every_block() -> None:
    a = ("default", np.ones((3, 2)), ["mw", "logp"], "1+rdkit")
    b = ("maccs", np.zeros((3, 1)), ["mw"], "1+rdkit")
    f = assemble_features([a, b])
    assert f.X.shape == (3, 3) and f.X.dtype == np.float32
    assert f.columns == ["mw", "logp", "maccs:mw"]
    assert f.feature_set == "default+maccs" and f.version == "default=1+rdkit;maccs=1+rdkit"
    assert f.blocks == {"default": (0, 2), "maccs": (2, 3)}
    ds = Dataset(f.X, np.zeros(3), f.columns, "regression", np.array(["A", "B", "C"]), blocks=f.blocks)
    assert ds.block_columns(["maccs", "default"]).tolist() == [2, 0, 1]
    with pytest.raises(KeyError, match="cryo"):
        ds.block_columns(["cryo"])
