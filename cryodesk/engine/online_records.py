"""Turn what PubChem and ChEMBL said about a compound into identifiers and property values.

Pure functions: they take the source record plus the InChIKey of the standardised parent (the
identity every row maps to) and return domain records with provenance. Confidence rules:

* the service's own id (CID, ChEMBL ID) is certain (1.0) when the service's structure *is* the
  parent, and 0.7 when standardisation changed it (the id names a salt or charged form of it);
* a name the user typed and the service matched, or the service's title: 0.9;
* synonyms: 0.7 (PubChem's lists mix trade names, mixtures and related forms);
* CAS numbers read from synonyms (checksum-valid only): 0.9 for the first, which PubChem lists
  as the preferred one, 0.6 for the others (deprecated or related registry numbers);
* registry ids found among synonyms (DTXSID, CHEMBL): 0.8;
* every confidence is scaled by 0.7 when the service's structure differs from the parent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cryodesk.domain import Compound, Identifier, IdentifierKind, Method, PropertyValue, Provenance, RowError
from cryodesk.domain.properties import property_key
from cryodesk.sources.records import (
    CHEMBL,
    PUBCHEM,
    ChemblActivity,
    ChemblMolecule,
    ExperimentalValue,
    PubChemProperties,
    PubChemSynonyms,
    to_float,
)

PUBCHEM_CITATION = "PubChem, computed by PubChem (public domain)"
CHEMBL_CITATION = "ChEMBL, CC BY-SA 3.0"
DIFFERENT_STRUCTURE_FACTOR = 0.7

#: (PubChemProperties attribute, reply key, property key, unit) of the computed values stored.
PUBCHEM_VALUES: tuple[tuple[str, str, str, str | None], ...] = (
    ("molecular_weight", "MolecularWeight", "molecular_weight", "g/mol"),
    ("xlogp", "XLogP", "logp", None),
    ("tpsa", "TPSA", "tpsa", "Å²"),
    ("exact_mass", "ExactMass", "exact_mass", "g/mol"),
    ("monoisotopic_mass", "MonoisotopicMass", "monoisotopic_mass", "g/mol"),
    ("complexity", "Complexity", "complexity", None),
    ("charge", "Charge", "formal_charge", None),
    ("hbond_donors", "HBondDonorCount", "hbond_donors", None),
    ("hbond_acceptors", "HBondAcceptorCount", "hbond_acceptors", None),
    ("rotatable_bonds", "RotatableBondCount", "rotatable_bonds", None),
    ("heavy_atoms", "HeavyAtomCount", "heavy_atoms", None),
)

#: (molecule_properties field, property key, unit) of ChEMBL's computed values stored.
CHEMBL_VALUES: tuple[tuple[str, str, str | None], ...] = (
    ("full_mwt", "molecular_weight", "g/mol"),
    ("alogp", "logp", None),
    ("psa", "tpsa", "Å²"),
    ("hba", "hbond_acceptors", None),
    ("hbd", "hbond_donors", None),
    ("rtb", "rotatable_bonds", None),
    ("heavy_atoms", "heavy_atoms", None),
    ("aromatic_rings", "aromatic_rings", None),
    ("qed_weighted", "qed", None),
    ("num_ro5_violations", "ro5_violations", None),
)

_DTXSID_RE = re.compile(r"^DTXSID\d+$")
_CHEMBL_RE = re.compile(r"^CHEMBL\d+$")


@dataclass(frozen=True, slots=True)
class Stamp:
    """When and by which job the values of one run were retrieved."""

    retrieved_at: str
    job_id: int


@dataclass(slots=True)
class BatchRows:
    """Everything one batch writes, plus its counts for the summary and the metrics."""

    compounds: list[Compound] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    values: list[PropertyValue] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    stored: int = 0
    rejected: int = 0
    missing: int = 0


def _scaled(confidence: float, same_structure: bool) -> float:
    return round(confidence if same_structure else confidence * DIFFERENT_STRUCTURE_FACTOR, 3)


def _unique_texts(texts: Iterable[str | None], taken: set[str]) -> list[str]:
    """Non-empty texts not yet in ``taken`` (case-insensitive), in order; updates ``taken``."""
    out = []
    for text in texts:
        value = (text or "").strip()
        if value and value.casefold() not in taken:
            taken.add(value.casefold())
            out.append(value)
    return out


# -- PubChem -------------------------------------------------------------------------------------
def pubchem_identifiers(
    inchikey: str,
    record: PubChemProperties,
    synonyms: PubChemSynonyms | None,
    label: str | None,
    max_synonyms: int,
) -> list[Identifier]:
    """CID, the user's name, title, synonyms, CAS numbers and registry ids of one CID."""
    same = record.inchikey == inchikey

    def ident(kind: IdentifierKind, value: str, confidence: float) -> Identifier:
        return Identifier(inchikey, kind, value, PUBCHEM, _scaled(confidence, same))

    out = [ident(IdentifierKind.PUBCHEM_CID, str(record.cid), 1.0)]
    taken: set[str] = set()
    out += [ident(IdentifierKind.NAME, n, 0.9) for n in _unique_texts([label, record.title], taken)]
    if synonyms is None:
        return out
    names = _unique_texts(synonyms.names, taken)[:max_synonyms]
    out += [ident(IdentifierKind.SYNONYM, n, 0.7) for n in names]
    out += [ident(IdentifierKind.CAS, cas, 0.9 if i == 0 else 0.6) for i, cas in enumerate(synonyms.cas_numbers)]
    for other in synonyms.other_ids:
        if _DTXSID_RE.match(other):
            out.append(ident(IdentifierKind.DTXSID, other, 0.8))
        elif _CHEMBL_RE.match(other):
            out.append(ident(IdentifierKind.CHEMBL_ID, other, 0.8))
    return out


