"""A CryoDesk project: one SQLite file holding a user's library, opened safely for its location."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryodesk.domain import ProjectError
from cryodesk.store.assays import AssayRepository
from cryodesk.store.compounds import CompoundRepository, IdentifierRepository, PropertyRepository
from cryodesk.store.database import Database, OpenOptions
from cryodesk.store.features import FeatureCacheRepository
from cryodesk.store.filesystem import is_network_path
from cryodesk.store.jobs import JobRepository
from cryodesk.store.literature import LiteratureRepository
from cryodesk.store.misc import (
    MetaRepository,
    RowListRepository,
    SourceRepository,
    ViewStateRepository,
    counts_by_source,
    table_counts,
)
from cryodesk.store.mixtures import MixtureRepository
from cryodesk.store.models import ModelRepository

PROJECT_SUFFIX = ".cryodesk"


@dataclass(slots=True)
class Project:
    """An open project and its repositories. Create with :meth:`open`."""

    db: Database
    notices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.compounds = CompoundRepository(self.db)
        self.identifiers = IdentifierRepository(self.db)
        self.properties = PropertyRepository(self.db)
        self.assays = AssayRepository(self.db)
        self.mixtures = MixtureRepository(self.db)
        self.jobs = JobRepository(self.db)
        self.meta = MetaRepository(self.db)
        self.sources = SourceRepository(self.db)
        self.row_lists = RowListRepository(self.db)
        self.view_state = ViewStateRepository(self.db)
        self.features = FeatureCacheRepository(self.db)
        self.literature = LiteratureRepository(self.db)
        self.models = ModelRepository(self.db)

    compounds: CompoundRepository = field(init=False)
    identifiers: IdentifierRepository = field(init=False)
    properties: PropertyRepository = field(init=False)
    assays: AssayRepository = field(init=False)
    mixtures: MixtureRepository = field(init=False)
    jobs: JobRepository = field(init=False)
    meta: MetaRepository = field(init=False)
    sources: SourceRepository = field(init=False)
    row_lists: RowListRepository = field(init=False)
    view_state: ViewStateRepository = field(init=False)
    features: FeatureCacheRepository = field(init=False)
    literature: LiteratureRepository = field(init=False)
    models: ModelRepository = field(init=False)

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        read_only: bool = False,
        create: bool = True,
        network: str = "auto",
    ) -> Project:
        """Open (or create) a project file.

        Args:
            path: the project file; ``.cryodesk`` is the usual suffix.
            read_only: open without write access (no upgrade, no writes).
            create: create the file if it does not exist.
            network: ``"auto"`` detects SMB/NFS drives and uses the rollback journal there;
                ``"read-only"`` opens network projects read-only instead; ``"local"`` skips detection.

        Raises:
            ProjectError: the file is missing, too new, not a project, or cannot be written.
        """
        path = Path(path).expanduser()
        notices: list[str] = []
        journal = "wal"
        if network != "local" and is_network_path(path):
            if network == "read-only":
                read_only = True
                notices.append(f"{path} is on a network drive: opened read-only to keep it safe.")
            else:
                journal = "delete"
                notices.append(
                    f"{path} is on a network drive, where SQLite's WAL mode is unsafe: using the slower rollback "
                    "journal. Do not open it from two computers at once."
                )
        if read_only:
            notices.append(f"{path.name} is open read-only: changes cannot be saved.")
        if create and not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = Database(path, OpenOptions(read_only=read_only, journal_mode=journal, create=create))
        except ProjectError:
            raise
        except Exception as exc:  # apsw raises its own hierarchy; the user needs the file and reason
            raise ProjectError(f"cannot open project {path}: {exc}") from exc
        return cls(db, notices)

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def read_only(self) -> bool:
        return self.db.options.read_only

    def close(self) -> None:
        self.db.close()

    def integrity_check(self) -> str:
        return self.db.integrity_check()

    def table_counts(self) -> dict[str, int]:
        return table_counts(self.db)

    def counts_by_source(self) -> list[tuple[str, str, int]]:
        return counts_by_source(self.db)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
