"""Readers of external data: online services (HTTP clients) and files.

Nothing here writes to the store or imports Qt or RDKit; clients return plain records
(:mod:`cryodesk.sources.records`) that the engine standardises and stores.
"""

from __future__ import annotations
