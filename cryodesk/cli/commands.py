"""The command handlers of ``cryodesk`` (one function per sub-command)."""

from __future__ import annotations

import argparse
import re
import sys
import threading
from pathlib import Path

from cryodesk.cli import exit_codes
from cryodesk.cli.main import install_interrupt, print_json, stop_code
from cryodesk.domain import InputError, JobState
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.import_metrics import describe_metrics, is_import_metrics
from cryodesk.engine.service import Workbench


def _progress_printer(label: str, interval_s: float = 0.5):
    import time

    last = {"at": 0.0}

    def show(done: int, total: int | None, message: str) -> None:
        now = time.monotonic()
        if now - last["at"] < interval_s and (total is None or done < total):
            return
        last["at"] = now
        of = f"/{total}" if total else ""
        print(f"\r{label}: {done}{of} {message}\033[K", end="", file=sys.stderr, flush=True)

    return show


def cmd_init(wb: Workbench, args: argparse.Namespace) -> int:
    if args.empty or wb.is_seeded():
        print(f"project ready: {wb.project.path}" + (" (already seeded)" if wb.is_seeded() else ""))
        return exit_codes.OK
    outcome = wb.seed_default_library(_progress_printer("seeding"))
    print(file=sys.stderr)
    if outcome.state is not JobState.DONE:
        print(f"seeding {outcome.state}: {outcome.error or ''}", file=sys.stderr)
        return stop_code(outcome.state)
    print(f"project ready: {wb.project.path}")
    _print_counts(wb)
    return exit_codes.OK


def cmd_import(wb: Workbench, args: argparse.Namespace) -> int:
    if args.source == "pubchem":
        return _import_pubchem(wb, args)
    if args.source == "chembl":
        return _import_chembl(wb, args)
    return _import_file(wb, args)


def _import_file(wb: Workbench, args: argparse.Namespace) -> int:
    params = FileImportParams(
        path=str(Path(args.path).expanduser()), source=args.source, method=args.method,
        structure_column=args.structure_column, name_column=args.name_column, workers=args.workers,
        batch_size=args.batch_size,
    )
    cancel = threading.Event()
    install_interrupt(cancel)
    outcome = wb.import_file(params, _progress_printer("importing"), cancel, resume=not args.no_resume)
    print(file=sys.stderr)
    summary = outcome.result
    if args.json:
        print_json({"job_id": outcome.job_id, "state": str(outcome.state), "error": outcome.error,
                    "summary": summary.as_dict() if summary else None})
    else:
        _print_import(outcome, summary)
    if outcome.state is not JobState.DONE:
        return stop_code(outcome.state)
    if args.strict and summary.rows_rejected:
        return exit_codes.ROWS_REJECTED
    return exit_codes.OK


# Commas inside names such as "1,2-propanediol" sit between digits: only other commas separate names.
_NAME_SEPARATOR = re.compile(r"(?<!\d),|,(?!\d)")


def split_names(values: list[str] | None) -> list[str]:
    """Names from repeated comma-separated ``--names`` values."""
    return [n.strip() for value in values or [] for n in _NAME_SEPARATOR.split(value) if n.strip()]


