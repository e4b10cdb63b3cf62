"""Multi-property desirability profiles (Derringer–Suich) with uncertainty carried into the score.

A profile says, per property, which values are wanted: a range ``[low, high]`` and a trend (``up``:
higher is better, ``down``: lower is better, ``target``: a value inside the range is best) with a
weight. Each property value ``y`` becomes a desirability ``d`` in [0, 1]; the overall score is the
weighted geometric mean ``D = (prod d_i ** w_i) ** (1 / sum w_i)``, so one unacceptable property
(``d = 0``) makes the whole candidate unacceptable, which is what a lab wants from a screen.

Inputs are plain arrays (subjects x terms): means and standard deviations, NaN for missing. The
uncertainty of the inputs is propagated into ``D`` by Monte Carlo with a fixed seed (default, honest
at the kinks of ``d``) or by the first-order delta method (fast, exact on the linear ramps). Pure
numpy: the engine fetches the values (reconciled measurements, predictions) and calls :func:`score`.

References: Derringer & Suich, J. Qual. Technol. 1980, 12, 214; the same functions as pharma MPO scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

TRENDS = ("up", "down", "target")
MISSING_POLICIES = ("skip", "zero", "uncertain")
UNKNOWN_D = 0.5  # the expected desirability of a term nothing is known about (uniform on [0, 1])
UNKNOWN_D_SD = 12**-0.5  # ... and its standard deviation
_CHUNK = 2048  # most subjects per Monte-Carlo block; blocks of about 500,000 draws per term stay in cache


@dataclass(frozen=True, slots=True)
class Term:
    """One property of a profile.

    Attributes:
        key: the property (or derived quantity) it scores, e.g. ``"tg"``.
        trend: ``"up"``, ``"down"`` or ``"target"``.
        low, high: below ``low`` an ``up`` term is 0 and a ``down`` term 1 (and the reverse above
            ``high``); a ``target`` term is 0 outside the range.
        weight: relative importance (> 0) in the geometric mean.
        target: the best value of a ``target`` term (default: the middle of the range).
        shape: exponent of the ramp (1 linear; > 1 demands values closer to the best end).
        unit: the unit of ``low``/``high`` (values are converted into it before scoring).
        default_sd: the standard deviation assumed for a measured value with no replicates.
        label: what a table header shows.
    """

    key: str
    trend: str
    low: float
    high: float
    weight: float = 1.0
    target: float | None = None
    shape: float = 1.0
    unit: str | None = None
    default_sd: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.trend not in TRENDS:
            raise ValueError(
                f"term {self.key!r}: trend must be one of {', '.join(TRENDS)}, not {self.trend!r}"
            )
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"term {self.key!r}: need low < high (got {self.low} and {self.high})")
        if not self.weight > 0:
            raise ValueError(f"term {self.key!r}: weight must be positive")
        if not self.shape > 0:
            raise ValueError(f"term {self.key!r}: shape must be positive")
        if self.target is not None and not self.low < self.target < self.high:
            raise ValueError(f"term {self.key!r}: target must lie strictly inside (low, high)")
        if self.default_sd is not None and self.default_sd < 0:
            raise ValueError(f"term {self.key!r}: default_sd cannot be negative")

    @property
    def best(self) -> float:
        """The value where a ``target`` term is 1."""
        return self.target if self.target is not None else 0.5 * (self.low + self.high)


@dataclass(frozen=True, slots=True)
class Profile:
    """A named desirability profile.

    Attributes:
        name: how the user refers to it.
        terms: the scored properties.
        description: what it is for (shown by ``cryodesk profile show``).
        missing: what a missing input does. ``"skip"`` scores a subject on the terms it has (weights
            renormalised; see ``coverage``); ``"zero"`` makes the score 0; ``"uncertain"`` treats the
            term as unknown: its desirability is uniform on [0, 1] (0.5 in the point score, a wide
            spread in the uncertainty), so missing data neither wins nor disqualifies a candidate.
        min_coverage: the share of the total weight a subject needs for a ranked score; subjects
            below it are ranked after all others.
    """

    name: str
    terms: tuple[Term, ...]
    description: str = ""
    missing: str = "skip"
    min_coverage: float = 0.0
    version: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a profile needs a name")
        if not self.terms:
            raise ValueError(f"profile {self.name!r} has no terms")
        keys = [t.key for t in self.terms]
        if len(set(keys)) != len(keys):
            raise ValueError(f"profile {self.name!r} scores a property twice")
        if self.missing not in MISSING_POLICIES:
            raise ValueError(f"missing must be one of {', '.join(MISSING_POLICIES)}")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError("min_coverage must lie in [0, 1]")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.terms)

    @property
    def weights(self) -> np.ndarray:
        return np.array([t.weight for t in self.terms], dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what the project stores)."""
        out = asdict(self)
        out["terms"] = [{k: v for k, v in asdict(t).items() if v is not None} for t in self.terms]
        out["extra"] = dict(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Build (and validate) a profile from its JSON form; raises ValueError on a bad one."""
        try:
            terms = tuple(Term(**dict(t)) for t in data["terms"])
            return cls(
                name=str(data["name"]),
                terms=terms,
                description=str(data.get("description", "")),
                missing=str(data.get("missing", "skip")),
                min_coverage=float(data.get("min_coverage", 0.0)),
                version=int(data.get("version", 1)),
                extra=dict(data.get("extra", {})),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a valid profile: {exc}") from exc


# -------------------------------------------------------------------------------- desirability
def _ramp(term: Term, y: np.ndarray) -> np.ndarray:
    """Desirability of finite values (no NaN handling: the Monte-Carlo inner loop)."""
    lo, hi = term.low, term.high
    if term.trend == "up":
        d = np.clip((y - lo) / (hi - lo), 0.0, 1.0)
    elif term.trend == "down":
        d = np.clip((hi - y) / (hi - lo), 0.0, 1.0)
    else:
        t = term.best
        d = np.minimum(np.clip((y - lo) / (t - lo), 0.0, 1.0), np.clip((hi - y) / (hi - t), 0.0, 1.0))
    return d if term.shape == 1.0 else d**term.shape


def desirability(term: Term, y: np.ndarray | float) -> np.ndarray:
    """Derringer desirability of values ``y`` (NaN stays NaN)."""
    y = np.asarray(y, dtype=float)
    missing = np.isnan(y)
    return np.where(missing, np.nan, _ramp(term, np.where(missing, term.low, y)))


def desirability_slope(term: Term, y: np.ndarray | float) -> np.ndarray:
    """d(desirability)/dy: the analytic derivative used by the delta method (0 on the flat parts)."""
    y = np.asarray(y, dtype=float)
    lo, hi, s = term.low, term.high, term.shape
    if term.trend in ("up", "down"):
        u = (y - lo) / (hi - lo) if term.trend == "up" else (hi - y) / (hi - lo)
        du = (1.0 if term.trend == "up" else -1.0) / (hi - lo)
        inside = (u > 0.0) & (u < 1.0)
        return np.where(inside, s * np.clip(u, 1e-300, 1.0) ** (s - 1.0) * du, 0.0)
    t = term.best
    left = (y > lo) & (y <= t)
    right = (y > t) & (y < hi)
    u_left = np.clip((y - lo) / (t - lo), 1e-300, 1.0)
    u_right = np.clip((hi - y) / (hi - t), 1e-300, 1.0)
    slope_left = s * u_left ** (s - 1.0) / (t - lo)
    slope_right = -s * u_right ** (s - 1.0) / (hi - t)
    return np.where(left, slope_left, np.where(right, slope_right, 0.0))


def desirabilities(profile: Profile, values: np.ndarray) -> np.ndarray:
    """Per-term desirabilities of ``values`` (..., terms); NaN where a value is missing."""
    values = np.asarray(values, dtype=float)
    out = np.empty_like(values)
    for j, term in enumerate(profile.terms):
        out[..., j] = desirability(term, values[..., j])
    return out


def combine(profile: Profile, d: np.ndarray) -> np.ndarray:
    """Weighted geometric mean over the last axis, following the profile's missing-value policy."""
    w = profile.weights
    if profile.missing == "uncertain":
        d = np.where(np.isnan(d), UNKNOWN_D, d)
    known = ~np.isnan(d)
    weight = np.where(known, w, 0.0)
    total = weight.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(known, np.log(np.where(known, d, 1.0)), 0.0)
        score = np.exp((weight * logs).sum(axis=-1) / total)
    score = np.where(total > 0, score, np.nan)
    if profile.missing == "zero":
        score = np.where(known.all(axis=-1), score, 0.0)
    return score


# -------------------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class ScoreResult:
    """Scores of n subjects under one profile.

    Attributes:
        score: the desirability at the input means (what a table shows); NaN without any input.
        mean, sd: mean and standard deviation of the score under the input uncertainty.
        low, high: the central ``interval`` of the score distribution (Monte Carlo) or mean -/+ z*sd
            clipped to [0, 1] (delta method).
        desirabilities: (n, terms) per-term desirabilities at the means.
        coverage: share of the profile's weight each subject has a value for.
        method, n_samples, seed, interval: how the uncertainty was computed.
    """

    score: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    low: np.ndarray
    high: np.ndarray
    desirabilities: np.ndarray
    coverage: np.ndarray
    method: str
    n_samples: int
    seed: int
    interval: float

    def ranking(self, min_coverage: float = 0.0, by: str = "score") -> np.ndarray:
        """Subject indices best first: those with ``coverage >= min_coverage`` (by ``score``, or
        ``"low"``: the pessimistic end of the interval), then the rest; NaN scores last."""
        key = {"score": self.score, "low": self.low, "mean": self.mean}[by]
        key = np.where(np.isnan(key), -np.inf, key)
        mean = np.where(np.isnan(self.mean), -np.inf, self.mean)
        enough = self.coverage >= min_coverage - 1e-12
        # lexsort: the last key is primary. Many candidates reach the top desirability of 1; among them
        # the one whose score stays high under its uncertainty (higher mean) and with more data ranks first.
        return np.lexsort((-self.coverage, -mean, -key, (~enough).astype(int)))


def _prepare(profile: Profile, values: np.ndarray, sds: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[1] != len(profile.terms):
        raise ValueError(
            f"values have {values.shape[1]} columns; profile {profile.name!r} has {len(profile.terms)} terms"
        )
    if sds is None:
        sds = np.full_like(values, np.nan)
    sds = np.atleast_2d(np.asarray(sds, dtype=float))
    if sds.shape != values.shape:
        raise ValueError("sds must have the shape of values")
    if np.any(sds < 0):
        raise ValueError("standard deviations cannot be negative")
    defaults = np.array([t.default_sd if t.default_sd is not None else 0.0 for t in profile.terms])
    sds = np.where(np.isnan(sds), defaults, sds)
    return values, np.where(np.isnan(values), 0.0, sds)


def score(
    profile: Profile,
    values: np.ndarray,
    sds: np.ndarray | None = None,
    *,
    method: str = "mc",
    n_samples: int = 2000,
    seed: int = 0,
    interval: float = 0.9,
) -> ScoreResult:
    """Score subjects under ``profile`` and propagate the input uncertainty.

    Args:
        profile: the desirability profile.
        values: (n, terms) input means in each term's unit; NaN where missing.
        sds: (n, terms) standard deviations; NaN falls back to the term's ``default_sd`` (else 0).
        method: ``"mc"`` (Monte Carlo, normal inputs, common random numbers from ``seed``) or ``"delta"``.
        n_samples: Monte-Carlo draws per subject.
        seed: the fixed seed: the same inputs always give the same numbers.
        interval: central probability of ``low``..``high``.
    """
    if method not in ("mc", "delta"):
        raise ValueError("method must be 'mc' or 'delta'")
    if not 0.0 < interval < 1.0:
        raise ValueError("interval must lie in (0, 1)")
    values, sds = _prepare(profile, values, sds)
    d = desirabilities(profile, values)
    point = combine(profile, d)
    w = profile.weights
    coverage = (np.where(np.isnan(values), 0.0, w)).sum(axis=1) / w.sum()
    if method == "delta":
        mean, sd, low, high = _delta(profile, values, sds, d, point, interval)
        n_samples = 0
    else:
        mean, sd, low, high = _monte_carlo(profile, values, sds, n_samples, seed, interval)
    return ScoreResult(point, mean, sd, low, high, d, coverage, method, n_samples, seed, interval)


def _monte_carlo(
    profile: Profile, values: np.ndarray, sds: np.ndarray, n_samples: int, seed: int, interval: float
) -> tuple[np.ndarray, ...]:
    if n_samples < 2:
        raise ValueError("Monte Carlo needs at least 2 samples")
    n, k = values.shape
    tail = 100.0 * (1.0 - interval) / 2.0
    mean, sd, low, high = (np.full(n, np.nan) for _ in range(4))
    per_block = max(1, min(_CHUNK, 500_000 // max(1, n_samples)))
    for start in range(0, n, per_block):
        stop = min(n, start + per_block)
        # One generator per block, seeded by (seed, block start): reproducible whatever runs before.
        rng = np.random.default_rng([seed, start])
        scores = _sampled_scores(profile, values[start:stop], sds[start:stop], n_samples, rng)
        with np.errstate(invalid="ignore"):
            mean[start:stop] = scores.mean(axis=0)
            sd[start:stop] = scores.std(axis=0, ddof=1)
            low[start:stop], high[start:stop] = np.percentile(scores, [tail, 100.0 - tail], axis=0)
    return mean, sd, low, high


def _sampled_scores(
    profile: Profile, values: np.ndarray, sds: np.ndarray, n_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """(samples, subjects) scores. Which terms a subject has does not vary between draws, so the
    weights are normalised once per subject and each term is drawn and scored in turn (float32 draws:
    the score needs no more, and it halves the memory traffic)."""
    known = ~np.isnan(values)
    counted = np.ones_like(known) if profile.missing == "uncertain" else known
    weights = np.where(counted, profile.weights, 0.0)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (weights / total[:, None]).astype(np.float32)
    shape = (n_samples, values.shape[0])
    log_score = np.zeros(shape, dtype=np.float32)
    zero = np.zeros(shape, dtype=bool)
    for j, term in enumerate(profile.terms):
        if not counted[:, j].any():
            continue
        centre = np.where(known[:, j], values[:, j], term.low).astype(np.float32)
        draws = centre + sds[:, j].astype(np.float32) * rng.standard_normal(shape, dtype=np.float32)
        d = _ramp(term, draws)
        if not known[:, j].all() and profile.missing == "uncertain":
            d = np.where(known[:, j], d, rng.random(shape, dtype=np.float32))
        zero |= (d <= 0.0) & counted[:, j]
        log_score += share[:, j] * np.log(np.maximum(d, np.float32(1e-30)))
    scores = np.where(zero, 0.0, np.exp(log_score, dtype=np.float64))
    scores[:, total <= 0] = np.nan
    if profile.missing == "zero":
        scores[:, ~known.all(axis=1)] = 0.0
    return scores


def _delta(
    profile: Profile, values: np.ndarray, sds: np.ndarray, d: np.ndarray, point: np.ndarray, interval: float
) -> tuple[np.ndarray, ...]:
    from statistics import NormalDist

    w = profile.weights
    known = ~np.isnan(values)
    uncertain = profile.missing == "uncertain"
    total = (np.full_like(values, 1.0) * w).sum(axis=1) if uncertain else np.where(known, w, 0.0).sum(axis=1)
    variance = np.zeros(len(values))
    for j, term in enumerate(profile.terms):
        slope = desirability_slope(term, np.where(known[:, j], values[:, j], term.low))
        with np.errstate(divide="ignore", invalid="ignore"):
            # dD/dy_j = D * (w_j / W) * d_j' / d_j; where d_j = 0 the score is 0 and flat in y_j.
            g = point * (w[j] / total) * slope / d[:, j]
            # An unknown term: dD/dd_j = D * (w_j / W) / d_j at d_j = 0.5, with d_j's own spread.
            g_unknown = point * (w[j] / total) / UNKNOWN_D
        variance += np.where(known[:, j] & (d[:, j] > 0), g * sds[:, j], 0.0) ** 2
        if uncertain:
            variance += np.where(known[:, j], 0.0, g_unknown * UNKNOWN_D_SD) ** 2
    sd = np.sqrt(variance)
    sd = np.where(np.isnan(point), np.nan, sd)
    z = NormalDist().inv_cdf(0.5 + interval / 2.0)
    return point.copy(), sd, np.clip(point - z * sd, 0.0, 1.0), np.clip(point + z * sd, 0.0, 1.0)


def score_one(
    profile: Profile,
    values: Mapping[str, float | None],
    sds: Mapping[str, float | None] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """Score a single subject given as ``{term key: value}`` (a mixture in a dialog, a test)."""
    row = np.array([[np.nan if values.get(k) is None else float(values[k]) for k in profile.keys]])
    sd_row = np.array([[np.nan if (sds or {}).get(k) is None else float(sds[k]) for k in profile.keys]])
    result = score(profile, row, sd_row, **kwargs)
    return {
        "score": float(result.score[0]),
        "mean": float(result.mean[0]),
        "sd": float(result.sd[0]),
        "low": float(result.low[0]),
        "high": float(result.high[0]),
        "coverage": float(result.coverage[0]),
    }


def rank_subjects(
    profile: Profile, names: Sequence[str], result: ScoreResult, by: str = "score"
) -> list[str]:
    """``names`` in rank order under ``result`` (the profile's ``min_coverage`` applies)."""
    return [names[i] for i in result.ranking(profile.min_coverage, by)]


# ---------------------------------------------------------------------------------- the default
#: The default "CPA candidate" profile.
#:
#: * ``tox21_active_fraction`` (weight 2, down, 0 .. 0.25): the share of the Tox21 assays a compound was
#:   tested in that came out active (the engine derives it from the assay results, with a binomial
#:   standard deviation). No active assay is ideal; a quarter or more of them active is unacceptable.
#:   Toxicity is what limits CPA concentrations in practice, hence the double weight.
#: * ``tg`` (up, 120 .. 220 K): a higher glass transition makes a solution vitrify at a lower cooling rate
#:   (ethylene glycol ~150 K, glycerol ~190 K, sugars higher). Default sd 3 K (spread of replicate
#:   DSC values in the Koop compilation).
#: * ``log_solubility`` (up, -1 .. 0.5 log10(mol/L)): a CPA must reach multi-molar concentrations; below
#:   0.1 mol/L it is useless, 3 mol/L and above is fully desirable. Default sd 0.3 log units (typical
#:   inter-laboratory spread of measured solubilities).
#:
#: A missing term counts as unknown (``missing="uncertain"``: desirability 0.5 with the spread of a
#: uniform guess), so a compound without Tox21 data is neither rewarded nor thrown out, just less
#: certain; the ranked list requires half of the weight (``min_coverage`` 0.5): Tox21 data alone, or
#: Tg and solubility together.
CPA_CANDIDATE = Profile(
    name="CPA candidate",
    description=(
        "Low toxicity (few active Tox21 assays), high glass transition Tg, good aqueous solubility: "
        "what a new penetrating cryoprotectant needs."
    ),
    terms=(
        Term("tox21_active_fraction", "down", 0.0, 0.25, weight=2.0, unit="1", label="Tox21 active share"),
        Term("tg", "up", 120.0, 220.0, weight=1.0, unit="K", default_sd=3.0, label="Tg"),
        Term(
            "log_solubility",
            "up",
            -1.0,
            0.5,
            weight=1.0,
            unit="log10(M)",
            default_sd=0.3,
            label="log solubility",
        ),
    ),
    missing="uncertain",
    min_coverage=0.5,
)

BUILTIN_PROFILES: dict[str, Profile] = {CPA_CANDIDATE.name: CPA_CANDIDATE}
