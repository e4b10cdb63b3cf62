"""Assays (e.g. the 12 Tox21 tasks) and per-compound results with provenance and quality fields.

A result is identified by (compound, assay, source, source record id). Its quality fields (a JSON
object in ``assay_results.quality``, schema version 4) are *not* part of that identity, so a
re-import of a corrected file updates the row instead of adding a second one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryodesk.domain import Assay, AssayOutcome, AssayResult, Method, ProjectError, Provenance
from cryodesk.store._sql import ids_for_keys
from cryodesk.store.database import Database

_INSERT = (
    "INSERT INTO assay_results (compound_id, assay_id, outcome, value, unit, method, source,"
    " source_record_id, citation, retrieved_at, job_id, quality) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT DO NOTHING"
)
# Only rows whose content changed are touched, so an identical re-import reports 0 updates.
_UPDATE = (
    "UPDATE assay_results SET outcome = ?, value = ?, unit = ?, method = ?, citation = ?,"
    " retrieved_at = ?, job_id = ?, quality = ?"
    " WHERE compound_id = ? AND assay_id = ? AND source = ? AND source_record_id = ?"
    " AND (outcome, value, unit, quality) IS NOT (?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class ResultCounts:
    """What an upsert did: rows added and existing rows whose outcome, value or quality changed."""

    new: int
    updated: int


def quality_json(quality: Mapping[str, Any] | None) -> str:
    """The stored form of a quality mapping: a JSON object with sorted keys (stable for comparisons)."""
    return json.dumps(dict(quality or {}), sort_keys=True, ensure_ascii=False)


class AssayRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_assays(self, assays: Iterable[Assay]) -> dict[str, int]:
        items = list(assays)
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO assays (key, name, source, description, target, category) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT(key) DO NOTHING",
                [(a.key, a.name, a.source, a.description, a.target, a.category) for a in items],
            )
            return ids_for_keys(conn, "assays", "key", [a.key for a in items])

    def upsert_results(self, results: Iterable[AssayResult]) -> int:
        """Store results without quality fields (idempotent; existing rows are kept). Returns new rows."""
        return self._insert([(r, None) for r in results], update=False).new

    def upsert_results_with_quality(
        self, items: Iterable[tuple[AssayResult, Mapping[str, Any] | None]]
    ) -> ResultCounts:
        """Store results with their quality fields; an existing result whose outcome, value, unit or
        quality differ is updated in place (a corrected file), an identical one is left alone."""
        return self._insert(list(items), update=True)

    def _insert(
        self, items: list[tuple[AssayResult, Mapping[str, Any] | None]], update: bool
    ) -> ResultCounts:
        if not items:
            return ResultCounts(0, 0)
        with self._db.transaction() as conn:
            compound_ids = ids_for_keys(conn, "compounds", "inchikey", [r.inchikey for r, _ in items])
            assay_ids = ids_for_keys(conn, "assays", "key", [r.assay_key for r, _ in items])
            unknown = {r.assay_key for r, _ in items} - assay_ids.keys()
            if unknown:
                raise ProjectError(f"results refer to assays not registered: {', '.join(sorted(unknown))}")
            rows = [
                (
                    compound_ids[r.inchikey],
                    assay_ids[r.assay_key],
                    str(r.outcome),
                    r.value,
                    r.unit,
                    str(r.provenance.method),
                    r.provenance.source,
                    r.provenance.source_record_id or "",
                    r.provenance.citation,
                    r.provenance.retrieved_at,
                    r.provenance.job_id,
                    quality_json(q),
                )
                for r, q in items
                if r.inchikey in compound_ids
            ]
            before = conn.total_changes()
            conn.executemany(_INSERT, rows)
            new = conn.total_changes() - before
            if not update:
                return ResultCounts(new, 0)
            before = conn.total_changes()
            conn.executemany(
                _UPDATE,
                [
                    (
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        r[8],
                        r[9],
                        r[10],
                        r[11],
                        r[0],
                        r[1],
                        r[6],
                        r[7],
                        r[2],
                        r[3],
                        r[4],
                        r[11],
                    )
                    for r in rows
                ],
            )
            return ResultCounts(new, conn.total_changes() - before)

    def list_assays(self) -> list[Assay]:
        rows = self._db.query(
            "SELECT key, name, source, description, target, category FROM assays ORDER BY key"
        )
        return [Assay(*r) for r in rows]

    def results_for_compound(self, inchikey: str) -> list[AssayResult]:
        return [result for result, _ in self.results_with_quality(inchikey)]

    def results_with_quality(self, inchikey: str) -> list[tuple[AssayResult, dict[str, str]]]:
        """A compound's results, each with its quality fields (empty when the source has none)."""
        sql = (
            "SELECT c.inchikey, a.key, r.outcome, r.source, r.method, r.source_record_id, r.retrieved_at,"
            " r.job_id, r.citation, r.value, r.unit, r.quality FROM assay_results r"
            " JOIN compounds c ON c.id = r.compound_id JOIN assays a ON a.id = r.assay_id"
            " WHERE c.inchikey = ? ORDER BY a.key, r.id"
        )
        out = []
        for r in self._db.query(sql, (inchikey,)):
            provenance = Provenance(r[3], Method(r[4]), r[5] or None, r[6], r[7], r[8])
            quality = {str(k): str(v) for k, v in json.loads(r[11] or "{}").items()}
            out.append((AssayResult(r[0], r[1], AssayOutcome(r[2]), provenance, r[9], r[10]), quality))
        return out

    def count_results(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM assay_results"))
