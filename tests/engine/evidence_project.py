"""A project with real literature evidence, shared by the evidence-feature, agreement, CLI and GUI tests.

Built once per test session and copied for each test (with its ``.models`` folder):

* the 12 compounds of :mod:`tests.engine.test_literature_import` plus the 3,041 named compounds of
  the Bradley melting-point data set (real names, so the BC5CDR abstracts link to many drugs);
* the BC5CDR development abstracts (real PubMed titles and abstracts) that match ``kg``, imported
  through the replay server by the real ``import_pubmed`` job: their doses become literature
  values of ``reported_concentration``;
* optionally a small model of ``reported_concentration`` trained with evidence features.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cryodesk.engine.file_import import FileImportJob, FileImportParams
from cryodesk.engine.jobs import run_job
from cryodesk.engine.literature_import import PubMedImportJob, PubMedImportParams
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import TrainRequest
from cryodesk.store import Project
from tests.conftest import DATA
from tests.engine.test_literature_import import pubmed_client, seed_compounds
from tests.replay import ReplayServer

BRADLEY = DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv"
QUERY = "kg"
TARGET = "reported_concentration"
MODEL = "dose"
TINY_RF = {"rf": {"n_estimators": 25}}


def small_request(name: str = MODEL, *, with_evidence: bool = True) -> TrainRequest:
    """A fast model of the literature doses (3 folds, one small forest, the cheap ``cryo`` set)."""
    return TrainRequest(
        TARGET,
        name=name,
        members=("rf",),
        n_folds=3,
        params=TINY_RF,
        split="random",
        feature_sets=("cryo",),
        with_evidence=with_evidence,
        promote=True,
    )


def build(path: Path, *, train: bool) -> dict[str, str]:
    """Build the project at ``path``; returns name -> InChIKey of the seeded compounds."""
    with ReplayServer() as server, Project.open(path) as project:
        keys = seed_compounds(project)
        outcome = run_job(project, FileImportJob(FileImportParams(str(BRADLEY), workers=1)))
        assert outcome.error is None, outcome.error
        client = pubmed_client(server)
        try:
            outcome = run_job(project, PubMedImportJob(PubMedImportParams(QUERY, 500, 100), client))
        finally:
            client.close()
        assert outcome.error is None, outcome.error
        if train:
            outcome = Workbench(project).train_model(small_request())
            assert outcome.error is None, outcome.error
    return keys


def copy_project(source: Path, target_dir: Path) -> Path:
    """A private copy of a built project (and its model artefacts) for one test."""
    target = target_dir / source.name
    for suffix in ("", "-wal", "-shm"):  # a WAL left by a connection another thread opened
        if Path(f"{source}{suffix}").exists():
            shutil.copy2(f"{source}{suffix}", f"{target}{suffix}")
    models = source.parent / f"{source.name}.models"
    if models.exists():
        shutil.copytree(models, target_dir / models.name)
    return target
