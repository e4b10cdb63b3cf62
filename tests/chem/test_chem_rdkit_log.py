"""RDKit's log is captured per thread and never printed during a capture."""

from __future__ import annotations

import logging
import threading

from rdkit import Chem, rdBase

from cryodesk.chem import capture_rdkit_log, mute_rdkit_log


def test_capture_collects_cleaned_messages(capfd):
    with capture_rdkit_log() as log:
        assert Chem.MolFromSmiles("C1CC") is None
    assert log.messages == ["SMILES Parse Error: unclosed ring for input: 'C1CC'"]
    assert capfd.readouterr().err == ""


def test_warnings_are_captured_too(capfd):
    with capture_rdkit_log() as log:
        rdBase.LogWarningMsg("a warning from RDKit")
    assert log.messages == ["a warning from RDKit"]
    assert capfd.readouterr().err == ""


def test_captures_nest_innermost_wins():
    with capture_rdkit_log() as outer:
        with capture_rdkit_log() as inner:
            Chem.MolFromSmiles("C1CC")
        Chem.MolFromSmiles("C(C)(C)(C)(C)C")
    assert len(inner.messages) == 1 and "unclosed ring" in inner.messages[0]
    assert len(outer.messages) == 1 and "valence" in outer.messages[0]


def test_mute_discards(capfd):
    with mute_rdkit_log():
        Chem.MolFromSmiles("c1cccc1")
    assert capfd.readouterr().err == ""


def test_captures_are_per_thread():
    seen: dict[str, list[str]] = {}
    ready = threading.Barrier(2)

    def worker(smiles: str, key: str) -> None:
        with capture_rdkit_log() as log:
            ready.wait()
            for _ in range(20):
                Chem.MolFromSmiles(smiles)
        seen[key] = log.messages

    threads = [
        threading.Thread(target=worker, args=("C1CC", "ring")),
        threading.Thread(target=worker, args=("C(C)(C)(C)(C)C", "valence")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all("unclosed ring" in m for m in seen["ring"])
    assert all("valence" in m for m in seen["valence"])


def test_outside_a_capture_messages_reach_python_logging(caplog):
    with capture_rdkit_log():
        pass  # installs the bridge
    # Other test modules switch RDKit's log off at import; this test needs the error channel on.
    was_disabled = "rdApp.error:disabled" in rdBase.LogStatus()
    rdBase.EnableLog("rdApp.error")
    try:
        with caplog.at_level(logging.WARNING, logger="rdkit"):
            Chem.MolFromSmiles("C1CC")
    finally:
        if was_disabled:
            rdBase.DisableLog("rdApp.error")
    assert any("unclosed ring" in r.getMessage() for r in caplog.records if r.name == "rdkit")


def test_capture_works_when_rdkit_logging_was_switched_off_and_restores_the_switch(capfd):
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        with capture_rdkit_log() as log:
            Chem.MolFromSmiles("C1CC")
        assert log.messages == ["SMILES Parse Error: unclosed ring for input: 'C1CC'"]
        assert "rdApp.error:disabled" in rdBase.LogStatus()
    finally:
        RDLogger.EnableLog("rdApp.warning")
        RDLogger.EnableLog("rdApp.error")
    assert capfd.readouterr().err == ""


def test_capture_works_inside_block_logs():
    with rdBase.BlockLogs():
        with capture_rdkit_log() as log:
            Chem.MolFromSmiles("C1CC")
    assert len(log.messages) == 1


def test_capture_reclaims_a_sink_routed_elsewhere(capfd):
    rdBase.LogToPythonStderr()
    with capture_rdkit_log() as log:
        Chem.MolFromSmiles("C1CC")
    assert len(log.messages) == 1
    assert capfd.readouterr().err == ""


def test_capture_works_when_the_rdkit_logger_is_disabled():
    logger = logging.getLogger("rdkit")
    logger.disabled = True
    try:
        with capture_rdkit_log() as log:
            Chem.MolFromSmiles("C1CC")
        assert len(log.messages) == 1
        assert logger.disabled
    finally:
        logger.disabled = False
