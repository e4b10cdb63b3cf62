"""CCDC Cambridge Structural Database (CSD) adapter, through CCDC's own Python API when present.

The CSD is licensed: its Python API (``import ccdc``) ships only with a licensed CSD installation
(CSD-System / CSD-Enterprise), and there is no open REST endpoint (``../shared/docs/external-services.md``
section 6). So this adapter never downloads anything: it uses the local API when it is installed
and licensed, and otherwise says plainly what it needs. Without it users can still import CIFs they
export from the CSD (``cryodesk import cod FILE.cif``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from cryodesk.domain import InputError
from cryodesk.sources.cif import CrystalRecord

NEEDS = (
    "the CCDC CSD Python API is not available: it needs a licensed CSD installation (CSD-System or "
    "CSD-Enterprise from the Cambridge Crystallographic Data Centre) whose Python API package 'ccdc' is "
    "importable from CryoDesk's Python, with the licence activated for this user. Without it, export CIFs "
    "from the CSD (Mercury, WebCSD) and import them with 'cryodesk import cod FILE.cif'."
)


@dataclass(frozen=True, slots=True)
class CsdStatus:
    available: bool
    message: str
    version: str | None = None


def csd_status(module_name: str = "ccdc") -> CsdStatus:
    """Whether the CSD API can be used here, and if not, the sentence that says what is missing."""
    try:
        ccdc = importlib.import_module(module_name)
    except ImportError:
        return CsdStatus(False, NEEDS)
    try:
        io = importlib.import_module(f"{module_name}.io")
        io.EntryReader("CSD")  # fails without a licence or database
    except Exception as exc:  # the API raises its own types (RuntimeError, licence errors)
        return CsdStatus(False, f"the CCDC Python API is installed but cannot open the CSD ({exc}); " + NEEDS)
    return CsdStatus(True, "CSD Python API available", getattr(ccdc, "__version__", None))


class CsdClient:
    """Read CSD entries by refcode as :class:`CrystalRecord` (the same record a CIF gives)."""

    def __init__(self, module_name: str = "ccdc") -> None:
        status = csd_status(module_name)
        if not status.available:
            raise InputError(status.message)
        self._io = importlib.import_module(f"{module_name}.io")
        self._reader = self._io.EntryReader("CSD")

    def crystal(self, refcode: str) -> CrystalRecord | None:
        """The entry's cell, space group, Z, calculated density and temperature; None if unknown."""
        try:
            entry = self._reader.entry(refcode.strip().upper())
        except RuntimeError:
            return None
        return _record(refcode.strip().upper(), entry)


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _record(refcode: str, entry: Any) -> CrystalRecord:
    crystal = entry.crystal
    lengths, angles = crystal.cell_lengths, crystal.cell_angles
    return CrystalRecord(
        block=refcode,
        cod_id=None,
        formula=getattr(crystal, "formula", None),
        a=_number(lengths.a),
        b=_number(lengths.b),
        c=_number(lengths.c),
        alpha=_number(angles.alpha),
        beta=_number(angles.beta),
        gamma=_number(angles.gamma),
        volume=_number(getattr(crystal, "cell_volume", None)),
        space_group=crystal.spacegroup_symbol,
        space_group_number=int(crystal.spacegroup_number_and_setting[0])
        if getattr(crystal, "spacegroup_number_and_setting", None)
        else None,
        z=_number(crystal.z_value),
        density_measured=None,
        density_calculated=_number(crystal.calculated_density),
        density_basis="computed by the CSD API",
        temperature=None,
        temperature_basis=None,
        r_factor=_number(getattr(entry, "r_factor", None)),
        source_name=f"CSD {refcode}",
    )
