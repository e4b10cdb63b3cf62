"""Cell, tissue and organism types named in cryopreservation texts.

A small curated vocabulary (what cryobiology papers freeze), matched by one compiled pattern for
names (case-insensitive, plural-tolerant) and one for abbreviations (case-sensitive: ``MSCs``,
``RBCs``). A species word just before a match (``bovine oocytes``) is kept as ``species``.
"""

from __future__ import annotations

import re

from cryodesk.literature.records import SampleType

#: (pattern, label, category); patterns are regex fragments matched case-insensitively.
NAMES: tuple[tuple[str, str, str], ...] = (
    (r"(?:metaphase\s+II\s+|MII\s+|immature\s+|mature\s+)?oocytes?", "oocyte", "gamete"),
    (r"cumulus[-\s]oocyte\s+complex(?:es)?", "cumulus-oocyte complex", "gamete"),
    (r"spermatozoa|spermatozoon|sperm(?:\s+cells?)?|semen", "sperm", "gamete"),
    (r"embryos?", "embryo", "embryo"),
    (r"blastocysts?", "blastocyst", "embryo"),
    (r"zygotes?", "zygote", "embryo"),
    (r"(?:human\s+)?(?:umbilical\s+)?cord\s+blood(?:\s+cells?)?", "cord blood", "cell"),
    (r"red\s+blood\s+cells?|erythrocytes?", "red blood cell", "cell"),
    (r"platelets?", "platelet", "cell"),
    (r"peripheral\s+blood\s+mononuclear\s+cells?", "peripheral blood mononuclear cell", "cell"),
    (r"(?:CAR[-\s])?T[-\s]cells?|T\s+lymphocytes?", "T cell", "cell"),
    (r"NK\s+cells?|natural\s+killer\s+cells?", "NK cell", "cell"),
    (r"lymphocytes?", "lymphocyte", "cell"),
    (r"h(?:a)?ematopoietic\s+(?:stem\s+(?:and\s+progenitor\s+)?|progenitor\s+)cells?", "hematopoietic stem cell", "cell"),
    (r"mesenchymal\s+(?:stem|stromal)(?:/stromal)?\s+cells?", "mesenchymal stem cell", "cell"),
    (r"adipose[-\s]derived\s+(?:stem|stromal)\s+cells?", "adipose-derived stem cell", "cell"),
    (r"induced\s+pluripotent\s+stem\s+cells?", "induced pluripotent stem cell", "cell"),
    (r"(?:human\s+)?embryonic\s+stem\s+cells?", "embryonic stem cell", "cell"),
    (r"stem\s+cells?", "stem cell", "cell"),
    (r"hepatocytes?", "hepatocyte", "cell"),
    (r"(?:pancreatic\s+)?islets?(?:\s+of\s+Langerhans)?", "pancreatic islet", "tissue"),
    (r"fibroblasts?", "fibroblast", "cell"),
    (r"keratinocytes?", "keratinocyte", "cell"),
    (r"chondrocytes?", "chondrocyte", "cell"),
    (r"cardiomyocytes?", "cardiomyocyte", "cell"),
    (r"neurons?", "neuron", "cell"),
    (r"endothelial\s+cells?", "endothelial cell", "cell"),
    (r"organoids?", "organoid", "tissue"),
    (r"ovarian\s+tissues?|ovaries|ovary", "ovarian tissue", "tissue"),
    (r"testicular\s+tissues?|testes|testis", "testicular tissue", "tissue"),
    (r"(?:articular\s+)?cartilage", "cartilage", "tissue"),
    (r"corneas?|corneal\s+(?:tissue|endothelium)", "cornea", "tissue"),
    (r"heart\s+valves?", "heart valve", "tissue"),
    (r"blood\s+vessels?|arteries|artery|veins?", "blood vessel", "tissue"),
    (r"skin(?:\s+grafts?)?", "skin", "tissue"),
    (r"kidneys?", "kidney", "organ"),
    (r"livers?", "liver", "organ"),
    (r"hearts?", "heart", "organ"),
    (r"shoot\s+tips?|embryogenic\s+callus|somatic\s+embryos?|seeds?|pollen", "plant material", "plant"),
    (r"zebrafish\s+embryos?", "zebrafish embryo", "embryo"),
    (r"larvae|larva", "larva", "organism"),
    (r"(?:red\s+)?algae|yeasts?|bacteria", "microorganism", "organism"),
    (r"HeLa\s+cells?|Jurkat\s+cells?|CHO\s+cells?|HEK[-\s]?293\w*\s+cells?|HepG2\s+cells?|Vero\s+cells?", "cell line",
     "cell_line"),
)
#: Case-sensitive abbreviations.
ABBREVIATIONS: tuple[tuple[str, str, str], ...] = (
    (r"MSCs?|hMSCs?|BMSCs?|ADSCs?|ASCs", "mesenchymal stem cell", "cell"),
    (r"iPSCs?|hiPSCs?", "induced pluripotent stem cell", "cell"),
    (r"hESCs?|ESCs", "embryonic stem cell", "cell"),
    (r"HSPCs?", "hematopoietic stem cell", "cell"),
    (r"PBMCs?", "peripheral blood mononuclear cell", "cell"),
    (r"RBCs?", "red blood cell", "cell"),
    (r"COCs", "cumulus-oocyte complex", "gamete"),
    (r"HUVECs?", "endothelial cell", "cell"),
)
SPECIES = (
    "human", "mouse", "murine", "rat", "bovine", "porcine", "ovine", "caprine", "equine", "canine", "feline", "rabbit",
    "primate", "macaque", "monkey", "zebrafish", "chicken", "avian", "buffalo", "sheep", "goat", "pig", "cattle", "dog",
    "cat", "horse", "fish", "camel", "rhesus",
)

