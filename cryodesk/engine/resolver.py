"""One identifier resolver for any string a user or a paper gives: InChIKey, InChI, SMILES, CAS,
PubChem CID, ChEMBL ID, DrugBank ID, DTXSID or a name.

Strategies run in a fixed order, cheapest and most trusted first:

1. ``store``    the project's identifiers and synonyms (exact, normalised match);
2. ``parse``    local structure parsing (SMILES / InChI) through :mod:`cryodesk.chem`;
3. ``opsin``    offline name-to-structure with OPSIN (the ``py2opsin`` package ships the jar; it needs
                a Java runtime, and is skipped with a message where there is none);
4. the service that owns the identifier: ``chembl`` (ChEMBL IDs), ``comptox`` (DTXSIDs, needs a
   key), ``pubchem`` (CIDs, InChIKeys, names, CAS and DrugBank IDs via PubChem synonyms);
5. ``cactus``   NCI CACTUS.

Online strategies run only when the offline ones found nothing, unless ``verify=True`` asks for a
second opinion. Every answer carries the method, a confidence in 0..1 and, when strategies name
different compounds, the alternatives and ``conflict=True``: a conflict is reported (and, with
:meth:`Resolver.record`, stored side by side), never resolved silently.

Confidence (documented so users can weigh it): each strategy gives a base value (table
``BASE_CONFIDENCE``); answers from several strategies for the same compound combine as a noisy-OR
(1 - Π(1 - c)); when strategies disagree the winner's confidence is multiplied by its share of
the total, so a two-way tie reports about half.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cryodesk.domain import Compound, Identifier, IdentifierKind, SourceError
from cryodesk.domain.identifiers import is_inchikey
from cryodesk.sources.cas import CAS_RE, cas_check_digit, is_valid_cas

if TYPE_CHECKING:
    from cryodesk.sources.cactus import CactusClient
    from cryodesk.sources.chembl import ChemblClient
    from cryodesk.sources.comptox import CompToxClient
    from cryodesk.sources.pubchem import PubChemClient
    from cryodesk.store import Project

log = logging.getLogger(__name__)


class InputKind(StrEnum):
    INCHIKEY = "inchikey"
    INCHI = "inchi"
    SMILES = "smiles"
    CAS = "cas"
    PUBCHEM_CID = "pubchem_cid"
    CHEMBL_ID = "chembl_id"
    DRUGBANK_ID = "drugbank_id"
    DTXSID = "dtxsid"
    NAME = "name"


#: Base confidence of each strategy (before agreement/conflict adjustment).
BASE_CONFIDENCE: dict[str, float] = {
    "store": 1.0,  # scaled by the stored identifier's own confidence and kind (names 0.95)
    "parse": 1.0,  # the structure *is* the input
    "parse-ambiguous": 0.7,  # an all-capitals word of organic-subset atoms that reads as SMILES ("CCO")
    "opsin": 0.9,  # deterministic grammar; trivial names can still be misread
    "chembl": 0.95,
    "comptox": 0.95,
    "pubchem-id": 0.95,  # CID or InChIKey lookups
    "pubchem-name": 0.85,  # first CID of a name search: PubChem's best synonym match
    "pubchem-name-other": 0.35,  # further CIDs of the same name
    "cactus": 0.7,
}
_STORE_KIND_WEIGHT = {"name": 0.95, "synonym": 0.9}
_CACTUS_RESOLVER_WEIGHT = {"cas_number": 0.85, "name_by_opsin": 0.85, "stdinchikey": 0.95, "smiles": 0.95}

_CID_RE = re.compile(r"^(?:CID[:\s]*)?(\d{1,10})$", re.IGNORECASE)
_CHEMBL_RE = re.compile(r"^CHEMBL\d+$", re.IGNORECASE)
_DRUGBANK_RE = re.compile(r"^DB\d{5}$", re.IGNORECASE)
_DTXSID_RE = re.compile(r"^DTXSID\d{6,12}$", re.IGNORECASE)
_CAS_SHAPE = re.compile(r"^\d{2,7}-\d{2}-\d$")
_ORGANIC_WORD = re.compile(r"(?:Cl|Br|[CNOSPFI])+")

_IDENTIFIER_KIND = {
    InputKind.INCHIKEY: IdentifierKind.INCHIKEY, InputKind.INCHI: IdentifierKind.INCHI,
    InputKind.SMILES: IdentifierKind.SMILES, InputKind.CAS: IdentifierKind.CAS,
    InputKind.PUBCHEM_CID: IdentifierKind.PUBCHEM_CID, InputKind.CHEMBL_ID: IdentifierKind.CHEMBL_ID,
    InputKind.DRUGBANK_ID: IdentifierKind.DRUGBANK_ID, InputKind.DTXSID: IdentifierKind.DTXSID,
    InputKind.NAME: IdentifierKind.NAME,
}


# -- results --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Candidate:
    """One strategy's answer: a compound (by standard InChIKey of the standardised parent)."""

    inchikey: str
    method: str
    confidence: float
    smiles: str | None = None
    name: str | None = None
    detail: str = ""
    compound: Compound | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"inchikey": self.inchikey, "method": self.method, "confidence": round(self.confidence, 3),
                "smiles": self.smiles, "name": self.name, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Resolution:
    """The resolver's answer for one input string.

    Attributes:
        query: the input as given.
        kind: what the input was read as.
        inchikey: the answer (None when unresolved or invalid).
        method: strategies that support the answer, ``+``-joined (``"store+opsin"``).
        confidence: 0..1 (see the module docstring).
        alternatives: other compounds that some strategy named (best first).
        conflict: True when strategies named different compounds.
        candidates: every candidate of every strategy, for display and recording.
        messages: notes (skipped strategies, service errors) for the user.
        error: why the input cannot be resolved at all (bad CAS check digit ...), else None.
    """

    query: str
    kind: InputKind
    inchikey: str | None = None
    name: str | None = None
    smiles: str | None = None
    method: str | None = None
    confidence: float = 0.0
    alternatives: tuple[Candidate, ...] = ()
    conflict: bool = False
    candidates: tuple[Candidate, ...] = ()
    messages: tuple[str, ...] = ()
    error: str | None = None

    @property
    def resolved(self) -> bool:
        return self.inchikey is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query, "kind": str(self.kind), "inchikey": self.inchikey, "name": self.name,
            "smiles": self.smiles, "method": self.method, "confidence": round(self.confidence, 3),
            "conflict": self.conflict, "alternatives": [c.as_dict() for c in self.alternatives],
            "messages": list(self.messages), "error": self.error,
        }


