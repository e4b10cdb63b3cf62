"""Full-composition solver and single conversions, against hand-checked published recipes."""

from __future__ import annotations

import pytest

from cryodesk.domain.records import ComponentRole, Mixture, MixtureComponent
from cryodesk.mixtures.composition import (
    Composition,
    CompositionError,
    component,
    convert_amount,
    solve_composition,
)
from cryodesk.mixtures.units import (
    ComponentProperties,
    MissingQuantityError,
    SourcedValue,
    Unit,
    default_properties,
)

R = ComponentRole


def vs55() -> Composition:
    return Composition(
        (
            component("DMSO", 3.1, "M"),
            component("formamide", 3.1, "M"),
            component("1,2-propanediol", 2.2, "M"),
            component("Euro-Collins", None, None, R.CARRIER),
        ),
        name="VS55",
    )


def m22() -> Composition:
    return Composition(
        (
            component("DMSO", 22.305, "% w/v"),
            component("formamide", 12.858, "% w/v"),
            component("ethylene glycol", 16.837, "% w/v"),
            component("N-methylformamide", 3, "% w/v"),
            component("3-methoxy-1,2-propanediol", 4, "% w/v"),
            component("PVP K12", 2.8, "% w/v", R.POLYMER),
            component("Supercool X-1000", 1, "% w/v", R.POLYMER),
            component("Supercool Z-1000", 2, "% w/v", R.POLYMER),
            component("LM5", None, None, R.CARRIER),
        ),
        name="M22",
    )


def test_vs55_molar_to_percent_wv() -> None:
    b = solve_composition(vs55())
    # DMSO 3.1 x 78.13 = 242.203 g/L -> 24.22 %; FA 3.1 x 45.04 = 139.624 -> 13.96 %;
    # PG 2.2 x 76.09 = 167.398 -> 16.74 %; total 549.225 g/L = 54.92 % w/v ("55 % w/v")
    assert b.row("DMSO").percent_wv == pytest.approx(24.2203)
    assert b.row("formamide").percent_wv == pytest.approx(13.9624)
    assert b.row("1,2-propanediol").percent_wv == pytest.approx(16.7398)
    assert b.total_solute_percent_wv() == pytest.approx(54.9225)
    assert round(b.total_solute_percent_wv()) == 55
    assert b.total_solute_molarity() == pytest.approx(8.4)


def test_vs55_full_breakdown_by_ideal_volume_additivity() -> None:
    b = solve_composition(vs55())
    # neat volumes: 242.203/1.100 = 220.185; 139.624/1.133 = 123.234; 167.398/1.036 = 161.581 -> 505.000 mL
    # water 1000 - 505.000 = 495.000 mL x 0.9982 g/mL = 494.110 g; total 549.225 + 494.110 = 1043.33 g
    assert b.water.mass_g == pytest.approx(494.1095, abs=1e-3)
    assert b.density_g_per_mL == pytest.approx(1.043334, abs=1e-5)
    # % w/w DMSO = 242.203 / 1043.334 = 23.214 %; molal = 3.1 / 0.4941095 kg = 6.2739 mol/kg
    assert b.row("DMSO").percent_ww == pytest.approx(23.2143, abs=1e-3)
    assert b.row("DMSO").molality == pytest.approx(6.27391, abs=1e-4)
    # n_water = 494.1095 / 18.015 = 27.4277 mol; x_DMSO = 3.1 / (8.4 + 27.4277) = 0.086525
    assert b.row("DMSO").mole_fraction == pytest.approx(0.086525, abs=1e-6)
    assert sum(r.mole_fraction for r in b.rows) == pytest.approx(1.0)
    assert sum(r.percent_ww for r in b.rows) == pytest.approx(100.0)
    text = " ".join(b.assumptions)
    assert "ideal volume additivity" in text
    assert "Euro-Collins" in text and "pure water" in text
    assert any("DMSO: neat density 1.1 g/mL" in s and "notes.md" in s for s in b.bases)


