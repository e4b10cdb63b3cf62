"""Substructure search (RDKit SubstructLibrary) and Tanimoto similarity search on packed fingerprints.

Substructure: :class:`SubstructureIndex` wraps an ``rdSubstructLibrary.SubstructLibrary`` made of a
``CachedTrustedSmilesMolHolder`` (canonical SMILES, parsed on demand without re-sanitising: small in
memory, quick to rebuild from text) and a pattern-fingerprint prefilter (``PatternHolder``, or
``TautomerPatternHolder`` for tautomer-insensitive search). Searches return *all* hits (RDKit's
default stops at 1,000) as a sorted index array, with paging helpers for the table view. Row ``i`` of
the index is row ``i`` of the input; the caller keeps the row-to-compound mapping.

Persistence: :meth:`SubstructureIndex.to_bytes` writes RDKit's own serialisation (``Serialize`` /
``InitFromStream``: Boost binary archives of SMILES strings and bit vectors) behind a small header
with a format version, the content hash of the input and a SHA-256 of the payload. Pickle is never
used, so opening a project file from someone else cannot execute code. The caller stores the blob
next to the project and rebuilds when :func:`content_hash` of the current structures differs from
:attr:`SubstructureIndex.content_hash`.

Similarity: :class:`SimilarityIndex` holds packed fingerprints as ``uint64`` words with precomputed
popcounts; a query is one vectorised AND + popcount pass (about 10 ms per 100,000 2048-bit rows).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
from collections.abc import Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import rdSubstructLibrary

from cryodesk.chem.features.batch import (
    CancelCheck,
    ChunkExecutor,
    FingerprintMatrix,
    ProgressCallback,
    SerialExecutor,
)
from cryodesk.chem.features.fingerprints import (
    FINGERPRINTS,
    as_words,
    bulk_tanimoto,
    fingerprint_of,
    popcounts,
)
from cryodesk.chem.features.parsing import Structure, parse_structure, quiet_rdkit

__all__ = [
    "QueryMode",
    "SimilarityHits",
    "SimilarityIndex",
    "SubstructureHits",
    "SubstructureIndex",
    "SubstructureQueryError",
    "content_hash",
    "page_count",
    "paginate",
    "parse_query",
]

QueryMode = Literal["auto", "smarts", "smiles"]

# Characters that only occur in SMARTS; a query containing any of them is never tried as SMILES.
_SMARTS_ONLY = frozenset("~;&!$,")


class SubstructureQueryError(ValueError):
    """The query text is neither valid SMILES nor valid SMARTS (message says which was tried)."""


# --- paging ------------------------------------------------------------------------------------


def page_count(n_hits: int, page_size: int) -> int:
    """Number of pages needed for ``n_hits`` (at least 1, so an empty result shows one empty page)."""
    if page_size <= 0:
        raise ValueError("page_size must be positive")
    return max(1, math.ceil(n_hits / page_size))


def paginate(indices: np.ndarray, page: int, page_size: int) -> np.ndarray:
    """Return page ``page`` (0-based) of a hit array; an out-of-range page is empty."""
    if page < 0 or page_size <= 0:
        raise ValueError("page must be >= 0 and page_size > 0")
    return indices[page * page_size : (page + 1) * page_size]


@dataclass(frozen=True, eq=False)
class SubstructureHits:
    """All library rows matching a query, ascending.

    Attributes:
        indices: ``int64`` row indices into the library (= the input order at build time).
        query: the query text (or SMARTS of a Mol query) for display and logging.
        mode: how the text was read: ``"smiles"`` or ``"smarts"``.
    """

    indices: np.ndarray
    query: str
    mode: str

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def page(self, page: int, page_size: int = 100) -> np.ndarray:
        """Rows of page ``page`` (0-based)."""
        return paginate(self.indices, page, page_size)

    def n_pages(self, page_size: int = 100) -> int:
        """Number of pages at ``page_size`` rows per page."""
        return page_count(len(self), page_size)


# --- queries -----------------------------------------------------------------------------------


def parse_query(query: str | Chem.Mol, mode: QueryMode = "auto") -> tuple[Chem.Mol, str]:
    """Turn query text into an RDKit query molecule.

    ``auto`` reads the text as SMILES when it is valid SMILES and has no SMARTS-only syntax
    (``~ ; & ! $ ,``), else as SMARTS. SMILES semantics are what a chemist drawing or typing a
    structure expects (``OCC(O)CO`` finds glycerol and its derivatives, aromaticity perceived);
    SMARTS gives full control (``[OX2H][CX4]``, ``[#6;R2]``). Use ``mode`` to force one reading.
    Radicals are cleared on SMILES query atoms, so ``[N+](=O)[O-]`` finds nitro groups and ``[#6]``
    any carbon (bracket atoms in SMILES otherwise become radicals, which match only radicals).

    Returns:
        ``(query_mol, mode_used)``.

    Raises:
        SubstructureQueryError: the text is empty or parses in neither language.
    """
    if isinstance(query, Chem.Mol):
        return query, "mol"
    text = query.strip()
    if not text:
        raise SubstructureQueryError("empty query")
    with quiet_rdkit():
        if mode in ("auto", "smiles") and not (mode == "auto" and _SMARTS_ONLY & set(text)):
            mol = Chem.MolFromSmiles(text)
            if mol is not None and mol.GetNumAtoms() > 0:
                return _without_radicals(mol), "smiles"
            if mode == "smiles":
                raise SubstructureQueryError(f"not a valid SMILES: {text!r}")
        mol = Chem.MolFromSmarts(text)
    if mol is None or mol.GetNumAtoms() == 0:
        tried = "SMARTS" if mode == "smarts" else "SMILES or SMARTS"
        raise SubstructureQueryError(f"not a valid {tried}: {text!r}")
    return mol, "smarts"


def _without_radicals(mol: Chem.Mol) -> Chem.Mol:
    # A bracket atom in SMILES has no implicit hydrogens, so fragments typed as queries ("[#6]",
    # "[N+](=O)[O-]") come out as radicals, and a radical query atom only matches radicals. Users
    # mean "any carbon" and "a nitro group", so radicals are cleared on query atoms.
    if any(atom.GetNumRadicalElectrons() for atom in mol.GetAtoms()):
        mol = Chem.Mol(mol)
        for atom in mol.GetAtoms():
            atom.SetNumRadicalElectrons(0)
    return mol


# --- substructure index ------------------------------------------------------------------------


def content_hash(structures: Sequence[str | None]) -> str:
    """SHA-256 over the structure strings in order; the rebuild key of a persisted index."""
    digest = hashlib.sha256()
    for item in structures:
        encoded = (item or "").encode("utf-8")
        digest.update(struct.pack("<Q", len(encoded)))  # length prefix: ["ab","c"] != ["a","bc"]
        digest.update(encoded)
    return digest.hexdigest()


def _canonical_chunk(items: Sequence[Structure]) -> list[tuple[str, str | None]]:
    """Canonical SMILES (or ``("", reason)``) for one chunk; top-level so workers can run it."""
    out: list[tuple[str, str | None]] = []
    with quiet_rdkit():
        for item in items:
            mol, reason = parse_structure(item)
            out.append(("", reason) if mol is None else (Chem.MolToSmiles(mol), None))
    return out


def _match_params(use_chirality: bool) -> Chem.SubstructMatchParameters:
    # Explicit parameters: the keyword overloads of GetMatches/CountMatches default to
    # useChirality=True, which would make "C[C@H](N)C(=O)O" miss racemic entries.
    params = Chem.SubstructMatchParameters()
    params.useChirality = use_chirality
    return params


def _in_memory_copy(library: rdSubstructLibrary.SubstructLibrary) -> rdSubstructLibrary.SubstructLibrary:
    # Molecules come from the trusted-SMILES holder itself, so both holders search identical
    # molecules (same aromaticity, ring info, properties) and give identical hits.
    holder = rdSubstructLibrary.MolHolder()
    for row in range(len(library)):
        holder.AddMol(library.GetMol(row))
    return rdSubstructLibrary.SubstructLibrary(holder, library.GetFpHolder())


_MAGIC = b"CRYODESK-SSLIB\x00\x01"  # 16 bytes
_FORMAT_VERSION = 1


class SubstructureIndex:
    """A substructure-searchable library with a pattern-fingerprint prefilter.

    Build with :meth:`build`; persist with :meth:`to_bytes` / :meth:`from_bytes`.

    Two molecule holders, same results:

    - default: ``CachedTrustedSmilesMolHolder``; about 100 bytes per compound, but every candidate
      that passes the fingerprint screen is parsed from SMILES again (about 40 us each).
    - ``in_memory=True``: additionally keeps every molecule parsed in an RDKit ``MolHolder`` (about
      7 KB per compound, 700 MB at 100,000) and searches that: 2-5x faster on unselective queries.
      The pattern fingerprints are shared, and the persisted form is always the compact SMILES one.
    """

    def __init__(
        self,
        library: rdSubstructLibrary.SubstructLibrary,
        *,
        content_hash: str,
        tautomer: bool,
        failures: list[tuple[int, str]],
        in_memory: bool = False,
    ) -> None:
        self._stored = library  # trusted-SMILES holder: what is serialised
        self._search_lib = _in_memory_copy(library) if in_memory else library
        self.content_hash = content_hash
        self.tautomer = tautomer
        self.failures = failures
        self.in_memory = in_memory

    @classmethod
    def build(
        cls,
        structures: Sequence[Structure],
        *,
        trusted_smiles: bool = False,
        tautomer: bool = False,
        in_memory: bool = False,
        num_threads: int = -1,
        executor: ChunkExecutor | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> SubstructureIndex:
        """Build the index from SMILES strings or Mols.

        Args:
            structures: one structure per library row. Rows that fail to parse stay in the index
                as empty molecules (they never match), so row numbers keep their meaning; they are
                listed in :attr:`failures`.
            trusted_smiles: the strings are already RDKit canonical SMILES of sanitised molecules
                (as the store holds them); skips the parse/canonicalise pass.
            tautomer: use a ``TautomerPatternHolder`` so SMILES queries can be searched
                tautomer-insensitively (queries then go through ``TautomerQuery``).
            in_memory: also hold parsed molecules for faster searches (see the class docstring).
            num_threads: threads for the pattern fingerprints (-1: all); these are the slow part of
                a build (about 0.3 ms per compound per thread).
            executor: runs the canonicalisation pass (chunks of 2,000) when not ``trusted_smiles``.
            progress, cancel: as for ``featurize`` (canonicalisation pass only).
        """
        raw = list(structures)
        hash_input = [
            s if isinstance(s, str) else (Chem.MolToSmiles(s) if s is not None else "") for s in raw
        ]
        if trusted_smiles:
            smiles = [s or "" for s in hash_input]
            failures = [(i, "empty structure") for i, s in enumerate(smiles) if not s]
        else:
            chunks = [raw[i : i + 2000] for i in range(0, len(raw), 2000)]
            runner = executor if executor is not None else SerialExecutor()
            parsed = [
                row
                for block in runner.map_chunks(_canonical_chunk, chunks, progress, cancel)
                for row in block
            ]
            smiles = [s for s, _ in parsed]
            failures = [(i, reason) for i, (_, reason) in enumerate(parsed) if reason is not None]
        holder = rdSubstructLibrary.CachedTrustedSmilesMolHolder()
        for smi in smiles:
            holder.AddSmiles(smi)
        library = rdSubstructLibrary.SubstructLibrary(holder)
        patterns = (
            rdSubstructLibrary.TautomerPatternHolder() if tautomer else rdSubstructLibrary.PatternHolder()
        )
        rdSubstructLibrary.AddPatterns(library, patterns, numThreads=num_threads)
        return cls(
            library,
            content_hash=content_hash(hash_input),
            tautomer=tautomer,
            failures=failures,
            in_memory=in_memory,
        )

    def __len__(self) -> int:
        return len(self._stored)

    def _prepare(self, query: str | Chem.Mol, mode: QueryMode) -> tuple[Any, str, str]:
        mol, used = parse_query(query, mode)
        text = query if isinstance(query, str) else Chem.MolToSmarts(mol)
        if self.tautomer and used == "smiles":
            from rdkit.Chem import rdTautomerQuery

            return rdTautomerQuery.TautomerQuery(mol), text, used
        return mol, text, used

    def search(
        self,
        query: str | Chem.Mol,
        *,
        mode: QueryMode = "auto",
        use_chirality: bool = False,
        max_results: int | None = None,
        num_threads: int = -1,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
        block_size: int = 20_000,
    ) -> SubstructureHits:
        """Every row containing ``query``, ascending row order.

        ``max_results`` caps the number of hits (which ones is unspecified when several threads
        search); None, the default, returns all of them.

        With ``progress`` or ``cancel`` the library is searched in blocks of ``block_size`` rows
        (``GetMatches`` over a row range), so a GUI can show "rows searched" and stop a slow,
        unselective query between blocks; without them it is one multithreaded call.

        Raises:
            SubstructureQueryError: the query text is not valid.
            CancelledError: ``cancel()`` returned True.
        """
        prepared, text, used = self._prepare(query, mode)
        params = _match_params(use_chirality)
        limit = -1 if max_results is None else int(max_results)  # -1: no limit (RDKit's default is 1000)
        lib = self._search_lib
        if progress is None and cancel is None:
            found = list(lib.GetMatches(prepared, params, numThreads=num_threads, maxResults=limit))
        else:
            found = []
            n = len(lib)
            for start in range(0, n, block_size):
                if cancel is not None and cancel():
                    raise CancelledError("substructure search cancelled")
                stop = min(n, start + block_size)
                remaining = -1 if limit < 0 else limit - len(found)
                found.extend(
                    lib.GetMatches(
                        prepared, start, stop, params, numThreads=num_threads, maxResults=remaining
                    )
                )
                if progress is not None:
                    progress(stop, n)
                if 0 <= limit <= len(found):
                    break
        hits = np.sort(np.fromiter(found, np.int64, len(found)))
        if limit >= 0:
            hits = hits[:limit]
        return SubstructureHits(hits, text, used)

    def count(
        self,
        query: str | Chem.Mol,
        *,
        mode: QueryMode = "auto",
        use_chirality: bool = False,
        num_threads: int = -1,
    ) -> int:
        """Number of matching rows (the "N of M" label) without building the index array."""
        prepared, _, _ = self._prepare(query, mode)
        return int(
            self._search_lib.CountMatches(prepared, _match_params(use_chirality), numThreads=num_threads)
        )

    def smiles(self, row: int) -> str:
        """The canonical SMILES stored for ``row`` ("" for a failed row)."""
        return Chem.MolToSmiles(self._stored.GetMol(int(row)))

    # --- persistence ---

    def to_bytes(self) -> bytes:
        """Serialise with RDKit's own binary format behind a checked header (never pickle)."""
        payload = self._stored.Serialize()
        header = json.dumps(
            {
                "format": _FORMAT_VERSION,
                "rows": len(self),
                "content_hash": self.content_hash,
                "tautomer": self.tautomer,
                "failures": self.failures,
                "payload_sha256": hashlib.sha256(payload).hexdigest(),
                "rdkit": rdBase.rdkitVersion,
            }
        ).encode("utf-8")
        return _MAGIC + struct.pack("<I", len(header)) + header + payload

    @classmethod
    def from_bytes(
        cls, data: bytes, *, expected_hash: str | None = None, in_memory: bool = False
    ) -> SubstructureIndex:
        """Load an index written by :meth:`to_bytes`.

        Args:
            data: the blob.
            expected_hash: when given, the index must have been built from structures with this
                :func:`content_hash` (else ``ValueError``: the caller should rebuild).
            in_memory: hold parsed molecules for faster searches (see the class docstring).

        Raises:
            ValueError: not an index blob, a newer format, corrupted, or stale.
        """
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + 4:
            raise ValueError("not a CryoDesk substructure index")
        (header_len,) = struct.unpack_from("<I", data, len(_MAGIC))
        start = len(_MAGIC) + 4
        try:
            header = json.loads(data[start : start + header_len].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"corrupted substructure index header: {exc}") from exc
        if header.get("format") != _FORMAT_VERSION:
            raise ValueError(f"unsupported substructure index format {header.get('format')!r}")
        payload = data[start + header_len :]
        # Checked before RDKit sees the bytes: a truncated or altered Boost archive can crash the
        # process instead of raising, so only intact blobs we wrote ourselves are deserialised.
        if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
            raise ValueError("substructure index payload does not match its checksum")
        if expected_hash is not None and header.get("content_hash") != expected_hash:
            raise ValueError("substructure index is stale (structures changed); rebuild it")
        library = rdSubstructLibrary.SubstructLibrary()
        library.InitFromStream(io.BytesIO(payload))
        if len(library) != header.get("rows"):
            raise ValueError("substructure index row count does not match its header")
        failures = [(int(i), str(r)) for i, r in header.get("failures", [])]
        return cls(
            library,
            content_hash=str(header["content_hash"]),
            tautomer=bool(header["tautomer"]),
            failures=failures,
            in_memory=in_memory,
        )


# --- similarity --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SimilarityHits:
    """Rows by decreasing Tanimoto similarity (ties: lower row first).

    Attributes:
        indices: ``int64`` row indices; scores: ``float64`` Tanimoto similarities, same order.
    """

    indices: np.ndarray
    scores: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def page(self, page: int, page_size: int = 100) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of page ``page`` (0-based)."""
        return paginate(self.indices, page, page_size), paginate(self.scores, page, page_size)


def _rank(scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    # Descending score, then ascending row: deterministic and equal to a brute-force sort.
    return candidates[np.lexsort((candidates, -scores[candidates]))]


class SimilarityIndex:
    """Packed bit fingerprints ready for Tanimoto queries.

    Args:
        packed: ``uint8 [n, n_bytes]`` little-bit-order rows (``FingerprintMatrix.data``).
        fingerprint: the fingerprint name, needed to fingerprint SMILES/Mol queries.
        valid: rows to consider (failed rows are never returned); default all.
    """

    def __init__(
        self, packed: np.ndarray, *, fingerprint: str | None = None, valid: np.ndarray | None = None
    ) -> None:
        if fingerprint is not None and FINGERPRINTS[fingerprint].counts:
            raise ValueError("similarity search needs a bit fingerprint, not counts")
        packed = np.asarray(packed, np.uint8)
        if packed.ndim != 2:
            raise ValueError("packed fingerprints must be a 2-D uint8 array [n, n_bytes]")
        self._n_bytes = int(packed.shape[1])
        self.words = as_words(packed)
        self.counts = popcounts(self.words)
        self.fingerprint = fingerprint
        self.valid = np.ones(len(self.words), bool) if valid is None else np.asarray(valid, bool)

    @classmethod
    def from_fingerprints(cls, fingerprints: FingerprintMatrix) -> SimilarityIndex:
        """Index a :class:`FingerprintMatrix` (bits only)."""
        if fingerprints.counts:
            raise ValueError("similarity search needs a bit fingerprint, not counts")
        return cls(fingerprints.data, fingerprint=fingerprints.fingerprint, valid=fingerprints.valid)

    def __len__(self) -> int:
        return int(self.words.shape[0])

    def _query_words(self, query: np.ndarray | str | Chem.Mol) -> np.ndarray:
        if isinstance(query, (str, Chem.Mol)):
            if self.fingerprint is None:
                raise ValueError("index built without a fingerprint name; pass a packed fingerprint")
            with quiet_rdkit():
                mol, reason = parse_structure(query)
            if mol is None:
                raise SubstructureQueryError(f"query structure: {reason}")
            query = fingerprint_of(mol, self.fingerprint)
        packed = np.asarray(query, np.uint8).reshape(1, -1)
        if packed.shape[1] != self._n_bytes:
            raise ValueError(f"query has {packed.shape[1]} bytes, index rows have {self._n_bytes}")
        return as_words(packed)[0]

    def similarities(self, query: np.ndarray | str | Chem.Mol) -> np.ndarray:
        """Tanimoto of the query to every row (``float64 [n]``; failed rows score -1)."""
        scores = bulk_tanimoto(self._query_words(query), self.words, self.counts)
        scores[~self.valid] = -1.0
        return scores

    def top_k(
        self, query: np.ndarray | str | Chem.Mol, k: int = 50, *, min_similarity: float = 0.0
    ) -> SimilarityHits:
        """The ``k`` most similar rows with similarity >= ``min_similarity``.

        Uses ``np.partition`` (linear time) to find the k-th best score, then sorts only the
        candidates; rows tied with the k-th score are taken in row order, so the result equals a
        full stable sort cut at ``k``.
        """
        scores = self.similarities(query)
        n = scores.shape[0]
        k = min(int(k), n)
        if k <= 0:
            return SimilarityHits(np.zeros(0, np.int64), np.zeros(0))
        kth = np.partition(scores, n - k)[n - k]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)[: k - above.shape[0]]
        order = _rank(scores, np.concatenate([above, tied]))
        order = order[scores[order] >= max(min_similarity, 0.0)]
        return SimilarityHits(order.astype(np.int64), scores[order])

    def above(self, query: np.ndarray | str | Chem.Mol, threshold: float) -> SimilarityHits:
        """Every row with similarity >= ``threshold``, best first."""
        scores = self.similarities(query)
        order = _rank(scores, np.flatnonzero(scores >= max(threshold, 0.0)))
        return SimilarityHits(order.astype(np.int64), scores[order])
