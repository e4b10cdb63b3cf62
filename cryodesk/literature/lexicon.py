"""The curated cryoprotectant lexicon: names, abbreviations and the context rules of ambiguous ones.

The lexicon covers what a compound table does not: the abbreviations cryobiologists write
(``DMSO``, ``Me2SO``, ``EG``, ``PG``, ``PROH``, ``FA``, ``HES``, ``PVP``, ``PEG``), polymers and sera
that have no single structure, and named CPA solutions. Names of defined compounds otherwise
come from the caller (the store's identifiers) as ``(name, inchikey)`` pairs.

InChIKeys of curated small molecules are those of ``resources/reference_cpas/reference_cpas.csv``
(standard InChIKeys of the compounds as listed there); a caller's pair for the same surface and
compound adds nothing, one for another compound is kept as an alternative.

Each ambiguous abbreviation has a :class:`ContextRule`: the long forms that mean the
cryoprotectant, and cues that mean something else (``FA`` = fatty/folic/formic acid, fractional
anisotropy; ``PG`` = prostaglandin; ``EG`` = "e.g."/embryonic germ cells ...).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryodesk.literature.records import EntryKind

CaseRule = str  # "any" | "exact"


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One surface form.

    Attributes:
        surface: the name or abbreviation as written.
        canonical: display name of what it names.
        kind: compound, polymer, protein, serum or mixture.
        inchikey: standard InChIKey (small molecules only).
        case: ``"any"`` (case-insensitive) or ``"exact"`` (abbreviations: ``EG`` but not ``eg``).
        rule: key into :data:`CONTEXT_RULES` for ambiguous abbreviations, else None.
        source: ``"lexicon"`` or ``"caller"``.
    """

    surface: str
    canonical: str
    kind: EntryKind = EntryKind.COMPOUND
    inchikey: str | None = None
    case: CaseRule = "any"
    rule: str | None = None
    source: str = "lexicon"


@dataclass(frozen=True, slots=True)
class ContextRule:
    """When an ambiguous abbreviation means the cryoprotectant.

    Attributes:
        long_forms: lower-case long forms meaning the CPA (an in-text definition
            ``ethylene glycol (EG)`` accepts every later ``EG``; another definition rejects it).
        negative_cues: patterns (case-insensitive) in the sentence that mean another sense.
        document_cues: patterns anywhere in the document that forbid accepting the abbreviation on
            cryo context alone (a concentration or a definition still accept it).
        eg_like: the surface can be a mistyped "e.g." (``EG.``/``EG,`` before a lower-case word).
    """

    long_forms: tuple[str, ...]
    negative_cues: tuple[str, ...] = ()
    document_cues: tuple[str, ...] = ()
    eg_like: bool = False

    def sentence_cue(self, text: str) -> str | None:
        """The first negative cue found in ``text``, or None."""
        pattern = _compile(self.negative_cues)
        match = pattern.search(text) if pattern else None
        return match.group(0) if match else None

    def document_cue(self, text: str) -> str | None:
        pattern = _compile(self.document_cues + self.negative_cues)
        match = pattern.search(text) if pattern else None
        return match.group(0) if match else None


