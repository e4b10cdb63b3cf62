"""Concentration–response curves: four-parameter log-logistic (Hill) fits with confidence intervals.

Model (hill > 0 always, so each curve has one parameterisation)::

    response(c) = r_inf + (r0 - r_inf) / (1 + (c / EC50) ** hill)

``r0`` is the response at zero concentration and ``r_inf`` the response at infinite concentration: for
viability falling with CPA concentration r0 > r_inf; for a rising effect (fraction killed) r0 < r_inf.
EC50 is in the caller's concentration unit and is fitted on a log10 scale, so its confidence interval
is asymmetric. Units and provenance are carried on the result so a fit can be stored as it was made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Protocol

import numpy as np

from cryodesk.domain.errors import CryoDeskError

_PARAMS = ("r0", "r_inf", "log10_ec50", "hill")


class FitError(CryoDeskError):
    """A curve could not be fitted (too few points, no convergence)."""


def log_logistic(
    c: float | np.ndarray, r0: float, r_inf: float, ec50: float, hill: float
) -> float | np.ndarray:
    """Four-parameter log-logistic response at concentration ``c`` (same unit as ``ec50``)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        u = np.power(np.asarray(c, dtype=float) / ec50, hill)
    return r_inf + (r0 - r_inf) / (1.0 + u)


@dataclass(frozen=True, slots=True)
class HillFit:
    """A fitted concentration–response curve.

    Attributes:
        r0, r_inf: responses at zero and infinite concentration (response unit).
        ec50: concentration of the half-way response (concentration unit).
        hill: Hill slope (> 0).
        se: standard errors of the free parameters (``log10_ec50`` for EC50).
        ci: confidence intervals (at ``conf_level``) of r0, r_inf, ec50 and hill; fixed ones are (v, v).
        conf_level: e.g. 0.95.
        n, dof: points and residual degrees of freedom.
        rss, rmse, r_squared, aic: fit quality (AIC = n·ln(RSS/n) + 2p).
        reduced_chi2: RSS weighted by the given sigmas over dof (None without sigmas).
        fixed: parameters held fixed, with their values.
        concentration_unit, response_unit, source: provenance for storage.
        method: how it was fitted.
    """

    r0: float
    r_inf: float
    ec50: float
    hill: float
    se: dict[str, float]
    ci: dict[str, tuple[float, float]]
    conf_level: float
    n: int
    dof: int
    rss: float
    rmse: float
    r_squared: float
    aic: float
    reduced_chi2: float | None = None
    fixed: dict[str, float] = field(default_factory=dict)
    concentration_unit: str = ""
    response_unit: str = ""
    source: str = ""
    method: str = "scipy.optimize.curve_fit (trust-region reflective, bounds hill > 0); t-based intervals"

    @property
    def identifiable(self) -> bool:
        """False when a parameter's standard error or interval is infinite or NaN (the data do not pin it down)."""
        bounds_finite = all(math.isfinite(b) for lo_hi in self.ci.values() for b in lo_hi)
        return bounds_finite and all(math.isfinite(v) for v in self.se.values())

    def predict(self, c: float | np.ndarray) -> float | np.ndarray:
        """Response at concentration(s) ``c``."""
        return log_logistic(c, self.r0, self.r_inf, self.ec50, self.hill)

    def concentration_for(self, response: float) -> float:
        """Concentration at which the fitted curve gives ``response`` (strictly between r0 and r_inf)."""
        lo, hi = sorted((self.r0, self.r_inf))
        if not lo < response < hi:
            raise ValueError(f"response {response:g} is outside the curve's range ({lo:g}, {hi:g})")
        return float(self.ec50 * ((self.r0 - response) / (response - self.r_inf)) ** (1.0 / self.hill))

    def to_dict(self) -> dict[str, object]:
        """Plain dict for storage (JSON-safe)."""
        d = asdict(self)
        d["ci"] = {k: list(v) for k, v in self.ci.items()}
        return d


