"""Plain records returned by the online sources, before standardisation and storage.

They hold what a service said, typed but not reinterpreted: numbers that arrive as strings are
converted, and the raw dict is kept beside them so nothing is lost. Converting them to
:mod:`cryodesk.domain` records needs the InChIKey of the standardised structure, which is the
engine's job; the ``to_property_value`` helpers make that one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryodesk.domain import Method, PropertyValue, Provenance

PUBCHEM = "pubchem"
CHEMBL = "chembl"


def to_float(value: Any) -> float | None:
    """A number from a JSON number or numeric string (``"180.16"``); None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def to_int(value: Any) -> int | None:
    number = to_float(value)
    return int(number) if number is not None and number == int(number) else None


# -- PubChem -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PubChemProperties:
    """One ``PropertyTable.Properties`` row.

    ``smiles`` is the full SMILES (stereo, isotopes): the 2025 key ``SMILES`` or the legacy
    ``IsomericSMILES``. ``connectivity_smiles`` is ``ConnectivitySMILES`` or the legacy
    ``CanonicalSMILES``. ``raw`` is the row exactly as received.
    """

    cid: int
    molecular_formula: str | None = None
    molecular_weight: float | None = None
    smiles: str | None = None
    connectivity_smiles: str | None = None
    inchi: str | None = None
    inchikey: str | None = None
    iupac_name: str | None = None
    title: str | None = None
    xlogp: float | None = None
    exact_mass: float | None = None
    monoisotopic_mass: float | None = None
    tpsa: float | None = None
    complexity: float | None = None
    charge: int | None = None
    hbond_donors: int | None = None
    hbond_acceptors: int | None = None
    rotatable_bonds: int | None = None
    heavy_atoms: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def structure_smiles(self) -> str | None:
        """The best structure to standardise: full SMILES, else connectivity-only."""
        return self.smiles or self.connectivity_smiles

    def provenance(self, retrieved_at: str | None = None, job_id: int | None = None) -> Provenance:
        return Provenance(PUBCHEM, Method.COMPUTED, f"CID {self.cid}", retrieved_at, job_id)


@dataclass(frozen=True, slots=True)
class PropertyBatch:
    """The result of one property request: what was asked, what came back, what did not.

    Jobs checkpoint per batch: every requested CID is either in ``records`` or in ``missing``.
    """

    requested: tuple[int, ...]
    records: tuple[PubChemProperties, ...]
    missing: tuple[int, ...]
    from_cache: bool = False


