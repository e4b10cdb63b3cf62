"""``cryodesk mixture create|show|predict|tg-curve|train``.

Registered from :mod:`cryodesk.cli.main` (``add_parsers`` and ``handler_for``) so the shared parser and
dispatcher only grow by a few lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from cryodesk.cli import exit_codes
from cryodesk.domain import InputError
from cryodesk.engine.service import Workbench

Handler = Callable[[Workbench, argparse.Namespace], int]
UNITS_SHOWN = (
    ("mol_per_L", "M"),
    ("percent_wv", "% w/v"),
    ("percent_ww", "% w/w"),
    ("percent_vv", "% v/v"),
    ("molal_mol_per_kg_water", "mol/kg"),
    ("mole_fraction", "x"),
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    mixture = sub.add_parser(
        "mixture", help="create, show and predict CPA mixtures; Tg curves; train mixture models"
    )
    actions = mixture.add_subparsers(dest="mixture_action", required=True)
    create = actions.add_parser("create", help="store a new mixture")
    create.add_argument("name")
    create.add_argument(
        "--component",
        action="append",
        default=[],
        metavar="NAME:AMOUNT:UNIT[:ROLE]",
        help="e.g. glycerol:20:%%w/v:penetrating (repeat; water without amount fills the rest)",
    )
    create.add_argument("--citation")
    create.add_argument("--notes")
    show = actions.add_parser(
        "show", help="composition in every unit and solution Tg with basis and uncertainty"
    )
    show.add_argument("name")
    predict = actions.add_parser("predict", help="Tg, viscosity and viability with uncertainty")
    predict.add_argument("name")
    predict.add_argument(
        "--temperature", type=float, default=298.15, help="K, for the viscosity (default 298.15)"
    )
    curve = actions.add_parser("tg-curve", help="solution Tg versus total solute mass fraction as CSV")
    curve.add_argument("name")
    curve.add_argument("--out", required=True, help="CSV file to write")
    curve.add_argument("--points", type=int, default=41)
    train = actions.add_parser("train", help="train the viscosity and/or viability model from data files")
    train.add_argument(
        "--viscosity",
        metavar="CSV",
        help="binary viscosity table (SMILES_0, SMILES_1, comp_0, comp_1, T, logV)",
    )
    train.add_argument(
        "--formulations",
        metavar="CSV",
        help="parsed formulation table (viability_percent, source_doi, <ingredient>_M / _pct)",
    )
    dose = actions.add_parser(
        "dose-response",
        help="fit Hill curves to every viability-versus-concentration series of a formulation table and store them",
    )
    dose.add_argument(
        "formulations",
        metavar="CSV",
        nargs="?",
        help="parsed formulation table (as for 'train'); default: the table CryoDesk ships",
    )
    dose.add_argument("--r0", type=float, help="fix the viability without the ingredient (frees one point)")
    dose.add_argument("--r-inf", type=float, help="fix the viability at saturating concentration")
    dose.add_argument("--min-points", type=int, default=4, help="concentrations a series needs (default 4)")


def handler_for(args: argparse.Namespace) -> Handler | None:
    if args.command != "mixture":
        return None
    return {
        "create": cmd_create,
        "show": cmd_show,
        "predict": cmd_predict,
        "tg-curve": cmd_tg_curve,
        "train": cmd_train,
        "dose-response": cmd_dose_response,
    }[args.mixture_action]


def _json(args: argparse.Namespace, data: object) -> bool:
    if getattr(args, "json", False):
        from cryodesk.cli.main import print_json

        print_json(data)
        return True
    return False


def cmd_create(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.mixtures import create_mixture

    mixture = create_mixture(wb, args.name, args.component, citation=args.citation, notes=args.notes)
    if not _json(args, {"name": mixture.name, "components": [c.name for c in mixture.components]}):
        print(f"mixture {mixture.name}: stored with {len(mixture.components)} components")
        for c in mixture.components:
            amount = "remainder" if c.amount is None else f"{c.amount:g} {c.unit}"
            print(f"  {c.name:<24} {amount:<14} {c.role.value:<16} {c.inchikey or '(no compound)'}")
    return exit_codes.OK


def _fmt(value: object) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def cmd_show(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.mixtures import _report

    report = _report(wb, args.name)
    m = report.mixture
    records = report.breakdown.to_records() if report.breakdown is not None else []
    tg = report.tg
    if _json(
        args,
        {
            "name": m.name,
            "status": m.status,
            "citation": m.citation,
            "composition": records,
            "composition_problems": list(report.composition_problems),
            "tg_K": None
            if tg is None
            else {
                "value": tg.tg_K,
                "sigma": tg.sigma_K,
                "lower95": tg.lower95_K,
                "upper95": tg.upper95_K,
                "model": tg.model.value,
                "uncertainty": tg.uncertainty_method,
                "assumptions": list(tg.assumptions),
            },
            "tg_problems": list(report.tg_problems),
        },
    ):
        return exit_codes.OK
    print(f"{m.name}  [{m.status}]" + (f"  {m.citation}" if m.citation else ""))
    for c in report.components:
        amount = "remainder" if c.amount is None else f"{c.amount:g} {c.unit or ''}"
        print(
            f"  {c.name:<24} {amount:<14} {c.role.value:<16} M = {c.molar_mass or '?'} "
            f"({c.molar_mass_basis or 'no basis'}); ρ = {c.density or '?'} ({c.density_basis or 'no basis'})"
        )
    if records:
        print("\ncomposition per litre of solution:")
        print(f"  {'component':<24}" + "".join(f"{label:>12}" for _k, label in UNITS_SHOWN))
        for r in records:
            print(f"  {str(r['name']):<24}" + "".join(f"{_fmt(r[k]):>12}" for k, _l in UNITS_SHOWN))
        print(f"  density: {_fmt(report.breakdown.density_g_per_mL)} g/mL ({report.breakdown.density_basis})")
    for line in report.composition_problems:
        print(f"  note: {line}")
    print()
    if tg is not None:
        print(
            f"solution Tg (not Tg′): {tg.tg_K:.1f} K ± {tg.sigma_K:.1f} (1σ); 95 %: {tg.lower95_K:.1f}–"
            f"{tg.upper95_K:.1f} K; model {tg.model.value}; uncertainty {tg.uncertainty_method}"
        )
        for name, pure in tg.tg_used.items():
            print(
                f"  Tg of {name}: {pure.value_K:.1f} ± {pure.sigma_K:.1f} K ({pure.basis.value}"
                + (f"; {pure.note}" if pure.note else "")
                + ")"
            )
        for line in tg.assumptions:
            print(f"  assumption: {line}")
    for line in report.tg_problems:
        print(f"  Tg note: {line}")
    return exit_codes.OK


def _line(label: str, value: object) -> str:
    if value is None:
        return f"{label:<12} -"
    v = value
    interval = "" if v.lower is None else f" [{v.lower:.3g}, {v.upper:.3g}] ({v.interval})"  # type: ignore[attr-defined]
    domain = "" if v.in_domain is None else ("" if v.in_domain else "  OUT OF DOMAIN")  # type: ignore[attr-defined]
    return f"{label:<12} {v.value:.4g} {v.unit}{interval}{domain}\n{'':<12} basis: {v.basis}"  # type: ignore[attr-defined]


def cmd_predict(wb: Workbench, args: argparse.Namespace) -> int:
    pred = wb.predict_mixture(args.name, temperature_K=args.temperature)
    if _json(args, pred.as_dict()):
        return exit_codes.OK
    print(f"{pred.name}")
    print(_line("Tg", pred.tg))
    print(
        _line("viscosity", pred.viscosity)
        + (f"  (η ≈ {10**pred.viscosity.value:.3g} cP at {pred.temperature_K:g} K)" if pred.viscosity else "")
    )
    print(_line("viability", pred.viability))
    for value in (pred.tg, pred.viscosity, pred.viability):
        for note in value.notes if value is not None else ():
            print(f"  note: {note}")
    for prop, reasons in pred.problems.items():
        for reason in reasons:
            print(f"  {prop}: {reason}")
    return exit_codes.OK


def cmd_tg_curve(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.mixtures import tg_curve

    if args.points < 2:
        raise InputError("--points must be at least 2")
    curve = tg_curve(wb, args.name, args.points)
    out = Path(args.out).expanduser()
    try:
        curve.to_csv(out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc}") from None
    print(f"{args.name}: {curve.w_solutes.size} points written to {out} (solution Tg, {curve.model.value})")
    return exit_codes.OK


def cmd_train(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.mixtures import train_mixture_models

    if not args.viscosity and not args.formulations:
        raise InputError("give --viscosity CSV and/or --formulations CSV")
    for path in (args.viscosity, args.formulations):
        if path and not Path(path).is_file():
            raise InputError(f"no such file: {path}")

    def progress(done: int, total: int, message: str) -> None:
        print(f"[{done}/{total}] {message}", file=sys.stderr)

    result = train_mixture_models(
        wb,
        viscosity_csv=Path(args.viscosity) if args.viscosity else None,
        formulations_csv=Path(args.formulations) if args.formulations else None,
        progress=progress,
    )
    if not _json(args, result):
        for name, info in result.items():
            print(
                f"{name} v{info['version']}: trained on {info['rows']} rows ({info['rejected']} rejected); promoted"
            )
    return exit_codes.OK


def cmd_dose_response(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.mixtures import fit_concentration_responses, shipped_formulations_csv

    table = Path(args.formulations) if args.formulations else shipped_formulations_csv()
    if not table.is_file():
        raise InputError(f"no such file: {table}")
    if args.min_points < 2:
        raise InputError("--min-points: a curve needs at least 2 concentrations")
    run = fit_concentration_responses(wb, table, r0=args.r0, r_inf=args.r_inf, min_points=args.min_points)
    for problem in run.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    if _json(args, {"entries": run.entries, "problems": run.problems}):
        return exit_codes.OK
    print(
        f"{len(run.entries)} series with >= {args.min_points} concentrations; {run.fitted} fitted and stored"
    )
    for e in run.entries:
        head = f"{e['ingredient']} ({len(e['points'])} points, doi {e['doi']})"
        if "error" in e:
            print(f"  {head}: not fitted: {e['error']}")
            continue
        f = e["fit"]
        lo, hi = f["ci"]["ec50"]
        note = "" if f["identifiable"] else "  [not identifiable: the data do not pin every parameter down]"
        print(
            f"  {head}: EC50 {f['ec50']:.4g} {f['concentration_unit']} (95 % CI {lo:.3g}-{hi:.3g}),"
            f" hill {f['hill']:.3g}, r0 {f['r0']:.3g}, r_inf {f['r_inf']:.3g}, R² {f['r_squared']:.3f}{note}"
        )
    return exit_codes.OK
