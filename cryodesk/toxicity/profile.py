"""A compound's toxicity profile across Tox21 and ToxCast assays and one score with its basis.

Score (rule ``tox-score-1``): each assay counts once. Its activity is the weighted mean of its
results' activities (1 active, 0 inactive, invitrodb's continuous hit call where given) and its
weight is the best weight among its results (1 where the data carry no quality field). The score
is the weighted share of active assays, ``sum(w * a) / sum(w)``, in 0..1. It always says how many
assays it rests on and whether quality weights entered it ("weighted", "unweighted" or "partly
weighted (k of n assays)"). Inconclusive results are listed but do not enter the score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cryodesk.toxicity.quality import RULE as QUALITY_RULE
from cryodesk.toxicity.quality import activity_of, decode_record, weight_for

RULE = "tox-score-1"
NOTE = (
    "Tox21 and ToxCast test chemicals at micromolar concentrations in cell assays, far below the molar "
    "concentrations at which cryoprotectants are used. The toxicity score is therefore a flag for a closer "
    "look, not a verdict on toxicity at cryoprotective doses."
)


@dataclass(frozen=True, slots=True)
class Observation:
    """One stored assay result as the profile sees it."""

    assay_key: str
    outcome: str  # active | inactive | inconclusive
    source: str
    source_record_id: str | None = None
    assay_name: str | None = None
    value: float | None = None
    unit: str | None = None
    # The stored quality fields (``assay_results.quality``); None: read the legacy record-id suffix.
    quality: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class AssayCall:
    """One assay's combined call: ``activity`` in 0..1 (None = only inconclusive results)."""

    assay_key: str
    assay_name: str
    sources: tuple[str, ...]
    results: int
    activity: float | None
    weight: float
    weighted: bool
    basis: str


@dataclass(slots=True)
class ToxicityProfile:
    inchikey: str
    score: float | None
    assays: int  # assays the score rests on
    active_assays: int  # assays whose combined activity is >= 0.5
    inconclusive_assays: int
    weighted_assays: int
    weighting: str  # weighted | unweighted | partly weighted (k of n assays) | no data
    basis: str
    note: str = NOTE
    rule: str = f"{RULE} / {QUALITY_RULE}"
    calls: list[AssayCall] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _family(source: str, assay_key: str) -> str:
    # tox21 results may come from the 12-task table or from per-assay files: both are "tox21".
    prefix = assay_key.split(":", 1)[0]
    return prefix if prefix in ("tox21", "toxcast", "ctx") else source


def combine_assay(assay_key: str, observations: list[Observation]) -> AssayCall:
    """One call per assay from its results (several samples, readouts or sources)."""
    weighted_sum = total = 0.0
    best_weight, any_weighted, bases = 0.0, False, []
    for obs in observations:
        quality = dict(obs.quality) if obs.quality is not None else decode_record(obs.source_record_id)[1]
        activity = activity_of(obs.outcome, quality)
        weight = weight_for(quality, active=(activity or 0.0) >= 0.5)
        w = weight.value if weight is not None else 1.0
        if weight is not None:
            any_weighted = True
            bases.append(weight.basis)
        if activity is None:
            continue
        weighted_sum += w * activity
        total += w
        best_weight = max(best_weight, w)
    activity = weighted_sum / total if total else None
    basis = "; ".join(dict.fromkeys(bases)) if bases else "no quality field (unweighted)"
    name = next((o.assay_name for o in observations if o.assay_name), assay_key)
    sources = tuple(sorted({o.source for o in observations}))
    return AssayCall(
        assay_key, name, sources, len(observations), activity, best_weight or 1.0, any_weighted, basis
    )


def build_profile(inchikey: str, observations: list[Observation]) -> ToxicityProfile:
    """The profile of one compound from all its stored assay results."""
    grouped: dict[str, list[Observation]] = defaultdict(list)
    for obs in observations:
        grouped[obs.assay_key].append(obs)
    calls = [combine_assay(key, grouped[key]) for key in sorted(grouped)]
    scored = [c for c in calls if c.activity is not None]
    by_source: dict[str, int] = defaultdict(int)
    for call in scored:
        by_source[_family(call.sources[0], call.assay_key)] += 1
    if not scored:
        return ToxicityProfile(
            inchikey,
            None,
            0,
            0,
            len(calls),
            0,
            "no data",
            "no Tox21 or ToxCast result for this compound",
            calls=calls,
        )
    total = sum(c.weight for c in scored)
    score = sum(c.weight * c.activity for c in scored) / total  # type: ignore[operator]
    weighted = sum(1 for c in scored if c.weighted)
    weighting = (
        "weighted"
        if weighted == len(scored)
        else "unweighted"
        if weighted == 0
        else f"partly weighted ({weighted} of {len(scored)} assays)"
    )
    active = sum(1 for c in scored if (c.activity or 0.0) >= 0.5)
    sources = ", ".join(f"{k} {v}" for k, v in sorted(by_source.items()))
    basis = f"rests on {len(scored)} assays ({sources}); {active} active; {weighting}"
    return ToxicityProfile(
        inchikey,
        round(score, 4),
        len(scored),
        active,
        len(calls) - len(scored),
        weighted,
        weighting,
        basis,
        calls=calls,
        by_source=dict(by_source),
    )
