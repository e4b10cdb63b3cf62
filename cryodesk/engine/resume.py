"""Resume a stopped job by id: rebuild the job object from its stored parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryodesk.domain import CryoDeskError
from cryodesk.engine.file_import import FileImportJob, FileImportParams
from cryodesk.engine.jobs import Job, JobOutcome, ProgressCallback, run_job
from cryodesk.engine.service import Workbench
from cryodesk.store import JobRecord


def _file_import(record: JobRecord) -> Job[Any]:
    fields = FileImportParams.__dataclass_fields__
    params = FileImportParams(**{k: v for k, v in record.params.items() if k in fields})
    job = FileImportJob(params)
    if job.params()["sha256"] != record.params.get("sha256"):
        raise CryoDeskError(f"job {record.id}: {params.path} changed since the job started; import it anew")
    return job


def _pubchem_import(record: JobRecord) -> Job[Any]:
    from cryodesk.engine.online_import import PubChemImportJob, PubChemImportParams

    return PubChemImportJob(PubChemImportParams.from_dict(record.params))


def _chembl_import(record: JobRecord) -> Job[Any]:
    from cryodesk.engine.online_import import ChemblImportJob, ChemblImportParams

    return ChemblImportJob(ChemblImportParams.from_dict(record.params))


def _pubmed_import(record: JobRecord) -> Job[Any]:
    from cryodesk.engine.literature_import import PubMedImportJob, PubMedImportParams

    return PubMedImportJob(PubMedImportParams.from_dict(record.params))


# Job kind -> how to rebuild the job from its record (online jobs rebuild their clients from the
# settings and the environment at run time: no URL or key is stored with the job).
_BUILDERS: dict[str, Callable[[JobRecord], Job[Any]]] = {
    FileImportJob.kind: _file_import,
    "import_pubchem": _pubchem_import,
    "import_chembl": _chembl_import,
    "import_pubmed": _pubmed_import,
}


def resume_job(wb: Workbench, job_id: int, on_progress: ProgressCallback | None = None) -> JobOutcome:
    """Continue job ``job_id`` from its checkpoint (paused, failed, or killed while running)."""
    record = wb.job(job_id)
    builder = _BUILDERS.get(record.kind)
    if builder is None:
        raise CryoDeskError(f"job {job_id} ({record.kind}) cannot be resumed")
    return run_job(wb.project, builder(record), on_progress, resume_job_id=job_id)
