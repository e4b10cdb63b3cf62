"""Parse SMILES, InChI and MDL molblocks into RDKit molecules, totally.

Every function here takes whatever the caller has (a cell of a spreadsheet, a line of a file, ``None``)
and returns a :class:`ParseResult`: either a sanitised molecule or the reason it could not be read,
worded for a lab user (``"SMILES parse error: unclosed ring for input: 'C1CC'"``). Nothing raises, and
RDKit's own log output is captured into the reason instead of being printed.

The molecule returned is exactly what the input says (charges, salts, explicit stereo); turning it
into the compound CryoDesk stores is :mod:`cryodesk.chem.standardize`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from rdkit import Chem
from rdkit.Chem import rdinchi

from cryodesk.chem.rdkit_log import RDKitLogCapture, capture_rdkit_log

KINDS: Final[tuple[str, ...]] = ("smiles", "inchi", "molblock")

_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")
_M_END = "M  END"

# One parser parameter object for every call: building it per call costs more than parsing ethanol.
_SMILES_PARAMS = Chem.SmilesParserParams()

# Header lines the InChI library writes before the message that matters.
_INCHI_LOG_BOILERPLATE = (
    "Input format",
    "Output format",
    "Aux. info",
    "No timeout",
    "Up to ",
    "Generating standard InChI",
    "Full Aux. info",
)


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Outcome of parsing one structure text.

    Attributes:
        mol: the sanitised RDKit molecule, or None when the text could not be read.
        error: why ``mol`` is None, as a sentence for the user; None on success.
        warnings: things RDKit noticed but could live with (e.g. a name after the SMILES).
        kind: what the text was read as: ``"smiles"``, ``"inchi"`` or ``"molblock"``.
        name: a name carried by the text itself (molblock title line, text after a SMILES).
    """

    mol: Chem.Mol | None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    kind: str = "smiles"
    name: str | None = None

    @property
    def ok(self) -> bool:
        """True when a molecule was read."""
        return self.mol is not None


def detect_kind(text: str) -> str:
    """Guess whether ``text`` is an InChI, a molblock, an InChIKey or a SMILES.

    Args:
        text: structure text as found in a file or cell.

    Returns:
        ``"inchi"``, ``"molblock"``, ``"inchikey"`` or ``"smiles"`` (the fallback).
    """
    stripped = text.strip()
    if stripped.startswith("InChI="):
        return "inchi"
    if _INCHIKEY.match(stripped):
        return "inchikey"
    if "\n" in stripped or _M_END in text:
        return "molblock"
    return "smiles"


def looks_like_structure(text: object) -> bool:
    """Whether a cell looks like a structure (InChI, molblock or a parsable SMILES).

    Meant for finding the structure column of a table by content, so it is cheap and quiet; a
    SMILES must be a single token (``"Water"`` or ``"n/a"`` are not structures).

    Args:
        text: the cell.

    Returns:
        True if the text reads as a structure.
    """
    if not isinstance(text, str) or not text.strip():
        return False
    kind = detect_kind(text)
    if kind in ("inchi", "molblock"):
        return True
    if kind != "smiles" or len(text.split()) != 1:
        return False
    return parse_smiles(text).ok


def parse_structure(text: object, kind: str = "auto") -> ParseResult:
    """Parse SMILES, InChI or molblock text, detecting which when ``kind`` is ``"auto"``.

    Args:
        text: the structure text (anything; non-text gives an error result).
        kind: ``"auto"``, ``"smiles"``, ``"inchi"`` or ``"molblock"``.

    Returns:
        A :class:`ParseResult`; never raises.
    """
    if kind == "auto":
        problem = _input_problem(text, "structure text")
        if problem is not None:
            return ParseResult(None, problem, kind="smiles")
        assert isinstance(text, str)
        kind = detect_kind(text)
        if kind == "inchikey":
            return ParseResult(
                None,
                "an InChIKey is a hash and cannot be turned into a structure; resolve it to a "
                "structure (e.g. via PubChem) first",
                kind="smiles",
            )
    if kind == "smiles":
        return parse_smiles(text)
    if kind == "inchi":
        return parse_inchi(text)
    if kind == "molblock":
        return parse_molblock(text)
    return ParseResult(
        None, f"unknown structure kind {kind!r} (use one of {', '.join(KINDS)})", kind="smiles"
    )


