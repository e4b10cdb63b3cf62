"""Plain value types shared by every layer. No I/O, no RDKit, no Qt."""

from __future__ import annotations

from cryodesk.domain.errors import CryoDeskError, InputError, ProjectError, SourceError
from cryodesk.domain.records import (
    Assay,
    AssayOutcome,
    AssayResult,
    ComponentRole,
    Compound,
    Identifier,
    IdentifierKind,
    JobState,
    Method,
    Mixture,
    MixtureComponent,
    PropertyValue,
    Provenance,
    RowError,
    utc_now_iso,
)

__all__ = [
    "Assay",
    "AssayOutcome",
    "AssayResult",
    "ComponentRole",
    "Compound",
    "CryoDeskError",
    "Identifier",
    "IdentifierKind",
    "InputError",
    "JobState",
    "Method",
    "Mixture",
    "MixtureComponent",
    "ProjectError",
    "PropertyValue",
    "Provenance",
    "RowError",
    "SourceError",
    "utc_now_iso",
]