def test_vs55_cannot_be_41_percent_w_w() -> None:
    # notes.md calls VS55 "= VS41A, 41 % w/w". With 549.225 g solutes per litre, 41 % w/w would need a
    # solution density of 549.225 / 0.41 / 1000 = 1.34 g/mL. At any plausible density (1.04-1.10 g/mL)
    # the solutes are 50-53 % w/w, so the 41 % w/w label does not describe the 3.1/3.1/2.2 M recipe.
    for rho in (1.04, 1.08, 1.10):
        b = solve_composition(vs55(), solution_density=SourcedValue(rho, "test input"))
        total_ww = sum(r.percent_ww for r in b.solutes)
        assert 49.0 < total_ww < 53.0
        assert "given: " in b.density_basis


def test_m22_percent_wv_to_molar_and_missing_densities() -> None:
    # Per-volume figures need no density: DMSO 223.05/78.13 = 2.8549 M; FA 128.58/45.04 = 2.8548 M;
    # EG 168.37/62.07 = 2.7126 M; NMF 30/59.07 = 0.5079 M; MPD 40/106.12 = 0.3769 M; sum 9.307 M ("≈ 9.3 M").
    b = solve_composition(m22(), allow_partial=True)
    assert b.partial
    expect = {"DMSO": 2.85486, "formamide": 2.85480, "ethylene glycol": 2.71258,
              "N-methylformamide": 0.50787, "3-methoxy-1,2-propanediol": 0.37693}
    for name, molar in expect.items():
        assert b.row(name).molarity == pytest.approx(molar, abs=1e-4)
    assert sum(b.row(n).molarity for n in expect) == pytest.approx(9.3070, abs=1e-3)
    assert b.total_solute_percent_wv() == pytest.approx(64.8)  # 22.305+12.858+16.837+3+4+2.8+1+2
    assert b.row("PVP K12").molarity is None  # no molar mass for a polydisperse polymer
    assert b.total_solute_molarity() is None
    assert b.water.mass_g is None
    with pytest.raises(MissingQuantityError):
        b.row("DMSO").amount("% w/w")


def test_m22_full_breakdown_names_every_missing_density() -> None:
    with pytest.raises(MissingQuantityError) as err:
        solve_composition(m22())
    missing = {m.component for m in err.value.missing}
    # notes.md gives no density for MPD or the three polymers; nothing is guessed for them
    assert missing == {"3-methoxy-1,2-propanediol", "PVP K12", "Supercool X-1000", "Supercool Z-1000"}
    assert "density" in str(err.value)


def test_m22_with_a_supplied_solution_density() -> None:
    b = solve_composition(m22(), solution_density=SourcedValue(1.09, "test input, not a measured M22 density"))
    # water = 1090 - 648 g solutes = 442 g; % w/w DMSO = 223.05/1090 = 20.463 %
    assert b.water.mass_g == pytest.approx(442.0)
    assert b.row("DMSO").percent_ww == pytest.approx(20.4633, abs=1e-3)
    assert b.row("PVP K12").mole_fraction is None
    assert any("molar mass of 'PVP K12' missing" in m for m in b.row("PVP K12").missing)


def test_dp6() -> None:
    dp6 = Composition((component("DMSO", 3.0, "M"), component("PG", 3.0, "M")), name="DP6")
    b = solve_composition(dp6)
    # 3 x 78.13 = 234.39 g/L -> 23.44 % w/v; 3 x 76.09 = 228.27 g/L -> 22.83 % w/v
    assert b.row("DMSO").percent_wv == pytest.approx(23.439)
    assert b.row("PG").percent_wv == pytest.approx(22.827)


