"""Read (and flag-update) queries behind data quality, reconciliation and lineage.

Everything here is parameterised SQL over the existing tables; the engine (``cryodesk.engine.quality``,
``reconcile``, ``lineage``) turns the rows into reports. No schema of its own: reconciliation winners
and reference disagreements are recorded as entries of ``property_values.flags`` (a comma-joined list),
which keeps every losing value in place and needs no migration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryodesk.store._sql import IN_CHUNK, chunked, placeholders
from cryodesk.store.database import Database


@dataclass(frozen=True, slots=True)
class ValueRow:
    """One stored property value with everything reconciliation and validation look at."""

    id: int
    compound_id: int
    property: str
    value: float | None
    value_text: str | None
    unit: str | None
    method: str
    conditions: str
    source: str
    source_record_id: str
    citation: str | None
    retrieved_at: str | None
    job_id: int | None
    flags: str

    @property
    def flag_list(self) -> list[str]:
        return [f for f in self.flags.split(",") if f]


_VALUE_COLUMNS = (
    "p.id, p.compound_id, p.property, p.value, p.value_text, p.unit, p.method, p.conditions, p.source,"
    " p.source_record_id, p.citation, p.retrieved_at, p.job_id, p.flags"
)


def _value_rows(rows: Iterable[tuple[Any, ...]]) -> list[ValueRow]:
    return [ValueRow(*r) for r in rows]


# ------------------------------------------------------------------------------------- coverage
def compound_totals(db: Database) -> tuple[int, int]:
    """(compounds, compounds with a structure)."""
    row = db.connection().execute(
        "SELECT count(*), coalesce(sum(smiles IS NOT NULL AND smiles != ''), 0) FROM compounds"
    ).fetchone()
    return int(row[0]), int(row[1])


def compounds_with_identifiers(db: Database, ignore_kinds: Sequence[str] = ()) -> int:
    """Compounds with at least one identifier whose kind is not in ``ignore_kinds``."""
    sql = "SELECT count(DISTINCT compound_id) FROM identifiers"
    if ignore_kinds:
        sql += f" WHERE kind NOT IN ({placeholders(len(ignore_kinds))})"
    return int(db.scalar(sql, tuple(ignore_kinds)))


def identifier_kind_coverage(db: Database) -> dict[str, int]:
    """Identifier kind -> compounds that have one."""
    rows = db.query("SELECT kind, count(DISTINCT compound_id) FROM identifiers GROUP BY kind ORDER BY kind")
    return {str(r[0]): int(r[1]) for r in rows}


def property_coverage(db: Database) -> dict[str, tuple[int, int]]:
    """Property -> (compounds with a value, values)."""
    rows = db.query(
        "SELECT property, count(DISTINCT compound_id), count(*) FROM property_values GROUP BY property"
        " ORDER BY property"
    )
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def compounds_with_properties(db: Database, properties: Sequence[str]) -> int:
    """Compounds with a value of at least one of ``properties``."""
    if not properties:
        return 0
    sql = (f"SELECT count(DISTINCT compound_id) FROM property_values"  # noqa: S608 - placeholders only
           f" WHERE property IN ({placeholders(len(properties))})")
    return int(db.scalar(sql, tuple(properties)))


def assay_coverage(db: Database) -> dict[str, tuple[int, int]]:
    """Assay key -> (compounds tested, compounds active)."""
    rows = db.query(
        "SELECT a.key, count(DISTINCT r.compound_id),"
        " count(DISTINCT CASE WHEN r.outcome = 'active' THEN r.compound_id END)"
        " FROM assays a LEFT JOIN assay_results r ON r.assay_id = a.id GROUP BY a.id ORDER BY a.key"
    )
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def compounds_with_assay_results(db: Database) -> int:
    return int(db.scalar("SELECT count(DISTINCT compound_id) FROM assay_results"))


def mixture_component_totals(db: Database) -> tuple[int, int]:
    """(mixture components, components linked to a compound structure)."""
    row = db.connection().execute(
        "SELECT count(*), coalesce(sum(compound_id IS NOT NULL), 0) FROM mixture_components"
    ).fetchone()
    return int(row[0]), int(row[1])


# ------------------------------------------------------------------------------- one import job
def row_errors(db: Database, job_ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """(row, field, reason) of the per-row errors of ``job_ids``."""
    out: list[tuple[int, str, str]] = []
    for batch in chunked(dict.fromkeys(job_ids), IN_CHUNK):
        sql = (f"SELECT row, field, reason FROM job_row_errors"  # noqa: S608 - placeholders only
               f" WHERE job_id IN ({placeholders(len(batch))}) ORDER BY job_id, row, id")
        out.extend((int(r[0]), str(r[1] or ""), str(r[2])) for r in db.query(sql, tuple(batch)))
    return out


def job_value_counts(db: Database, job_id: int) -> dict[str, int]:
    """Property -> values the job stored."""
    rows = db.query("SELECT property, count(*) FROM property_values WHERE job_id = ? GROUP BY property", (job_id,))
    return {str(r[0]): int(r[1]) for r in rows}


def job_assay_counts(db: Database, job_id: int) -> dict[str, int]:
    """Assay key -> results the job stored."""
    rows = db.query(
        "SELECT a.key, count(*) FROM assay_results r JOIN assays a ON a.id = r.assay_id WHERE r.job_id = ?"
        " GROUP BY a.key",
        (job_id,),
    )
    return {str(r[0]): int(r[1]) for r in rows}


def job_compound_count(db: Database, job_id: int) -> int:
    """Distinct compounds the job stored values or assay results for."""
    return int(db.scalar(
        "SELECT count(*) FROM (SELECT compound_id FROM property_values WHERE job_id = :j"
        " UNION SELECT compound_id FROM assay_results WHERE job_id = :j)",
        {"j": job_id},
    ))


def values_in_groups_of_job(db: Database, job_id: int) -> list[ValueRow]:
    """Every numeric value of each (compound, property) the job wrote a numeric value to."""
    sql = (
        f"SELECT {_VALUE_COLUMNS} FROM property_values p"  # noqa: S608 - constant column list
        " JOIN (SELECT DISTINCT compound_id, property FROM property_values WHERE job_id = ? AND value IS NOT NULL) t"
        " ON t.compound_id = p.compound_id AND t.property = p.property"
        " WHERE p.value IS NOT NULL ORDER BY p.property, p.compound_id, p.id"
    )
    return _value_rows(db.query(sql, (job_id,)))


def job_ids_of_source(db: Database, source: str) -> list[int]:
    """Jobs that wrote values or assay results of ``source``."""
    rows = db.query(
        "SELECT job_id FROM property_values WHERE source = :s AND job_id IS NOT NULL"
        " UNION SELECT job_id FROM assay_results WHERE source = :s AND job_id IS NOT NULL ORDER BY 1",
        {"s": source},
    )
    return [int(r[0]) for r in rows]


# ------------------------------------------------------------------------------------ values
def numeric_values(db: Database, prop: str | None = None, compound_ids: Sequence[int] | None = None,
                   multi_only: bool = False) -> list[ValueRow]:
    """Numeric values, ordered by property, compound and id.

    Args:
        prop: one property (all when None).
        compound_ids: only these compounds (all when None).
        multi_only: only (compound, property) groups with two or more numeric values.
    """
    where = ["p.value IS NOT NULL"]
    params: list[Any] = []
    if prop is not None:
        where.append("p.property = ?")
        params.append(prop)
    if multi_only:
        inner = "SELECT compound_id, property FROM property_values WHERE value IS NOT NULL"
        if prop is not None:
            inner += " AND property = ?"
            params.append(prop)
        where.append(f"(p.compound_id, p.property) IN ({inner} GROUP BY 1, 2 HAVING count(*) > 1)")
    # The WHERE clauses above are constants with placeholders; no input is spliced in.
    base = f"SELECT {_VALUE_COLUMNS} FROM property_values p WHERE " + " AND ".join(where)  # noqa: S608
    if compound_ids is None:
        return _value_rows(db.query(base + " ORDER BY p.property, p.compound_id, p.id", tuple(params)))
    out: list[ValueRow] = []
    for batch in chunked(dict.fromkeys(compound_ids), IN_CHUNK - len(params)):
        sql = f"{base} AND p.compound_id IN ({placeholders(len(batch))})"
        out.extend(_value_rows(db.query(sql, (*params, *batch))))
    return sorted(out, key=lambda v: (v.property, v.compound_id, v.id))


def numeric_properties(db: Database) -> list[str]:
    """Properties with at least one numeric value."""
    return [str(r[0]) for r in db.query(
        "SELECT DISTINCT property FROM property_values WHERE value IS NOT NULL ORDER BY property")]


def value_by_id(db: Database, value_id: int) -> ValueRow | None:
    rows = db.query(f"SELECT {_VALUE_COLUMNS} FROM property_values p WHERE p.id = ?", (value_id,))  # noqa: S608
    return ValueRow(*rows[0]) if rows else None


def values_of(db: Database, compound_id: int, prop: str) -> list[ValueRow]:
    """All values (numeric and text) of one compound's property, oldest first."""
    sql = f"SELECT {_VALUE_COLUMNS} FROM property_values p WHERE p.compound_id = ? AND p.property = ? ORDER BY p.id"  # noqa: S608
    return _value_rows(db.query(sql, (compound_id, prop)))


