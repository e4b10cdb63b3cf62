"""The import jobs the import dialogs start, run in a child process, and the offline check before them.

No Qt here: a child process started with "spawn" imports this module to find the job function, and
must not load Qt (see :mod:`cryodesk.gui.job_process`). Each job function calls the engine's own
``Workbench.import_*`` method with the params object its dialog built, and hands back an
:class:`~cryodesk.gui.job_process.ImportResult` as the file import does, so the window shows the same
summary dialog with the rejected rows.

**Offline.** Before an online import starts, :func:`check_reachable` opens one TCP connection to the
service's host (a few seconds at most). Without a network, or with the service down, the action
fails at once with :class:`ServiceUnreachableError`, whose message names the service and address and
says what still works, instead of a job that waits through its retries and backoff.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from cryodesk.domain import CryoDeskError
from cryodesk.gui.job_process import ROW_ERRORS_SHOWN, ImportResult, ProgressFn

PROBE_TIMEOUT_S = 3.0

#: What the user can still do without the network (shown in every "unreachable" message).
STILL_WORKS = (
    "Everything local still works: the molecules table, search, filters, plots, mixtures and models on the "
    "project's data, and file imports (CSV/SDF/SMILES, ToxCast/Tox21 and DrugBank files, CIF files)."
)

#: Service key -> (name shown to the user, function building the service's configuration).
SERVICE_NAMES = {"pubchem": "PubChem", "chembl": "ChEMBL", "ncbi": "PubMed (NCBI E-utilities)", "cod": "COD"}


class ServiceUnreachableError(CryoDeskError):
    """An online service could not be reached (no network, DNS failure, refused or timed out)."""


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What a dialog asks for: the engine job (``kind``) and its params object.

    Attributes:
        kind: ``pubchem``, ``chembl``, ``pubmed``, ``toxcast``, ``tox21``, ``drugbank`` or ``cod``.
        params: the engine's params object for that job.
        service: the online service it needs (``None`` for a file import).
        title: what the activity bar and the summary dialog call it.
    """

    kind: str
    params: Any
    service: str | None
    title: str


def service_base_url(service: str) -> str:
    """The base URL the job's client will use: environment, then the user's settings, then the default."""
    from cryodesk.config import load_settings

    settings = load_settings()
    if service == "pubchem":
        from cryodesk.sources.pubchem import pubchem_config as config
    elif service == "chembl":
        from cryodesk.sources.chembl import chembl_config as config
    elif service == "ncbi":
        from cryodesk.sources.pubmed import ncbi_config as config
    elif service == "cod":
        from cryodesk.sources.cod import cod_config as config
    else:
        raise ValueError(f"unknown service {service!r}")
    return config().with_settings(settings).base_url


def check_reachable(service: str, base_url: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise :class:`ServiceUnreachableError` unless a TCP connection to the service's host opens.

    One connection, no HTTP request (nothing is sent to the service, nothing counts against its
    rate limit); ``timeout`` bounds the wait when packets are silently dropped.
    """
    url = base_url or service_base_url(service)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    name = SERVICE_NAMES.get(service, service)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except socket.gaierror as exc:
        reason = f"the name {host} cannot be resolved ({exc.strerror or exc}); is the computer offline?"
    except TimeoutError:
        reason = f"no answer from {host}:{port} within {timeout:.0f} s"
    except ConnectionRefusedError:
        reason = f"{host}:{port} refused the connection"
    except OSError as exc:
        reason = f"{host}:{port}: {exc.strerror or exc}"
    raise ServiceUnreachableError(
        f"{name} is unreachable at {url}: {reason}. Nothing was imported and no job was started. "
        f"{STILL_WORKS} Try again when the network is back."
    )


def run_import(
    on_progress: ProgressFn, cancel: Any, project_path: str, request: ImportRequest
) -> ImportResult:
    """Run the engine job ``request`` asks for on the project at ``project_path`` (in the child process)."""
    from cryodesk.engine.service import Workbench

    wb = Workbench.open(project_path)
    try:
        outcome = _start(wb, request, on_progress, cancel)
        job = wb.job(outcome.job_id)
        summary = outcome.result if outcome.result is not None else (job.metrics or {}).get("summary")
        return ImportResult(
            outcome,
            summary_figures(summary, request.title),
            wb.row_errors(outcome.job_id, ROW_ERRORS_SHOWN),
            job.n_row_errors,
        )
    finally:
        wb.close()


def _start(wb: Any, request: ImportRequest, on_progress: ProgressFn, cancel: Any) -> Any:
    params, kind = request.params, request.kind
    if kind == "pubchem":
        return wb.import_pubchem(params, on_progress, cancel)
    if kind == "chembl":
        return wb.import_chembl(params, on_progress, cancel)
    if kind == "pubmed":
        return wb.import_pubmed(params, on_progress, cancel)
    if kind == "toxcast":
        return wb.import_toxcast(params, on_progress, cancel)
    if kind == "drugbank":
        return wb.import_drugbank(params, on_progress, cancel)
    if kind == "cod":
        return wb.import_cod(params, on_progress, cancel)
    if kind == "tox21":
        from cryodesk.engine.jobs import run_job
        from cryodesk.engine.tox21_import import Tox21ImportJob

        return run_job(wb.project, Tox21ImportJob(params), on_progress, cancel)
    raise ValueError(f"unknown import kind {kind!r}")


def summary_figures(summary: Any, title: str) -> SimpleNamespace | None:
    """The figures the summary dialog reads (``rows_stored``, ``rows_rejected`` ...) from any job's summary.

    Each engine job names its counts its own way (``compounds_stored``, ``records_stored``, ``stored``,
    ``results_stored``); the dialog shows one vocabulary.
    """
    if summary is None:
        return None
    data = dict(summary) if isinstance(summary, dict) else _fields(summary)

    def first(*names: str) -> Any:
        return next((data[n] for n in names if isinstance(data.get(n), int)), None)

    figures = dict(data)
    figures["path"] = data.get("path") or title
    figures["rows_read"] = first("rows_read", "total", "entries", "hits")
    figures["rows_stored"] = first(
        "rows_stored", "compounds_stored", "records_stored", "results_stored", "stored", "matched"
    )
    figures["rows_rejected"] = first("rows_rejected", "rejected")
    return SimpleNamespace(**{k: v for k, v in figures.items() if v is not None})


def _fields(summary: Any) -> dict[str, Any]:
    if hasattr(summary, "as_dict"):
        data = dict(summary.as_dict())
    else:
        names = getattr(summary, "__dataclass_fields__", None) or getattr(summary, "__dict__", {})
        data = {name: getattr(summary, name, None) for name in names}
    rejected = getattr(summary, "rows_rejected", None)  # a property on some summaries
    if isinstance(rejected, int):
        data["rows_rejected"] = rejected
    return data
