"""Schema of a project file and its migrations, applied by ``PRAGMA user_version``.

Each migration is a script that moves the file from version N-1 to N inside one transaction, so a
crash during an upgrade leaves the old version intact. Never edit a released migration: add one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qsl

import apsw

# Version 1: identity, provenance-carrying values, assays, mixtures, jobs (the foundation).
_V1: Final = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sources (
    key          TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    licence      TEXT,
    citation     TEXT,
    url          TEXT,
    notes        TEXT,
    retrieved_at TEXT
) WITHOUT ROWID;

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    params       TEXT NOT NULL,          -- JSON
    fingerprint  TEXT,                   -- identifies "the same work" for resume
    state        TEXT NOT NULL CHECK (state IN ('pending','running','paused','failed','cancelled','done')),
    control      TEXT,                   -- 'pause' / 'cancel' requested by another process
    done         INTEGER NOT NULL DEFAULT 0,
    total        INTEGER,
    message      TEXT,
    checkpoint   TEXT,                   -- JSON, written in the same transaction as the rows it covers
    metrics      TEXT,                   -- JSON
    error        TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX ix_jobs_fingerprint ON jobs(kind, fingerprint);

CREATE TABLE job_row_errors (
    id      INTEGER PRIMARY KEY,
    job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    row     INTEGER NOT NULL,
    field   TEXT NOT NULL DEFAULT '',
    reason  TEXT NOT NULL,
    value   TEXT,
    UNIQUE (job_id, row, field, reason)
);

CREATE TABLE compounds (
    id           INTEGER PRIMARY KEY,
    inchikey     TEXT NOT NULL UNIQUE,
    smiles       TEXT NOT NULL,
    inchi        TEXT NOT NULL,
    formula      TEXT,
    mol_weight   REAL,
    name         TEXT,
    std_version  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX ix_compounds_name ON compounds(name COLLATE NOCASE);

CREATE TABLE identifiers (
    id           INTEGER PRIMARY KEY,
    compound_id  INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    value_norm   TEXT NOT NULL,          -- case-folded, whitespace-collapsed, for lookup
    source       TEXT NOT NULL,
    confidence   REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    UNIQUE (compound_id, kind, value, source)
);
CREATE INDEX ix_identifiers_norm ON identifiers(value_norm);

CREATE TABLE property_values (
    id                INTEGER PRIMARY KEY,
    compound_id       INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
    property          TEXT NOT NULL,
    value             REAL,
    value_text        TEXT,
    value_key         TEXT NOT NULL,     -- value + text as one comparable key (NULLs never equal in UNIQUE)
    unit              TEXT,
    method            TEXT NOT NULL CHECK (method IN ('measured','computed','predicted','literature')),
    conditions        TEXT NOT NULL DEFAULT '',
    source            TEXT NOT NULL,
    source_record_id  TEXT NOT NULL DEFAULT '',
    citation          TEXT,
    retrieved_at      TEXT,
    job_id            INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    flags             TEXT NOT NULL DEFAULT '',
    UNIQUE (compound_id, property, source, source_record_id, method, conditions, value_key)
);
CREATE INDEX ix_property_values_property ON property_values(property, compound_id);

CREATE TABLE assays (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    source       TEXT NOT NULL,
    description  TEXT,
    target       TEXT,
    category     TEXT
);

CREATE TABLE assay_results (
    id                INTEGER PRIMARY KEY,
    compound_id       INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
    assay_id          INTEGER NOT NULL REFERENCES assays(id) ON DELETE CASCADE,
    outcome           TEXT NOT NULL CHECK (outcome IN ('active','inactive','inconclusive')),
    value             REAL,
    unit              TEXT,
    method            TEXT NOT NULL,
    source            TEXT NOT NULL,
    source_record_id  TEXT NOT NULL DEFAULT '',
    citation          TEXT,
    retrieved_at      TEXT,
    job_id            INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    UNIQUE (compound_id, assay_id, source, source_record_id)
);
CREATE INDEX ix_assay_results_assay ON assay_results(assay_id, outcome);

CREATE TABLE mixtures (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL,
    citation    TEXT,
    carrier     TEXT,
    category    TEXT,
    notes       TEXT,
    aliases     TEXT NOT NULL DEFAULT '[]',
    source      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE mixture_components (
    id           INTEGER PRIMARY KEY,
    mixture_id   INTEGER NOT NULL REFERENCES mixtures(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    compound_id  INTEGER REFERENCES compounds(id) ON DELETE SET NULL,
    amount       REAL,
    unit         TEXT,
    role         TEXT NOT NULL,
    note         TEXT,
    UNIQUE (mixture_id, position)
);

CREATE TABLE mixture_measurements (
    id                INTEGER PRIMARY KEY,
    mixture_id        INTEGER NOT NULL REFERENCES mixtures(id) ON DELETE CASCADE,
    property          TEXT NOT NULL,
    value             REAL,
    value_text        TEXT,
    unit              TEXT,
    conditions        TEXT NOT NULL DEFAULT '',
    method            TEXT NOT NULL,
    source            TEXT NOT NULL,
    source_record_id  TEXT NOT NULL DEFAULT '',
    citation          TEXT,
    retrieved_at      TEXT,
    job_id            INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    UNIQUE (mixture_id, property, source, source_record_id, conditions)
);
"""

