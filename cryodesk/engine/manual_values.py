"""Property values a lab user enters or corrects by hand: validated, stored with "manual" provenance.

A manual value goes through the store's normal value/provenance path (``property_values``), so it shows
in the detail panel, in the conflicts (kept side by side with imported values, never replacing them) and
in the table's property columns. Its provenance says who and when:

* ``source`` is :data:`MANUAL_SOURCE`;
* ``source_record_id`` is ``"<user>@<UTC time>"`` (made unique per compound and property);
* ``retrieved_at`` is the time of entry, ``citation`` the user's note or reference;
* ``method`` is what the user says the number is (measured, by default, or from the literature).

Every change is a swap of one stored value for another (:func:`replace_manual_value`) in one transaction,
so the GUI's undo/redo commands restore exactly the row that was there, deleted values included. Only
values whose source is :data:`MANUAL_SOURCE` can be edited or deleted here: imported values are never
touched by this path.
"""

from __future__ import annotations

import getpass
import math
from dataclasses import dataclass, replace

from cryodesk.domain import InputError, Method, PropertyValue, Provenance, utc_now_iso
from cryodesk.domain.properties import property_info, property_key, property_label
from cryodesk.domain.units import DIMENSIONS, below_absolute_zero, canonical_unit, dimension
from cryodesk.store import Project

MANUAL_SOURCE = "manual"
#: What a hand-entered number may claim to be (predictions and computed values come from the engine).
MANUAL_METHODS: tuple[Method, ...] = (Method.MEASURED, Method.LITERATURE)
MAX_NOTE_CHARS = 500


