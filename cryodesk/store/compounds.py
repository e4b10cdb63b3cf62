"""Compounds, identifiers and property values: the identity core of a project."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from cryodesk.domain import (
    Compound,
    Identifier,
    IdentifierKind,
    Method,
    PropertyValue,
    Provenance,
    utc_now_iso,
)
from cryodesk.store._sql import IN_CHUNK, chunked, ids_for_keys, normalise_identifier, placeholders, value_key
from cryodesk.store.database import Database


@dataclass(frozen=True, slots=True)
class CompoundRow:
    """What the molecules table shows for one compound."""

    id: int
    inchikey: str
    name: str | None
    smiles: str
    formula: str | None
    mol_weight: float | None
    n_values: int


_ROW_SELECT = (
    "SELECT c.id, c.inchikey, c.name, c.smiles, c.formula, c.mol_weight,"
    " (SELECT count(*) FROM property_values p WHERE p.compound_id = c.id) FROM compounds c"
)


class CompoundRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_many(self, compounds: Iterable[Compound]) -> dict[str, int]:
        """Insert new compounds; fill a missing name on existing ones; return InChIKey -> id.

        Existing structures are never rewritten: the identity key already says they are the same.
        """
        now = utc_now_iso()
        rows = [
            (c.inchikey, c.smiles, c.inchi, c.formula, c.mol_weight, c.name, c.std_version, now, now)
            for c in compounds
        ]
        if not rows:
            return {}
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO compounds (inchikey, smiles, inchi, formula, mol_weight, name, std_version,"
                " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(inchikey) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at"
                " WHERE compounds.name IS NULL AND excluded.name IS NOT NULL",
                rows,
            )
            return ids_for_keys(conn, "compounds", "inchikey", [r[0] for r in rows])

    def ids_for(self, inchikeys: Sequence[str]) -> dict[str, int]:
        return ids_for_keys(self._db.connection(), "compounds", "inchikey", inchikeys)

    def get(self, inchikey: str) -> Compound | None:
        row = self._db.connection().execute(
            "SELECT inchikey, smiles, inchi, formula, std_version, name, mol_weight FROM compounds"
            " WHERE inchikey = ?",
            (inchikey,),
        ).fetchone()
        return None if row is None else Compound(*row)

    def count(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM compounds"))

    def ids_ascending(self) -> np.ndarray:
        """Every compound id, ascending, as int64 (one query; no Python work per row)."""
        rows = self._db.connection().execute("SELECT id FROM compounds ORDER BY id").fetchall()
        return np.fromiter(chain.from_iterable(rows), np.int64, len(rows))

    def smiles_by_id(self, ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
        """(id, SMILES) for ``ids`` (all compounds, in id order, when None)."""
        if ids is None:
            return [(r[0], r[1]) for r in self._db.query("SELECT id, smiles FROM compounds ORDER BY id")]
        out: list[tuple[int, str]] = []
        conn = self._db.connection()
        for batch in chunked(ids, IN_CHUNK):
            sql = f"SELECT id, smiles FROM compounds WHERE id IN ({placeholders(len(batch))})"  # noqa: S608
            out.extend((r[0], r[1]) for r in conn.execute(sql, batch))
        return sorted(out)

    def change_stamp(self) -> str:
        """Changes whenever compounds are added or removed (count + highest id + last update)."""
        row = self._db.connection().execute("SELECT count(*), max(id), max(updated_at) FROM compounds").fetchone()
        return f"{row[0]}:{row[1]}:{row[2]}"

    def all_ids(self) -> list[int]:
        """Every compound id in display order (name, then InChIKey)."""
        return [r[0] for r in self._db.query("SELECT id FROM compounds ORDER BY name IS NULL, name COLLATE NOCASE, id")]

    def rows_by_ids(self, ids: Sequence[int]) -> list[CompoundRow]:
        """The table rows for ``ids``, in the order given (missing ids are skipped)."""
        found: dict[int, CompoundRow] = {}
        conn = self._db.connection()
        for batch in chunked(ids, IN_CHUNK):
            sql = f"{_ROW_SELECT} WHERE c.id IN ({placeholders(len(batch))})"
            for row in conn.execute(sql, batch):
                found[row[0]] = CompoundRow(*row)
        return [found[i] for i in ids if i in found]

    def search_ids(self, text: str, limit: int = 100_000) -> list[int]:
        """Compounds whose InChIKey, SMILES, name or any identifier contains ``text`` (case-insensitive).

        Exact identifier matches come first, then substring matches, each in display order.
        """
        needle = normalise_identifier(text)
        if not needle:
            return self.all_ids()
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = """
            WITH hits(id, exact) AS (
                SELECT compound_id, value_norm = :needle FROM identifiers WHERE value_norm LIKE :like ESCAPE '\\'
                UNION ALL
                SELECT id, lower(inchikey) = :needle OR smiles = :raw FROM compounds
                 WHERE lower(inchikey) LIKE :like ESCAPE '\\' OR smiles = :raw OR lower(name) LIKE :like ESCAPE '\\'
            )
            SELECT c.id FROM compounds c JOIN (SELECT id, max(exact) AS exact FROM hits GROUP BY id) h ON h.id = c.id
            ORDER BY h.exact DESC, c.name IS NULL, c.name COLLATE NOCASE, c.id LIMIT :limit
        """
        params = {"needle": needle, "like": like, "raw": text.strip(), "limit": limit}
        return [r[0] for r in self._db.query(sql, params)]


class IdentifierRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_many(self, identifiers: Iterable[Identifier]) -> int:
        """Add identifiers (idempotent); a higher confidence for the same mapping wins. Returns rows given."""
        items = list(identifiers)
        if not items:
            return 0
        with self._db.transaction() as conn:
            ids = ids_for_keys(conn, "compounds", "inchikey", [i.inchikey for i in items])
            rows = [
                (ids[i.inchikey], str(i.kind), i.value, normalise_identifier(i.value), i.source, i.confidence)
                for i in items
                if i.inchikey in ids
            ]
            conn.executemany(
                "INSERT INTO identifiers (compound_id, kind, value, value_norm, source, confidence)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(compound_id, kind, value, source)"
                " DO UPDATE SET confidence = excluded.confidence WHERE excluded.confidence > identifiers.confidence",
                rows,
            )
        return len(rows)

    def for_compound(self, inchikey: str) -> list[Identifier]:
        sql = (
            "SELECT c.inchikey, i.kind, i.value, i.source, i.confidence FROM identifiers i"
            " JOIN compounds c ON c.id = i.compound_id WHERE c.inchikey = ? ORDER BY i.kind, i.value"
        )
        return [Identifier(r[0], IdentifierKind(r[1]), r[2], r[3], r[4]) for r in self._db.query(sql, (inchikey,))]

    def lookup(self, value: str) -> list[tuple[str, Identifier]]:
        """Exact (normalised) identifier matches: (InChIKey, identifier), best confidence first."""
        sql = (
            "SELECT c.inchikey, i.kind, i.value, i.source, i.confidence FROM identifiers i"
            " JOIN compounds c ON c.id = i.compound_id WHERE i.value_norm = ? ORDER BY i.confidence DESC"
        )
        rows = self._db.query(sql, (normalise_identifier(value),))
        return [(r[0], Identifier(r[0], IdentifierKind(r[1]), r[2], r[3], r[4])) for r in rows]


class PropertyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_many(self, values: Iterable[PropertyValue]) -> int:
        """Store values with provenance; a value already stored (same provenance) is left as it is.

        Conflicting values from different records are kept side by side (they differ in
        ``source_record_id`` or value), never overwritten. Returns the number of new rows.
        """
        items = list(values)
        if not items:
            return 0
        with self._db.transaction() as conn:
            before = conn.total_changes()
            ids = ids_for_keys(conn, "compounds", "inchikey", [v.inchikey for v in items])
            conn.executemany(
                "INSERT INTO property_values (compound_id, property, value, value_text, value_key, unit, method,"
                " conditions, source, source_record_id, citation, retrieved_at, job_id, flags)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                [_property_row(ids[v.inchikey], v) for v in items if v.inchikey in ids],
            )
            return conn.total_changes() - before

    def delete_exact(self, value: PropertyValue) -> int:
        """Delete the one stored row equal to ``value`` in every field of its identity (the UNIQUE key).

        For undoable manual edits (``cryodesk.engine.manual_values``); returns the rows deleted (0 or 1).
        """
        p = value.provenance
        with self._db.transaction() as conn:
            before = conn.total_changes()
            conn.execute(
                "DELETE FROM property_values WHERE compound_id = (SELECT id FROM compounds WHERE inchikey = ?)"
                " AND property = ? AND source = ? AND source_record_id = ? AND method = ? AND conditions = ?"
                " AND value_key = ?",
                (value.inchikey, value.property, p.source, p.source_record_id or "", str(p.method),
                 value.conditions or "", value_key(value.value, value.value_text)),
            )
            return conn.total_changes() - before

    def for_compound(self, inchikey: str) -> list[PropertyValue]:
        sql = (
            "SELECT c.inchikey, p.property, p.value, p.unit, p.source, p.method, p.source_record_id,"
            " p.retrieved_at, p.job_id, p.citation, p.value_text, p.conditions, p.flags"
            " FROM property_values p JOIN compounds c ON c.id = p.compound_id WHERE c.inchikey = ?"
            " ORDER BY p.property, p.source, p.id"
        )
        return [_property_from_row(r) for r in self._db.query(sql, (inchikey,))]

    def earlier_record(self, value: PropertyValue) -> str | None:
        """Record id of an equal value stored earlier from the same source under another record id."""
        return earlier_record(self._db, value)

    def property_names(self) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in self._db.query(
            "SELECT property, count(*) FROM property_values GROUP BY property ORDER BY property")]

    def count(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM property_values"))


def _property_row(compound_id: int, v: PropertyValue) -> tuple:
    p = v.provenance
    return (
        compound_id, v.property, v.value, v.value_text, value_key(v.value, v.value_text), v.unit, str(p.method),
        v.conditions or "", p.source, p.source_record_id or "", p.citation, p.retrieved_at, p.job_id,
        ",".join(v.flags),
    )


def _property_from_row(r: tuple) -> PropertyValue:
    provenance = Provenance(
        source=r[4], method=Method(r[5]), source_record_id=r[6] or None, retrieved_at=r[7], job_id=r[8],
        citation=r[9],
    )
    flags = tuple(f for f in (r[12] or "").split(",") if f)
    return PropertyValue(r[0], r[1], r[2], r[3], provenance, r[10], r[11] or None, flags)


def _earlier_record_sql() -> str:
    return (
        "SELECT p.source_record_id FROM property_values p JOIN compounds c ON c.id = p.compound_id"
        " WHERE c.inchikey = ? AND p.property = ? AND p.source = ? AND p.value_key = ? AND p.conditions = ?"
        " AND p.source_record_id != ? ORDER BY p.id LIMIT 1"
    )


def earlier_record(db: Database, v: PropertyValue) -> str | None:
    """The record id of an equal value stored earlier from the same source under another record id."""
    return db.scalar(
        _earlier_record_sql(),
        (v.inchikey, v.property, v.provenance.source, value_key(v.value, v.value_text), v.conditions or "",
         v.provenance.source_record_id or ""),
    )
