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
from cryodesk.store.literature import EvidenceItem, EvidenceSummary

if TYPE_CHECKING:  # the online sources load requests and diskcache: only when an import runs
    from cryodesk.engine.cod_import import CodImportParams
    from cryodesk.engine.drugbank_import import DrugBankVocabularyParams, DrugBankXmlParams
    from cryodesk.engine.evidence_agreement import Agreement
    from cryodesk.engine.evidence_views import EvidenceView, LineageChoice
    from cryodesk.engine.lineage import Lineage
    from cryodesk.engine.literature_import import PubMedImportParams
    from cryodesk.engine.manual_values import ManualChange, ManualEntry
    from cryodesk.engine.mixtures import MixturePrediction
    from cryodesk.engine.online_import import ChemblImportParams, PubChemImportParams
    from cryodesk.engine.paste import PasteResult
    from cryodesk.engine.prediction import PredictionBatch, PredictionService
    from cryodesk.engine.reconcile import Decision, ReconcileRules, ScoredSubject
    from cryodesk.engine.resolver import Resolution, ResolverClients
    from cryodesk.engine.screening import HitsCallback, ScreenParams
    from cryodesk.engine.toxcast_import import ToxcastImportParams
    from cryodesk.engine.training import DefaultModelsRequest, TrainRequest
    from cryodesk.ml.scoring import Profile
    from cryodesk.sources.chembl import ChemblClient
    from cryodesk.sources.cod import CodClient
    from cryodesk.sources.http import BreakerStatus
    from cryodesk.sources.pubchem import PubChemClient
    from cryodesk.sources.pubmed import PubMedClient
    from cryodesk.store.models import ModelRow


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
        service = getattr(self, "_prediction_service", None)
        if service is not None:
            service.flush()  # monitoring counters outlive the session
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

    def add_structures(self, texts: str | list[str], *, online: bool = False,
                       clients: ResolverClients | None = None) -> PasteResult:
        """Pasted SMILES/names (one per line or a copied column) resolved and added with provenance
        "pasted by user": added, already present, failed with the reason (offline strategies first)."""
        from cryodesk.engine.paste import add_structures

        return add_structures(self.project, texts, online=online, clients=clients)

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

    def resolve_identifiers(self, texts: list[str], *, offline: bool = False, verify: bool = False,
                            save: bool = False, clients: ResolverClients | None = None) -> list[Resolution]:
        """Resolve any identifiers (names, CAS, CIDs, ChEMBL/DrugBank IDs, DTXSIDs, SMILES, InChI[Key])
        with the multi-strategy resolver; ``save`` stores every candidate mapping (conflicts included)."""
        from cryodesk.engine.resolver import Resolver

        resolver = Resolver(self.project, clients, offline=offline, verify=verify)
        try:
            results = resolver.resolve_many(texts)
            if save and not self.project.read_only:
                resolver.record(results)
            return results
        finally:
            resolver.close()

    def import_drugbank(self, params: DrugBankVocabularyParams | DrugBankXmlParams,
                        on_progress: ProgressCallback | None = None,
                        cancel_event: threading.Event | None = None, resume: bool = True) -> JobOutcome:
        """DrugBank open vocabulary (CSV) or a licensed full XML (streamed); resumable."""
        from cryodesk.engine.drugbank_import import (
            DrugBankVocabularyImportJob,
            DrugBankXmlImportJob,
            DrugBankXmlParams,
        )

        job = DrugBankXmlImportJob(params) if isinstance(params, DrugBankXmlParams) else DrugBankVocabularyImportJob(params)
        return run_job(self.project, job, on_progress, cancel_event, resume=resume)

    def import_toxcast(self, params: ToxcastImportParams, on_progress: ProgressCallback | None = None,
                       cancel_event: threading.Event | None = None, resume: bool = True) -> JobOutcome:
        """A ToxCast hit-call matrix as assay results; resumable."""
        from cryodesk.engine.toxcast_import import ToxcastImportJob

        return run_job(self.project, ToxcastImportJob(params), on_progress, cancel_event, resume=resume)

    def import_cod(self, params: CodImportParams, on_progress: ProgressCallback | None = None,
                   cancel_event: threading.Event | None = None, resume: bool = True,
                   client: CodClient | None = None) -> JobOutcome:
        """Crystal structures (COD ids or CIF files) as crystallographic properties; resumable."""
        from cryodesk.engine.cod_import import CodImportJob

        return run_job(self.project, CodImportJob(params, client), on_progress, cancel_event, resume=resume)

    def toxicity_profile(self, inchikey: str):
        """Tox21/ToxCast profile and score of a compound (``None`` if unknown); ``.note`` is the caveat to show."""
        from cryodesk.engine.toxicity import toxicity_profile

        return toxicity_profile(self.project, inchikey)

    def toxicity_report(self, inchikey: str, predict: bool = True):
        """Profile + AOP pathways + model predictions for untested Tox21 tasks (``None`` if unknown)."""
        from cryodesk.engine.toxicity import toxicity_report

        return toxicity_report(self.project, inchikey, self.predictions.predict if predict else None)

    def toxicity_csv_rows(self, inchikeys: list[str], predict: bool = True) -> list[dict[str, object]]:
        """Rows for the toxicity view's CSV export (measured and predicted calls, one row per assay)."""
        from cryodesk.engine.toxicity import csv_rows

        reports = [self.toxicity_report(k, predict) for k in inchikeys]
        return csv_rows([r for r in reports if r is not None])

    # -- issue 13: 3D scenes and drug-target links (engine/structure3d.py, engine/targets.py) ----------
    def molecule_scene(self, key_or_smiles: str, optimize: bool = True):
        """The 3D scene (ETKDG conformer, fixed seed) of a stored compound (InChIKey) or a SMILES."""
        from cryodesk.engine.structure3d import molecule_scene

        compound = self.project.compounds.get(key_or_smiles) if is_inchikey(key_or_smiles) else None
        if compound is not None:
            return molecule_scene(compound.smiles, title=compound.name or compound.inchikey, optimize=optimize)
        return molecule_scene(key_or_smiles, optimize=optimize)

    @staticmethod
    def crystal_scene(path: str | None = None, cod_id: str | None = None, neighbours: bool = False):
        """The unit cell and packing of a CIF file or a COD entry (fetched through the HTTP cache)."""
        from cryodesk.engine.structure3d import cod_crystal_scene, crystal_scene_from_file

        if cod_id:
            return cod_crystal_scene(cod_id, neighbours)
        return crystal_scene_from_file(path or "", neighbours=neighbours)

    def targets(self, inchikey: str):
        """The compound's target table (DrugBank targets/actions, ChEMBL activities) with provenance."""
        from cryodesk.engine.targets import target_table

        return target_table(self.project, inchikey)

    def import_source(self, job, on_progress: ProgressCallback | None = None,
                      cancel_event: threading.Event | None = None, resume: bool = True) -> JobOutcome:
        """Run an issue-4 import job built by the caller (Tox21 per-assay files, CTX, glass-forming indicator)."""
        return run_job(self.project, job, on_progress, cancel_event, resume=resume)

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

    def predict_mixture(self, name_or_mixture: str | Mixture, temperature_K: float = 298.15) -> MixturePrediction:
        """Tg, viscosity and viability with uncertainty (engine.mixtures.MixturePrediction)."""
        from cryodesk.engine.mixtures import predict_mixture

        return predict_mixture(self, name_or_mixture, temperature_K=temperature_K)

    def save_mixture(self, mixture: Mixture, source: str = "user") -> Mixture:
        """Store a user-designed mixture under a new name (stored recipes are never rewritten); returns it
        as stored. Raises MixtureDesignError naming the field and reason when it cannot be saved."""
        from cryodesk.engine.mixture_design import save_mixture

        return save_mixture(self.project, mixture, source)

    # -- row lists, view state, property names (what the GUI's views keep in the project) ----------
    def row_lists(self) -> list[tuple[str, int]]:
        """Saved row lists as (name, number of compounds), by name."""
        return self.project.row_lists.names()

    def row_list_members(self, name: str) -> list[int]:
        return self.project.row_lists.members(name)

    def save_row_list(self, name: str, compound_ids: list[int], description: str | None = None) -> int:
        """Save (or replace the members of) the row list ``name``; returns its id."""
        return self.project.row_lists.save(name, compound_ids, description)

    def delete_row_list(self, name: str) -> None:
        self.project.row_lists.delete(name)

    def view_state(self, key: str, default: object = None) -> object:
        return self.project.view_state.get(key, default)

    def set_view_state(self, key: str, value: object) -> None:
        self.project.view_state.set(key, value)

    def property_names(self) -> list[tuple[str, int]]:
        """Stored property keys with their value counts."""
        return self.project.properties.property_names()

    # -- manual values (entered by hand; see engine.manual_values) ------------------------------
    def add_manual_value(self, inchikey: str, entry: ManualEntry, user: str | None = None) -> ManualChange:
        from cryodesk.engine.manual_values import add_manual_value

        return add_manual_value(self.project, inchikey, entry, user)

    def edit_manual_value(self, before: PropertyValue, entry: ManualEntry, user: str | None = None) -> ManualChange:
        from cryodesk.engine.manual_values import edit_manual_value

        return edit_manual_value(self.project, before, entry, user)

    def delete_manual_value(self, value: PropertyValue) -> ManualChange:
        from cryodesk.engine.manual_values import delete_manual_value

        return delete_manual_value(self.project, value)

    def replace_manual_value(self, before: PropertyValue | None, after: PropertyValue | None) -> ManualChange:
        """Swap one stored manual value for another (the write behind undo and redo)."""
        from cryodesk.engine.manual_values import replace_manual_value

        return replace_manual_value(self.project, before, after)

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

    def import_pubmed(self, params: PubMedImportParams, on_progress: ProgressCallback | None = None,
                      cancel_event: threading.Event | None = None, resume: bool = True,
                      client: PubMedClient | None = None) -> JobOutcome:
        """Import PubMed records for a query, mine them and store evidence and literature values; resumable."""
        from cryodesk.engine.literature_import import PubMedImportJob

        return run_job(self.project, PubMedImportJob(params, client), on_progress, cancel_event, resume=resume)

    # -- literature evidence (the GUI's evidence panel, ``cryodesk evidence``) ------------------------
    def evidence_for(self, inchikey: str, limit: int = 1000) -> list[EvidenceItem]:
        """Evidence rows about a compound (mentions, concentrations, outcomes), newest papers first;
        each has the sentence, offsets, confidence with its basis, and ``url`` (its PubMed page)."""
        return self.project.literature.evidence_for_compound(inchikey, limit=limit)

    def evidence_summary(self, inchikey: str, top: int = 5) -> EvidenceSummary | None:
        """Papers, reported concentrations and outcomes, and the best sentences (with PMIDs and
        PubMed links) about a compound; None when the project has no such compound."""
        if self.project.compounds.get(inchikey) is None:
            return None
        return self.project.literature.compound_summary(inchikey, top)

    def mixture_evidence(self, name: str, limit: int = 1000) -> list[EvidenceItem]:
        return self.project.literature.evidence_for_mixture(name, limit=limit)

    def mixture_evidence_summary(self, name: str, top: int = 5) -> EvidenceSummary | None:
        """The evidence summary of a mixture named (or aliased) in abstracts; None for an unknown mixture."""
        if self.project.mixtures.get(name) is None:
            return None
        return self.project.literature.mixture_summary(name, top)

    def evidence_agreement(self, inchikey: str, model: str | int) -> Agreement:
        """The compound's literature values of a model's target beside its prediction and interval."""
        from cryodesk.engine.evidence_agreement import compare_with_model

        return compare_with_model(self.project, self.predictions, inchikey, model)

    def evidence_view(self, inchikey: str) -> EvidenceView | None:
        """The GUI evidence tab's data: summary, rows, feature values, agreement with models, conflicts."""
        from cryodesk.engine.evidence_views import evidence_view

        return evidence_view(self.project, self.predictions, inchikey)

    def lineage_choices(self, inchikey: str) -> list[LineageChoice]:
        """A compound's stored values (marked by reconciliation) and usable models, to trace one."""
        from cryodesk.engine.evidence_views import lineage_choices

        return lineage_choices(self.project, inchikey)

    def lineage_of(self, choice: LineageChoice, inchikey: str) -> Lineage | None:
        from cryodesk.engine.evidence_views import lineage_of

        return lineage_of(self.project, choice, inchikey)

    def evidence_features(self, inchikey: str) -> dict[str, float]:
        """The literature-evidence feature values of one compound (what ``--with-evidence`` adds)."""
        from cryodesk.engine.evidence_features import evidence_matrix

        found = self.project.compounds.ids_for([inchikey])
        if inchikey not in found:
            return {}
        matrix = evidence_matrix(self.project, [found[inchikey]])
        return {c: float(v) for c, v in zip(matrix.columns, matrix.values[0], strict=True)}

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

    # -- models and predictions ------------------------------------------------------------------
    @property
    def predictions(self) -> PredictionService:
        """The project's prediction service (memory + store caches, monitoring); one per workbench."""
        from cryodesk.engine.prediction import PredictionService

        service = getattr(self, "_prediction_service", None)
        if service is None:
            service = self._prediction_service = PredictionService(self.project)
        return service

    def train_model(self, request: TrainRequest, on_progress: ProgressCallback | None = None,
                    cancel_event: threading.Event | None = None) -> JobOutcome:
        """Train, evaluate on the request's split, and register a model (a job)."""
        from cryodesk.engine.training import TrainModelJob

        outcome = run_job(self.project, TrainModelJob(request), on_progress, cancel_event)
        self.predictions.forget_resolutions()
        return outcome

    def train_default_models(self, request: DefaultModelsRequest | None = None,
                             on_progress: ProgressCallback | None = None,
                             cancel_event: threading.Event | None = None) -> JobOutcome:
        """Train and promote Tox21, Tg, melting point and solubility models from the library (resumable)."""
        from cryodesk.engine.training import DefaultModelsJob

        outcome = run_job(self.project, DefaultModelsJob(request), on_progress, cancel_event)
        self.predictions.forget_resolutions()
        return outcome

    def models(self, name: str | None = None) -> list[ModelRow]:
        return self.project.models.list(name)

    def model(self, name: str, version: int | None = None) -> ModelRow:
        """A version of a model (default: the promoted one, else the newest usable one)."""
        return self.project.models.get(name, version)

    def promote_model(self, name: str, version: int) -> ModelRow:
        row = self.project.models.promote(name, version)
        self.predictions.forget_resolutions()
        return row

    def rollback_model(self, name: str) -> ModelRow:
        row = self.project.models.rollback(name)
        self.predictions.forget_resolutions()
        return row

    def retire_model(self, name: str, version: int) -> ModelRow:
        row = self.project.models.retire(name, version)
        self.predictions.invalidate(row.id)
        self.predictions.forget_resolutions()
        return row

    def compare_models(self, name: str, old: int, new: int) -> dict[str, object]:
        from cryodesk.ml import ModelRecord, compare_records

        a = ModelRecord.from_row(self.project.models.get(name, old).as_mapping())
        b = ModelRecord.from_row(self.project.models.get(name, new).as_mapping())
        return compare_records(a, b)

    def evaluate_model(self, name: str, version: int | None = None, split: str = "scaffold", seed: int = 0,
                       on_progress: ProgressCallback | None = None) -> dict[str, object]:
        """Held-out scores of a version's configuration on a split (the artefact is not changed)."""
        from cryodesk.engine.training import evaluate_registered

        return evaluate_registered(self.project, self.model(name, version), split, seed,  # type: ignore[arg-type]
                                   on_progress)

    def predict(self, model: str, keys: list[str], version: int | None = None,
                on_progress: ProgressCallback | None = None,
                cancel_event: threading.Event | None = None) -> PredictionBatch:
        """Predictions (value, uncertainty, domain flag) for InChIKeys, from the caches when possible."""
        cancel = cancel_event.is_set if cancel_event is not None else None
        return self.predictions.predict(model, keys, version=version, progress=on_progress, cancel=cancel)

    def warm_predictions(self, model: str, version: int | None = None,
                         on_progress: ProgressCallback | None = None,
                         cancel_event: threading.Event | None = None) -> JobOutcome:
        """Predict the whole library into the cache (a job; run it after a promotion)."""
        from cryodesk.engine.prediction import PredictionWarmupJob

        job = PredictionWarmupJob(model, version, self.predictions)
        return run_job(self.project, job, on_progress, cancel_event)

    def screen(self, params: ScreenParams, on_progress: ProgressCallback | None = None,
               cancel_event: threading.Event | None = None, resume: bool = True,
               on_hits: HitsCallback | None = None) -> JobOutcome:
        """Screen a structure library with models and a profile; the hits become a row list (a resumable job)."""
        from cryodesk.engine.screening import ScreenJob

        return run_job(self.project, ScreenJob(params, on_hits=on_hits), on_progress, cancel_event, resume=resume)

    def model_monitor(self, model: str) -> dict[str, object]:
        """Prediction counts, latency histogram, cache hit rate and drift of a model version."""
        return self.predictions.monitor(model)

    # -- data quality, reconciliation, lineage, scoring profiles ------------------------------------
    def quality_report(self, source: str | None = None) -> dict[str, object]:
        """Coverage and the quality report of one source (all sources when None)."""
        from cryodesk.engine.quality import quality_report

        return quality_report(self.project, source)

    def reconcile(self, properties: list[str] | None = None, rules: ReconcileRules | None = None,
                  on_progress: ProgressCallback | None = None,
                  cancel_event: threading.Event | None = None) -> JobOutcome:
        """Reconcile conflicting values (all numeric properties by default) and record the winners (a job)."""
        from cryodesk.engine.reconcile import ReconcileJob

        return run_job(self.project, ReconcileJob(rules, properties), on_progress, cancel_event)

    def reconcile_rules(self) -> ReconcileRules:
        from cryodesk.engine.reconcile import load_rules

        return load_rules(self.project)

    def set_reconcile_rules(self, rules: ReconcileRules) -> None:
        from cryodesk.engine.reconcile import save_rules

        save_rules(self.project, rules)

    def the_value(self, inchikey: str, prop: str, unit: str | None = None) -> Decision | None:
        """"The value" of a compound's property through reconciliation (None when it has no number)."""
        from cryodesk.engine.reconcile import the_value

        found = self.project.compounds.ids_for([inchikey])
        return the_value(self.project, found[inchikey], prop, unit) if inchikey in found else None

    def value_lineage(self, value_id: int) -> Lineage | None:
        """Source record -> import job -> standardisation -> reconciliation of one stored value."""
        from cryodesk.engine.lineage import value_lineage

        return value_lineage(self.project, value_id)

    def property_lineage(self, inchikey: str, prop: str) -> list[Lineage]:
        """The lineage of every stored value of a compound's property (the GUI detail panel's call)."""
        from cryodesk.engine.lineage import compound_property_lineage

        return compound_property_lineage(self.project, inchikey, prop)

    def prediction_lineage(self, model: str | int, subject_key: str) -> Lineage | None:
        """Sources -> jobs -> standardisation -> feature set -> model version -> the stored prediction."""
        from cryodesk.engine.lineage import prediction_lineage

        return prediction_lineage(self.project, model, subject_key)

    def scoring_profiles(self) -> dict[str, Profile]:
        from cryodesk.engine.reconcile import profiles

        return profiles(self.project)

    def save_scoring_profile(self, profile: Profile, replace: bool = False) -> None:
        from cryodesk.engine.reconcile import save_profile

        save_profile(self.project, profile, replace)

    def rank_compounds(self, profile: str, compound_ids: list[int] | None = None,
                       method: str = "mc") -> list[ScoredSubject]:
        """Compounds ranked by a saved or built-in desirability profile, with score uncertainty."""
        from cryodesk.engine.reconcile import get_profile, score_compounds

        return score_compounds(self.project, get_profile(self.project, profile), compound_ids, method=method)
