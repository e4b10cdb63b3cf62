"""The model registry and the persistent prediction cache of a project.

``models`` rows are versioned records of trained models (the artefact itself lives beside the
project, only its path and SHA-256 are here). Status moves ``candidate -> promoted -> retired``; one
version per name is promoted at a time, and each promotion is appended to a small history in
``meta`` so a rollback returns to the version that was promoted before, not merely the previous
number.

``predictions`` rows are keyed by ``(model id, subject key)``. A model id is one *version* of a
model, so a new version never sees (nor invalidates) another version's rows.

This module also reads the training labels of a property or an assay in one query each, so the
engine does not need SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from cryodesk.domain import ProjectError, utc_now_iso
from cryodesk.store._sql import IN_CHUNK, chunked, placeholders
from cryodesk.store.database import Database

MODEL_STATUSES = ("candidate", "promoted", "retired")
_COLUMNS = (
    "id, name, version, task, kind, feature_set, feature_version, params, metrics, artefact_path,"
    " artefact_sha256, status, created_at, job_id"
)
_HISTORY_KEY = "model_promotions:{name}"
_MONITOR_KEY = "model_monitor:{model_id}"
# in_domain is stored as 0/1/NULL; a dict lookup converts it faster than a conditional per row.
_DOMAIN_FLAG: dict[int | None, bool | None] = {None: None, 0: False, 1: True}


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One row of ``models`` (``params`` and ``metrics`` still JSON text, as ModelRecord.from_row wants)."""

    id: int
    name: str
    version: int
    task: str
    kind: str
    feature_set: str
    feature_version: str
    params: str
    metrics: str
    artefact_path: str | None
    artefact_sha256: str | None
    status: str
    created_at: str
    job_id: int | None

    def as_mapping(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def params_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.params or "{}"))

    @property
    def metrics_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.metrics or "{}"))

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


class CachedPrediction(NamedTuple):
    """A stored prediction of one subject by one model version.

    A named tuple rather than a dataclass: a warm batch builds tens of thousands of these per call,
    and a tuple is built about four times faster than a frozen dataclass.
    """

    value: float | None
    uncertainty: float | None
    in_domain: bool | None


@dataclass(frozen=True, slots=True)
class LabelRow:
    """A stored measurement usable as a training label."""

    compound_id: int
    inchikey: str
    value: float | None
    unit: str | None
    source: str


