"""The service facade that the GUI and the CLI call: one object per open project.

Keeps the callers thin: they never touch SQL or RDKit. Every method is safe to call from any
thread (the store gives each thread its own connection).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryodesk.config import app_paths
from cryodesk.domain import (
    AssayResult,
    Compound,
    Identifier,
    Mixture,
    PropertyValue,
    RowError,
)
from cryodesk.domain.identifiers import is_inchikey
from cryodesk.engine.file_import import FileImportJob, FileImportParams
from cryodesk.engine.jobs import JobOutcome, ProgressCallback, run_job
from cryodesk.store import CompoundRow, DataSource, JobRecord, Project

if TYPE_CHECKING:  # the online sources load requests and diskcache: only when an import runs
    from cryodesk.engine.online_import import ChemblImportParams, PubChemImportParams
    from cryodesk.sources.chembl import ChemblClient
    from cryodesk.sources.http import BreakerStatus
    from cryodesk.sources.pubchem import PubChemClient


@dataclass(frozen=True, slots=True)
class CompoundDetail:
    compound: Compound
    identifiers: list[Identifier]
    properties: list[PropertyValue]
    assay_results: list[AssayResult]


class Workbench:
    """A project plus the operations the user can run on it."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._search = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None, *, read_only: bool = False, network: str = "auto") -> Workbench:
        """Open a project; ``None`` opens the default project in the user's data directory."""
        target = Path(path) if path else app_paths().ensure().default_project
        return cls(Project.open(target, read_only=read_only, network=network))

    def close(self) -> None:
        self.project.close()

    @property
    def notices(self) -> list[str]:
        return list(self.project.notices)

    # -- default library -------------------------------------------------------------------
    def is_seeded(self) -> bool:
        return self.project.meta.get("seeded_with") is not None

    def seed_default_library(self, on_progress: ProgressCallback | None = None,
                             cancel_event: threading.Event | None = None) -> JobOutcome:
        from cryodesk.engine.seed import SeedDefaultLibraryJob

        return run_job(self.project, SeedDefaultLibraryJob(), on_progress, cancel_event)

    # -- compounds ---------------------------------------------------------------------------
    def compound_ids(self, query: str = "") -> list[int]:
        """Ids of compounds matching a name, identifier, InChIKey or SMILES (all when empty)."""
        query = query.strip()
        if not query:
            return self.project.compounds.all_ids()
        hits = self.project.compounds.search_ids(query)
        if hits or is_inchikey(query):
            return hits
        return self._structure_match(query)

    def _structure_match(self, text: str) -> list[int]:
        # A SMILES/InChI query finds its compound by identity even when spelled differently.
        from cryodesk.chem import compound_from_text, looks_like_structure

        if not looks_like_structure(text):
            return []
        result = compound_from_text(text)
        if result.compound is None:
            return []
        found = self.project.compounds.ids_for([result.compound.inchikey])
        return list(found.values())

    def compound_rows(self, ids: list[int]) -> list[CompoundRow]:
        return self.project.compounds.rows_by_ids(ids)

    def compound_count(self) -> int:
        return self.project.compounds.count()

    def resolve(self, text: str) -> list[str]:
        """InChIKeys that ``text`` (name, CAS, any identifier, InChIKey, SMILES) refers to."""
        text = text.strip()
        if is_inchikey(text) and self.project.compounds.get(text):
            return [text]
        keys = list(dict.fromkeys(key for key, _ in self.project.identifiers.lookup(text)))
        if keys:
            return keys
        rows = self.project.compounds.rows_by_ids(self.compound_ids(text)[:50])
        return [r.inchikey for r in rows]

    def compound_detail(self, inchikey: str) -> CompoundDetail | None:
        compound = self.project.compounds.get(inchikey)
        if compound is None:
            return None
        return CompoundDetail(
            compound,
            self.project.identifiers.for_compound(inchikey),
            self.project.properties.for_compound(inchikey),
            self.project.assays.results_for_compound(inchikey),
        )

    @staticmethod
    def depiction_png(smiles: str, width: int = 200, height: int = 150) -> bytes | None:
        from cryodesk.chem import depict_png

        return depict_png(smiles, width, height)

    @staticmethod
    def depiction_svg(smiles: str, width: int = 300, height: int = 220) -> bytes | None:
        from cryodesk.chem import depict_svg

        return depict_svg(smiles, width, height)

    # -- mixtures ----------------------------------------------------------------------------
    def mixture_names(self) -> list[str]:
        return self.project.mixtures.names()

    def mixture(self, name: str) -> Mixture | None:
        return self.project.mixtures.get(name)

    # -- imports and jobs --------------------------------------------------------------------
    def import_file(self, params: FileImportParams, on_progress: ProgressCallback | None = None,
                    cancel_event: threading.Event | None = None, resume: bool = True) -> JobOutcome:
        return run_job(self.project, FileImportJob(params), on_progress, cancel_event, resume=resume)

    def import_pubchem(self, params: PubChemImportParams, on_progress: ProgressCallback | None = None,
                       cancel_event: threading.Event | None = None, resume: bool = True,
                       client: PubChemClient | None = None) -> JobOutcome:
        """Import compounds from PubChem (names, CIDs or a similarity search); resumable.

        ``client`` is for callers that share one configured client (tests, the GUI); by default
        the job builds one from the user's settings and ``CRYODESK_PUBCHEM_BASE``.
        """
        from cryodesk.engine.online_import import PubChemImportJob

        return run_job(self.project, PubChemImportJob(params, client), on_progress, cancel_event, resume=resume)

    def import_chembl(self, params: ChemblImportParams, on_progress: ProgressCallback | None = None,
                      cancel_event: threading.Event | None = None, resume: bool = True,
                      client: ChemblClient | None = None) -> JobOutcome:
        """Import compounds from ChEMBL (ids or structures); resumable."""
        from cryodesk.engine.online_import import ChemblImportJob

        return run_job(self.project, ChemblImportJob(params, client), on_progress, cancel_event, resume=resume)

    @staticmethod
    def service_status() -> list[BreakerStatus]:
        """Circuit-breaker state of every online service used in this process (for a status bar)."""
        from cryodesk.sources.http import default_registry

        return default_registry().breaker_statuses()

    def jobs(self, limit: int = 100) -> list[JobRecord]:
        return self.project.jobs.list(limit)

    def job(self, job_id: int) -> JobRecord:
        return self.project.jobs.get(job_id)

    def row_errors(self, job_id: int, limit: int | None = None) -> list[RowError]:
        return self.project.jobs.row_errors(job_id, limit)

    def request_job(self, job_id: int, control: str) -> None:
        self.project.jobs.request(job_id, control)

    # -- features and search ------------------------------------------------------------------
    @property
    def search(self):
        """The project's search service (substructure, similarity, clusters, scaffolds)."""
        from cryodesk.engine.search import SearchService

        if self._search is None:
            self._search = SearchService(self.project)
        return self._search

    def featurize(self, feature_set: str, on_progress: ProgressCallback | None = None,
                  cancel_event: threading.Event | None = None, workers: int | None = None) -> JobOutcome:
        from cryodesk.engine.features import FeaturizeJob

        return run_job(self.project, FeaturizeJob(feature_set, workers), on_progress, cancel_event)

    # -- export and info -----------------------------------------------------------------------
    def export(self, ids: list[int], path: Path, fmt: str | None = None) -> int:
        from cryodesk.engine.export import export_compounds

        return export_compounds(self.project, ids, Path(path), fmt)

    def info(self) -> dict[str, object]:
        return {
            "path": str(self.project.path),
            "schema_version": self.project.db.schema_version(),
            "read_only": self.project.read_only,
            "tables": self.project.table_counts(),
            "by_source": [
                {"table": t, "source": s, "rows": n} for t, s, n in self.project.counts_by_source()
            ],
        }

    def data_sources(self) -> list[DataSource]:
        return self.project.sources.list()
