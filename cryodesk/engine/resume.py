"""Resume a stopped job by id: rebuild the job object from its stored parameters."""

from __future__ import annotations

from cryodesk.domain import CryoDeskError
from cryodesk.engine.file_import import FileImportJob, FileImportParams
from cryodesk.engine.jobs import JobOutcome, ProgressCallback, run_job
from cryodesk.engine.service import Workbench

_RESUMABLE = {FileImportJob.kind}


def resume_job(wb: Workbench, job_id: int, on_progress: ProgressCallback | None = None) -> JobOutcome:
    record = wb.job(job_id)
    if record.kind not in _RESUMABLE:
        raise CryoDeskError(f"job {job_id} ({record.kind}) cannot be resumed")
    fields = FileImportParams.__dataclass_fields__
    params = FileImportParams(**{k: v for k, v in record.params.items() if k in fields})
    job = FileImportJob(params)
    if job.params()["sha256"] != record.params.get("sha256"):
        raise CryoDeskError(f"job {job_id}: {params.path} changed since the job started; import it anew")
    return run_job(wb.project, job, on_progress, resume_job_id=job_id)
