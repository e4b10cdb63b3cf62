"""Literature evidence as optional model features: one small numeric block per compound.

Six columns, computed from the evidence rows the PubMed import stored (never cached: they change
whenever papers are imported, and reading them is one query per compound *with* evidence):

==============================  =================================================================
``evidence_n_papers``           papers that mention the compound
``evidence_n_records``          evidence records (one per mention; concentrations and outcomes
                                hang off them)
``evidence_max_conc_mol_l``     largest reported concentration converted to mol/L
``evidence_median_conc_mol_l``  median of the converted concentrations
``evidence_best_viability``     highest reported viability (%) in a sentence naming the compound
``evidence_mean_confidence``    mean confidence of the compound's evidence records
==============================  =================================================================

A compound without evidence has 0 papers and 0 records and NaN elsewhere (the model layer imputes
NaN with the training median); a compound whose concentrations cannot be converted (a dose in
mg/kg, a bare ``%`` whose basis the text did not state, ``% w/w`` which needs the solution's
density) has NaN concentrations, and the conversion report says how many values were skipped why.

The block is a pseudo feature set named :data:`EVIDENCE_FEATURE_SET`: adding that name to a
model's feature sets (``TrainRequest(with_evidence=True)``, ``cryodesk train ... --with-evidence``)
appends these columns to the matrix handed to :mod:`cryodesk.ml`, for training and for prediction.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cryodesk.store import Project
from cryodesk.store.literature import EvidenceItem

EVIDENCE_FEATURE_SET = "evidence"
#: Bump when a column's definition changes (the model record keeps it with the feature version).
EVIDENCE_FEATURES_VERSION = "evidence-1"
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "evidence_n_papers",
    "evidence_n_records",
    "evidence_max_conc_mol_l",
    "evidence_median_conc_mol_l",
    "evidence_best_viability",
    "evidence_mean_confidence",
)
VIABILITY_METRIC = "viability"

#: Molar units as the mining package spells them -> factor to mol/L.
_MOLAR = {"M": 1.0, "mM": 1e-3, "uM": 1e-6, "nM": 1e-9, "pM": 1e-12}
#: Mass per volume units -> factor to g/L.
_MASS_PER_VOLUME = {
    "g/L": 1.0,
    "mg/L": 1e-3,
    "ug/L": 1e-6,
    "ng/L": 1e-9,
    "g/mL": 1e3,
    "mg/mL": 1.0,
    "ug/mL": 1e-3,
    "ng/mL": 1e-6,
    "g/dL": 10.0,
    "mg/dL": 1e-2,
    "% w/v": 10.0,
}
#: Why a unit is never converted (shown in the conversion report).
_NOT_CONCENTRATION = {
    "mg/kg": "a dose per body mass, not a concentration",
    "g/kg": "a dose per body mass, not a concentration",
    "ug/kg": "a dose per body mass, not a concentration",
    "%": "percent without a stated basis",
    "% w/w": "needs the solution's density",
    "mol/kg": "molal: needs the solution's composition",
}


@dataclass(frozen=True, slots=True)
class SoluteConstants:
    """What converting a compound's concentrations to mol/L needs: molar mass (g/mol) and, for
    % v/v, the neat liquid's density (g/mL) with where it came from."""

    molar_mass: float | None
    density: float | None = None
    density_basis: str | None = None


def to_mol_per_litre(
    value: float, unit: str | None, constants: SoluteConstants
) -> tuple[float | None, str | None]:
    """``(mol/L, None)`` or ``(None, reason)`` for one reported concentration."""
    if unit is None:
        return None, "no unit"
    if unit in _MOLAR:
        return value * _MOLAR[unit], None
    if unit in _NOT_CONCENTRATION:
        return None, f"{unit}: {_NOT_CONCENTRATION[unit]}"
    if constants.molar_mass is None or constants.molar_mass <= 0:
        return None, f"{unit}: no molar mass"
    if unit in _MASS_PER_VOLUME:
        return value * _MASS_PER_VOLUME[unit] / constants.molar_mass, None
    if unit == "% v/v":
        if constants.density is None:
            return None, "% v/v: no density of the neat compound"
        # % v/v = mL of neat liquid per 100 mL of solution -> 10 * rho g per litre.
        return 10.0 * value * constants.density / constants.molar_mass, None
    return None, f"{unit}: unit not convertible to mol/L"


@dataclass(slots=True)
class ConversionReport:
    """How the concentrations of a block were converted (kept in the model's assembly report)."""

    converted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"converted": self.converted, "skipped": dict(self.skipped.most_common())}


