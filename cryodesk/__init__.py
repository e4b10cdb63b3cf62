"""CryoDesk: a desktop workbench for cryoprotectant discovery and CPA mixture design."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "CryoDesk"
