"""Splits: DeepChem scaffold split (deterministic, scaffold-disjoint), balanced scaffold, K-folds."""

from __future__ import annotations

import numpy as np

from cryodesk.ml import balanced_scaffold_split, group_kfold, random_split, repeated_kfold, scaffold_split


def _scaffolds(seed: int = 0, n: int = 300) -> list[str]:
    rng = np.random.default_rng(seed)
    # A few big scaffold sets, many small ones, singletons; like a real library.
    sizes = rng.zipf(1.6, size=n)
    out: list[str] = []
    k = 0
    while len(out) < n:
        out += [f"scaf{k}"] * int(min(sizes[k % n], 40))
        k += 1
    out = out[:n]
    return [out[i] for i in rng.permutation(n)]


def _assert_partition(split, n: int) -> None:
    parts = [split.train, split.valid, split.test]
    assert sum(len(p) for p in parts) == n
    assert len(np.unique(np.concatenate(parts))) == n


def test_scaffold_split_is_deterministic_and_disjoint_by_scaffold() -> None:
    scaffolds = _scaffolds()
    a, b = scaffold_split(scaffolds), scaffold_split(scaffolds)
    assert all(
        np.array_equal(x, y)
        for x, y in zip((a.train, a.valid, a.test), (b.train, b.valid, b.test), strict=True)
    )
    _assert_partition(a, len(scaffolds))
    sets = [{scaffolds[i] for i in part} for part in (a.train, a.valid, a.test)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert a.seed is None and a.describe()["split"] == "scaffold"


def test_scaffold_split_follows_deepchem_order() -> None:
    # Sets by (size, first index) descending: A(4, first 0) , B(3), C(1, first 7), D(1, first 8), E(1, first 9).
    scaffolds = ["A", "A", "B", "A", "B", "A", "B", "C", "D", "E"]
    s = scaffold_split(scaffolds, (0.7, 0.2, 0.1))
    # train cutoff 7: A (4) + B (3) = 7 fits; valid cutoff 9: E (first index 9 sorts before D and C), then D.
    assert s.train.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert s.valid.tolist() == [8, 9]
    assert s.test.tolist() == [7]


def test_balanced_scaffold_split_is_seeded_and_scaffold_disjoint() -> None:
    scaffolds = _scaffolds(1)
    a, b, c = (balanced_scaffold_split(scaffolds, seed=s) for s in (3, 3, 4))
    assert np.array_equal(a.test, b.test) and not np.array_equal(a.test, c.test)
    _assert_partition(a, len(scaffolds))
    train = {scaffolds[i] for i in a.train}
    assert not train & {scaffolds[i] for i in a.test}
    assert abs(len(a.train) - 0.8 * len(scaffolds)) <= 0.05 * len(scaffolds)


def test_random_split_sizes_and_report() -> None:
    s = random_split(1000, seed=7)
    assert s.sizes() == {"train": 800, "valid": 100, "test": 100}
    assert s.describe() == {"split": "random", "seed": 7, "fractions": [0.8, 0.1, 0.1], "sizes": s.sizes()}
    _assert_partition(s, 1000)


def test_group_and_repeated_kfold() -> None:
    groups = _scaffolds(2)
    folds = group_kfold(groups, 5, seed=0)
    for fold in folds:
        assert not {groups[i] for i in fold.train} & {groups[i] for i in fold.test}
    assert sorted(np.concatenate([f.test for f in folds]).tolist()) == list(range(len(groups)))
    rep = repeated_kfold(100, 5, 3, seed=10)
    assert len(rep) == 15 and rep.describe()["seeds"] == [10, 11, 12]
    for r in range(3):
        tests = np.concatenate([f.test for f in rep if f.repeat == r])
        assert sorted(tests.tolist()) == list(range(100))
