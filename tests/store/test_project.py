from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import apsw
import pytest

from cryodesk.domain import (
    Assay,
    AssayOutcome,
    AssayResult,
    ComponentRole,
    Compound,
    Identifier,
    IdentifierKind,
    JobState,
    Method,
    Mixture,
    MixtureComponent,
    ProjectError,
    PropertyValue,
    Provenance,
    RowError,
)
from cryodesk.store import SCHEMA_VERSION, Database, OpenOptions, Project, migrate
from cryodesk.store.filesystem import filesystem_type, is_network_path

DMSO = Compound("IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "CS(C)=O", "InChI=1S/C2H6OS/c1-4(2)3/h1-2H3", "C2H6OS",
                "test-std", "DMSO", 78.13)
GLYCEROL = Compound("PEDCQBHIVMGVHV-UHFFFAOYSA-N", "OCC(O)CO", "InChI=1S/C3H8O3/c4-1-3(6)2-5/h3-6H,1-2H2",
                    "C3H8O3", "test-std", None, 92.09)


def tg(key: str, value: float, record: str, source: str = "koop") -> PropertyValue:
    return PropertyValue(key, "tg", value, "K", Provenance(source, Method.MEASURED, record, "2026-01-01T00:00:00"))


def test_new_project_has_current_schema_wal_and_foreign_keys(project: Project) -> None:
    assert project.db.schema_version() == SCHEMA_VERSION
    assert project.db.scalar("PRAGMA journal_mode") == "wal"
    assert project.db.scalar("PRAGMA foreign_keys") == 1
    assert project.db.scalar("PRAGMA busy_timeout") > 0
    assert project.integrity_check() == "ok"


def test_upgrade_of_a_version_1_file_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.cryodesk"
    # Build a file exactly as schema version 1 wrote it, with data in it.
    conn = apsw.Connection(str(path))
    conn.execute("PRAGMA journal_mode = wal")
    from cryodesk.store.schema import APPLICATION_ID, MIGRATIONS

    with conn:
        conn.execute(MIGRATIONS[0])
        conn.execute(f"PRAGMA user_version = 1; PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(
            "INSERT INTO compounds (inchikey, smiles, inchi, formula, std_version, name, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (DMSO.inchikey, DMSO.smiles, DMSO.inchi, DMSO.formula, "v1", "DMSO", "t", "t"),
        )
    conn.close()
    with Project.open(path) as p:
        assert p.db.schema_version() == SCHEMA_VERSION
        assert p.compounds.get(DMSO.inchikey).name == "DMSO"
        # a table that only version 2 has is now usable
        p.view_state.set("columns", ["name", "tg"])
        assert p.view_state.get("columns") == ["name", "tg"]
        assert p.integrity_check() == "ok"


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "future.cryodesk"
    Project.open(path).close()
    conn = apsw.Connection(str(path))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(ProjectError, match="newer CryoDesk"):
        Project.open(path)


