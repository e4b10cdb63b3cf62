"""Mixture workflows through the engine: create, show (report), predict with trained models, Tg curves."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from cryodesk.domain import ComponentRole, InputError, Method, ProjectError, PropertyValue, Provenance
from cryodesk.engine.mixtures import (
    VISCOSITY_MODEL,
    MixturePrediction,
    create_mixture,
    parse_component_spec,
    predict_mixture,
    tg_curve,
    train_mixture_models,
)
from cryodesk.engine.seed import load_manifest, seed_reference_cpas, seed_reference_mixtures
from cryodesk.engine.service import Workbench
from tests.conftest import DATA

VISCOSITY_CSV = DATA / "mixture_viscosity" / "binary_viscosity_train.csv"
FORMULATIONS_CSV = DATA / "cpa_formulations" / "parsed_formulations.csv"
# Water with its common CPAs: the binaries and the pure-liquid rows of the published training split.
CPA_SMILES = {"O", "OCCO", "CS(C)=O", "OCC(O)CO", "CC(O)CO"}
# Pure-component Tg (K) and density (g/mL) given to the test project as literature values: inputs, not results.
PURE = {
    "glycerol": (190.0, 1.261),
    "dimethyl sulfoxide": (150.0, 1.100),
    "ethylene glycol": (152.0, 1.113),
    "propylene glycol": (167.0, 1.036),
}


def cpa_viscosity_subset(target: Path) -> int:
    with open(VISCOSITY_CSV, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if {r["SMILES_0"], r["SMILES_1"]} - {""} <= CPA_SMILES]
        fields = reader.fieldnames
    with open(target, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)  # type: ignore[arg-type]
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def cpa_workbench(path: Path) -> Workbench:
    wb = Workbench.open(path)
    manifest = load_manifest()
    seed_reference_cpas(wb.project, manifest)
    seed_reference_mixtures(wb.project, manifest)
    values = []
    for name, (tg, rho) in PURE.items():
        key = wb.resolve(name)[0]
        prov = Provenance("test-literature", Method.LITERATURE, name, "2026-01-01T00:00:00Z")
        values += [PropertyValue(key, "tg", tg, "K", prov), PropertyValue(key, "density", rho, "g/mL", prov)]
    wb.project.properties.upsert_many(values)
    return wb


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("mixture_engine")
    subset = tmp / "cpa_viscosity.csv"
    assert cpa_viscosity_subset(subset) > 100
    wb = cpa_workbench(tmp / "mix.cryodesk")
    try:
        result = train_mixture_models(wb, viscosity_csv=subset, formulations_csv=FORMULATIONS_CSV)
        assert result[VISCOSITY_MODEL]["rows"] > 100 and result["mixture_viability"]["rows"] == 198
    finally:
        wb.close()
    return tmp / "mix.cryodesk"


def test_component_spec_parsing_and_errors() -> None:
    spec = parse_component_spec("glycerol:20:%w/v:penetrating")
    assert (spec.name, spec.amount, spec.unit, spec.role) == (
        "glycerol",
        20.0,
        "% w/v",
        ComponentRole.PENETRATING,
    )
    assert parse_component_spec("water").role is ComponentRole.WATER
    with pytest.raises(InputError, match=r"component 2 .*field 'unit'"):
        parse_component_spec("glycerol:20:furlongs", 2)
    with pytest.raises(InputError, match="field 'amount'"):
        parse_component_spec("glycerol:lots:M")
    with pytest.raises(InputError, match="field 'role'"):
        parse_component_spec("glycerol:1:M:magic")
    with pytest.raises(InputError, match="field 'amount'"):
        parse_component_spec("glycerol:-1:M")


def test_create_resolves_names_and_refuses_duplicates(tmp_path: Path) -> None:
    wb = cpa_workbench(tmp_path / "p.cryodesk")
    try:
        m = create_mixture(wb, "GLY20", ["glycerol:20:%w/v:penetrating", "water"])
        assert m.components[0].inchikey == "PEDCQBHIVMGVHV-UHFFFAOYSA-N" and m.components[1].inchikey is None
        assert wb.mixture("GLY20") is not None
        with pytest.raises(ProjectError, match="already exists"):
            create_mixture(wb, "GLY20", ["glycerol:10:%w/v"])
        with pytest.raises(InputError, match="at least one"):
            create_mixture(wb, "EMPTY", [])
    finally:
        wb.close()


def test_predict_without_models_names_what_is_missing(tmp_path: Path) -> None:
    wb = cpa_workbench(tmp_path / "p.cryodesk")
    try:
        create_mixture(wb, "GLY40", ["glycerol:40:%w/w:penetrating", "water"])
        pred = wb.predict_mixture("GLY40")
        assert isinstance(pred, MixturePrediction)
        assert pred.tg is not None and pred.tg.unit == "K" and pred.tg.lower < pred.tg.value < pred.tg.upper
        assert pred.viscosity is None and "mixture train" in pred.problems["viscosity"][0]
        assert pred.viability is None and "mixture train" in pred.problems["viability"][0]
        with pytest.raises(ProjectError, match="no mixture named"):
            wb.predict_mixture("nope")
    finally:
        wb.close()


def test_predictions_with_trained_models_follow_physics(trained: Path) -> None:
    wb = Workbench.open(trained)
    try:
        low = create_mixture(wb, "GLY10", ["glycerol:10:%w/w:penetrating", "water"])
        high = create_mixture(wb, "GLY60", ["glycerol:60:%w/w:penetrating", "water"])
        p_low, p_high = predict_mixture(wb, low.name), predict_mixture(wb, high.name)
        for p in (p_low, p_high):
            assert p.viscosity is not None and p.viscosity.lower <= p.viscosity.value <= p.viscosity.upper
            assert "pairs held out" in p.viscosity.interval  # calibrated on unseen pairs, and says so
            assert p.viability is not None and 0.0 <= p.viability.value <= 100.0
        # glycerol thickens water (60 % w/w is about 10 cP at 25 °C, 10 % about 1.3 cP)
        assert p_high.viscosity.value > p_low.viscosity.value + 0.4
        assert -0.2 < p_low.viscosity.value < 0.4 and 0.6 < p_high.viscosity.value < 1.4
        # colder is more viscous
        assert predict_mixture(wb, high.name, temperature_K=278.15).viscosity.value > p_high.viscosity.value
        assert p_high.tg.value > p_low.tg.value  # more glass former, higher Tg
        # an unsaved mixture object works too (the GUI designer's case)
        unsaved = predict_mixture(wb, low)
        assert math.isclose(unsaved.viscosity.value, p_low.viscosity.value)
        vs55 = predict_mixture(wb, "VS55")
        assert vs55.viability is not None and vs55.name == "VS55"
    finally:
        wb.close()


def test_a_viscosity_model_with_older_features_asks_for_retraining(trained: Path, tmp_path: Path) -> None:
    """A project whose promoted viscosity model predates today's features gets words, not a crash."""
    import dataclasses
    import shutil

    from cryodesk.engine.mixtures import _register, load_viscosity_model

    shutil.copy(trained, tmp_path / trained.name)
    shutil.copytree(trained.parent / f"{trained.name}.models", tmp_path / f"{trained.name}.models")
    wb = Workbench.open(tmp_path / trained.name)
    try:
        model, why = load_viscosity_model(wb)
        assert model is not None and why is None and model.feature_version
        create_mixture(wb, "GLY40", ["glycerol:40:%w/w:penetrating", "water"])
        assert predict_mixture(wb, "GLY40").viscosity is not None
        older = dataclasses.replace(model, feature_version="")  # what a model pickled before the field reads
        _register(wb, VISCOSITY_MODEL, older, older.model, {})
        pred = predict_mixture(wb, "GLY40")
        assert pred.viscosity is None and "retrain" in pred.problems["viscosity"][0]
        assert pred.tg is not None  # the rest of the prediction is unaffected
        assert load_viscosity_model(wb)[0] is None and "retrain" in (load_viscosity_model(wb)[1] or "")
    finally:
        wb.close()


def test_tg_curve_rises_with_solute(trained: Path) -> None:
    wb = Workbench.open(trained)
    try:
        if wb.mixture("DMSO30") is None:
            create_mixture(wb, "DMSO30", ["dimethyl sulfoxide:30:%w/w:penetrating", "water"])
        curve = tg_curve(wb, "DMSO30", points=11)
        assert curve.w_solutes.size == 11 and curve.tg_K[0] == pytest.approx(136.0, abs=1.0)
        assert all(b >= a - 1e-9 for a, b in zip(curve.tg_K, curve.tg_K[1:], strict=False))
        create_mixture(wb, "MYSTERY", ["unobtainium-42:5:M:penetrating", "water"])
        with pytest.raises(ProjectError, match="no Tg curve"):
            tg_curve(wb, "MYSTERY")
    finally:
        wb.close()
