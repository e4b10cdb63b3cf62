"""Value records: compounds, identifiers, property values with provenance, assays, mixtures.

Identity everywhere is the standard InChIKey of the standardised parent structure (see
``cryodesk.chem.standardize``). Records are frozen so they can be shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


def utc_now_iso() -> str:
    """Return the current UTC time as an ISO-8601 string with seconds precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Method(StrEnum):
    """How a value was obtained."""

    MEASURED = "measured"
    COMPUTED = "computed"
    PREDICTED = "predicted"
    LITERATURE = "literature"


class IdentifierKind(StrEnum):
    """Kinds of identifiers mapped to a compound's InChIKey."""

    NAME = "name"
    SYNONYM = "synonym"
    CAS = "cas"
    SMILES = "smiles"
    INCHI = "inchi"
    INCHIKEY = "inchikey"
    PUBCHEM_CID = "pubchem_cid"
    CHEMBL_ID = "chembl_id"
    DRUGBANK_ID = "drugbank_id"
    DTXSID = "dtxsid"
    COD_ID = "cod_id"
    CSD_REFCODE = "csd_refcode"
    CHEMSPIDER_ID = "chemspider_id"
    SOURCE_ID = "source_id"


class AssayOutcome(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    INCONCLUSIVE = "inconclusive"


class ComponentRole(StrEnum):
    """Role of a component in a CPA mixture."""

    PENETRATING = "penetrating"
    NON_PENETRATING = "non_penetrating"
    POLYMER = "polymer"
    CARRIER = "carrier"
    WATER = "water"
    OTHER = "other"


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a value came from.

    Attributes:
        source: data source key, e.g. ``"tox21"``, ``"pubchem"``, ``"file:solubility.csv"``.
        method: measured, computed, predicted or literature.
        source_record_id: the record's id inside the source (row number, CID, DOI ...).
        retrieved_at: ISO time the value was read from the source.
        job_id: the job that wrote the value, if any.
        citation: a human-readable citation or DOI.
    """

    source: str
    method: Method
    source_record_id: str | None = None
    retrieved_at: str | None = None
    job_id: int | None = None
    citation: str | None = None


@dataclass(frozen=True, slots=True)
class Compound:
    """A standardised parent structure."""

    inchikey: str
    smiles: str
    inchi: str
    formula: str
    std_version: str
    name: str | None = None
    mol_weight: float | None = None


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier that maps to a compound, with how sure we are (0..1)."""

    inchikey: str
    kind: IdentifierKind
    value: str
    source: str
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class PropertyValue:
    """One value of one property of one compound, with unit, conditions and provenance.

    ``value`` is numeric where the source gives a number; ``value_text`` keeps the original
    string (e.g. ``"9 °F (NTP, 1992)"``) so nothing read is lost. ``conditions`` is a short
    canonical text such as ``"T=298.15 K"``.
    """

    inchikey: str
    property: str
    value: float | None
    unit: str | None
    provenance: Provenance
    value_text: str | None = None
    conditions: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assay:
    """An assay (e.g. a Tox21 task) that results refer to by ``key``."""

    key: str
    name: str
    source: str
    description: str | None = None
    target: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class AssayResult:
    inchikey: str
    assay_key: str
    outcome: AssayOutcome
    provenance: Provenance
    value: float | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class MixtureComponent:
    """A mixture component as published: amount and unit are kept as given, never pre-converted.

    ``inchikey`` is None for carriers and undefined materials (Euro-Collins, FBS, PVP K12).
    """

    name: str
    amount: float | None
    unit: str | None
    role: ComponentRole
    inchikey: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Mixture:
    name: str
    components: tuple[MixtureComponent, ...]
    status: str
    citation: str | None = None
    carrier: str | None = None
    category: str | None = None
    notes: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one input row (or record) was rejected. ``row`` is 1-based as a user counts lines/records."""

    row: int
    reason: str
    field: str | None = None
    value: str | None = None

    def describe(self) -> str:
        where = f"row {self.row}" + (f", field '{self.field}'" if self.field else "")
        shown = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.reason}{shown}"
