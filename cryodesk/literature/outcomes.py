"""Outcome metrics: viability, recovery, survival, attachment ... and their percentages.

The metric words are found by one pattern; a percentage is tied to the nearest metric word of
its sentence within :data:`MAX_DISTANCE` characters (``post-thaw viability was 85 ± 3%``,
``85% of cells survived``). Whether the sentence says the value was measured after thawing or
warming is recorded as ``post_thaw``.
"""

from __future__ import annotations

import re

from cryodesk.literature.records import Outcome, Quantity

#: Metric label -> pattern of the words that name it.
METRICS: dict[str, str] = {
    "viability": r"viab(?:le|ility|ilities)|live\s+cells?|live/dead|membrane\s+integrity",
    "recovery": r"recover(?:y|ies|ed)",
    "survival": r"surviv(?:al|ed|ing|e|ors?)",
    "attachment": r"attach(?:ment|ed)|adhesion\s+rate|plating\s+efficiency|re-?attach\w*",
    "motility": r"motil(?:e|ity)",
    "cleavage": r"cleavage",
    "blastocyst": r"blastocysts?\s+(?:rate|formation|development|yield)",
    "hatching": r"hatch(?:ing|ed)",
    "fertilization": r"fertili[sz]ation",
    "integrity": r"acrosom\w*\s+integrity|intact",
}
METRIC_RE = re.compile("|".join(f"(?P<{name}>\\b(?:{p}))" for name, p in METRICS.items()), re.IGNORECASE)
POST_THAW_RE = re.compile(
    r"post-?\s*(?:thaw|warm)\w*|after\s+(?:thawing|warming|rewarming|cryopreservation|vitrification|freezing)|"
    r"upon\s+(?:thawing|warming)|following\s+(?:thawing|warming)|(?:frozen|vitrified)[-\s]+(?:thawed|warmed)",
    re.IGNORECASE,
)
#: Largest gap (characters) between a percentage and its metric word.
MAX_DISTANCE = 60
OUTCOME_UNITS = frozenset({"%"})


def find_metric_words(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """``(metric, start, end)`` of every metric word in ``text[start:end]``."""
    return [(m.lastgroup or "", m.start(), m.end()) for m in METRIC_RE.finditer(text, start, end)]


def is_post_thaw(text: str, start: int, end: int) -> bool:
    return POST_THAW_RE.search(text, start, end) is not None


_AFTER_GAP_RE = re.compile(r"\s*(?:(?:of|in)\s+)?(?:(?:the|all)\s+)?(?:(?:cells?|oocytes?|embryos?)\s+)?")


def nearest_metric(
    quantity: Quantity, words: list[tuple[str, int, int]], max_distance: int = MAX_DISTANCE, text: str | None = None
) -> tuple[str, int, int] | None:
    """The metric word ``quantity`` reports, if any.

    A word written right after the value (``85% viability``, ``85% of cells survived``) wins;
    otherwise the closest word before it (``viability was 85%``) within ``max_distance``
    characters. A word after the value across a comma belongs to the next value
    (``viability 92%, recovery 75%``).
    """
    for word in words:
        _, w_start, _ = word
        if w_start >= quantity.end and w_start - quantity.end <= 25:
            if text is None or _AFTER_GAP_RE.fullmatch(text, quantity.end, w_start):
                return word
    before = [w for w in words if w[2] <= quantity.start and quantity.start - w[2] <= max_distance]
    return max(before, key=lambda w: w[2]) if before else None


def make_outcome(quantity: Quantity, word: tuple[str, int, int], post_thaw: bool) -> Outcome:
    metric, w_start, w_end = word
    return Outcome(
        start=quantity.start,
        end=quantity.end,
        text=quantity.text,
        metric=metric,
        value=quantity.value,
        unit=quantity.unit,
        sentence_index=quantity.sentence_index,
        keyword_start=w_start,
        keyword_end=w_end,
        value_max=quantity.value_max,
        sd=quantity.sd,
        post_thaw=post_thaw,
    )
