"""Compound-name dictionary: a token trie with word boundaries, case rules and spelling variants.

Names are split into tokens (runs of letters/digits, or single punctuation characters; white
space separates tokens and is otherwise ignored), normalised (case-folded, Unicode dashes and
primes unified, Greek letters spelled out) and stored in a trie keyed by token. Scanning a text
walks the trie from every token and keeps the leftmost-longest match, so the cost grows with the
text, not with the number of names (an Aho–Corasick-style scan at token level; tens of thousands
of synonyms cost nothing extra per abstract). Because tokens are whole alphanumeric runs, a match
always sits on word boundaries: ``EG`` never matches inside ``PEG``.

A second, "loose" trie ignores hyphens, so ``ethylene-glycol`` or ``1,2 propanediol`` still match
(reported as fuzzy). Abbreviations carry a case rule: ``EG`` matches ``EG`` only, never ``eg``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from cryodesk.literature.lexicon import COMMON_WORDS, LexiconEntry, default_lexicon
from cryodesk.literature.records import EntryKind, MatchKind

_TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s]|_")
_CAS_RE = re.compile(r"^\d{2,7}-\d\d-\d$")
_TRANSLATE = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u2032": "'", "\u2019": "'", "\u2018": "'", "\u02b9": "'", "\u00b4": "'",
    }
)
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa", "ω": "omega",
          "µ": "mu", "μ": "mu", "ɑ": "alpha"}
_END = "\x00"  # trie key of the entry list (never a token)

Token = tuple[str, int, int]  # (normalised text, start, end)


def normalise_token(raw: str) -> str:
    text = raw.translate(_TRANSLATE).lower()  # lower(), not casefold(): tokenize() lower-cases whole texts
    return _GREEK.get(text, text)


def tokenize(text: str) -> list[Token]:
    """Normalised tokens of ``text`` with their offsets."""
    lowered = text.translate(_TRANSLATE).lower()
    if len(lowered) != len(text):  # a character whose lower case is longer ("İ"): go token by token
        return [(normalise_token(m.group(0)), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    # One pass over the lower-cased text is about twice as fast as normalising every token.
    greek = _GREEK
    return [(greek.get(m.group(0), m.group(0)), m.start(), m.end()) for m in _TOKEN_RE.finditer(lowered)]


def _surface_tokens(text: str) -> list[str]:
    """Tokens as written (dashes unified, case kept), for case rules."""
    tokens = (m.group(0).translate(_TRANSLATE) for m in _TOKEN_RE.finditer(text))
    return [_GREEK.get(t, t) for t in tokens]


@dataclass(frozen=True, slots=True)
class DictionaryMatch:
    """One hit of :meth:`CompoundDictionary.find`."""

    start: int
    end: int
    entry: LexiconEntry
    match: MatchKind
    alternatives: tuple[str, ...] = ()


class CompoundDictionary:
    """Names and synonyms of compounds (from the caller) plus the curated lexicon.

    Build it once per name list and reuse it: scanning is thread-safe (the trie is read-only).
    """

    def __init__(self, entries: Iterable[LexiconEntry]) -> None:
        self._strict: dict[str, dict] = {}
        self._loose: dict[str, dict] = {}
        self.entries: list[LexiconEntry] = []
        for entry in entries:
            self._add(entry)

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        names: Iterable[tuple[str, str | None]] = (),
        *,
        lexicon: Sequence[LexiconEntry] | None = None,
        kind: EntryKind = EntryKind.COMPOUND,
    ) -> CompoundDictionary:
        """A dictionary of caller names plus the curated lexicon.

        Args:
            names: ``(name, inchikey)`` pairs, e.g. every name and synonym the store maps to an
                InChIKey (``inchikey`` may be None or ``""`` for names without a structure).
            lexicon: curated entries (default :func:`default_lexicon`; ``[]`` for none).
            kind: kind given to the caller's names.

        Caller names are filtered for safety: names of one or two characters, bare numbers, CAS
        numbers and common English words are skipped; short upper-case names become
        case-sensitive abbreviations, and those of three letters or fewer also need context
        (the generic ``ABBREVIATION`` rule), as curated abbreviations do.
        """
        curated = list(default_lexicon() if lexicon is None else lexicon)
        pairs = [(n, (k or "").strip() or None) for n, k in names]
        # Pairs carry no "preferred name" flag: the first name given for an InChIKey is its display name.
        display: dict[str, str] = {}
        for name, key in pairs:
            if key:
                display.setdefault(key, " ".join(name.split()))
        caller = [e for e in (caller_entry(n, k, kind, display.get(k or "")) for n, k in pairs) if e is not None]
        keys_by_name = {e.surface.casefold(): e.inchikey for e in caller if e.inchikey}
        linked = [_link(e, keys_by_name) for e in curated]
        return cls([*linked, *caller])

    def _add(self, entry: LexiconEntry) -> None:
        tokens = [t for t, _, _ in tokenize(entry.surface)]
        if not tokens:
            return
        self.entries.append(entry)
        _insert(self._strict, tokens, entry)
        loose = [t for t in tokens if t != "-"]
        if loose:
            _insert(self._loose, loose, entry)

    def __len__(self) -> int:
        return len(self.entries)

    # -- scanning -------------------------------------------------------------------------------
    def find(self, text: str, tokens: list[Token] | None = None) -> list[DictionaryMatch]:
        """Leftmost-longest, non-overlapping dictionary hits in ``text``, in text order."""
        tokens = tokenize(text) if tokens is None else tokens
        matches: list[DictionaryMatch] = []
        i, n = 0, len(tokens)
        strict_root, loose_root = self._strict, self._loose
        while i < n:
            first = tokens[i][0]
            hit = None
            if first in strict_root:
                hit = self._walk(text, tokens, i, strict_root, loose=False)
            if hit is None and first in loose_root:
                hit = self._walk(text, tokens, i, loose_root, loose=True)
            if hit is None:
                i += 1
                continue
            match, next_index = hit
            matches.append(match)
            i = next_index
        return matches

    def _walk(
        self, text: str, tokens: list[Token], i: int, root: dict, *, loose: bool
    ) -> tuple[DictionaryMatch, int] | None:
        node = root
        ends: list[tuple[int, list[LexiconEntry]]] = []
        j = i
        while j < len(tokens):
            token = tokens[j][0]
            if loose and token == "-" and j > i:
                j += 1
                continue
            child = node.get(token)
            if child is None:
                break
            node = child
            if _END in node:
                ends.append((j, node[_END]))
            j += 1
        for last, candidates in reversed(ends):  # longest first
            start, end = tokens[i][1], tokens[last][2]
            chosen = self._choose(text[start:end], candidates, loose)
            if chosen is not None:
                entry, kind, alternatives = chosen
                return DictionaryMatch(start, end, entry, kind, alternatives), last + 1
        return None

    @staticmethod
    def _choose(
        written: str, candidates: list[LexiconEntry], loose: bool
    ) -> tuple[LexiconEntry, MatchKind, tuple[str, ...]] | None:
        """The entry a written surface selects (curated first), with the match kind, or None."""
        passing = [e for e in candidates if _case_ok(written, e)]
        if not passing:
            return None
        passing.sort(key=lambda e: (e.source != "lexicon", e.inchikey is None))
        entry = passing[0]
        others = tuple(dict.fromkeys(e.inchikey for e in passing[1:] if e.inchikey and e.inchikey != entry.inchikey))
        if loose:
            kind = MatchKind.FUZZY
        elif _same_text(written, entry.surface):
            kind = MatchKind.EXACT
        else:
            kind = MatchKind.CASE_VARIANT
        return entry, kind, others


def _insert(root: dict, tokens: list[str], entry: LexiconEntry) -> None:
    node = root
    for token in tokens:
        node = node.setdefault(token, {})
    bucket = node.setdefault(_END, [])
    if not any(e.surface == entry.surface and e.canonical == entry.canonical and e.inchikey == entry.inchikey
               for e in bucket):
        bucket.append(entry)


def _case_ok(written: str, entry: LexiconEntry) -> bool:
    if entry.case != "exact":
        return True
    return _surface_tokens(written) == _surface_tokens(entry.surface)


def _same_text(written: str, surface: str) -> bool:
    """True unless the case differs in a telling way (``dmso`` for ``DMSO``, ``GLYCEROL`` for ``Glycerol``).

    Capitals that only follow typography (``Glycerol`` at a sentence start, ``1,3-propanediol``
    for a listed ``1,3-Propanediol``) still count as the listed name.
    """
    a, b = " ".join(_surface_tokens(written)), " ".join(_surface_tokens(surface))
    if a == b:
        return True
    upper_written = sum(ch.isupper() for ch in a)
    upper_listed = sum(ch.isupper() for ch in b)
    if upper_listed >= 2 and upper_written < upper_listed:
        return False
    letters = [ch for ch in a if ch.isalpha()]
    return not (upper_written >= 2 and all(ch.isupper() for ch in letters) and upper_written > upper_listed)


def _link(entry: LexiconEntry, keys_by_name: dict[str, str | None]) -> LexiconEntry:
    """Give a curated compound without an InChIKey the caller's key for the same name."""
    if entry.inchikey or entry.kind is not EntryKind.COMPOUND:
        return entry
    key = keys_by_name.get(entry.canonical.casefold()) or keys_by_name.get(entry.surface.casefold())
    return replace(entry, inchikey=key) if key else entry


def caller_entry(
    name: str, inchikey: str | None, kind: EntryKind = EntryKind.COMPOUND, display: str | None = None
) -> LexiconEntry | None:
    """The dictionary entry for one caller name, or None when the name is unsafe to match.

    ``display`` is the canonical name shown for the compound (default: the name itself).
    """
    surface = " ".join(name.split())
    canonical = display or surface
    letters = [ch for ch in surface if ch.isalpha()]
    if len(surface) <= 2 or not letters or _CAS_RE.match(surface):
        return None
    if surface.casefold() in COMMON_WORDS:
        return None
    key = (inchikey or "").strip() or None
    has_upper = any(ch.isupper() for ch in letters)
    if len(surface) <= 5 and has_upper and " " not in surface:
        if len(letters) <= 3 and surface[:1].isupper() and surface[1:].islower():
            return None  # "Ala", "Pro", "His": residue codes, and ordinary words at a sentence start
        # Short upper-case names are abbreviations: exact case; three letters or fewer need context.
        rule = "ABBREVIATION" if len(letters) <= 3 else None
        return LexiconEntry(surface, canonical, kind, key, case="exact", rule=rule, source="caller")
    return LexiconEntry(surface, canonical, kind, key, source="caller")