_SPECIES_RE = re.compile(r"\b(" + "|".join(SPECIES) + r")\s+(?:\w+\s+)?$", re.IGNORECASE)
_ANCHOR_RE = re.compile(r"[a-z]{3,}")
_OPTIONAL_GROUP_RE = re.compile(r"\(\?:[^()]*\)[?*]")
_OPTIONAL_CHAR_RE = re.compile(r"(?:\\.|\[[^\]]*\]|.)[?*]")
_CLASS_OR_ESCAPE_RE = re.compile(r"\[[^\]]*\]|\\.|[()+]|\?:")


def _anchor(alternative: str) -> str:
    """The longest lower-case letter run every match of ``alternative`` must contain ("" if none)."""
    plain = _OPTIONAL_GROUP_RE.sub(" ", alternative)
    plain = _OPTIONAL_CHAR_RE.sub(" ", plain)
    plain = _CLASS_OR_ESCAPE_RE.sub(" ", plain).lower()
    runs = _ANCHOR_RE.findall(plain)
    return max(runs, key=len) if runs else ""


def _compile(table: tuple[tuple[str, str, str], ...], flags: int) -> list[tuple[tuple[str, ...], re.Pattern[str], str, str]]:
    """One small pattern per entry with the anchors of its alternatives; a pattern runs only when
    the text contains one of them, which is far cheaper than one big alternation at every position."""
    compiled = []
    for pattern, label, category in table:
        alternatives = _split_top(pattern)
        anchors = tuple(a for a in (_anchor(alt) for alt in alternatives))
        if not all(anchors):
            anchors = ()
        compiled.append((anchors, re.compile(rf"\b(?:{pattern})\b", flags), label, category))
    return compiled


def _split_top(pattern: str) -> list[str]:
    """Alternatives of a pattern at the top level (not inside groups)."""
    parts, depth, current = [], 0, ""
    for ch in pattern:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


_NAMES = _compile(NAMES, re.IGNORECASE)
_ABBREVIATIONS = _compile(ABBREVIATIONS, 0)


def find_samples(text: str, start: int = 0, end: int | None = None, sentence_index: int = 0) -> list[SampleType]:
    """Cell/tissue/organism types in ``text[start:end]`` (offsets into ``text``), in text order."""
    stop = len(text) if end is None else end
    lowered = text[start:stop].lower()
    found: list[SampleType] = []
    for anchors, pattern, label, category in (*_NAMES, *_ABBREVIATIONS):
        if anchors and not any(a in lowered for a in anchors):
            continue
        for match in pattern.finditer(text, start, stop):
            species = _SPECIES_RE.search(text, max(start, match.start() - 30), match.start())
            found.append(
                SampleType(
                    match.start(), match.end(), match.group(0), label, category, sentence_index,
                    species.group(1).lower() if species else None,
                )
            )
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    return _drop_overlaps(found)


def _drop_overlaps(items: list[SampleType]) -> list[SampleType]:
    kept: list[SampleType] = []
    for item in items:
        if kept and item.start < kept[-1].end:
            if item.end - item.start > kept[-1].end - kept[-1].start:
                kept[-1] = item
            continue
        kept.append(item)
    return kept
