"""``cryodesk targets KEY``: a compound's drug–target table (issue 13).

Registered from :mod:`cryodesk.cli.main` (``add_parsers`` and ``handler_for``), like the other
``*_commands`` modules, so the shared parser and dispatcher only grow by a few lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from cryodesk.cli import exit_codes
from cryodesk.engine.service import Workbench

Handler = Callable[[Workbench, argparse.Namespace], int]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    targets = sub.add_parser(
        "targets",
        help="targets and actions of a compound (DrugBank XML, ChEMBL activities, Tox21/ToxCast target hits)",
    )
    targets.add_argument("identifier", help="InChIKey, name, CAS, SMILES or any stored identifier")
    targets.add_argument("--source", help="only rows from this source (drugbank, chembl, tox21, toxcast)")


def handler_for(args: argparse.Namespace) -> Handler | None:
    return cmd_targets if args.command == "targets" else None


def cmd_targets(wb: Workbench, args: argparse.Namespace) -> int:
    keys = wb.resolve(args.identifier)
    if not keys:
        print(f"cryodesk: nothing matches '{args.identifier}'", file=sys.stderr)
        return exit_codes.NOT_FOUND
    tables = {key: wb.targets(key) for key in keys}
    if args.source:
        wanted = args.source.casefold()
        tables = {
            k: [r for r in rows if wanted in r.source.casefold().split("+")] for k, rows in tables.items()
        }
    if getattr(args, "json", False):
        from cryodesk.cli.main import print_json

        print_json({key: [r.as_dict() for r in rows] for key, rows in tables.items()})
        return exit_codes.OK
    for key, rows in tables.items():
        print(f"{key}: {len(rows)} target rows")
        for r in rows:
            where = f"{r.source} {r.record or ''}".strip()
            ident = f" [{r.target_id}]" if r.target_id else ""
            note = f"  ({r.note})" if r.note else ""
            print(f"  {r.kind:<11} {r.target}{ident}: {r.action}  <{where}; {r.method}>{note}")
    return exit_codes.OK
