"""Benchmark: literature mining quality and speed, and the PubMed EFetch import at the rate limit.

Prints one JSON document with five parts:

* ``bc5cdr_mentions``: compound-mention precision/recall on the BC5CDR development set (500 PubMed
  abstracts; gold = the ``Chemical`` lines). Scored twice: exact span (same start and end) and
  span overlap (any shared character). The dictionary is what CryoDesk would have without a
  store: the curated lexicon, the reference CPA list (names + synonyms) and the chemical names of
  the shared data sets (Bradley melting points, Koop Tg species, ESOL compound names, aqueous Tg
  solutes). BC5CDR chemicals are mostly drugs, so recall is bounded by that vocabulary:
  ``gold_text_in_dictionary`` gives the share of gold mentions whose text is a dictionary name.
* ``formulations``: extraction of compound + concentration + unit from the free-text ingredient
  lists of ``cpa_formulations/Cryopreservative_Data_2026.csv`` against ``parsed_formulations.csv``
  (see :func:`formulation_benchmark` for the row matching, the unit conversion and where the
  reference itself is doubtful).
* ``recorded_pubmed``: what mining finds in the recorded EFetch abstracts of ``fixtures/ncbi_eutils``.
* ``throughput``: abstracts/s mining 10,000 abstracts (the 500 BC5CDR abstracts repeated 20 times).
* ``efetch_import``: records/s importing the 500 BC5CDR PMIDs by EFetch (batches of 50) from the
  replay server enforcing NCBI's 3 requests/s, with the server's count of rate violations.

Run: ``.venv/bin/python tests/bench/bench_literature.py`` (about 20 s on 2 cores).
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryodesk.literature import CompoundDictionary, LiteratureMiner, MinedDocument, reference_cpa_names  # noqa: E402
from cryodesk.literature.dictionary import caller_entry, tokenize  # noqa: E402
from cryodesk.sources.http import ServiceRegistry  # noqa: E402
from cryodesk.sources.pubmed import PubMedClient, ncbi_config, parse_articles, parse_xml  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402

SHARED = Path(os.environ.get("CRYODESK_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
BC5CDR = DATA / "text" / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"
FORMULATIONS = DATA / "cpa_formulations"
REFERENCE_CSV = ROOT / "resources" / "reference_cpas" / "reference_cpas.csv"
THROUGHPUT_DOCS = 10_000


# -- BC5CDR ------------------------------------------------------------------------------------------
def read_pubtator(path: Path) -> list[dict[str, Any]]:
    """Documents with ``pmid``, ``text`` (title + " " + abstract) and gold chemical spans."""
    docs: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "|t|" in line[:20] or "|a|" in line[:20]:
            pmid, kind, body = line.split("|", 2)
            doc = docs.setdefault(pmid, {"pmid": pmid, "title": "", "abstract": "", "gold": []})
            doc["title" if kind == "t" else "abstract"] = body
            continue
        parts = line.split("\t")
        if len(parts) >= 6 and parts[4] == "Chemical":
            docs[parts[0]]["gold"].append((int(parts[1]), int(parts[2]), parts[3]))
    for doc in docs.values():
        doc["text"] = f"{doc['title']} {doc['abstract']}"
    return list(docs.values())


def shared_chemical_names() -> list[tuple[str, str | None]]:
    """Chemical names of the shared data sets (no InChIKeys needed for mention detection)."""
    names: list[str] = []
    with (DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv").open(encoding="utf-8") as fh:
        names += [row["name"] for row in csv.DictReader(fh)]
    with (DATA / "glass_transition" / "Koop_dataset.csv").open(encoding="utf-8") as fh:
        names += [row["Species"] for row in csv.DictReader(fh)]
    with (DATA / "esol" / "Delaney2004.txt").open(encoding="utf-8") as fh:
        names += [row["Compound ID"] for row in csv.DictReader(fh)]
    with (DATA / "aqueous_tg" / "aqueous_tg.csv").open(encoding="utf-8") as fh:
        names += [row["solute"] for row in csv.DictReader(fh)]
    return [(n.strip(), None) for n in names if n and n.strip()]


def score_spans(predicted: list[tuple[int, int]], gold: list[tuple[int, int]]) -> dict[str, int]:
    exact_gold = set(gold)
    exact_tp = sum(1 for p in predicted if p in exact_gold)
    overlap_pred = sum(1 for s, e in predicted if any(s < ge and gs < e for gs, ge in gold))
    overlap_gold = sum(1 for gs, ge in gold if any(s < ge and gs < e for s, e in predicted))
    return {"exact_tp": exact_tp, "overlap_pred_tp": overlap_pred, "overlap_gold_tp": overlap_gold}


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float]:
    precision = tp_pred / n_pred if n_pred else 0.0
    recall = tp_gold / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def bc5cdr_run(docs: list[dict[str, Any]], miner: LiteratureMiner) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    rejected = 0
    false_positives: Counter[str] = Counter()
    for doc in docs:
        mined = miner.mine(doc["text"], pmid=doc["pmid"])
        predicted = [(m.start, m.end) for m in mined.mentions]
        gold = [(s, e) for s, e, _ in doc["gold"]]
        scores = score_spans(predicted, gold)
        totals.update(scores)
        totals["pred"] += len(predicted)
        totals["gold"] += len(gold)
        rejected += len(mined.rejected)
        for m in mined.mentions:
            if not any(m.start < ge and gs < m.end for gs, ge in gold):
                false_positives[m.text.lower()] += 1
    return {
        "predicted": totals["pred"],
        "gold": totals["gold"],
        "exact_span": _prf(totals["exact_tp"], totals["pred"], totals["exact_tp"], totals["gold"]),
        "span_overlap": _prf(totals["overlap_pred_tp"], totals["pred"], totals["overlap_gold_tp"], totals["gold"]),
        "ambiguous_hits_rejected": rejected,
        "top_false_positives": false_positives.most_common(12),
    }


def gold_coverage(docs: list[dict[str, Any]], dictionary: CompoundDictionary) -> float:
    """Share of gold mentions whose whole text the dictionary matches as one name."""
    covered = total = 0
    for doc in docs:
        for _, _, text in doc["gold"]:
            total += 1
            hits = dictionary.find(text, tokenize(text))
            covered += bool(hits and hits[0].start == 0 and hits[0].end == len(text))
    return round(covered / total, 3) if total else 0.0


def bc5cdr_benchmark(docs: list[dict[str, Any]]) -> tuple[dict[str, Any], LiteratureMiner]:
    reference = reference_cpa_names(REFERENCE_CSV)
    shared = shared_chemical_names()
    lexicon_only = LiteratureMiner(CompoundDictionary.build(reference))
    started = time.perf_counter()
    full_dictionary = CompoundDictionary.build([*reference, *shared])
    build_seconds = time.perf_counter() - started
    full = LiteratureMiner(full_dictionary)
    kept = sum(1 for n, k in shared if caller_entry(n, k) is not None)
    result = {
        "method": "gold = BC5CDR Chemical mentions (dev set, 500 abstracts); predictions = accepted mentions of "
        "title + ' ' + abstract (PubTator offsets); exact = same start and end, overlap = any shared character "
        "(precision counts predictions overlapping a gold span, recall counts gold spans overlapped)",
        "documents": len(docs),
        "dictionary": {
            "reference_cpa_names": len(reference),
            "shared_dataset_names": len(shared),
            "shared_names_kept_after_safety_filter": kept,
            "entries": len(full_dictionary),
            "build_seconds": round(build_seconds, 3),
        },
        "lexicon_and_reference_cpas_only": bc5cdr_run(docs, lexicon_only),
        "with_shared_dataset_names": bc5cdr_run(docs, full),
        "gold_text_in_dictionary": gold_coverage(docs, full_dictionary),
        "note": "BC5CDR chemicals are mostly drugs, ions and metabolites; the dictionary has no drug vocabulary, so "
        "recall is bounded by gold_text_in_dictionary. Precision losses are mostly generic names the corpus does not "
        "annotate (see top_false_positives).",
    }
    return result, full


# -- formulations ----------------------------------------------------------------------------------
#: Reference column -> our canonical name (small molecules: *_M, mol/L; others: *_pct, %).
COLUMN_CANONICAL = {
    "dmso_M": "Dimethyl sulfoxide", "ethylene_glycol_M": "Ethylene glycol", "propylene_glycol_M": "1,2-Propanediol",
    "glycerol_M": "Glycerol", "trehalose_M": "Trehalose", "sucrose_M": "Sucrose", "glucose_M": "D-Glucose",
    "raffinose_M": "Raffinose", "proline_M": "L-Proline", "ectoin_M": "Ectoine", "betaine_M": "Glycine betaine",
    "taurine_M": "Taurine", "creatine_M": "Creatine", "acetamide_M": "Acetamide", "mannitol_M": "D-Mannitol",
    "maltose_M": "Maltose", "isoleucine_M": "L-Isoleucine",
    "fbs_pct": "Fetal bovine serum", "human_serum_pct": "Human serum", "hsa_pct": "Human serum albumin",
    "hes_pct": "Hydroxyethyl starch", "pvp_pct": "Polyvinylpyrrolidone", "dextran_pct": "Dextran",
    "ficoll_pct": "Ficoll", "methylcellulose_pct": "Methylcellulose", "hyaluronic_acid_pct": "Hyaluronic acid",
    "sericin_pct": "Sericin", "pentaisomaltose_pct": "Pentaisomaltose", "cooh_pll_pct": "Carboxylated poly-L-lysine",
    "pva_pct": "Polyvinyl alcohol",
}
#: The reference parser's molar masses (g/mol) and densities (g/mL), used to convert our values
#: into its units so that the comparison tests extraction, not conversion constants.
MOLAR_MASS = {
    "Dimethyl sulfoxide": 78.13, "Ethylene glycol": 62.07, "1,2-Propanediol": 76.09, "Glycerol": 92.09,
    "Trehalose": 342.3, "Sucrose": 342.3, "D-Glucose": 180.16, "D-Mannitol": 182.17, "Maltose": 342.3,
    "Raffinose": 504.42, "L-Proline": 115.13, "Ectoine": 142.16, "Taurine": 125.15, "Glycine betaine": 117.15,
    "Creatine": 131.13, "Acetamide": 59.07,
}
DENSITY = {"Dimethyl sulfoxide": 1.10, "Ethylene glycol": 1.11, "1,2-Propanediol": 1.036, "Glycerol": 1.26}
#: Albumins: the reference merges BSA and "albumin" into hsa_pct.
ALIASES = {"Bovine serum albumin": "Human serum albumin"}


def peg_column(grade: str | None) -> str:
    """The reference's PEG bucket for a grade (its thresholds; no grade -> its default 3350)."""
    if not grade:
        return "peg_3350_pct"
    text = grade.lower().replace("da", "")
    value = float(text.rstrip("k")) * (1000 if text.endswith("k") else 1)
    for limit, name in ((450, "400"), (800, "600"), (1200, "1k"), (1800, "1500"), (2500, "2k"), (4000, "3350"),
                        (4500, "4k"), (7000, "5k"), (7500, "6k"), (9000, "8k"), (15000, "10k"), (30000, "20k")):
        if value <= limit:
            return f"peg_{name}_pct"
    return "peg_35k_pct"


