"""``cryodesk`` command line: init, import, list, show, evidence, export, info, jobs, gui."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence

from cryodesk import __version__
from cryodesk.cli import exit_codes
from cryodesk.domain import CryoDeskError, InputError, JobState, ProjectError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cryodesk", description="CryoDesk: CPA discovery workbench")
    parser.add_argument("--version", action="version", version=f"cryodesk {__version__}")
    parser.add_argument("-p", "--project", help="project file (*.cryodesk); default: the user's default project")
    parser.add_argument("--read-only", action="store_true", help="open the project read-only")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create a project and seed the embedded default library")
    init.add_argument("--empty", action="store_true", help="create the project without the default library")

    imp = sub.add_parser("import", help="import data into the project")
    imp_sub = imp.add_subparsers(dest="source", required=True)
    imp_file = imp_sub.add_parser("file", help="import a CSV/TSV, SDF or SMILES file")
    imp_file.add_argument("path")
    imp_file.add_argument("--structure-column")
    imp_file.add_argument("--name-column")
    imp_file.add_argument("--source", help="provenance source key (default: file:<name>)")
    imp_file.add_argument("--method", default="measured", choices=["measured", "computed", "predicted", "literature"])
    imp_file.add_argument("--workers", type=int, default=0, help="worker processes (0 = one per core)")
    imp_file.add_argument("--batch-size", type=int, default=400, help="rows per transaction and checkpoint")
    imp_file.add_argument("--no-resume", action="store_true", help="start over instead of resuming")
    imp_file.add_argument("--strict", action="store_true", help="exit 1 if any row was rejected")

    _add_online_import_parsers(imp_sub)
    _add_resolver_parsers(sub, imp_sub)
    from cryodesk.cli.source_commands import add_parsers as _add_source_parsers  # issue 4

    _add_source_parsers(sub, imp_sub)
    from cryodesk.cli.mixture_commands import add_parsers as _add_mixture_parsers  # issue 8: mixture ...

    _add_mixture_parsers(sub)
    from cryodesk.cli.target_commands import add_parsers as _add_target_parsers  # issue 13: targets KEY

    _add_target_parsers(sub)
    from cryodesk.cli.value_commands import add_parsers as _add_value_parsers  # issue 10: manual values

    _add_value_parsers(sub)

    evidence = sub.add_parser("evidence", help="what imported PubMed abstracts say about a compound or mixture")
    evidence.add_argument("identifier", help="compound name, InChIKey, CAS, SMILES or any identifier; or a mixture name")
    evidence.add_argument("--top", type=int, default=5, help="best sentences shown per compound (default 5)")
    evidence.add_argument("--compare", metavar="MODEL",
                          help="compare the literature values with MODEL's predictions (NAME, NAME@VERSION or id)")

    lst = sub.add_parser("list", help="list compounds (optionally matching a query)")
    lst.add_argument("query", nargs="?", default="")
    lst.add_argument("--limit", type=int, default=50)

    show = sub.add_parser("show", help="show a compound by name, InChIKey, CAS, SMILES or any identifier")
    show.add_argument("identifier")

    exp = sub.add_parser("export", help="export compounds as CSV or SDF")
    exp.add_argument("output")
    exp.add_argument("--query", default="", help="export only compounds matching this query")
    exp.add_argument("--list", dest="row_list", help="export a saved row list")
    exp.add_argument("--format", choices=["csv", "sdf"])

    sub.add_parser("info", help="counts per table and source")

    search = sub.add_parser("search", help="substructure or similarity search over the project")
    how = search.add_mutually_exclusive_group(required=True)
    how.add_argument("--substructure", metavar="SMILES_OR_SMARTS")
    how.add_argument("--similar-to", metavar="SMILES")
    search.add_argument("--min", type=float, default=0.0, help="minimum Tanimoto similarity (with --similar-to)")
    search.add_argument("--top", type=int, default=50, help="best N hits (with --similar-to)")
    search.add_argument("--smarts", action="store_true", help="read the substructure query as SMARTS")
    search.add_argument("--limit", type=int, default=100, help="hits printed (all are counted)")

    feat = sub.add_parser("featurize", help="compute and cache a feature set for the whole library")
    feat.add_argument("feature_set", nargs="?", default="default")
    feat.add_argument("--list", action="store_true", help="list the feature sets")

    cluster = sub.add_parser("cluster", help="Butina clusters on Morgan fingerprints")
    cluster.add_argument("--cutoff", type=float, default=0.35, help="Tanimoto distance cut-off")
    sub.add_parser("scaffolds", help="Murcko scaffolds with counts")
    pick = sub.add_parser("pick", help="MaxMin diverse subset")
    pick.add_argument("n", type=int)
    pick.add_argument("--save-list", help="save the pick as a named row list")

    jobs = sub.add_parser("jobs", help="list jobs, show one, or pause/resume/cancel it")
    jobs.add_argument("action", nargs="?", default="list", choices=["list", "show", "pause", "resume", "cancel"])
    jobs.add_argument("job_id", nargs="?", type=int)

    _add_model_parsers(sub)
    _add_quality_parsers(sub)
    _add_screen_parser(sub)

    gui = sub.add_parser("gui", help="open the desktop application")
    gui.add_argument("project_file", nargs="?", help="project to open (what a double-clicked .cryodesk passes)")
    return parser


def _add_online_import_parsers(imp_sub: argparse._SubParsersAction) -> None:
    """``import pubchem``, ``import chembl`` and ``import pubmed``: base URLs come from the settings or the
    environment (``CRYODESK_PUBCHEM_BASE``, ``CRYODESK_CHEMBL_BASE``, ``CRYODESK_NCBI_BASE``), never from
    the command line or the job."""
    pub = imp_sub.add_parser("pubchem", help="import compounds from PubChem by name, CID or similarity")
    what = pub.add_mutually_exclusive_group(required=True)
    what.add_argument("--names", action="append", metavar="NAME[,NAME...]",
                      help="compound names, comma-separated (commas between digits stay: 1,2-propanediol)")
    what.add_argument("--names-file", metavar="PATH", help="a text file with one name per line")
    what.add_argument("--cids", action="append", metavar="CID[,CID...]", help="PubChem compound ids")
    what.add_argument("--similar-to", metavar="SMILES", help="import compounds similar to this structure")
    pub.add_argument("--threshold", type=int, default=90, help="similarity threshold in %% (default 90)")
    pub.add_argument("--max-records", type=int, default=100, help="most similar compounds to import (default 100)")
    pub.add_argument("--experimental", action="store_true",
                     help="also import PUG-View experimental properties (slower: about 6 requests per compound)")
    pub.add_argument("--literature", action="store_true",
                     help="also import PUG-View literature, bioactivity and toxicity sections (4 requests per compound)")
    pub.add_argument("--max-synonyms", type=int, default=20, help="synonyms kept per compound (default 20)")
    pub.add_argument("--batch-size", type=int, default=100, help="CIDs per request and transaction (default 100)")
    _add_job_flags(pub)

    chembl = imp_sub.add_parser("chembl", help="import compounds from ChEMBL by id or structure")
    what = chembl.add_mutually_exclusive_group(required=True)
    what.add_argument("--ids", action="append", metavar="ID[,ID...]", help="ChEMBL molecule ids, e.g. CHEMBL25")
    what.add_argument("--smiles", action="append", metavar="SMILES",
                      help="import the ChEMBL molecules with this structure (repeat for several)")
    chembl.add_argument("--activities", action="store_true",
                        help="also import CC50 / LD50 / IC50 activities (one more request per molecule)")
    chembl.add_argument("--max-synonyms", type=int, default=20, help="synonyms kept per molecule (default 20)")
    chembl.add_argument("--batch-size", type=int, default=50, help="ids per request and transaction (default 50)")
    _add_job_flags(chembl)

    pubmed = imp_sub.add_parser("pubmed", help="import PubMed abstracts for a query and mine them for evidence")
    pubmed.add_argument("--query", required=True, help='PubMed query, e.g. "cryoprotectant AND vitrification"')
    pubmed.add_argument("--max", type=int, default=500, dest="max_results",
                        help="import at most N hits, in PubMed's order (default 500, at most 10000)")
    pubmed.add_argument("--batch-size", type=int, default=200, help="PMIDs per request and transaction (default 200)")
    _add_job_flags(pubmed)


def _add_resolver_parsers(sub: argparse._SubParsersAction, imp_sub: argparse._SubParsersAction) -> None:
    """``resolve`` and ``import drugbank|toxcast|cod`` (issue 4: toxicity, drug and crystal sources)."""
    resolve = sub.add_parser("resolve", help="resolve names, CAS, CIDs, ChEMBL/DrugBank IDs, DTXSIDs, SMILES, "
                                             "InChI/InChIKeys to compounds (a table of answers)")
    resolve.add_argument("identifiers", nargs="+", help='e.g. "1,2-propanediol" 57-55-6 CHEMBL286398')
    resolve.add_argument("--offline", action="store_true", help="store, structure parsing and OPSIN only")
    resolve.add_argument("--verify", action="store_true", help="ask the online services even when offline strategies answered")
    resolve.add_argument("--save", action="store_true", help="store every answer (conflicts side by side) as identifiers")

    drugbank = imp_sub.add_parser("drugbank", help="DrugBank open vocabulary CSV or a licensed full XML (streamed)")
    drugbank.add_argument("path", help="drugbank vocabulary.csv, or full database.xml")
    drugbank.add_argument("--batch-size", type=int, default=None, help="rows/drugs per transaction and checkpoint")
    _add_job_flags(drugbank)

    toxcast = imp_sub.add_parser("toxcast", help="a ToxCast hit-call matrix (toxcast.csv[.gz] or hitc_Matrix_*.csv)")
    toxcast.add_argument("path")
    toxcast.add_argument("--limit", type=int, help="only the first N chemicals")
    toxcast.add_argument("--batch-size", type=int, default=250)
    toxcast.add_argument("--workers", type=int, default=0, help="worker processes (0 = one per core)")
    _add_job_flags(toxcast)

    cod = imp_sub.add_parser("cod", help="crystal structures: COD ids (fetched) or CIF files, as crystal properties")
    cod.add_argument("refs", nargs="+", metavar="ID_OR_CIF", help="7-digit COD ids and/or .cif files")
    cod.add_argument("--compound", help="the compound they belong to (default: the compound with the CIF formula)")
    _add_job_flags(cod)


def _add_model_parsers(sub: argparse._SubParsersAction) -> None:
    """``train``, ``models``, ``evaluate`` and ``predict``."""
    train = sub.add_parser("train", help="train, evaluate and register a model for a property or assay")
    train.add_argument("target", nargs="?", help="property key (tg, melting_point, ...) or assay key (tox21:NR-AR)")
    train.add_argument("--defaults", action="store_true",
                       help="train the default models (Tox21, Tg, melting point, solubility) instead")
    train.add_argument("--models", default="rf,lgbm,mlp", help="ensemble members (default rf,lgbm,mlp)")
    train.add_argument("--split", choices=["scaffold", "random"], default="scaffold",
                       help="held-out split reported with the model (default scaffold)")
    train.add_argument("--budget", type=int, default=0, help="tuning candidates per member (0 = defaults)")
    train.add_argument("--features", default="default,cryo", help="feature sets (default default,cryo)")
    train.add_argument("--name", help="registry name (default: the target)")
    train.add_argument("--folds", type=int, default=5)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--promote", action="store_true", help="promote the new version")
    train.add_argument("--with-evidence", action="store_true",
                       help="add literature-evidence features (papers, records, concentrations, viability, confidence)")

    models = sub.add_parser("models", help="list, show, promote, roll back, compare, retire or monitor models")
    models.add_argument("action", nargs="?", default="list",
                        choices=["list", "show", "promote", "rollback", "compare", "retire", "monitor"])
    models.add_argument("name", nargs="?")
    models.add_argument("versions", nargs="*", type=int, help="version (show/promote/retire) or OLD NEW (compare)")
    models.add_argument("--warm", action="store_true", help="with promote/rollback: predict the library into the cache")

    evaluate = sub.add_parser("evaluate", help="held-out scores of a model's configuration on a split")
    evaluate.add_argument("model", help="model name (NAME or NAME@VERSION)")
    evaluate.add_argument("--split", choices=["scaffold", "random"], default="scaffold")
    evaluate.add_argument("--seed", type=int, default=0)

    predict = sub.add_parser("predict", help="predict with a model (cached)")
    predict.add_argument("model", help="model name (NAME or NAME@VERSION; NAME = the promoted version)")
    what = predict.add_mutually_exclusive_group(required=True)
    what.add_argument("--input", help="CSV with a SMILES (or InChIKey) column")
    what.add_argument("--all", action="store_true", help="every compound of the project")
    predict.add_argument("--output", help="CSV to write (default: standard output)")
    predict.add_argument("--column", help="structure column of --input (default: smiles/SMILES/structure)")


def _add_quality_parsers(sub: argparse._SubParsersAction) -> None:
    """``quality``, ``reconcile``, ``lineage`` and ``profile``: data quality and where numbers come from."""
    quality = sub.add_parser("quality", help="coverage and data-quality report per source")
    quality.add_argument("--source", help="the full report of one source (e.g. koop_tg, file:my.csv)")

    rec = sub.add_parser("reconcile", help="pick the value among conflicting ones by explicit rules (never deletes)")
    rec.add_argument("--property", action="append", dest="properties", metavar="P",
                     help="only this property (repeatable; default: every numeric property)")
    how = rec.add_mutually_exclusive_group()
    how.add_argument("--rules", metavar="FILE", help="save these rules (JSON) in the project, then reconcile")
    how.add_argument("--show", action="store_true", help="show the rules and the last runs; change nothing")
    how.add_argument("--compound", metavar="NAME", help="explain the decision for one compound (with --property)")

    lineage = sub.add_parser("lineage", help="the chain that produced a stored value or a prediction")
    what = lineage.add_mutually_exclusive_group(required=True)
    what.add_argument("--value", type=int, metavar="ID", help="a property value id")
    what.add_argument("--compound", metavar="NAME", help="every value of --property of a compound")
    what.add_argument("--prediction", nargs=2, metavar=("MODEL", "KEY"),
                      help="a model (id, name or name:version) and a compound (InChIKey or name)")
    lineage.add_argument("--property", help="the property, with --compound")

    profile = sub.add_parser("profile", help="multi-property desirability profiles: list, create, show, rank")
    actions = profile.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="built-in and saved profiles")
    create = actions.add_parser("create", help="save a profile in the project")
    create.add_argument("name")
    spec = create.add_mutually_exclusive_group(required=True)
    spec.add_argument("--file", help="the profile as JSON (see `cryodesk --json profile show 'CPA candidate'`)")
    spec.add_argument("--term", action="append", metavar="KEY:TREND:LOW:HIGH[:WEIGHT[:TARGET]]",
                      help="a scored property, e.g. tg:up:150:220:2 (repeatable; unit: the property's default)")
    create.add_argument("--description", default="")
    create.add_argument("--missing", choices=["skip", "zero"], default="skip",
                        help="skip: score on the properties a compound has; zero: any missing one scores 0")
    create.add_argument("--min-coverage", type=float, default=0.0, help="share of the weight needed to be ranked")
    create.add_argument("--replace", action="store_true", help="replace a saved profile of that name")
    show = actions.add_parser("show", help="the terms of a profile")
    show.add_argument("name")
    rank = actions.add_parser("rank", help="rank compounds by a profile (score with uncertainty)")
    rank.add_argument("name")
    rank.add_argument("--top", type=int, default=20)
    rank.add_argument("--list", dest="row_list", help="only the compounds of a saved row list")
    rank.add_argument("--method", choices=["mc", "delta"], default="mc", help="uncertainty propagation")
    delete = actions.add_parser("delete", help="delete a saved profile")
    delete.add_argument("name")


def _add_screen_parser(sub: argparse._SubParsersAction) -> None:
    """``screen``: rank a SMILES/SDF library of any size; the hits become a row list."""
    screen = sub.add_parser("screen", help="screen a SMILES/SDF library with models and a profile (resumable)")
    screen.add_argument("library", help="SMILES (.smi) or SD (.sdf) file, optionally .gz")
    screen.add_argument("--model", required=True, metavar="NAME[,NAME]",
                        help="models to predict with (NAME = promoted version, NAME@VERSION)")
    screen.add_argument("--profile", help="desirability profile (default: rank by the first model's value)")
    screen.add_argument("--top", type=int, default=1000, help="hits always kept (default 1000)")
    screen.add_argument("--threshold", type=float, help="also keep every hit scoring at least this")
    screen.add_argument("--max-hits", type=int, default=100_000, help="cap on kept hits with --threshold")
    screen.add_argument("--chunk-size", type=int, default=1000, help="records per chunk and checkpoint")
    screen.add_argument("--scheduler", metavar="ADDRESS|local",
                        help="run on Dask: a scheduler address (tcp://host:8786) or 'local' for a LocalCluster")
    screen.add_argument("--workers", type=int, default=0, help="worker processes (0 = one per core)")
    screen.add_argument("--name", help="row list for the hits (default: screen <file> #<job>)")
    screen.add_argument("--score-method", choices=["delta", "mc"], default="delta",
                        help="score uncertainty: delta (fast) or mc (Monte Carlo)")
    screen.add_argument("--no-resume", action="store_true", help="start over instead of resuming")


def _add_job_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-resume", action="store_true", help="start over instead of resuming")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any query or id was not imported")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "gui":
        from cryodesk.gui.app import run_gui  # the one import of the GUI the CLI may make

        return run_gui(args.project_file or args.project)
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # Output piped into `head` and friends: stop quietly like other Unix tools.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exit_codes.OK
    except InputError as exc:
        return _fail(exc, exit_codes.INPUT_ERROR)
    except ProjectError as exc:
        return _fail(exc, exit_codes.PROJECT_ERROR)
    except CryoDeskError as exc:
        return _fail(exc, exit_codes.JOB_FAILED)


def _fail(exc: Exception, code: int) -> int:
    print(f"cryodesk: error: {exc}", file=sys.stderr)
    return code


def _dispatch(args: argparse.Namespace) -> int:
    from cryodesk.cli import commands
    from cryodesk.engine.service import Workbench

    workbench = Workbench.open(args.project, read_only=args.read_only)
    try:
        for notice in workbench.notices:
            print(f"note: {notice}", file=sys.stderr)
        from cryodesk.cli.mixture_commands import handler_for as mixture_handler
        from cryodesk.cli.source_commands import handler_for
        from cryodesk.cli.target_commands import handler_for as target_handler
        from cryodesk.cli.value_commands import handler_for as value_handler

        handler = (handler_for(args) or mixture_handler(args) or target_handler(args) or value_handler(args)
                   or getattr(commands, f"cmd_{args.command}"))
        return handler(workbench, args)
    finally:
        workbench.close()


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def stop_code(state: JobState) -> int:
    return {JobState.DONE: exit_codes.OK, JobState.CANCELLED: exit_codes.JOB_STOPPED,
            JobState.PAUSED: exit_codes.JOB_STOPPED}.get(state, exit_codes.JOB_FAILED)


def install_interrupt(cancel: threading.Event) -> None:
    """Ctrl+C asks the running job to stop at its next checkpoint instead of killing it mid-write."""
    import signal

    def handler(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print("\nstopping at the next checkpoint (Ctrl+C again to abort)...", file=sys.stderr)

    # Installed whatever the inherited disposition: Python keeps an inherited SIG_IGN (a shell's
    # background job, make) and installs no handler of its own, so Ctrl+C would otherwise do nothing.
    signal.signal(signal.SIGINT, handler)
    if hasattr(signal, "pthread_sigmask"):
        # A blocked SIGINT is inherited from the parent process (a launcher or test runner that
        # blocked it while it spawned a helper): unblock it, or Ctrl+C would stay pending for ever.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


if __name__ == "__main__":
    sys.exit(main())