def compound_features(
    items: Iterable[EvidenceItem], constants: SoluteConstants, report: ConversionReport | None = None
) -> np.ndarray:
    """The six feature values of one compound from its evidence rows (pure)."""
    papers: set[str] = set()
    records, confidences, molar, viability = 0, [], [], []
    for item in items:
        papers.add(item.pmid)
        if item.kind == "mention":
            records += 1
            if item.confidence is not None:
                confidences.append(float(item.confidence))
        elif item.kind == "concentration" and item.value is not None:
            converted, reason = to_mol_per_litre(float(item.value), item.unit, constants)
            if converted is not None:
                molar.append(converted)
            if report is not None:
                if converted is None:
                    report.skipped[reason or "?"] += 1
                else:
                    report.converted += 1
        elif item.kind == "outcome" and item.outcome_metric == VIABILITY_METRIC and item.unit == "%":
            if item.value is not None:
                viability.append(float(item.value))
    nan = float("nan")
    return np.asarray(
        [
            float(len(papers)),
            float(records),
            max(molar) if molar else nan,
            statistics.median(molar) if molar else nan,
            max(viability) if viability else nan,
            statistics.fmean(confidences) if confidences else nan,
        ],
        np.float32,
    )


@dataclass(frozen=True, eq=False)
class EvidenceMatrix:
    """Evidence features of compounds, rows in ``ids`` order."""

    ids: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]
    version: str
    report: ConversionReport

    def block(self) -> tuple[str, np.ndarray, tuple[str, ...], str]:
        """``(set name, values, columns, version)`` as :func:`cryodesk.ml.assemble_features` takes it."""
        return EVIDENCE_FEATURE_SET, self.values, self.columns, self.version


def evidence_matrix(project: Project, compound_ids: Sequence[int]) -> EvidenceMatrix:
    """Evidence features of ``compound_ids`` (sorted ids, as the feature service returns them)."""
    ids = np.asarray(sorted({int(i) for i in compound_ids}), np.int64)
    values = np.full((len(ids), len(EVIDENCE_COLUMNS)), np.nan, np.float32)
    values[:, :2] = 0.0  # no evidence: no papers and no records, which is information too
    report = ConversionReport()
    rows = {r.id: r for r in project.compounds.rows_by_ids(ids.tolist())} if len(ids) else {}
    with_evidence = {key for key, _ in project.literature.compounds_with_evidence()}
    position = {int(cid): i for i, cid in enumerate(ids.tolist())}
    for cid, row in rows.items():
        if row.inchikey not in with_evidence:
            continue
        items = project.literature.evidence_for_compound(row.inchikey)
        values[position[cid]] = compound_features(
            items, solute_constants(project, row.inchikey, row.mol_weight, items), report
        )
    return EvidenceMatrix(ids, values, EVIDENCE_COLUMNS, EVIDENCE_FEATURES_VERSION, report)


def evidence_block(
    project: Project, compound_ids: Sequence[int]
) -> tuple[str, np.ndarray, tuple[str, ...], str]:
    """The block :func:`cryodesk.engine.training.compute_features` appends for the ``evidence`` set."""
    return evidence_matrix(project, compound_ids).block()


def solute_constants(
    project: Project, inchikey: str, mol_weight: float | None, items: Sequence[EvidenceItem] = ()
) -> SoluteConstants:
    """Molar mass of the stored parent structure; density (only looked up when a % v/v value needs it)
    from the compound's stored ``density`` values, else the stated default table of common CPAs."""
    if not any(i.kind == "concentration" and i.unit == "% v/v" for i in items):
        return SoluteConstants(mol_weight)
    density, basis = _stored_density(project, inchikey)
    if density is None:
        from cryodesk.mixtures import default_properties

        props = default_properties(inchikey)
        if props is not None and props.density is not None:
            density, basis = props.density.value, props.density.basis
    return SoluteConstants(mol_weight, density, basis)


def _stored_density(project: Project, inchikey: str) -> tuple[float | None, str | None]:
    from cryodesk.domain import Method
    from cryodesk.domain.units import convert

    found = []
    for v in project.properties.for_compound(inchikey):
        if v.property != "density" or v.value is None or v.provenance.method is Method.PREDICTED:
            continue
        try:
            found.append((convert(float(v.value), v.unit or "g/mL", "g/mL"), v.provenance.source))
        except ValueError:
            continue
    if not found:
        return None, None
    value = statistics.median(d for d, _ in found)
    return value, "store: " + ", ".join(sorted({s for _, s in found}))


def describe(values: Mapping[str, float]) -> str:
    """One line for the CLI: ``3 papers, 5 records, max 1.4 mol/L ...`` (NaN parts left out)."""
    parts = [f"{int(values['evidence_n_papers'])} papers", f"{int(values['evidence_n_records'])} records"]
    labels = {
        "evidence_max_conc_mol_l": "max {:.3g} mol/L",
        "evidence_median_conc_mol_l": "median {:.3g} mol/L",
        "evidence_best_viability": "best viability {:.3g} %",
        "evidence_mean_confidence": "confidence {:.2f}",
    }
    parts += [fmt.format(values[k]) for k, fmt in labels.items() if np.isfinite(values[k])]
    return ", ".join(parts)


def no_evidence_block(n_rows: int) -> tuple[str, np.ndarray, tuple[str, ...], str]:
    """The block of ``n_rows`` structures outside the project (no papers can be linked to them)."""
    values = np.full((n_rows, len(EVIDENCE_COLUMNS)), np.nan, np.float32)
    values[:, :2] = 0.0
    return EVIDENCE_FEATURE_SET, values, EVIDENCE_COLUMNS, EVIDENCE_FEATURES_VERSION
