"""Context for ambiguous abbreviations: cryo context, in-text definitions and the decision rules.

An ambiguous abbreviation (``EG``, ``PG``, ``FA``, ``HES`` ...) is accepted as the cryoprotectant
only with positive evidence, checked in this order:

1. the text defines it: ``ethylene glycol (EG)`` accepts every ``EG`` of the document, while
   ``fatty acid (FA)`` or ``prostaglandin (PG)`` rejects them (a definition outranks every cue);
2. a cue for another sense in the sentence rejects it (``prostaglandin``, ``fatty acids``,
   ``fractional anisotropy``; and ``EG.``/``EG,`` before a lower-case word reads as "e.g.");
3. a concentration written next to it with a CPA-like unit (%, M, mM, mg/mL) in a document about
   cryopreservation accepts it (``10% EG``, ``1.5 M PG``);
4. a document about cryopreservation, with no cue for another sense anywhere in it, and a cryo
   word or another cryoprotectant in the same sentence, accepts it (lower confidence);
5. otherwise it is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryodesk.literature.lexicon import CONTEXT_RULES, ContextRule

CRYO_RE = re.compile(
    r"cryo\w*|vitrif\w*|devitrif\w*|freez\w*|frozen|thaw\w*|re-?warm\w*|post-?warm\w*|antifreeze|ice[-\s]"
    r"(?:crystal|recrystalli[sz]ation|formation|nucleation|free)\w*|liquid\s+nitrogen|supercool\w*|"
    r"glass\s+transition|hypothermic\s+(?:storage|preservation)|\bCPAs?\b|\bvitreous\s+state",
    re.IGNORECASE,
)
#: Units under which an attached number makes an abbreviation read as a cryoprotectant.
CPA_UNITS = frozenset({"%", "% v/v", "% w/v", "% w/w", "M", "mM", "mol/kg", "mg/mL", "g/L"})
_DEFINITION_RE = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9\-]{0,9}?)(s?)\s*[);,]")
_EG_LIKE_RE = re.compile(r"\s*[.:,]\s*(?:[a-z]|$)")  # used with match(pos): no "^", which ignores pos
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Decision:
    """Outcome of the rules for one ambiguous mention."""

    accepted: bool
    reason: str  # resolution basis when accepted, rejection reason otherwise


#: Substrings (lower case) at least one of which every CRYO_RE match contains: a cheap pre-check.
_CRYO_ANCHORS = ("cryo", "vitrif", "freez", "frozen", "thaw", "warm", "antifreeze", "ice", "nitrogen", "supercool",
                 "glass transition", "hypothermic", "cpa", "vitreous")


def has_cryo_context(text: str, start: int = 0, end: int | None = None) -> bool:
    """True when ``text[start:end]`` speaks of freezing, vitrification, thawing, CPAs ..."""
    stop = len(text) if end is None else end
    lowered = text[start:stop].lower()
    if not any(anchor in lowered for anchor in _CRYO_ANCHORS):
        return False
    return CRYO_RE.search(text, start, stop) is not None


def find_definitions(text: str) -> dict[str, tuple[str, int]]:
    """Abbreviations defined as ``long form (ABBR)``: ``{ABBR: (long form, offset of "(")}``.

    The long form is found as in Schwartz & Hearst (2003): the shortest run of preceding words
    whose letters contain the abbreviation's characters in order, the first one starting a word.
    Plural abbreviations (``FAs``) are stored under the singular.
    """
    found: dict[str, tuple[str, int]] = {}
    for match in _DEFINITION_RE.finditer(text):
        short = match.group(1)
        if len(short) < 2 or not any(ch.isupper() for ch in short) or short in found:
            continue
        long_form = _long_form(text, match.start(), short)
        if long_form:
            found[short] = (long_form, match.start())
    return found


def _long_form(text: str, paren: int, short: str) -> str | None:
    """Schwartz–Hearst best long form for ``short`` ending just before ``paren``."""
    window_start = max(0, paren - 120)
    words = list(_WORD_RE.finditer(text, window_start, paren))
    limit = min(len(short) + 5, 2 * len(short))
    for count in range(1, min(limit, len(words)) + 1):
        first = words[-count]
        candidate = text[first.start() : paren].strip()
        if _sh_match(short, candidate):
            return candidate
    return None


def _sh_match(short: str, long: str) -> bool:
    """Schwartz–Hearst character test (case-insensitive, from the right)."""
    s, lng = short.lower(), long.lower()
    si, li = len(s) - 1, len(lng) - 1
    while si >= 0:
        ch = s[si]
        if not ch.isalnum():
            si -= 1
            continue
        while li >= 0 and (lng[li] != ch or (si == 0 and li > 0 and lng[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return False
        si -= 1
        li -= 1
    return True


def definition_matches(rule: ContextRule, long_form: str) -> bool:
    """True when an in-text long form means the rule's cryoprotectant."""
    lowered = " ".join(long_form.lower().replace("-", " ").split())
    return any(" ".join(f.replace("-", " ").split()) in lowered for f in rule.long_forms)


def decide(
    *,
    surface: str,
    rule_name: str,
    text: str,
    mention_end: int,
    sentence: tuple[int, int],
    definition: str | None,
    defined_as_cpa_elsewhere: bool,
    attached_unit: str | None,
    document_cryo: bool,
    sentence_support: bool,
) -> Decision:
    """Apply the rules of the module docstring to one ambiguous mention.

    Args:
        surface: the abbreviation as written.
        rule_name: key of :data:`CONTEXT_RULES`.
        text: the document text.
        mention_end: offset after the mention.
        sentence: ``(start, end)`` of its sentence.
        definition: the document's long form for this abbreviation, if it defines one.
        defined_as_cpa_elsewhere: a dictionary mention of the same compound sits right before the
            definition, e.g. ``1,2-propanediol (PG)``.
        attached_unit: unit of a quantity written next to the mention, if any.
        document_cryo: the document is about cryopreservation.
        sentence_support: the sentence has a cryo word or another accepted cryoprotectant.
    """
    rule = CONTEXT_RULES.get(rule_name, CONTEXT_RULES["ABBREVIATION"])
    if definition is not None:
        if defined_as_cpa_elsewhere or definition_matches(rule, definition):
            return Decision(True, "defined_in_text")
        return Decision(False, f"defined in the text as '{definition}'")
    sentence_text = text[sentence[0] : sentence[1]]
    cue = rule.sentence_cue(sentence_text)
    if cue:
        return Decision(False, f"context cue '{cue}' in the sentence")
    if rule.eg_like and _EG_LIKE_RE.match(text, mention_end, sentence[1]) and attached_unit is None:
        return Decision(False, f"'{surface}' reads as 'e.g.' here")
    if attached_unit in CPA_UNITS and document_cryo:
        return Decision(True, "concentration+cryo_context")
    if document_cryo and sentence_support:
        doc_cue = rule.document_cue(text)
        if doc_cue:
            return Decision(False, f"document mentions '{doc_cue}'")
        return Decision(True, "cryo_context")
    if not document_cryo:
        return Decision(False, "ambiguous abbreviation outside a cryopreservation context")
    return Decision(False, "ambiguous abbreviation without support in its sentence")