class ManualValueError(InputError):
    """A field of a manual entry is not acceptable; ``field`` names it (as the dialog labels it)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class StaleValueError(InputError):
    """The value to change is no longer stored as shown (changed or deleted elsewhere)."""


@dataclass(frozen=True, slots=True)
class ManualEntry:
    """What the user typed: all text, validated by :func:`validate_entry`."""

    property: str
    value: str
    unit: str = ""
    method: str = Method.MEASURED.value
    conditions: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ManualChange:
    """One stored change: ``before`` was replaced by ``after`` (None: nothing, i.e. an add or a delete)."""

    before: PropertyValue | None
    after: PropertyValue | None


def current_user() -> str:
    """The login name recorded as the author of a manual value ("unknown" when the OS gives none)."""
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError, ImportError):  # no login name in some containers and services
        return "unknown"


def is_manual(value: PropertyValue) -> bool:
    return value.provenance.source == MANUAL_SOURCE


def units_for(prop: str) -> list[str]:
    """Canonical units the property accepts (all known units when the property is not in the vocabulary)."""
    info = property_info(property_key(prop)) if prop.strip() else None
    if info is None or info.dimension is None:
        return list(DIMENSIONS)
    units = [u for u, d in DIMENSIONS.items() if d == info.dimension]
    if info.default_unit in units:  # the usual unit first: it is the dialog's default
        units.remove(info.default_unit)
        units.insert(0, info.default_unit)
    return units


def _listed(units: list[str]) -> str:
    """Units as a message shows them (°C rather than the canonical degC)."""
    return ", ".join({"degC": "°C", "degF": "°F"}.get(u, u) for u in units)


def _parse_number(text: str) -> float:
    cleaned = text.strip().replace("−", "-").replace("\u2009", "").replace(" ", "")
    if not cleaned:
        raise ManualValueError("Value", "enter a number")
    try:
        number = float(cleaned)
    except ValueError:
        raise ManualValueError("Value", f"“{text.strip()}” is not a number (use e.g. 187.5 or -12)") from None
    if not math.isfinite(number):
        raise ManualValueError("Value", "must be a finite number")
    return number


def _check_unit(prop: str, text: str) -> str | None:
    info = property_info(prop)
    if not text.strip():
        if info is None or info.dimension in (None, "dimensionless"):
            return None
        raise ManualValueError("Unit", f"{property_label(prop)} needs a unit ({_listed(units_for(prop))})")
    unit = canonical_unit(text)
    if unit is None:
        raise ManualValueError(
            "Unit", f"“{text.strip()}” is not a known unit (e.g. {_listed(units_for(prop)[:6])})"
        )
    if info is not None and info.dimension is not None and dimension(unit) != info.dimension:
        raise ManualValueError(
            "Unit",
            f"{unit} is a {dimension(unit) or 'different'} unit; {property_label(prop)} needs "
            f"{info.dimension} ({_listed(units_for(prop))})",
        )
    return unit


def validate_entry(entry: ManualEntry) -> tuple[str, float, str | None, Method]:
    """The property key, number, canonical unit and method of ``entry``.

    Raises:
        ManualValueError: naming the field (Property, Value, Unit, Method, Note) and the reason.
    """
    if not entry.property.strip():
        raise ManualValueError("Property", "choose or type a property")
    prop = property_key(entry.property)
    if not prop:
        raise ManualValueError("Property", f"“{entry.property}” has no letters or digits")
    number = _parse_number(entry.value)
    unit = _check_unit(prop, entry.unit)
    if unit is not None and below_absolute_zero(number, unit):
        raise ManualValueError("Value", f"{number:g} {unit} is below absolute zero")
    try:
        method = Method(entry.method.strip().casefold())
    except ValueError:
        method = None
    if method not in MANUAL_METHODS:
        raise ManualValueError("Method", f"must be one of {', '.join(m.value for m in MANUAL_METHODS)}")
    if len(entry.note) > MAX_NOTE_CHARS:
        raise ManualValueError("Note", f"at most {MAX_NOTE_CHARS} characters")
    return prop, number, unit, method


def _record_id(project: Project, inchikey: str, prop: str, user: str, when: str) -> str:
    """``user@when``, with a counter when the same user enters two values of one property in one second."""
    taken = {
        v.provenance.source_record_id
        for v in project.properties.for_compound(inchikey)
        if v.property == prop and is_manual(v)
    }
    base = f"{user}@{when}"
    record, n = base, 1
    while record in taken:
        n += 1
        record = f"{base}#{n}"
    return record


def build_value(
    project: Project, inchikey: str, entry: ManualEntry, user: str | None = None, when: str | None = None
) -> PropertyValue:
    """The stored form of a valid entry for ``inchikey`` (not written)."""
    prop, number, unit, method = validate_entry(entry)
    if project.compounds.get(inchikey) is None:
        raise ManualValueError("Compound", f"{inchikey} is not in this project")
    author = (user or current_user()).strip() or "unknown"
    stamp = when or utc_now_iso()
    provenance = Provenance(
        source=MANUAL_SOURCE,
        method=method,
        source_record_id=_record_id(project, inchikey, prop, author, stamp),
        retrieved_at=stamp,
        citation=entry.note.strip() or None,
    )
    return PropertyValue(
        inchikey, prop, number, unit, provenance, value_text=None, conditions=entry.conditions.strip() or None
    )


def _require_manual(value: PropertyValue | None) -> None:
    if value is not None and not is_manual(value):
        raise InputError(
            f"{value.property} from {value.provenance.source} is an imported value: only values entered "
            "by hand (source “manual”) can be changed or deleted here"
        )


def replace_manual_value(
    project: Project, before: PropertyValue | None, after: PropertyValue | None
) -> ManualChange:
    """Swap the stored manual value ``before`` for ``after`` in one transaction (either may be None).

    This is the one write behind add, edit, delete and their undo/redo.

    Raises:
        InputError: either value is not a manual one (imported values are never touched here).
        StaleValueError: ``before`` is not stored as given, or ``after`` is stored already.
    """
    _require_manual(before)
    _require_manual(after)
    with project.db.transaction():
        if before is not None and project.properties.delete_exact(before) != 1:
            raise StaleValueError(
                f"the {before.property} value entered by {before.provenance.source_record_id} "
                "is no longer stored as shown (refresh the compound)"
            )
        if after is not None and project.properties.upsert_many([after]) != 1:
            raise StaleValueError(f"an equal manual {after.property} value is stored already")
    return ManualChange(before, after)


def add_manual_value(
    project: Project, inchikey: str, entry: ManualEntry, user: str | None = None
) -> ManualChange:
    """Store a new manual value for ``inchikey``."""
    return replace_manual_value(project, None, build_value(project, inchikey, entry, user))


def edit_manual_value(
    project: Project, before: PropertyValue, entry: ManualEntry, user: str | None = None
) -> ManualChange:
    """Replace the manual value ``before`` by the corrected entry (new author and time; old row gone)."""
    _require_manual(before)
    after = build_value(project, before.inchikey, entry, user)
    if after.property == before.property:
        # A correction keeps its own record id clear of the one it replaces (same user in the same second).
        taken = before.provenance.source_record_id
        if after.provenance.source_record_id == taken:
            record = f"{taken}#edit"
            after = replace(after, provenance=replace(after.provenance, source_record_id=record))
    return replace_manual_value(project, before, after)


def delete_manual_value(project: Project, value: PropertyValue) -> ManualChange:
    """Delete a manual value (undo puts the same row back with :func:`replace_manual_value`)."""
    return replace_manual_value(project, value, None)


def entry_of(value: PropertyValue) -> ManualEntry:
    """The dialog fields of a stored manual value (to edit it)."""
    return ManualEntry(
        property=value.property,
        value="" if value.value is None else f"{value.value:.12g}",
        unit=value.unit or "",
        method=str(value.provenance.method),
        conditions=value.conditions or "",
        note=value.provenance.citation or "",
    )