def to_reference_units(canonical: str, value: float, unit: str, basis: str | None) -> tuple[float | None, str]:
    """Our value in the reference's unit for that ingredient (mol/L or %); None when not convertible."""
    if canonical in MOLAR_MASS:
        mass = MOLAR_MASS[canonical]
        if unit == "M":
            return value, "M"
        if unit == "mM":
            return value / 1000.0, "M"
        if unit == "mg/mL":
            return value / mass, "M"
        if unit.startswith("%"):
            # The reference treats every % of the four liquids as v/v, of anything else as w/v.
            if canonical in DENSITY:
                return value / 100.0 * DENSITY[canonical] * 1000.0 / mass, "M"
            return value * 10.0 / mass, "M"
        return None, unit
    if unit.startswith("%"):
        return value, "%"
    if unit == "mg/mL":
        return value / 10.0, "%"  # 1 mg/mL = 0.1 % w/v
    return None, unit


def extracted_ingredients(doc: MinedDocument) -> tuple[dict[str, float], list[str]]:
    """Our (reference column -> value) for one row, plus names outside the reference vocabulary."""
    found: dict[str, float] = {}
    outside: list[str] = []
    columns = {v: k for k, v in COLUMN_CANONICAL.items()}
    for c in doc.concentrations:
        mention = doc.mentions[c.mention_index]
        canonical = ALIASES.get(mention.canonical, mention.canonical)
        column = peg_column(mention.grade) if canonical == "Polyethylene glycol" else columns.get(canonical)
        if column is None:
            outside.append(mention.canonical)
            continue
        value, _ = to_reference_units(canonical, c.quantity.value, c.quantity.unit, c.basis)
        if value is not None and value > 0:  # "0% FBS" means without FBS, as in the reference
            found.setdefault(column, value)  # first concentration of an ingredient, as the reference keeps
    return found, outside


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(1e-9, 0.02 * max(abs(a), abs(b)))