def flagged_values(db: Database, prop: str, flag_prefix: str) -> list[ValueRow]:
    """Values of ``prop`` carrying a flag that starts with ``flag_prefix``."""
    sql = (
        f"SELECT {_VALUE_COLUMNS} FROM property_values p WHERE p.property = ?"  # noqa: S608
        " AND instr(',' || p.flags, ',' || ?) > 0 ORDER BY p.compound_id, p.id"
    )
    return _value_rows(db.query(sql, (prop, flag_prefix)))


def max_value_id(db: Database, prop: str) -> int:
    return int(db.scalar("SELECT coalesce(max(id), 0) FROM property_values WHERE property = ?", (prop,)))


def set_flags(db: Database, updates: Sequence[tuple[int, str]]) -> int:
    """Replace the flags of values: ``(value id, new comma-joined flags)``. Joins the caller's transaction."""
    if not updates:
        return 0
    with db.transaction() as conn:
        conn.executemany("UPDATE property_values SET flags = ? WHERE id = ?", [(f, i) for i, f in updates])
    return len(updates)


# --------------------------------------------------------------------------------- reference set
def compounds_of_source(db: Database, source: str) -> list[int]:
    """Compounds that ``source`` named or gave values for (e.g. the curated reference CPAs)."""
    rows = db.query(
        "SELECT compound_id FROM identifiers WHERE source = :s UNION SELECT compound_id FROM property_values"
        " WHERE source = :s ORDER BY 1",
        {"s": source},
    )
    return [int(r[0]) for r in rows]