# Version 2: what the modelling, literature and GUI work stores (feature cache, model registry,
# predictions, literature evidence, row lists, view state).
_V2: Final = """
CREATE TABLE feature_cache (
    compound_id  INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
    feature_set  TEXT NOT NULL,
    version      TEXT NOT NULL,
    data         BLOB NOT NULL,          -- float32 or packed bits, little-endian
    PRIMARY KEY (feature_set, version, compound_id)
) WITHOUT ROWID;

CREATE TABLE models (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    version          INTEGER NOT NULL,
    task             TEXT NOT NULL,       -- property or assay key
    kind             TEXT NOT NULL,       -- regression / classification
    feature_set      TEXT NOT NULL,
    feature_version  TEXT NOT NULL,
    params           TEXT NOT NULL DEFAULT '{}',
    metrics          TEXT NOT NULL DEFAULT '{}',
    artefact_path    TEXT,
    artefact_sha256  TEXT,
    status           TEXT NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate','promoted','retired')),
    created_at       TEXT NOT NULL,
    job_id           INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    UNIQUE (name, version)
);

CREATE TABLE predictions (
    model_id     INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    subject_key  TEXT NOT NULL,           -- compound InChIKey or mixture hash
    value        REAL,
    uncertainty  REAL,
    in_domain    INTEGER,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (model_id, subject_key)
) WITHOUT ROWID;

CREATE TABLE literature_records (
    id            INTEGER PRIMARY KEY,
    pmid          TEXT UNIQUE,
    doi           TEXT,
    title         TEXT,
    abstract      TEXT,
    journal       TEXT,
    year          INTEGER,
    mesh_terms    TEXT NOT NULL DEFAULT '[]',
    source        TEXT NOT NULL,
    retrieved_at  TEXT,
    job_id        INTEGER REFERENCES jobs(id) ON DELETE SET NULL
);
CREATE INDEX ix_literature_doi ON literature_records(doi);

CREATE TABLE evidence (
    id              INTEGER PRIMARY KEY,
    literature_id   INTEGER NOT NULL REFERENCES literature_records(id) ON DELETE CASCADE,
    compound_id     INTEGER REFERENCES compounds(id) ON DELETE CASCADE,
    mixture_id      INTEGER REFERENCES mixtures(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    span_text       TEXT NOT NULL,
    span_start      INTEGER,
    span_end        INTEGER,
    value           REAL,
    unit            TEXT,
    outcome_metric  TEXT,
    cell_type       TEXT,
    confidence      REAL,
    job_id          INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    UNIQUE (literature_id, kind, span_start, span_end, compound_id)
);

CREATE TABLE row_lists (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT,
    created_at   TEXT NOT NULL
);

CREATE TABLE row_list_members (
    list_id      INTEGER NOT NULL REFERENCES row_lists(id) ON DELETE CASCADE,
    compound_id  INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, compound_id)
) WITHOUT ROWID;

CREATE TABLE view_state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,           -- JSON
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;
"""