def reference_doubt(column: str, text: str, truth: dict[str, float], predicted: dict[str, float]) -> str | None:
    """Why the reference value for ``column`` is doubtful for this row (None when it is not)."""
    ref, ours = truth.get(column), predicted.get(column)
    lowered = text.lower()
    if ref is not None and ours is not None and _close(ref * 1000.0, ours):
        return "ref_molar_read_as_millimolar"  # its "[mM]" regex: "0.25 M trehalose" -> 0.00025 M
    if column == "dmso_M" and ref is not None and "dmso" not in lowered and "me2so" not in lowered:
        return "ref_dmso_from_usage_column_not_in_text"
    if column == "dmso_M" and ref is not None and ours is not None:
        return "ref_dmso_from_usage_column"  # the text and the "DMSO usage" column disagree
    if column == "human_serum_pct" and ref is not None and "human serum" not in lowered and not re.search(r"\bhs\b", lowered):
        return "ref_hs_substring_of_hsa"  # its substring match finds "hs" inside "hsa"
    if ref is not None and ours is not None and re.search(r"\d\s*mg\s*/\s*ml", lowered) and _close(ref, ours * 10.0):
        return "ref_kept_mg_per_ml_as_percent"
    return None


def formulation_benchmark(miner: LiteratureMiner) -> dict[str, Any]:
    """Compound + concentration + unit against the upstream parser's output.

    Row matching: ``parsed_formulations.csv`` keeps the upstream parser's ``formulation_id`` =
    pandas row index + 1 of the raw CSV (its code: ``'formulation_id': idx + 1``), so reference row
    ``k`` is raw row ``k - 1``; rows the upstream parser merged as duplicates kept the id of the
    first, so each reference row is compared with that first raw row. The mapping is checked
    (``row_mapping_check``): the reference's ``dmso_percent`` must equal the raw "DMSO usage".
    The texts are mined with ``cryo_context=True`` (they are CPA compositions by construction).

    Units: the reference stores small molecules in mol/L (``*_M``) and polymers/sera in %
    (``*_pct``); our extracted values are converted with the reference's own molar masses and
    densities, and its rule that % of DMSO/EG/PG/glycerol is v/v and any other % is w/v. A value
    matches within 2 % (relative). Ingredients at 0 % count as absent, as in the reference.

    Where the reference is doubtful (:func:`reference_doubt`), the pair is counted under its
    reason; the ``adjusted`` figures leave those pairs out:
    * ``ref_molar_read_as_millimolar``: its regex for "X M name" is ``[mM]``, so "0.25 M trehalose"
      became 0.00025 M (a factor 1000 off);
    * ``ref_dmso_from_usage_column*``: DMSO comes from the separate "DMSO usage" column, not the text;
    * ``ref_hs_substring_of_hsa``: its substring match finds human serum ("hs") inside "HSA";
    * ``ref_kept_mg_per_ml_as_percent``: "20 mg/ml polyampholyte" stored as 20 %.
    Misses of the reference itself (an ingredient it did not parse, e.g. "0.1 mol/L maltose")
    count against our precision in both figures.
    """
    raw = list(csv.DictReader((FORMULATIONS / "Cryopreservative_Data_2026.csv").open(encoding="utf-8-sig")))
    reference = list(csv.DictReader((FORMULATIONS / "parsed_formulations.csv").open(encoding="utf-8-sig")))
    ingredient_columns = [c for c in reference[0] if c.endswith(("_M", "_pct"))]
    counts: Counter[str] = Counter()
    doubts: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    mapping_ok = 0
    examples: list[dict[str, Any]] = []
    for row in reference:
        source = raw[int(row["formulation_id"]) - 1]
        mapping_ok += _dmso_usage_matches(source, row)
        truth = {c: float(row[c]) for c in ingredient_columns if row[c] and float(row[c]) > 0}
        text = source["All ingredients in cryoprotective solution"]
        predicted, other = extracted_ingredients(miner.mine(text, cryo_context=True))
        outside.update(other)
        for column in sorted(set(truth) | set(predicted)):
            in_truth, in_pred = column in truth, column in predicted
            correct = in_truth and in_pred and _close(truth[column], predicted[column])
            doubt = None if correct else reference_doubt(column, text, truth, predicted)
            outcome = {
                "compound_tp": in_truth and in_pred, "compound_fp": in_pred and not in_truth,
                "compound_fn": in_truth and not in_pred, "tp": correct,
                "fp": in_pred and not correct, "fn": in_truth and not correct,
            }
            counts.update({k: int(v) for k, v in outcome.items()})
            if doubt:
                doubts[doubt] += 1
            else:
                counts.update({f"adj_{k}": int(v) for k, v in outcome.items()})
            if doubt is None and not correct and len(examples) < 10:
                examples.append({"id": row["formulation_id"], "text": text[:100], "column": column,
                                 "reference": round(truth[column], 5) if in_truth else None,
                                 "ours": round(predicted[column], 5) if in_pred else None})
    c = counts
    return {
        "method": "reference row k = raw row k-1 (upstream formulation_id = idx + 1); texts mined with "
        "cryo_context=True; ours converted into the reference's units with its molar masses/densities; value "
        "match within 2 % relative; only ingredients of the reference vocabulary are scored",
        "rows": len(reference),
        "row_mapping_check": f"{mapping_ok}/{len(reference)} rows: reference dmso_percent == raw 'DMSO usage'",
        "compound": _prf(c["compound_tp"], c["compound_tp"] + c["compound_fp"], c["compound_tp"],
                         c["compound_tp"] + c["compound_fn"]),
        "compound_concentration_unit": _prf(c["tp"], c["tp"] + c["fp"], c["tp"], c["tp"] + c["fn"]),
        "adjusted_without_doubtful_reference_pairs": {
            "compound": _prf(c["adj_compound_tp"], c["adj_compound_tp"] + c["adj_compound_fp"], c["adj_compound_tp"],
                             c["adj_compound_tp"] + c["adj_compound_fn"]),
            "compound_concentration_unit": _prf(c["adj_tp"], c["adj_tp"] + c["adj_fp"], c["adj_tp"],
                                                c["adj_tp"] + c["adj_fn"]),
        },
        "doubtful_reference_pairs": dict(doubts),
        "counts": {k: v for k, v in sorted(c.items()) if not k.startswith("adj_")},
        "extracted_outside_reference_vocabulary": outside.most_common(10),
        "remaining_disagreements": examples,
    }


