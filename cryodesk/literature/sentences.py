"""Sentence splitting that keeps character offsets.

Rule-based, tuned for abstracts: a sentence ends at ``.``, ``!`` or ``?`` (plus closing quotes or
brackets) followed by white space and an upper-case letter, a digit or an opening bracket, unless
the word before the stop is a known abbreviation (``e.g.``, ``et al.``, ``Fig.``), a single
capital (``J. Smith``) or part of a decimal; and always at a line break (structured abstracts put
each labelled section on its own line). A full NLP sentence splitter (e.g. syntok or spaCy's
rule-based sentencizer) would do a little better on odd punctuation, but this needs no download
and keeps exact offsets.
"""

from __future__ import annotations

import re

from cryodesk.literature.records import Sentence

#: Words that end with a period without ending the sentence (compared case-insensitively,
#: without the final period).
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "e.g", "i.e", "al", "fig", "figs", "vs", "approx", "ca", "cf", "dr", "mr", "mrs", "prof", "no", "nos",
        "eq", "eqs", "resp", "ref", "refs", "st", "jr", "inc", "ltd", "co", "corp", "u.s", "sp", "spp", "var",
        "viz", "incl", "subsp", "cv", "tab",
    }
)

_CANDIDATE_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|\n")
_NEXT_START_RE = re.compile(r"\s+([\"'“‘(\[]?[A-Z0-9\u0391-\u03a9])")
_WORD_BEFORE_RE = re.compile(r"(\S+)$")


def _is_abbreviation(text: str, stop: int) -> bool:
    """True when the period at ``stop`` closes an abbreviation, not a sentence."""
    match = _WORD_BEFORE_RE.search(text, max(0, stop - 40), stop)  # a window: searching from 0 is quadratic
    if not match:
        return False
    word = match.group(1).lstrip("([\"'“‘").lower()
    if word in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith", "E. coli"
        return True
    return False


def _boundaries(text: str) -> list[int]:
    """Offsets just after each sentence end."""
    ends: list[int] = []
    for match in _CANDIDATE_RE.finditer(text):
        if match.group(0) == "\n":
            ends.append(match.start())
            continue
        nxt = _NEXT_START_RE.match(text, match.end())
        if nxt is None:
            continue
        if match.group(0).startswith(".") and _is_abbreviation(text, match.start()):
            continue
        ends.append(match.end())
    return ends


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences; ``text[s.start:s.end] == s.text`` for each.

    Leading and trailing white space is left out of each sentence; empty pieces are dropped.
    """
    sentences: list[Sentence] = []
    start = 0
    for end in [*_boundaries(text), len(text)]:
        piece_start, piece_end = _trim(text, start, end)
        if piece_end > piece_start:
            sentences.append(Sentence(len(sentences), piece_start, piece_end, text[piece_start:piece_end]))
        start = end
    return sentences


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_index_at(sentences: list[Sentence] | tuple[Sentence, ...], offset: int) -> int:
    """Index of the sentence containing ``offset`` (the previous one when it falls between two)."""
    lo, hi = 0, len(sentences) - 1
    found = 0
    while lo <= hi:
        mid = (lo + hi) // 2
        if sentences[mid].start <= offset:
            found = mid
            lo = mid + 1
        else:
            hi = mid - 1
    return found
