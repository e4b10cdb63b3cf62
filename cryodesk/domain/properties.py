"""The property vocabulary: canonical keys, labels, expected dimension, and header aliases.

Imports map column headers (``Tg (K)``, ``mp_C``, ``Tm_exp (K)``) onto these keys so one property is
one column in the app whatever the file called it. Unknown properties are kept under a key derived
from the header, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PropertyInfo:
    key: str
    label: str
    dimension: str | None
    default_unit: str | None
    aliases: tuple[str, ...] = ()


PROPERTIES: tuple[PropertyInfo, ...] = (
    PropertyInfo("tg", "Glass transition Tg", "temperature", "K", ("tg", "glass_transition", "glass_transition_temperature")),
    PropertyInfo("tg_prime", "Tg′ (freeze-concentrated)", "temperature", "K", ("tg_prime", "tgprime", "tg'")),
    PropertyInfo("melting_point", "Melting point", "temperature", "degC",
                 ("mp", "melting_point", "tm", "tm_exp", "mpc", "melting_temperature", "fusion_temperature")),
    PropertyInfo("boiling_point", "Boiling point", "temperature", "degC", ("bp", "boiling_point")),
    PropertyInfo("log_solubility", "log aqueous solubility", "log_concentration", "log10(M)",
                 ("logs", "log_solubility", "solubility_log", "measured_log_solubility")),
    PropertyInfo("logp", "logP (octanol/water)", "dimensionless", "1", ("logp", "xlogp", "clogp")),
    PropertyInfo("density", "Density", "density", "g/mL", ("density", "rho")),
    PropertyInfo("viscosity", "Viscosity", "viscosity", "cP", ("viscosity", "eta")),
    PropertyInfo("molecular_weight", "Molecular weight", "molar_mass", "g/mol", ("mw", "molecular_weight", "molwt")),
    PropertyInfo("viability", "Post-thaw viability", "fraction", "%", ("viability", "post_thaw_viability")),
    PropertyInfo("ld50", "LD50", "dose", "mg/kg", ("ld50",)),
)

_BY_ALIAS = {alias: info for info in PROPERTIES for alias in (info.key, *info.aliases)}


def property_key(name: str) -> str:
    """Canonical key for a header's property name (without its unit)."""
    slug = re.sub(r"[^0-9a-z']+", "_", name.casefold()).strip("_")
    info = _BY_ALIAS.get(slug)
    return info.key if info else slug


def property_info(key: str) -> PropertyInfo | None:
    return _BY_ALIAS.get(key)


def property_label(key: str) -> str:
    info = _BY_ALIAS.get(key)
    return info.label if info else key.replace("_", " ")