# ------------------------------------------------------------------------------ per-source report
def value_sources(db: Database) -> list[str]:
    """Every source key that has values, results or identifiers, plus the registered sources."""
    rows = db.query(
        "SELECT source FROM property_values UNION SELECT source FROM assay_results"
        " UNION SELECT source FROM identifiers UNION SELECT key FROM sources ORDER BY 1"
    )
    return [str(r[0]) for r in rows]


def source_record(db: Database, source: str) -> tuple[Any, ...] | None:
    """(key, title, licence, citation, url, notes, retrieved_at) of a registered source."""
    rows = db.query(
        "SELECT key, title, licence, citation, url, notes, retrieved_at FROM sources WHERE key = ?", (source,))
    return rows[0] if rows else None


def source_property_stats(db: Database, source: str) -> list[tuple[str, str | None, str, int, int, int]]:
    """(property, unit, method, values, numeric values, compounds) for one source."""
    rows = db.query(
        "SELECT property, unit, method, count(*), count(value), count(DISTINCT compound_id) FROM property_values"
        " WHERE source = ? GROUP BY property, unit, method ORDER BY property, unit",
        (source,),
    )
    return [(str(r[0]), r[1], str(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


def source_assay_stats(db: Database, source: str) -> tuple[int, int, int]:
    """(results, compounds, active results) for one source."""
    row = db.connection().execute(
        "SELECT count(*), count(DISTINCT compound_id), coalesce(sum(outcome = 'active'), 0) FROM assay_results"
        " WHERE source = ?",
        (source,),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def source_identifier_stats(db: Database, source: str) -> dict[str, int]:
    rows = db.query("SELECT kind, count(*) FROM identifiers WHERE source = ? GROUP BY kind ORDER BY kind", (source,))
    return {str(r[0]): int(r[1]) for r in rows}


def source_flag_counts(db: Database, source: str) -> list[tuple[str, int]]:
    """(flags text, values) for one source's values with flags."""
    rows = db.query(
        "SELECT flags, count(*) FROM property_values WHERE source = ? AND flags != '' GROUP BY flags", (source,))
    return [(str(r[0]), int(r[1])) for r in rows]


# ---------------------------------------------------------------------------------------- lineage
def compound_by_id(db: Database, compound_id: int) -> tuple[Any, ...] | None:
    """(id, inchikey, name, smiles, std_version, created_at, updated_at)."""
    rows = db.query(
        "SELECT id, inchikey, name, smiles, std_version, created_at, updated_at FROM compounds WHERE id = ?",
        (compound_id,),
    )
    return rows[0] if rows else None


def compound_by_key(db: Database, inchikey: str) -> tuple[Any, ...] | None:
    rows = db.query(
        "SELECT id, inchikey, name, smiles, std_version, created_at, updated_at FROM compounds WHERE inchikey = ?",
        (inchikey,),
    )
    return rows[0] if rows else None


def jobs_for_compound(db: Database, compound_id: int) -> list[tuple[int, str, int]]:
    """(job id, source, rows written) of the jobs that wrote values or assay results of a compound."""
    rows = db.query(
        "SELECT job_id, source, count(*) FROM (SELECT job_id, source FROM property_values WHERE compound_id = :c"
        " UNION ALL SELECT job_id, source FROM assay_results WHERE compound_id = :c)"
        " WHERE job_id IS NOT NULL GROUP BY job_id, source ORDER BY job_id",
        {"c": compound_id},
    )
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


def identifier_sources_for_compound(db: Database, compound_id: int) -> list[tuple[str, int]]:
    rows = db.query(
        "SELECT source, count(*) FROM identifiers WHERE compound_id = ? GROUP BY source ORDER BY source",
        (compound_id,),
    )
    return [(str(r[0]), int(r[1])) for r in rows]


def row_errors_of_record(db: Database, job_id: int, row: int) -> list[tuple[str, str, str | None]]:
    """(field, reason, value) of the errors a job recorded for one input row."""
    rows = db.query(
        "SELECT field, reason, value FROM job_row_errors WHERE job_id = ? AND row = ? ORDER BY id", (job_id, row))
    return [(str(r[0] or ""), str(r[1]), r[2]) for r in rows]


_MODEL_COLUMNS = (
    "id, name, version, task, kind, feature_set, feature_version, params, metrics, artefact_path,"
    " artefact_sha256, status, created_at, job_id"
)
MODEL_FIELDS = tuple(c.strip() for c in _MODEL_COLUMNS.split(","))


def model_by_id(db: Database, model_id: int) -> dict[str, Any] | None:
    rows = db.query(f"SELECT {_MODEL_COLUMNS} FROM models WHERE id = ?", (model_id,))  # noqa: S608
    return dict(zip(MODEL_FIELDS, rows[0], strict=True)) if rows else None


def model_by_name(db: Database, name: str, version: int | None = None) -> dict[str, Any] | None:
    """A model version by name: ``version``, else the newest promoted one, else the newest."""
    if version is not None:
        rows = db.query(f"SELECT {_MODEL_COLUMNS} FROM models WHERE name = ? AND version = ?",  # noqa: S608
                        (name, version))
    else:
        rows = db.query(
            f"SELECT {_MODEL_COLUMNS} FROM models WHERE name = ?"  # noqa: S608
            " ORDER BY status = 'promoted' DESC, version DESC LIMIT 1",
            (name,),
        )
    return dict(zip(MODEL_FIELDS, rows[0], strict=True)) if rows else None


def prediction_row(db: Database, model_id: int, subject_key: str) -> tuple[Any, ...] | None:
    """(value, uncertainty, in_domain, created_at) of one stored prediction."""
    rows = db.query(
        "SELECT value, uncertainty, in_domain, created_at FROM predictions WHERE model_id = ? AND subject_key = ?",
        (model_id, subject_key),
    )
    return rows[0] if rows else None


def feature_cached(db: Database, compound_id: int, feature_set: str, version: str) -> bool:
    return db.scalar(
        "SELECT 1 FROM feature_cache WHERE feature_set = ? AND version = ? AND compound_id = ?",
        (feature_set, version, compound_id),
    ) is not None


def promoted_predictions(db: Database, task: str, subject_keys: Sequence[str]) -> dict[str, tuple[float, float | None]]:
    """Subject key -> (value, uncertainty) from the newest promoted model of ``task``, where stored."""
    model = db.query(
        "SELECT id FROM models WHERE task = ? AND status = 'promoted' ORDER BY version DESC LIMIT 1", (task,))
    if not model:
        return {}
    found: dict[str, tuple[float, float | None]] = {}
    for batch in chunked(dict.fromkeys(subject_keys), IN_CHUNK - 1):
        sql = (f"SELECT subject_key, value, uncertainty FROM predictions WHERE model_id = ?"  # noqa: S608
               f" AND value IS NOT NULL AND subject_key IN ({placeholders(len(batch))})")
        found.update({str(r[0]): (float(r[1]), r[2]) for r in db.query(sql, (model[0][0], *batch))})
    return found


def predicted_compound_ids(db: Database, task: str) -> list[int]:
    """Compounds with a stored prediction by the newest promoted model of ``task``."""
    rows = db.query(
        "SELECT c.id FROM predictions p JOIN compounds c ON c.inchikey = p.subject_key"
        " WHERE p.value IS NOT NULL AND p.model_id = (SELECT id FROM models WHERE task = ? AND status = 'promoted'"
        " ORDER BY version DESC LIMIT 1) ORDER BY c.id",
        (task,),
    )
    return [int(r[0]) for r in rows]


# ----------------------------------------------------------------------------------------- scoring
def assay_active_counts(db: Database, source_prefix: str) -> dict[int, tuple[int, int]]:
    """Compound id -> (assays tested, assays active) over assays whose key starts with ``source_prefix``."""
    rows = db.query(
        "SELECT r.compound_id, count(DISTINCT r.assay_id),"
        " count(DISTINCT CASE WHEN r.outcome = 'active' THEN r.assay_id END)"
        " FROM assay_results r JOIN assays a ON a.id = r.assay_id"
        " WHERE substr(a.key, 1, length(?)) = ? AND r.outcome IN ('active', 'inactive') GROUP BY r.compound_id",
        (source_prefix, source_prefix),
    )
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


def compound_keys(db: Database, compound_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """Compound id -> (InChIKey, name)."""
    found: dict[int, tuple[str, str | None]] = {}
    for batch in chunked(dict.fromkeys(compound_ids), IN_CHUNK):
        sql = f"SELECT id, inchikey, name FROM compounds WHERE id IN ({placeholders(len(batch))})"  # noqa: S608
        found.update({int(r[0]): (str(r[1]), r[2]) for r in db.query(sql, tuple(batch))})
    return found


def mixture_values(db: Database, prop: str) -> dict[str, list[tuple[float, str | None, str]]]:
    """Mixture name -> [(value, unit, source)] of a measured mixture property."""
    rows = db.query(
        "SELECT m.name, x.value, x.unit, x.source FROM mixture_measurements x JOIN mixtures m ON m.id = x.mixture_id"
        " WHERE x.property = ? AND x.value IS NOT NULL ORDER BY m.name, x.id",
        (prop,),
    )
    out: dict[str, list[tuple[float, str | None, str]]] = {}
    for r in rows:
        out.setdefault(str(r[0]), []).append((float(r[1]), r[2], str(r[3])))
    return out
