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
    if args.source == "pubmed":
        return _import_pubmed(wb, args)
    if args.source in ("drugbank", "toxcast", "cod"):
        return _import_issue4(wb, args)
    return _import_file(wb, args)


def _import_issue4(wb: Workbench, args: argparse.Namespace) -> int:
    """``import drugbank|toxcast|cod``: checkpointed jobs with a plain summary."""
    if args.source == "drugbank":
        from cryodesk.engine.drugbank_import import DrugBankVocabularyParams, DrugBankXmlParams

        path = str(Path(args.path).expanduser())
        xml = path.lower().endswith(".xml")
        size = args.batch_size or (200 if xml else 500)
        params = DrugBankXmlParams(path, size) if xml else DrugBankVocabularyParams(path, size)
        start = lambda progress, cancel: wb.import_drugbank(params, progress, cancel, resume=not args.no_resume)  # noqa: E731
    elif args.source == "toxcast":
        from cryodesk.engine.toxcast_import import ToxcastImportParams

        params = ToxcastImportParams(str(Path(args.path).expanduser()), args.batch_size, args.limit, args.workers)
        start = lambda progress, cancel: wb.import_toxcast(params, progress, cancel, resume=not args.no_resume)  # noqa: E731
    else:
        from cryodesk.engine.cod_import import CodImportParams

        ids = tuple(r for r in args.refs if re.fullmatch(r"\d{7}", r))
        files = tuple(str(Path(r).expanduser()) for r in args.refs if r not in ids)
        params = CodImportParams(ids, files, args.compound)
        start = lambda progress, cancel: wb.import_cod(params, progress, cancel, resume=not args.no_resume)  # noqa: E731
    return _run_online(wb, args, start, _print_job_summary)


def _print_job_summary(outcome, summary) -> None:
    print(f"job {outcome.job_id}: {outcome.state}" + (" (resumed)" if outcome.resumed else ""))
    if outcome.error:
        print(f"error: {outcome.error}")
    if summary is None:
        return
    data = summary.as_dict()
    samples = data.pop("errors_sample", [])
    note = data.pop("note", None)
    print(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items() if not isinstance(v, list)))
    if note:
        print(f"note: {note}")
    for line in samples:
        print(f"not imported: {line}")
    if samples:
        print(f"all row errors: cryodesk jobs show {outcome.job_id}")


def cmd_resolve(wb: Workbench, args: argparse.Namespace) -> int:
    """A table of answers: input, kind, InChIKey, name, method, confidence, conflicts and notes."""
    results = wb.resolve_identifiers(args.identifiers, offline=args.offline, verify=args.verify, save=args.save)
    if args.json:
        print_json([r.as_dict() for r in results])
    else:
        _print_resolutions(results)
    if all(r.resolved for r in results):
        return exit_codes.OK
    # A malformed input (wrong CAS check digit ...) is the user's to fix; unknown is just not found.
    syntax = any(r.error and not r.candidates and "could not resolve" not in r.error for r in results)
    return exit_codes.INPUT_ERROR if syntax else exit_codes.NOT_FOUND


