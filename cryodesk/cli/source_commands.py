"""Issue-4 commands: ``import tox21|ctx``, ``toxicity``, ``glass-forming`` and ``csd``.

Registered from :mod:`cryodesk.cli.main` (``add_parsers`` and ``handler_for``) so the shared
parser and dispatcher only grow by two lines.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from cryodesk.cli import exit_codes
from cryodesk.domain import InputError
from cryodesk.engine.service import Workbench

Handler = Callable[[Workbench, argparse.Namespace], int]


def add_parsers(sub: argparse._SubParsersAction, imp_sub: argparse._SubParsersAction) -> None:
    tox21 = imp_sub.add_parser(
        "tox21", help="a Tox21 per-assay aggregated file (tox21-<assay>-p<n>.aggregrated.txt)"
    )
    tox21.add_argument("path")
    tox21.add_argument("--batch-size", type=int, default=500, help="rows per transaction and checkpoint")
    _job_flags(tox21)

    ctx = imp_sub.add_parser(
        "ctx",
        help="chemicals and ToxCast bioactivity from the EPA CompTox CTX API "
        "(needs CRYODESK_COMPTOX_API_KEY or a saved key)",
    )
    ctx.add_argument("queries", nargs="*", metavar="DTXSID_NAME_OR_CAS")
    ctx.add_argument("--file", help="a text file with one DTXSID, name or CAS number per line")
    ctx.add_argument("--batch-size", type=int, default=10, help="queries per transaction and checkpoint")
    _job_flags(ctx)

    tox = sub.add_parser("toxicity", help="Tox21/ToxCast toxicity profile and score of a compound")
    tox.add_argument("identifier", help="InChIKey, name, CAS or any identifier the project knows")
    tox.add_argument("--assays", action="store_true", help="list every assay call")

    glass = sub.add_parser(
        "glass-forming", help="compute the glass-forming indicator Tg/Tm and show the ranking"
    )
    glass.add_argument("--top", type=int, default=15)

    csd = sub.add_parser("csd", help="CCDC CSD entries by refcode (needs a licensed CSD Python API)")
    csd.add_argument("refcodes", nargs="*")


def _job_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-resume", action="store_true", help="start over instead of resuming")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any row or query was not imported")


def handler_for(args: argparse.Namespace) -> Handler | None:
    if args.command == "import" and getattr(args, "source", None) in ("tox21", "ctx"):
        return _import_tox21 if args.source == "tox21" else _import_ctx
    return {"toxicity": cmd_toxicity, "glass-forming": cmd_glass_forming, "csd": cmd_csd}.get(args.command)


def _import_tox21(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.cli.commands import _print_job_summary, _run_online
    from cryodesk.engine.tox21_import import Tox21ImportJob, Tox21ImportParams

    job = Tox21ImportJob(Tox21ImportParams(str(Path(args.path).expanduser()), args.batch_size))
    return _run_online(
        wb,
        args,
        lambda progress, cancel: wb.import_source(job, progress, cancel, resume=not args.no_resume),
        _print_job_summary,
    )


def _import_ctx(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.cli.commands import _print_job_summary, _run_online
    from cryodesk.engine.ctx_import import CtxImportJob, CtxImportParams

    queries = list(args.queries)
    if args.file:
        path = Path(args.file).expanduser()
        if not path.is_file():
            raise InputError(f"no such file: {path}")
        queries += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    job = CtxImportJob(CtxImportParams(tuple(queries), args.batch_size))
    code = _run_online(
        wb,
        args,
        lambda progress, cancel: wb.import_source(job, progress, cancel, resume=not args.no_resume),
        _print_job_summary,
    )
    return code


def _compound_key(wb: Workbench, text: str) -> str | None:
    keys = wb.resolve(text)
    if len(keys) > 1:
        raise InputError(f"{text!r} names {len(keys)} compounds: give an InChIKey ({', '.join(keys[:5])})")
    return keys[0] if keys else None


def cmd_toxicity(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.cli.main import print_json

    key = _compound_key(wb, args.identifier)
    profile = wb.toxicity_profile(key) if key else None
    if profile is None:
        print(f"no compound {args.identifier!r} in the project")
        return exit_codes.NOT_FOUND
    if args.json:
        print_json(profile.as_dict())
        return exit_codes.OK
    score = "no data" if profile.score is None else f"{profile.score:.3f}"
    print(f"{key}: toxicity score {score} ({profile.weighting})")
    print(f"basis: {profile.basis}")
    shown = profile.calls if args.assays else [c for c in profile.calls if (c.activity or 0) >= 0.5]
    for call in shown:
        activity = "inconclusive" if call.activity is None else f"{call.activity:.2f}"
        print(f"  {call.assay_key:<48} activity {activity:>12}  weight {call.weight:.2f}  {call.basis}")
    print(f"note: {profile.note}")
    return exit_codes.OK


def cmd_glass_forming(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.cli.main import print_json
    from cryodesk.engine.glass_forming import GlassFormingJob

    outcome = wb.import_source(GlassFormingJob(), resume=False)
    if outcome.result is None:
        print(f"error: {outcome.error}")
        return exit_codes.JOB_FAILED
    summary = outcome.result
    if args.json:
        print_json(summary.as_dict())
        return exit_codes.OK
    print(
        f"glass-forming indicator stored for {summary.compounds} compounds ({summary.values_new} new values); "
        f"{summary.above_two_thirds} at or above Tg/Tm = 2/3; {summary.implausible} implausible (Tg >= Tm)"
    )
    print(f"basis: {summary.basis}")
    for line in summary.top[: args.top]:
        print(f"  {line}")
    return exit_codes.OK


def cmd_csd(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.sources.csd import CsdClient, csd_status

    status = csd_status()
    if not status.available:
        print(status.message)
        return exit_codes.INPUT_ERROR
    client = CsdClient()
    found = 0
    for refcode in args.refcodes:
        record = client.crystal(refcode)
        if record is None:
            print(f"{refcode}: not in the CSD")
            continue
        found += 1
        print(
            f"{refcode}: {record.space_group}, a={record.a} b={record.b} c={record.c}, Z={record.z}, "
            f"density {record.density_calculated} g/cm3"
        )
    return exit_codes.OK if found == len(args.refcodes) else exit_codes.NOT_FOUND