# -- input classification -------------------------------------------------------------------------
def classify(text: str) -> tuple[InputKind, str | None]:
    """What ``text`` looks like, and an error when its syntax is wrong (e.g. a CAS check digit)."""
    stripped = text.strip()
    if is_inchikey(stripped):
        return InputKind.INCHIKEY, None
    if stripped.startswith("InChI="):
        return InputKind.INCHI, None
    if _CAS_SHAPE.match(stripped):
        return InputKind.CAS, cas_error(stripped)
    if _CHEMBL_RE.match(stripped):
        return InputKind.CHEMBL_ID, None
    if _DRUGBANK_RE.match(stripped):
        return InputKind.DRUGBANK_ID, None
    if _DTXSID_RE.match(stripped):
        return InputKind.DTXSID, None
    if _CID_RE.match(stripped):
        return InputKind.PUBCHEM_CID, None
    if not stripped.isalpha() and _looks_like_structure(stripped):
        return InputKind.SMILES, None
    return InputKind.NAME, None


def cas_error(text: str) -> str | None:
    """A sentence saying why ``text`` is not a valid CAS RN (None when it is)."""
    if is_valid_cas(text):
        return None
    match = CAS_RE.match(text.strip())
    if not match:
        return f"{text!r} is not a CAS Registry Number (NNNNNNN-NN-N)"
    first, second, check = match.groups()
    expected = cas_check_digit(first + second)
    return f"CAS {text} has a wrong check digit: {check} given, {expected} expected (typo?)"


def _looks_like_structure(text: str) -> bool:
    from cryodesk.chem import looks_like_structure

    return looks_like_structure(text)


