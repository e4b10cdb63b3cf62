"""The project store: one SQLite file per library, through apsw, with per-thread connections."""

from __future__ import annotations

from cryodesk.store.compounds import CompoundRow
from cryodesk.store.database import Database, OpenOptions, migrate
from cryodesk.store.jobs import JobRecord
from cryodesk.store.misc import DataSource
from cryodesk.store.project import PROJECT_SUFFIX, Project
from cryodesk.store.schema import SCHEMA_VERSION

__all__ = [
    "PROJECT_SUFFIX",
    "SCHEMA_VERSION",
    "CompoundRow",
    "DataSource",
    "Database",
    "JobRecord",
    "OpenOptions",
    "Project",
    "migrate",
]