@dataclass(frozen=True, slots=True)
class PubChemSynonyms:
    """Synonyms of one CID, split into names, valid CAS RNs and other identifiers."""

    cid: int
    synonyms: tuple[str, ...]
    names: tuple[str, ...]
    cas_numbers: tuple[str, ...]
    other_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExperimentalValue:
    """One value read from a PUG-View experimental-property or toxicity annotation.

    Attributes:
        cid: compound id.
        property: the PUG-View heading (``"Melting Point"``, ``"Toxicity Data"``, ...).
        value: number, or the low end of a range; None when the text holds no number we trust.
        value_max: high end of a range (``"4-8 °C"``), else None.
        relation: ``"="``, ``"<"``, ``">"``, ``"<="``, ``">="`` or ``"~"``.
        unit: canonical unit text (``"°C"``, ``"g/cm3"``, ``"mPa*s"``, ``"mg/kg"``), or None.
        conditions: e.g. ``"T=20 °C"``, ``"P=760 mmHg"``, ``"Oral, Rat"``.
        qualifier: a label that scopes the value (``"PEG 400"``, ``"Relative density (water = 1)"``).
        measure: toxicity measure (``"LD50"``, ``"LC50"``), else None.
        value_text: the annotation's original string, always kept.
        segment: the part of ``value_text`` this value was read from.
        reference_number: PUG-View ``ReferenceNumber``.
        source_name, source_id, source_url: from ``Record.Reference``.
        license_note, license_url: the annotation's licence, from ``Record.Reference``.
    """

    cid: int
    property: str
    value: float | None
    unit: str | None
    value_text: str
    value_max: float | None = None
    relation: str | None = None
    conditions: str | None = None
    qualifier: str | None = None
    measure: str | None = None
    segment: str | None = None
    reference_number: int | None = None
    source_name: str | None = None
    source_id: str | None = None
    source_url: str | None = None
    license_note: str | None = None
    license_url: str | None = None

    @property
    def citation(self) -> str | None:
        parts = [p for p in (self.source_name, self.source_id) if p]
        licence = self.license_url or self.license_note
        text = " ".join(parts) if parts else None
        if licence:
            text = f"{text or 'PubChem'}; licence: {licence}"
        return text

    def provenance(self, retrieved_at: str | None = None, job_id: int | None = None) -> Provenance:
        record = f"CID {self.cid}" + (f" ref {self.reference_number}" if self.reference_number is not None else "")
        return Provenance(PUBCHEM, Method.MEASURED, record, retrieved_at, job_id, self.citation)

    def to_property_value(self, inchikey: str, retrieved_at: str | None = None, job_id: int | None = None) -> PropertyValue:
        """The domain record; the property name includes the measure (``"Toxicity Data/LD50"``)."""
        name = f"{self.property}/{self.measure}" if self.measure else self.property
        flags = tuple(
            f
            for f, on in (("range", self.value_max is not None), ("qualified", self.relation not in (None, "=")))
            if on
        )
        conditions = "; ".join(c for c in (self.qualifier, self.conditions) if c) or None
        return PropertyValue(
            inchikey=inchikey,
            property=name,
            value=self.value,
            unit=self.unit,
            provenance=self.provenance(retrieved_at, job_id),
            value_text=self.value_text,
            conditions=conditions,
            flags=flags,
        )


# -- ChEMBL --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChemblMolecule:
    """The fields of a ChEMBL molecule CryoDesk uses; ``raw`` keeps the whole object."""

    chembl_id: str
    pref_name: str | None = None
    molecule_type: str | None = None
    max_phase: float | None = None
    canonical_smiles: str | None = None
    standard_inchi: str | None = None
    standard_inchi_key: str | None = None
    molecular_formula: str | None = None
    full_mwt: float | None = None
    alogp: float | None = None
    psa: float | None = None
    hba: int | None = None
    hbd: int | None = None
    parent_chembl_id: str | None = None
    synonyms: tuple[str, ...] = ()
    atc_classifications: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def provenance(self, retrieved_at: str | None = None, job_id: int | None = None) -> Provenance:
        return Provenance(CHEMBL, Method.COMPUTED, self.chembl_id, retrieved_at, job_id, "ChEMBL, CC BY-SA 3.0")


@dataclass(frozen=True, slots=True)
class ChemblActivity:
    """One activity record (standardised value as ChEMBL gives it)."""

    activity_id: int | None
    molecule_chembl_id: str | None
    assay_chembl_id: str | None
    standard_type: str | None
    standard_relation: str | None
    standard_value: float | None
    standard_units: str | None
    pchembl_value: float | None = None
    target_chembl_id: str | None = None
    target_pref_name: str | None = None
    assay_description: str | None = None
    document_chembl_id: str | None = None
    data_validity_comment: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def provenance(self, retrieved_at: str | None = None, job_id: int | None = None) -> Provenance:
        record = f"activity {self.activity_id}" if self.activity_id is not None else None
        citation = f"ChEMBL {self.document_chembl_id}, CC BY-SA 3.0" if self.document_chembl_id else "ChEMBL, CC BY-SA 3.0"
        return Provenance(CHEMBL, Method.MEASURED, record, retrieved_at, job_id, citation)


@dataclass(frozen=True, slots=True)
class ChemblIdLookup:
    chembl_id: str
    entity_type: str | None
    status: str | None
    resource_url: str | None
    last_active: int | None = None


@dataclass(frozen=True, slots=True)
class ChemblPage:
    """One page of a ChEMBL list reply."""

    items: tuple[Mapping[str, Any], ...]
    total_count: int | None
    offset: int
    limit: int
    next: str | None
    previous: str | None
