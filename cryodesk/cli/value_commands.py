"""``cryodesk value list|set|delete``: property values entered by hand (issue 10's manual values).

The same engine path as the GUI's detail panel (:mod:`cryodesk.engine.manual_values`): values are
stored with source "manual", the login name and the time; only manual values can be replaced or deleted.
Registered from :mod:`cryodesk.cli.main` like the other ``*_commands`` modules.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from cryodesk.cli import exit_codes
from cryodesk.domain import InputError, PropertyValue
from cryodesk.domain.properties import property_key
from cryodesk.engine.manual_values import MANUAL_METHODS, ManualEntry, is_manual
from cryodesk.engine.service import Workbench

Handler = Callable[[Workbench, argparse.Namespace], int]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    value = sub.add_parser(
        "value", help="list, set or delete property values entered by hand (source 'manual')"
    )
    actions = value.add_subparsers(dest="value_action", required=True)
    lst = actions.add_parser("list", help="the manual values of a compound, with their record ids")
    lst.add_argument("identifier", help="InChIKey, name, CAS, SMILES or any stored identifier")
    put = actions.add_parser("set", help="store a value by hand (or replace a manual one with --replace)")
    put.add_argument("identifier", help="InChIKey, name, CAS, SMILES or any stored identifier")
    put.add_argument("property", help="property key or name, e.g. tg, 'melting point', viability")
    put.add_argument("value", help="the number")
    put.add_argument("--unit", default="", help="K, degC, %%, g/mL, cP ... (checked against the property)")
    put.add_argument("--method", default="measured", choices=[m.value for m in MANUAL_METHODS])
    put.add_argument("--conditions", default="", help="e.g. 'T=298.15 K'")
    put.add_argument("--note", default="", help="a note or reference (lab book page, DOI)")
    put.add_argument("--replace", metavar="RECORD", help="replace the manual value with this record id")
    put.add_argument("--user", help="author recorded (default: the login name)")
    delete = actions.add_parser("delete", help="delete a manual value (imported values are never deleted)")
    delete.add_argument("identifier")
    delete.add_argument("property")
    delete.add_argument("--record", help="which one, when the property has several manual values")


def handler_for(args: argparse.Namespace) -> Handler | None:
    return cmd_value if args.command == "value" else None


def _one_compound(wb: Workbench, text: str) -> str:
    keys = wb.resolve(text)
    if not keys:
        raise InputError(f"identifier: nothing matches '{text}'")
    if len(keys) > 1:
        raise InputError(
            f"identifier: '{text}' matches {len(keys)} compounds ({', '.join(keys[:5])}); use an InChIKey"
        )
    return keys[0]


def _manual(wb: Workbench, key: str, prop: str | None = None) -> list[PropertyValue]:
    detail = wb.compound_detail(key)
    values = detail.properties if detail is not None else []
    return [v for v in values if is_manual(v) and (prop is None or v.property == prop)]


def _pick(values: list[PropertyValue], prop: str, record: str | None) -> PropertyValue:
    if record is not None:
        values = [v for v in values if v.provenance.source_record_id == record]
    if not values:
        raise InputError(f"record: no manual {prop} value" + (f" with record {record!r}" if record else ""))
    if len(values) > 1:
        records = ", ".join(str(v.provenance.source_record_id) for v in values)
        raise InputError(f"record: {len(values)} manual {prop} values ({records}); choose one with --record")
    return values[0]


def _line(v: PropertyValue) -> str:
    p = v.provenance
    extra = "".join(
        f"  {x}" for x in (v.conditions and f"[{v.conditions}]", p.citation and f"({p.citation})") if x
    )
    return (
        f"{v.property} = {v.value:g} {v.unit or ''}".rstrip()
        + f"  <{p.method}; record {p.source_record_id}>{extra}"
    )


def cmd_value(wb: Workbench, args: argparse.Namespace) -> int:
    key = _one_compound(wb, args.identifier)
    if args.value_action == "list":
        values = _manual(wb, key)
        if getattr(args, "json", False):
            from cryodesk.cli.main import print_json

            print_json(
                [
                    {
                        "property": v.property,
                        "value": v.value,
                        "unit": v.unit,
                        "method": str(v.provenance.method),
                        "record": v.provenance.source_record_id,
                        "entered": v.provenance.retrieved_at,
                        "conditions": v.conditions,
                        "note": v.provenance.citation,
                    }
                    for v in values
                ]
            )
            return exit_codes.OK
        print(f"{key}: {len(values)} manual values")
        for v in values:
            print(f"  {_line(v)}")
        return exit_codes.OK
    prop = property_key(args.property)
    if args.value_action == "delete":
        change = wb.delete_manual_value(_pick(_manual(wb, key, prop), prop, args.record))
        print(f"deleted {_line(change.before)}")  # type: ignore[arg-type]
        return exit_codes.OK
    entry = ManualEntry(args.property, args.value, args.unit, args.method, args.conditions, args.note)
    if args.replace:
        change = wb.edit_manual_value(_pick(_manual(wb, key, prop), prop, args.replace), entry, args.user)
    else:
        change = wb.add_manual_value(key, entry, args.user)
    print(f"{'replaced' if args.replace else 'stored'} {_line(change.after)}", file=sys.stdout)  # type: ignore[arg-type]
    return exit_codes.OK
