"""Two-level HTTP response cache: an in-memory LRU in front of :mod:`diskcache`.

One :class:`ResponseCache` per service (``namespace``), stored under the user's cache directory
(``cryodesk.config.app_paths().http_cache_dir`` by default), never inside a project file. Keys are
SHA-256 digests of method + URL + body with API keys stripped, so no secret is ever written to
disk. Entries are stored as bytes (a small JSON header line, then the body) rather than pickles,
so reading the cache never unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import diskcache

from cryodesk.sources.http.clock import SYSTEM_CLOCK, Clock
from cryodesk.sources.http.redact import DEFAULT_SECRET_PARAMS, strip_secret_form, strip_secrets

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """What is kept of a response: enough to rebuild it for the caller."""

    status: int
    content: bytes
    content_type: str
    url: str  # already redacted
    stored_at: float
    expires_at: float

    def to_bytes(self) -> bytes:
        header = {
            "v": CACHE_FORMAT,
            "status": self.status,
            "content_type": self.content_type,
            "url": self.url,
            "stored_at": self.stored_at,
            "expires_at": self.expires_at,
        }
        return json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + self.content

    @classmethod
    def from_bytes(cls, blob: bytes) -> CachedResponse | None:
        head, sep, content = blob.partition(b"\n")
        if not sep:
            return None
        try:
            header = json.loads(head)
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("v") != CACHE_FORMAT:
            return None
        return cls(
            status=int(header["status"]),
            content=content,
            content_type=str(header.get("content_type", "")),
            url=str(header.get("url", "")),
            stored_at=float(header.get("stored_at", 0.0)),
            expires_at=float(header.get("expires_at", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters of one cache since it was opened (or since ``reset_stats``)."""

    namespace: str
    hits: int
    memory_hits: int
    disk_hits: int
    misses: int
    stores: int
    memory_items: int


def make_cache_key(
    method: str, url: str, body: bytes | None = None, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS
) -> str:
    """A stable, secret-free key: SHA-256 of method, URL (sorted query, secrets stripped) and body."""
    secrets = tuple(secret_params)
    digest = hashlib.sha256()
    digest.update(method.upper().encode("ascii"))
    digest.update(b"\0")
    digest.update(strip_secrets(url, secrets).encode("utf-8"))
    digest.update(b"\0")
    digest.update(strip_secret_form(body or b"", secrets))
    return digest.hexdigest()


class ResponseCache:
    """Memory LRU + disk cache for one namespace (service).

    Args:
        namespace: sub-directory and stats label, e.g. ``"pubchem"``.
        directory: parent directory; ``None`` means the application's HTTP cache directory.
        memory_items: LRU capacity in entries.
        memory_bytes: LRU capacity in body bytes (PUG-View records are megabytes each).
        disk: keep a disk level (False = memory only).
        disk_size_limit: diskcache size limit in bytes.
        clock: time source for expiry.
    """

    def __init__(
        self,
        namespace: str,
        directory: Path | str | None = None,
        *,
        memory_items: int = 512,
        memory_bytes: int = 64 * 1024 * 1024,
        disk: bool = True,
        disk_size_limit: int = 2 * 1024**3,
        clock: Clock | None = None,
    ) -> None:
        self.namespace = namespace
        self._clock = clock or SYSTEM_CLOCK
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, CachedResponse] = OrderedDict()
        self._memory_items = max(0, memory_items)
        self._memory_bytes = max(0, memory_bytes)
        self._memory_used = 0
        self._hits_memory = 0
        self._hits_disk = 0
        self._misses = 0
        self._stores = 0
        self.directory: Path | None = None
        self._disk: diskcache.Cache | None = None
        if disk:
            base = Path(directory) if directory is not None else default_cache_dir()
            self.directory = base / namespace
            self.directory.mkdir(parents=True, exist_ok=True)
            self._disk = diskcache.Cache(str(self.directory), size_limit=disk_size_limit)

    # -- lookups ---------------------------------------------------------------------------
    def get(self, key: str) -> CachedResponse | None:
        """Return a fresh entry or ``None`` (counting a hit or a miss)."""
        now = self._clock.time()
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                if entry.expires_at > now:
                    self._memory.move_to_end(key)
                    self._hits_memory += 1
                    return entry
                self._drop_memory(key)
        entry = self._disk_get(key, now)
        with self._lock:
            if entry is None:
                self._misses += 1
                return None
            self._hits_disk += 1
            self._remember(key, entry)
        return entry

    def _disk_get(self, key: str, now: float) -> CachedResponse | None:
        if self._disk is None:
            return None
        try:
            blob = self._disk.get(key)
        except Exception:  # a corrupt or locked cache file must not fail an import
            log.warning("disk cache read failed in %s", self.directory, exc_info=True)
            return None
        if not isinstance(blob, bytes):
            return None
        entry = CachedResponse.from_bytes(blob)
        if entry is None or entry.expires_at <= now:
            return None
        return entry

    def set(self, key: str, entry: CachedResponse) -> None:
        """Store ``entry`` in both levels (its ``expires_at`` decides freshness)."""
        ttl = entry.expires_at - self._clock.time()
        if ttl <= 0:
            return
        with self._lock:
            self._stores += 1
            self._remember(key, entry)
        if self._disk is not None:
            try:
                # diskcache's own expiry only reclaims space; freshness is checked on read.
                self._disk.set(key, entry.to_bytes(), expire=ttl + 60.0)
            except Exception:
                log.warning("disk cache write failed in %s", self.directory, exc_info=True)

    # -- memory LRU ------------------------------------------------------------------------
    def _remember(self, key: str, entry: CachedResponse) -> None:
        size = len(entry.content)
        if self._memory_items == 0 or size > self._memory_bytes:
            return
        if key in self._memory:
            self._drop_memory(key)
        self._memory[key] = entry
        self._memory_used += size
        while self._memory and (len(self._memory) > self._memory_items or self._memory_used > self._memory_bytes):
            oldest = next(iter(self._memory))
            self._drop_memory(oldest)

    def _drop_memory(self, key: str) -> None:
        entry = self._memory.pop(key, None)
        if entry is not None:
            self._memory_used -= len(entry.content)

    # -- housekeeping ----------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every entry of this namespace, in memory and on disk."""
        with self._lock:
            self._memory.clear()
            self._memory_used = 0
        if self._disk is not None:
            self._disk.clear()

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                namespace=self.namespace,
                hits=self._hits_memory + self._hits_disk,
                memory_hits=self._hits_memory,
                disk_hits=self._hits_disk,
                misses=self._misses,
                stores=self._stores,
                memory_items=len(self._memory),
            )

    def reset_stats(self) -> None:
        with self._lock:
            self._hits_memory = self._hits_disk = self._misses = self._stores = 0

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()


def default_cache_dir() -> Path:
    """The application's HTTP cache directory (imported lazily: config reads the environment)."""
    from cryodesk.config import app_paths

    return app_paths().http_cache_dir


def clear_http_cache(directory: Path | str | None = None, namespace: str | None = None) -> None:
    """Delete cached responses of one service (``namespace``) or of all services.

    For the "clear cache" action of the GUI/CLI; it works on directories, so no client needs to
    be open.
    """
    base = Path(directory) if directory is not None else default_cache_dir()
    targets = [base / namespace] if namespace else [p for p in base.glob("*") if p.is_dir()]
    for target in targets:
        if target.exists():
            shutil.rmtree(target)