def _dmso_usage_matches(raw_row: dict[str, str], ref_row: dict[str, str]) -> int:
    usage = raw_row.get("DMSO usage", "")
    digits = "".join(ch for ch in usage.split("%")[0] if ch.isdigit() or ch == ".")
    try:
        raw_value = float(digits) if digits else 0.0
    except ValueError:
        raw_value = 0.0
    ref_value = float(ref_row["dmso_percent"] or 0)
    return int(abs(raw_value - ref_value) < 1e-6)


# -- recorded abstracts, throughput, import -----------------------------------------------------------
def recorded_pubmed(miner: LiteratureMiner) -> dict[str, Any]:
    out = {}
    for name in ("pubmed1.xml", "pubmed4_structured_abstract.xml"):
        articles = parse_articles(parse_xml((SHARED / "fixtures" / "ncbi_eutils" / name).read_bytes()))
        mined = [miner.mine_article(a) for a in articles]
        out[name] = {
            "articles": len(articles),
            "sentences": sum(len(d.sentences) for d in mined),
            "mentions": [m.text for d in mined for m in d.mentions],
            "concentrations": sum(len(d.concentrations) for d in mined),
            "cryo_context": [d.cryo_context for d in mined],
        }
    out["note"] = "the recorded abstracts (AIDS policy, flavocytochrome EPR, telomeres) are not about cryopreservation: none should yield evidence"
    return out


