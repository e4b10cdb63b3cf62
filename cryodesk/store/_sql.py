"""Small SQL helpers shared by the repositories (parameterised only)."""

from __future__ import annotations

from collections.abc import Sequence

from cryodesk.domain.batching import batched as chunked

# SQLite's default limit on host parameters is 32766; stay well below it and keep statements small.
IN_CHUNK = 900


def placeholders(count: int) -> str:
    return ",".join("?" * count)


def normalise_identifier(value: str) -> str:
    """Lookup form of an identifier: case-folded with whitespace collapsed."""
    return " ".join(value.split()).casefold()


def value_key(value: float | None, text: str | None) -> str:
    """One comparable key for a value and its original text (NULLs are never equal in UNIQUE)."""
    number = "" if value is None else repr(float(value))
    return f"{number}|{text or ''}"


def ids_for_keys(conn, table: str, key_column: str, keys: Sequence[str]) -> dict[str, int]:
    """Map natural keys to row ids. ``table`` and ``key_column`` are trusted identifiers from our code."""
    found: dict[str, int] = {}
    for batch in chunked(dict.fromkeys(keys), IN_CHUNK):
        sql = f"SELECT {key_column}, id FROM {table} WHERE {key_column} IN ({placeholders(len(batch))})"  # noqa: S608
        found.update(dict(conn.execute(sql, batch)))
    return found
