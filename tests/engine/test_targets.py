"""Drug–target tables and target-level training labels (issue 13), on real recorded and shipped data."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryodesk.domain import Assay, AssayOutcome, AssayResult, InputError, JobState, Method, Provenance
from cryodesk.engine.jobs import run_job
from cryodesk.engine.service import Workbench
from cryodesk.engine.targets import (
    build_target_assays,
    load_assay_targets,
    target_groups,
    target_label_counts,
    target_table,
)
from cryodesk.store import Project
from tests.conftest import DATA

TOX21 = DATA / "tox21" / "tox21.csv"
TOXCAST = DATA / "toxcast" / "toxcast.csv.gz"
ROWS = 300


def test_mapping_table_is_complete_and_names_only_real_columns() -> None:
    mapping = load_assay_targets()
    keys = [m.assay_key for m in mapping]
    assert len(keys) == len(set(keys))
    with TOX21.open() as handle:
        tox21_tasks = set(next(csv.reader(handle))[1:])
    with gzip.open(TOXCAST, "rt") as handle:
        toxcast_columns = set(next(csv.reader(handle))[1:])
    for key in keys:
        source, name = key.split(":", 1)
        assert name in (tox21_tasks if source == "tox21" else toxcast_columns), key
    # Every Tox21 task but the gene-less mitochondrial one is mapped; no channel/viability readout is.
    assert {k.split(":", 1)[1] for k in keys if k.startswith("tox21:")} == tox21_tasks - {"SR-MMP"}
    assert not [k for k in keys if k.endswith(("_ch1", "_ch2", "_viability"))]
    groups = target_groups()
    assert {"AR agonist", "ESR1 agonist", "AHR agonist", "CYP19A1 inhibitor", "PPARG agonist"} <= set(groups)


def _tox21_rows() -> Iterator[tuple[str, dict[str, str]]]:
    with TOX21.open() as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= ROWS:
                return
            yield row.pop("smiles"), row


@pytest.fixture()
def tox_project(project: Project) -> Project:
    """The first 300 rows of the shipped Tox21 file and of the ToxCast matrix, as the imports store them."""
    from cryodesk.chem import compound_from_text
    from cryodesk.engine.toxcast_import import ToxcastImportJob, ToxcastImportParams

    tasks = [m.assay_key for m in load_assay_targets() if m.assay_key.startswith("tox21:")] + ["tox21:SR-MMP"]
    project.assays.upsert_assays(Assay(k, k, "tox21") for k in tasks)
    compounds, results = [], []
    for smiles, row in _tox21_rows():
        compound = compound_from_text(smiles).compound
        if compound is None:
            continue
        compounds.append(compound)
        for task, cell in row.items():
            if cell in ("0", "1"):
                outcome = AssayOutcome.ACTIVE if cell == "1" else AssayOutcome.INACTIVE
                results.append(
                    AssayResult(
                        compound.inchikey,
                        f"tox21:{task}",
                        outcome,
                        Provenance("tox21", Method.MEASURED, smiles),
                    )
                )
    project.compounds.upsert_many(compounds)
    project.assays.upsert_results(results)
    outcome = run_job(project, ToxcastImportJob(ToxcastImportParams(str(TOXCAST), limit=ROWS, workers=1)))
    assert outcome.state is JobState.DONE, outcome.error
    return project


def _raw_calls(project: Project, key: str) -> Counter[str]:
    return Counter(outcome for _cid, _k, outcome in project.models.assay_labels(key))


def test_target_assays_hold_every_mapped_call_and_are_idempotent(tox_project: Project) -> None:
    summaries = {s.assay_key: s for s in build_target_assays(tox_project)}
    ar = summaries["target:AR agonist"]
    assert set(ar.source_assays) == {m.assay_key for m in target_groups()["AR agonist"]}
    expected = sum(sum(_raw_calls(tox_project, k).values()) for k in ar.source_assays)
    assert ar.results == expected == sum(_raw_calls(tox_project, "target:AR agonist").values())
    before = tox_project.assays.count_results()
    build_target_assays(tox_project)
    assert tox_project.assays.count_results() == before  # a second build writes nothing new
    # Majority vote per compound, worked out here from the source assays' own rows.
    votes: dict[int, Counter[str]] = defaultdict(Counter)
    for key in ar.source_assays:
        for cid, _k, outcome in tox_project.models.assay_labels(key):
            votes[cid][outcome] += 1
    decided = [v["active"] > v["inactive"] for v in votes.values() if v["active"] != v["inactive"]]
    ties = len(votes) - len(decided)
    assert target_label_counts(tox_project, "target:AR agonist") == (len(decided), sum(decided), ties)
    assert 0 < sum(decided) < len(decided)


def test_target_table_counts_assay_hits_per_target(tox_project: Project) -> None:
    build_target_assays(tox_project)
    groups = target_groups()
    # A compound active in a Tox21 AR task: its AR agonist row counts its calls in the mapped assays.
    key = next(k for _c, k, o in tox_project.models.assay_labels("tox21:NR-AR") if o == "active")
    rows = [r for r in target_table(tox_project, key) if r.kind == "assay hits"]
    ar = next(r for r in rows if r.target == "AR" and r.action.startswith("agonist"))
    mine = [
        r
        for r in tox_project.assays.results_for_compound(key)
        if r.assay_key in {m.assay_key for m in groups["AR agonist"]}
    ]
    active = {r.assay_key for r in mine if r.outcome is AssayOutcome.ACTIVE}
    tested = {r.assay_key for r in mine}
    assert ar.action.startswith(f"agonist: active in {len(active)} of {len(tested)} assays")
    assert set(ar.target_id.split(", ")) == tested and "tox21" in ar.source.split("+")
    assert all(a in ar.action for a in active) or len(active) == len(tested)
    assert all(r.source != "target-map" for r in rows)  # the derived rows are not counted twice
    with pytest.raises(InputError, match="no compound"):
        target_table(tox_project, "AAAAAAAAAAAAAA-AAAAAAAAAA-N")


def test_trained_through_the_model_layer_with_a_scaffold_split(tox_project: Project) -> None:
    from cryodesk.engine.training import TrainRequest

    build_target_assays(tox_project)
    wb = Workbench(tox_project)
    outcome = wb.train_model(
        TrainRequest(
            target="target:AR agonist",
            members=("rf",),
            n_folds=3,
            feature_sets=("default",),
            params={"rf": {"n_estimators": 25}},
        )
    )
    assert outcome.state is JobState.DONE, outcome.error
    row = wb.model("target:AR agonist")
    held, params = row.metrics_dict["held_out"], row.params_dict
    assert held["split"]["split"] == "scaffold"
    assert sum(held["split"]["sizes"].values()) == params["n_rows"]
    # Tied compounds stay as unlabelled rows; a compound whose descriptors fail is left out.
    labelled, _actives, ties = target_label_counts(tox_project, "target:AR agonist")
    assert 0 <= labelled + ties - params["n_rows"] <= params["assembly"]["feature_failures"]


# -- DrugBank and ChEMBL ----------------------------------------------------------------------------
def test_drugbank_targets_and_chembl_activities_with_provenance(project: Project, tmp_path: Path) -> None:
    from cryodesk.engine.drugbank_import import DrugBankXmlImportJob, DrugBankXmlParams
    from cryodesk.engine.online_import import ChemblImportJob, ChemblImportParams
    from cryodesk.sources.http import ServiceRegistry
    from tests.engine.test_online_import import chembl_client
    from tests.replay import ReplayServer
    from tests.sources.test_drugbank import XML

    xml = tmp_path / "drugbank.xml"
    xml.write_text(XML, encoding="utf-8")
    assert run_job(project, DrugBankXmlImportJob(DrugBankXmlParams(str(xml)))).state is JobState.DONE
    ethanol = target_table(project, "LFQSCWFLJHTTHZ-UHFFFAOYSA-N")
    assert [(r.target, r.target_id, r.kind, r.action, r.source, r.record) for r in ethanol] == [
        ("Glycine receptor subunit alpha-1", "BE0000395", "target", "agonist", "drugbank", "DB00898")
    ]
    with ReplayServer() as server:
        client = chembl_client(server, ServiceRegistry())
        params = ChemblImportParams(ids=("CHEMBL25",), activities=True)
        assert run_job(project, ChemblImportJob(params, client)).state is JobState.DONE
        client.close()
    aspirin = "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    stored = [
        v
        for v in project.properties.for_compound(aspirin)
        if v.provenance.source == "chembl" and v.conditions and "target " in v.conditions
    ]
    rows = target_table(project, aspirin)
    assert len(rows) == len(stored) > 0
    assert {r.record for r in rows} == {v.provenance.source_record_id for v in stored}
    assert all(r.kind == "activity" and r.source == "chembl" and "CC BY-SA" in r.citation for r in rows)
    assert all(r.note and "not a molecular target" in r.note for r in rows if r.target == "Unchecked")


def test_cli_targets_json(project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cryodesk.cli.main import main
    from cryodesk.engine.drugbank_import import DrugBankXmlImportJob, DrugBankXmlParams
    from tests.sources.test_drugbank import XML

    xml = tmp_path / "drugbank.xml"
    xml.write_text(XML, encoding="utf-8")
    run_job(project, DrugBankXmlImportJob(DrugBankXmlParams(str(xml))))
    path = str(project.path)
    project.close()
    assert main(["-p", path, "--json", "targets", "ethanol"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["LFQSCWFLJHTTHZ-UHFFFAOYSA-N"][0]["target_id"] == "BE0000395"
    assert main(["-p", path, "targets", "ethanol"]) == 0
    assert (
        "Glycine receptor subunit alpha-1 [BE0000395]: agonist  <drugbank DB00898" in capsys.readouterr().out
    )
    assert main(["-p", path, "targets", "no-such-compound-xyz"]) != 0
