"""CIF reader (Crystallographic Information File, CIF 1.1) built on ``gemmi``.

We read the crystallographic facts that matter for a cryoprotectant's tendency to crystallise:
cell, space group, Z, measured and calculated density, temperature, formula. gemmi does the CIF
syntax (quotes, loops, multi-line fields, ``?`` and ``.`` nulls, ``11.699(9)`` uncertainties);
this module only maps tags to a record and computes the density from the cell when the file
does not state one (ρ = Z·M / (N_A·V)).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryodesk.domain import InputError

AVOGADRO = 6.02214076e23
_UNCERTAINTY = re.compile(r"^([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\((\d+)\)$")
_FORMULA_TOKEN = re.compile(r"^([A-Z][a-z]?)(\d*\.?\d*)$")


@dataclass(frozen=True, slots=True)
class CrystalRecord:
    """One CIF data block. Lengths in Å, angles in degrees, volume Å³, density g/cm³, T in K."""

    block: str
    cod_id: str | None
    formula: str | None
    a: float | None
    b: float | None
    c: float | None
    alpha: float | None
    beta: float | None
    gamma: float | None
    volume: float | None
    space_group: str | None
    space_group_number: int | None
    z: float | None
    density_measured: float | None
    density_calculated: float | None
    density_basis: str | None  # "stated in CIF" | "computed from Z, formula and cell" | None
    temperature: float | None
    temperature_basis: str | None  # "diffraction" | "cell measurement" | None
    r_factor: float | None
    source_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}  # type: ignore[attr-defined]


def read_cif(path: str | Path) -> list[CrystalRecord]:
    """Every data block of a CIF file.

    Raises:
        InputError: the file is missing, is not CIF, or has no data block with a unit cell.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such CIF file: {path}")
    return parse_cif(path.read_text(encoding="utf-8", errors="replace"), path.name)


def parse_cif(text: str, source_name: str = "<cif>") -> list[CrystalRecord]:
    """Every data block of CIF text (see :func:`read_cif`)."""
    import gemmi

    try:
        document = gemmi.cif.read_string(text)
    except (ValueError, RuntimeError) as exc:
        raise InputError(f"{source_name}: malformed CIF ({exc})") from exc
    records = [_record(block, source_name) for block in document]
    records = [r for r in records if r.a is not None or r.volume is not None]
    if not records:
        raise InputError(f"{source_name}: no data block with unit-cell data (_cell_length_a / _cell_volume)")
    return records


def _value(block: Any, tag: str) -> str | None:
    import gemmi

    raw = block.find_value(tag)
    if raw is None or gemmi.cif.is_null(raw):
        return None
    text = gemmi.cif.as_string(raw).strip()
    return text or None


def to_number(text: str | None) -> float | None:
    """``"11.699(9)"`` -> 11.699 (the standard uncertainty is dropped); None for missing/odd text."""
    if text is None:
        return None
    match = _UNCERTAINTY.match(text.strip())
    candidate = match.group(1) if match else text.strip()
    try:
        return float(candidate)
    except ValueError:
        return None


def _first(block: Any, *tags: str) -> str | None:
    return next((v for tag in tags if (v := _value(block, tag)) is not None), None)


def _record(block: Any, source_name: str) -> CrystalRecord:
    num = _numbers(block)
    formula = _first(block, "_chemical_formula_sum")
    measured = num("_exptl_crystal_density_meas")
    stated = num("_exptl_crystal_density_diffrn")
    computed = density_from_cell(formula, num("_cell_formula_units_Z"), num("_cell_volume"))
    temperature = num("_diffrn_ambient_temperature")
    t_basis = "diffraction" if temperature is not None else None
    if temperature is None and (temperature := num("_cell_measurement_temperature")) is not None:
        t_basis = "cell measurement"
    number = num("_space_group_IT_number") or num("_symmetry_Int_Tables_number")
    return CrystalRecord(
        block=block.name,
        cod_id=_first(block, "_cod_database_code"),
        formula=formula,
        a=num("_cell_length_a"), b=num("_cell_length_b"), c=num("_cell_length_c"),
        alpha=num("_cell_angle_alpha"), beta=num("_cell_angle_beta"), gamma=num("_cell_angle_gamma"),
        volume=num("_cell_volume"),
        space_group=_first(block, "_space_group_name_H-M_alt", "_symmetry_space_group_name_H-M"),
        space_group_number=int(number) if number is not None else None,
        z=num("_cell_formula_units_Z"),
        density_measured=measured,
        density_calculated=stated if stated is not None else computed,
        density_basis="stated in CIF" if stated is not None else ("computed from Z, formula and cell" if computed else None),
        temperature=temperature,
        temperature_basis=t_basis,
        r_factor=num("_refine_ls_R_factor_gt"),
        source_name=source_name,
    )


def _numbers(block: Any):
    def num(tag: str) -> float | None:
        return to_number(_value(block, tag))

    return num


def formula_mass(formula: str | None) -> float | None:
    """Molar mass (g/mol) of a CIF ``_chemical_formula_sum`` such as ``'C2 H24 N2 Na2 O14 P2'``."""
    import gemmi

    if not formula:
        return None
    total = 0.0
    for token in formula.replace("-", " ").split():
        match = _FORMULA_TOKEN.match(token)
        if not match:
            return None
        element = gemmi.Element(match.group(1))
        if element.atomic_number == 0:
            return None
        total += element.weight * (float(match.group(2)) if match.group(2) else 1.0)
    return total or None


def density_from_cell(formula: str | None, z: float | None, volume: float | None) -> float | None:
    """ρ = Z·M / (N_A·V) in g/cm³ (V in Å³ = 1e-24 cm³)."""
    mass = formula_mass(formula)
    if mass is None or not z or not volume:
        return None
    return z * mass / (AVOGADRO * volume * 1e-24)


def hill_formula(formula: str | None) -> str | None:
    """A CIF formula in compact Hill form (``C2H24N2Na2O14P2``) for comparison with stored formulas."""
    if not formula:
        return None
    parts: list[tuple[str, str]] = []
    for token in formula.replace("-", " ").split():
        match = _FORMULA_TOKEN.match(token)
        if not match:
            return None
        count = match.group(2)
        parts.append((match.group(1), "" if count in ("", "1") else count))
    return "".join(f"{el}{n}" for el, n in parts)


def iter_cif_files(paths: list[str | Path]) -> Iterator[Path]:
    for p in paths:
        path = Path(p)
        if path.is_dir():
            yield from sorted(path.glob("*.cif"))
        else:
            yield path
