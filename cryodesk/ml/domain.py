"""Applicability domain: how close a compound is to what the model was trained on.

Two similarity scores, both "higher = closer to the training data":

- ``"tanimoto"``: the maximum Tanimoto similarity to any training compound, on packed bit
  fingerprints (``uint8 [n, n_bytes]``, the feature service's storage format); vectorised popcounts
  on 64-bit words, so no RDKit objects are needed here.
- ``"knn"``: minus the mean Euclidean distance to the ``k`` nearest training rows in the descriptor
  space after the same robust scaling the MLP uses (arcsinh, then standardisation).

The in/out threshold is owned here and chosen from training data only (:func:`choose_threshold`):
each training row is scored against the training rows of the *other* folds (as a new compound would
be scored against the whole training set) and paired with its out-of-fold error; among candidate
thresholds (low quantiles of those scores) the one whose out-of-domain rows have the largest error
ratio, with a one-sided Mann-Whitney test at 5 % showing the errors are really larger, is kept.
Error levels in and out are reported with it, and again on test data by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn.impute import SimpleImputer
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from cryodesk.ml.splits import Folds

__all__ = [
    "ApplicabilityDomain",
    "DomainKind",
    "ThresholdChoice",
    "choose_threshold",
    "max_tanimoto",
]

DomainKind = Literal["tanimoto", "knn"]
#: Quantiles of the leave-fold-out training scores tried as thresholds.
CANDIDATE_QUANTILES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
#: The quantile used when no candidate shows significantly larger out-of-domain errors.
FALLBACK_QUANTILE = 0.1


def _words(packed: np.ndarray) -> np.ndarray:
    packed = np.ascontiguousarray(np.asarray(packed, np.uint8))
    if packed.ndim == 1:
        packed = packed[None, :]
    pad = (-packed.shape[1]) % 8
    if pad:
        packed = np.hstack([packed, np.zeros((packed.shape[0], pad), np.uint8)])
    return np.ascontiguousarray(packed).view(np.uint64)


def max_tanimoto(query: np.ndarray, reference: np.ndarray, *, max_words: int = 1 << 22) -> np.ndarray:
    """Maximum Tanimoto similarity of each query row to the reference rows (float64 [n_query]).

    Args:
        query, reference: packed bit fingerprints (same width). Two empty fingerprints have
            similarity 0, as in RDKit.
        max_words: bound on the AND temporary (rows x reference x words), to keep memory flat.
    """
    q = _words(query)
    r = _words(reference)
    if r.shape[0] == 0:
        return np.zeros(q.shape[0])
    r_counts = np.bitwise_count(r).sum(axis=1, dtype=np.int64)
    q_counts = np.bitwise_count(q).sum(axis=1, dtype=np.int64)
    block = max(1, max_words // max(1, r.shape[0] * r.shape[1]))
    out = np.empty(q.shape[0])
    for start in range(0, q.shape[0], block):
        chunk = q[start : start + block]
        common = np.bitwise_count(chunk[:, None, :] & r[None, :, :]).sum(axis=2, dtype=np.int64)
        union = q_counts[start : start + block, None] + r_counts[None, :] - common
        sim = np.zeros(common.shape)
        np.divide(common, union, out=sim, where=union > 0)
        out[start : start + block] = sim.max(axis=1)
    return out


@dataclass(frozen=True)
class ThresholdChoice:
    """How the in/out threshold was chosen, with the training-data evidence behind it.

    Attributes:
        threshold: rows scoring below it are out of domain.
        quantile: which quantile of leave-fold-out training scores it is.
        error_in, error_out: mean out-of-fold error of training rows in / out of domain.
        n_in, n_out: row counts.
        p_value: one-sided Mann-Whitney p-value for "out-of-domain errors are larger".
        validated: True when ``p_value < 0.05``; False means the fallback quantile was used and the
            domain flag is not backed by a measurable error difference on the training data.
        error: what the error is (``"abs_error"`` or ``"brier"``).
    """

    threshold: float
    quantile: float
    error_in: float
    error_out: float
    n_in: int
    n_out: int
    p_value: float
    validated: bool
    error: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def choose_threshold(
    scores: np.ndarray,
    errors: np.ndarray,
    *,
    quantiles: Sequence[float] = CANDIDATE_QUANTILES,
    error_name: str = "abs_error",
    min_out: int = 10,
) -> ThresholdChoice:
    """Pick the in/out threshold from leave-fold-out scores and out-of-fold errors of training rows."""
    scores = np.asarray(scores, np.float64)
    errors = np.asarray(errors, np.float64)
    best: ThresholdChoice | None = None
    fallback: ThresholdChoice | None = None
    for q in quantiles:
        t = float(np.quantile(scores, q))
        out = scores < t
        n_out = int(out.sum())
        if n_out < min_out or n_out == len(scores):
            continue
        e_in, e_out = float(errors[~out].mean()), float(errors[out].mean())
        p = float(mannwhitneyu(errors[out], errors[~out], alternative="greater").pvalue)
        choice = ThresholdChoice(t, q, e_in, e_out, len(scores) - n_out, n_out, p, p < 0.05, error_name)
        if np.isclose(q, FALLBACK_QUANTILE):
            fallback = choice
        if choice.validated and (
            best is None or e_out / max(e_in, 1e-12) > best.error_out / max(best.error_in, 1e-12)
        ):
            best = choice
    if best is not None:
        return best
    if fallback is not None:
        return fallback
    t = float(np.quantile(scores, FALLBACK_QUANTILE)) if scores.size else 0.0
    return ThresholdChoice(
        t, FALLBACK_QUANTILE, float("nan"), float("nan"), len(scores), 0, 1.0, False, error_name
    )


@dataclass
class ApplicabilityDomain:
    """Similarity of new rows to the training rows, with an in/out threshold.

    Attributes:
        kind: ``"tanimoto"`` (packed fingerprints) or ``"knn"`` (descriptor matrix).
        k: neighbours for ``"knn"``.
        threshold: scores below it are out of domain (set by :meth:`calibrate`).
        choice: the evidence for the threshold.
    """

    kind: DomainKind = "tanimoto"
    k: int = 5
    threshold: float = float("-inf")
    choice: ThresholdChoice | None = None
    _reference: np.ndarray | None = field(default=None, repr=False)
    _imputer: SimpleImputer | None = field(default=None, repr=False)
    _scaler: StandardScaler | None = field(default=None, repr=False)
    _nn: NearestNeighbors | None = field(default=None, repr=False)

    def _prepare(self, X: np.ndarray, *, fit: bool) -> np.ndarray:
        X = np.arcsinh(np.asarray(X, np.float64))
        if fit:
            self._imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
            self._scaler = StandardScaler().fit(self._imputer.transform(X))
        assert self._imputer is not None and self._scaler is not None
        Z = self._scaler.transform(self._imputer.transform(X))
        return np.nan_to_num(Z, nan=0.0, posinf=0.0, neginf=0.0)

    def fit(self, reference: np.ndarray) -> ApplicabilityDomain:
        """Remember the training rows (packed fingerprints or a descriptor matrix)."""
        if self.kind == "tanimoto":
            self._reference = np.ascontiguousarray(np.asarray(reference, np.uint8))
        elif self.kind == "knn":
            Z = self._prepare(reference, fit=True)
            self._nn = NearestNeighbors(n_neighbors=min(self.k, len(Z)), algorithm="brute").fit(Z)
        else:
            raise ValueError(f"unknown domain kind {self.kind!r}")
        return self

    def score(self, query: np.ndarray) -> np.ndarray:
        """Similarity to the training set: max Tanimoto, or minus the mean kNN distance."""
        if self.kind == "tanimoto":
            assert self._reference is not None, "fit() first"
            return max_tanimoto(query, self._reference)
        assert self._nn is not None, "fit() first"
        dist, _ = self._nn.kneighbors(self._prepare(query, fit=False))
        return -dist.mean(axis=1)

    def in_domain(self, query: np.ndarray | None = None, *, scores: np.ndarray | None = None) -> np.ndarray:
        """Boolean flags: score at or above the threshold."""
        s = self.score(query) if scores is None else np.asarray(scores)
        return s >= self.threshold

    def leave_fold_out_scores(self, reference: np.ndarray, folds: Folds) -> np.ndarray:
        """Each training row's score against the training rows of the other folds."""
        out = np.full(len(reference), np.nan)
        for fold in folds:
            part = ApplicabilityDomain(self.kind, self.k).fit(reference[fold.train])
            out[fold.test] = part.score(reference[fold.test])
        return out

    def calibrate(
        self, reference: np.ndarray, folds: Folds, oof_errors: np.ndarray, error_name: str
    ) -> ApplicabilityDomain:
        """Choose :attr:`threshold` from leave-fold-out scores and out-of-fold errors (training rows only)."""
        self.choice = choose_threshold(
            self.leave_fold_out_scores(reference, folds), oof_errors, error_name=error_name
        )
        self.threshold = self.choice.threshold
        return self

    def describe(self) -> dict[str, object]:
        """Kind, threshold and its evidence."""
        return {
            "kind": self.kind,
            "k": self.k if self.kind == "knn" else None,
            "threshold": self.threshold,
            "choice": self.choice.as_dict() if self.choice else None,
        }
