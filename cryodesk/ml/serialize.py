"""Model artefacts on disk: written with their SHA-256, read back only when the hash matches.

A pickle can run arbitrary code when it is loaded, so :func:`load_model` reads the file's bytes,
hashes them and compares with the hash the registry recorded at training time *before* unpickling
anything; a missing, modified or substituted file raises :class:`ArtefactIntegrityError` and is never
unpickled. The bytes that were hashed are the bytes that are unpickled (no second read in between
that could race with a writer).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ARTEFACT_SUFFIX", "ArtefactIntegrityError", "file_sha256", "load_model", "save_model"]

ARTEFACT_SUFFIX = ".cdmodel"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ArtefactIntegrityError(RuntimeError):
    """The artefact is missing, or its SHA-256 differs from the registry's: it was not loaded."""


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's contents."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _safe_stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return stem or "model"


def save_model(model: Any, directory: str | os.PathLike[str], name: str = "model") -> tuple[Path, str]:
    """Pickle ``model`` into ``directory`` and return ``(path, sha256)``.

    The file is written to a temporary name and renamed into place, so a crash never leaves a
    half-written artefact under the final name. The name ends with the hash's first 12 hex digits,
    so versions never overwrite each other and the file name alone shows which record it belongs to.

    Args:
        model: any picklable object (a ``TrainedModel`` or ``MultiTaskModel``).
        directory: where to write (created if missing).
        name: human-readable part of the file name (sanitised).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest()
    path = directory / f"{_safe_stem(name)}-{digest[:12]}{ARTEFACT_SUFFIX}"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=ARTEFACT_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path, digest


def load_model(path: str | os.PathLike[str], expected_sha256: str) -> Any:
    """Load an artefact after checking its SHA-256 against the registry's value.

    Args:
        path: the artefact file.
        expected_sha256: the hex digest recorded when the model was saved.

    Raises:
        ArtefactIntegrityError: the file is missing or unreadable, the expected hash is malformed, or
            the hashes differ. Nothing is unpickled in these cases.
    """
    expected = str(expected_sha256).strip().lower()
    if not _HEX64.match(expected):
        raise ArtefactIntegrityError(
            f"expected SHA-256 {expected_sha256!r} is not 64 hex digits; refusing to load"
        )
    try:
        payload = Path(path).read_bytes()
    except OSError as exc:
        raise ArtefactIntegrityError(f"cannot read model artefact {path}: {exc}") from exc
    actual = hashlib.sha256(payload).hexdigest()
    if not hmac.compare_digest(actual, expected):
        raise ArtefactIntegrityError(
            f"model artefact {path} has SHA-256 {actual}, the registry expects {expected}; refusing to load"
        )
    # The bytes were produced by save_model and match the registry's hash (checked just above).
    return pickle.loads(payload)  # noqa: S301