def pubchem_values(
    inchikey: str, record: PubChemProperties, stamp: Stamp, flags: tuple[str, ...] = ()
) -> list[PropertyValue]:
    """PubChem's computed properties of one CID as values with provenance ("CID n")."""
    provenance = Provenance(PUBCHEM, Method.COMPUTED, f"CID {record.cid}", stamp.retrieved_at, stamp.job_id,
                            PUBCHEM_CITATION)
    out = []
    for attribute, reply_key, key, unit in PUBCHEM_VALUES:
        value = getattr(record, attribute)
        if value is None:
            continue
        raw = record.raw.get(reply_key)  # the reply's own spelling ("180.16") is kept as the text
        out.append(PropertyValue(inchikey, key, float(value), unit, provenance,
                                 str(raw) if raw is not None else None, None, flags))
    return out


def experimental_key(value: ExperimentalValue) -> str:
    """The vocabulary key of a PUG-View value: its measure (LD50 → ``ld50``), else its heading."""
    return property_key(value.measure or value.property)


def experimental_values(
    inchikey: str, values: Sequence[ExperimentalValue], stamp: Stamp, flags: tuple[str, ...] = ()
) -> list[PropertyValue]:
    """PUG-View experimental values (measured, each citing its annotation's source and licence)."""
    out = []
    for value in values:
        converted = value.to_property_value(inchikey, stamp.retrieved_at, stamp.job_id)
        out.append(replace(converted, property=experimental_key(value), flags=converted.flags + flags))
    return out


# -- ChEMBL --------------------------------------------------------------------------------------
def chembl_identifiers(inchikey: str, molecule: ChemblMolecule, max_synonyms: int) -> list[Identifier]:
    """ChEMBL ID (and parent ID), preferred name and synonyms of one molecule."""
    same = molecule.standard_inchi_key == inchikey

    def ident(kind: IdentifierKind, value: str, confidence: float) -> Identifier:
        return Identifier(inchikey, kind, value, CHEMBL, _scaled(confidence, same))

    out = [ident(IdentifierKind.CHEMBL_ID, molecule.chembl_id, 1.0)]
    parent = molecule.parent_chembl_id
    if parent and parent.upper() != molecule.chembl_id.upper():
        # The parent record is the structure we keep: that mapping is the surer one.
        out.append(Identifier(inchikey, IdentifierKind.CHEMBL_ID, parent, CHEMBL, 0.9))
    taken: set[str] = set()
    out += [ident(IdentifierKind.NAME, n, 0.9) for n in _unique_texts([molecule.pref_name], taken)]
    out += [ident(IdentifierKind.SYNONYM, n, 0.7) for n in _unique_texts(molecule.synonyms, taken)[:max_synonyms]]
    return out


def chembl_values(
    inchikey: str, molecule: ChemblMolecule, stamp: Stamp, flags: tuple[str, ...] = ()
) -> list[PropertyValue]:
    """ChEMBL's computed molecule properties as values with provenance (the ChEMBL ID)."""
    props: Mapping[str, Any] = molecule.raw.get("molecule_properties") or {}
    provenance = molecule.provenance(stamp.retrieved_at, stamp.job_id)
    out = []
    for name, key, unit in CHEMBL_VALUES:
        raw = props.get(name)
        number = to_float(raw)
        if number is not None:
            out.append(PropertyValue(inchikey, key, number, unit, provenance, str(raw), None, flags))
    return out


def activity_values(
    inchikey: str, activities: Sequence[ChemblActivity], stamp: Stamp, flags: tuple[str, ...] = ()
) -> list[PropertyValue]:
    """Measured activities (CC50, LD50, IC50 ...) keyed by type, the assay as their condition."""
    out = []
    for activity in activities:
        if activity.standard_value is None or not activity.standard_type:
            continue
        relation = activity.standard_relation or "="
        extra = ("qualified",) if relation not in ("=", "'='") else ()
        conditions = "; ".join(
            p for p in (f"assay {activity.assay_chembl_id}" if activity.assay_chembl_id else None,
                        f"target {activity.target_pref_name}" if activity.target_pref_name else None) if p
        ) or None
        text = f"{relation} {activity.standard_value:g} {activity.standard_units or ''}".strip()
        out.append(PropertyValue(inchikey, property_key(activity.standard_type), activity.standard_value,
                                 activity.standard_units, activity.provenance(stamp.retrieved_at, stamp.job_id),
                                 text, conditions, flags + extra))
    return out
