"""The screen job: streamed chunks, a bounded heap with a stated tie-break, per-record errors that are
counted and sampled, checkpoints that make a cancelled or killed screen end with the uninterrupted
result, hits imported as a row list, and the same top-N from every executor (Dask included)."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import apsw
import pytest

from cryodesk.domain import JobState
from cryodesk.engine.executor import InProcessExecutor, ProcessPoolExecutor
from cryodesk.engine.jobs import run_job
from cryodesk.engine.screening import (
    TIE_BREAK,
    Hit,
    HitHeap,
    ScreenJob,
    ScreenParams,
    is_worse,
    live_screen,
    screen_fingerprint,
    screen_record,
)
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import train_and_register
from cryodesk.ml.scoring import Profile, Term
from cryodesk.store import Project
from tests.conftest import DATA
from tests.engine.test_training import esol_workbench, tiny_request

BAD_LINES = ["C1CC broken_ring", "not_a_smiles junk", "C(C)(C)(C)(C)C five_valent", "[Xx] bad_element"]
PROFILE = Profile("soluble", (Term("log_solubility", "up", -5.0, 0.0, unit="log10(M)"),), missing="skip")


# -- fixtures --------------------------------------------------------------------------------------------
def write_library(path: Path, start: int = 300, stop: int = 900, duplicates: int = 40) -> Path:
    """Real ESOL structures not used for training, a few repeated, and a few unreadable lines."""
    rows = list(csv.DictReader((DATA / "esol" / "delaney.csv").open()))
    smiles = [r["smiles"] for r in rows[start:stop]]
    lines = [f"{s} cmpd{i}" for i, s in enumerate(smiles)]
    lines += [f"{s} again{i}" for i, s in enumerate(smiles[:duplicates])]
    for k, bad in enumerate(BAD_LINES):
        lines.insert(37 + 111 * k, bad)
    path.write_text("SMILES name\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def screen_setup(tmp_path_factory: pytest.TempPathFactory):
    """A project with a tiny solubility model and the 'soluble' profile, and a library file."""
    tmp = tmp_path_factory.mktemp("screen")
    wb = esol_workbench(tmp, n=250)
    train_and_register(wb.project, tiny_request())
    wb.save_scoring_profile(PROFILE)
    wb.close()
    library = write_library(tmp / "library.smi")
    return tmp / "esol.cryodesk", library


@pytest.fixture
def project_copy(screen_setup, tmp_path: Path):
    """A private copy of the trained project (with its models folder) for one test."""
    source, _ = screen_setup
    target = tmp_path / "esol.cryodesk"
    shutil.copy(source, target)
    shutil.copytree(source.with_name(source.name + ".models"), tmp_path / "esol.cryodesk.models")
    return target


def params(library: Path, **kw: object) -> ScreenParams:
    base: dict[str, object] = {
        "models": ("log_solubility",),
        "profile": "soluble",
        "top": 25,
        "chunk_size": 50,
        "workers": 1,
        "name": "screen-test",
    }
    base.update(kw)
    return ScreenParams(str(library), **base)  # type: ignore[arg-type]


def screen(project_path: Path, p: ScreenParams, executor=None, **kw: object):
    with Project.open(project_path) as project:
        outcome = run_job(project, ScreenJob(p, executor or InProcessExecutor(1)), **kw)
        return outcome


def hit_keys(summary) -> list[tuple[str, float]]:
    return [(h["key"], h["score"]) for h in summary.hits]


# -- the heap ------------------------------------------------------------------------------------------------
def _hit(key: str, score: float, record: int, enough: bool = True, coverage: float = 1.0) -> Hit:
    return Hit(key, "C", None, record, score, 0.0, score, score, coverage, enough, [(score, None, None)])


def test_heap_keeps_the_sorted_prefix_whatever_the_batching() -> None:
    rng = random.Random(7)
    # Many ties on purpose: equal scores are decided by coverage, then InChIKey, then record number.
    hits = [
        _hit(
            f"K{rng.randrange(400):04d}",
            round(rng.random(), 1),
            i,
            rng.random() > 0.1,
            rng.choice([0.5, 1.0]),
        )
        for i in range(2000)
    ]
    best: dict[str, Hit] = {}
    for h in hits:  # one hit per InChIKey: its best record
        if h.key not in best or is_worse(best[h.key], h):
            best[h.key] = h
    ranked = sorted(best.values(), key=lambda h: (not h.enough, -h.score, -h.coverage, h.key, h.record))
    n_pass = sum(1 for h in ranked if h.enough and h.score >= 0.8)
    expected = ranked[: min(60, max(20, n_pass))]
    for batch in (1, 7, 50, 2000):
        heap = HitHeap(20, threshold=0.8, cap=60)
        order = list(range(0, len(hits), batch))
        rng.shuffle(order)  # batches merged in any order give the same set and order
        for start in order:
            local = HitHeap(20, 0.8, 60)
            local.offer_many(hits[start : start + batch])
            heap.offer_many(local.hits())
        assert [(h.key, h.record) for h in heap.hits()] == [(h.key, h.record) for h in expected]
    restored = HitHeap.from_json(json.loads(json.dumps(heap.to_json())), 20, 0.8, 60)
    assert [h.to_json() for h in restored.hits()] == [h.to_json() for h in heap.hits()]


# -- the job ---------------------------------------------------------------------------------------------------
def test_screen_ranks_counts_errors_and_imports_the_hits(screen_setup, project_copy: Path) -> None:
    _, library = screen_setup
    outcome = screen(project_copy, params(library))
    assert outcome.state is JobState.DONE, outcome.error
    s = outcome.result
    assert s.records == 600 + 40 + len(BAD_LINES)
    assert s.errors == len(BAD_LINES) and s.scored == s.records - s.errors
    assert sum(s.errors_by_reason.values()) == s.errors
    assert len(s.hits) == 25 and [h["rank"] for h in s.hits] == list(range(1, 26))
    scores = [h["score"] for h in s.hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h["key"] for h in s.hits}) == 25  # duplicates collapse to their first record
    assert all(h["name"].startswith("cmpd") for h in s.hits)
    assert all(h["predictions"]["log_solubility v1"]["uncertainty"] is not None for h in s.hits)
    with Project.open(project_copy) as project:
        errors = project.jobs.row_errors(outcome.job_id)
        assert sorted(e.value for e in errors) == sorted(b.split()[1] for b in BAD_LINES)
        members = project.row_lists.members("screen-test")
        keys = {r.inchikey for r in project.compounds.rows_by_ids(members)}
        assert keys == {h["key"] for h in s.hits}
        record = project.jobs.get(outcome.job_id)
        assert record.params["profile"] == "soluble" and record.params["top"] == 25
        assert record.metrics["screen"]["records"] == s.records
        recorded = screen_record(project, "screen-test")  # the screen's parameters, kept with its row list
        assert recorded["screen_job"] == outcome.job_id and recorded["profile"] == "soluble"
        assert (
            recorded["top"] == 25
            and recorded["chunk_size"] == 50
            and recorded["model_versions"] == ["log_solubility v1"]
        )
        assert recorded["profile_definition"]["terms"][0]["key"] == "log_solubility"
        assert (recorded["records"], recorded["errors"], recorded["hits"]) == (s.records, s.errors, 25)
        assert recorded["sha256"] == record.params["sha256"] and recorded["tie_break"] == TIE_BREAK
        assert screen_record(project, "no such list") is None
        model_id = project.models.get("log_solubility").id
        cached = project.models.read_predictions(model_id, [h["key"] for h in s.hits[:3]])
        assert [cached[h["key"]].value for h in s.hits[:3]] == [
            h["predictions"]["log_solubility v1"]["value"] for h in s.hits[:3]
        ]


def test_results_do_not_depend_on_chunking_threshold_or_local_processes(
    screen_setup, project_copy: Path
) -> None:
    _, library = screen_setup
    one = screen(project_copy, params(library, chunk_size=10_000, name="one")).result
    with ProcessPoolExecutor(2) as pool:
        many = screen(project_copy, params(library, chunk_size=37, name="many"), pool).result
    assert hit_keys(one) == hit_keys(many)
    cut = one.hits[-1]["score"] - 0.2
    wide = screen(project_copy, params(library, threshold=cut, name="wide")).result
    assert len(wide.hits) > 25 and all(h["score"] >= cut for h in wide.hits[25:])
    assert hit_keys(wide)[:25] == hit_keys(one)


def test_cancel_then_resume_gives_the_uninterrupted_result(
    screen_setup, project_copy: Path, tmp_path: Path
) -> None:
    _, library = screen_setup
    reference = tmp_path / "reference.cryodesk"
    shutil.copy(project_copy, reference)
    shutil.copytree(project_copy.with_name("esol.cryodesk.models"), tmp_path / "reference.cryodesk.models")
    expected = screen(reference, params(library)).result

    stop = threading.Event()
    seen = []

    seen_hits: list[list[Hit]] = []

    def on_hits(hits: list[Hit], info: dict) -> None:
        seen.append(info["records"])
        seen_hits.append(hits)
        if len(seen) == 4:
            stop.set()

    with Project.open(project_copy) as project:
        first = run_job(
            project, ScreenJob(params(library), InProcessExecutor(1), on_hits=on_hits), cancel_event=stop
        )
        assert first.state is JobState.CANCELLED
        assert project.jobs.get(first.job_id).checkpoint["next_chunk"] == 4
        assert (
            live_screen(project, screen_fingerprint(params(library))) is None
        )  # cancelled: nothing to resume
        project.jobs.set_state(first.job_id, JobState.PAUSED)  # as the GUI's Stop leaves it
        live = live_screen(project, screen_fingerprint(params(library)), limit=10)
        assert live is not None and live.job_id == first.job_id and live.records == 200
        assert live.model_labels == ["log_solubility v1"] and [h["rank"] for h in live.hits] == list(
            range(1, 11)
        )
        assert [h["key"] for h in live.hits] == [h.key for h in seen_hits[-1][:10]]  # the committed heap
        again = run_job(project, ScreenJob(params(library), InProcessExecutor(1)), resume_job_id=first.job_id)
    assert again.state is JobState.DONE and again.result.resumed_from_chunk == 4
    assert again.result.hits == expected.hits
    assert again.result.errors == expected.errors and again.result.records == expected.records


def test_profile_that_no_model_predicts_is_refused(screen_setup, project_copy: Path) -> None:
    _, library = screen_setup
    outcome = screen(project_copy, params(library, profile="CPA candidate"))
    assert outcome.state is JobState.DONE  # log_solubility is one of its terms: scored, below min_coverage
    assert all(not h["ranked"] for h in outcome.result.hits)
    with Project.open(project_copy) as project:
        wb = Workbench(project)
        wb.save_scoring_profile(Profile("tg only", (Term("tg", "up", 120.0, 220.0, unit="K"),)))
        failed = run_job(project, ScreenJob(params(library, profile="tg only"), InProcessExecutor(1)))
    assert failed.state is JobState.FAILED and "none of the chosen models" in (failed.error or "")


# -- kill -9 and resume through the CLI -------------------------------------------------------------------------
def _cli(project: Path, library: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cryodesk.cli.main",
        "-p",
        str(project),
        "--json",
        "screen",
        str(library),
        "--model",
        "log_solubility",
        "--profile",
        "soluble",
        "--top",
        "25",
        "--chunk-size",
        "25",
        "--workers",
        "1",
        "--name",
        "screen-test",
        *extra,
    ]


def _done(project: Path) -> int:
    try:
        conn = apsw.Connection(
            f"file:{project}?mode=ro", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
        )
        conn.set_busy_timeout(2000)
        # The unfinished screen (the finished reference run must not count).
        # Counted only once a checkpoint is committed: `done` alone also moves with progress reports.
        row = conn.execute(
            "SELECT done FROM jobs WHERE kind = 'screen' AND state != 'done'"
            " AND checkpoint IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        conn.close()
        return int(row[0] or 0) if row else 0
    except apsw.Error:
        return 0


def _proc_status(path: Path) -> dict[str, str]:
    return dict(line.split(":\t", 1) for line in path.read_text().splitlines() if ":\t" in line)


def _signal_status(pid: int) -> str:
    """Signal masks and dispositions of a process and of each of its threads, from /proc (Linux)."""
    keys = ("Threads", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
    lines = []
    for status in [Path(f"/proc/{pid}/status"), *sorted(Path(f"/proc/{pid}/task").glob("*/status"))]:
        try:
            fields = _proc_status(status)
        except OSError as exc:
            lines.append(f"{status}: {exc}")
            continue
        values = " ".join(f"{k}={fields[k].strip()}" for k in keys if k in fields)
        lines.append(f"{status} {fields.get('Name', '').strip()}: {values}")
    return "\n".join(lines)


def _launched_deaf_to_ctrl_c() -> None:
    """Runs in the child before exec: SIGINT blocked and ignored, both inherited by the CLI."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _catches_sigint(pid: int) -> bool:
    """True once the process has its own SIGINT handler and its main thread does not block SIGINT.

    The child starts with SIGINT ignored and blocked, so both hold only after the CLI installed its
    handler: a Ctrl+C sent earlier would test the process start-up, not the handler. Where there is
    no /proc (not Linux) this cannot be seen, and the committed-record count alone has to do.
    """
    if not Path("/proc/self/status").is_file():
        return True
    try:
        fields = _proc_status(Path(f"/proc/{pid}/status"))
    except OSError:  # the process has just ended
        return False
    bit = 1 << (signal.SIGINT - 1)
    caught, blocked, ignored = (int(fields[k], 16) & bit for k in ("SigCgt", "SigBlk", "SigIgn"))
    return bool(caught) and not blocked and not ignored