def parse_smiles(text: object) -> ParseResult:
    """Parse a SMILES (CXSMILES extensions allowed) into a sanitised molecule.

    Text after the SMILES separated by whitespace is taken as a name, as RDKit does, and reported
    in ``warnings`` so a cell like ``"CCO ethanol"`` is not silently reinterpreted.

    Args:
        text: the SMILES.

    Returns:
        A :class:`ParseResult` with ``kind="smiles"``; never raises.
    """
    problem = _input_problem(text, "SMILES")
    if problem is not None:
        return ParseResult(None, problem, kind="smiles")
    assert isinstance(text, str)
    smiles = text.strip()
    with capture_rdkit_log() as log:
        mol = _call_parser(lambda: Chem.MolFromSmiles(smiles, _SMILES_PARAMS), log)
        if mol is None:
            unsanitized = _call_parser(lambda: Chem.MolFromSmiles(smiles, sanitize=False), log)
            return ParseResult(None, _failure_reason("SMILES", smiles, unsanitized, log), kind="smiles")
    if mol.GetNumAtoms() == 0:
        return ParseResult(None, "SMILES has no atoms", kind="smiles")
    warnings = list(log.messages)
    name = _mol_name(mol)
    if name is not None:
        warnings.append(f"text after the SMILES was read as a name: {name!r}")
    return ParseResult(mol, None, tuple(warnings), kind="smiles", name=name)


def parse_inchi(text: object) -> ParseResult:
    """Parse an InChI (standard or not) into a sanitised molecule.

    Args:
        text: the InChI, starting with ``InChI=``.

    Returns:
        A :class:`ParseResult` with ``kind="inchi"``; never raises.
    """
    problem = _input_problem(text, "InChI")
    if problem is not None:
        return ParseResult(None, problem, kind="inchi")
    assert isinstance(text, str)
    inchi = text.strip()
    if not inchi.startswith("InChI="):
        return ParseResult(None, "InChI parse error: an InChI must start with 'InChI='", kind="inchi")
    with capture_rdkit_log() as log:
        try:
            mol, retcode, message, inchi_log = rdinchi.InchiToMol(inchi, True, True)
        except Exception as exc:  # rdinchi raises ValueError on some malformed layers
            mol, retcode, message, inchi_log = None, -1, str(exc), ""
    if mol is None:
        detail = message.strip() or _inchi_log_reason(inchi_log) or log.text()
        reason = "InChI parse error" + (f": {detail}" if detail else ": not a valid InChI")
        return ParseResult(None, reason, kind="inchi")
    if mol.GetNumAtoms() == 0:
        return ParseResult(None, "InChI has no atoms", kind="inchi")
    warnings = list(log.messages)
    if retcode != 0 and message.strip():
        warnings.append(f"InChI: {message.strip()}")
    return ParseResult(mol, None, tuple(warnings), kind="inchi")


def parse_molblock(text: object) -> ParseResult:
    """Parse an MDL molfile block (V2000 or V3000) into a sanitised molecule.

    Anything after the ``M  END`` line (SD data fields, ``$$$$``) is ignored here; reading SD data
    is :mod:`cryodesk.chem.structure_files`'s job. Leading blank lines are kept because the first
    three lines of a molfile are a header whose title line may legitimately be empty.

    Args:
        text: the molblock.

    Returns:
        A :class:`ParseResult` with ``kind="molblock"`` and the title line as ``name``; never raises.
    """
    problem = _input_problem(text, "molblock")
    if problem is not None:
        return ParseResult(None, problem, kind="molblock")
    assert isinstance(text, str)
    block = _molblock_only(text)
    with capture_rdkit_log() as log:
        mol = _call_parser(lambda: Chem.MolFromMolBlock(block, sanitize=True, removeHs=True), log)
        if mol is None:
            unsanitized = _call_parser(lambda: Chem.MolFromMolBlock(block, sanitize=False), log)
            reason = _failure_reason("molblock", block, unsanitized, log)
            if _M_END not in block:
                reason += " (the block has no 'M  END' line: truncated?)"
            return ParseResult(None, reason, kind="molblock")
    if mol.GetNumAtoms() == 0:
        return ParseResult(None, "molblock has no atoms", kind="molblock", name=_mol_name(mol))
    return ParseResult(mol, None, tuple(log.messages), kind="molblock", name=_mol_name(mol))


