"""Compositions of CPA solutions and the full per-litre breakdown of a published recipe.

A recipe is stored as published (amount + unit per component, see ``MixtureComponent``). The solver
turns any mix of units into masses per litre of solution, water included, and from there into every
other unit. All constraints are linear in the component masses, so one linear solve handles recipes
such as M22 (all % w/v), Cryotop VS (% v/v plus M sucrose), or model-optimised molal cocktails:

* per-volume units (M, mM, mg/mL, % w/v, % v/v):  m_i = fixed g/L
* % w/w:                                          m_i - (w_i / 100) * sum_j m_j = 0
* molal (mol/kg water):                           m_i - b_i * MW_i / 1000 * m_water = 0
* mole fraction:                                  m_i / MW_i - x_i * sum_j m_j / MW_j = 0
* closure, known solution density rho (g/mL):     sum_j m_j = 1000 * rho
* closure, otherwise ideal volume additivity:     sum_j m_j / rho_j = 1000 mL

Water is the unknown that the closure fixes (the remainder). Every approximation used is written into
the result's ``assumptions``; every constant used is written with its basis into ``bases``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cryodesk.domain.errors import CryoDeskError
from cryodesk.domain.records import ComponentRole, Mixture
from cryodesk.mixtures.units import (
    PER_VOLUME_UNITS,
    WATER,
    ComponentProperties,
    MissingQuantity,
    MissingQuantityError,
    SourcedValue,
    Unit,
    UnitError,
    default_properties,
    from_grams_per_litre,
    grams_per_litre,
    parse_unit,
)

#: Relative tolerance when a recipe states the water amount too and it is checked against the remainder.
WATER_CHECK_RTOL = 0.01

_CALLER = "supplied by caller (no basis stated)"


class CompositionError(CryoDeskError):
    """A recipe cannot describe a real solution (e.g. its solutes take more than one litre)."""


@dataclass(frozen=True, slots=True)
class Component:
    """One component of a recipe, with the constants the solver may need.

    Attributes:
        name: display name.
        amount: the amount as published, in ``unit``; None for a carrier or water that fills the rest.
        unit: the published unit.
        role: penetrating / non-penetrating CPA, polymer, carrier, water, other.
        molar_mass: g/mol with basis; None for undefined materials (PVP K12, serum).
        density: neat density in g/mL with basis.
        inchikey: standard InChIKey, when the component is a defined compound.
    """

    name: str
    amount: float | None
    unit: Unit | None
    role: ComponentRole = ComponentRole.PENETRATING
    molar_mass: SourcedValue | None = None
    density: SourcedValue | None = None
    inchikey: str | None = None

    @property
    def properties(self) -> ComponentProperties:
        return ComponentProperties(self.name, self.molar_mass, self.density, self.inchikey)

    @property
    def fills_remainder(self) -> bool:
        """Water, or a carrier with no stated amount: lumped into the water that fills the litre."""
        return self.role is ComponentRole.WATER or (self.role is ComponentRole.CARRIER and self.amount is None)


def _sourced(value: float | SourcedValue | None) -> SourcedValue | None:
    if value is None or isinstance(value, SourcedValue):
        return value
    return SourcedValue(float(value), _CALLER)


def component(
    name: str,
    amount: float | None = None,
    unit: Unit | str | None = None,
    role: ComponentRole = ComponentRole.PENETRATING,
    *,
    molar_mass: float | SourcedValue | None = None,
    density: float | SourcedValue | None = None,
    inchikey: str | None = None,
    use_defaults: bool = True,
) -> Component:
    """Build a :class:`Component`, filling constants that were not given from the default table.

    Args:
        name: component name; also the key into :data:`~cryodesk.mixtures.units.DEFAULT_PROPERTIES`.
        amount: amount in ``unit`` (None for a carrier that fills the rest).
        unit: published unit, parsed with :func:`~cryodesk.mixtures.units.parse_unit`.
        role: component role.
        molar_mass: g/mol; a bare float is recorded as "supplied by caller".
        density: neat density in g/mL; a bare float is recorded as "supplied by caller".
        inchikey: InChIKey, if known.
        use_defaults: fill missing constants from the default table (each keeps the table's basis).
    """
    mw, rho = _sourced(molar_mass), _sourced(density)
    defaults = None
    if use_defaults:
        defaults = (default_properties(inchikey) if inchikey else None) or default_properties(name)
    if defaults is not None:
        mw = mw or defaults.molar_mass
        rho = rho or defaults.density
        inchikey = inchikey or defaults.inchikey
    return Component(
        name=name,
        amount=amount,
        unit=parse_unit(unit) if unit is not None else None,
        role=role,
        molar_mass=mw,
        density=rho,
        inchikey=inchikey,
    )


@dataclass(frozen=True, slots=True)
class Composition:
    """A recipe: components with published amounts, plus the constants of water.

    Attributes:
        components: the components (water may be listed or left implicit).
        name: recipe name, e.g. ``"VS55"``.
        water: constants used for the water that fills the remainder.
    """

    components: tuple[Component, ...]
    name: str | None = None
    water: ComponentProperties = WATER

    @classmethod
    def from_mixture(
        cls,
        mixture: Mixture,
        properties: Mapping[str, ComponentProperties] | None = None,
        *,
        use_defaults: bool = True,
    ) -> Composition:
        """Build a composition from a stored :class:`~cryodesk.domain.records.Mixture`.

        Args:
            mixture: the stored recipe (amounts and units as published).
            properties: constants from the store, keyed by InChIKey or by component name; each value's
                ``SourcedValue.basis`` should say where it came from (e.g. ``"store: pubchem"``).
            use_defaults: fill what ``properties`` lacks from the default table.
        """
        lookup = {k.lower(): v for k, v in (properties or {}).items()}
        built = []
        for mc in mixture.components:
            given = lookup.get((mc.inchikey or "").lower()) or lookup.get(mc.name.lower())
            built.append(
                component(
                    mc.name,
                    mc.amount,
                    mc.unit,
                    mc.role,
                    molar_mass=given.molar_mass if given else None,
                    density=given.density if given else None,
                    inchikey=mc.inchikey or (given.inchikey if given else None),
                    use_defaults=use_defaults,
                )
            )
        return cls(tuple(built), name=mixture.name)


@dataclass(frozen=True, slots=True)
class ComponentBreakdown:
    """One component per litre of solution. ``None`` means "not computable" (see ``missing``).

    Units: mass_g in g, moles in mol, neat_volume_mL in mL (volume of the neat component before mixing),
    molarity in mol/L, percent_* in %, molality in mol/kg water, mole_fraction dimensionless.
    """

    name: str
    role: ComponentRole
    inchikey: str | None
    mass_g: float | None
    moles: float | None
    neat_volume_mL: float | None
    percent_ww: float | None
    molality: float | None
    mole_fraction: float | None
    given_amount: float | None = None
    given_unit: Unit | None = None
    missing: tuple[str, ...] = ()

    @property
    def molarity(self) -> float | None:
        return self.moles  # per litre of solution by construction

    @property
    def percent_wv(self) -> float | None:
        return None if self.mass_g is None else self.mass_g / 10.0

    @property
    def percent_vv(self) -> float | None:
        return None if self.neat_volume_mL is None else self.neat_volume_mL / 10.0

    def amount(self, unit: Unit | str) -> float:
        """The amount in any unit, or an error that says why it is not available."""
        u = parse_unit(unit)
        value = {
            Unit.MOLAR: self.molarity,
            Unit.MILLIMOLAR: None if self.moles is None else self.moles * 1e3,
            Unit.MG_PER_ML: self.mass_g,
            Unit.PERCENT_WV: self.percent_wv,
            Unit.PERCENT_VV: self.percent_vv,
            Unit.PERCENT_WW: self.percent_ww,
            Unit.MOLAL: self.molality,
            Unit.MOLE_FRACTION: self.mole_fraction,
        }[u]
        if value is None:
            why = "; ".join(self.missing) or "not computed"
            raise MissingQuantityError([MissingQuantity(self.name, f"amount in {u.value}", why)])
        return value


@dataclass(frozen=True, slots=True)
class CompositionBreakdown:
    """The full per-litre breakdown of a recipe.

    Attributes:
        name: recipe name.
        rows: one per component; water (with any carriers lumped into it) is the last row.
        solution_mass_g: mass of one litre of solution (g), None in a partial result.
        density_g_per_mL: solution density used or estimated, None in a partial result.
        density_basis: "given: ..." or "estimated by ideal volume additivity".
        assumptions: every approximation the numbers rest on.
        bases: every constant used, with its basis.
        partial: True when water could not be computed (only per-volume quantities of the solutes).
    """

    name: str | None
    rows: tuple[ComponentBreakdown, ...]
    solution_mass_g: float | None
    density_g_per_mL: float | None
    density_basis: str
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    bases: tuple[str, ...] = field(default_factory=tuple)
    partial: bool = False

    def row(self, name: str) -> ComponentBreakdown:
        for r in self.rows:
            if r.name.lower() == name.lower():
                return r
        raise KeyError(name)

    @property
    def water(self) -> ComponentBreakdown:
        return self.rows[-1]

    @property
    def solutes(self) -> tuple[ComponentBreakdown, ...]:
        return self.rows[:-1]

    def total_solute_percent_wv(self) -> float:
        """Sum of the solutes' % w/v (g per 100 mL), the number by which VS55 and VS83 are named."""
        return sum(r.mass_g or 0.0 for r in self.solutes) / 10.0

    def total_solute_molarity(self) -> float | None:
        """Sum of the solutes' mol/L, or None if one of them has no molar mass."""
        moles = [r.moles for r in self.solutes]
        return None if any(m is None for m in moles) else float(sum(moles))  # type: ignore[arg-type]

    def mass_fractions(self) -> dict[str, float]:
        """Mass fraction (0-1) per row name, water included; needs a complete (non-partial) result."""
        if self.partial or self.solution_mass_g is None:
            raise MissingQuantityError(
                [MissingQuantity(self.name or "recipe", "water mass per litre", "mass fractions")]
            )
        return {r.name: (r.mass_g or 0.0) / self.solution_mass_g for r in self.rows}

    def to_records(self) -> list[dict[str, object]]:
        """Plain dicts (one per row) for tables and CSV export; units in the keys."""
        return [
            {
                "name": r.name,
                "role": r.role.value,
                "inchikey": r.inchikey,
                "given": None if r.given_amount is None else f"{r.given_amount:g} {r.given_unit.value if r.given_unit else ''}".strip(),
                "mass_g_per_L": r.mass_g,
                "mol_per_L": r.molarity,
                "percent_wv": r.percent_wv,
                "percent_ww": r.percent_ww,
                "percent_vv": r.percent_vv,
                "molal_mol_per_kg_water": r.molality,
                "mole_fraction": r.mole_fraction,
                "missing": "; ".join(r.missing),
            }
            for r in self.rows
        ]


# --------------------------------------------------------------------------------------------- solver


def _validate(comp: Composition) -> tuple[list[Component], list[Component]]:
    explicit = [c for c in comp.components if not c.fills_remainder]
    filler = [c for c in comp.components if c.fills_remainder]
    for c in explicit:
        if c.amount is None or c.unit is None:
            raise CompositionError(
                f"'{c.name}' ({c.role.value}) has no amount/unit; only water or a carrier may fill the remainder"
            )
        if c.amount < 0:
            raise CompositionError(f"'{c.name}' has a negative amount ({c.amount})")
        if c.unit is Unit.MOLE_FRACTION and not c.amount < 1:
            raise CompositionError(f"'{c.name}': a solute mole fraction must be below 1, got {c.amount}")
    return explicit, filler


def _missing_for_rows(explicit: Sequence[Component], water: ComponentProperties) -> list[MissingQuantity]:
    """Constants the component equations need (the closure is checked separately)."""
    missing: list[MissingQuantity] = []
    needs_all_mw = any(c.unit is Unit.MOLE_FRACTION for c in explicit)
    for c in explicit:
        unit = c.unit
        assert unit is not None
        if unit in (Unit.MOLAR, Unit.MILLIMOLAR, Unit.MOLAL) and c.molar_mass is None:
            missing.append(MissingQuantity(c.name, "molar mass (g/mol)", f"{unit.value} -> mass"))
        if unit is Unit.PERCENT_VV and c.density is None:
            missing.append(MissingQuantity(c.name, "density of the neat component (g/mL)", "% v/v -> mass"))
        if needs_all_mw and c.molar_mass is None and unit is not Unit.MOLE_FRACTION:
            missing.append(MissingQuantity(c.name, "molar mass (g/mol)", "a mole-fraction amount elsewhere in the recipe"))
        if unit is Unit.MOLE_FRACTION and c.molar_mass is None:
            missing.append(MissingQuantity(c.name, "molar mass (g/mol)", "x -> mass"))
    if needs_all_mw and water.molar_mass is None:
        missing.append(MissingQuantity(water.name, "molar mass (g/mol)", "mole fraction"))
    return missing


def _missing_for_ideal_closure(explicit: Sequence[Component], water: ComponentProperties) -> list[MissingQuantity]:
    need = "the solution density by ideal volume additivity (or supply the solution density)"
    missing = [
        MissingQuantity(c.name, "density of the neat component (g/mL)", need) for c in explicit if c.density is None
    ]
    if water.density is None:
        missing.append(MissingQuantity(water.name, "density (g/mL)", need))
    return missing


def _system(
    explicit: Sequence[Component], water: ComponentProperties, rho_solution: float | None
) -> tuple[np.ndarray, np.ndarray]:
    n = len(explicit) + 1  # unknown masses; water is the last
    a = np.zeros((n, n))
    b = np.zeros(n)
    mw = [c.molar_mass.value if c.molar_mass else np.nan for c in explicit] + [
        water.molar_mass.value if water.molar_mass else np.nan
    ]
    for i, c in enumerate(explicit):
        unit, v = c.unit, float(c.amount)  # type: ignore[arg-type]
        assert unit is not None
        if unit in PER_VOLUME_UNITS:
            a[i, i] = 1.0
            b[i] = grams_per_litre(v, unit, c.properties)
        elif unit is Unit.PERCENT_WW:
            a[i, :] = -v / 100.0
            a[i, i] += 1.0
        elif unit is Unit.MOLAL:
            a[i, i] = 1.0
            a[i, n - 1] = -v * mw[i] / 1000.0
        elif unit is Unit.MOLE_FRACTION:
            a[i, :] = -v / np.asarray(mw)
            a[i, i] += 1.0 / mw[i]
        else:  # pragma: no cover - every Unit is handled above
            raise UnitError(f"unhandled unit {unit}")
    if rho_solution is not None:
        a[n - 1, :] = 1.0
        b[n - 1] = 1000.0 * rho_solution
    else:
        rho = [c.density.value for c in explicit] + [water.density.value]  # type: ignore[union-attr]
        a[n - 1, :] = 1.0 / np.asarray(rho)
        b[n - 1] = 1000.0
    return a, b


def _bases(explicit: Sequence[Component], water: ComponentProperties, used_density: bool) -> list[str]:
    out = []
    for c in [*explicit, water]:
        if c.molar_mass is not None:
            out.append(f"{c.name}: molar mass {c.molar_mass.value:g} g/mol ({c.molar_mass.basis})")
        if c.density is not None and (used_density or getattr(c, "unit", None) is Unit.PERCENT_VV):
            out.append(f"{c.name}: neat density {c.density.value:g} g/mL ({c.density.basis})")
    return out


def _common_assumptions(comp: Composition, explicit: Sequence[Component], filler: Sequence[Component]) -> list[str]:
    notes = []
    if not any(c.role is ComponentRole.WATER for c in comp.components):
        notes.append("No water component is listed: water is taken to make up the rest of the litre.")
    for c in filler:
        if c.role is ComponentRole.CARRIER:
            notes.append(
                f"Carrier '{c.name}' is treated as pure water; its own solutes (salts, sugars, buffer) are ignored."
            )
    if any(c.unit is Unit.PERCENT_VV for c in explicit):
        notes.append("% v/v is read as mL of the neat component (before mixing) per 100 mL of final solution.")
    return notes


def _partial(comp: Composition, explicit: Sequence[Component], why: MissingQuantityError,
             notes: list[str]) -> CompositionBreakdown:
    reason = "no % w/w, molality or mole fraction: water per litre unknown (see density_basis)"
    rows = []
    for c in explicit:
        mass = grams_per_litre(float(c.amount), c.unit, c.properties)  # type: ignore[arg-type]
        rows.append(
            ComponentBreakdown(
                name=c.name, role=c.role, inchikey=c.inchikey, mass_g=mass,
                moles=mass / c.molar_mass.value if c.molar_mass else None,
                neat_volume_mL=mass / c.density.value if c.density else None,
                percent_ww=None, molality=None, mole_fraction=None,
                given_amount=c.amount, given_unit=c.unit,
                missing=(reason,) + (() if c.molar_mass else ("molar mass missing",)),
            )
        )
    rows.append(ComponentBreakdown(comp.water.name, ComponentRole.WATER, comp.water.inchikey, None, None, None,
                                   None, None, None, missing=(reason,)))
    return CompositionBreakdown(
        name=comp.name, rows=tuple(rows), solution_mass_g=None, density_g_per_mL=None,
        density_basis=f"unknown: {why}", assumptions=tuple(notes),
        bases=tuple(_bases(explicit, comp.water, used_density=False)), partial=True,
    )


def solve_composition(
    comp: Composition,
    *,
    solution_density: float | SourcedValue | None = None,
    allow_partial: bool = False,
) -> CompositionBreakdown:
    """Compute the mass, moles and neat volume of every component, water included, per litre of solution.

    Args:
        comp: the recipe in any mix of units.
        solution_density: density of the final solution in g/mL with its basis. When None the density is
            estimated by ideal volume additivity of the neat components, which needs every component's
            neat density, and the assumption is recorded.
        allow_partial: when the water cannot be computed (a density is missing) but every solute is in a
            per-volume unit, return the solutes' per-volume figures with ``partial=True`` instead of raising.

    Returns:
        The breakdown; ``assumptions`` and ``bases`` say what the numbers rest on.

    Raises:
        MissingQuantityError: a molar mass or density the recipe needs is missing (all are listed).
        CompositionError: the recipe is infeasible (e.g. solutes exceed one litre) or inconsistent.
    """
    explicit, filler = _validate(comp)
    rho_given = _sourced(solution_density)
    notes = _common_assumptions(comp, explicit, filler)
    missing = _missing_for_rows(explicit, comp.water)
    if missing:
        raise MissingQuantityError(missing)
    if rho_given is None:
        closure_missing = _missing_for_ideal_closure(explicit, comp.water)
        if closure_missing:
            err = MissingQuantityError(closure_missing)
            if allow_partial and all(c.unit in PER_VOLUME_UNITS for c in explicit):
                return _partial(comp, explicit, err, notes)
            raise err
    a, b = _system(explicit, comp.water, rho_given.value if rho_given else None)
    try:
        masses = np.linalg.solve(a, b)
    except np.linalg.LinAlgError as exc:
        raise CompositionError(f"the recipe's constraints are not independent ({exc})") from exc
    return _finish(comp, explicit, filler, masses, rho_given, notes)


def _finish(comp: Composition, explicit: Sequence[Component], filler: Sequence[Component], masses: np.ndarray,
            rho_given: SourcedValue | None, notes: list[str]) -> CompositionBreakdown:
    water_g = float(masses[-1])
    if water_g < -1e-6 or np.any(masses < -1e-6):
        raise CompositionError(
            f"recipe '{comp.name}' is infeasible: the stated amounts leave {water_g:.1f} g of water per litre"
        )
    masses = np.clip(masses, 0.0, None)
    total = float(masses.sum())
    if rho_given is None:
        notes.append(
            "Solution density estimated by ideal volume additivity of the neat components (no excess volume): "
            f"{total / 1000.0:.4f} g/mL. CPA-water mixtures contract on mixing, so the real density and the "
            "water per litre are somewhat higher (and % w/w and molality somewhat lower) than given here."
        )
        basis = "estimated by ideal volume additivity"
    else:
        basis = f"given: {rho_given.value:g} g/mL ({rho_given.basis})"
    notes.append("Water is the remainder of the solution mass after the stated components.")
    parts: list[ComponentProperties] = [c.properties for c in explicit] + [comp.water]
    moles = [float(m) / p.molar_mass.value if p.molar_mass else None for m, p in zip(masses, parts, strict=True)]
    all_moles = None if any(n is None for n in moles) else sum(moles)  # type: ignore[arg-type]
    no_mw = [p.name for p, n in zip(parts, moles, strict=True) if n is None]
    rows = []
    for i, p in enumerate(parts):
        m, n = float(masses[i]), moles[i]
        is_water = i == len(parts) - 1
        missing = []
        if n is None:
            missing.append(f"molar mass of '{p.name}' missing: no mol/L, molality or mole fraction")
        elif all_moles is None:
            missing.append(f"mole fraction needs every molar mass; missing for {', '.join(no_mw)}")
        if p.density is None:
            missing.append(f"neat density of '{p.name}' missing: no % v/v")
        src = None if is_water else explicit[i]
        rows.append(
            ComponentBreakdown(
                name=p.name,
                role=ComponentRole.WATER if is_water else src.role,  # type: ignore[union-attr]
                inchikey=p.inchikey,
                mass_g=m,
                moles=n,
                neat_volume_mL=m / p.density.value if p.density else None,
                percent_ww=100.0 * m / total,
                molality=None if (n is None or is_water or water_g <= 0) else n / (water_g / 1000.0),
                mole_fraction=None if (n is None or all_moles is None) else n / all_moles,
                given_amount=None if is_water else src.amount,  # type: ignore[union-attr]
                given_unit=None if is_water else src.unit,  # type: ignore[union-attr]
                missing=tuple(missing),
            )
        )
    _check_stated_water(comp, rows[-1])
    return CompositionBreakdown(
        name=comp.name, rows=tuple(rows), solution_mass_g=total, density_g_per_mL=total / 1000.0,
        density_basis=basis, assumptions=tuple(notes),
        bases=tuple(_bases(explicit, comp.water, used_density=rho_given is None)),
    )


def _check_stated_water(comp: Composition, water_row: ComponentBreakdown) -> None:
    """A recipe that states its water too (e.g. all in % w/w) must agree with the computed remainder."""
    for c in comp.components:
        if c.role is ComponentRole.WATER and c.amount is not None and c.unit is not None:
            computed = water_row.amount(c.unit)
            if abs(computed - c.amount) > WATER_CHECK_RTOL * max(abs(c.amount), 1e-12):
                raise CompositionError(
                    f"stated water {c.amount:g} {c.unit.value} disagrees with the remainder "
                    f"{computed:.4g} {c.unit.value} computed from the other components"
                )


# ------------------------------------------------------------------------------------ single conversion


@dataclass(frozen=True, slots=True)
class Conversion:
    """A converted amount with what it rests on."""

    value: float
    unit: Unit
    assumptions: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()


def convert_amount(
    value: float,
    from_unit: Unit | str,
    to_unit: Unit | str,
    props: ComponentProperties,
    *,
    solution_density: float | SourcedValue | None = None,
    water: ComponentProperties = WATER,
) -> Conversion:
    """Convert one component's amount between any two units.

    Within the per-volume group (M, mM, mg/mL, % w/v, % v/v) only the component's molar mass and neat
    density are used. Any conversion that involves % w/w, molal or mole fraction needs the water per
    litre, so the solution is treated as a *binary* of this component in water (stated in the result)
    and solved with :func:`solve_composition`: with ``solution_density`` if given, otherwise by ideal
    volume additivity (which needs the neat density). For multi-solute mixtures use
    :func:`solve_composition` on the whole recipe.

    Example: 2.0 M glycerol at a solution density of 1.045 g/mL -> 2.0 / ((1045 - 184.18) / 1000)
    = 2.323 mol/kg water.
    """
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    if src in PER_VOLUME_UNITS and dst in PER_VOLUME_UNITS:
        out = from_grams_per_litre(grams_per_litre(value, src, props), dst, props)
        used = []
        if {src, dst} & {Unit.MOLAR, Unit.MILLIMOLAR} and props.molar_mass is not None:
            used.append(f"{props.name}: molar mass {props.molar_mass.value:g} g/mol ({props.molar_mass.basis})")
        if Unit.PERCENT_VV in {src, dst} and props.density is not None:
            used.append(f"{props.name}: neat density {props.density.value:g} g/mL ({props.density.basis})")
        return Conversion(out, dst, (), tuple(used))
    solute = Component(props.name, value, src, ComponentRole.OTHER, props.molar_mass, props.density, props.inchikey)
    breakdown = solve_composition(
        Composition((solute,), name=f"{props.name} in water", water=water), solution_density=solution_density
    )
    out = breakdown.rows[0].amount(dst)
    notes = (f"Treated as a binary solution of {props.name} in water.", *breakdown.assumptions)
    return Conversion(out, dst, notes, breakdown.bases)
