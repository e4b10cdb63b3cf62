"""Quality fields of assay results and the weights CryoDesk derives from them (rule ``tox-quality-1``).

The store keeps one row per assay result (``assay_results``) with the source's quality fields in
their own column (``assay_results.quality``, a JSON object, schema version 4). Importers pass them
through :func:`normalise_quality` (stable text values, empty fields dropped) so an identical
re-import changes nothing and a corrected one updates the row. Project files written before
version 4 carried the fields as a URL query appended to ``source_record_id``
(``<record id>?curve_rank=-7&reproducibility=active``); the v4 migration moves them out, and
:func:`decode_record` still reads that form so an :class:`Observation` built from old text works.

Which fields exist (``../shared/docs/external-services.md`` section 4):

* Tox21 per-assay aggregated files: ``CURVE_RANK`` (-9..9, larger magnitude = better curve),
  ``CURVE_CLASS`` / ``CURVE_CLASS2`` (NCATS classes 1.1 .. 4, sign = direction),
  ``REPRODUCIBILITY`` and ``FLAG``. Only the file layout's header names are partly verified; the
  vocabulary of ``REPRODUCIBILITY`` and ``FLAG`` is not, so unknown words are reported, not guessed.
* invitrodb via the CTX API: ``hitc`` (continuous 0..1 since tcplfit2) and caution flags (count).
* The Tox21 12-task table and the ToxCast hit-call matrix carry no quality field: unweighted.

A weight is a confidence in the call in 0..1; it never turns an active call into an inactive one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

RULE = "tox-quality-1"
QUALITY_KEYS = ("curve_rank", "curve_class", "reproducibility", "flag", "hitc", "flags")

# NCATS curve classes (Inglese et al. 2006, PNAS 103:11473): 1.x complete curves, 2.x incomplete,
# 3 single-point activity, 4 inactive. Weights for an *active* call decrease with curve quality.
CURVE_CLASS_WEIGHTS = {1.1: 1.0, 1.2: 0.9, 2.1: 0.7, 2.2: 0.5, 3.0: 0.3, 4.0: 0.2}
REPRODUCIBLE_WORDS = ("reproducible", "consistent", "concordant", "high", "active", "inactive")
DOUBTFUL_WORDS = ("not reproducible", "irreproducible", "inconsistent", "discordant", "inconclusive", "low")
MIN_WEIGHT = 0.1


@dataclass(frozen=True, slots=True)
class Weight:
    """A quality weight and the sentence that says where it came from."""

    value: float
    basis: str


def normalise_quality(quality: Mapping[str, str | float | int | None] | None) -> dict[str, str]:
    """The known quality fields of a result as text, empty ones dropped (the stored form)."""
    quality = quality or {}
    return {k: _text(quality[k]) for k in QUALITY_KEYS if k in quality and _text(quality[k]) != ""}


def encode_record(record_id: str, quality: dict[str, str | float | int | None]) -> str:
    """``record_id`` with the non-empty quality fields appended: the pre-version-4 form (tests, old files)."""
    if "?" in record_id:
        raise ValueError(f"record id {record_id!r} must not contain '?'")
    items = [(k, _text(quality[k])) for k in QUALITY_KEYS if k in quality and _text(quality[k]) != ""]
    return f"{record_id}?{urlencode(items)}" if items else record_id


def decode_record(source_record_id: str | None) -> tuple[str, dict[str, str]]:
    """The record id and its quality fields (empty when the source carries none)."""
    text = source_record_id or ""
    record, _, query = text.partition("?")
    return record, dict(parse_qsl(query, keep_blank_values=False)) if query else {}


def _text(value: str | float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value).strip()


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return None if value is None or math.isnan(value) else value


def weight_for(quality: dict[str, str], active: bool) -> Weight | None:
    """The weight of one result from its quality fields; ``None`` when it carries none (unweighted)."""
    if not quality:
        return None
    if "hitc" in quality or "flags" in quality:
        return _invitrodb_weight(quality)
    return _tox21_weight(quality, active)


def _tox21_weight(quality: dict[str, str], active: bool) -> Weight:
    value, basis = 1.0, []
    curve_class = _number(quality.get("curve_class"))
    curve_rank = _number(quality.get("curve_rank"))
    if active and curve_class is not None:
        factor = CURVE_CLASS_WEIGHTS.get(round(abs(curve_class), 1))
        if factor is None:
            basis.append(f"curve class {quality['curve_class']} not an NCATS class (ignored)")
        else:
            value *= factor
            basis.append(f"curve class {abs(curve_class):g} x{factor:g}")
    elif active and curve_rank is not None:
        # |rank| 9 is the best fitted curve; a weak single-point hit still counts a little.
        factor = max(MIN_WEIGHT, min(1.0, abs(curve_rank) / 9.0))
        value *= factor
        basis.append(f"curve rank {curve_rank:g} x{factor:.2f}")
    reproducibility = quality.get("reproducibility", "").strip().lower()
    if reproducibility:
        factor, note = _reproducibility_factor(reproducibility)
        value *= factor
        basis.append(note)
    if quality.get("flag", "").strip():
        value *= 0.75
        basis.append(f"flag {quality['flag']!r} x0.75")
    return Weight(max(MIN_WEIGHT, value), "; ".join(basis) or "Tox21 quality fields present, none lowering")


def _reproducibility_factor(text: str) -> tuple[float, str]:
    number = _number(text)
    if number is not None and 0.0 <= number <= 1.0:
        return max(MIN_WEIGHT, number), f"reproducibility {number:g}"
    if any(word in text for word in DOUBTFUL_WORDS):
        return 0.5, f"reproducibility {text!r} x0.5"
    if any(word in text for word in REPRODUCIBLE_WORDS):
        return 1.0, f"reproducibility {text!r} x1"
    return 1.0, f"reproducibility {text!r} not understood (x1)"


def _invitrodb_weight(quality: dict[str, str]) -> Weight:
    # invitrodb caution flags (level 6): each flag lowers confidence; 3 or more is commonly read as
    # a low-confidence call (Judson et al. 2019), so the weight bottoms out at 0.25 there.
    flags = _number(quality.get("flags")) or 0.0
    factor = max(0.25, 1.0 - 0.25 * flags)
    return Weight(factor, f"{flags:g} invitrodb caution flag(s) x{factor:g}")


def activity_of(outcome: str, quality: dict[str, str]) -> float | None:
    """1 active, 0 inactive, the continuous hit call where invitrodb gives one; None if inconclusive."""
    hitc = _number(quality.get("hitc"))
    if hitc is not None and 0.0 <= hitc <= 1.0:
        return hitc
    if outcome == "active":
        return 1.0
    if outcome == "inactive":
        return 0.0
    return None