def _initial_guess(c: np.ndarray, y: np.ndarray) -> dict[str, float]:
    order = np.argsort(c)
    cs, ys = c[order], y[order]
    pos = cs[cs > 0]
    logc = np.log10(pos) if pos.size else np.array([0.0])
    # Ends from the lowest and highest concentrations: the sign of the trend sets which is r0.
    k = max(1, cs.size // 4)
    r0, r_inf = float(np.mean(ys[:k])), float(np.mean(ys[-k:]))
    mid = 0.5 * (r0 + r_inf)
    yp = ys[cs > 0]
    crossing = np.nonzero(np.diff(np.sign(yp - mid)))[0]
    log_ec50 = (
        float(logc[crossing[0]] + 0.5 * (logc[min(crossing[0] + 1, logc.size - 1)] - logc[crossing[0]]))
        if crossing.size
        else float(np.median(logc))
    )
    return {"r0": r0, "r_inf": r_inf, "log10_ec50": log_ec50, "hill": 1.0}


def fit_hill(
    concentration: Sequence[float] | np.ndarray,
    response: Sequence[float] | np.ndarray,
    *,
    sigma: Sequence[float] | np.ndarray | None = None,
    r0: float | None = None,
    r_inf: float | None = None,
    p0: dict[str, float] | None = None,
    conf_level: float = 0.95,
    concentration_unit: str = "",
    response_unit: str = "",
    source: str = "",
) -> HillFit:
    """Fit a four-parameter log-logistic curve by non-linear least squares.

    Args:
        concentration: concentrations (>= 0; zero is allowed and means the untreated control).
        response: responses (e.g. viability in % of control).
        sigma: per-point 1σ; if given, covariances are absolute, else scaled by the residual variance.
        r0: fix the zero-concentration response (e.g. 100 % for viability normalised to control).
        r_inf: fix the infinite-concentration response (e.g. 0 %).
        p0: starting values by name (``r0``, ``r_inf``, ``log10_ec50``, ``hill``).
        conf_level: confidence level of the intervals (Student t with ``dof`` degrees of freedom).
        concentration_unit, response_unit, source: recorded on the result.

    Raises:
        FitError: fewer points than free parameters + 1, or no convergence.
    """
    from scipy.optimize import curve_fit
    from scipy.stats import t as student_t

    c = np.asarray(concentration, dtype=float)
    y = np.asarray(response, dtype=float)
    if c.shape != y.shape or c.ndim != 1:
        raise FitError("concentration and response must be 1-D and the same length")
    if np.any(c < 0) or not np.all(np.isfinite(c)) or not np.all(np.isfinite(y)):
        raise FitError("concentrations must be finite and >= 0 and responses finite")
    fixed = {k: v for k, v in (("r0", r0), ("r_inf", r_inf)) if v is not None}
    free = [p for p in _PARAMS if p not in fixed]
    if c.size < len(free) + 1:
        raise FitError(f"need at least {len(free) + 1} points to fit {len(free)} parameters, got {c.size}")
    if np.unique(c[c > 0]).size < 2:
        raise FitError("need at least two distinct positive concentrations")

    guess = {**_initial_guess(c, y), **fixed, **(p0 or {})}
    pos = c[c > 0]
    lo_log, hi_log = float(np.log10(pos.min())) - 3.0, float(np.log10(pos.max())) + 3.0
    lower = {"r0": -np.inf, "r_inf": -np.inf, "log10_ec50": lo_log, "hill": 1e-3}
    upper = {"r0": np.inf, "r_inf": np.inf, "log10_ec50": hi_log, "hill": 50.0}
    start = [min(max(guess[p], lower[p] + 1e-9), upper[p] - 1e-9) for p in free]

    def model(cc: np.ndarray, *theta: float) -> np.ndarray:
        p = {**fixed, **dict(zip(free, theta, strict=True))}
        return log_logistic(cc, p["r0"], p["r_inf"], 10.0 ** p["log10_ec50"], p["hill"])  # type: ignore[return-value]

    try:
        popt, pcov = curve_fit(
            model,
            c,
            y,
            p0=start,
            sigma=sigma,
            absolute_sigma=sigma is not None,
            bounds=([lower[p] for p in free], [upper[p] for p in free]),
            method="trf",
            maxfev=20000,
        )
    except (RuntimeError, ValueError) as exc:
        raise FitError(f"log-logistic fit did not converge: {exc}") from exc
    resid = y - model(c, *popt)
    tq = float(student_t.ppf(0.5 + conf_level / 2.0, c.size - len(free)))
    fit = _summarise(y, resid, sigma, free, fixed, popt, pcov, tq, conf_level)
    return replace(fit, concentration_unit=concentration_unit, response_unit=response_unit, source=source)


def _summarise(
    y: np.ndarray,
    resid: np.ndarray,
    sigma: Sequence[float] | np.ndarray | None,
    free: Sequence[str],
    fixed: dict[str, float],
    popt: np.ndarray,
    pcov: np.ndarray,
    tq: float,
    conf_level: float,
) -> HillFit:
    """Parameters, t-intervals (quantile ``tq``) and fit quality from a finished least-squares fit."""
    p = {**fixed, **dict(zip(free, map(float, popt), strict=True))}
    se = dict(zip(free, map(float, np.sqrt(np.abs(np.diag(pcov)))), strict=True))
    rss = float(np.sum(resid**2))
    n, dof = int(y.size), int(y.size - len(free))
    tss = float(np.sum((y - y.mean()) ** 2))
    ci: dict[str, tuple[float, float]] = {}
    for name in ("r0", "r_inf", "hill"):
        s = se.get(name, 0.0)
        ci[name] = (p[name] - tq * s, p[name] + tq * s)
    s = se.get("log10_ec50", 0.0)
    # np.power gives inf/0 instead of raising when an unidentifiable EC50 has a huge standard error
    with np.errstate(over="ignore", under="ignore"):
        ci["ec50"] = (
            float(np.power(10.0, p["log10_ec50"] - tq * s)),
            float(np.power(10.0, p["log10_ec50"] + tq * s)),
        )
    chi2 = None
    if sigma is not None:
        chi2 = float(np.sum((resid / np.asarray(sigma, dtype=float)) ** 2) / dof)
    return HillFit(
        r0=p["r0"],
        r_inf=p["r_inf"],
        ec50=10.0 ** p["log10_ec50"],
        hill=p["hill"],
        se=se,
        ci=ci,
        conf_level=conf_level,
        n=n,
        dof=dof,
        rss=rss,
        rmse=math.sqrt(rss / n),
        r_squared=1.0 - rss / tss if tss > 0 else float("nan"),
        aic=n * math.log(max(rss, 1e-300) / n) + 2 * len(free),
        reduced_chi2=chi2,
        fixed=dict(fixed),
    )


class _Formulation(Protocol):
    """What :func:`concentration_series` reads of a parsed formulation (``mixtures.viability.Formulation``)."""

    viability: float
    amounts: tuple[tuple[str, float, str], ...]
    dois: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConcentrationSeries:
    """One paper's viability at several concentrations of one ingredient, everything else held constant.

    Attributes:
        doi: the single source paper (rows that cite several papers are left out of series).
        ingredient: the varied ingredient (formulation column stem, e.g. ``"sucrose"``).
        unit: ``"mol/L"`` or ``"%"`` (the percentage kind as the source table gives it).
        background: the constant ingredients, ``"stem=amount"``.
        concentrations, responses: ascending concentrations and the mean viability (%) at each.
        replicates: rows averaged into each point.
    """

    doi: str
    ingredient: str
    unit: str
    background: tuple[str, ...]
    concentrations: tuple[float, ...]
    responses: tuple[float, ...]
    replicates: tuple[int, ...]

    @property
    def key(self) -> str:
        """Stable identity of the series (where its fit is stored)."""
        return f"{self.doi}|{self.ingredient}|{self.unit}|{';'.join(self.background)}"


def concentration_series(
    formulations: Sequence[_Formulation], min_points: int = 4
) -> list[ConcentrationSeries]:
    """Series of at least ``min_points`` distinct concentrations of one ingredient within one paper.

    A row belongs to the series of each of its ingredients whose other ingredients (amount and unit)
    are the same; repeated concentrations are averaged. Rows citing several papers are skipped, since
    their conditions need not match.
    """
    grouped: dict[tuple[str, str, str, tuple], dict[float, list[float]]] = {}
    for f in formulations:
        if len(f.dois) != 1:
            continue
        amounts = {(stem, unit): amount for stem, amount, unit in f.amounts}
        for (stem, unit), amount in amounts.items():
            rest = tuple(sorted((k, v) for k, v in amounts.items() if k != (stem, unit)))
            grouped.setdefault((f.dois[0], stem, unit, rest), {}).setdefault(amount, []).append(f.viability)
    out = []
    for (doi, stem, unit, rest), points in grouped.items():
        if len(points) < min_points:
            continue
        ordered = sorted(points.items())
        out.append(
            ConcentrationSeries(
                doi=doi,
                ingredient=stem,
                unit="mol/L" if unit == "M" else "%",
                background=tuple(f"{k[0]}={v:g}" for k, v in rest),
                concentrations=tuple(c for c, _ in ordered),
                responses=tuple(float(np.mean(v)) for _, v in ordered),
                replicates=tuple(len(v) for _, v in ordered),
            )
        )
    return sorted(out, key=lambda s: s.key)
