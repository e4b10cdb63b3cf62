"""Unit vocabulary: canonical spellings, dimensions and the conversions that need no material data.

Concentration conversions that need molar masses or densities live in ``cryodesk.mixtures``; this
module only knows units that convert by formula (temperature) or by a constant factor.
"""

from __future__ import annotations

from dataclasses import dataclass

# alias (case-folded, spaces removed) -> canonical unit
_ALIASES: dict[str, str] = {
    "k": "K", "kelvin": "K",
    "c": "degC", "°c": "degC", "degc": "degC", "celsius": "degC", "ºc": "degC", "deg.c": "degC",
    "f": "degF", "°f": "degF", "degf": "degF", "fahrenheit": "degF",
    "m": "M", "mol/l": "M", "mol·l-1": "M", "mol/dm3": "M", "moll-1": "M",
    "mm": "mM", "mmol/l": "mM", "um": "uM", "µm": "uM", "μm": "uM", "nm": "nM",
    "mol/kg": "m", "molal": "m",
    "log(mol/l)": "log10(M)", "log10(mol/l)": "log10(M)", "logmol/l": "log10(M)", "log10(m)": "log10(M)",
    "log(m)": "log10(M)",
    "g/mol": "g/mol", "da": "g/mol", "dalton": "g/mol",
    "g/ml": "g/mL", "g/cm3": "g/mL", "g/cm^3": "g/mL", "kg/l": "g/mL",
    "mg/ml": "mg/mL", "g/l": "mg/mL",
    "cp": "cP", "mpa·s": "cP", "mpa*s": "cP", "mpas": "cP", "mpa.s": "cP",
    "log10(cp)": "log10(cP)", "log(cp)": "log10(cP)",
    "%": "%", "pct": "%", "percent": "%",
    "%w/w": "% w/w", "%(w/w)": "% w/w", "wt%": "% w/w",
    "%w/v": "% w/v", "%(w/v)": "% w/v",
    "%v/v": "% v/v", "%(v/v)": "% v/v", "vol%": "% v/v",
    "mg/kg": "mg/kg", "kj/mol": "kJ/mol", "j/(mol·k)": "J/(mol K)", "a^2": "A^2", "å2": "A^2", "å^2": "A^2",
    "-": "1", "unitless": "1", "dimensionless": "1", "1": "1",
}

DIMENSIONS: dict[str, str] = {
    "K": "temperature", "degC": "temperature", "degF": "temperature",
    "M": "concentration", "mM": "concentration", "uM": "concentration", "nM": "concentration",
    "m": "molality", "log10(M)": "log_concentration", "g/mol": "molar_mass", "g/mL": "density",
    "mg/mL": "mass_concentration", "cP": "viscosity", "log10(cP)": "log_viscosity", "%": "fraction",
    "% w/w": "fraction", "% w/v": "mass_concentration_pct", "% v/v": "fraction", "mg/kg": "dose",
    "kJ/mol": "energy", "J/(mol K)": "entropy", "A^2": "area", "1": "dimensionless",
}

_FACTORS_TO_BASE: dict[str, tuple[str, float]] = {
    "mM": ("M", 1e-3), "uM": ("M", 1e-6), "nM": ("M", 1e-9), "M": ("M", 1.0),
}


def canonical_unit(text: str | None) -> str | None:
    """Canonical spelling of a unit, or None when the unit is not known."""
    if text is None:
        return None
    key = "".join(text.split()).casefold().replace("−", "-").replace("^-1", "-1")
    return _ALIASES.get(key)


def dimension(unit: str) -> str | None:
    return DIMENSIONS.get(unit)


@dataclass(frozen=True, slots=True)
class Conversion:
    value: float
    unit: str


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert between canonical units of the same dimension (temperature, molar concentration).

    Raises:
        ValueError: the units cannot be converted into each other without material data.
    """
    if from_unit == to_unit:
        return value
    if from_unit in ("K", "degC", "degF") and to_unit in ("K", "degC", "degF"):
        kelvin = {"K": value, "degC": value + 273.15, "degF": (value - 32.0) * 5.0 / 9.0 + 273.15}[from_unit]
        return {"K": kelvin, "degC": kelvin - 273.15, "degF": (kelvin - 273.15) * 9.0 / 5.0 + 32.0}[to_unit]
    if from_unit in _FACTORS_TO_BASE and to_unit in _FACTORS_TO_BASE:
        return value * _FACTORS_TO_BASE[from_unit][1] / _FACTORS_TO_BASE[to_unit][1]
    raise ValueError(f"cannot convert {from_unit} to {to_unit}")


def below_absolute_zero(value: float, unit: str) -> bool:
    if unit not in ("K", "degC", "degF"):
        return False
    return convert(value, unit, "K") < 0.0