# -- OPSIN (offline) ------------------------------------------------------------------------------
class OpsinNameParser:
    """OPSIN through ``py2opsin`` (bundled jar, run with ``java -jar``); batches names into one JVM.

    ``available`` is False (with ``reason`` saying why) when the package or Java is missing, so
    the resolver skips this strategy with a clear message instead of failing.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        try:
            import py2opsin  # noqa: F401  (only checking that the jar-shipping package is there)
        except ImportError:
            self.reason = "OPSIN skipped: the py2opsin package (which ships the OPSIN jar) is not installed"
            return
        if shutil.which("java") is None:
            self.reason = "OPSIN skipped: no Java runtime (java) on PATH; install Java 8 or newer to parse names offline"

    @property
    def available(self) -> bool:
        return self.reason is None

    def smiles_for(self, names: Sequence[str]) -> dict[str, str]:
        """name -> SMILES for the names OPSIN can parse (unparsable names are simply absent)."""
        if not self.available or not names:
            return {}
        from py2opsin import py2opsin

        unique = list(dict.fromkeys(n.strip() for n in names if n.strip() and "\n" not in n))
        # py2opsin writes its input file relative to the working directory: use a private temp dir.
        with tempfile.TemporaryDirectory(prefix="cryodesk-opsin-") as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # OPSIN's "uninterpretable" messages are expected for trivial names
            try:
                result = py2opsin(unique, output_format="SMILES", tmp_fpath=os.path.join(tmp, "names.txt"))
            except Exception as exc:  # a JVM crash must not stop the other strategies
                self.reason = f"OPSIN failed: {type(exc).__name__}: {exc}"
                return {}
        values = result if isinstance(result, list) else [result]
        return {name: smi for name, smi in zip(unique, values, strict=False) if smi}


# -- clients --------------------------------------------------------------------------------------
@dataclass
class ResolverClients:
    """Online clients; any may be None (that strategy is then skipped with a message)."""

    pubchem: PubChemClient | None = None
    chembl: ChemblClient | None = None
    comptox: CompToxClient | None = None
    cactus: CactusClient | None = None

    @classmethod
    def from_settings(cls) -> ResolverClients:
        """Clients configured like the online imports (settings, ``CRYODESK_<SERVICE>_BASE``, key file)."""
        from cryodesk.config import load_settings
        from cryodesk.engine.online_clients import chembl_client, configured, pubchem_client
        from cryodesk.sources.cactus import CactusClient, cactus_config
        from cryodesk.sources.comptox import CompToxClient, comptox_config

        settings = load_settings()
        cache_dir = settings.http_cache_dir
        return cls(
            pubchem=pubchem_client(10, settings),
            chembl=chembl_client(10, settings),
            comptox=CompToxClient(config=configured(comptox_config(), settings), cache_dir=cache_dir),
            cactus=CactusClient(config=configured(cactus_config(), settings), cache_dir=cache_dir),
        )

    def close(self) -> None:
        for client in (self.pubchem, self.chembl, self.comptox, self.cactus):
            if client is not None:
                client.close()


# -- the resolver ---------------------------------------------------------------------------------
@dataclass
class _Work:
    """Per-query state while strategies run."""

    query: str
    kind: InputKind
    candidates: list[Candidate] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


Strategy = Callable[[_Work], None]


class Resolver:
    """Resolve strings to compounds. See the module docstring for order and confidence.

    Args:
        project: the store to consult first (None: no store strategy).
        clients: online clients; None with ``offline=False`` builds them from the settings.
        offline: skip every online strategy.
        use_opsin: try OPSIN for names (when available).
        verify: also ask online services when an offline strategy already answered.
    """

    def __init__(self, project: Project | None = None, clients: ResolverClients | None = None, *,
                 offline: bool = False, use_opsin: bool = True, verify: bool = False,
                 opsin: OpsinNameParser | None = None) -> None:
        self.project = project
        self.offline = offline
        self.verify = verify
        self._clients = clients
        self._owns_clients = False
        self.opsin = (opsin or OpsinNameParser()) if use_opsin else None
        self._opsin_cache: dict[str, str] = {}

    def close(self) -> None:
        if self._owns_clients and self._clients is not None:
            self._clients.close()

    @property
    def clients(self) -> ResolverClients:
        if self._clients is None:
            self._clients = ResolverClients.from_settings()
            self._owns_clients = True
        return self._clients

    # -- public -----------------------------------------------------------------------------
    def resolve(self, text: str) -> Resolution:
        return self.resolve_many([text])[0]

    def resolve_many(self, texts: Iterable[str]) -> list[Resolution]:
        """Resolve each string (OPSIN runs once for all names: one JVM start, not one per name)."""
        items = [str(t) for t in texts]
        classified = [(t, *classify(t)) for t in items]
        self._prefetch_opsin([t.strip() for t, kind, err in classified if kind is InputKind.NAME and not err])
        return [self._resolve_one(t, kind, err) for t, kind, err in classified]

    def record(self, resolutions: Iterable[Resolution], source_prefix: str = "resolver") -> int:
        """Store each candidate mapping (query -> compound) with its method and confidence.

        Conflicting candidates are all stored, side by side, each with its own confidence: the
        store keeps the disagreement visible instead of picking one. Returns identifiers written.
        """
        if self.project is None:
            return 0
        compounds: list[Compound] = []
        identifiers: list[Identifier] = []
        for res in resolutions:
            for cand in res.candidates:
                if cand.method == "store":
                    continue  # already stored
                if cand.compound is not None:
                    compounds.append(cand.compound)
                kind = _IDENTIFIER_KIND[res.kind]
                identifiers.append(Identifier(cand.inchikey, kind, res.query.strip(), f"{source_prefix}:{cand.method}",
                                              round(cand.confidence, 3)))
        with self.project.db.transaction():
            self.project.compounds.upsert_many(compounds)
            return self.project.identifiers.upsert_many(identifiers)

    # -- orchestration ----------------------------------------------------------------------
    def _resolve_one(self, text: str, kind: InputKind, error: str | None) -> Resolution:
        if not text.strip():
            return Resolution(text, kind, error="empty input")
        if error:
            return Resolution(text, kind, error=error)
        work = _Work(text.strip(), kind)
        for strategy in (self._store, self._parse, self._opsin):
            strategy(work)
        if not self.offline and (self.verify or not work.candidates):
            self._online(work)
        elif not work.candidates and self.offline:
            work.messages.append("offline: online services not consulted")
        return _decide(work)

    def _online(self, work: _Work) -> None:
        before = len(work.candidates)
        self._owner(work)
        if self.verify or len(work.candidates) == before:
            self._guarded(work, "cactus", self._cactus)

    def _guarded(self, work: _Work, name: str, strategy: Strategy) -> None:
        """Run an online strategy; a service failure becomes a message, not a crash."""
        try:
            strategy(work)
        except SourceError as exc:
            work.messages.append(f"{name}: {exc}")
        except Exception as exc:  # an unexpected reply must not hide the other strategies' answers
            log.warning("resolver strategy %s failed", name, exc_info=True)
            work.messages.append(f"{name}: {type(exc).__name__}: {exc}")

    # -- strategies -------------------------------------------------------------------------
    def _store(self, work: _Work) -> None:
        if self.project is None:
            return
        seen: set[str] = set()
        if work.kind is InputKind.INCHIKEY:
            compound = self.project.compounds.get(work.query.upper())
            if compound is not None:
                seen.add(compound.inchikey)
                work.candidates.append(Candidate(compound.inchikey, "store", 1.0, compound.smiles, compound.name,
                                                 "InChIKey in the project"))
        query = _normalised_query(work)
        for key, ident in self.project.identifiers.lookup(query):
            if key in seen:
                continue
            seen.add(key)
            weight = _STORE_KIND_WEIGHT.get(str(ident.kind), 1.0)
            compound = self.project.compounds.get(key)
            work.candidates.append(Candidate(
                key, "store", ident.confidence * weight, compound.smiles if compound else None,
                compound.name if compound else None, f"{ident.kind} from {ident.source}"))

    def _parse(self, work: _Work) -> None:
        ambiguous = work.kind is InputKind.NAME and work.query.isalpha() and _looks_like_structure(work.query)
        if work.kind not in (InputKind.SMILES, InputKind.INCHI) and not ambiguous:
            return
        if ambiguous and not (_ORGANIC_WORD.fullmatch(work.query) and len(work.query) > 2):
            # "FBS" (F-B-S), "PVP" (P-V-P): valid SMILES, but surely abbreviations; never guess a structure.
            work.messages.append(f"parse: {work.query!r} also reads as SMILES but looks like an abbreviation: not used")
            return
        from cryodesk.chem import compound_from_text

        result = compound_from_text(work.query)
        if result.compound is None:
            work.messages.append(f"parse: {result.error}")
            return
        # "CCO" in capitals is almost surely SMILES, yet a word: a little less sure than real SMILES.
        confidence = BASE_CONFIDENCE["parse-ambiguous"] if ambiguous else BASE_CONFIDENCE["parse"]
        c = result.compound
        work.candidates.append(Candidate(c.inchikey, "parse", confidence, c.smiles, c.name,
                                         "read as SMILES although it looks like a word" if ambiguous else "",
                                         c))

    def _prefetch_opsin(self, names: list[str]) -> None:
        if self.opsin is None or not self.opsin.available:
            return
        missing = [n for n in dict.fromkeys(names) if n and n not in self._opsin_cache]
        found = self.opsin.smiles_for(missing)
        for name in missing:
            self._opsin_cache[name] = found.get(name, "")

    def _opsin(self, work: _Work) -> None:
        if work.kind is not InputKind.NAME or self.opsin is None:
            return
        if not self.opsin.available:
            work.messages.append(self.opsin.reason or "OPSIN unavailable")
            return
        if work.query not in self._opsin_cache:
            self._prefetch_opsin([work.query])
        smiles = self._opsin_cache.get(work.query)
        if smiles:
            _add_structure(work, "opsin", BASE_CONFIDENCE["opsin"], smiles, None, "OPSIN name-to-structure")

    def _owner(self, work: _Work) -> None:
        kind = work.kind
        if kind is InputKind.CHEMBL_ID:
            self._guarded(work, "chembl", self._chembl)
        elif kind is InputKind.DTXSID:
            self._guarded(work, "comptox", self._comptox)
        elif kind in (InputKind.PUBCHEM_CID, InputKind.INCHIKEY, InputKind.NAME, InputKind.CAS,
                      InputKind.DRUGBANK_ID, InputKind.SMILES, InputKind.INCHI):
            if kind in (InputKind.SMILES, InputKind.INCHI) and work.candidates:
                return  # a parsed structure needs no service to say what it is
            self._guarded(work, "pubchem", self._pubchem)

    def _chembl(self, work: _Work) -> None:
        client = self.clients.chembl
        if client is None:
            work.messages.append("chembl: no client configured")
            return
        molecule = client.molecule(work.query.upper())
        if molecule is None:
            work.messages.append(f"chembl: {work.query} is not a known ChEMBL ID")
            return
        structure = molecule.canonical_smiles or molecule.standard_inchi
        if not structure:
            work.messages.append(f"chembl: {work.query} has no structure (biologic or mixture?)")
            return
        _add_structure(work, "chembl", BASE_CONFIDENCE["chembl"], structure, molecule.pref_name,
                       f"ChEMBL molecule {molecule.chembl_id}", molecule.standard_inchi_key)

    def _comptox(self, work: _Work) -> None:
        client = self.clients.comptox
        if client is None:
            work.messages.append("comptox: no client configured")
            return
        chemical = client.chemical(work.query.upper())
        if chemical is None:
            work.messages.append(f"comptox: {work.query} is not a known DTXSID")
            return
        structure = chemical.smiles or chemical.inchi
        if not structure:
            work.messages.append(f"comptox: {work.query} has no structure")
            return
        _add_structure(work, "comptox", BASE_CONFIDENCE["comptox"], structure, chemical.preferred_name,
                       f"CompTox {chemical.dtxsid}", chemical.inchikey)

    def _pubchem(self, work: _Work) -> None:
        client = self.clients.pubchem
        if client is None:
            work.messages.append("pubchem: no client configured")
            return
        cids, by_name = self._pubchem_cids(client, work)
        if not cids:
            work.messages.append(f"pubchem: nothing found for {work.query!r}")
            return
        rows = {row.cid: row for row in client.properties(cids[:3], ("SMILES", "InChIKey", "Title"))}
        for rank, cid in enumerate(cids[:3]):
            row = rows.get(cid)
            if row is None or not (row.smiles or row.connectivity_smiles):
                continue
            method = "pubchem-name" if by_name and rank == 0 else ("pubchem-name-other" if by_name else "pubchem-id")
            _add_structure(work, "pubchem", BASE_CONFIDENCE[method], row.smiles or row.connectivity_smiles or "",
                           row.title, f"PubChem CID {cid}" + (f" (rank {rank + 1} of {len(cids)})" if by_name else ""),
                           row.inchikey)

    @staticmethod
    def _pubchem_cids(client: PubChemClient, work: _Work) -> tuple[list[int], bool]:
        if work.kind is InputKind.PUBCHEM_CID:
            match = _CID_RE.match(work.query)
            return ([int(match.group(1))] if match else []), False
        if work.kind is InputKind.INCHIKEY:
            return client.cids_by_inchikey(work.query.upper()), False
        if work.kind is InputKind.SMILES:
            return client.cids_by_smiles(work.query), False
        return client.cids_by_name(work.query), True

    def _cactus(self, work: _Work) -> None:
        client = self.clients.cactus
        if client is None:
            work.messages.append("cactus: no client configured")
            return
        if work.kind in (InputKind.PUBCHEM_CID, InputKind.CHEMBL_ID, InputKind.DTXSID):
            return  # CACTUS does not know these namespaces
        result = client.resolve(work.query, "smiles")
        if not result.found:
            work.messages.append(f"cactus: nothing found for {work.query!r}")
            return
        for answer in result.answers:
            weight = _CACTUS_RESOLVER_WEIGHT.get(answer.resolver, BASE_CONFIDENCE["cactus"])
            for smiles in answer.values[:1]:
                _add_structure(work, "cactus", weight, smiles, None, f"CACTUS {answer.resolver}")


# -- helpers --------------------------------------------------------------------------------------
def _normalised_query(work: _Work) -> str:
    if work.kind is InputKind.CAS:
        first, rest = work.query.split("-", 1)
        return f"{int(first)}-{rest}"  # "0057-55-6" and "57-55-6" are the same number
    if work.kind is InputKind.PUBCHEM_CID:
        match = _CID_RE.match(work.query)
        return match.group(1) if match else work.query
    return work.query


def _add_structure(work: _Work, method: str, confidence: float, structure: str, name: str | None,
                   detail: str, service_key: str | None = None) -> None:
    """Standardise a service's structure so every candidate is keyed by CryoDesk's identity."""
    from cryodesk.chem import compound_from_text

    result = compound_from_text(structure, name=name)
    if result.compound is None:
        work.messages.append(f"{method}: structure {structure!r} not readable ({result.error})")
        return
    c = result.compound
    if service_key and service_key != c.inchikey:
        # Salts and charged forms standardise to their parent: say so rather than hide it.
        detail += f"; service InChIKey {service_key} standardised to the parent"
    work.candidates.append(Candidate(c.inchikey, method, confidence, c.smiles, name or c.name, detail, c))


def _decide(work: _Work) -> Resolution:
    """Group candidates by compound, combine agreeing strategies, report disagreement."""
    groups: dict[str, list[Candidate]] = {}
    for cand in work.candidates:
        groups.setdefault(cand.inchikey, []).append(cand)
    if not groups:
        return Resolution(work.query, work.kind, messages=tuple(work.messages),
                          error=f"could not resolve {work.query!r} ({work.kind})")
    scores = {key: _noisy_or(_best_per_method(cands)) for key, cands in groups.items()}
    ranked = sorted(groups, key=lambda k: (-scores[k], k))
    best = ranked[0]
    total = sum(scores.values())
    conflict = len(ranked) > 1
    confidence = scores[best] * (scores[best] / total) if conflict else scores[best]
    winners = groups[best]
    alternatives = tuple(max(groups[k], key=lambda c: c.confidence) for k in ranked[1:])
    named = next((c for c in winners if c.name), winners[0])
    structured = next((c for c in winners if c.smiles), winners[0])
    methods = "+".join(dict.fromkeys(c.method for c in winners))
    return Resolution(work.query, work.kind, best, named.name, structured.smiles, methods, min(confidence, 1.0),
                      alternatives, conflict, tuple(work.candidates), tuple(work.messages))


def _best_per_method(cands: list[Candidate]) -> list[float]:
    # Two CACTUS resolvers agreeing are one source, not two independent opinions.
    best: dict[str, float] = {}
    for c in cands:
        best[c.method] = max(best.get(c.method, 0.0), c.confidence)
    return list(best.values())


def _noisy_or(values: Iterable[float]) -> float:
    remaining = 1.0
    for value in values:
        remaining *= 1.0 - max(0.0, min(1.0, value))
    return 1.0 - remaining
