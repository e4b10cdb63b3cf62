"""Read-only queries behind the molecules table: property cells, per-compound column values, ranges.

The GUI never sees SQL; the engine (``cryodesk.engine.views``) calls these and turns rows into cells,
sort orders and filters. Everything is parameterised. Values of one property may be stored in
several units (melting points in K and in degC): callers pass a *conversion table* that maps each
stored unit to ``(scale, offset)`` in the display unit (``shown = value * scale + offset``), and
values whose unit is not in the table are left out of the numbers (never silently mixed).

A compound with several values of one property (conflicting measurements kept side by side) is
represented in sorts and filters by the **median** of its converted values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryodesk.store._sql import IN_CHUNK, chunked, placeholders
from cryodesk.store.database import Database

# Unit -> (scale, offset); None stands for values stored without a unit.
Conversions = Mapping[str | None, tuple[float, float]]

#: Compound columns that can be sorted or filtered, mapped to their SQL expression (never user text).
COMPOUND_COLUMNS: dict[str, str] = {
    "name": "c.name",
    "inchikey": "c.inchikey",
    "formula": "c.formula",
    "smiles": "c.smiles",
    "mol_weight": "c.mol_weight",
}
_NO_UNIT = ""  # SQL key for a missing unit (NULL never equals NULL in a join)


@dataclass(frozen=True, slots=True)
class UnitCount:
    """How many values of ``property`` are stored in ``unit`` (numeric and text-only)."""

    property: str
    unit: str | None
    n_numeric: int
    n_text: int


@dataclass(frozen=True, slots=True)
class StoredValue:
    """One stored property value as the table needs it (the detail panel shows full provenance)."""

    compound_id: int
    property: str
    value: float | None
    value_text: str | None
    unit: str | None
    source: str
    method: str


def data_stamp(db: Database) -> tuple[object, ...]:
    """Changes when compounds or property values are added, removed or renamed (cheap: index look-ups)."""
    row = db.connection().execute(
        "SELECT (SELECT count(*) FROM compounds), (SELECT max(id) FROM compounds),"
        " (SELECT max(updated_at) FROM compounds), (SELECT max(id) FROM property_values),"
        " (SELECT count(*) FROM property_values)"
    ).fetchone()
    return tuple(row)


def unit_counts(db: Database) -> list[UnitCount]:
    """Every (property, unit) pair stored, with numeric and text-only value counts."""
    rows = db.query(
        "SELECT property, unit, count(value), sum(value IS NULL) FROM property_values"
        " GROUP BY property, unit ORDER BY property, count(*) DESC"
    )
    return [UnitCount(r[0], r[1], int(r[2]), int(r[3] or 0)) for r in rows]


def stored_values(db: Database, compound_ids: Sequence[int], properties: Sequence[str]) -> list[StoredValue]:
    """The values of ``properties`` for ``compound_ids`` (a screenful of rows), oldest first per property."""
    if not compound_ids or not properties:
        return []
    out: list[StoredValue] = []
    conn = db.connection()
    props = list(dict.fromkeys(properties))
    for batch in chunked(dict.fromkeys(compound_ids), IN_CHUNK - len(props)):
        sql = (
            "SELECT compound_id, property, value, value_text, unit, source, method FROM property_values"  # noqa: S608
            f" WHERE property IN ({placeholders(len(props))}) AND compound_id IN ({placeholders(len(batch))})"
            " ORDER BY compound_id, property, id"
        )
        out.extend(StoredValue(*r) for r in conn.execute(sql, [*props, *batch]))
    return out


def _conversion_cte(conversions: Conversions) -> tuple[str, list[object]]:
    items = [(_NO_UNIT if unit is None else unit, float(s), float(o)) for unit, (s, o) in conversions.items()]
    if not items:
        items = [("\x00no unit matches\x00", 1.0, 0.0)]  # an empty VALUES list is a syntax error
    values = ",".join("(?,?,?)" for _ in items)
    params: list[object] = [x for item in items for x in item]
    return f"conv(unit, scale, shift) AS (VALUES {values})", params


def _median_sql(conversions: Conversions) -> tuple[str, list[object]]:
    """A query of (compound_id, median converted value) for property ``:prop`` (the last parameter)."""
    cte, params = _conversion_cte(conversions)
    sql = (
        f"WITH {cte},"  # noqa: S608 - the CTE holds placeholders only
        " v AS (SELECT p.compound_id AS cid, p.value * conv.scale + conv.shift AS x FROM property_values p"
        "       JOIN conv ON conv.unit = coalesce(p.unit, '') WHERE p.property = ? AND p.value IS NOT NULL),"
        " r AS (SELECT cid, x, row_number() OVER (PARTITION BY cid ORDER BY x) AS rn,"
        "              count(*) OVER (PARTITION BY cid) AS n FROM v)"
        " SELECT cid, avg(x) AS x FROM r WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY cid"
    )
    return sql, params


def numeric_medians(db: Database, prop: str, conversions: Conversions) -> dict[int, float]:
    """Compound id -> median of its ``prop`` values converted to the display unit."""
    sql, params = _median_sql(conversions)
    return {int(r[0]): float(r[1]) for r in db.query(sql, (*params, prop))}


def ids_in_range(db: Database, prop: str, conversions: Conversions, low: float | None,
                 high: float | None) -> list[int]:
    """Compounds whose median ``prop`` (in the display unit) lies in ``[low, high]`` (open ends: None)."""
    sql, params = _median_sql(conversions)
    sql = f"SELECT cid FROM ({sql}) m WHERE (? IS NULL OR m.x >= ?) AND (? IS NULL OR m.x <= ?) ORDER BY cid"  # noqa: S608
    return [int(r[0]) for r in db.query(sql, (*params, prop, low, low, high, high))]


def text_values(db: Database, prop: str) -> dict[int, str]:
    """Compound id -> the first stored text of ``prop`` (for sorting text columns such as cpa_role)."""
    rows = db.query(
        "SELECT compound_id, value_text FROM property_values WHERE property = ? AND value_text IS NOT NULL"
        " ORDER BY compound_id, id DESC",
        (prop,),
    )
    return {int(r[0]): str(r[1]) for r in rows}  # id DESC: the last assignment wins, i.e. the oldest value


def compound_column(db: Database, column: str) -> dict[int, object]:
    """Compound id -> value of a compound column (a key of :data:`COMPOUND_COLUMNS`), NULLs left out."""
    expr = COMPOUND_COLUMNS[column]  # KeyError for anything else: the expression is never user text
    rows = db.query(f"SELECT c.id, {expr} FROM compounds c WHERE {expr} IS NOT NULL")  # noqa: S608
    return {int(r[0]): r[1] for r in rows}


def compound_ids_in_range(db: Database, column: str, low: float | None, high: float | None) -> list[int]:
    """Compounds whose numeric compound column lies in ``[low, high]`` (open ends: None)."""
    expr = COMPOUND_COLUMNS[column]
    sql = (f"SELECT c.id FROM compounds c WHERE {expr} IS NOT NULL"  # noqa: S608
           f" AND (? IS NULL OR {expr} >= ?) AND (? IS NULL OR {expr} <= ?) ORDER BY c.id")
    return [int(r[0]) for r in db.query(sql, (low, low, high, high))]


def value_counts(db: Database) -> dict[int, int]:
    """Compound id -> number of stored property values (compounds with none are left out)."""
    return {int(r[0]): int(r[1]) for r in db.query(
        "SELECT compound_id, count(*) FROM property_values GROUP BY compound_id")}


def distinct_texts(db: Database, prop: str, limit: int = 200) -> list[tuple[str, int]]:
    """The text values of ``prop`` with their compound counts, most common first."""
    rows = db.query(
        "SELECT value_text, count(DISTINCT compound_id) FROM property_values WHERE property = ?"
        " AND value_text IS NOT NULL GROUP BY value_text ORDER BY 2 DESC, 1 LIMIT ?",
        (prop, limit),
    )
    return [(str(r[0]), int(r[1])) for r in rows]


def ids_with_text(db: Database, prop: str, texts: Sequence[str]) -> list[int]:
    """Compounds with at least one ``prop`` value whose text is one of ``texts``."""
    if not texts:
        return []
    sql = (f"SELECT DISTINCT compound_id FROM property_values WHERE property = ?"  # noqa: S608
           f" AND value_text IN ({placeholders(len(texts))}) ORDER BY compound_id")
    return [int(r[0]) for r in db.query(sql, (prop, *texts))]


def compound_ids_by_keys(db: Database, inchikeys: Sequence[str]) -> dict[str, int]:
    """InChIKey -> compound id for the keys that are stored."""
    found: dict[str, int] = {}
    conn = db.connection()
    for batch in chunked(dict.fromkeys(inchikeys), IN_CHUNK):
        sql = f"SELECT inchikey, id FROM compounds WHERE inchikey IN ({placeholders(len(batch))})"  # noqa: S608
        found.update({r[0]: int(r[1]) for r in conn.execute(sql, batch)})
    return found


def molar_masses(db: Database, inchikeys: Sequence[str]) -> dict[str, float]:
    """InChIKey -> the compound record's molecular weight (g/mol), for the keys that have one."""
    found: dict[str, float] = {}
    conn = db.connection()
    for batch in chunked(dict.fromkeys(inchikeys), IN_CHUNK):
        sql = (f"SELECT inchikey, mol_weight FROM compounds WHERE mol_weight IS NOT NULL"  # noqa: S608
               f" AND inchikey IN ({placeholders(len(batch))})")
        found.update({r[0]: float(r[1]) for r in conn.execute(sql, batch)})
    return found


def values_by_key(db: Database, inchikeys: Sequence[str], prop: str) -> list[tuple[str, float, str | None, str]]:
    """(InChIKey, value, unit, source) of every numeric ``prop`` value of the given compounds."""
    out: list[tuple[str, float, str | None, str]] = []
    conn = db.connection()
    for batch in chunked(dict.fromkeys(inchikeys), IN_CHUNK - 1):
        sql = (
            "SELECT c.inchikey, p.value, p.unit, p.source FROM property_values p"  # noqa: S608
            " JOIN compounds c ON c.id = p.compound_id"
            f" WHERE p.property = ? AND p.value IS NOT NULL AND c.inchikey IN ({placeholders(len(batch))})"
            " ORDER BY c.inchikey, p.id"
        )
        out.extend((r[0], float(r[1]), r[2], r[3]) for r in conn.execute(sql, [prop, *batch]))
    return out
