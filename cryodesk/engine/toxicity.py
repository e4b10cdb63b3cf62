"""The toxicity profile of a stored compound: its assay results read from the project, scored by
:mod:`cryodesk.toxicity` (the pure package owns the rule; this module only gathers the records)."""

from __future__ import annotations

from cryodesk.store import Project
from cryodesk.toxicity import Observation, ToxicityProfile, build_profile

TOX_PREFIXES = ("tox21:", "toxcast:", "ctx:")


def observations_for(project: Project, inchikey: str) -> list[Observation]:
    """Every Tox21 / ToxCast / CTX result of a compound, with the assay's display name."""
    names = {a.key: a.name for a in project.assays.list_assays() if a.key.startswith(TOX_PREFIXES)}
    return [
        Observation(
            r.assay_key,
            str(r.outcome),
            r.provenance.source,
            r.provenance.source_record_id,
            names.get(r.assay_key),
            r.value,
            r.unit,
        )
        for r in project.assays.results_for_compound(inchikey)
        if r.assay_key in names
    ]


def toxicity_profile(project: Project, inchikey: str) -> ToxicityProfile | None:
    """The profile, or None when the project has no such compound."""
    if project.compounds.get(inchikey) is None:
        return None
    return build_profile(inchikey, observations_for(project, inchikey))