_PATTERN_CACHE: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def _compile(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    if cues not in _PATTERN_CACHE:
        _PATTERN_CACHE[cues] = re.compile("|".join(f"(?:{c})" for c in cues), re.IGNORECASE) if cues else None
    return _PATTERN_CACHE[cues]


#: Standard InChIKeys, from resources/reference_cpas/reference_cpas.csv.
INCHIKEYS: dict[str, str] = {
    "Dimethyl sulfoxide": "IAZDPXIOMUYVGZ-UHFFFAOYSA-N",
    "Glycerol": "PEDCQBHIVMGVHV-UHFFFAOYSA-N",
    "Ethylene glycol": "LYCAIKOWRPUZTN-UHFFFAOYSA-N",
    "1,2-Propanediol": "DNIAPMSPPWPWGF-UHFFFAOYSA-N",
    "Formamide": "ZHNUHDYFZUAESO-UHFFFAOYSA-N",
    "Acetamide": "DLFVBJFMPXGRIB-UHFFFAOYSA-N",
    "Methanol": "OKKJLVBELUTLKV-UHFFFAOYSA-N",
    "N,N-Dimethylformamide": "ZMXDDKWLCZADIW-UHFFFAOYSA-N",
    "N,N-Dimethylacetamide": "FXHOOIRPVKKKFG-UHFFFAOYSA-N",
    "Diethylene glycol": "MTHSVFCYNBDYFN-UHFFFAOYSA-N",
    "Triethylene glycol": "ZIBGPFATKBEMQZ-UHFFFAOYSA-N",
    "2-Methyl-2,4-pentanediol": "SVTBMSDMJJWYQN-UHFFFAOYSA-N",
    "Methylsulfonylmethane": "HHVIBTZHLRERCL-UHFFFAOYSA-N",
    "Trimethylamine N-oxide": "UYPYRKYUKCHHIB-UHFFFAOYSA-N",
    "Sucrose": "CZMRCDWAGMRECN-UGDNZRGBSA-N",
    "Trehalose": "HDTRYLNUVZCQOY-LIZSDCNHSA-N",
    "D-Glucose": "WQZGKKKJIJFFOK-GASJEMHNSA-N",
    "Raffinose": "MUPFEKGTMRGPLJ-ZQSKZDJDSA-N",
    "D-Mannitol": "FBPFZTCFMRRESA-KVTDHHQDSA-N",
    "D-Sorbitol": "FBPFZTCFMRRESA-JGWLITMVSA-N",
    "Maltose": "GUBGYTABKSRVRQ-PICCSMPSSA-N",
    "Lactose": "GUBGYTABKSRVRQ-QKKXKWKRSA-N",
    "L-Proline": "ONIBWKKTOPOVIA-BYPYZUCNSA-N",
    "Glycine betaine": "KWIUHFFTVRNATP-UHFFFAOYSA-N",
    "Ectoine": "WQXNXVUDBPYKBA-YFKPBYRVSA-N",
    "Hydroxyectoine": "KIIBBJKLKFTNQO-WHFBIAKZSA-N",
    "Taurine": "XOAAWQZATWQOTB-UHFFFAOYSA-N",
    "Creatine": "CVSVTCORWBXHQV-UHFFFAOYSA-N",
    "Urea": "XSQUKJJJFZCRTK-UHFFFAOYSA-N",
}

_ACID_SENSES = r"fatty|folic|folate|formic|ferulic|fumaric|free\s+fatty|lipid|triglycerid|omega-?\d|saturated"

#: Context rules of ambiguous abbreviations (keys are the ``rule`` names of entries).
CONTEXT_RULES: dict[str, ContextRule] = {
    "EG": ContextRule(
        long_forms=("ethylene glycol", "ethyleneglycol", "ethane-1,2-diol", "1,2-ethanediol"),
        negative_cues=(r"\bfor example\b", r"\bembryonic germ\b", r"\benteric glia", r"\bexternal granul",
                       r"\bepigastric\b", r"\bEG[- ]VEGF\b", r"\beosinophilic gastr"),
        document_cues=(r"\bembryonic germ cells?\b",),
        eg_like=True,
    ),
    "PG": ContextRule(
        long_forms=("propylene glycol", "1,2-propanediol", "propane-1,2-diol", "1,2-propane diol", "propanediol"),
        negative_cues=(r"prostaglandin", r"\bPG[EFIDH]\s?\d?", r"\bPG\s?[EFIDH]\s?\d", r"cyclo-?oxygenase",
                       r"\bCOX-?[12]?\b", r"arachidon", r"proteoglycan", r"phosphatidylglycerol",
                       r"pyoderma", r"\bplasma glucose\b", r"\bpostgraduate\b"),
        document_cues=(r"prostaglandin", r"proteoglycan", r"phosphatidylglycerol"),
    ),
    "FA": ContextRule(
        long_forms=("formamide",),
        negative_cues=(_ACID_SENSES, r"\bacids?\b", r"anisotrop", r"\bDTI\b", r"diffusion tensor",
                       r"angiograph", r"fluorescein", r"fanconi", r"factor analysis", r"femoral arter",
                       r"\b(?:beta|β)-?oxidation", r"focal adhesion", r"\bFA (?:oxidation|synthesis|uptake|metabolism)"),
        document_cues=(r"fatty acid", r"folic acid", r"formic acid", r"fractional anisotropy", r"fanconi"),
    ),
    "HES": ContextRule(
        long_forms=("hydroxyethyl starch", "hydroxyethylstarch", "hetastarch"),
        negative_cues=(r"hypereosinophil", r"\bHES (?:cells?|lines?|colon)", r"embryonic stem", r"\bhairy\b",
                       r"\bnotch\b", r"\bsyndrome\b", r"\bHES\d"),
        document_cues=(r"hypereosinophil", r"embryonic stem"),
    ),
    "PEG": ContextRule(
        long_forms=("polyethylene glycol", "poly(ethylene glycol)", "polyethyleneglycol", "macrogol"),
        negative_cues=(r"gastrostom", r"feeding tube", r"endoscopic", r"\binterferon", r"\bIFN\b", r"asparaginase",
                       r"peginterferon"),
        document_cues=(r"gastrostom",),
    ),
    "PVA": ContextRule(
        long_forms=("polyvinyl alcohol", "poly(vinyl alcohol)"),
        negative_cues=(r"visual acuity", r"vitreous", r"\bPVA[- ]?\d{2}\b"),
    ),
    "PVP": ContextRule(
        long_forms=("polyvinylpyrrolidone", "poly(vinylpyrrolidone)", "povidone", "polyvinyl pyrrolidone"),
        negative_cues=(r"venous pressure", r"\bpulmonary\b"),
    ),
    "DMF": ContextRule(
        long_forms=("dimethylformamide", "n,n-dimethylformamide", "dimethyl formamide"),
        negative_cues=(r"fumarate", r"multiple sclerosis", r"relapsing", r"tecfidera"),
        document_cues=(r"fumarate", r"multiple sclerosis"),
    ),
    "DMA": ContextRule(
        long_forms=("dimethylacetamide", "n,n-dimethylacetamide", "dimethyl acetamide"),
        negative_cues=(r"arsin", r"arsenic", r"dimethylamine", r"direct memory", r"dynamic mechanical",
                       r"\bdorsal\b"),
        document_cues=(r"arsenic", r"dynamic mechanical"),
    ),
    "DEG": ContextRule(
        long_forms=("diethylene glycol",),
        negative_cues=(r"differentially expressed", r"\bgenes?\b", r"transcriptom", r"RNA-?seq", r"\bDEGs\b"),
        document_cues=(r"differentially expressed", r"RNA-?seq", r"transcriptom"),
    ),
    "TEG": ContextRule(
        long_forms=("triethylene glycol",),
        negative_cues=(r"thromb[eo]?lastograph", r"\bclot", r"coagul"),
        document_cues=(r"thromb[eo]?lastograph",),
    ),
    "MPD": ContextRule(
        long_forms=("2-methyl-2,4-pentanediol", "hexylene glycol", "methylpentanediol"),
        negative_cues=(r"myeloproliferative", r"personality", r"permissible dose", r"\bdisorder"),
        document_cues=(r"myeloproliferative",),
    ),
    "MSM": ContextRule(
        long_forms=("methylsulfonylmethane", "dimethyl sulfone", "dimethylsulfone"),
        negative_cues=(r"\bmen\b", r"sex with", r"\bHIV\b", r"homosexual"),
        document_cues=(r"men who have sex", r"\bHIV\b"),
    ),
    "FCS": ContextRule(
        long_forms=("fetal calf serum", "foetal calf serum"),
        negative_cues=(r"fluorescence correlation", r"focal cortical", r"\bspectroscopy\b"),
    ),
    "FBS": ContextRule(
        long_forms=("fetal bovine serum", "foetal bovine serum"),
        negative_cues=(r"fasting", r"blood sugar", r"\bglyc(?:a)?emi", r"\bdiabet"),
        document_cues=(r"fasting blood", r"blood sugar"),
    ),
    "AFP": ContextRule(
        long_forms=("antifreeze protein", "anti-freeze protein", "antifreeze proteins"),
        negative_cues=(r"fetoprotein", r"hepatocellular", r"\btumou?r marker", r"pregnan", r"\bserum AFP\b"),
        document_cues=(r"fetoprotein", r"hepatocellular carcinoma"),
    ),
    "HS": ContextRule(
        long_forms=("human serum",),
        negative_cues=(r"heparan", r"sulfate|sulphate", r"hidradenitis", r"sch(?:ö|oe?)nlein", r"hereditary spherocyt",
                       r"\bHS\d"),
        document_cues=(r"heparan sulfate", r"hidradenitis"),
    ),
    "MC": ContextRule(
        long_forms=("methylcellulose", "methyl cellulose"),
        negative_cues=(r"monte carlo", r"mast cells?", r"mitochondrial", r"\bMC\d", r"melanocortin", r"mucociliary"),
        document_cues=(r"monte carlo", r"mast cell", r"melanocortin"),
    ),
    "HA": ContextRule(
        long_forms=("hyaluronic acid", "hyaluronan"),
        negative_cues=(r"hydroxyapatite", r"hemagglutinin|haemagglutinin", r"influenza", r"\bHA[- ]tag", r"hepatic artery"),
        document_cues=(r"hydroxyapatite", r"hemagglutinin|haemagglutinin", r"influenza"),
    ),
    # Generic rule for short upper-case synonyms given by the caller and not curated here.
    "ABBREVIATION": ContextRule(long_forms=()),
}


def _entries(
    canonical: str,
    names: Iterable[str] = (),
    abbreviations: Iterable[tuple[str, str | None]] = (),
    kind: EntryKind = EntryKind.COMPOUND,
) -> list[LexiconEntry]:
    key = INCHIKEYS.get(canonical) if kind is EntryKind.COMPOUND else None
    out = [LexiconEntry(n, canonical, kind, key) for n in [canonical, *names]]
    out.extend(LexiconEntry(a, canonical, kind, key, case="exact", rule=rule) for a, rule in abbreviations)
    return out


def default_lexicon() -> list[LexiconEntry]:
    """The curated entries (CPAs, polymers, sera, named solutions)."""
    c, p, s, pr, m = EntryKind.COMPOUND, EntryKind.POLYMER, EntryKind.SERUM, EntryKind.PROTEIN, EntryKind.MIXTURE
    groups = [
        _entries("Dimethyl sulfoxide", ["dimethylsulfoxide", "dimethyl sulphoxide", "dimethylsulphoxide",
                                        "methyl sulfoxide", "DMSO", "Me2SO"], [], c),
        _entries("Glycerol", ["glycerin", "glycerine", "propane-1,2,3-triol", "glycerole"], [], c),
        _entries("Ethylene glycol", ["ethyleneglycol", "ethane-1,2-diol", "1,2-ethanediol", "monoethylene glycol"],
                 [("EG", "EG")], c),
        _entries("1,2-Propanediol", ["propylene glycol", "1,2-propane diol", "propane-1,2-diol", "1,2-propylene glycol",
                                     "PROH"], [("PG", "PG")], c),
        _entries("Formamide", ["methanamide"], [("FA", "FA")], c),
        _entries("Acetamide", ["ethanamide"], [], c),
        _entries("Methanol", ["methyl alcohol", "MeOH"], [], c),
        _entries("N,N-Dimethylformamide", ["dimethylformamide", "dimethyl formamide"], [("DMF", "DMF")], c),
        _entries("N,N-Dimethylacetamide", ["dimethylacetamide", "dimethyl acetamide"], [("DMA", "DMA"), ("DMAc", None)], c),
        _entries("Diethylene glycol", [], [("DEG", "DEG")], c),
        _entries("Triethylene glycol", [], [("TEG", "TEG")], c),
        _entries("2-Methyl-2,4-pentanediol", ["hexylene glycol", "2-methylpentane-2,4-diol"], [("MPD", "MPD")], c),
        _entries("Methylsulfonylmethane", ["dimethyl sulfone", "dimethylsulfone"], [("MSM", "MSM")], c),
        _entries("Trimethylamine N-oxide", ["trimethylamine oxide", "TMAO"], [], c),
        _entries("Sucrose", ["saccharose"], [], c),
        _entries("Trehalose", ["D-trehalose", "alpha,alpha-trehalose", "α,α-trehalose", "mycose"], [], c),
        _entries("D-Glucose", ["glucose", "dextrose", "D-glucose"], [], c),
        _entries("Raffinose", ["D-raffinose"], [], c),
        _entries("D-Mannitol", ["mannitol"], [], c),
        _entries("D-Sorbitol", ["sorbitol", "D-glucitol"], [], c),
        _entries("Maltose", [], [], c),
        _entries("Lactose", [], [], c),
        _entries("L-Proline", ["proline"], [], c),
        _entries("Glycine betaine", ["betaine", "trimethylglycine"], [], c),
        _entries("Ectoine", ["ectoin"], [], c),
        _entries("Hydroxyectoine", ["hydroxyectoin", "5-hydroxyectoine"], [], c),
        _entries("Taurine", [], [], c),
        _entries("Creatine", [], [], c),
        _entries("Urea", ["carbamide"], [], c),
        _entries("Ethanol", ["ethyl alcohol", "EtOH"], [], c),
        _entries("Hydroxyethyl starch", ["hydroxyethylstarch", "hetastarch", "hydroxy ethyl starch"], [("HES", "HES")], p),
        _entries("Polyvinylpyrrolidone", ["poly(vinylpyrrolidone)", "polyvinyl pyrrolidone", "povidone",
                                          "poly(N-vinylpyrrolidone)"], [("PVP", "PVP")], p),
        _entries("Polyethylene glycol", ["poly(ethylene glycol)", "polyethyleneglycol", "macrogol"], [("PEG", "PEG")], p),
        _entries("Polyvinyl alcohol", ["poly(vinyl alcohol)", "polyvinylalcohol"], [("PVA", "PVA")], p),
        _entries("Dextran", ["dextrans"], [], p),
        _entries("Ficoll", ["Ficoll 70", "Ficoll 400"], [], p),
        _entries("Methylcellulose", ["methyl cellulose"], [("MC", "MC")], p),
        _entries("Hyaluronic acid", ["hyaluronan", "sodium hyaluronate", "HMW-HA", "high molecular weight hyaluronic acid"],
                 [("HA", "HA")], p),
        _entries("Carboxylated poly-L-lysine", ["COOH-PLL", "carboxylated epsilon-poly-L-lysine", "polyampholyte"], [], p),
        _entries("Pentaisomaltose", [], [], p),
        _entries("Fetal bovine serum", ["foetal bovine serum", "fetal calf serum", "foetal calf serum"],
                 [("FBS", "FBS"), ("FCS", "FCS")], s),
        _entries("Human serum", [], [("HS", "HS")], s),
        _entries("Human serum albumin", ["human albumin"], [("HSA", None)], pr),
        _entries("Bovine serum albumin", [], [("BSA", None)], pr),
        _entries("Sericin", ["silk sericin"], [], pr),
        _entries("Antifreeze protein", ["antifreeze proteins", "anti-freeze protein", "ice-binding protein",
                                        "antifreeze glycoprotein"], [("AFP", "AFP"), ("AFGP", None)], pr),
        _entries("VS55", [], [], m),
        _entries("VS83", [], [], m),
        _entries("M22", [], [], m),
        _entries("DP6", [], [], m),
        _entries("VM3", [], [], m),
        _entries("PVS2", ["plant vitrification solution 2"], [], m),
        _entries("PVS3", ["plant vitrification solution 3"], [], m),
        _entries("CryoStor CS10", ["CS10", "CryoStor"], [], m),
    ]
    return [entry for group in groups for entry in group]


# Generic words that are (or contain) chemical names but are mostly not used as such in
# abstracts; caller-provided names equal to these are skipped.
COMMON_WORDS: frozenset[str] = frozenset(
    {
        "lead", "tin", "may", "can", "mass", "all", "as", "in", "is", "it", "be", "no", "at", "on", "and", "or",
        "an", "are", "was", "not", "for", "the", "one", "two", "act", "aim", "air", "ash", "gas", "oil", "salt",
        "sugar", "water", "acid", "base", "ice", "dye", "gel", "wax", "tar", "fat", "ca", "ion", "ions", "pro",
        "his", "ser", "thr", "gly", "gln", "arg", "lys", "ala", "asp", "glu", "met", "val", "leu", "ile", "phe",
        "tyr", "trp", "cys", "asn", "bar", "net", "per", "sum", "total", "iron", "gold", "silver", "copper",
        "nickel", "zinc", "mercury", "carbon", "oxygen", "nitrogen", "hydrogen",
    }
)


def reference_cpa_names(path: str | Path | None = None, text: str | None = None) -> list[tuple[str, str]]:
    """``(name, inchikey)`` pairs from a reference CPA table (name and ``;``-separated synonyms).

    Reads ``resources/reference_cpas/reference_cpas.csv``'s layout (columns ``name``,
    ``expected_inchikey``, ``synonyms``). Give either a path or the CSV text.
    """
    if text is None:
        if path is None:
            raise ValueError("give a path or the CSV text")
        text = Path(path).read_text(encoding="utf-8-sig")
    pairs: list[tuple[str, str]] = []
    for row in csv.DictReader(io.StringIO(text)):
        key = (row.get("expected_inchikey") or "").strip()
        names = [row.get("name", ""), *(row.get("synonyms") or "").split(";")]
        pairs.extend((n.strip(), key) for n in names if n and n.strip())
    return pairs