class ModelRepository:
    """Register, look up and change the status of model versions; the prediction cache table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- registry ------------------------------------------------------------------------------
    def next_version(self, name: str) -> int:
        return int(self._db.scalar("SELECT coalesce(max(version), 0) + 1 FROM models WHERE name = ?", (name,)))

    def register(self, row: Mapping[str, Any], job_id: int | None = None) -> ModelRow:
        """Insert a model record (a ``ModelRecord.to_row()`` mapping); ``version`` 0/None takes the next one.

        Raises:
            ProjectError: that name and version are already registered.
        """
        values = dict(row)
        with self._db.transaction() as conn:
            version = int(values.get("version") or 0) or self.next_version(values["name"])
            exists = conn.execute(
                "SELECT 1 FROM models WHERE name = ? AND version = ?", (values["name"], version)
            ).fetchone()
            if exists:
                raise ProjectError(f"model {values['name']} v{version} is already registered")
            conn.execute(
                "INSERT INTO models (name, version, task, kind, feature_set, feature_version, params, metrics,"
                " artefact_path, artefact_sha256, status, created_at, job_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (values["name"], version, values["task"], values["kind"], values["feature_set"],
                 values["feature_version"], values.get("params") or "{}", values.get("metrics") or "{}",
                 values.get("artefact_path"), values.get("artefact_sha256"),
                 values.get("status") or "candidate", values.get("created_at") or utc_now_iso(),
                 job_id if job_id is not None else values.get("job_id")),
            )
            model_id = conn.last_insert_rowid()
        return self.by_id(model_id)

    def by_id(self, model_id: int) -> ModelRow:
        rows = self._db.query(f"SELECT {_COLUMNS} FROM models WHERE id = ?", (model_id,))  # noqa: S608
        if not rows:
            raise ProjectError(f"no model with id {model_id}")
        return ModelRow(*rows[0])

    def list(self, name: str | None = None, *, include_retired: bool = True) -> list[ModelRow]:
        """Model versions by name then version (optionally one name only)."""
        sql = f"SELECT {_COLUMNS} FROM models"  # noqa: S608
        where, params = [], []
        if name is not None:
            where.append("name = ?")
            params.append(name)
        if not include_retired:
            where.append("status != 'retired'")
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [ModelRow(*r) for r in self._db.query(sql + " ORDER BY name, version", tuple(params))]

    def names(self) -> list[str]:
        return [r[0] for r in self._db.query("SELECT DISTINCT name FROM models ORDER BY name")]

    def get(self, name: str, version: int | None = None) -> ModelRow:
        """A version of ``name``; without a version the promoted one, else the newest not retired.

        Raises:
            ProjectError: no such model or version.
        """
        if version is not None:
            rows = self._db.query(f"SELECT {_COLUMNS} FROM models WHERE name = ? AND version = ?",  # noqa: S608
                                  (name, int(version)))
            if not rows:
                raise ProjectError(f"model {name} has no version {version}")
            return ModelRow(*rows[0])
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM models WHERE name = ? AND status != 'retired'"  # noqa: S608
            " ORDER BY status = 'promoted' DESC, version DESC LIMIT 1",
            (name,),
        )
        if not rows:
            raise ProjectError(f"no usable model named {name!r}")
        return ModelRow(*rows[0])

    def promoted(self, name: str) -> ModelRow | None:
        rows = self._db.query(f"SELECT {_COLUMNS} FROM models WHERE name = ? AND status = 'promoted'",  # noqa: S608
                              (name,))
        return ModelRow(*rows[0]) if rows else None

    def promote(self, name: str, version: int) -> ModelRow:
        """Make ``version`` the promoted one (the previously promoted goes back to candidate)."""
        target = self.get(name, version)
        if target.status == "retired":
            raise ProjectError(f"{target.label} is retired; register or un-retire a usable version")
        with self._db.transaction():
            self._set_promoted(target)
            history = self._history(name)
            if not history or history[-1] != target.version:
                history.append(target.version)
            self._save_history(name, history)
        return self.by_id(target.id)

    def rollback(self, name: str) -> ModelRow:
        """Re-promote the version promoted before the current one (skipping retired versions).

        Without a recorded history, the highest non-retired version below the current one is used.

        Raises:
            ProjectError: there is nothing to roll back to.
        """
        current = self.promoted(name)
        history = self._history(name)
        if current is not None and history and history[-1] == current.version:
            history.pop()
        usable = {r.version: r for r in self.list(name, include_retired=False)}
        while history and history[-1] not in usable:
            history.pop()
        if history:
            target = usable[history[-1]]
        else:
            below = [v for v in usable if current is None or v < current.version]
            if not below:
                raise ProjectError(f"model {name} has no earlier usable version to roll back to")
            target = usable[max(below)]
            history = [target.version]
        with self._db.transaction():
            self._set_promoted(target)
            self._save_history(name, history)
        return self.by_id(target.id)

    def retire(self, name: str, version: int) -> ModelRow:
        """Retire a version: it is never used again by name and its cached predictions are dropped."""
        target = self.get(name, version)
        with self._db.transaction() as conn:
            conn.execute("UPDATE models SET status = 'retired' WHERE id = ?", (target.id,))
            conn.execute("DELETE FROM predictions WHERE model_id = ?", (target.id,))
        return self.by_id(target.id)

    def update_metrics(self, model_id: int, metrics: Mapping[str, Any]) -> None:
        """Merge ``metrics`` into the record's metrics JSON (e.g. a later held-out evaluation)."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT metrics FROM models WHERE id = ?", (model_id,)).fetchone()
            if row is None:
                raise ProjectError(f"no model with id {model_id}")
            merged = {**json.loads(row[0] or "{}"), **metrics}
            conn.execute("UPDATE models SET metrics = ? WHERE id = ?",
                         (json.dumps(merged, sort_keys=True, default=str), model_id))

    def _set_promoted(self, target: ModelRow) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE models SET status = 'candidate' WHERE name = ? AND status = 'promoted'",
                         (target.name,))
            conn.execute("UPDATE models SET status = 'promoted' WHERE id = ?", (target.id,))

    def _history(self, name: str) -> list[int]:
        raw = self._db.scalar("SELECT value FROM meta WHERE key = ?", (_HISTORY_KEY.format(name=name),))
        return [int(v) for v in json.loads(raw)] if raw else []

    def _save_history(self, name: str, history: list[int]) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (_HISTORY_KEY.format(name=name), json.dumps(history[-50:])),
            )

    # -- prediction cache ------------------------------------------------------------------------
    def put_predictions(
        self, model_id: int, rows: Iterable[tuple[str, float | None, float | None, bool | None]]
    ) -> int:
        """Upsert ``(subject key, value, uncertainty, in_domain)`` rows in one transaction."""
        now = utc_now_iso()
        items = [
            (model_id, key, _real(value), _real(unc), None if dom is None else int(bool(dom)), now)
            for key, value, unc, dom in rows
        ]
        if not items:
            return 0
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO predictions (model_id, subject_key, value, uncertainty, in_domain, created_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(model_id, subject_key) DO UPDATE SET value = excluded.value,"
                " uncertainty = excluded.uncertainty, in_domain = excluded.in_domain,"
                " created_at = excluded.created_at",
                items,
            )
        return len(items)

    def read_predictions(self, model_id: int, keys: Sequence[str]) -> dict[str, CachedPrediction]:
        """Stored predictions of ``keys`` by one model version (missing keys are simply absent).

        What a warm read costs is building the Python rows, not the SQL: a set-based variant (all keys
        as one JSON array through ``json_each``) measured 0.86-1.18 times the speed of these
        900-key statements (``tests/bench/bench_prediction.py``), so the simpler form stays; the rows
        are named tuples and the domain flag a dict lookup.
        """
        out: dict[str, CachedPrediction] = {}
        conn = self._db.connection()
        make = CachedPrediction
        domain = _DOMAIN_FLAG
        for batch in chunked(dict.fromkeys(keys), IN_CHUNK):
            sql = (
                "SELECT subject_key, value, uncertainty, in_domain FROM predictions"  # noqa: S608
                f" WHERE model_id = ? AND subject_key IN ({placeholders(len(batch))})"
            )
            rows = conn.execute(sql, (model_id, *batch))
            out.update({key: make(value, unc, domain[dom]) for key, value, unc, dom in rows})
        return out

    def all_predictions(self, model_id: int) -> dict[str, CachedPrediction]:
        rows = self._db.query(
            "SELECT subject_key, value, uncertainty, in_domain FROM predictions WHERE model_id = ?", (model_id,)
        )
        return {k: CachedPrediction(v, u, _DOMAIN_FLAG[d]) for k, v, u, d in rows}

    def count_predictions(self, model_id: int) -> int:
        return int(self._db.scalar("SELECT count(*) FROM predictions WHERE model_id = ?", (model_id,)))

    def invalidate_predictions(self, model_id: int) -> int:
        """Drop one model version's cached predictions (other versions keep theirs). Returns rows dropped."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM predictions WHERE model_id = ?", (model_id,))
            return conn.changes()

    # -- monitoring snapshots ------------------------------------------------------------------------
    def save_monitor(self, model_id: int, snapshot: Mapping[str, Any]) -> None:
        """Persist a model version's monitoring counters (read by ``cryodesk models monitor``)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (_MONITOR_KEY.format(model_id=model_id), json.dumps(snapshot, default=float)),
            )

    def load_monitor(self, model_id: int) -> dict[str, Any] | None:
        raw = self._db.scalar("SELECT value FROM meta WHERE key = ?", (_MONITOR_KEY.format(model_id=model_id),))
        return dict(json.loads(raw)) if raw else None

    # -- training labels -----------------------------------------------------------------------------
    def property_labels(self, prop: str, *, include_predicted: bool = False) -> list[LabelRow]:
        """Numeric values of a property (predicted values excluded unless asked: no training on our output)."""
        sql = (
            "SELECT p.compound_id, c.inchikey, p.value, p.unit, p.source FROM property_values p"
            " JOIN compounds c ON c.id = p.compound_id WHERE p.property = ? AND p.value IS NOT NULL"
        )
        if not include_predicted:
            sql += " AND p.method != 'predicted'"
        return [LabelRow(*r) for r in self._db.query(sql + " ORDER BY p.compound_id, p.id", (prop,))]

    def assay_labels(self, assay_key: str) -> list[tuple[int, str, str]]:
        """``(compound id, InChIKey, outcome)`` of every result of an assay, by compound."""
        sql = (
            "SELECT r.compound_id, c.inchikey, r.outcome FROM assay_results r"
            " JOIN compounds c ON c.id = r.compound_id JOIN assays a ON a.id = r.assay_id"
            " WHERE a.key = ? ORDER BY r.compound_id, r.id"
        )
        return [(int(a), str(b), str(c)) for a, b, c in self._db.query(sql, (assay_key,))]

    def assay_keys(self) -> list[str]:
        return [r[0] for r in self._db.query("SELECT key FROM assays ORDER BY key")]


def _real(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if number == number else None  # NaN -> NULL
