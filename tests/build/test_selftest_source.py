"""`cryodesk --self-test` in source mode (the frozen run is build/check_bundle.py's job)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cryodesk import selftest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_full_self_test_passes_headless_and_writes_its_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "PYTEST_CURRENT_TEST")}
    env["CRYODESK_HOME"] = str(tmp_path / "home")
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "cryodesk", "--self-test", "--json", str(report)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(report.read_text())
    assert result["ok"] and not result["frozen"]
    assert [c["name"] for c in result["checks"]] == list(selftest.CHECKS)
    assert "7 passed, 0 failed" in done.stdout
    assert "217 descriptors" in done.stdout
    log_file = tmp_path / "home" / "logs" / selftest.REPORT_FILE_NAME
    assert "7 passed, 0 failed" in log_file.read_text()  # the report also lands where a windowed app can keep it


def test_unknown_check_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        selftest.main(["--only", "nonsense"])
    assert stop.value.code == 2
    assert "unknown checks: nonsense" in capsys.readouterr().err


def test_a_failing_check_fails_the_run_and_the_others_still_run(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    def broken(ctx: selftest.Context) -> str:
        raise AssertionError("RDKit provides 115 descriptors")

    monkeypatch.setitem(selftest.CHECKS, "rdkit", broken)
    code = selftest.main(["--only", "rdkit,project"])
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] rdkit" in out and "RDKit provides 115 descriptors" in out
    assert "[PASS] project" in out
    assert "1 passed, 1 failed" in out


def test_source_mode_has_no_build_record_and_knows_its_age() -> None:
    assert not selftest.is_frozen()
    assert selftest.build_record() is None
    if sys.platform.startswith("linux"):
        age = selftest.process_age()
        assert age is not None and age > 0
