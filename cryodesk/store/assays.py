"""Assays (e.g. the 12 Tox21 tasks) and per-compound results with provenance."""

from __future__ import annotations

from collections.abc import Iterable

from cryodesk.domain import Assay, AssayOutcome, AssayResult, Method, ProjectError, Provenance
from cryodesk.store._sql import ids_for_keys
from cryodesk.store.database import Database


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
        """Store results (idempotent on compound, assay, source and source record). Returns new rows."""
        items = list(results)
        if not items:
            return 0
        with self._db.transaction() as conn:
            before = conn.total_changes()
            compound_ids = ids_for_keys(conn, "compounds", "inchikey", [r.inchikey for r in items])
            assay_ids = ids_for_keys(conn, "assays", "key", [r.assay_key for r in items])
            unknown = {r.assay_key for r in items} - assay_ids.keys()
            if unknown:
                raise ProjectError(f"results refer to assays not registered: {', '.join(sorted(unknown))}")
            rows = [
                (compound_ids[r.inchikey], assay_ids[r.assay_key], str(r.outcome), r.value, r.unit,
                 str(r.provenance.method), r.provenance.source, r.provenance.source_record_id or "",
                 r.provenance.citation, r.provenance.retrieved_at, r.provenance.job_id)
                for r in items
                if r.inchikey in compound_ids and r.assay_key in assay_ids
            ]
            conn.executemany(
                "INSERT INTO assay_results (compound_id, assay_id, outcome, value, unit, method, source,"
                " source_record_id, citation, retrieved_at, job_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                rows,
            )
            return conn.total_changes() - before

    def list_assays(self) -> list[Assay]:
        rows = self._db.query("SELECT key, name, source, description, target, category FROM assays ORDER BY key")
        return [Assay(*r) for r in rows]

    def results_for_compound(self, inchikey: str) -> list[AssayResult]:
        sql = (
            "SELECT c.inchikey, a.key, r.outcome, r.source, r.method, r.source_record_id, r.retrieved_at,"
            " r.job_id, r.citation, r.value, r.unit FROM assay_results r"
            " JOIN compounds c ON c.id = r.compound_id JOIN assays a ON a.id = r.assay_id"
            " WHERE c.inchikey = ? ORDER BY a.key, r.id"
        )
        out = []
        for r in self._db.query(sql, (inchikey,)):
            provenance = Provenance(r[3], Method(r[4]), r[5] or None, r[6], r[7], r[8])
            out.append(AssayResult(r[0], r[1], AssayOutcome(r[2]), provenance, r[9], r[10]))
        return out

    def count_results(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM assay_results"))