def test_a_foreign_sqlite_file_is_not_taken_for_a_project(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = apsw.Connection(str(path))
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(ProjectError, match="not a CryoDesk project"):
        Project.open(path)


def test_read_only_project_reads_but_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "ro.cryodesk"
    with Project.open(path) as p:
        p.compounds.upsert_many([DMSO])
    with Project.open(path, read_only=True) as ro:
        assert ro.compounds.get(DMSO.inchikey) is not None
        assert any("read-only" in n for n in ro.notices)
        with pytest.raises(ProjectError, match="read-only"):
            ro.compounds.upsert_many([GLYCEROL])


def test_missing_project_is_an_error_when_creation_is_off(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not found"):
        Project.open(tmp_path / "nope.cryodesk", create=False)


def test_network_file_systems_are_detected_from_the_mount_table(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda1 / ext4 rw 0 0\n"
        f"//nas/lab {share} cifs rw,vers=3.0 0 0\n"
        f"nas:/export {share}/nfs nfs4 rw 0 0\n"
    )
    (share / "nfs").mkdir()
    assert filesystem_type(share / "lib.cryodesk", mounts) == "cifs"
    assert is_network_path(share / "lib.cryodesk", mounts)
    assert is_network_path(share / "nfs" / "lib.cryodesk", mounts)
    assert not is_network_path(tmp_path / "local.cryodesk", mounts)
    assert is_network_path(Path("//server/share/x.cryodesk"), mounts)


def test_rollback_journal_mode_for_network_drives_works(tmp_path: Path) -> None:
    db = Database(tmp_path / "n.cryodesk", OpenOptions(journal_mode="delete"))
    assert db.scalar("PRAGMA journal_mode") == "delete"
    assert db.schema_version() == SCHEMA_VERSION
    db.close()


def test_each_thread_has_its_own_connection_and_concurrent_writers_queue(project: Project) -> None:
    seen: list[object] = []  # the connections themselves, so none is freed and its id reused
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            seen.append(project.db.connection())
            for j in range(20):
                key = f"AAAAAAAAAAAA{i:02d}-BBBBBB{j:02d}SA-N"
                project.compounds.upsert_many([Compound(key, "C", "InChI=1S/CH4/h1H4", "CH4", "t")])
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({id(c) for c in seen}) == 4
    assert project.compounds.count() == 80


def test_compound_upsert_is_idempotent_and_fills_a_missing_name(project: Project) -> None:
    ids = project.compounds.upsert_many([GLYCEROL])
    again = project.compounds.upsert_many([GLYCEROL])
    assert ids == again
    project.compounds.upsert_many([replace(GLYCEROL, name="glycerol")])
    assert project.compounds.get(GLYCEROL.inchikey).name == "glycerol"
    project.compounds.upsert_many([replace(GLYCEROL, name="propane-1,2,3-triol")])
    assert project.compounds.get(GLYCEROL.inchikey).name == "glycerol"  # never overwritten
    assert project.compounds.count() == 1


def test_conflicting_values_are_kept_side_by_side_and_repeats_are_ignored(project: Project) -> None:
    project.compounds.upsert_many([GLYCEROL])
    values = [tg(GLYCEROL.inchikey, 185.0, "row 10"), tg(GLYCEROL.inchikey, 193.0, "row 11")]
    assert project.properties.upsert_many(values) == 2
    assert project.properties.upsert_many(values) == 0
    stored = sorted(v.value for v in project.properties.for_compound(GLYCEROL.inchikey))
    assert stored == [185.0, 193.0]
    assert project.properties.earlier_record(tg(GLYCEROL.inchikey, 185.0, "row 99")) == "row 10"


def test_identifier_search_and_lookup(project: Project) -> None:
    project.compounds.upsert_many([DMSO, GLYCEROL])
    project.identifiers.upsert_many([
        Identifier(DMSO.inchikey, IdentifierKind.CAS, "67-68-5", "test"),
        Identifier(DMSO.inchikey, IdentifierKind.SYNONYM, "Me2SO", "test", 0.9),
        Identifier(GLYCEROL.inchikey, IdentifierKind.NAME, "Glycerol", "test"),
    ])
    assert project.identifiers.lookup("me2so")[0][0] == DMSO.inchikey
    dmso_id = project.compounds.ids_for([DMSO.inchikey])[DMSO.inchikey]
    assert project.compounds.search_ids("67-68-5") == [dmso_id]
    assert project.compounds.search_ids("IAZDPX") == [dmso_id]
    assert project.compounds.search_ids("OCC(O)CO") == [project.compounds.ids_for([GLYCEROL.inchikey])[GLYCEROL.inchikey]]
    assert len(project.compounds.search_ids("")) == 2


def test_assays_mixtures_and_cascade(project: Project) -> None:
    project.compounds.upsert_many([DMSO, GLYCEROL])
    project.assays.upsert_assays([Assay("tox21:NR-AR", "NR-AR", "tox21")])
    prov = Provenance("tox21", Method.MEASURED, "row 2")
    result = AssayResult(DMSO.inchikey, "tox21:NR-AR", AssayOutcome.INACTIVE, prov)
    assert project.assays.upsert_results([result, result]) == 1
    mixture = Mixture("DP6", (
        MixtureComponent("DMSO", 3.0, "M", ComponentRole.PENETRATING, DMSO.inchikey),
        MixtureComponent("Euro-Collins", None, None, ComponentRole.CARRIER),
    ), status="literature (recalled)")
    assert project.mixtures.upsert_many([mixture], source="reference") == 1
    assert project.mixtures.upsert_many([mixture], source="reference") == 0
    loaded = project.mixtures.get("DP6")
    assert loaded.components[0].inchikey == DMSO.inchikey and loaded.components[0].unit == "M"
    assert loaded.components[1].role is ComponentRole.CARRIER
    with project.db.transaction() as conn:
        conn.execute("DELETE FROM compounds WHERE inchikey = ?", (DMSO.inchikey,))
    assert project.assays.count_results() == 0
    assert project.mixtures.get("DP6").components[0].inchikey is None  # component kept, link cleared


def test_jobs_checkpoint_and_row_errors_commit_with_the_rows(project: Project) -> None:
    job = project.jobs.create("import_file", {"path": "x.csv"}, fingerprint="abc")
    with pytest.raises(RuntimeError), project.db.transaction():
        project.compounds.upsert_many([DMSO])
        project.jobs.save_checkpoint(job, {"next_row": 10}, done=9)
        project.jobs.add_row_errors(job, [RowError(3, "bad SMILES", "smiles", "C1CC")])
        raise RuntimeError("killed mid-transaction")
    assert project.compounds.count() == 0
    assert project.jobs.get(job).checkpoint is None
    assert project.jobs.row_errors(job) == []
    with project.db.transaction():
        project.compounds.upsert_many([DMSO])
        project.jobs.save_checkpoint(job, {"next_row": 10}, done=9)
        project.jobs.add_row_errors(job, [RowError(3, "bad SMILES", "smiles", "C1CC")] * 2)
    record = project.jobs.get(job)
    assert record.checkpoint == {"next_row": 10} and record.done == 9 and record.n_row_errors == 1
    assert project.jobs.find_resumable("import_file", "abc").id == job
    project.jobs.set_state(job, JobState.DONE)
    assert project.jobs.find_resumable("import_file", "abc") is None
    project.jobs.merge_metrics(job, {"requests": 3, "colour": "green"})
    project.jobs.merge_metrics(job, {"requests": 2})
    assert project.jobs.get(job).metrics == {"requests": 5, "colour": "green"}


def test_row_lists_and_view_state(project: Project) -> None:
    ids = project.compounds.upsert_many([DMSO, GLYCEROL])
    project.row_lists.save("hits", ids.values(), "first screen")
    project.row_lists.add("hits", [ids[DMSO.inchikey]])
    assert sorted(project.row_lists.members("hits")) == sorted(ids.values())
    assert project.row_lists.names() == [("hits", 2)]


def test_migrate_is_a_no_op_on_a_current_file(project: Project) -> None:
    assert migrate(project.db) == SCHEMA_VERSION


def test_feature_cache_reads_one_matrix_in_id_order_and_skips_rows_of_the_wrong_size(project: Project) -> None:
    import numpy as np

    keys = ["AAAAAAAAAAAAAA-UHFFFAOYSA-N", "BBBBBBBBBBBBBB-UHFFFAOYSA-N", "CCCCCCCCCCCCCC-UHFFFAOYSA-N"]
    for key, smiles in zip(keys, ["C", "CC", "CCC"], strict=True):
        project.compounds.upsert_many([Compound(key, smiles, "InChI=1S/x", "", "test")])
    ids = project.compounds.ids_ascending()
    assert ids.dtype == np.int64 and ids.tolist() == sorted(ids.tolist()) and len(ids) == 3
    rows = {int(ids[0]): np.array([1.5, 2.5], np.float32), int(ids[2]): np.array([3.5, -1.0], np.float32)}
    # written out of order, plus one row of another width (a foreign or truncated row)
    project.features.put_many("toy", "1", [(cid, v.tobytes()) for cid, v in reversed(rows.items())])
    project.features.put_many("toy", "1", [(int(ids[1]), b"\x00" * 4)])
    got_ids, matrix = project.features.read("toy", "1", "float32", 2)
    assert got_ids.tolist() == [int(ids[0]), int(ids[2])]
    np.testing.assert_array_equal(matrix, np.stack(list(rows.values())))
    only, part = project.features.read("toy", "1", "float32", 2, [int(ids[2])])
    assert only.tolist() == [int(ids[2])] and part.tolist() == [[3.5, -1.0]]
    # a large selection reads the whole set once and filters it: same answer
    import cryodesk.store.features as feature_store

    by_id = project.features.read("toy", "1", "float32", 2, [int(ids[2]), int(ids[1]), int(ids[0])])
    saved, feature_store.SELECTION_BY_ID_MAX = feature_store.SELECTION_BY_ID_MAX, 0
    try:
        filtered = project.features.read("toy", "1", "float32", 2, [int(ids[2]), int(ids[1]), int(ids[0])])
    finally:
        feature_store.SELECTION_BY_ID_MAX = saved
    assert by_id[0].tolist() == filtered[0].tolist() == [int(ids[0]), int(ids[2])]
    np.testing.assert_array_equal(by_id[1], filtered[1])
    assert project.features.read("toy", "2", "float32", 2)[0].size == 0  # another version: nothing