def _input_problem(text: object, what: str) -> str | None:
    """Why ``text`` cannot even be handed to a parser, or None if it can."""
    if text is None:
        return f"no {what} given (empty value)"
    if not isinstance(text, str):
        return f"expected {what} as text, got {type(text).__name__}"
    if not text.strip():
        return f"empty {what}"
    return None


def _call_parser(parse: Callable[[], Chem.Mol | None], log: RDKitLogCapture) -> Chem.Mol | None:
    """Run an RDKit parser call, turning the rare exception into a logged message and None."""
    try:
        return parse()
    except Exception as exc:  # some RDKit parsers raise instead of returning None
        log.add(str(exc))
        return None


def _failure_reason(label: str, text: str, unsanitized: Chem.Mol | None, log: RDKitLogCapture) -> str:
    """Explain a failed parse: a syntax error if even the unsanitised parse failed, else chemistry."""
    if unsanitized is None:
        detail = "; ".join(_syntax_messages(log, text))
        if not detail and any(ch.isspace() for ch in text):
            detail = "the part after the space is neither a valid CXSMILES extension nor a name"
        reason = f"{label} parse error: {detail or f'not a valid {label}'}"
        odd = sorted({ch for ch in text if not ch.isascii()})
        if odd:
            reason += f" (contains non-ASCII character(s) {' '.join(odd)})"
        return reason
    detail = _sanitize_message(unsanitized) or log.text()
    category = _chemistry_category(detail)
    reason = f"{label} {category} error: {detail}"
    if category == "aromaticity" and _has_aromatic_nitrogen(unsanitized):
        # By far the most common cause in published data sets: pyrrole-type N written as n.
        reason += " (an aromatic nitrogen probably needs its hydrogen written as [nH])"
    return reason


def _syntax_messages(log: RDKitLogCapture, text: str) -> list[str]:
    """RDKit's syntax-error lines without the echo of the input, the caret line and the summary."""
    kept = []
    for message in log.messages:
        line = message.removeprefix("SMILES Parse Error:").strip()
        if not line or line == text.strip() or set(line) <= {"~", "^"}:
            continue
        # "Failed parsing SMILES 'x' for input: 'x'" only repeats the input.
        if line.startswith("Failed parsing"):
            continue
        kept.append(line.rstrip(":"))
    return list(dict.fromkeys(kept))


def _sanitize_message(mol: Chem.Mol) -> str:
    """The message of the exception RDKit raises when sanitising ``mol`` ('' if it sanitises)."""
    try:
        with capture_rdkit_log():
            Chem.SanitizeMol(Chem.Mol(mol))
    except Exception as exc:  # MolSanitizeException and friends carry the reason in their text
        return " ".join(str(exc).split())
    return ""


def _has_aromatic_nitrogen(mol: Chem.Mol) -> bool:
    return any(atom.GetAtomicNum() == 7 and atom.GetIsAromatic() for atom in mol.GetAtoms())


def _chemistry_category(message: str) -> str:
    lowered = message.lower()
    if "valence" in lowered:
        return "valence"
    if "kekulize" in lowered or "aromatic" in lowered:
        return "aromaticity"
    return "structure"


def _inchi_log_reason(inchi_log: str) -> str:
    """The informative lines of the InChI library's log (it starts with fixed boilerplate)."""
    lines = []
    for raw in inchi_log.splitlines():
        line = raw.strip()
        if not line or line.startswith(_INCHI_LOG_BOILERPLATE):
            continue
        lines.append(re.sub(r"^Structure:\s*\d+\s*", "", line))
    return "; ".join(dict.fromkeys(lines))


def _molblock_only(text: str) -> str:
    """Normalise line ends and cut the text after the ``M  END`` line, if there is one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.startswith(_M_END):
            return "\n".join(lines[: i + 1]) + "\n"
    return "\n".join(lines)


def _mol_name(mol: Chem.Mol) -> str | None:
    if not mol.HasProp("_Name"):
        return None
    name = mol.GetProp("_Name").strip()
    return name or None
