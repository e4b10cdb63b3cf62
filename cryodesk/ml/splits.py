"""Train/valid/test splits and cross-validation folds, each able to say what it is.

- :func:`random_split`: seeded random 80/10/10 (MoleculeNet "random").
- :func:`scaffold_split`: the deterministic DeepChem ``ScaffoldSplitter`` (scaffold sets sorted by
  size, largest first, ties by the larger first index, filled train -> valid -> test). This is the
  split behind the literature's "scaffold" columns (MoleculeNet, GEM, Uni-Mol tables); it is the same
  for every seed, so there is one number, not a mean.
- :func:`balanced_scaffold_split`: chemprop's ``scaffold_balanced``: scaffold sets larger than half
  the valid/test size go first (shuffled), the rest are shuffled after them; seeded.
- :func:`kfold`, :func:`repeated_kfold`, :func:`group_kfold`: folds for cross-validation.

Every split and fold set has ``describe()`` with its name, seed(s) and sizes for reports.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

__all__ = [
    "Fold",
    "Folds",
    "Split",
    "balanced_scaffold_split",
    "group_kfold",
    "kfold",
    "random_split",
    "repeated_kfold",
    "scaffold_split",
]

Fractions = tuple[float, float, float]


@dataclass(frozen=True, eq=False)
class Split:
    """A train/valid/test partition of row indices ``0..n-1``.

    Attributes:
        name: ``"random"``, ``"scaffold"`` (deterministic DeepChem) or ``"balanced_scaffold"``.
        seed: the seed (None for deterministic splits).
        train, valid, test: sorted int arrays, pairwise disjoint, together covering every row.
        fractions: the requested fractions.
    """

    name: str
    seed: int | None
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    fractions: Fractions

    @property
    def development(self) -> np.ndarray:
        """Train and valid rows together: everything a model may learn or be tuned from."""
        return np.sort(np.concatenate([self.train, self.valid]))

    def sizes(self) -> dict[str, int]:
        """Row counts per part."""
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}

    def describe(self) -> dict[str, object]:
        """Name, seed, fractions and sizes (for every report)."""
        return {
            "split": self.name,
            "seed": self.seed,
            "fractions": list(self.fractions),
            "sizes": self.sizes(),
        }


@dataclass(frozen=True, eq=False)
class Fold:
    """One cross-validation fold: row indices to fit on and to score on."""

    train: np.ndarray
    test: np.ndarray
    repeat: int = 0
    index: int = 0


@dataclass(frozen=True, eq=False)
class Folds:
    """A list of folds with the scheme that made them."""

    name: str
    folds: tuple[Fold, ...]
    n_splits: int
    n_repeats: int
    seeds: tuple[int, ...]

    def __iter__(self) -> Iterator[Fold]:
        return iter(self.folds)

    def __len__(self) -> int:
        return len(self.folds)

    def describe(self) -> dict[str, object]:
        """Scheme, seeds and per-fold sizes."""
        return {
            "split": self.name,
            "n_splits": self.n_splits,
            "n_repeats": self.n_repeats,
            "seeds": list(self.seeds),
            "train_sizes": [len(f.train) for f in self.folds],
            "test_sizes": [len(f.test) for f in self.folds],
        }


def _check_fractions(fractions: Sequence[float]) -> Fractions:
    fr = tuple(float(f) for f in fractions)
    if len(fr) != 3 or any(f < 0 for f in fr) or not np.isclose(sum(fr), 1.0):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    return fr  # type: ignore[return-value]


def _sorted(rows: Sequence[int]) -> np.ndarray:
    return np.sort(np.asarray(rows, dtype=np.intp))


def random_split(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Seeded random split (DeepChem ``RandomSplitter`` arithmetic: cut points ``int(f * n)``)."""
    fr = _check_fractions(fractions)
    perm = np.random.default_rng(seed).permutation(n)
    cut1 = int(fr[0] * n)
    cut2 = int((fr[0] + fr[1]) * n)
    return Split("random", seed, _sorted(perm[:cut1]), _sorted(perm[cut1:cut2]), _sorted(perm[cut2:]), fr)


def _scaffold_sets(scaffolds: Sequence[str | None]) -> dict[str, list[int]]:
    """Row indices per scaffold, in order of first appearance; None (unparsed) rows share one set."""
    sets: dict[str, list[int]] = {}
    for i, scaffold in enumerate(scaffolds):
        sets.setdefault("" if scaffold is None else str(scaffold), []).append(i)
    return sets