def _print_resolutions(results) -> None:
    header = ("input", "kind", "InChIKey", "name", "method", "conf.")
    rows = [(r.query, str(r.kind), r.inchikey or "-", (r.name or "-")[:28], r.method or "-", f"{r.confidence:.2f}")
            for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for r, row in zip(results, rows, strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if r.error:
            print(f"    error: {r.error}")
        for alt in r.alternatives:
            print(f"    CONFLICT: {alt.method} says {alt.inchikey} ({alt.name or alt.smiles}) conf {alt.confidence:.2f}")
        for message in r.messages:
            print(f"    note: {message}")


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
        threshold=args.threshold, max_records=args.max_records, experimental=args.experimental, literature=args.literature,
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


def _import_pubmed(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.literature_import import PubMedImportParams

    params = PubMedImportParams(query=args.query, max_results=args.max_results, batch_size=args.batch_size)
    return _run_online(wb, args, lambda progress, cancel: wb.import_pubmed(params, progress, cancel,
                                                                           resume=not args.no_resume),
                       _print_pubmed_import)


def _print_pubmed_import(outcome, summary) -> None:
    print(f"job {outcome.job_id}: {outcome.state}" + (" (resumed)" if outcome.resumed else ""))
    if outcome.error:
        print(f"error: {outcome.error}")
    if outcome.state is JobState.PAUSED:
        print(f"continue with: cryodesk jobs resume {outcome.job_id}")
    if summary is None:
        return
    resumed = f" (resumed at {summary.resumed_from})" if summary.resumed_from else ""
    print(f"pubmed: {summary.hits} hits for {summary.query!r}, {summary.done} of {summary.total} PMIDs done{resumed}")
    print(f"stored {summary.records_stored} records ({summary.records_new} new, {summary.records_updated} revised), "
          f"{summary.evidence_new} new evidence rows, {summary.values_new} new literature values")
    print(f"mentions {summary.mentions} ({summary.mentions_unlinked} of things not in the project)")
    print(f"requests {summary.requests_sent} sent, {summary.cache_hits} answered from the cache, "
          f"{summary.retries} retries")
    for line in summary.errors_sample:
        print(f"not imported: {line}")
    if summary.rows_rejected:
        print(f"all row errors and metrics: cryodesk jobs show {outcome.job_id}")


def cmd_evidence(wb: Workbench, args: argparse.Namespace) -> int:
    if getattr(args, "compare", None):
        return _evidence_compare(wb, args)
    # A mixture named exactly so is shown too: "M22" may also match compounds by substring.
    mixture = wb.mixture_evidence_summary(args.identifier, args.top)
    compounds = [] if mixture and not wb.project.identifiers.lookup(args.identifier) else wb.resolve(args.identifier)
    summaries = [s for s in (wb.evidence_summary(key, args.top) for key in compounds) if s]
    summaries += [mixture] if mixture else []
    if not summaries:
        print(f"cryodesk: nothing matches '{args.identifier}'", file=sys.stderr)
        return exit_codes.NOT_FOUND
    if args.json:
        from dataclasses import asdict

        print_json([{**asdict(s), "top_sentences": [{**asdict(t), "url": t.url} for t in s.top_sentences]}
                    for s in summaries])
        return exit_codes.OK
    for summary in summaries:
        _print_evidence(summary)
    return exit_codes.OK


def _evidence_compare(wb: Workbench, args: argparse.Namespace) -> int:
    """``evidence KEY --compare MODEL``: literature values of the model's target vs its prediction."""
    keys = wb.resolve(args.identifier)
    if not keys:
        print(f"cryodesk: no compound matches '{args.identifier}'", file=sys.stderr)
        return exit_codes.NOT_FOUND
    model = int(args.compare) if str(args.compare).isdigit() else args.compare
    found = [wb.evidence_agreement(key, model) for key in keys[:1]]
    if args.json:
        print_json([a.as_dict() for a in found])
        return exit_codes.OK
    for agreement in found:
        print("\n".join(agreement.lines()) + "\n")
    return exit_codes.OK


def _print_evidence(s) -> None:
    title = f"{s.name} ({s.subject})" if s.name and s.name != s.subject else s.subject
    if s.is_empty:
        print(f"{title}: no literature evidence (import some with: cryodesk import pubmed --query ...)\n")
        return
    years = f", {s.first_year}-{s.last_year}" if s.first_year else ""
    print(f"{title}: {s.n_papers} papers, {s.n_mentions} mentions{years}")
    for stats in (*s.concentrations, *s.outcomes):
        label = "concentration" if stats.label == "concentration" else stats.label
        spread = f"{stats.minimum:g}-{stats.maximum:g}" if stats.minimum != stats.maximum else f"{stats.minimum:g}"
        print(f"  reported {label}: median {stats.median:g} {stats.unit or ''} (range {spread}; "
              f"{stats.n} values in {stats.n_papers} papers)")
    for t in s.top_sentences:
        year = f"{t.year}, " if t.year else ""
        confidence = f"confidence {t.confidence:.2f}" if t.confidence is not None else ""
        print(f"  PMID {t.pmid} ({year}{confidence}) {t.url}")
        print(f"    {t.sentence}")
    print()


def _run_online(wb: Workbench, args: argparse.Namespace, start, printer=None) -> int:
    cancel = threading.Event()
    install_interrupt(cancel)
    outcome = start(_progress_printer(f"importing from {args.source}"), cancel)
    print(file=sys.stderr)
    summary = outcome.result
    if args.json:
        print_json({"job_id": outcome.job_id, "state": str(outcome.state), "resumed": outcome.resumed,
                    "error": outcome.error, "summary": summary.as_dict() if summary else None})
    else:
        (printer or _print_online_import)(outcome, summary)
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
    if "pmids" in checkpoint:
        from cryodesk.engine.literature_import import describe_checkpoint

        return describe_checkpoint(checkpoint)
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


# -- models and predictions ---------------------------------------------------------------------------
def _split_model_ref(text: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@VERSION`` (names may hold ':' as in tox21:NR-AR, so '@' separates)."""
    name, sep, version = text.rpartition("@")
    if sep and version.lstrip("v").isdigit():
        return name, int(version.lstrip("v"))
    return text, None


def cmd_train(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.training import DefaultModelsRequest, TrainRequest

    cancel = threading.Event()
    install_interrupt(cancel)
    members = tuple(m.strip() for m in args.models.split(",") if m.strip())
    if args.defaults:
        request = DefaultModelsRequest(members=members, split=args.split, budget=args.budget, n_folds=args.folds)
        outcome = wb.train_default_models(request, _progress_printer("training"), cancel)
    elif not args.target:
        raise InputError("give a property or assay to train (or --defaults)")
    else:
        request = TrainRequest(args.target, name=args.name, members=members, split=args.split, budget=args.budget,
                               feature_sets=tuple(f.strip() for f in args.features.split(",") if f.strip()),
                               n_folds=args.folds, seed=args.seed, promote=True if args.promote else None,
                               with_evidence=bool(getattr(args, "with_evidence", False)))
        outcome = wb.train_model(request, _progress_printer("training"), cancel)
    print(file=sys.stderr)
    if outcome.state is not JobState.DONE:
        print(f"training {outcome.state}: {outcome.error or ''}", file=sys.stderr)
        return stop_code(outcome.state)
    result = outcome.result
    if args.json:
        print_json(result)
    elif args.defaults:
        for target, item in result.items():
            print(f"{target}: {_describe_summary(item)}")
    else:
        print(_describe_summary(result))
    return exit_codes.OK


def _describe_summary(item: object) -> str:
    if not isinstance(item, dict):
        return str(item)
    if "skipped" in item:
        return f"skipped ({item['skipped']})"
    scores = ", ".join(f"{k}={v:.3f}" for k, v in sorted(item.get("held_out", {}).items()))
    return f"{item['name']} v{item['version']} [{item['status']}] held-out {scores}"


def cmd_models(wb: Workbench, args: argparse.Namespace) -> int:
    action = args.action
    if action == "list":
        return _list_models(wb, args)
    if not args.name:
        raise InputError(f"models {action} needs a model name")
    name, version = _split_model_ref(args.name)
    versions = list(args.versions) or ([version] if version is not None else [])
    if action == "show":
        row = wb.model(name, versions[0] if versions else None)
        data = {**row.as_mapping(), "params": row.params_dict, "metrics": row.metrics_dict}
        data["params"].pop("feature_stats", None)  # hundreds of numbers nobody reads
        print_json(data)
        return exit_codes.OK
    if action == "compare":
        if len(versions) != 2:
            raise InputError("models compare needs NAME OLD NEW")
        print_json(wb.compare_models(name, versions[0], versions[1]))
        return exit_codes.OK
    if action == "monitor":
        report = wb.model_monitor(args.name)
        if args.json:
            print_json(report)
        else:
            _print_monitor(report)
        return exit_codes.OK
    if action in ("promote", "retire") and not versions:
        raise InputError(f"models {action} needs NAME VERSION")
    if action == "promote":
        row = wb.promote_model(name, versions[0])
    elif action == "rollback":
        row = wb.rollback_model(name)
    else:
        row = wb.retire_model(name, versions[0])
    print(f"{row.label}: {row.status}")
    if args.warm and row.status == "promoted":
        outcome = wb.warm_predictions(row.name, row.version, _progress_printer("warming"))
        print(file=sys.stderr)
        if outcome.state is not JobState.DONE:
            return stop_code(outcome.state)
        print(f"cache warmed: {outcome.result['rows']} compounds")
    return exit_codes.OK


def _list_models(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.training import model_summary

    rows = [model_summary(r) for r in wb.models(args.name)]
    if args.json:
        print_json(rows)
        return exit_codes.OK
    if not rows:
        print("no models (train one with `cryodesk train PROPERTY` or `cryodesk train --defaults`)")
    for r in rows:
        scores = ", ".join(f"{k}={v:.3f}" for k, v in sorted(r["held_out"].items()))
        print(f"{r['name']:<24} v{r['version']:<3} {r['status']:<9} {r['kind']:<14} {r['created_at']}  {scores}")
    return exit_codes.OK


def _print_monitor(report: dict) -> None:
    print(f"{report['model']} ({report['status']}): {report['predictions']} predictions in {report['calls']} calls,"
          f" {report['cached_rows']} cached rows")
    rate = report["cache_hit_rate"]
    print(f"  cache hit rate: {'-' if rate is None else f'{rate:.1%}'}"
          f" (memory {report['memory_hits']}, store {report['store_hits']}, computed {report['computed']})")
    ood = report["out_of_domain_share"]
    drift = report["drift"]
    print(f"  out of domain: {'-' if ood is None else f'{ood:.1%}'}; feature drift: "
          f"{'-' if drift is None else f'{drift:.3f}'} (threshold {report['drift_threshold']})")
    lat = report["latency_ms"]
    pairs = [f"<={b}ms:{c}" for b, c in zip(lat["buckets_le"], lat["counts"], strict=True) if c]
    print(f"  latency: {' '.join(pairs) or '-'}")
    for reason in report["reasons"]:
        print(f"  retrain suggested: {reason}")


def cmd_evaluate(wb: Workbench, args: argparse.Namespace) -> int:
    name, version = _split_model_ref(args.model)
    report = wb.evaluate_model(name, version, args.split, args.seed, _progress_printer("evaluating"))
    print(file=sys.stderr)
    if args.json:
        print_json(report)
        return exit_codes.OK
    split = report["split"]
    print(f"{report['model']}: {split['split']} split (seed {split['seed']}, sizes {split['sizes']})")
    for who, scores in report["mean"].items():
        print(f"  {who:<9} " + ", ".join(f"{k}={v:.3f}" for k, v in sorted(scores.items())))
    return exit_codes.OK


def cmd_predict(wb: Workbench, args: argparse.Namespace) -> int:
    import csv

    from cryodesk.domain.identifiers import is_inchikey

    if args.all:
        cancel = threading.Event()
        install_interrupt(cancel)
        batch = wb.predictions.predict_all(args.model, progress=_progress_printer("predicting"),
                                           cancel=cancel.is_set)
        print(file=sys.stderr)
        inputs = [r.key for r in batch.rows]
        rows = batch.rows
    else:
        inputs = _read_structures(Path(args.input).expanduser(), args.column)
        if all(is_inchikey(t) for t in inputs):
            rows = wb.predict(args.model, inputs).rows
        else:
            rows = wb.predictions.predict_structures(args.model, inputs)
    handle = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["input", "inchikey", "prediction", "uncertainty", "in_domain", "source", "error"])
        for text, r in zip(inputs, rows, strict=True):
            key = r.key if r.source != "failed" or is_inchikey(r.key) else ""
            writer.writerow([text, key, "" if r.value is None else f"{r.value:.6g}",
                             "" if r.uncertainty is None else f"{r.uncertainty:.4g}",
                             "" if r.in_domain is None else int(r.in_domain), r.source, r.error or ""])
    finally:
        if args.output:
            handle.close()
    failed = sum(1 for r in rows if r.source == "failed")
    print(f"{len(rows) - failed} predicted, {failed} failed", file=sys.stderr)
    return exit_codes.OK


def _read_structures(path: Path, column: str | None) -> list[str]:
    import csv

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            wanted = column or next((c for c in fields if c.lower() in ("smiles", "structure", "inchikey")), None)
            if wanted is None or wanted not in fields:
                raise InputError(f"{path}: no structure column (have {fields}); pass --column")
            return [row[wanted].strip() for row in reader if (row.get(wanted) or "").strip()]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc


# -- data quality, reconciliation, lineage, scoring profiles ------------------------------------------
def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def cmd_quality(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.quality import known_sources

    if args.source and args.source not in known_sources(wb.project):
        print(f"cryodesk: no source '{args.source}' in this project", file=sys.stderr)
        return exit_codes.NOT_FOUND
    report = wb.quality_report(args.source)
    if args.json:
        print_json(report)
        return exit_codes.OK
    _print_coverage(report["coverage"])
    settings = report["settings"]
    print(f"reference compounds: source {settings['reference_source']}; trusted values from "
          f"{', '.join(settings['trusted_sources'])}")
    for source in report["sources"]:
        (_print_source_detail if args.source else _print_source_line)(source)
    return exit_codes.OK


def _print_coverage(c: dict) -> None:
    n = c["compounds"]
    print(f"coverage of {n} compounds: structure {c['with_structure']} ({_pct(c['with_structure'], n)}), "
          f"identifiers {c['with_identifiers']} ({_pct(c['with_identifiers'], n)}; beyond names "
          f"{c['with_strong_identifiers']}), toxicity results {c['with_toxicity']} ({_pct(c['with_toxicity'], n)})")
    print("  property families: " + ", ".join(f"{k} {v} ({_pct(v, n)})" for k, v in c["families"].items()))
    print("  properties: " + ", ".join(f"{k} {v['compounds']}" for k, v in c["properties"].items()))
    if c["toxicity"]:
        print("  toxicity endpoints (tested/active): "
              + ", ".join(f"{k} {v['tested']}/{v['active']}" for k, v in c["toxicity"].items()))
    if c["mixture_components"]:
        print(f"  mixture components linked to a structure: {c['mixture_components_linked']} of "
              f"{c['mixture_components']}")


def _print_source_line(s: dict) -> None:
    values = sum(p["values"] for p in s["properties"])
    results = s["assay_results"].get("results", 0)
    conflicts, reference = s["conflicts"], s["reference"]
    print(f"{s['source']:<22} values {values:<6} results {results:<6} identifiers {sum(s['identifiers'].values()):<6}"
          f" jobs {len(s['jobs'])}  rejected rows {s['rejected'].get('rows_rejected', 0):<4}"
          f" conflicts {conflicts['conflicts']} ({conflicts['across_sources']} across sources)"
          f"  reference {reference['disagreements']}/{reference['checked']} disagree")


def _print_source_detail(s: dict) -> None:
    print(f"\nsource {s['source']}" + (f": {s['title']}" if s["title"] else ""))
    if s["licence"]:
        print(f"  licence: {s['licence']}")
    for p in s["properties"]:
        print(f"  property {p['property']:<16} {p['values']} values ({p['numeric']} numeric) of {p['compounds']} "
              f"compounds, unit {p['unit'] or '-'}, {p['method']}")
    if s["assay_results"]:
        a = s["assay_results"]
        print(f"  assay results {a['results']} for {a['compounds']} compounds ({a['active']} active)")
    if s["identifiers"]:
        print("  identifiers: " + ", ".join(f"{k} {v}" for k, v in s["identifiers"].items()))
    for j in s["jobs"]:
        print(f"  job {j['id']} {j['kind']} {j['state']} {j['finished_at'] or j['created_at']}: rows read "
              f"{j['rows_read']}, rejected {j['rows_rejected']}, row errors {j['row_errors']}")
    r = s["rejected"]
    if r.get("errors"):
        print(f"  row errors by reason ({r['errors']}): " + "; ".join(f"{k} ×{v}" for k, v in r["by_reason"].items()))
    if s["flags"]:
        print("  structure/value flags: " + ", ".join(f"{k} {v}" for k, v in s["flags"].items()))
    if s["reconciled"]:
        print("  values chosen by reconciliation: " + ", ".join(f"{k} {v}" for k, v in s["reconciled"].items()))
    c = s["conflicts"]
    print(f"  conflicts: {c['conflicts']} of {c['groups_checked']} multi-valued (compound, property) groups "
          f"({c['across_sources']} across sources, {c['within_source']} within this source)")
    for e in c["examples"]:
        print(f"    {e['compound']} {e['property']}: spread {e['spread']:g} {e['unit'] or ''} > {e['tolerance']:g}: "
              + ", ".join(e["values"]))
    ref = s["reference"]
    print(f"  reference check: {ref['checked']} values of reference compounds checked, {ref['disagreements']} disagree")
    for e in ref["examples"]:
        print(f"    value {e['value_id']} {e['compound']} {e['property']} {e['stored']}: {e['value']:g} vs reference "
              f"{e['reference']:g} {e['unit'] or ''} ({', '.join(e['reference_sources'])}; tolerance {e['tolerance']:g})")


def cmd_reconcile(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.reconcile import explain, reconcile_state, rules_from_file

    if args.show:
        rules, state = wb.reconcile_rules().to_dict(), reconcile_state(wb.project)
        if args.json:
            print_json({"rules": rules, "last_runs": state})
            return exit_codes.OK
        _print_rules(rules, state)
        return exit_codes.OK
    if args.compound:
        return _explain_compound(wb, args, explain)
    if args.rules:
        wb.set_reconcile_rules(rules_from_file(args.rules))
    outcome = wb.reconcile(args.properties, None, _progress_printer("reconciling"))
    print(file=sys.stderr)
    if outcome.state is not JobState.DONE:
        print(f"reconcile {outcome.state}: {outcome.error or ''}", file=sys.stderr)
        return stop_code(outcome.state)
    summary = outcome.result
    if args.json:
        print_json(summary.as_dict())
        return exit_codes.OK
    print(f"job {outcome.job_id}: reconciled; losing values are kept, winners are flagged 'reconciled=<rule>'")
    for p in summary.properties:
        rules = ", ".join(f"{k} {v}" for k, v in p.by_rule.items())
        print(f"  {p.property:<16} {p.groups} multi-valued compounds, {p.conflicts} conflicts beyond tolerance "
              f"(unit {p.unit}); chosen by: {rules or '-'}")
        for e in p.examples[:3]:
            winner = next(c for c in e["candidates"] if c["winner"])
            print(f"    {e['compound']}: {e['value']:g} {e['unit'] or ''} by {e['rule']} from {winner['source']} "
                  f"{winner['record']} (spread {e['spread']:g}; {len(e['candidates'])} values)")
    return exit_codes.OK


def _print_rules(rules: dict, state: dict) -> None:
    print("order: " + " > ".join(rules["order"]))
    print("source priority: " + ", ".join(rules["source_priority"]))
    print("method priority: " + ", ".join(rules["method_priority"]))
    for prop, overrides in rules["per_property"].items():
        print(f"  {prop}: " + "; ".join(f"{k} {', '.join(v)}" for k, v in overrides.items()))
    print("tolerances: " + ", ".join(
        f"{k} {t['amount']:g}{' ' + t['unit'] if t['unit'] else ''}{' (relative)' if t['relative'] else ''}"
        for k, t in rules["tolerances"].items()))
    for prop, run in state.items():
        print(f"last run for {prop}: job {run['job_id']} at {run['at']}")


def _explain_compound(wb: Workbench, args: argparse.Namespace, explain) -> int:
    if not args.properties:
        print("cryodesk: reconcile --compound needs --property", file=sys.stderr)
        return exit_codes.USAGE
    keys = wb.resolve(args.compound)
    ids = wb.project.compounds.ids_for(keys[:1])
    found = [e for prop in args.properties for cid in ids.values() if (e := explain(wb.project, cid, prop))]
    if not found:
        print(f"cryodesk: no numeric {', '.join(args.properties)} for '{args.compound}'", file=sys.stderr)
        return exit_codes.NOT_FOUND
    if args.json:
        print_json(found)
        return exit_codes.OK
    for e in found:
        state = "recorded" if e["recorded"] else "decided live (run cryodesk reconcile to record it)"
        print(f"{e['compound']} {e['property']}: {e['value']:g} {e['unit'] or ''} by {e['rule']} ({state})")
        for c in e["candidates"]:
            mark = "*" if c["winner"] else " "
            print(f"  {mark} {c['stored']:<14} = {c['converted']:g} {e['unit'] or ''}  [{c['source']} {c['record']}, "
                  f"{c['method']}, value {c['value_id']}]")
    return exit_codes.OK


def cmd_lineage(wb: Workbench, args: argparse.Namespace) -> int:
    if args.value is not None:
        found = [wb.value_lineage(args.value)]
    elif args.compound:
        if not args.property:
            print("cryodesk: lineage --compound needs --property", file=sys.stderr)
            return exit_codes.USAGE
        found = [lin for key in wb.resolve(args.compound)[:1] for lin in wb.property_lineage(key, args.property)]
    else:
        model, key = args.prediction
        keys = [key] if wb.project.compounds.get(key) else (wb.resolve(key)[:1] or [key])
        found = [wb.prediction_lineage(model, keys[0])]
    found = [lin for lin in found if lin is not None]
    if not found:
        print("cryodesk: nothing found to trace", file=sys.stderr)
        return exit_codes.NOT_FOUND
    if args.json:
        print_json([lin.as_dict() for lin in found])
        return exit_codes.OK
    for lin in found:
        print("\n".join(lin.lines()) + "\n")
    return exit_codes.OK


def cmd_profile(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine import reconcile as scoring

    if args.action == "list":
        profiles = wb.scoring_profiles()
        if args.json:
            print_json([p.to_dict() for p in profiles.values()])
            return exit_codes.OK
        for name, p in profiles.items():
            terms = ", ".join(f"{t.key} {t.trend} (w {t.weight:g})" for t in p.terms)
            print(f"{name:<24} {terms}")
        return exit_codes.OK
    if args.action == "create":
        profile = _profile_from_args(args)
        wb.save_scoring_profile(profile, replace=args.replace)
        print(f"saved profile {profile.name!r} ({len(profile.terms)} terms)")
        return exit_codes.OK
    if args.action == "delete":
        if not scoring.delete_profile(wb.project, args.name):
            print(f"cryodesk: no saved profile named {args.name!r}", file=sys.stderr)
            return exit_codes.NOT_FOUND
        print(f"deleted profile {args.name!r}")
        return exit_codes.OK
    profile = _known_profile(wb, args.name)
    if profile is None:
        return exit_codes.NOT_FOUND
    if args.action == "show":
        return _show_profile(profile, args.json)
    return _rank_profile(wb, args)


def _known_profile(wb: Workbench, name: str):
    profile = wb.scoring_profiles().get(name)
    if profile is None:
        print(f"cryodesk: no profile named {name!r} (see cryodesk profile list)", file=sys.stderr)
    return profile


def _profile_from_args(args: argparse.Namespace):
    import json

    from cryodesk.domain.properties import property_info
    from cryodesk.ml.scoring import Profile, Term

    try:
        if args.file:
            data = json.loads(Path(args.file).expanduser().read_text(encoding="utf-8"))
            return Profile.from_dict({**data, "name": args.name})
        terms = []
        for spec in args.term:
            parts = spec.split(":")
            if not 4 <= len(parts) <= 6:
                raise ValueError(f"term {spec!r}: expected KEY:TREND:LOW:HIGH[:WEIGHT[:TARGET]]")
            info = property_info(parts[0])
            terms.append(Term(parts[0], parts[1], float(parts[2]), float(parts[3]),
                              weight=float(parts[4]) if len(parts) > 4 else 1.0,
                              target=float(parts[5]) if len(parts) > 5 else None,
                              unit=info.default_unit if info else None))
        return Profile(args.name, tuple(terms), args.description, args.missing, args.min_coverage)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot build the profile: {exc}") from exc


def _show_profile(profile, as_json: bool) -> int:
    if as_json:
        print_json(profile.to_dict())
        return exit_codes.OK
    print(f"{profile.name}: {profile.description}")
    print(f"  missing values: {profile.missing}; ranked with at least {profile.min_coverage:.0%} of the weight")
    for t in profile.terms:
        best = f", best at {t.best:g}" if t.trend == "target" else ""
        sd = f", default sd {t.default_sd:g}" if t.default_sd is not None else ""
        print(f"  {t.key:<24} {t.trend:<6} {t.low:g} .. {t.high:g} {t.unit or ''}{best}  weight {t.weight:g}{sd}")
    return exit_codes.OK


def _rank_profile(wb: Workbench, args: argparse.Namespace) -> int:
    ids = wb.project.row_lists.members(args.row_list) if args.row_list else None
    ranked = wb.rank_compounds(args.name, ids, method=args.method)
    if not ranked:
        print("cryodesk: no compound has any input of this profile", file=sys.stderr)
        return exit_codes.NOT_FOUND
    top = ranked[: args.top]
    if args.json:
        print_json([s.as_dict() for s in top])
        return exit_codes.OK
    for s in top:
        inputs = ", ".join(f"{k}={v.value:.3g}" for k, v in s.inputs.items())
        print(f"{s.rank:>4}  {s.score:.3f} ± {s.sd:.3f}  [{s.low:.2f}, {s.high:.2f}]  coverage {s.coverage:.0%}  "
              f"{s.name or s.key}  ({inputs})")
    print(f"{len(top)} of {len(ranked)} ranked", file=sys.stderr)
    return exit_codes.OK


def cmd_screen(wb: Workbench, args: argparse.Namespace) -> int:
    from cryodesk.engine.screening import ScreenParams, keep_resumable

    params = ScreenParams(
        library=str(Path(args.library).expanduser()), models=tuple(split_list([args.model])), profile=args.profile,
        top=args.top, threshold=args.threshold, max_hits=args.max_hits, chunk_size=args.chunk_size,
        workers=args.workers, scheduler=args.scheduler, name=args.name, score_method=args.score_method,
    )
    cancel = threading.Event()
    install_interrupt(cancel)
    outcome = wb.screen(params, _progress_printer("screening"), cancel, resume=not args.no_resume)
    print(file=sys.stderr)
    outcome = keep_resumable(wb.project, outcome, "the same command")  # Ctrl+C pauses rather than cancels
    summary = outcome.result
    if args.json:
        print_json({"job_id": outcome.job_id, "state": str(outcome.state), "error": outcome.error,
                    "summary": summary.as_dict() if summary else None})
    elif summary is not None:
        for hit in summary.hits[:20]:
            print(f"{hit['rank']:>5}  {hit['score']:.4f} ± {hit['sd']:.3f}  {hit['name'] or ''}  {hit['smiles']}")
        print(f"{summary.records} records, {summary.scored} scored, {summary.errors} errors; "
              f"{len(summary.hits)} hits in row list {summary.row_list!r} (job {outcome.job_id})", file=sys.stderr)
    else:
        print(f"screen {outcome.state}: {outcome.error or ''} (job {outcome.job_id})", file=sys.stderr)
    if outcome.state is JobState.PAUSED:
        print("continue with the same command (it resumes at the last finished chunk)", file=sys.stderr)
    return stop_code(outcome.state)
