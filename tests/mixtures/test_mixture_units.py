"""Unit parsing, per-volume conversions and the default constants table."""

from __future__ import annotations

import pytest

from cryodesk.mixtures.units import (
    ComponentProperties,
    MissingQuantityError,
    SourcedValue,
    Unit,
    UnitError,
    convert_per_volume,
    default_properties,
    parse_unit,
)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("M", Unit.MOLAR), ("mol/L", Unit.MOLAR), ("mol L-1", Unit.MOLAR),
        ("m", Unit.MOLAL), ("mol/kg", Unit.MOLAL), ("molal", Unit.MOLAL),
        ("mM", Unit.MILLIMOLAR), ("mmol/L", Unit.MILLIMOLAR),
        ("% w/v", Unit.PERCENT_WV), ("% (w/v)", Unit.PERCENT_WV), ("%w/v", Unit.PERCENT_WV),
        ("% v/v", Unit.PERCENT_VV), ("vol%", Unit.PERCENT_VV),
        ("% w/w", Unit.PERCENT_WW), ("wt%", Unit.PERCENT_WW),
        ("mg/mL", Unit.MG_PER_ML), ("g/L", Unit.MG_PER_ML),
        ("x", Unit.MOLE_FRACTION), ("mole fraction", Unit.MOLE_FRACTION),
    ],
)
def test_parse_unit_aliases(text: str, unit: Unit) -> None:
    assert parse_unit(text) is unit


@pytest.mark.parametrize("text", ["mm", "MM", "ppm", "%", ""])
def test_parse_unit_rejects_unknown_or_ambiguous(text: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(text)


def test_default_table_has_notes_md_constants_with_basis() -> None:
    dmso = default_properties("dimethyl sulfoxide")
    assert dmso is not None and dmso.name == "DMSO"
    assert dmso.molar_mass.value == 78.13 and dmso.density.value == 1.100
    assert "notes.md" in dmso.density.basis
    for name, rho in [("ethylene glycol", 1.113), ("glycerol", 1.261), ("PG", 1.036), ("formamide", 1.133)]:
        props = default_properties(name)
        assert props is not None and props.density is not None and props.density.value == rho
    # lookup by InChIKey (computed with RDKit from the SMILES CS(C)=O)
    assert default_properties("IAZDPXIOMUYVGZ-UHFFFAOYSA-N") is dmso
    assert default_properties("no such cpa") is None


def test_m22_dmso_percent_wv_to_molar() -> None:
    # 22.305 % w/v = 223.05 g/L; / 78.13 g/mol = 2.8549 M
    dmso = default_properties("DMSO")
    assert convert_per_volume(22.305, "% w/v", "M", dmso) == pytest.approx(2.85486, abs=1e-4)


def test_percent_vv_to_molar_uses_neat_density() -> None:
    # notes.md: M = %v/v x 10 x rho / MW = 10 x 10 x 1.100 / 78.13 = 1.40791 M
    dmso = default_properties("DMSO")
    assert convert_per_volume(10, "% v/v", "M", dmso) == pytest.approx(1.40791, abs=1e-5)
    # and back
    assert convert_per_volume(1.40791, "M", "% v/v", dmso) == pytest.approx(10.0, abs=1e-4)


def test_millimolar_and_mg_per_ml() -> None:
    # 300 mM EG = 0.3 mol/L x 62.07 g/mol = 18.621 g/L = 18.621 mg/mL
    eg = default_properties("EG")
    assert convert_per_volume(300, "mM", "mg/mL", eg) == pytest.approx(18.621)
    assert convert_per_volume(18.621, "mg/mL", "M", eg) == pytest.approx(0.3)


def test_missing_density_is_named_not_guessed() -> None:
    pvp = ComponentProperties("PVP K12", molar_mass=None, density=None)
    with pytest.raises(MissingQuantityError) as err:
        convert_per_volume(5, "% v/v", "% w/v", pvp)
    assert "density" in str(err.value) and "PVP K12" in str(err.value)
    assert err.value.missing[0].component == "PVP K12"


def test_missing_molar_mass_is_named() -> None:
    serum = ComponentProperties("FBS", density=SourcedValue(1.02, "test input"))
    with pytest.raises(MissingQuantityError, match="molar mass.*FBS"):
        convert_per_volume(10, "% w/v", "M", serum)


def test_sourced_value_rejects_non_positive() -> None:
    with pytest.raises(ValueError):
        SourcedValue(0.0, "bad")