def _screen_jobs(project: Path) -> dict[int, tuple[str, int | None]]:
    """Every ``screen-test`` job: id -> (state, next chunk of its checkpoint)."""
    with Project.open(project, read_only=True) as p:
        jobs = [j for j in p.jobs.list(1000) if j.kind == "screen" and j.params.get("name") == "screen-test"]
    return {j.id: (str(j.state), (j.checkpoint or {}).get("next_chunk")) for j in jobs}


KILLS = 10


@pytest.mark.slow
# 12 CLI processes, each importing RDKit and the models: minutes on a loaded machine.
@pytest.mark.timeout(1200)
def test_kill_9_during_a_screen_then_resume_gives_the_uninterrupted_result(
    screen_setup, project_copy: Path
) -> None:
    """10 SIGKILLs of the real CLI at random committed-chunk counts plus a random 0-40 ms delay.

    Every run after a kill must continue the one killed job (never a new job from chunk 0). Whether
    a kill interrupted the screen is read from the job record, not from the process being alive:
    the job is recorded ``done`` about 0.7 s before the CLI process exits (output, project close,
    interpreter teardown), and a kill in that window leaves a finished job, which a new run must not
    resume. Judging by liveness was what made this test fail under load.
    """
    _, library = screen_setup
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    expected = json.loads(
        subprocess.run(
            _cli(project_copy, library, "--no-resume", "--name", "reference"),
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
    )
    with Project.open(project_copy) as project:  # the reference run must not be resumed below
        assert project.jobs.get(expected["job_id"]).state is JobState.DONE
    chunk = 25
    n_chunks = -(-expected["summary"]["records"] // chunk)
    rng = random.Random(20261212)
    # Distinct committed-chunk counts, so every child has to get further than the one before it.
    thresholds = sorted(rng.sample(range(1, n_chunks - 2), KILLS))
    kills = 0
    for threshold in thresholds:
        child = subprocess.Popen(
            _cli(project_copy, library), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 180
        while (
            child.poll() is None and _done(project_copy) < threshold * chunk and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.04))  # land inside a chunk, a write transaction, or between them
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.wait()
        with Project.open(project_copy, read_only=True) as project:
            assert project.integrity_check() == "ok"
        jobs = _screen_jobs(project_copy)
        assert len(jobs) == 1, f"a run after a kill started a new screen job instead of resuming: {jobs}"
    assert kills == KILLS
    [(killed_id, (state, next_chunk))] = _screen_jobs(project_copy).items()
    final = json.loads(
        subprocess.run(
            _cli(project_copy, library), check=True, env=env, capture_output=True, text=True
        ).stdout
    )
    assert final["state"] == "done"
    if state != "done":  # the usual case: the last kill interrupted the screen, so the final run resumes it
        assert final["job_id"] == killed_id
        assert final["summary"]["resumed_from_chunk"] == next_chunk and next_chunk >= thresholds[-1]
    strip = ("job_id", "row_list", "seconds", "stage_seconds", "resumed_from_chunk")
    assert {k: v for k, v in final["summary"].items() if k not in strip} == {
        k: v for k, v in expected["summary"].items() if k not in strip
    }
    with Project.open(project_copy, read_only=True) as project:
        assert project.integrity_check() == "ok"
        assert sorted(project.row_lists.members("screen-test")) == sorted(
            project.row_lists.members("reference")
        )
        assert len(project.jobs.row_errors(final["job_id"])) == len(BAD_LINES)


@pytest.mark.slow
@pytest.mark.serial  # a race between a screen and a signal: run alone, after the parallel pass
@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signals (Ctrl+C as SIGINT)")
@pytest.mark.skipif(
    os.environ.get("CRYODESK_RUN_CTRL_C_TEST") != "1",
    reason="open bug (issue 12): in `make test` the CLI child, alive with its SIGINT handler installed and "
    "unblocked (per /proc), screened to the end without running the handler; passes alone and in subsets",
)
def test_ctrl_c_pauses_a_cli_screen_and_the_same_command_continues_it(
    screen_setup, project_copy: Path
) -> None:
    from cryodesk.cli import exit_codes

    _, small = screen_setup
    # Ten copies of the library: on an idle machine the 645-record file can finish before the
    # Ctrl+C arrives, and the test is about what happens after it.
    library = project_copy.with_name("library_x10.smi")
    header, *body = small.read_text(encoding="utf-8").splitlines()
    library.write_text("\n".join([header, *(body * 10)]) + "\n", encoding="utf-8")
    records = len(body) * 10
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    # Output to files, not pipes: nothing reads a pipe until the screen ends, and a child blocked on a
    # full pipe could not reach its next checkpoint.
    out_path, err_path = project_copy.with_name("ctrl_c.out"), project_copy.with_name("ctrl_c.err")
    # Started with SIGINT blocked and ignored, as a launcher (a shell's background job, make, a test
    # runner) may leave it: the CLI must still hear the Ctrl+C.
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        child = subprocess.Popen(
            _cli(project_copy, library),
            env=env,
            stdout=out_file,
            stderr=err_file,
            preexec_fn=_launched_deaf_to_ctrl_c,
        )
    deadline = time.monotonic() + 300
    # One Ctrl+C once the CLI's handler is in place and at least two chunks are committed.
    while (
        child.poll() is None
        and not (_done(project_copy) >= 50 and _catches_sigint(child.pid))
        and time.monotonic() < deadline
    ):
        time.sleep(0.005)
    done_at_signal, handler_ready = _done(project_copy), _catches_sigint(child.pid)
    status_at_signal = _signal_status(child.pid)
    alive = child.poll() is None
    child.send_signal(signal.SIGINT)  # one Ctrl+C: stop at the next chunk
    try:
        child.wait(timeout=600)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    out, err = out_path.read_text(encoding="utf-8"), err_path.read_text(encoding="utf-8")
    diagnosis = (
        f"exit code {child.returncode}; at the Ctrl+C: child alive {alive}, its SIGINT handler ready "
        f"{handler_ready}, {done_at_signal} records committed; signal state of the child then:\n"
        f"{status_at_signal}\n"
        f"jobs: {_screen_jobs(project_copy)}\nstderr (start):\n{err[:1500]}\nstderr (end):\n{err[-1500:]}"
    )
    print(diagnosis)  # shown with -rP: the state a passing run saw
    assert alive, "the screen ended before the Ctrl+C could be sent\n" + diagnosis
    assert child.returncode == exit_codes.JOB_STOPPED, diagnosis
    assert "stopping at the next checkpoint" in err, diagnosis
    stopped = json.loads(out)
    assert stopped["state"] == "paused" and "continue with the same command" in err
    with Project.open(project_copy, read_only=True) as project:
        record = project.jobs.get(stopped["job_id"])
        assert record.state is JobState.PAUSED and record.checkpoint["next_chunk"] >= 2
        next_chunk = record.checkpoint["next_chunk"]
    again = json.loads(
        subprocess.run(
            _cli(project_copy, library), check=True, env=env, capture_output=True, text=True
        ).stdout
    )
    assert again["job_id"] == stopped["job_id"] and again["state"] == "done"
    assert again["summary"]["resumed_from_chunk"] == next_chunk and again["summary"]["records"] == records


# -- Dask ---------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_ordered_top_n_with_the_stated_tie_break(
    screen_setup, project_copy: Path
) -> None:
    pytest.importorskip("distributed")
    from cryodesk.engine.dask_executor import DaskExecutor

    _, library = screen_setup
    local = screen(project_copy, params(library, name="local")).result
    with DaskExecutor("local", n_workers=2) as dask:
        remote = screen(project_copy, params(library, chunk_size=40, name="dask"), dask).result
        # The executor also serves plain map_chunks callers (featurisation), results in chunk order.
        assert dask.map_chunks(len, [[1], [1, 2], [1, 2, 3]]) == [1, 2, 3]
    assert hit_keys(remote) == hit_keys(local)
    assert [h["record"] for h in remote.hits] == [h["record"] for h in local.hits]
    assert [h["predictions"] for h in remote.hits] == [h["predictions"] for h in local.hits]
    # The stated tie-break is exercised: the profile's desirability saturates at 1.0, so many hits tie
    # on score (and coverage); among them the InChIKey decides, ascending, on every executor.
    tied = [h["key"] for h in remote.hits if h["score"] == remote.hits[0]["score"]]
    assert len(tied) >= 5 and tied == sorted(tied)
    ranked = [(not h["ranked"], -h["score"], -h["coverage"], h["key"], h["record"]) for h in remote.hits]
    assert ranked == sorted(ranked)
    assert all(
        h["name"].startswith("cmpd") for h in remote.hits
    )  # a repeated compound keeps its first record