# Version 3: what PubMed evidence needs beyond version 2. Each evidence row keeps its sentence (with
# offsets), the name as written and matched, the confidence basis and the literature value it produced;
# records keep their citation. v2's UNIQUE(..., compound_id) never fires for evidence about a mixture
# (compound_id NULL, and NULLs are distinct), so an expression index makes re-imports idempotent there too.
_V3: Final = """
ALTER TABLE literature_records ADD COLUMN citation TEXT;

ALTER TABLE evidence ADD COLUMN mention TEXT;              -- the name as written in the text
ALTER TABLE evidence ADD COLUMN canonical TEXT;            -- the dictionary name it matched
ALTER TABLE evidence ADD COLUMN match_kind TEXT;           -- exact / case_variant / fuzzy
ALTER TABLE evidence ADD COLUMN sentence TEXT;
ALTER TABLE evidence ADD COLUMN sentence_start INTEGER;
ALTER TABLE evidence ADD COLUMN sentence_end INTEGER;
ALTER TABLE evidence ADD COLUMN confidence_basis TEXT NOT NULL DEFAULT '[]';   -- JSON list
ALTER TABLE evidence ADD COLUMN details TEXT NOT NULL DEFAULT '{}';            -- JSON: ranges, links, samples
ALTER TABLE evidence ADD COLUMN value_id INTEGER REFERENCES property_values(id) ON DELETE SET NULL;

CREATE UNIQUE INDEX ux_evidence_subject
    ON evidence(literature_id, kind, span_start, span_end, coalesce(compound_id, 0), coalesce(mixture_id, 0));
CREATE INDEX ix_evidence_compound ON evidence(compound_id, kind);
CREATE INDEX ix_evidence_mixture ON evidence(mixture_id, kind);
"""

# Version 4: assay results get a quality column (JSON object: curve rank/class, reproducibility, flag,
# invitrodb hit call and caution flags). Until now importers appended these fields to
# ``source_record_id`` as a URL query (``<record>?curve_rank=-7&flag=...``), so a corrected file
# whose quality changed created a second row instead of updating the first; the data step below
# moves them into the column (see :func:`_v4_move_quality_out_of_record_ids`).
_V4: Final = """
ALTER TABLE assay_results ADD COLUMN quality TEXT NOT NULL DEFAULT '{}';   -- JSON object
"""

# Only the two importers that wrote the query-string suffix; other sources' record ids may contain '?'.
_V4_SOURCES: Final = ("tox21_aggregated", "comptox")


def _v4_move_quality_out_of_record_ids(conn: apsw.Connection) -> None:
    """Split ``<record>?<query>`` record ids into the record and a JSON quality object.

    Self-contained on purpose (a released migration must not change when today's parser does).
    When stripping the suffix makes two rows identical in (compound, assay, source, record), they
    were the same result imported twice with different quality (a corrected file): the newest
    row (highest id) is kept, as a re-import would now update it.
    """
    rows = list(
        conn.execute(
            "SELECT id, compound_id, assay_id, source, source_record_id FROM assay_results"
            " WHERE source IN (?, ?) AND instr(source_record_id, '?') > 0 ORDER BY id",
            _V4_SOURCES,
        )
    )
    for row_id, compound_id, assay_id, source, record_id in rows:
        record, _, query = str(record_id).partition("?")
        quality = dict(parse_qsl(query, keep_blank_values=False))
        key = (compound_id, assay_id, source, record)
        newer = conn.execute(
            "SELECT 1 FROM assay_results WHERE compound_id=? AND assay_id=? AND source=?"
            " AND source_record_id=? AND id > ?",
            (*key, row_id),
        ).fetchall()
        if newer:
            conn.execute("DELETE FROM assay_results WHERE id = ?", (row_id,))
            continue
        conn.execute(
            "DELETE FROM assay_results WHERE compound_id=? AND assay_id=? AND source=?"
            " AND source_record_id=? AND id < ?",
            (*key, row_id),
        )
        conn.execute(
            "UPDATE assay_results SET source_record_id = ?, quality = ? WHERE id = ?",
            (record, json.dumps(quality, sort_keys=True), row_id),
        )


MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2, _V3, _V4)
# Python steps that run after a version's SQL script, in the same transaction (version -> step).
DATA_MIGRATIONS: Final[dict[int, Callable[[apsw.Connection], None]]] = {4: _v4_move_quality_out_of_record_ids}
SCHEMA_VERSION: Final = len(MIGRATIONS)
APPLICATION_ID: Final = 0x43525944  # "CRYD": lets `file`-style tools and we ourselves recognise a project
