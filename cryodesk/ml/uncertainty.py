"""How sure a prediction is: calibrated probabilities and conformal prediction intervals.

Both are fitted on held-out predictions (out-of-fold predictions of the training rows, made by models
that did not see those rows), never on the rows a model was fitted on and never on a test split:

- :class:`ProbabilityCalibrator`: Platt scaling on the logit of the ensemble's score (``"sigmoid"``,
  monotone, so ROC-AUC is unchanged) or isotonic regression (``"isotonic"``, more flexible, needs
  more positives and creates ties). The same idea as ``CalibratedClassifierCV(cv=...,
  ensemble=False)``, applied to the OOF scores this package already has. :func:`choose_calibration`
  picks none / sigmoid / isotonic by cross-fitted Brier score.
- :class:`ConformalRegressor`: split-conformal intervals from the held-out absolute residuals
  (``|y - y_oof|``): ``y_hat +/- q``, with ``q`` the ``ceil((n + 1)(1 - alpha))``-th smallest residual.
  With ``mode="normalized"`` residuals are divided by a per-row difficulty (the members' spread),
  so intervals are wider where the members disagree. Coverage must be checked on rows used neither
  for training nor for calibration (:func:`interval_coverage` on a test split).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

__all__ = [
    "ConformalRegressor",
    "ProbabilityCalibrator",
    "calibration_error",
    "choose_calibration",
    "interval_coverage",
]

_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass
class ProbabilityCalibrator:
    """Maps raw ensemble scores to calibrated probabilities.

    Attributes:
        method: ``"sigmoid"`` (Platt on logits) or ``"isotonic"``.
    """

    method: Literal["sigmoid", "isotonic"] = "sigmoid"
    _model: object = field(default=None, repr=False)

    def fit(self, scores: np.ndarray, y: np.ndarray) -> ProbabilityCalibrator:
        """Fit on held-out scores and their 0/1 labels."""
        scores = np.asarray(scores, np.float64)
        y = np.asarray(y, np.float64)
        if self.method == "isotonic":
            self._model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
        elif self.method == "sigmoid":
            # Weak regularisation: two parameters fitted on thousands of rows need none, but a tiny
            # training set with a perfectly separating score would otherwise give infinite slope.
            self._model = LogisticRegression(C=100.0, max_iter=1000).fit(_logit(scores)[:, None], y)
        else:
            raise ValueError(f"unknown calibration method {self.method!r}")
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores."""
        scores = np.asarray(scores, np.float64)
        if isinstance(self._model, IsotonicRegression):
            return self._model.predict(scores)
        return self._model.predict_proba(_logit(scores)[:, None])[:, 1]  # type: ignore[union-attr]


def choose_calibration(
    scores: np.ndarray, y: np.ndarray, folds: Iterable[tuple[np.ndarray, np.ndarray]]
) -> tuple[ProbabilityCalibrator | None, dict[str, float]]:
    """Pick no calibration, Platt or isotonic by cross-fitted Brier score on held-out scores.

    Each candidate calibrator is fitted on the other folds' scores and scored on this fold's, so the
    choice rests on data the calibrator did not see. An ensemble whose weights were fitted by log
    loss is often calibrated already, and recalibrating it then only adds noise (seen on Tox21).

    Args:
        scores: out-of-fold ensemble scores of the training rows.
        y: their 0/1 labels.
        folds: ``(fit_rows, score_rows)`` index pairs over the rows.

    Returns:
        The calibrator fitted on all rows (None when "none" wins) and the Brier score per candidate.
    """
    scores = np.asarray(scores, np.float64)
    y = np.asarray(y, np.float64)
    folds = list(folds)
    brier: dict[str, float] = {"none": float(np.mean((scores - y) ** 2))}
    for method in ("sigmoid", "isotonic"):
        held = np.empty_like(scores)
        for fit_rows, score_rows in folds:
            cal = ProbabilityCalibrator(method).fit(scores[fit_rows], y[fit_rows])  # type: ignore[arg-type]
            held[score_rows] = cal.transform(scores[score_rows])
        brier[method] = float(np.mean((held - y) ** 2))
    best = min(brier, key=lambda k: (brier[k], k != "none"))  # ties keep the raw scores
    if best == "none":
        return None, brier
    return ProbabilityCalibrator(best).fit(scores, y), brier  # type: ignore[arg-type]


def calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> dict[str, float]:
    """Brier score and expected calibration error (equal-width bins) of probabilities ``p``."""
    y = np.asarray(y, np.float64)
    p = np.asarray(p, np.float64)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            ece += in_bin.mean() * abs(p[in_bin].mean() - y[in_bin].mean())
    return {"brier": float(np.mean((p - y) ** 2)), "ece": float(ece)}


def _conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """The ``ceil((n + 1)(1 - alpha))``-th smallest score (inf when n is too small for ``alpha``)."""
    n = scores.size
    rank = int(np.ceil((n + 1) * (1 - alpha)))
    if rank > n:
        return float("inf")
    return float(np.sort(scores)[rank - 1])


@dataclass
class ConformalRegressor:
    """Split-conformal prediction intervals from held-out residuals.

    Attributes:
        mode: ``"absolute"`` (constant width) or ``"normalized"`` (width proportional to a per-row
            difficulty, e.g. the spread of the ensemble members).
        alpha: default miscoverage (0.1 -> 90 % intervals).
        scores: the sorted conformity scores from calibration.
        difficulty_floor: added to every difficulty so near-zero spreads do not collapse intervals.
    """

    mode: Literal["absolute", "normalized"] = "absolute"
    alpha: float = 0.1
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    difficulty_floor: float = 0.0

    def fit(
        self, y: np.ndarray, y_held_out: np.ndarray, difficulty: np.ndarray | None = None
    ) -> ConformalRegressor:
        """Calibrate on labels and held-out predictions (and difficulties for ``"normalized"``)."""
        residuals = np.abs(np.asarray(y, np.float64) - np.asarray(y_held_out, np.float64))
        if self.mode == "normalized":
            if difficulty is None:
                raise ValueError("normalized conformal needs a difficulty per row")
            difficulty = np.asarray(difficulty, np.float64)
            # A floor at the median difficulty keeps rows where members happen to agree from
            # getting a zero-width interval.
            self.difficulty_floor = float(np.median(difficulty)) if difficulty.size else 0.0
            residuals = residuals / (difficulty + self.difficulty_floor + _EPS)
        elif self.mode != "absolute":
            raise ValueError(f"unknown conformal mode {self.mode!r}")
        self.scores = np.sort(residuals)
        return self

    def half_width(
        self, difficulty: np.ndarray | None = None, alpha: float | None = None, n: int = 1
    ) -> np.ndarray:
        """Interval half-widths for ``n`` rows (or one per difficulty)."""
        q = _conformal_quantile(self.scores, self.alpha if alpha is None else alpha)
        if self.mode == "normalized":
            if difficulty is None:
                raise ValueError("normalized conformal needs a difficulty per row")
            return q * (np.asarray(difficulty, np.float64) + self.difficulty_floor + _EPS)
        return np.full(n if difficulty is None else len(difficulty), q)

    def interval(
        self, y_pred: np.ndarray, difficulty: np.ndarray | None = None, alpha: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` bounds around predictions."""
        y_pred = np.asarray(y_pred, np.float64)
        half = self.half_width(difficulty, alpha, n=len(y_pred))
        return y_pred - half, y_pred + half


def interval_coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> dict[str, float]:
    """Fraction of labelled rows inside their interval, and the mean interval width."""
    y = np.asarray(y, np.float64)
    keep = ~np.isnan(y)
    inside = (y[keep] >= lower[keep]) & (y[keep] <= upper[keep])
    return {
        "coverage": float(inside.mean()) if keep.any() else float("nan"),
        "mean_width": float(np.mean(upper[keep] - lower[keep])) if keep.any() else float("nan"),
        "n": int(keep.sum()),
    }
