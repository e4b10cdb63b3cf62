"""The desktop application: PySide6 views over the engine facade (``cryodesk.engine.service``).

Nothing here does chemistry or SQL; every slow call goes through :mod:`cryodesk.gui.worker`.
"""

from __future__ import annotations