def split_list(values: list[str] | None) -> list[str]:
    """Items of repeated comma-separated option values (CIDs, ChEMBL ids)."""
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def _read_names(path: str) -> list[str]:
    try:
        lines = Path(path).expanduser().read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read names file {path}: {exc.strerror or exc}") from exc
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _import_pubchem(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.online_import import PubChemImportParams

    names = _read_names(args.names_file) if args.names_file else split_names(args.names)
    params = PubChemImportParams(
        names=tuple(names), cids=tuple(split_list(args.cids)), similar_to=args.similar_to,
        threshold=args.threshold, max_records=args.max_records, experimental=args.experimental,
        max_synonyms=args.max_synonyms, batch_size=args.batch_size,
    )
    return _run_online(wb, args, lambda progress, cancel: wb.import_pubchem(params, progress, cancel,
                                                                            resume=not args.no_resume))


def _import_chembl(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.online_import import ChemblImportParams

    params = ChemblImportParams(
        ids=tuple(split_list(args.ids)), smiles=tuple(s for s in args.smiles or [] if s.strip()),
        activities=args.activities, max_synonyms=args.max_synonyms, batch_size=args.batch_size,
    )
    return _run_online(wb, args, lambda progress, cancel: wb.import_chembl(params, progress, cancel,
                                                                           resume=not args.no_resume))


def _run_online(wb: Workbench, args: argparse.Namespace, start) -> int:
    cancel = threading.Event()
    install_interrupt(cancel)
    outcome = start(_progress_printer(f"importing from {args.source}"), cancel)
    print(file=sys.stderr)
    summary = outcome.result
    if args.json:
        print_json({"job_id": outcome.job_id, "state": str(outcome.state), "resumed": outcome.resumed,
                    "error": outcome.error, "summary": summary.as_dict() if summary else None})
    else:
        _print_online_import(outcome, summary)
    if outcome.state is not JobState.DONE:
        return stop_code(outcome.state)
    # Row errors of earlier runs of a resumed job count too.
    if args.strict and wb.job(outcome.job_id).n_row_errors:
        return exit_codes.ROWS_REJECTED
    return exit_codes.OK


def _print_online_import(outcome, summary) -> None:
    print(f"job {outcome.job_id}: {outcome.state}" + (" (resumed)" if outcome.resumed else ""))
    if outcome.error:
        print(f"error: {outcome.error}")
    if outcome.state is JobState.PAUSED:
        print(f"continue with: cryodesk jobs resume {outcome.job_id}")
    if summary is None:
        return
    found = summary.queries - summary.not_found
    queries = f"{found} of {summary.queries} queries matched, " if summary.queries else ""
    resumed = f" (resumed at {summary.resumed_from})" if summary.resumed_from else ""
    print(f"{summary.service}: {queries}{summary.done} of {summary.total} ids done{resumed}")
    print(f"stored {summary.compounds_stored} compounds ({summary.compounds_new} new), "
          f"{summary.values_new} new values, {summary.identifiers} identifiers")
    print(f"requests {summary.requests_sent} sent, {summary.cache_hits} answered from the cache, "
          f"{summary.retries} retries")
    for line in summary.errors_sample:
        print(f"not imported: {line}")
    if summary.rows_rejected:
        print(f"all row errors and metrics: cryodesk jobs show {outcome.job_id}")


def _print_import(outcome, summary) -> None:
    print(f"job {outcome.job_id}: {outcome.state}" + (" (resumed)" if outcome.resumed else ""))
    if outcome.error:
        print(f"error: {outcome.error}")
    if summary is None:
        return
    print(f"rows read {summary.rows_read}, stored {summary.rows_stored}, rejected {summary.rows_rejected}, "
          f"duplicates {summary.duplicates}")
    print(f"new compounds {summary.compounds_new}, new values {summary.values_new}")
    for warning in summary.warnings:
        print(f"warning: {warning}")
    for line in summary.errors_sample:
        print(f"rejected: {line}")
    if summary.rows_rejected or summary.errors_sample:
        print(f"all row errors: cryodesk jobs show {outcome.job_id}")


def cmd_list(wb: Workbench, args: argparse.Namespace) -> int:
    ids = wb.compound_ids(args.query)
    rows = wb.compound_rows(ids[: args.limit])
    if args.json:
        print_json([{"inchikey": r.inchikey, "name": r.name, "smiles": r.smiles, "values": r.n_values} for r in rows])
    else:
        for r in rows:
            print(f"{r.inchikey}\t{r.name or ''}\t{r.smiles}")
        print(f"{len(rows)} of {len(ids)} shown", file=sys.stderr)
    return exit_codes.OK if ids or not args.query else exit_codes.NOT_FOUND


def cmd_show(wb: Workbench, args: argparse.Namespace) -> int:
    keys = wb.resolve(args.identifier)
    if not keys:
        print(f"cryodesk: nothing matches '{args.identifier}'", file=sys.stderr)
        return exit_codes.NOT_FOUND
    details = [wb.compound_detail(k) for k in keys]
    if args.json:
        print_json([_detail_dict(d) for d in details if d])
        return exit_codes.OK
    for d in details:
        if d:
            _print_detail(d)
    return exit_codes.OK


def _detail_dict(d) -> dict:
    from dataclasses import asdict

    return asdict(d)


def _print_detail(d) -> None:
    c = d.compound
    print(f"{c.name or '(no name)'}\n  InChIKey {c.inchikey}\n  SMILES   {c.smiles}\n  formula  {c.formula}  "
          f"MW {c.mol_weight or 0:.2f}\n  InChI    {c.inchi}")
    for i in d.identifiers:
        print(f"  id  {i.kind:<12} {i.value}  [{i.source}, confidence {i.confidence:.2f}]")
    for v in d.properties:
        shown = f"{v.value:g}" if v.value is not None else (v.value_text or "")
        flags = f" flags={','.join(v.flags)}" if v.flags else ""
        print(f"  val {v.property:<16} {shown} {v.unit or ''}  [{v.provenance.source} {v.provenance.source_record_id or ''},"
              f" {v.provenance.method}]{flags}")
    for r in d.assay_results:
        print(f"  assay {r.assay_key:<20} {r.outcome}  [{r.provenance.source} {r.provenance.source_record_id or ''}]")
    print()


def cmd_export(wb: Workbench, args: argparse.Namespace) -> int:
    ids = wb.project.row_lists.members(args.row_list) if args.row_list else wb.compound_ids(args.query)
    if not ids:
        print("cryodesk: nothing to export", file=sys.stderr)
        return exit_codes.NOT_FOUND
    written = wb.export(ids, Path(args.output), args.format)
    print(f"exported {written} compounds to {args.output}")
    return exit_codes.OK


def cmd_info(wb: Workbench, args: argparse.Namespace) -> int:
    info = wb.info()
    if args.json:
        print_json(info)
        return exit_codes.OK
    print(f"project {info['path']} (schema {info['schema_version']}{', read-only' if info['read_only'] else ''})")
    _print_counts(wb)
    print("by source:")
    for row in info["by_source"]:
        print(f"  {row['table']:<22} {row['source']:<28} {row['rows']}")
    return exit_codes.OK


def _print_counts(wb: Workbench) -> None:
    for table, count in wb.info()["tables"].items():
        print(f"  {table:<22} {count}")


def cmd_jobs(wb: Workbench, args: argparse.Namespace) -> int:
    if args.action == "list":
        for j in wb.jobs():
            total = f"/{j.total}" if j.total else ""
            print(f"{j.id:>5}  {j.kind:<16} {j.state:<10} {j.done}{total}  errors {j.n_row_errors}  {j.created_at}")
        return exit_codes.OK
    if args.job_id is None:
        print(f"cryodesk: jobs {args.action} needs a job id", file=sys.stderr)
        return exit_codes.USAGE
    if args.action == "show":
        return _show_job(wb, args.job_id, args.json)
    if args.action in ("pause", "cancel"):
        wb.request_job(args.job_id, args.action)
        print(f"job {args.job_id}: {args.action} requested")
        return exit_codes.OK
    return _resume_job(wb, args.job_id)


def _show_job(wb: Workbench, job_id: int, as_json: bool) -> int:
    job = wb.job(job_id)
    errors = wb.row_errors(job_id)
    if as_json:
        from dataclasses import asdict

        print_json({**asdict(job), "row_errors": [asdict(e) for e in errors]})
        return exit_codes.OK
    print(f"job {job.id} {job.kind} {job.state}  {job.done}{'/' + str(job.total) if job.total else ''}")
    print(f"  created {job.created_at}, updated {job.updated_at}, finished {job.finished_at or '-'}")
    print(f"  params {_short_params(job.params)}")
    if job.error:
        print(f"  error {job.error}")
    if job.checkpoint:
        print(f"  checkpoint {_describe_checkpoint(job.checkpoint)}")
    if is_import_metrics(job.metrics):
        print("  metrics:")
        for label, text in describe_metrics(job.metrics):
            print(f"    {label:<16} {text}")
    else:
        _print_plain_metrics(job.metrics)
    print(f"  row errors: {len(errors)}")
    for e in errors:
        print(f"    {e.describe()}")
    return exit_codes.OK


def _short_params(params: dict, keep: int = 10) -> dict:
    # An import of 2,000 CIDs should not print 2,000 CIDs.
    return {k: v[:keep] + [f"... {len(v)} in all"] if isinstance(v, list) and len(v) > keep else v
            for k, v in params.items()}


def _describe_checkpoint(checkpoint: dict) -> str:
    # An online import's checkpoint holds its whole id list: show how far it got instead.
    if "keys" in checkpoint and "next" in checkpoint:
        return (f"{checkpoint['next']} of {len(checkpoint['keys'])} ids written, "
                f"{checkpoint.get('resolved', 0)} queries resolved")
    return str(checkpoint)


def _print_plain_metrics(metrics: dict) -> None:
    for key, value in metrics.items():
        if isinstance(value, dict):
            shown = {k: v for k, v in value.items() if k not in ("errors_sample",)}
            print(f"  {key}: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        else:
            print(f"  metric {key}: {value}")


def _resume_job(wb: Workbench, job_id: int) -> int:
    from cryodesk.engine.resume import resume_job

    outcome = resume_job(wb, job_id, _progress_printer(f"job {job_id}"))
    print(file=sys.stderr)
    print(f"job {job_id}: {outcome.state}" + (f" ({outcome.error})" if outcome.error else ""))
    return stop_code(outcome.state)


def cmd_search(wb: Workbench, args: argparse.Namespace) -> int:
    if args.substructure:
        try:
            ids = wb.search.substructure(args.substructure, mode="smarts" if args.smarts else "auto")
        except ValueError as exc:
            print(f"cryodesk: error: {exc}", file=sys.stderr)
            return exit_codes.INPUT_ERROR
        scores: dict[int, float] = {}
    else:
        hits = wb.search.similar(args.similar_to, args.min, args.top)
        ids = [h.compound_id for h in hits]
        scores = {h.compound_id: h.score for h in hits}
    rows = wb.compound_rows(ids[: args.limit])
    if args.json:
        print_json([{"inchikey": r.inchikey, "name": r.name, "smiles": r.smiles, "similarity": scores.get(r.id)}
                    for r in rows])
    else:
        for r in rows:
            score = f"{scores[r.id]:.3f}\t" if r.id in scores else ""
            print(f"{score}{r.inchikey}\t{r.name or ''}\t{r.smiles}")
        print(f"{len(rows)} of {len(ids)} hits shown", file=sys.stderr)
    return exit_codes.OK if ids else exit_codes.NOT_FOUND


def cmd_featurize(wb: Workbench, args: argparse.Namespace) -> int:
    if args.list:
        from cryodesk.chem.features import available_feature_sets

        for fs in available_feature_sets():
            print(f"{fs.name:<16} {fs.kind:<12} {fs.width:>5} columns  v{fs.version}  {fs.description}")
        return exit_codes.OK
    outcome = wb.featurize(args.feature_set, _progress_printer(f"featurize {args.feature_set}"))
    print(file=sys.stderr)
    if outcome.state is not JobState.DONE:
        print(f"featurize {outcome.state}: {outcome.error or ''}", file=sys.stderr)
        return stop_code(outcome.state)
    r = outcome.result
    print(f"{r['feature_set']} v{r['version']}: {r['rows']} rows ({r['cached']} cached, {r['computed']} computed,"
          f" {r['failed']} failed; see cryodesk jobs show {outcome.job_id})")
    return exit_codes.OK


def cmd_cluster(wb: Workbench, args: argparse.Namespace) -> int:
    labels = wb.search.clusters(args.cutoff)
    sizes: dict[int, int] = {}
    for label in labels.values():
        sizes[label] = sizes.get(label, 0) + 1
    print(f"{len(sizes)} clusters at Tanimoto distance {args.cutoff} over {len(labels)} compounds")
    for label, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:20]:
        print(f"  cluster {label}: {size}")
    return exit_codes.OK


def cmd_scaffolds(wb: Workbench, args: argparse.Namespace) -> int:
    counts = wb.search.scaffolds()
    for scaffold, count in counts[:50]:
        print(f"{count:>6}  {scaffold or '(acyclic)'}")
    print(f"{len(counts)} scaffolds", file=sys.stderr)
    return exit_codes.OK


def cmd_pick(wb: Workbench, args: argparse.Namespace) -> int:
    ids = wb.search.diverse_pick(args.n)
    if args.save_list:
        wb.project.row_lists.save(args.save_list, ids, f"MaxMin diverse pick of {args.n}")
    for r in wb.compound_rows(ids):
        print(f"{r.inchikey}\t{r.name or ''}\t{r.smiles}")
    return exit_codes.OK
