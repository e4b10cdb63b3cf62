"""Mixture domain computations: composition maths and units, interaction graph, Tg physics, synergy,
and learned mixture models (``featurize``: permutation-invariant mixture features; ``viscosity`` and
``viability``: models trained with :mod:`cryodesk.ml`, each beside the old plan's baseline).

No Qt and no store here: molar masses, densities and pure-component Tg values are passed in with their
provenance (see :class:`~cryodesk.mixtures.units.SourcedValue` and
:class:`~cryodesk.mixtures.glass_transition.PureTg`).
"""

from __future__ import annotations

from cryodesk.mixtures.composition import (
    Component,
    ComponentBreakdown,
    Composition,
    CompositionBreakdown,
    CompositionError,
    Conversion,
    component,
    convert_amount,
    solve_composition,
)
from cryodesk.mixtures.units import (
    DEFAULT_PROPERTIES,
    WATER,
    ComponentProperties,
    MissingQuantity,
    MissingQuantityError,
    SourcedValue,
    Unit,
    UnitError,
    convert_per_volume,
    default_properties,
    parse_unit,
)

__all__ = [
    "DEFAULT_PROPERTIES",
    "WATER",
    "Component",
    "ComponentBreakdown",
    "ComponentProperties",
    "Composition",
    "CompositionBreakdown",
    "CompositionError",
    "Conversion",
    "MissingQuantity",
    "MissingQuantityError",
    "SourcedValue",
    "Unit",
    "UnitError",
    "component",
    "convert_amount",
    "convert_per_volume",
    "default_properties",
    "parse_unit",
    "solve_composition",
]