def scaffold_split(scaffolds: Sequence[str | None], fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> Split:
    """The deterministic DeepChem scaffold split.

    Mirrors ``deepchem.splits.ScaffoldSplitter.split``: scaffold sets are sorted by
    ``(len(set), set[0])`` in descending order, then each set goes to train if it fits under
    ``frac_train * n``, else to valid if train + valid stays under ``(frac_train + frac_valid) * n``,
    else to test. Acyclic molecules share the empty scaffold ``""`` (one big set, usually train).

    Args:
        scaffolds: one Bemis-Murcko scaffold SMILES per row (DeepChem uses
            ``MurckoScaffoldSmiles(mol=mol, includeChirality=False)``).
        fractions: train/valid/test fractions.
    """
    fr = _check_fractions(fractions)
    n = len(scaffolds)
    sets = sorted(_scaffold_sets(scaffolds).values(), key=lambda s: (len(s), s[0]), reverse=True)
    train_cutoff = fr[0] * n
    valid_cutoff = (fr[0] + fr[1]) * n
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for members in sets:
        if len(train) + len(members) > train_cutoff:
            if len(train) + len(valid) + len(members) > valid_cutoff:
                test += members
            else:
                valid += members
        else:
            train += members
    return Split("scaffold", None, _sorted(train), _sorted(valid), _sorted(test), fr)


def balanced_scaffold_split(
    scaffolds: Sequence[str | None], fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0
) -> Split:
    """Chemprop's balanced randomised scaffold split (``split_type="scaffold_balanced"``).

    Scaffold sets bigger than half the valid or test size are placed first (in shuffled order) so
    they land in train; the small sets follow in shuffled order and fill train, then valid, then test.
    Shuffling uses Python's ``random.Random(seed)``, as chemprop does.
    """
    fr = _check_fractions(fractions)
    n = len(scaffolds)
    train_size = int(fr[0] * n)
    valid_size = int(fr[1] * n)
    test_size = n - train_size - valid_size
    big, small = [], []
    for members in _scaffold_sets(scaffolds).values():
        (big if len(members) > valid_size / 2 or len(members) > test_size / 2 else small).append(members)
    rng = random.Random(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for members in big + small:
        if len(train) + len(members) <= train_size:
            train += members
        elif len(valid) + len(members) <= valid_size:
            valid += members
        else:
            test += members
    return Split("balanced_scaffold", seed, _sorted(train), _sorted(valid), _sorted(test), fr)


def _folds_from(splitter_iter: Iterable[tuple[np.ndarray, np.ndarray]], repeat: int) -> list[Fold]:
    return [
        Fold(np.asarray(tr, np.intp), np.asarray(te, np.intp), repeat, i)
        for i, (tr, te) in enumerate(splitter_iter)
    ]


def kfold(n: int, n_splits: int = 5, seed: int = 0, stratify: np.ndarray | None = None) -> Folds:
    """Shuffled K-fold (stratified by ``stratify`` labels when given, e.g. a classification target)."""
    return repeated_kfold(n, n_splits, 1, seed, stratify)


def repeated_kfold(
    n: int, n_splits: int = 5, n_repeats: int = 3, seed: int = 0, stratify: np.ndarray | None = None
) -> Folds:
    """K-fold repeated ``n_repeats`` times with seeds ``seed, seed + 1, ...``."""
    folds: list[Fold] = []
    seeds = tuple(seed + r for r in range(n_repeats))
    dummy = np.zeros(n)
    for r, s in enumerate(seeds):
        if stratify is not None:
            it = StratifiedKFold(n_splits, shuffle=True, random_state=s).split(dummy, stratify)
        else:
            it = KFold(n_splits, shuffle=True, random_state=s).split(dummy)
        folds.extend(_folds_from(it, r))
    name = ("stratified_" if stratify is not None else "") + ("kfold" if n_repeats == 1 else "repeated_kfold")
    return Folds(name, tuple(folds), n_splits, n_repeats, seeds)


def group_kfold(groups: Sequence[object], n_splits: int = 5, seed: int | None = 0) -> Folds:
    """K-fold where every group (scaffold, cluster, compound series) stays in one fold.

    Args:
        groups: one group key per row.
        n_splits: number of folds (at most the number of distinct groups).
        seed: shuffles which groups go together (None: sklearn's deterministic size balancing).
    """
    keys = np.asarray([str(g) for g in groups], dtype=object)
    _, codes = np.unique(keys, return_inverse=True)
    splitter = GroupKFold(n_splits, shuffle=seed is not None, random_state=seed)
    folds = _folds_from(splitter.split(np.zeros(len(keys)), groups=codes), 0)
    return Folds("group_kfold", tuple(folds), n_splits, 1, () if seed is None else (seed,))
