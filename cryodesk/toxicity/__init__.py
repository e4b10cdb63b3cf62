"""Toxicity profiles and scores across Tox21 and ToxCast assays (pure: records in, profiles out)."""

from __future__ import annotations

from cryodesk.toxicity.profile import (
    NOTE,
    AssayCall,
    Observation,
    ToxicityProfile,
    build_profile,
    combine_assay,
)
from cryodesk.toxicity.quality import (
    Weight,
    activity_of,
    decode_record,
    encode_record,
    normalise_quality,
    weight_for,
)

__all__ = [
    "NOTE",
    "AssayCall",
    "Observation",
    "ToxicityProfile",
    "Weight",
    "activity_of",
    "build_profile",
    "combine_assay",
    "decode_record",
    "encode_record",
    "normalise_quality",
    "weight_for",
]
