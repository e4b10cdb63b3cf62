"""Schema v4: assay-result quality fields move out of ``source_record_id`` into their own column."""

from __future__ import annotations

import json
from pathlib import Path

import apsw

from cryodesk.domain import Assay, AssayOutcome, AssayResult, Compound, Method, Provenance
from cryodesk.store import SCHEMA_VERSION, Project
from cryodesk.store.schema import APPLICATION_ID, MIGRATIONS

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"


def _version_3_file(path: Path) -> Path:
    """A file as schema version 3 wrote it, with results in the old encoded form."""
    conn = apsw.Connection(str(path))
    conn.execute("PRAGMA journal_mode = wal")
    with conn:
        for script in MIGRATIONS[:3]:
            conn.execute(script)
        conn.execute(f"PRAGMA user_version = 3; PRAGMA application_id = {APPLICATION_ID}")
        for i, key in enumerate((GLYCEROL, DMSO), start=1):
            conn.execute(
                "INSERT INTO compounds (id, inchikey, smiles, inchi, std_version, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (i, key, "C", "InChI=1S/x", "v", "t", "t"),
            )
        conn.execute(
            "INSERT INTO assays (id, key, name, source) VALUES (1, 'tox21:NR-AR-LBD', 'NR-AR-LBD', 'tox21')"
        )
        conn.execute(
            "INSERT INTO assays (id, key, name, source) VALUES (2, 'ctx:aeid7', 'aeid 7', 'comptox')"
        )
        rows = [
            # glycerol: the same Tox21 record imported twice with different quality (a corrected file)
            (1, 1, "active", "tox21_aggregated", "p1/NCGC1/ratio?curve_rank=-2&reproducibility=inconsistent"),
            (1, 1, "active", "tox21_aggregated", "p1/NCGC1/ratio?curve_rank=-9&reproducibility=reproducible"),
            (1, 2, "active", "comptox", "DTXSID1/m4id5?hitc=0.95&flags=2"),
            (2, 1, "inactive", "tox21_aggregated", "p1/NCGC2/ratio?flag=low+efficacy%2C+check"),
            (2, 1, "inactive", "tox21", "row 7"),  # 12-task table: no quality, untouched
            (2, 2, "active", "file:x.csv", "https://example.org/a?b=c"),  # another source's '?' stays
        ]
        conn.executemany(
            "INSERT INTO assay_results (compound_id, assay_id, outcome, method, source, source_record_id)"
            " VALUES (?,?,?,'measured',?,?)",
            rows,
        )
    conn.close()
    return path


def _rows(project: Project) -> list[tuple]:
    return project.db.query(
        "SELECT compound_id, assay_id, source, source_record_id, quality FROM assay_results ORDER BY id"
    )


def test_upgrade_moves_encoded_quality_into_the_column(tmp_path: Path) -> None:
    with Project.open(_version_3_file(tmp_path / "v3.cryodesk")) as project:
        assert project.db.schema_version() == SCHEMA_VERSION >= 4
        rows = _rows(project)
        assert project.integrity_check() == "ok"
    assert [(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows] == [
        # the older duplicate is gone; the newest quality survives
        (1, 1, "tox21_aggregated", "p1/NCGC1/ratio", {"curve_rank": "-9", "reproducibility": "reproducible"}),
        (1, 2, "comptox", "DTXSID1/m4id5", {"flags": "2", "hitc": "0.95"}),
        (2, 1, "tox21_aggregated", "p1/NCGC2/ratio", {"flag": "low efficacy, check"}),  # URL-decoded
        (2, 1, "tox21", "row 7", {}),
        (2, 2, "file:x.csv", "https://example.org/a?b=c", {}),
    ]


def _result(outcome: str, value: float | None) -> AssayResult:
    provenance = Provenance("tox21_aggregated", Method.MEASURED, "p1/NCGC1/ratio", "t", None, "c")
    return AssayResult(GLYCEROL, "tox21:X", AssayOutcome(outcome), provenance, value, "µM")


def test_reimport_of_a_corrected_result_updates_in_place(project: Project) -> None:
    project.compounds.upsert_many(
        [Compound(GLYCEROL, "OCC(O)CO", "InChI=1S/C3H8O3", "C3H8O3", "test", "glycerol")]
    )
    project.assays.upsert_assays([Assay("tox21:X", "X", "tox21")])
    first = project.assays.upsert_results_with_quality([(_result("active", 42.1), {"curve_rank": "-2"})])
    same = project.assays.upsert_results_with_quality([(_result("active", 42.1), {"curve_rank": "-2"})])
    fixed = project.assays.upsert_results_with_quality([(_result("active", 30.0), {"curve_rank": "-9"})])
    assert (first.new, first.updated, same.new, same.updated, fixed.new, fixed.updated) == (1, 0, 0, 0, 0, 1)
    stored = project.assays.results_with_quality(GLYCEROL)
    assert len(stored) == 1 and stored[0][0].value == 30.0 and stored[0][1] == {"curve_rank": "-9"}
