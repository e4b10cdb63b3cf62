"""Concentration units and the per-component constants (molar mass, density) they need.

Every constant is a :class:`SourcedValue`: a number together with the basis it rests on
(``"store: pubchem"``, ``"default table: ..."``). Functions here never invent a constant: when a
conversion needs a molar mass or density that was not supplied they raise
:class:`MissingQuantityError`, which names the component and the quantity.

Only conversions inside the *per-volume* group (M, mM, mg/mL, % w/v, and % v/v given the neat
density) are done here, because they need nothing but the component's own constants. Conversions
that involve the solution as a whole (% w/w, molal, mole fraction) need the amount of water per litre,
and live in :mod:`cryodesk.mixtures.composition`.

Conventions (as in ``shared/data/cpa_mixtures/notes.md``): ``M`` = mol per litre of solution,
``m`` = mol per kg of water, ``% w/v`` = g per 100 mL of solution, ``% v/v`` = mL of the neat
component per 100 mL of solution, ``% w/w`` = g per 100 g of solution, ``x`` = mole fraction over all
species including water.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from cryodesk.domain.errors import CryoDeskError


class Unit(StrEnum):
    """Concentration units understood by the mixture code."""

    PERCENT_WW = "% w/w"
    PERCENT_WV = "% w/v"
    PERCENT_VV = "% v/v"
    MOLAR = "M"
    MILLIMOLAR = "mM"
    MG_PER_ML = "mg/mL"
    MOLAL = "m"
    MOLE_FRACTION = "x"


#: Units whose value fixes the component's mass per litre of solution from its own constants alone.
PER_VOLUME_UNITS: frozenset[Unit] = frozenset(
    {Unit.MOLAR, Unit.MILLIMOLAR, Unit.MG_PER_ML, Unit.PERCENT_WV, Unit.PERCENT_VV}
)

# Case matters only for the one-letter codes (M = molar, m = molal); everything else is matched
# after lower-casing and dropping spaces and brackets, so "% (w/v)", "%w/v" and "w/v %" all match.
_EXACT_ALIASES: dict[str, Unit] = {"M": Unit.MOLAR, "m": Unit.MOLAL, "mM": Unit.MILLIMOLAR, "x": Unit.MOLE_FRACTION}
_LOOSE_ALIASES: dict[str, Unit] = {
    "%w/w": Unit.PERCENT_WW, "w/w%": Unit.PERCENT_WW, "wt%": Unit.PERCENT_WW, "%wt": Unit.PERCENT_WW,
    "%w/v": Unit.PERCENT_WV, "w/v%": Unit.PERCENT_WV, "g/100ml": Unit.PERCENT_WV,
    "%v/v": Unit.PERCENT_VV, "v/v%": Unit.PERCENT_VV, "vol%": Unit.PERCENT_VV, "ml/100ml": Unit.PERCENT_VV,
    "mol/l": Unit.MOLAR, "moll-1": Unit.MOLAR, "mol/dm3": Unit.MOLAR, "moldm-3": Unit.MOLAR, "molar": Unit.MOLAR,
    "mmol/l": Unit.MILLIMOLAR, "millimolar": Unit.MILLIMOLAR,
    "mg/ml": Unit.MG_PER_ML, "g/l": Unit.MG_PER_ML,  # 1 mg/mL is exactly 1 g/L
    "mol/kg": Unit.MOLAL, "molkg-1": Unit.MOLAL, "molal": Unit.MOLAL, "mol/kgwater": Unit.MOLAL,
    "molefraction": Unit.MOLE_FRACTION, "molfraction": Unit.MOLE_FRACTION, "x": Unit.MOLE_FRACTION,
}


class UnitError(CryoDeskError):
    """A unit string is not recognised, or a conversion between two units is not defined."""


@dataclass(frozen=True, slots=True)
class MissingQuantity:
    """One constant a conversion needed but did not get."""

    component: str
    quantity: str  # e.g. "molar mass (g/mol)", "density of the neat component (g/mL)"
    needed_for: str  # e.g. "% v/v -> M"

    def describe(self) -> str:
        return f"{self.quantity} of '{self.component}' (needed for {self.needed_for})"


class MissingQuantityError(CryoDeskError):
    """A conversion needs a molar mass or density that was not supplied; nothing was guessed."""

    def __init__(self, missing: Iterable[MissingQuantity]) -> None:
        self.missing: tuple[MissingQuantity, ...] = tuple(missing)
        listed = "; ".join(m.describe() for m in self.missing)
        super().__init__(
            f"Missing {listed}. Supply the value with its basis (a store value or a stated default); "
            "CryoDesk does not guess it."
        )


def parse_unit(text: str | Unit) -> Unit:
    """Return the :class:`Unit` for a unit string as published (``"% (w/v)"``, ``"mol/L"``, ``"m"`` ...).

    Raises:
        UnitError: the string is not a known unit. ``"mm"`` and ``"MM"`` are refused because they are
            ambiguous between mM and a typo.
    """
    if isinstance(text, Unit):
        return text
    raw = text.strip()
    if raw in _EXACT_ALIASES:
        return _EXACT_ALIASES[raw]
    try:
        return Unit(raw)
    except ValueError:
        pass
    loose = raw.lower().replace(" ", "").replace("(", "").replace(")", "").replace("·", "").replace("−", "-")
    if loose in _LOOSE_ALIASES and raw not in ("mm", "MM"):
        return _LOOSE_ALIASES[loose]
    raise UnitError(f"Unknown concentration unit {text!r}; known: {', '.join(u.value for u in Unit)}")


@dataclass(frozen=True, slots=True)
class SourcedValue:
    """A physical constant with the basis it rests on.

    Attributes:
        value: the number, in the unit stated by the field that holds it.
        basis: where it comes from, e.g. ``"store: pubchem"`` or ``"default table: notes.md"``.
        sigma: standard uncertainty in the same unit, when known.
    """

    value: float
    basis: str
    sigma: float | None = None

    def __post_init__(self) -> None:
        if not self.value > 0:
            raise ValueError(f"a molar mass or density must be positive, got {self.value!r} ({self.basis})")


@dataclass(frozen=True, slots=True)
class ComponentProperties:
    """Constants of one component that unit conversions use.

    Attributes:
        name: display name.
        molar_mass: g/mol.
        density: density of the neat component in g/mL (liquid at 20-25 °C for liquids; for solids the
            crystal density, which in an ideal-volume estimate stands in for the partial specific volume).
        inchikey: standard InChIKey when the component is a defined compound.
        aliases: other names the default table answers to.
    """

    name: str
    molar_mass: SourcedValue | None = None
    density: SourcedValue | None = None
    inchikey: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


_NOTES = "default table: shared/data/cpa_mixtures/notes.md ('Unit notes'; neat liquid at 20-25 °C)"
_NOTES_MW = "default table: shared/data/cpa_mixtures/notes.md (molar masses)"
_IK = "InChIKey computed with RDKit 2026.09.1 from the SMILES of the named compound"

#: Water: 18.015 g/mol (IUPAC atomic weights); 0.9982 g/mL at 20 °C (standard table value, as in the
#: CRC Handbook), chosen at 20 °C to match the 20 °C basis of most neat-CPA densities below.
WATER = ComponentProperties(
    name="water",
    molar_mass=SourcedValue(18.015, "default: IUPAC standard atomic weights (H2O)"),
    density=SourcedValue(0.9982, "default: liquid water at 20 °C (CRC Handbook table value)"),
    inchikey="XLYOFNOQVPJJNP-UHFFFAOYSA-N",
    aliases=("h2o",),
)


def _cpa(name: str, mw: float, rho: float | None, inchikey: str, aliases: tuple[str, ...],
         rho_basis: str = _NOTES) -> ComponentProperties:
    return ComponentProperties(
        name=name,
        molar_mass=SourcedValue(mw, _NOTES_MW),
        density=SourcedValue(rho, rho_basis) if rho is not None else None,
        inchikey=inchikey,
        aliases=aliases,
    )


#: Stated defaults for common CPAs. Molar masses and liquid densities are those of notes.md; where
#: notes.md gives no density the entry has none (so a conversion that needs it fails loudly), except
#: the two below whose source is named in the basis string. InChIKeys: see ``_IK``.
DEFAULT_PROPERTIES: tuple[ComponentProperties, ...] = (
    WATER,
    _cpa("DMSO", 78.13, 1.100, "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", ("dimethyl sulfoxide", "dimethyl sulphoxide", "me2so")),
    _cpa("formamide", 45.04, 1.133, "ZHNUHDYFZUAESO-UHFFFAOYSA-N", ("fa", "methanamide")),
    _cpa("1,2-propanediol", 76.09, 1.036, "DNIAPMSPPWPWGF-UHFFFAOYSA-N",
         ("pg", "propylene glycol", "proh", "propane-1,2-diol", "1,2-pd")),
    _cpa("ethylene glycol", 62.07, 1.113, "LYCAIKOWRPUZTN-UHFFFAOYSA-N", ("eg", "ethane-1,2-diol", "1,2-ethanediol")),
    _cpa("glycerol", 92.09, 1.261, "PEDCQBHIVMGVHV-UHFFFAOYSA-N", ("glycerin", "propane-1,2,3-triol", "gly")),
    _cpa("acetamide", 59.07, None, "DLFVBJFMPXGRIB-UHFFFAOYSA-N", ()),
    _cpa("N-methylformamide", 59.07, 1.011, "ATHHXGZTWNVVOU-UHFFFAOYSA-N", ("nmf",),
         rho_basis="default: 1.011 g/mL at 25 °C (Wikipedia 'N-Methylformamide' infobox); not in notes.md"),
    _cpa("3-methoxy-1,2-propanediol", 106.12, None, "PSJBSUHYCGQTHZ-UHFFFAOYSA-N", ("mpd", "3-methoxypropane-1,2-diol")),
    _cpa("sucrose", 342.30, 1.5879, "CZMRCDWAGMRECN-UGDNZRGBSA-N", ("saccharose",),
         rho_basis="default: crystalline sucrose 1.5879 g/cm3 (Merck Index, as quoted by CAMEO/MFA); "
                   "crystal density used in place of the partial specific volume in solution"),
    _cpa("trehalose", 342.30, None, "HDTRYLNUVZCQOY-LIZSDCNHSA-N", ("alpha,alpha-trehalose", "d-trehalose")),
)


def _norm(name: str) -> str:
    return " ".join(name.strip().lower().split())


def default_properties(name_or_inchikey: str) -> ComponentProperties | None:
    """Look a component up in :data:`DEFAULT_PROPERTIES` by name, alias or InChIKey (case-insensitive)."""
    key = _norm(name_or_inchikey)
    for props in DEFAULT_PROPERTIES:
        names = {_norm(props.name), *(_norm(a) for a in props.aliases)}
        if key in names or (props.inchikey is not None and key == props.inchikey.lower()):
            return props
    return None


def grams_per_litre(value: float, unit: Unit, props: ComponentProperties) -> float:
    """Mass of a component per litre of solution (g/L) from a per-volume amount.

    Args:
        value: the amount in ``unit``.
        unit: one of :data:`PER_VOLUME_UNITS`.
        props: the component's constants; M and mM need its molar mass, % v/v its neat density.

    Raises:
        MissingQuantityError: the constant the unit needs is missing.
        UnitError: ``unit`` depends on the rest of the solution (% w/w, m, x).
    """
    if unit is Unit.MG_PER_ML:
        return value
    if unit is Unit.PERCENT_WV:
        return 10.0 * value
    if unit in (Unit.MOLAR, Unit.MILLIMOLAR):
        mw = require_molar_mass(props, f"{unit.value} -> g/L")
        return value * mw * (1e-3 if unit is Unit.MILLIMOLAR else 1.0)
    if unit is Unit.PERCENT_VV:
        # notes.md: M = %v/v x 10 x rho / MW, i.e. %v/v mL of neat liquid per 100 mL solution.
        return 10.0 * value * require_density(props, "% v/v -> g/L")
    raise UnitError(f"{unit.value} is not a per-volume unit; use solve_composition for it")


def from_grams_per_litre(g_per_l: float, unit: Unit, props: ComponentProperties) -> float:
    """Inverse of :func:`grams_per_litre`: express a mass per litre of solution in a per-volume unit."""
    if unit is Unit.MG_PER_ML:
        return g_per_l
    if unit is Unit.PERCENT_WV:
        return g_per_l / 10.0
    if unit in (Unit.MOLAR, Unit.MILLIMOLAR):
        mw = require_molar_mass(props, f"g/L -> {unit.value}")
        return g_per_l / mw * (1e3 if unit is Unit.MILLIMOLAR else 1.0)
    if unit is Unit.PERCENT_VV:
        return g_per_l / (10.0 * require_density(props, "g/L -> % v/v"))
    raise UnitError(f"{unit.value} is not a per-volume unit; use solve_composition for it")


def convert_per_volume(value: float, from_unit: Unit | str, to_unit: Unit | str, props: ComponentProperties) -> float:
    """Convert between M, mM, mg/mL, % w/v and % v/v using only the component's own constants.

    Example: 22.305 % w/v DMSO -> 223.05 g/L / 78.13 g/mol = 2.855 M.
    """
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    return from_grams_per_litre(grams_per_litre(value, src, props), dst, props)


def require_molar_mass(props: ComponentProperties, needed_for: str) -> float:
    """The molar mass in g/mol, or :class:`MissingQuantityError` naming the component."""
    if props.molar_mass is None:
        raise MissingQuantityError([MissingQuantity(props.name, "molar mass (g/mol)", needed_for)])
    return props.molar_mass.value


def require_density(props: ComponentProperties, needed_for: str) -> float:
    """The neat density in g/mL, or :class:`MissingQuantityError` naming the component."""
    if props.density is None:
        raise MissingQuantityError(
            [MissingQuantity(props.name, "density of the neat component (g/mL)", needed_for)]
        )
    return props.density.value
