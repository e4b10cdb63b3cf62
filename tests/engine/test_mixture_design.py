"""The mixture designer's engine calls on a small project of real cryoprotectants: drafts from a stored
recipe, component resolution, the live report, comparison rows by compound, saving with field-level
errors, and how learned predictions are shown (log10 cP read as mPa·s, missing models named)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import ComponentRole, Mixture, MixtureComponent
from cryodesk.engine import mixture_design as md
from cryodesk.engine.service import Workbench
from tests.gui.helpers import build_reference_project

DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
EG = "LYCAIKOWRPUZTN-UHFFFAOYSA-N"
RECIPE = Mixture(
    "test DMSO/glycerol",
    (
        MixtureComponent("DMSO", 10.0, "% w/w", ComponentRole.PENETRATING, DMSO),
        MixtureComponent("glycerol", 20.0, "% w/w", ComponentRole.PENETRATING, GLYCEROL),
    ),
    "confirmed (test)",
)


@pytest.fixture()
def wb(tmp_path: Path):
    workbench = Workbench.open(build_reference_project(tmp_path / "ref.cryodesk"))
    workbench.project.mixtures.upsert_many([RECIPE], "test")
    yield workbench
    workbench.close()


def test_draft_report_and_graph(wb: Workbench) -> None:
    draft = md.draft_from(wb, RECIPE.name)
    assert draft.components == RECIPE.components and "based on test DMSO/glycerol" in draft.status
    with pytest.raises(md.MixtureDesignError, match="No mixture named 'nope'"):
        md.draft_from(wb, "nope")
    report = md.design_report(wb, draft)
    tg = report.report.tg
    # Gordon–Taylor with the project's Tg values (DMSO 137/150 K, glycerol 190 K) and water 136 K.
    assert tg is not None and 136 < tg.tg_K < 190 and tg.lower95_K < tg.tg_K < tg.upper95_K
    assert abs(report.report.solute_fraction - 0.30) < 1e-9
    assert [n.name for n in report.graph.nodes] == ["DMSO", "glycerol"]
    assert [(e.a, e.b, e.evidence) for e in report.graph.edges] == [(0, 1, False)]  # nothing invented
    more = md.design_report(
        wb, md.with_component(draft, MixtureComponent("EG", 10.0, "% w/w", ComponentRole.PENETRATING, EG))
    )
    assert len(more.graph.edges) == 3
    assert 1 - more.report.breakdown.mass_fractions()["water"] == pytest.approx(0.40)
    # This project stores EG's Tg as "Tg", not the "tg" key the estimate reads: EG is left out, and said so.
    assert any(p.startswith("EG (w = 0.100) left out") for p in more.report.tg_problems)


def test_resolve_component_by_cas_smiles_and_unknown(wb: Workbench) -> None:
    by_cas = md.resolve_component(wb, "56-81-5")
    assert by_cas.inchikey == GLYCEROL and by_cas.name == "Glycerol" and by_cas.in_project
    by_smiles = md.resolve_component(wb, "OCCO")
    assert by_smiles.inchikey == EG and by_smiles.in_project
    outside = md.resolve_component(wb, "CCCCCCO")  # hexanol: parsed, but not in this project
    assert outside.resolved and not outside.in_project and "not in this project" in outside.message
    bad = md.resolve_component(wb, "56-81-6")  # wrong CAS check digit
    assert not bad.resolved and "not resolved" in bad.message
    assert not md.resolve_component(wb, "  ").resolved


def test_save_names_field_and_reason_and_never_overwrites(wb: Workbench) -> None:
    with pytest.raises(md.MixtureDesignError, match="name: empty"):
        wb.save_mixture(Mixture("  ", RECIPE.components, "user design"))
    bad = Mixture(
        "x",
        (
            MixtureComponent("DMSO", -5.0, "% w/w", ComponentRole.PENETRATING, DMSO),
            MixtureComponent("glycerol", 3.0, None, ComponentRole.PENETRATING, GLYCEROL),
        ),
        "user design",
    )
    with pytest.raises(md.MixtureDesignError) as err:
        wb.save_mixture(bad)
    assert "component 1 (DMSO), amount: -5.0" in str(err.value)
    assert "component 2 (glycerol), unit: missing" in str(err.value)
    with pytest.raises(md.MixtureDesignError, match="already in the project"):
        wb.save_mixture(RECIPE)
    assert wb.mixture(RECIPE.name).status == "confirmed (test)"  # the stored recipe is untouched
    stored = wb.save_mixture(Mixture(" my design ", RECIPE.components, md.DRAFT_STATUS))
    assert stored.name == "my design" and stored.components == RECIPE.components
    assert "my design" in wb.mixture_names()


def test_comparison_rows_follow_compounds_not_spellings(wb: Workbench) -> None:
    draft = Mixture(
        "draft",
        (
            MixtureComponent("Dimethyl sulfoxide", 15.0, "% w/v", ComponentRole.PENETRATING, DMSO),
            MixtureComponent("Euro-Collins", None, None, ComponentRole.CARRIER),
        ),
        "user design",
    )
    comparison = md.compare_mixtures(wb, [RECIPE.name, draft])
    rows = dict(comparison.rows)
    assert comparison.columns == (RECIPE.name, "draft")
    # One row for DMSO whatever it is called; % w/w added where the full composition is known.
    assert rows["DMSO"][0] == "10 % w/w" and rows["DMSO"][1].startswith("15 % w/v (")
    assert "Dimethyl sulfoxide" not in rows
    assert rows["Euro-Collins"] == ("", "remainder")
    assert rows["Tg (K), Gordon–Taylor ± 1σ"][0].count("±") == 1
    with pytest.raises(md.MixtureDesignError):
        md.compare_mixtures(wb, ["no such mixture"])


def test_learned_predictions_are_shown_in_lab_units_or_named_missing() -> None:
    from cryodesk.engine.mixtures import MixturePrediction, PredictedValue

    prediction = MixturePrediction(
        "m",
        None,
        PredictedValue(1.0, 0.5, 1.5, "log10(cP)", "mixture_viscosity: test", "90 % conformal", False),
        None,
        298.15,
        {"viability": ("no mixture_viability model in this project: run `cryodesk mixture train` first",)},
    )
    shown, _note, _pairs = md._read_prediction(prediction)
    tg_prime, viscosity, viability = shown
    assert not tg_prime.available and tg_prime.text == "not predicted: not estimated for this mixture"
    assert viscosity.available and viscosity.value == pytest.approx(10.0) and viscosity.unit == "mPa·s"
    assert (viscosity.lower, viscosity.upper) == (pytest.approx(10**0.5), pytest.approx(10**1.5))
    assert viscosity.text == "10 (90 % 3.162–31.62) mPa·s"  # the model's own interval level
    assert "applicability domain" in viscosity.note
    assert not viability.available and viability.text == "no model yet (run `cryodesk mixture train` first)"


def test_tg_prime_estimate_is_shown_with_its_interval() -> None:
    from cryodesk.engine.mixtures import MixturePrediction, PredictedValue

    estimate = PredictedValue(231.0, 200.1, 261.9, "K", "Tg′ estimate: Gordon–Taylor at W′g", "95 % (±1.96σ)")
    prediction = MixturePrediction("m", None, None, None, 298.15, {}, tg_prime=estimate)
    shown, _note, _pairs = md._read_prediction(prediction)
    tg_prime = next(p for p in shown if p.quantity == "tg_prime")
    assert tg_prime.available and tg_prime.unit == "K" and tg_prime.text == "231 (95 % 200.1–261.9) K"
    assert "W′g" in tg_prime.note