def throughput(docs: list[dict[str, Any]], miner: LiteratureMiner) -> dict[str, Any]:
    texts = [d["text"] for d in docs]
    corpus = (texts * (THROUGHPUT_DOCS // len(texts) + 1))[:THROUGHPUT_DOCS]
    started = time.perf_counter()
    evidence = 0
    for text in corpus:
        evidence += len(miner.mine(text).evidence)
    seconds = time.perf_counter() - started
    chars = sum(len(t) for t in corpus)
    return {
        "abstracts": len(corpus),
        "seconds": round(seconds, 2),
        "abstracts_per_s": round(len(corpus) / seconds, 1),
        "chars_per_s": round(chars / seconds),
        "evidence_records": evidence,
        "dictionary_entries": len(miner.dictionary),
        "note": "one process, one thread, full pipeline (sentences, dictionary, quantities, outcomes, samples, "
        "protocols, evidence); the 500 BC5CDR abstracts repeated",
    }


def efetch_import(docs: list[dict[str, Any]]) -> dict[str, Any]:
    pmids = [d["pmid"] for d in docs]
    with ReplayServer(rate_limit=3.0) as server:
        config = ncbi_config(None, base_url=server.ncbi_base)
        client = PubMedClient(config=config, registry=ServiceRegistry(), cache=False, email="bench@example.org", batch_size=50)
        started = time.perf_counter()
        fetched = sum(len(batch.articles) for batch in client.iter_fetch_ids(pmids))
        seconds = time.perf_counter() - started
        client.close()
        return {
            "records": fetched,
            "requests": server.count("efetch"),
            "seconds": round(seconds, 2),
            "records_per_s": round(fetched / seconds, 1),
            "client_rate_per_s": round(config.rate, 2),
            "server_limit_per_s": 3.0,
            "rate_violations": server.violations,
            "note": "batches of 50 ids (GET); the ceiling is rate x batch size; batches of 200 (the default) "
            "give 4x the records/s",
        }


def main() -> None:
    docs = read_pubtator(BC5CDR)
    bc5cdr, miner = bc5cdr_benchmark(docs)
    report = {
        "bc5cdr_mentions": bc5cdr,
        "formulations": formulation_benchmark(LiteratureMiner.from_names(reference_cpa_names(REFERENCE_CSV))),
        "recorded_pubmed": recorded_pubmed(miner),
        "throughput": throughput(docs, miner),
        "efetch_import": efetch_import(docs),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
