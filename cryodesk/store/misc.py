"""Project metadata, data-source registry, row lists and view state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryodesk.domain import utc_now_iso
from cryodesk.store.database import Database


@dataclass(frozen=True, slots=True)
class DataSource:
    key: str
    title: str
    licence: str | None = None
    citation: str | None = None
    url: str | None = None
    notes: str | None = None
    retrieved_at: str | None = None


class MetaRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self._db.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return default if value is None else value

    def set(self, key: str, value: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         (key, value))


class SourceRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_many(self, sources: Iterable[DataSource]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO sources (key, title, licence, citation, url, notes, retrieved_at) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT(key) DO UPDATE SET title = excluded.title, licence = excluded.licence,"
                " citation = excluded.citation, url = excluded.url, notes = excluded.notes",
                [(s.key, s.title, s.licence, s.citation, s.url, s.notes, s.retrieved_at) for s in sources],
            )

    def list(self) -> list[DataSource]:
        rows = self._db.query("SELECT key, title, licence, citation, url, notes, retrieved_at FROM sources ORDER BY key")
        return [DataSource(*r) for r in rows]


class RowListRepository:
    """Named lists of compounds saved in the project (the user's selections)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, name: str, compound_ids: Iterable[int], description: str | None = None) -> int:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO row_lists (name, description, created_at) VALUES (?,?,?)"
                " ON CONFLICT(name) DO UPDATE SET description = coalesce(excluded.description, description)",
                (name, description, utc_now_iso()),
            )
            list_id = conn.execute("SELECT id FROM row_lists WHERE name = ?", (name,)).fetchone()[0]
            conn.execute("DELETE FROM row_list_members WHERE list_id = ?", (list_id,))
            conn.executemany("INSERT OR IGNORE INTO row_list_members (list_id, compound_id) VALUES (?, ?)",
                             [(list_id, cid) for cid in compound_ids])
            return list_id

    def add(self, name: str, compound_ids: Iterable[int]) -> None:
        with self._db.transaction() as conn:
            row = conn.execute("SELECT id FROM row_lists WHERE name = ?", (name,)).fetchone()
            list_id = row[0] if row else self.save(name, [])
            conn.executemany("INSERT OR IGNORE INTO row_list_members (list_id, compound_id) VALUES (?, ?)",
                             [(list_id, cid) for cid in compound_ids])

    def names(self) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in self._db.query(
            "SELECT l.name, count(m.compound_id) FROM row_lists l LEFT JOIN row_list_members m ON m.list_id = l.id"
            " GROUP BY l.id ORDER BY l.name COLLATE NOCASE")]

    def members(self, name: str) -> list[int]:
        return [r[0] for r in self._db.query(
            "SELECT m.compound_id FROM row_list_members m JOIN row_lists l ON l.id = m.list_id WHERE l.name = ?"
            " ORDER BY m.compound_id", (name,))]

    def delete(self, name: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM row_lists WHERE name = ?", (name,))


class ViewStateRepository:
    """Per-project view state (column order, filters, last query) as JSON values."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str, default: Any = None) -> Any:
        value = self._db.scalar("SELECT value FROM view_state WHERE key = ?", (key,))
        return default if value is None else json.loads(value)

    def set(self, key: str, value: Any) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO view_state (key, value, updated_at) VALUES (?,?,?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, json.dumps(value), utc_now_iso()),
            )


TABLES_FOR_INFO = (
    "compounds", "identifiers", "property_values", "assays", "assay_results", "mixtures", "mixture_components",
    "mixture_measurements", "literature_records", "evidence", "feature_cache", "models", "predictions", "jobs",
    "job_row_errors", "row_lists", "sources",
)


def table_counts(db: Database) -> dict[str, int]:
    # Table names come from the constant above, never from input.
    return {t: int(db.scalar(f"SELECT count(*) FROM {t}")) for t in TABLES_FOR_INFO}  # noqa: S608


def counts_by_source(db: Database) -> list[tuple[str, str, int]]:
    """(table, source, rows) for the value tables, for `cryodesk info`."""
    out: list[tuple[str, str, int]] = []
    for table in ("identifiers", "property_values", "assay_results", "mixture_measurements"):
        rows = db.query(f"SELECT source, count(*) FROM {table} GROUP BY source ORDER BY source")  # noqa: S608
        out.extend((table, r[0], r[1]) for r in rows)
    return out


