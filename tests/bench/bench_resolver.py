"""Benchmark: resolution coverage and precision on real CPA ingredient names.

Inputs (each name once, case kept as written):

* the ingredient columns of ``../shared/data/cpa_formulations/parsed_formulations.csv``
  (``propylene_glycol_M`` -> ``propylene glycol``);
* the components of the tables in ``../shared/data/cpa_mixtures/notes.md`` (``DMSO 3.1 M`` -> ``DMSO``,
  ``30 % w/v glycerol`` -> ``glycerol``).

Independent reference: ``resources/reference_cpas/reference_cpas.csv`` ``expected_inchikey`` (keys taken
from PubChem-derived tables / DrugBank / Wikidata and checked by ``tests/resources``), matched by the
row's name or synonyms, plus the small alias table ``ALIASES`` below (abbreviations such as ``ectoin``,
``betaine``, ``glucose``). Names of polymers, proteins and undefined materials (PEG, PVP, HES, FBS,
Ficoll, dextran, X-1000 ...) have no single structure: resolving one to a compound counts as a
false positive. Caveat: in the ``seeded`` modes the store was seeded from the same reference table,
so the *store* strategy's agreement is not independent; the ``empty store`` modes are.

Modes: ``offline_empty`` (parser + OPSIN), ``offline_seeded`` (store + parser + OPSIN),
``replay_empty`` (parser + OPSIN + PubChem/CACTUS via the replay server, whose name replies are
recorded or generated only for a handful of names), ``replay_seeded``.

Run: ``python tests/bench/bench_resolver.py`` (about a minute; needs Java for OPSIN).
"""

from __future__ import annotations

import csv
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryodesk.engine.jobs import run_job  # noqa: E402
from cryodesk.engine.resolver import Resolution, Resolver, ResolverClients  # noqa: E402
from cryodesk.engine.seed import SeedDefaultLibraryJob  # noqa: E402
from cryodesk.sources.cactus import CactusClient, cactus_config  # noqa: E402
from cryodesk.sources.http import ServiceRegistry  # noqa: E402
from cryodesk.sources.pubchem import PubChemClient, pubchem_config  # noqa: E402
from cryodesk.store import Project  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402

SHARED = ROOT.parent / "shared"
FORMULATIONS = SHARED / "data" / "cpa_formulations" / "parsed_formulations.csv"
NOTES = SHARED / "data" / "cpa_mixtures" / "notes.md"
REFERENCE = ROOT / "resources" / "reference_cpas" / "reference_cpas.csv"
NON_COLUMNS = {"formulation_id", "viability_percent", "dmso_percent", "source_doi"}
#: Abbreviations/short forms -> reference row name (our curation, stated in the report).
ALIASES = {"ectoin": "Ectoine", "betaine": "Glycine betaine", "glucose": "D-Glucose", "proline": "L-Proline",
           "nmf": "N-Methylformamide", "mpd": "3-Methoxy-1,2-propanediol", "dmso": "Dimethyl sulfoxide",
           "proh": "1,2-Propanediol", "butylene glycol": "2,3-Butanediol", "sorbitol": "D-Sorbitol",
           "mannitol": "D-Mannitol", "ethylene glycol (eg)": "Ethylene glycol"}
#: Materials with no single structure (polymers, proteins, sera, proprietary mixtures).
NOT_A_COMPOUND = re.compile(
    r"\b(peg|pvp|hes|hsa|fbs|serum|ficoll|dextran|sericin|methylcellulose|hyaluronic|pll|x-1000|z-1000|"
    r"polyglycerol|pva|supercool|pentaisomaltose|albumin|starch|medium|cs10|cs5)\b", re.IGNORECASE)
# An amount is a free-standing number ("3.1 M", "30 % w/v"); digits inside names (1,2-propanediol,
# PVP K12, X-1000) are not amounts.
#: Table text that is procedure, not an ingredient.
NOT_INGREDIENTS = {"ln2", "rapid freezing", "culture medium", "a hypothermosol-type base"}
_AMOUNT = re.compile(r"(≈\s*)?(?<![\w,.-])\d+(\.\d+)?(?![\w,-])\s*(%|mM|M|m|mol/l)?(?![\w-])(\s*(w/v|v/v|w/w))?")


def formulation_names() -> list[str]:
    with FORMULATIONS.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    names = []
    for column in header:
        if column in NON_COLUMNS:
            continue
        names.append(re.sub(r"_(m|pct)$", "", column, flags=re.IGNORECASE).replace("_", " "))
    return names


