"""Literature mining: cryoprotectant mentions, concentrations, outcomes and evidence records.

Pure text processing (no Qt, no store): the engine passes texts and the store's names in, and
gets records back. Entry point::

    from cryodesk.literature import LiteratureMiner
    miner = LiteratureMiner.from_names([("Dimethyl sulfoxide", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"), ...])
    document = miner.mine(text, pmid="12345")
    document.evidence  # one Evidence per accepted compound mention
"""

from __future__ import annotations

from cryodesk.literature.context import find_definitions, has_cryo_context
from cryodesk.literature.dictionary import CompoundDictionary, DictionaryMatch, caller_entry, tokenize
from cryodesk.literature.lexicon import (
    CONTEXT_RULES,
    ContextRule,
    LexiconEntry,
    default_lexicon,
    reference_cpa_names,
)
from cryodesk.literature.mining import LiteratureMiner
from cryodesk.literature.outcomes import METRICS
from cryodesk.literature.protocols import find_protocols
from cryodesk.literature.quantities import find_quantities
from cryodesk.literature.records import (
    CompoundMention,
    Concentration,
    Confidence,
    CoolingProtocol,
    EntryKind,
    Evidence,
    MatchKind,
    MinedDocument,
    Outcome,
    Quantity,
    RejectedMention,
    SampleType,
    Sentence,
)
from cryodesk.literature.samples import find_samples
from cryodesk.literature.sentences import split_sentences

__all__ = [
    "CONTEXT_RULES",
    "METRICS",
    "CompoundDictionary",
    "CompoundMention",
    "Concentration",
    "Confidence",
    "ContextRule",
    "CoolingProtocol",
    "DictionaryMatch",
    "EntryKind",
    "Evidence",
    "LexiconEntry",
    "LiteratureMiner",
    "MatchKind",
    "MinedDocument",
    "Outcome",
    "Quantity",
    "RejectedMention",
    "SampleType",
    "Sentence",
    "caller_entry",
    "default_lexicon",
    "find_definitions",
    "find_protocols",
    "find_quantities",
    "find_samples",
    "has_cryo_context",
    "reference_cpa_names",
    "split_sentences",
    "tokenize",
]
