"""The feature cache: one row per (compound, feature set, version), read back as one matrix.

Rows are raw little-endian bytes (float32 descriptors or packed fingerprint bits), so a warm read
is one query plus one ``np.frombuffer`` over the joined blobs, with no per-row Python parsing.
A new version of a feature set simply misses the cache; ``drop_other_versions`` reclaims space.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from cryodesk.store._sql import IN_CHUNK, chunked, placeholders
from cryodesk.store.database import Database

# A selection up to this many compounds is read by id (a few indexed queries); a larger one reads the
# whole set once and filters it, which is cheaper than tens of IN queries.
SELECTION_BY_ID_MAX = 20_000


class FeatureCacheRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def put_many(self, feature_set: str, version: str, rows: Iterable[tuple[int, bytes]]) -> int:
        """Store (compound id, row bytes); existing rows of the same set and version are replaced."""
        items = [(feature_set, version, cid, blob) for cid, blob in rows]
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO feature_cache (feature_set, version, compound_id, data) VALUES (?,?,?,?)"
                " ON CONFLICT(feature_set, version, compound_id) DO UPDATE SET data = excluded.data",
                items,
            )
        return len(items)

    def read(self, feature_set: str, version: str, dtype: str, width: int,
             compound_ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cached rows as ``(ids, matrix[n, width])``, restricted to ``compound_ids`` when given.

        The ids come back sorted; rows whose byte length does not match ``width`` (a corrupt or
        foreign row) are skipped, so they are recomputed rather than misread.
        """
        row_bytes = np.dtype(dtype).itemsize * width
        where = "feature_set = ? AND version = ? AND length(data) = ?"
        conn = self._db.connection()
        if compound_ids is not None and len(compound_ids) <= SELECTION_BY_ID_MAX:
            wanted = sorted({int(c) for c in compound_ids})
            rows = []
            for batch in chunked(wanted, IN_CHUNK):
                sql = (f"SELECT compound_id, data FROM feature_cache WHERE {where}"  # noqa: S608 (placeholders only)
                       f" AND compound_id IN ({placeholders(len(batch))}) ORDER BY compound_id")
                rows.extend(conn.execute(sql, (feature_set, version, row_bytes, *batch)).fetchall())
            return _as_matrix(rows, dtype, width)
        rows = conn.execute(
            f"SELECT compound_id, data FROM feature_cache WHERE {where} ORDER BY compound_id",  # noqa: S608
            (feature_set, version, row_bytes),
        ).fetchall()
        ids, matrix = _as_matrix(rows, dtype, width)
        if compound_ids is not None:
            keep = np.isin(ids, np.asarray(compound_ids, np.int64))
            ids, matrix = ids[keep], matrix[keep]
        return ids, matrix

    def cached_ids(self, feature_set: str, version: str) -> set[int]:
        rows = self._db.query("SELECT compound_id FROM feature_cache WHERE feature_set = ? AND version = ?",
                              (feature_set, version))
        return {r[0] for r in rows}

    def drop_other_versions(self, feature_set: str, version: str) -> int:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM feature_cache WHERE feature_set = ? AND version != ?", (feature_set, version))
            return conn.changes()


def _as_matrix(rows: list[tuple[int, bytes]], dtype: str, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, matrix) from rows in id order. The ids and bytes are joined in C (zip, numpy,
    ``bytes.join``): a warm read of 100,000 rows does no Python work per row."""
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, width), dtype)
    id_column, blobs = zip(*rows, strict=True)
    ids = np.array(id_column, np.int64)
    return ids, np.frombuffer(b"".join(blobs), dtype=dtype).reshape(len(rows), width)
