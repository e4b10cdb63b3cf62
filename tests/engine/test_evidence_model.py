"""Literature evidence as model features, and agreement between literature values and predictions.

The evidence comes from real PubMed abstracts (BC5CDR) imported through the replay server by the
real job (see :mod:`tests.engine.evidence_project`); nothing here is mocked.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cryodesk.domain import Method
from cryodesk.engine.evidence_agreement import literature_properties
from cryodesk.engine.evidence_features import (
    EVIDENCE_COLUMNS,
    EVIDENCE_FEATURE_SET,
    SoluteConstants,
    evidence_matrix,
    to_mol_per_litre,
)
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import assemble_dataset, request_for
from cryodesk.store import Project
from tests.engine import evidence_project
from tests.engine.evidence_project import MODEL, TARGET, copy_project, small_request


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("evidence") / "evidence.cryodesk"
    keys = evidence_project.build(path, train=True)
    return path, keys


@pytest.fixture
def wb(built: tuple[Path, dict[str, str]], tmp_path: Path):
    workbench = Workbench(Project.open(copy_project(built[0], tmp_path)))
    yield workbench
    workbench.close()


@pytest.fixture
def keys(built: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return built[1]


# -- unit conversion ------------------------------------------------------------------------------
def test_concentrations_convert_to_mol_per_litre_or_say_why_not() -> None:
    dmso = SoluteConstants(78.13, 1.100)
    # The parsed formulation table of shared/data/cpa_formulations gives 10 % (v/v) DMSO as 1.40791 M.
    assert to_mol_per_litre(10.0, "% v/v", dmso)[0] == pytest.approx(1.40791, rel=1e-4)
    assert to_mol_per_litre(300.0, "mM", dmso) == (pytest.approx(0.3), None)
    assert to_mol_per_litre(22.305, "% w/v", dmso)[0] == pytest.approx(2.855, rel=1e-3)
    assert to_mol_per_litre(5.0, "mg/mL", SoluteConstants(342.30))[0] == pytest.approx(5 / 342.30)
    for unit, reason in (("mg/kg", "dose"), ("%", "basis"), ("% w/w", "density"), ("% v/v", "density")):
        value, why = to_mol_per_litre(1.0, unit, SoluteConstants(100.0))
        assert value is None and reason in (why or ""), unit
    assert to_mol_per_litre(1.0, "% w/v", SoluteConstants(None))[1] == "% w/v: no molar mass"


# -- evidence as features ----------------------------------------------------------------------------
def test_evidence_block_counts_papers_and_converts_concentrations(
    wb: Workbench, keys: dict[str, str]
) -> None:
    project = wb.project
    lidocaine = keys["lidocaine"]
    ids = project.compounds.ids_for([lidocaine, keys["glycerol"]])
    matrix = evidence_matrix(project, list(ids.values()))
    assert matrix.columns == EVIDENCE_COLUMNS
    row = dict(zip(matrix.columns, matrix.values[list(matrix.ids).index(ids[lidocaine])], strict=True))

    items = wb.evidence_for(lidocaine)
    mentions = [i for i in items if i.kind == "mention"]
    assert row["evidence_n_papers"] == len({i.pmid for i in items}) == wb.evidence_summary(lidocaine).n_papers
    assert row["evidence_n_records"] == len(mentions) > 0
    assert row["evidence_mean_confidence"] == pytest.approx(
        np.mean([i.confidence for i in mentions]), rel=1e-5
    )
    # Lidocaine's concentrations: % w/v converts with its molar mass; its mg/kg doses do not.
    mw = project.compounds.rows_by_ids([ids[lidocaine]])[0].mol_weight
    per_volume = [10.0 * i.value / mw for i in items if i.kind == "concentration" and i.unit == "% w/v"]
    assert per_volume and any(i.unit == "mg/kg" for i in items if i.kind == "concentration")
    assert row["evidence_max_conc_mol_l"] == pytest.approx(max(per_volume), rel=1e-5)
    assert row["evidence_median_conc_mol_l"] == pytest.approx(float(np.median(per_volume)), rel=1e-5)
    assert math.isnan(row["evidence_best_viability"])  # drug abstracts report no cell viability
    assert matrix.report.skipped["mg/kg: a dose per body mass, not a concentration"] > 0

    glycerol = matrix.values[list(matrix.ids).index(ids[keys["glycerol"]])]
    assert glycerol[:2].tolist() == [0.0, 0.0] and np.isnan(glycerol[2:]).all()  # no paper names it


def test_with_evidence_appends_the_block_to_the_training_matrix(wb: Workbench) -> None:
    plain = assemble_dataset(wb.project, TARGET, feature_sets=("cryo",), fingerprint_set=None).dataset
    more = assemble_dataset(
        wb.project, TARGET, feature_sets=small_request().feature_sets, fingerprint_set=None
    )
    dataset = more.dataset
    assert small_request().feature_sets == ("cryo", EVIDENCE_FEATURE_SET)
    width = len(plain.feature_names)
    assert list(dataset.feature_names) == [*plain.feature_names, *EVIDENCE_COLUMNS]
    assert dataset.feature_set == "cryo+evidence" and dataset.feature_version.endswith(";evidence=evidence-1")
    assert list(dataset.keys) == list(plain.keys)
    np.testing.assert_array_equal(dataset.X[:, :width], plain.X)
    expected = evidence_matrix(wb.project, more.compound_ids.tolist())
    order = [list(expected.ids).index(cid) for cid in more.compound_ids.tolist()]
    np.testing.assert_array_equal(dataset.X[:, width:], expected.values[order])
    # Every labelled compound has literature values, so every one has at least one paper.
    assert (dataset.X[:, width] >= 1).all()


def test_a_model_trains_and_predicts_with_evidence_features(wb: Workbench, keys: dict[str, str]) -> None:
    row = wb.model(MODEL)
    assert row.feature_set == "cryo+evidence" and row.params_dict["request"]["with_evidence"] is True
    assert row.params_dict["n_rows"] >= 10
    assert request_for(row).feature_sets == ("cryo", EVIDENCE_FEATURE_SET)  # retraining keeps the option
    batch = wb.predict(MODEL, [keys["haloperidol"], keys["glycerol"]])
    assert [r.error for r in batch.rows] == [None, None]
    assert all(r.value is not None and r.uncertainty is not None for r in batch.rows)
    # A second version without the option sees fewer columns.
    outcome = wb.train_model(small_request("dose_plain", with_evidence=False))
    assert outcome.error is None
    assert wb.model("dose_plain").feature_set == "cryo"
    assert len(row.params_dict["feature_stats"]["mean"]) == (
        len(wb.model("dose_plain").params_dict["feature_stats"]["mean"]) + len(EVIDENCE_COLUMNS)
    )


# -- agreement ----------------------------------------------------------------------------------------
def test_literature_values_against_the_prediction_interval(wb: Workbench, keys: dict[str, str]) -> None:
    haloperidol = keys["haloperidol"]
    agreement = wb.evidence_agreement(haloperidol, MODEL)
    prediction = wb.predict(MODEL, [haloperidol]).rows[0]
    assert (agreement.predicted, agreement.uncertainty) == (prediction.value, prediction.uncertainty)
    assert agreement.lower == pytest.approx(prediction.value - prediction.uncertainty)
    assert agreement.upper == pytest.approx(prediction.value + prediction.uncertainty)
    assert agreement.level == pytest.approx(0.9) and agreement.unit == "mg/kg" and agreement.target == TARGET

    stored = [
        v
        for v in wb.project.properties.for_compound(haloperidol)
        if v.property == TARGET and v.provenance.method is Method.LITERATURE
    ]
    assert len(agreement.rows) == len(stored) > 0
    for r in agreement.rows:
        assert r.pmid and r.reported_unit == "mg/kg" and r.compared == r.reported
        assert r.inside is (agreement.lower <= r.reported <= agreement.upper)
        assert r.deviation == pytest.approx(r.reported - agreement.predicted)
        assert r.confidence is not None and 0 < r.confidence <= 1
        lineage = wb.value_lineage(r.value_id)
        assert lineage is not None and f"PMID {r.pmid}" in lineage.steps[0].title
    assert agreement.n_inside + agreement.n_outside == len(agreement.rows)
    assert agreement.verdict == {(True, False): "agrees", (False, True): "disagrees"}.get(
        (agreement.n_outside == 0, agreement.n_inside == 0), "partly"
    )
    # The model's labels mix mg/kg doses with % w/v: the record says so and the report repeats it.
    assert any("mixed units" in n for n in agreement.notes)


def test_values_in_another_unit_are_listed_as_not_comparable(wb: Workbench, keys: dict[str, str]) -> None:
    agreement = wb.evidence_agreement(keys["lidocaine"], MODEL)
    per_volume = [r for r in agreement.rows if r.reported_unit == "% w/v"]
    assert per_volume and all(r.compared is None and r.inside is None for r in per_volume)
    assert all("cannot be converted to mg/kg" in (r.note or "") for r in per_volume)
    assert agreement.n_not_comparable == len(per_volume)
    text = "\n".join(agreement.lines())
    assert "not comparable (% w/v cannot be converted to mg/kg)" in text and "interval" in text

    nothing = wb.evidence_agreement(keys["glycerol"], MODEL)
    assert nothing.rows == () and nothing.verdict == "no literature values" and nothing.predicted is not None


def test_outcome_values_are_compared_with_a_model_of_the_outcome() -> None:
    assert literature_properties("viability") == ("viability", "reported_viability")
    assert literature_properties("reported_concentration") == ("reported_concentration",)


# -- what the GUI tabs read ----------------------------------------------------------------------------
def test_lineage_choices_mark_reconciliation_and_trace_a_literature_value(
    wb: Workbench, keys: dict[str, str]
) -> None:
    from cryodesk.engine.reconcile import the_value

    haloperidol = keys["haloperidol"]
    choices = wb.lineage_choices(haloperidol)
    values = [c for c in choices if c.kind == "value"]
    assert len(values) == len(wb.compound_detail(haloperidol).properties)
    assert [c.model_id for c in choices if c.kind == "prediction"] == [m.id for m in wb.models()]
    compound_id = wb.project.compounds.ids_for([haloperidol])[haloperidol]
    literature = [c for c in values if "literature" in c.label]
    decision = the_value(wb.project, compound_id, TARGET)
    assert literature and decision is not None
    assert all(c.conflict is decision.conflict for c in literature)
    assert {c.status for c in literature} <= {"the value", "not chosen", "only value"}
    assert {c.value_id for c in literature if c.status == "the value"} == set(decision.winners)

    lineage = wb.lineage_of(literature[0], haloperidol)
    assert lineage is not None and lineage.steps[0].details["record"].startswith("PMID ")
    assert lineage.steps[1].details["kind"] == "import_pubmed"


def test_evidence_view_gathers_summary_rows_features_and_agreement(
    wb: Workbench, keys: dict[str, str]
) -> None:
    view = wb.evidence_view(keys["lidocaine"])
    assert view is not None and view.name == "lidocaine"
    assert view.summary.n_papers == view.features["evidence_n_papers"]
    assert {i.pmid for i in view.items} and all(i.sentence for i in view.items)
    [agreement] = view.agreements
    outside = [r for r in agreement.rows if r.inside is False]
    assert sum(1 for c in view.conflicts if "outside" in c) == len(outside)
    assert wb.evidence_view("AAAAAAAAAAAAAA-AAAAAAAAAA-N") is None