def test_cryotop_vs_percent_vv_plus_molar_sucrose() -> None:
    vs = Composition(
        (
            component("ethylene glycol", 15, "% v/v"),
            component("DMSO", 15, "% v/v"),
            component("sucrose", 0.5, "M", R.NON_PENETRATING),
            component("HEPES medium + 20 % SSS", None, None, R.CARRIER),
        ),
        name="Cryotop VS",
    )
    b = solve_composition(vs)
    # EG 15 x 10 x 1.113 = 166.95 g/L / 62.07 = 2.6897 M; DMSO 15 x 10 x 1.100 = 165 g/L / 78.13 = 2.1119 M
    assert b.row("ethylene glycol").molarity == pytest.approx(2.68971, abs=1e-4)
    assert b.row("DMSO").molarity == pytest.approx(2.11186, abs=1e-4)
    # sucrose 0.5 x 342.30 = 171.15 g/L, 171.15/1.5879 = 107.784 mL; water 1000-150-150-107.784 = 592.216 mL
    # x 0.9982 = 591.150 g; density (166.95+165+171.15+591.150)/1000 = 1.09425 g/mL
    assert b.water.mass_g == pytest.approx(591.150, abs=1e-2)
    assert b.density_g_per_mL == pytest.approx(1.09425, abs=1e-4)
    assert b.row("DMSO").percent_vv == pytest.approx(15.0)
    assert any("% v/v is read as mL of the neat component" in a for a in b.assumptions)


def test_molal_recipe_round_trips() -> None:
    # PMC9529850 model-optimised cocktail: glycerol 7.4 m, DMSO 1.4 m, formamide 2.4 m.
    # Per kg water: 681.466 + 109.382 + 108.096 g solutes, total 1898.944 g -> w(glycerol) = 35.887 % w/w,
    # independent of the density closure.
    mix = Composition((component("glycerol", 7.4, "m"), component("DMSO", 1.4, "m"), component("formamide", 2.4, "m")))
    b = solve_composition(mix)
    assert b.row("glycerol").molality == pytest.approx(7.4)
    assert b.row("DMSO").molality == pytest.approx(1.4)
    assert b.row("glycerol").percent_ww == pytest.approx(35.8866, abs=1e-3)


def test_molal_and_mole_fraction_with_solution_density() -> None:
    gly = default_properties("glycerol")
    rho = SourcedValue(1.045, "test input")
    # 2.0 M glycerol = 184.18 g/L; water = 1045 - 184.18 = 860.82 g -> 2.0 / 0.86082 = 2.32337 mol/kg
    conv = convert_amount(2.0, "M", "m", gly, solution_density=rho)
    assert conv.value == pytest.approx(2.32337, abs=1e-5)
    assert conv.unit is Unit.MOLAL
    assert any("binary" in a for a in conv.assumptions)
    # n_water = 860.82 / 18.015 = 47.7835 mol -> x = 2 / 49.7835 = 0.040174
    assert convert_amount(2.0, "M", "x", gly, solution_density=rho).value == pytest.approx(0.040174, abs=1e-6)
    # and back from molal to M at the same density
    assert convert_amount(2.32337, "m", "M", gly, solution_density=rho).value == pytest.approx(2.0, abs=1e-5)


def test_percent_ww_to_molar_with_and_without_solution_density() -> None:
    gly = default_properties("glycerol")
    # 40 % w/w at 1.10 g/mL: 0.40 x 1100 g = 440 g/L / 92.09 = 4.7779 M
    conv = convert_amount(40, "% w/w", "M", gly, solution_density=1.10)
    assert conv.value == pytest.approx(4.77793, abs=1e-4)
    assert any("molar mass 92.09" in b for b in conv.bases)
    # without a density, ideal additivity: M_tot (0.4/1.261 + 0.6/0.9982) = 1000 mL
    # -> M_tot = 1000 / (0.317208 + 0.601082) = 1088.98 g; glycerol 435.59 g/L / 92.09 = 4.7301 M
    ideal = convert_amount(40, "% w/w", "M", gly)
    assert ideal.value == pytest.approx(4.7301, abs=1e-3)
    assert any("ideal volume additivity" in a for a in ideal.assumptions)


def test_mole_fraction_to_percent_ww_is_density_independent() -> None:
    gly = default_properties("glycerol")
    # x = 0.1: w = 0.1 x 92.09 / (0.1 x 92.09 + 0.9 x 18.015) = 9.209 / 25.4225 = 36.224 % w/w
    ideal = convert_amount(0.1, "x", "% w/w", gly)
    given = convert_amount(0.1, "x", "% w/w", gly, solution_density=1.2)
    assert ideal.value == pytest.approx(36.2238, abs=1e-3)
    assert given.value == pytest.approx(ideal.value)


