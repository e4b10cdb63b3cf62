"""Parsing SMILES, InChI and molblocks: every bad input gives a reason, nothing raises."""

from __future__ import annotations

import pytest
from rdkit import Chem

from cryodesk.chem import (
    detect_kind,
    looks_like_structure,
    parse_inchi,
    parse_molblock,
    parse_smiles,
    parse_structure,
)


def test_smiles_is_parsed_and_sanitised():
    result = parse_smiles("  CCO  ")
    assert result.ok and result.error is None
    assert Chem.MolToSmiles(result.mol) == "CCO"
    assert result.kind == "smiles"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "no SMILES given"),
        ("", "empty SMILES"),
        ("   \t ", "empty SMILES"),
        (42, "got int"),
        ("C1CC", "SMILES parse error: unclosed ring"),
        ("C(C", "SMILES parse error: extra open parentheses"),
        ("CC)", "SMILES parse error: extra close parentheses"),
        ("Xx", "SMILES parse error: syntax error"),
        ("C(C)(C)(C)(C)C", "SMILES valence error: Explicit valence for atom # 0 C, 5"),
        ("c1cccc1", "SMILES aromaticity error: Can't kekulize"),
        ("ccc", "SMILES aromaticity error: non-ring atom 0 marked aromatic"),
        ("é", "non-ASCII character"),
    ],
)
def test_bad_smiles_give_a_reason(text, expected):
    result = parse_smiles(text)
    assert result.mol is None
    assert expected in result.error


def test_syntax_error_reason_drops_rdkits_caret_diagram():
    reason = parse_smiles("C(C").error
    assert (
        reason
        == "SMILES parse error: extra open parentheses while parsing: C(C; check for mistakes around position 2"
    )


def test_pyrrole_without_nh_gets_a_hint():
    assert "[nH]" in parse_smiles("c1cccn1").error
    assert "[nH]" not in parse_smiles("c1cccc1").error


def test_text_after_smiles_becomes_a_name_with_a_warning():
    result = parse_smiles("CCO ethanol")
    assert result.ok and result.name == "ethanol"
    assert any("read as a name" in w for w in result.warnings)


def test_cxsmiles_extension_is_accepted():
    result = parse_smiles("C[C@H](F)Cl |&1:1|")
    assert result.ok and result.name is None


def test_inchi_round_trip():
    result = parse_inchi("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3")
    assert result.ok and Chem.MolToSmiles(result.mol) == "CCO"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("InChI=1S/garbage", "InChI parse error: Syntax error"),
        ("C2H6O", "must start with 'InChI='"),
        ("", "empty InChI"),
        (None, "no InChI given"),
    ],
)
def test_bad_inchi_give_a_reason(text, expected):
    result = parse_inchi(text)
    assert result.mol is None and expected in result.error


def test_molblock_round_trip_keeps_title_and_ignores_data_items():
    mol = Chem.MolFromSmiles("OCC(O)CO")
    mol.SetProp("_Name", "glycerol")
    result = parse_molblock(Chem.MolToMolBlock(mol) + ">  <ID>\nG1\n\n$$$$\n")
    assert result.ok and result.name == "glycerol"
    assert Chem.MolToSmiles(result.mol) == "OCC(O)CO"
    assert result.warnings == ()


def test_truncated_molblock_says_so():
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    result = parse_molblock("\n".join(block.splitlines()[:5]))
    assert result.mol is None
    assert "EOF hit while reading atoms" in result.error and "truncated" in result.error


def test_molblock_with_unknown_element_gives_the_element_not_a_stack_trace():
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO")).replace(" O ", " Xq")
    result = parse_molblock(block)
    assert result.error == "molblock parse error: Element 'Xq' not found"


def test_molblock_valence_error():
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False))
    assert parse_molblock(block).error.startswith("molblock valence error")


def test_molblock_without_atoms_is_an_error():
    block = "empty\n  RDKit\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n"
    assert parse_molblock(block).error == "molblock has no atoms"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("CCO", "smiles"),
        ("InChI=1S/CH4/h1H4", "inchi"),
        ("LFQSCWFLJHTTHZ-UHFFFAOYSA-N", "inchikey"),
        ("\n  RDKit\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n", "molblock"),
    ],
)
def test_detect_kind(text, kind):
    assert detect_kind(text) == kind


def test_parse_structure_auto_dispatches_and_rejects_inchikeys():
    assert Chem.MolToSmiles(parse_structure("InChI=1S/CH4/h1H4").mol) == "C"
    assert "InChIKey" in parse_structure("LFQSCWFLJHTTHZ-UHFFFAOYSA-N").error
    assert "unknown structure kind" in parse_structure("CCO", kind="sln").error
    assert parse_structure(None).error == "no structure text given (empty value)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CCO", True),
        ("OCC(O)CO", True),
        ("InChI=1S/CH4/h1H4", True),
        ("Water", False),
        ("ethylene glycol", False),
        ("n/a", False),
        ("12.5", False),
        ("", False),
        (None, False),
        ("LFQSCWFLJHTTHZ-UHFFFAOYSA-N", False),
    ],
)
def test_looks_like_structure(text, expected):
    assert looks_like_structure(text) is expected