def notes_components() -> list[str]:
    names: list[str] = []
    for line in NOTES.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4 or cells[1] in ("name", "") or set(cells[1]) <= {"-"}:
            continue
        text = re.sub(r"\(.*?\)", "", cells[2])  # "(in MS medium)", "(all % w/v)"
        text = re.sub(r"≈?\s*\d+\s*-\s*\d+\s*%", " ", text)  # ranges: "15-20 % glycerol"
        text = re.sub(r"^[A-Z]{2}:\s*", "", text.replace("VS:", ";").replace("ES:", ";"))
        for part in re.split(r"[;+]|,(?!\d)| in | or | and ", text):
            name = _AMOUNT.sub(" ", part).strip(" .×x≈")
            name = re.sub(r"\s+", " ", name)
            if name.lower() in NOT_INGREDIENTS:
                continue
            if 2 <= len(name) <= 40 and re.search(r"[A-Za-z]{2}", name) and "total" not in name.lower():
                names.append(name)
    return names


def reference_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    by_name: dict[str, str] = {}
    with REFERENCE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_name[row["name"]] = row["expected_inchikey"]
            for label in [row["name"], *row["synonyms"].split(";")]:
                if label.strip():
                    keys[label.strip().lower()] = row["expected_inchikey"]
    for alias, name in ALIASES.items():
        keys[alias] = by_name[name]
    return keys


def evaluate(results: list[Resolution], reference: dict[str, str], seconds: float) -> dict[str, Any]:
    by_method: Counter[str] = Counter()
    agree = disagree = no_ref_resolved = with_ref = conflicts = 0
    disagreements: list[dict[str, str]] = []
    false_positive: list[str] = []
    for r in results:
        expected = reference.get(r.query.lower())
        if expected:
            with_ref += 1
        if r.conflict:
            conflicts += 1
        if not r.resolved:
            continue
        by_method[r.method or "?"] += 1
        if expected is None:
            no_ref_resolved += 1
            if NOT_A_COMPOUND.search(r.query):
                false_positive.append(f"{r.query} -> {r.inchikey} ({r.method})")
        elif expected == r.inchikey:
            agree += 1
        else:
            disagree += 1
            disagreements.append({"name": r.query, "got": r.inchikey or "", "expected": expected, "method": r.method or ""})
    resolved = sum(r.resolved for r in results)
    checked = agree + disagree
    return {
        "names": len(results), "resolved": resolved, "coverage": round(resolved / len(results), 3),
        "by_method": dict(by_method.most_common()), "with_reference": with_ref,
        "reference_coverage": round(sum(1 for r in results if r.resolved and reference.get(r.query.lower()))
                                    / max(1, with_ref), 3),
        "agree": agree, "disagree": disagree, "precision": round(agree / checked, 3) if checked else None,
        "resolved_without_reference": no_ref_resolved, "polymer_or_material_resolved": false_positive,
        "conflicts_reported": conflicts, "disagreements": disagreements, "seconds": round(seconds, 2),
        "unresolved": sorted(r.query for r in results if not r.resolved),
    }


def run_mode(names: list[str], reference: dict[str, str], seeded: bool, server: ReplayServer | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.open(Path(tmp) / "bench.cryodesk")
        if seeded:
            run_job(project, SeedDefaultLibraryJob())
        clients = None
        if server is not None:
            registry = ServiceRegistry()
            clients = ResolverClients(
                pubchem=PubChemClient(config=pubchem_config(base_url=server.pubchem_base), cache=False,
                                      registry=registry),
                cactus=CactusClient(config=cactus_config(base_url=f"{server.url}/cactus/chemical/structure",
                                                         rate=50.0), cache=False, registry=registry),
            )
        resolver = Resolver(project, clients, offline=server is None)
        started = time.perf_counter()
        results = resolver.resolve_many(names)
        seconds = time.perf_counter() - started
        if clients is not None:
            clients.close()
        project.close()
    report = evaluate(results, reference, seconds)
    if resolver.opsin is not None and not resolver.opsin.available:
        report["opsin"] = resolver.opsin.reason
    return report


def main() -> None:
    from_columns = formulation_names()
    from_notes = notes_components()
    names = list(dict.fromkeys(from_columns + from_notes))
    reference = reference_keys()
    report: dict[str, Any] = {
        "inputs": {"formulation_columns": len(from_columns), "notes_components": len(from_notes), "distinct": len(names)},
        "reference": "resources/reference_cpas/reference_cpas.csv expected_inchikey (names+synonyms) + ALIASES",
    }
    report["offline_empty"] = run_mode(names, reference, seeded=False, server=None)
    report["offline_seeded"] = run_mode(names, reference, seeded=True, server=None)
    with ReplayServer() as server:
        report["replay_empty"] = run_mode(names, reference, seeded=False, server=server)
        report["replay_seeded"] = run_mode(names, reference, seeded=True, server=server)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
