"""Drug–target links per compound, and target-level training labels from Tox21/ToxCast.

Three kinds of evidence make a compound's target table, each row keeping the provenance of the value
it was read from:

- **DrugBank** (a user's licensed XML, :mod:`cryodesk.engine.drugbank_import`): the import stores each
  target, enzyme, carrier and transporter as a literature value ``drugbank_<kind>`` whose text is
  ``"<name> [<BE id>]: <action, action>"``; this module parses that text back into columns.
- **ChEMBL** activities (``import chembl --activities``): stored as measured values keyed by activity
  type (``ic50``, ``cc50`` ...) with ``"assay <id>; target <pref name>"`` as their conditions.
- **Tox21/ToxCast** hit calls of the assays mapped to a target gene in
  ``resources/targets/assay_targets.csv`` (sources in ``SOURCES.md`` beside it): one row per target
  and mode with the active / tested assay counts.

:func:`build_target_assays` turns the same mapping into derived assays ``target:<GENE> <mode>`` whose
results are the mapped assays' calls (source ``target-map``, the original assay as the record id), so
the model layer trains one classifier per target through ``TrainRequest`` and merges the replicate calls
of a compound by its majority vote (a tie gives no label).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryodesk.config import resources_dir
from cryodesk.domain import Assay, AssayOutcome, AssayResult, InputError, Method, Provenance
from cryodesk.store import Project

MAPPING_FILE = Path("targets") / "assay_targets.csv"
DERIVED_SOURCE = "target-map"
DERIVED_PREFIX = "target:"
DRUGBANK_KINDS = ("target", "enzyme", "carrier", "transporter")
_DRUGBANK_TEXT = re.compile(r"^(?P<name>.*?) \[(?P<id>[^\]]*)\]: (?P<actions>.*)$")
_CHEMBL_TARGET = re.compile(r"(?:^|; )target (?P<name>.+?)(?:;|$)")
#: ChEMBL's placeholder targets: the activity was measured on cells or animals, not a molecular target.
NON_MOLECULAR_CHEMBL = {"unchecked", "admet", "no relevant target", "non-molecular"}


@dataclass(frozen=True, slots=True)
class AssayTarget:
    assay_key: str
    target_gene: str
    target_name: str
    mode: str
    group: str
    basis: str

    @property
    def label(self) -> str:
        return f"{self.target_gene} {self.mode}"


@dataclass(frozen=True, slots=True)
class TargetLink:
    """One row of a compound's target table."""

    target: str  # gene symbol or the source's target name
    target_id: str | None  # DrugBank BE id, ChEMBL target name, or the mapped assays
    kind: str  # target | enzyme | carrier | transporter | activity | assay hits
    action: str  # DrugBank actions, ChEMBL "IC50 = 12 nM", or "active in 2 of 3 assays"
    source: str
    method: str
    record: str | None
    citation: str | None
    retrieved_at: str | None = None
    job_id: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def load_assay_targets(path: str | None = None) -> tuple[AssayTarget, ...]:
    """The assay → target gene table (``resources/targets/assay_targets.csv``)."""
    file = Path(path) if path else resources_dir() / MAPPING_FILE
    with file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for number, row in enumerate(rows, start=2):
        missing = [k for k in ("assay_key", "target_gene", "mode") if not (row.get(k) or "").strip()]
        if missing:
            raise InputError(f"{file.name} line {number}: empty {', '.join(missing)}")
        out.append(
            AssayTarget(
                *(
                    row[k].strip()
                    for k in ("assay_key", "target_gene", "target_name", "mode", "group", "basis")
                )
            )
        )
    return tuple(out)


def target_groups(mapping: tuple[AssayTarget, ...] | None = None) -> dict[str, list[AssayTarget]]:
    """Mapped assays by ``"<GENE> <mode>"``."""
    groups: dict[str, list[AssayTarget]] = defaultdict(list)
    for item in mapping or load_assay_targets():
        groups[item.label].append(item)
    return dict(groups)


# -- the per-compound table ----------------------------------------------------------------------
def target_table(project: Project, inchikey: str) -> list[TargetLink]:
    """DrugBank targets, ChEMBL activity targets and Tox21/ToxCast target hits of one compound.

    Raises:
        InputError: the project has no compound with this InChIKey.
    """
    if project.compounds.get(inchikey) is None:
        raise InputError(f"no compound {inchikey} in this project")
    values = project.properties.for_compound(inchikey)
    links = drugbank_links(values) + chembl_links(values)
    return links + assay_target_links(project.assays.results_for_compound(inchikey))


def drugbank_links(values: list[Any]) -> list[TargetLink]:
    out = []
    for v in values:
        kind = v.property.removeprefix("drugbank_")
        if not v.property.startswith("drugbank_") or kind not in DRUGBANK_KINDS or not v.value_text:
            continue
        match = _DRUGBANK_TEXT.match(v.value_text)
        name, target_id, actions = (
            (match["name"], match["id"] or None, match["actions"])
            if match
            else (v.value_text, None, "unknown action")
        )
        out.append(_link(name, target_id, kind, actions, v.provenance))
    return out


