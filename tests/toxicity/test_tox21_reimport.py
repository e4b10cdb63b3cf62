"""A corrected Tox21 per-assay file updates the stored results (quality column, schema v4), never duplicates them."""

from __future__ import annotations

import csv
from pathlib import Path

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.engine.tox21_import import Tox21ImportJob, Tox21ImportParams

HEADER = ["PROTOCOL_NAME", "SAMPLE_ID", "SAMPLE_NAME", "SAMPLE_DATA_TYPE", "SMILES", "ASSAY_OUTCOME",
          "CHANNEL_OUTCOME", "CURVE_RANK", "REPRODUCIBILITY", "AC50", "EFFICACY"]  # fmt: skip
P = "tox21-p53-bla-p1"


def _write(path: Path, curve_rank: str, reproducibility: str, ac50: str) -> Path:
    rows = [
        [
            P,
            "NCGC-A",
            "Glycerol",
            "ratio",
            "OCC(O)CO",
            "active agonist",
            "",
            curve_rank,
            reproducibility,
            ac50,
            "40",
        ],
        [P, "NCGC-B", "DMSO", "ratio", "CS(C)=O", "inactive", "", "0", "reproducible", "", ""],
    ]
    with path.open("w", newline="") as f:
        csv.writer(f, delimiter="\t").writerows([HEADER, *rows])
    return path


def test_corrected_file_updates_quality_in_place(tmp_path: Path) -> None:
    wb = Workbench.open(tmp_path / "p.cryodesk")
    try:
        first = wb.import_source(
            Tox21ImportJob(Tox21ImportParams(str(_write(tmp_path / "a.txt", "-2", "inconsistent", "42"))))
        )
        assert first.state is JobState.DONE and first.result.results_new == 2
        before = wb.toxicity_profile("PEDCQBHIVMGVHV-UHFFFAOYSA-N")
        fixed = _write(tmp_path / "b.txt", "-9", "reproducible", "12.5")
        second = wb.import_source(Tox21ImportJob(Tox21ImportParams(str(fixed))), resume=False)
        assert (second.result.results_new, second.result.results_updated) == (0, 1)  # only glycerol changed
        again = wb.import_source(Tox21ImportJob(Tox21ImportParams(str(fixed))), resume=False)
        assert (again.result.results_new, again.result.results_updated) == (0, 0)
        assert wb.project.assays.count_results() == 2
        stored = wb.project.assays.results_with_quality("PEDCQBHIVMGVHV-UHFFFAOYSA-N")
        assert len(stored) == 1
        result, quality = stored[0]
        assert result.provenance.source_record_id == f"{P}/NCGC-A/ratio" and result.value == 12.5
        assert quality == {"curve_rank": "-9", "reproducibility": "reproducible"}
        after = wb.toxicity_profile("PEDCQBHIVMGVHV-UHFFFAOYSA-N")
        # the better curve now weighs the active call fully (one assay: the score itself stays 1)
        assert before.calls[0].weight < 0.2 and after.calls[0].weight == 1.0
        assert "curve rank -9" in after.calls[0].basis
    finally:
        wb.close()
