"""``make test`` runs the screenshot script: every view at 1400x900 on the seeded library, each picture
checked to be non-blank with its widgets filled (see tests/gui/screenshots.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.engine.service import Workbench

from . import screenshots
from .helpers import SCREENSHOT_DIR


@pytest.mark.timeout(1200)  # ~22 views, clustering and scaffolds of the 9,800-compound library included
def test_every_view_is_shot_non_blank_and_filled(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    results = screenshots.run_shots(window, SCREENSHOT_DIR / "all_views")
    summary = screenshots.report(results)
    print(summary)
    taken = [shot for shot in results if not shot.absent]
    names = {shot.name for shot in taken}
    # The views this build always has (optional dialogs of other issues may be absent).
    for required in (
        "01_molecules_table",
        "02_detail_panel",
        "05_scatter",
        "06_clusters",
        "07_scaffolds",
        "08_structure_query",
        "09_row_lists",
        "10_jobs_panel",
        "11_mixtures_recipe",
        "12_mixture_designer",
        "13_mixture_compare",
    ):
        assert required in names, summary
    assert all(shot.ok for shot in taken), summary
    assert all(shot.path is not None and shot.path.stat().st_size > 10_000 for shot in taken), summary
