"""Reconciliation: explicit, configurable rules choose "the value"; losing values are never deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryodesk.chem import compound_from_text
from cryodesk.domain import InputError, Method, PropertyValue, Provenance
from cryodesk.engine.jobs import run_job
from cryodesk.engine.reconcile import (
    DEFAULT_RULES,
    RECONCILED_FLAG,
    ReconcileJob,
    ReconcileRules,
    Tolerance,
    load_rules,
    reconcile_state,
    reconciled_values,
    rules_from_file,
    save_rules,
    the_value,
)
from cryodesk.store import Project

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"


def add_compound(project: Project, smiles: str, name: str) -> int:
    compound = compound_from_text(smiles, kind="smiles", name=name).compound
    return project.compounds.upsert_many([compound])[compound.inchikey]


def add_value(project: Project, key: str, prop: str, value: float, unit: str | None, source: str, record: str,
              method: Method = Method.MEASURED, retrieved_at: str = "2024-01-01T00:00:00+00:00",
              flags: tuple[str, ...] = ()) -> None:
    provenance = Provenance(source, method, record, retrieved_at)
    assert project.properties.upsert_many([PropertyValue(key, prop, value, unit, provenance, str(value), None,
                                                         flags)]) == 1


def stored(project: Project, key: str, prop: str) -> list[tuple[float, str, str, tuple[str, ...]]]:
    return [(v.value, v.unit, v.provenance.source, v.flags) for v in project.properties.for_compound(key)
            if v.property == prop]


def reconcile(project: Project, rules: ReconcileRules | None = None, props: list[str] | None = None):
    outcome = run_job(project, ReconcileJob(rules, props))
    assert outcome.error is None
    return outcome


@pytest.fixture
def glycerol(project: Project) -> int:
    return add_compound(project, "OCC(O)CO", "glycerol")


def test_source_priority_compares_across_units_and_keeps_the_losers(project: Project, glycerol: int) -> None:
    # Glycerol's real melting points: Bradley 17.8 degC, Koop 291.35 K and 291 K.
    add_value(project, GLYCEROL, "melting_point", 291.35, "K", "koop_tg", "row 197")
    add_value(project, GLYCEROL, "melting_point", 291.0, "K", "koop_tg", "row 199")
    add_value(project, GLYCEROL, "melting_point", 17.8, "degC", "bradley_mp", "row 325")
    before = project.properties.count()
    summary = reconcile(project).result

    decision = the_value(project, glycerol, "melting_point")
    assert decision.recorded and decision.rule == "source_priority"
    assert decision.value == pytest.approx(17.8) and decision.unit == "degC"
    assert decision.spread == pytest.approx(0.4) and not decision.conflict  # 18.2 - 17.8 degC < 5
    assert project.properties.count() == before  # nothing deleted, nothing added
    values = stored(project, GLYCEROL, "melting_point")
    assert sorted(v[0] for v in values) == [17.8, 291.0, 291.35]  # values and units unchanged
    flagged = [v for v in values if any(f.startswith(RECONCILED_FLAG) for f in v[3])]
    assert flagged == [(17.8, "degC", "bradley_mp", ("reconciled=source_priority",))]
    [outcome] = summary.properties
    assert (outcome.property, outcome.groups, outcome.by_rule) == ("melting_point", 1, {"source_priority": 1})


def test_measurement_beats_prediction_before_source_priority(project: Project, glycerol: int) -> None:
    add_value(project, GLYCEROL, "tg", 250.0, "K", "bradley_mp", "pred 1", method=Method.PREDICTED)
    add_value(project, GLYCEROL, "tg", 190.0, "K", "file:lab.csv", "row 2")
    reconcile(project)
    decision = the_value(project, glycerol, "tg")
    assert (decision.value, decision.rule) == (190.0, "measured_over_predicted")
    assert decision.conflict and decision.tolerance == 5.0


def test_recency_among_equally_ranked_sources(project: Project, glycerol: int) -> None:
    add_value(project, GLYCEROL, "tg", 188.0, "K", "lab-a", "r1", retrieved_at="2023-05-01T00:00:00+00:00")
    add_value(project, GLYCEROL, "tg", 192.0, "K", "lab-b", "r1", retrieved_at="2024-05-01T00:00:00+00:00")
    reconcile(project)
    assert (the_value(project, glycerol, "tg").value, the_value(project, glycerol, "tg").rule) == (192.0, "recency")


def test_median_of_replicates_within_the_chosen_source(project: Project, glycerol: int) -> None:
    # Koop's glycerol Tg replicates (K); a lower-priority source disagrees.
    for i, tg in enumerate((193.0, 185.0, 190.0, 189.0, 192.0, 194.0)):
        add_value(project, GLYCEROL, "tg", tg, "K", "koop_tg", f"row {i}")
    add_value(project, GLYCEROL, "tg", 150.0, "K", "file:old.csv", "row 9")
    reconcile(project)
    decision = the_value(project, glycerol, "tg")
    # Six replicates: the two middle ones (190, 192) are both winners; the value is their mean.
    assert decision.rule == "source_priority+median_of_replicates"
    assert decision.value == pytest.approx(191.0) and len(decision.winners) == 2
    assert decision.sd == pytest.approx(3.27, abs=0.01)
    winners = sorted(v[0] for v in stored(project, GLYCEROL, "tg") if "reconciled=" + decision.rule in v[3])
    assert winners == [190.0, 192.0]


def test_agreeing_values_need_no_rule(project: Project, glycerol: int) -> None:
    add_value(project, GLYCEROL, "tg", 190.0, "K", "koop_tg", "row 1")
    add_value(project, GLYCEROL, "tg", 190.0, "K", "koop_tg", "row 2")
    reconcile(project)
    decision = the_value(project, glycerol, "tg")
    assert decision.rule == "agreement" and len(decision.winners) == 2 and not decision.conflict


def test_rules_are_saved_in_the_project_and_change_the_winner(project: Project, glycerol: int,
                                                              tmp_path: Path) -> None:
    add_value(project, GLYCEROL, "melting_point", 291.35, "K", "koop_tg", "row 197")
    add_value(project, GLYCEROL, "melting_point", 17.8, "degC", "bradley_mp", "row 325")
    assert load_rules(project) == DEFAULT_RULES
    reconcile(project)
    assert the_value(project, glycerol, "melting_point").value == pytest.approx(17.8)

    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"per_property": {"melting_point": {"source_priority": ["koop_tg", "bradley_mp"]}},
                                "tolerances": {"melting_point": {"amount": 0.1, "unit": "K"}}}))
    rules = rules_from_file(path)
    save_rules(project, rules)
    assert load_rules(project) == rules
    reconcile(project)
    decision = the_value(project, glycerol, "melting_point")
    assert decision.value == pytest.approx(18.2) and decision.rule == "source_priority"
    assert decision.conflict  # 0.4 degC apart, tolerance now 0.1 K
    # The old winner's flag is gone; exactly one value carries one.
    flags = [v[3] for v in stored(project, GLYCEROL, "melting_point")]
    assert sum(any(f.startswith(RECONCILED_FLAG) for f in fl) for fl in flags) == 1


def test_rules_round_trip_and_partial_files_keep_the_defaults() -> None:
    assert ReconcileRules.from_dict(DEFAULT_RULES.to_dict()) == DEFAULT_RULES
    partial = ReconcileRules.from_dict({"source_priority": ["file:*"]})
    assert partial.source_priority == ("file:*",) and partial.per_property == DEFAULT_RULES.per_property
    assert partial.for_property("melting_point").source_priority[0] == "bradley_mp"
    assert partial.tolerances == DEFAULT_RULES.tolerances


def test_invalid_rules_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown reconciliation rule"):
        ReconcileRules.from_dict({"order": ["coin_toss"]})
    with pytest.raises(InputError, match="cannot override"):
        ReconcileRules.from_dict({"per_property": {"tg": {"tolerance": 3}}})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot read"):
        rules_from_file(bad)


def test_other_flags_survive_and_rerunning_changes_nothing(project: Project, glycerol: int) -> None:
    add_value(project, GLYCEROL, "tg", 190.0, "K", "koop_tg", "row 1", flags=("salt",))
    add_value(project, GLYCEROL, "tg", 180.0, "K", "file:x.csv", "row 1")
    first = reconcile(project).result.properties[0]
    assert first.flags_changed == 1
    assert ("salt", "reconciled=source_priority") in [v[3] for v in stored(project, GLYCEROL, "tg")]
    second = reconcile(project).result.properties[0]
    assert second.flags_changed == 0 and second.groups == 1


def test_values_stored_after_a_run_are_decided_live_until_the_next_run(project: Project, glycerol: int) -> None:
    add_value(project, GLYCEROL, "tg", 190.0, "K", "file:a.csv", "row 1", retrieved_at="2024-01-01T00:00:00+00:00")
    add_value(project, GLYCEROL, "tg", 185.0, "K", "file:a.csv", "row 2", retrieved_at="2024-01-01T00:00:00+00:00")
    reconcile(project)
    assert the_value(project, glycerol, "tg").recorded
    add_value(project, GLYCEROL, "tg", 200.0, "K", "koop_tg", "row 5")
    live = the_value(project, glycerol, "tg")
    assert not live.recorded and (live.value, live.rule) == (200.0, "source_priority")
    assert reconcile_state(project)["tg"]["max_value_id"] < max(c.value_id for c in live.candidates)
    reconcile(project)
    again = the_value(project, glycerol, "tg")
    assert again.recorded and again.value == 200.0


def test_units_that_cannot_be_converted_are_reported_not_mixed(project: Project, glycerol: int) -> None:
    add_value(project, GLYCEROL, "tg", 190.0, "K", "koop_tg", "row 1")
    add_value(project, GLYCEROL, "tg", 60.8, "degF", "file:us.csv", "row 1")
    add_value(project, GLYCEROL, "tg", 3.0, "mg", "file:bad.csv", "row 1")
    values = reconciled_values(project, "tg")
    decision = values[glycerol]
    assert len(decision.candidates) == 2 and len(decision.unconvertible) == 1
    converted = {c.source: c.value for c in decision.candidates}
    assert converted["file:us.csv"] == pytest.approx(289.15)  # 60.8 degF = 16 degC


def test_tolerance_is_a_difference_converted_between_units() -> None:
    assert Tolerance(5.0, "K").limit("degC") == pytest.approx(5.0)
    assert Tolerance(5.0, "K").limit("degF") == pytest.approx(9.0)
    assert Tolerance(0.1, relative=True).limit("cP", 20.0) == pytest.approx(2.0)
    assert DEFAULT_RULES.tolerance("tg").limit("K") == 5.0
    assert DEFAULT_RULES.tolerance("unheard_of").relative


def test_only_one_property_when_asked(project: Project, glycerol: int) -> None:
    add_value(project, GLYCEROL, "tg", 190.0, "K", "koop_tg", "row 1")
    add_value(project, GLYCEROL, "tg", 185.0, "K", "koop_tg", "row 2")
    add_value(project, GLYCEROL, "melting_point", 18.0, "degC", "koop_tg", "row 1")
    add_value(project, GLYCEROL, "melting_point", 17.0, "degC", "koop_tg", "row 2")
    summary = reconcile(project, props=["tg"]).result
    assert [p.property for p in summary.properties] == ["tg"]
    assert not the_value(project, glycerol, "melting_point").recorded
