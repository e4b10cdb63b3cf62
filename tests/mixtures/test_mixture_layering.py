"""cryodesk.mixtures must not pull in Qt or the store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mixtures_import_no_qt_or_store() -> None:
    code = (
        "import sys\n"
        "import cryodesk.mixtures, cryodesk.mixtures.composition, cryodesk.mixtures.glass_transition\n"
        "import cryodesk.mixtures.interaction_graph, cryodesk.mixtures.synergy, cryodesk.mixtures.dose_response\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'apsw')\n"
        "       or m.startswith('cryodesk.store')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
