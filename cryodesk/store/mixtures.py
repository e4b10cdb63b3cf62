"""Mixtures with components as published (amount + unit + role) and mixture measurements."""

from __future__ import annotations

import json
from collections.abc import Iterable

from cryodesk.domain import ComponentRole, Mixture, MixtureComponent, utc_now_iso
from cryodesk.store._sql import ids_for_keys
from cryodesk.store.database import Database


class MixtureRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_many(self, mixtures: Iterable[Mixture], source: str) -> int:
        """Insert mixtures that are not there yet (by name). An existing mixture is never rewritten:
        the user may have edited it. Returns the number inserted."""
        inserted = 0
        with self._db.transaction() as conn:
            for mixture in mixtures:
                if conn.execute("SELECT 1 FROM mixtures WHERE name = ?", (mixture.name,)).fetchone():
                    continue
                self._insert(conn, mixture, source)
                inserted += 1
        return inserted

    def _insert(self, conn, mixture: Mixture, source: str) -> int:
        conn.execute(
            "INSERT INTO mixtures (name, status, citation, carrier, category, notes, aliases, source, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (mixture.name, mixture.status, mixture.citation, mixture.carrier, mixture.category, mixture.notes,
             json.dumps(list(mixture.aliases)), source, utc_now_iso()),
        )
        mixture_id = conn.last_insert_rowid()
        keys = [c.inchikey for c in mixture.components if c.inchikey]
        compound_ids = ids_for_keys(conn, "compounds", "inchikey", keys)
        conn.executemany(
            "INSERT INTO mixture_components (mixture_id, position, name, compound_id, amount, unit, role, note)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [
                (mixture_id, pos, c.name, compound_ids.get(c.inchikey or ""), c.amount, c.unit, str(c.role), c.note)
                for pos, c in enumerate(mixture.components)
            ],
        )
        return mixture_id

    def names(self) -> list[str]:
        return [r[0] for r in self._db.query("SELECT name FROM mixtures ORDER BY name COLLATE NOCASE")]

    def get(self, name: str) -> Mixture | None:
        conn = self._db.connection()
        row = conn.execute(
            "SELECT id, name, status, citation, carrier, category, notes, aliases FROM mixtures WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            return None
        components = tuple(
            MixtureComponent(r[0], r[1], r[2], ComponentRole(r[3]), r[4], r[5])
            for r in conn.execute(
                "SELECT m.name, m.amount, m.unit, m.role, c.inchikey, m.note FROM mixture_components m"
                " LEFT JOIN compounds c ON c.id = m.compound_id WHERE m.mixture_id = ? ORDER BY m.position",
                (row[0],),
            )
        )
        return Mixture(row[1], components, row[2], row[3], row[4], row[5], row[6], tuple(json.loads(row[7])))

    def count(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM mixtures"))
