"""apsw connections for one project file: one connection per thread, explicit transactions.

SQLite connections must not be shared between threads without care, and the old system opened a
new connection per operation (slow: every open re-reads the schema). Here each thread lazily opens
its own connection and keeps it; ``transaction()`` begins IMMEDIATE so two writers queue on the
busy timeout instead of failing with SQLITE_BUSY half-way through.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw

from cryodesk.domain import ProjectError
from cryodesk.store.schema import APPLICATION_ID, DATA_MIGRATIONS, MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True, slots=True)
class OpenOptions:
    read_only: bool = False
    journal_mode: str = "wal"  # "wal" on local disks, "delete" on network drives
    create: bool = True


class Database:
    """A project file with per-thread connections.

    Args:
        path: the ``*.cryodesk`` file.
        options: read-only flag, journal mode, and whether a missing file may be created.
    """

    def __init__(self, path: Path, options: OpenOptions) -> None:
        self.path = Path(path)
        self.options = options
        self._local = threading.local()
        self._all: weakref.WeakSet[apsw.Connection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        if not self.path.exists() and not (options.create and not options.read_only):
            raise ProjectError(f"project file not found: {self.path}")
        self._prepare()

    # -- connections -----------------------------------------------------------------------
    def _open_connection(self) -> apsw.Connection:
        if self.options.read_only:
            flags = apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
            conn = apsw.Connection(f"file:{self.path.as_posix()}?mode=ro", flags=flags)
        else:
            flags = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
            conn = apsw.Connection(str(self.path), flags=flags)
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        conn.execute("PRAGMA foreign_keys = ON")
        if not self.options.read_only:
            # NORMAL is durable in WAL mode except for the last transactions on power loss, never corrupt.
            sync = "NORMAL" if self.options.journal_mode == "wal" else "FULL"
            conn.execute(f"PRAGMA synchronous = {sync}")
        return conn

    def connection(self) -> apsw.Connection:
        """This thread's connection, opened on first use."""
        if self._closed:
            raise ProjectError(f"project is closed: {self.path}")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open_connection()
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                self._all.add(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection (call from the owning thread at shutdown)."""
        self._closed = True
        with self._lock:
            for conn in list(self._all):
                conn.close()
            self._all = weakref.WeakSet()
        self._local = threading.local()

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[apsw.Connection]:
        """A write transaction on this thread's connection; nested calls join the outer one."""
        if self.options.read_only:
            raise ProjectError(f"project is open read-only: {self.path}")
        conn = self.connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection().execute(sql, params))

    def scalar(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        row = self.connection().execute(sql, params).fetchone()
        return None if row is None else row[0]

    # -- schema ----------------------------------------------------------------------------------
    def schema_version(self) -> int:
        return int(self.scalar("PRAGMA user_version"))

    def _prepare(self) -> None:
        conn = self.connection()
        if self.options.read_only:
            self._check_version(self.schema_version(), read_only=True)
            return
        wanted = self.options.journal_mode
        current = conn.execute(f"PRAGMA journal_mode = {wanted}").fetchone()[0]
        if current.lower() != wanted:
            raise ProjectError(f"cannot set journal mode {wanted} on {self.path} (got {current})")
        migrate(self)

    def _check_version(self, version: int, read_only: bool) -> None:
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{self.path.name} was written by a newer CryoDesk (schema {version}, this version knows "
                f"{SCHEMA_VERSION}); update CryoDesk to open it."
            )
        if read_only and version < SCHEMA_VERSION:
            raise ProjectError(
                f"{self.path.name} uses an older schema ({version} < {SCHEMA_VERSION}) and is open "
                "read-only, so it cannot be upgraded; open it once with write access."
            )

    def integrity_check(self) -> str:
        return "; ".join(str(row[0]) for row in self.query("PRAGMA integrity_check"))


def migrate(db: Database, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations above the file's ``user_version`` up to ``target``; return the new version."""
    version = db.schema_version()
    db._check_version(version, read_only=False)
    if version == 0 and db.scalar("SELECT count(*) FROM sqlite_master") and not _is_ours(db):
        raise ProjectError(f"{db.path.name} is an SQLite file but not a CryoDesk project")
    while version < target:
        script = MIGRATIONS[version]
        with db.transaction() as conn:
            conn.execute(script)
            data_step = DATA_MIGRATIONS.get(version + 1)
            if data_step is not None:  # values no SQL expression can move (e.g. URL-decoding)
                data_step(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        version += 1
    return version


def _is_ours(db: Database) -> bool:
    return int(db.scalar("PRAGMA application_id")) == APPLICATION_ID