def chembl_links(values: list[Any]) -> list[TargetLink]:
    out = []
    for v in values:
        p = v.provenance
        if p.source != "chembl" or not v.conditions or (found := _CHEMBL_TARGET.search(v.conditions)) is None:
            continue
        name = found["name"].strip()
        activity = f"{v.property.upper()} {v.value_text or v.value}"
        note = (
            "not a molecular target (cell-based or in vivo)"
            if name.casefold() in NON_MOLECULAR_CHEMBL
            else None
        )
        assay = (
            v.conditions.split(";")[0].removeprefix("assay ").strip()
            if v.conditions.startswith("assay ")
            else None
        )
        out.append(_link(name, assay, "activity", activity, p, note))
    return out


def assay_target_links(results: list[AssayResult]) -> list[TargetLink]:
    """One row per mapped target and mode: how many of its assays called the compound active.

    ``target_id`` lists the mapped assays that tested the compound; an assay with replicate calls
    counts as active when any replicate is (the row shows the calls, it does not vote on them).
    """
    mapping = {m.assay_key: m for m in load_assay_targets()}
    by_label: dict[str, list[AssayResult]] = defaultdict(list)
    for r in results:
        if r.assay_key in mapping and r.provenance.source != DERIVED_SOURCE:
            by_label[mapping[r.assay_key].label].append(r)
    out = []
    for _label, rows in sorted(by_label.items()):
        first = mapping[rows[0].assay_key]
        active = sorted({r.assay_key for r in rows if r.outcome is AssayOutcome.ACTIVE})
        tested = sorted({r.assay_key for r in rows})
        sources = sorted({r.provenance.source for r in rows})
        action = f"{first.mode}: active in {len(active)} of {len(tested)} assays"
        if 0 < len(active) < len(tested):
            action += f" ({', '.join(active)})"
        out.append(
            TargetLink(
                first.target_gene,
                ", ".join(tested),
                "assay hits",
                action,
                "+".join(sources),
                str(rows[0].provenance.method),
                None,
                "assay → target map: resources/targets/assay_targets.csv",
                note=f"{first.target_name} ({first.group}); in vitro at µM, not CPA doses",
            )
        )
    return out


def _link(
    name: str, target_id: str | None, kind: str, action: str, p: Provenance, note: str | None = None
) -> TargetLink:
    return TargetLink(
        name,
        target_id,
        kind,
        action,
        p.source,
        str(p.method),
        p.source_record_id,
        p.citation,
        p.retrieved_at,
        p.job_id,
        note,
    )


# -- target-level labels for the model layer ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TargetAssaySummary:
    assay_key: str  # the derived assay (``target:AR agonist``)
    target_gene: str
    mode: str
    source_assays: tuple[str, ...]  # mapped assays present in the project
    compounds: int  # compounds with at least one call
    results: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_target_assays(
    project: Project, mapping: tuple[AssayTarget, ...] | None = None
) -> list[TargetAssaySummary]:
    """Register ``target:<GENE> <mode>`` assays holding the calls of their mapped assays (idempotent)."""
    groups = target_groups(mapping)
    present = set(project.models.assay_keys())
    out = []
    for label, items in sorted(groups.items()):
        sources = tuple(m.assay_key for m in items if m.assay_key in present)
        if not sources:
            continue
        key = f"{DERIVED_PREFIX}{label}"
        first = items[0]
        project.assays.upsert_assays(
            [
                Assay(
                    key,
                    f"{first.target_name} ({first.mode})",
                    DERIVED_SOURCE,
                    f"calls of {len(sources)} mapped assays: {', '.join(sources)}",
                    first.target_gene,
                    f"derived: {first.group}",
                )
            ]
        )
        results = []
        for source_key in sources:
            replicate: Counter[int] = Counter()
            for cid, inchikey, outcome in project.models.assay_labels(source_key):
                # Replicates of one compound in one assay stay separate calls (rows come in id order,
                # so the n-th replicate keeps its record id on every rebuild).
                replicate[cid] += 1
                provenance = Provenance(
                    DERIVED_SOURCE,
                    Method.MEASURED,
                    f"{source_key}#{replicate[cid]}",
                    None,
                    None,
                    "grouped by resources/targets/assay_targets.csv",
                )
                results.append(AssayResult(inchikey, key, AssayOutcome(outcome), provenance))
        project.assays.upsert_results(results)
        out.append(
            TargetAssaySummary(
                key, first.target_gene, first.mode, sources, len({r.inchikey for r in results}), len(results)
            )
        )
    return out


def target_label_counts(project: Project, assay_key: str) -> tuple[int, int, int]:
    """(compounds with a label, actives, ties) after the model layer's majority vote.

    A tie gives no label; the model layer keeps such a compound as a row with a missing label (it is
    in the split sizes but in no score).
    """
    votes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for cid, _key, outcome in project.models.assay_labels(assay_key):
        if outcome in ("active", "inactive"):
            votes[cid][outcome == "active"] += 1
    labels = [active > inactive for inactive, active in votes.values() if active != inactive]
    return len(labels), sum(labels), len(votes) - len(labels)