def test_ideal_closure_without_neat_density_says_so() -> None:
    mystery = ComponentProperties("mystery CPA", molar_mass=SourcedValue(100.0, "test input"))
    with pytest.raises(MissingQuantityError, match="mystery CPA"):
        convert_amount(1.0, "M", "m", mystery)
    # per-volume conversions of the same component still work without a density
    assert convert_amount(1.0, "M", "% w/v", mystery).value == pytest.approx(10.0)


def test_missing_molar_mass_for_molar_amount() -> None:
    comp = Composition((component("PVP K12", 0.1, "M", R.POLYMER, density=1.2),))
    with pytest.raises(MissingQuantityError, match="molar mass.*PVP K12"):
        solve_composition(comp)


def test_infeasible_recipe_is_refused() -> None:
    # 8 M DMSO + 8 M EG: 8 x 78.13 / 1.100 = 568.2 mL + 8 x 62.07 / 1.113 = 446.1 mL = 1014 mL > 1 L
    comp = Composition((component("DMSO", 8.0, "M"), component("EG", 8.0, "M")))
    with pytest.raises(CompositionError, match="infeasible"):
        solve_composition(comp)


def test_original_seed_7_5_m_plus_7_5_m_is_almost_neat_cpa() -> None:
    # notes.md calls "7.5 M DMSO + 7.5 M EG" physically impossible. By ideal additivity it is barely
    # possible but is not an aqueous solution: 585.975/1.100 = 532.7 mL + 465.525/1.113 = 418.3 mL
    # = 951.0 mL of neat CPA, leaving 49.0 mL x 0.9982 = 48.9 g water per litre.
    b = solve_composition(Composition((component("DMSO", 7.5, "M"), component("EG", 7.5, "M"))))
    assert b.water.mass_g == pytest.approx(48.91, abs=0.05)
    assert b.row("DMSO").percent_vv + b.row("EG").percent_vv == pytest.approx(95.1, abs=0.05)


def test_stated_water_is_checked_against_the_remainder() -> None:
    ok = Composition((component("glycerol", 40, "% w/w"), component("water", 60, "% w/w", R.WATER)))
    assert solve_composition(ok).water.percent_ww == pytest.approx(60.0)
    bad = Composition((component("glycerol", 40, "% w/w"), component("water", 50, "% w/w", R.WATER)))
    with pytest.raises(CompositionError, match="disagrees"):
        solve_composition(bad)


def test_from_mixture_uses_store_constants_with_their_basis() -> None:
    mixture = Mixture(
        name="DP6",
        components=(
            MixtureComponent("DMSO", 3.0, "M", R.PENETRATING, inchikey="IAZDPXIOMUYVGZ-UHFFFAOYSA-N"),
            MixtureComponent("1,2-propanediol", 3.0, "mol/L", R.PENETRATING),
            MixtureComponent("RPS-2", None, None, R.CARRIER),
        ),
        status="literature (recalled)",
    )
    store = {
        "IAZDPXIOMUYVGZ-UHFFFAOYSA-N": ComponentProperties(
            "DMSO", SourcedValue(78.133, "store: pubchem CID 679"), SourcedValue(1.1004, "store: CRC")
        )
    }
    b = solve_composition(Composition.from_mixture(mixture, store))
    # store MW 78.133 overrides the default 78.13: 3 x 78.133 = 234.399 g/L
    assert b.row("DMSO").mass_g == pytest.approx(234.399)
    assert any("store: pubchem CID 679" in s for s in b.bases)
    assert any("notes.md" in s for s in b.bases if s.startswith("1,2-propanediol"))
    assert any("RPS-2" in a for a in b.assumptions)


def test_breakdown_records_are_plain() -> None:
    recs = solve_composition(vs55()).to_records()
    assert [r["name"] for r in recs] == ["DMSO", "formamide", "1,2-propanediol", "water"]
    assert recs[0]["given"] == "3.1 M"
    assert set(recs[0]) >= {"mass_g_per_L", "mol_per_L", "percent_ww", "molal_mol_per_kg_water", "mole_fraction"}
