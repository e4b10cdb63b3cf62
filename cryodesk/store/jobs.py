"""Job records with parameters, state, progress, per-row errors, metrics and resumable checkpoints.

This is the one checkpoint mechanism of CryoDesk: every job (file import, online import, featurise,
screen) writes its checkpoint with ``save_checkpoint`` *inside the same transaction* as the rows the
checkpoint covers, so after a crash either both are there or neither is, and a resumed job neither
repeats nor skips work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryodesk.domain import JobState, ProjectError, RowError, utc_now_iso
from cryodesk.store.database import Database

RESUMABLE_STATES = (JobState.PENDING, JobState.RUNNING, JobState.PAUSED, JobState.FAILED)


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: int
    kind: str
    params: dict[str, Any]
    fingerprint: str | None
    state: JobState
    control: str | None
    done: int
    total: int | None
    message: str | None
    checkpoint: dict[str, Any] | None
    metrics: dict[str, Any]
    error: str | None
    created_at: str
    updated_at: str
    finished_at: str | None
    n_row_errors: int = 0


_COLUMNS = (
    "id, kind, params, fingerprint, state, control, done, total, message, checkpoint, metrics, error,"
    " created_at, updated_at, finished_at, (SELECT count(*) FROM job_row_errors e WHERE e.job_id = jobs.id)"
)


def _record(row: tuple) -> JobRecord:
    return JobRecord(
        id=row[0], kind=row[1], params=json.loads(row[2]), fingerprint=row[3], state=JobState(row[4]),
        control=row[5], done=row[6], total=row[7], message=row[8],
        checkpoint=json.loads(row[9]) if row[9] else None, metrics=json.loads(row[10]) if row[10] else {},
        error=row[11], created_at=row[12], updated_at=row[13], finished_at=row[14], n_row_errors=row[15],
    )


class JobRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, kind: str, params: dict[str, Any], fingerprint: str | None = None) -> int:
        now = utc_now_iso()
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (kind, params, fingerprint, state, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                (kind, json.dumps(params, sort_keys=True), fingerprint, str(JobState.PENDING), now, now),
            )
            return conn.last_insert_rowid()

    def find_resumable(self, kind: str, fingerprint: str) -> JobRecord | None:
        """The newest unfinished job that did the same work (same kind and fingerprint), if any."""
        states = ",".join(f"'{s}'" for s in RESUMABLE_STATES)
        row = self._db.connection().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND fingerprint = ? AND state IN ({states})"  # noqa: S608
            " ORDER BY id DESC LIMIT 1",
            (kind, fingerprint),
        ).fetchone()
        return None if row is None else _record(row)

    def get(self, job_id: int) -> JobRecord:
        row = self._db.connection().execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()  # noqa: S608
        if row is None:
            raise ProjectError(f"no job with id {job_id}")
        return _record(row)

    def list(self, limit: int = 100) -> list[JobRecord]:
        sql = f"SELECT {_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?"  # noqa: S608
        return [_record(r) for r in self._db.query(sql, (limit,))]

    def set_state(self, job_id: int, state: JobState, message: str | None = None, error: str | None = None) -> None:
        finished = utc_now_iso() if state in (JobState.DONE, JobState.CANCELLED, JobState.FAILED) else None
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET state = ?, message = coalesce(?, message), error = ?, updated_at = ?,"
                " finished_at = ?, control = CASE WHEN ? IN ('running') THEN NULL ELSE control END WHERE id = ?",
                (str(state), message, error, utc_now_iso(), finished, str(state), job_id),
            )

    def update_progress(self, job_id: int, done: int, total: int | None, message: str | None = None) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET done = ?, total = ?, message = coalesce(?, message), updated_at = ? WHERE id = ?",
                (done, total, message, utc_now_iso(), job_id),
            )

    def save_checkpoint(self, job_id: int, checkpoint: dict[str, Any], done: int | None = None) -> None:
        """Record how far the job got. Call inside the transaction that wrote the covered rows."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET checkpoint = ?, done = coalesce(?, done), updated_at = ? WHERE id = ?",
                (json.dumps(checkpoint, sort_keys=True), done, utc_now_iso(), job_id),
            )

    def add_row_errors(self, job_id: int, errors: Iterable[RowError]) -> None:
        rows = [(job_id, e.row, e.field or "", e.reason, e.value) for e in errors]
        if not rows:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO job_row_errors (job_id, row, field, reason, value) VALUES (?,?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                rows,
            )

    def row_errors(self, job_id: int, limit: int | None = None) -> list[RowError]:
        sql = "SELECT row, reason, field, value FROM job_row_errors WHERE job_id = ? ORDER BY row, id LIMIT ?"
        rows = self._db.query(sql, (job_id, -1 if limit is None else limit))
        return [RowError(row=r[0], reason=r[1], field=r[2] or None, value=r[3]) for r in rows]

    def merge_metrics(self, job_id: int, metrics: dict[str, Any]) -> None:
        """Add numeric metrics to the stored ones (other values replace)."""
        with self._db.transaction() as conn:
            stored = conn.execute("SELECT metrics FROM jobs WHERE id = ?", (job_id,)).fetchone()
            merged = json.loads(stored[0]) if stored and stored[0] else {}
            for key, value in metrics.items():
                old = merged.get(key)
                both_numbers = isinstance(value, int | float) and isinstance(old, int | float)
                merged[key] = old + value if both_numbers else value
            conn.execute("UPDATE jobs SET metrics = ? WHERE id = ?", (json.dumps(merged, sort_keys=True), job_id))

    def request(self, job_id: int, control: str) -> None:
        """Ask a running job (maybe in another process) to 'pause' or 'cancel' at its next checkpoint."""
        if control not in ("pause", "cancel"):
            raise ValueError(f"unknown job control {control!r}")
        with self._db.transaction() as conn:
            conn.execute("UPDATE jobs SET control = ?, updated_at = ? WHERE id = ?", (control, utc_now_iso(), job_id))

    def control(self, job_id: int) -> str | None:
        return self._db.scalar("SELECT control FROM jobs WHERE id = ?", (job_id,))
