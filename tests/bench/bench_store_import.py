"""Foundation benchmarks (issue 2). Prints one JSON document; ratios are measured in the same run.

- file import rate (parse + standardise + store) of the Tox21 + ToxCast + Bradley structures,
  parallel against one process;
- bulk upsert rate of the store;
- read latency through per-thread connections against a connection opened per operation
  (the old system's pattern);
- first start of the default library.

Run: .venv/bin/python tests/bench/bench_store_import.py [--quick]
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import apsw

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DATA = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared")) / "data"

from cryodesk.domain import Compound, Method, PropertyValue, Provenance  # noqa: E402
from cryodesk.engine.file_import import FileImportParams  # noqa: E402
from cryodesk.engine.service import Workbench  # noqa: E402
from cryodesk.store import Project  # noqa: E402


def structures_csv(target: Path, limit: int | None) -> int:
    """Tox21 + ToxCast + Bradley SMILES in one CSV (one structure column)."""
    smiles: list[str] = []
    with (DATA / "tox21" / "tox21.csv").open(encoding="utf-8") as f:
        smiles += [r["smiles"] for r in csv.DictReader(f)]
    with gzip.open(DATA / "toxcast" / "toxcast.csv.gz", "rt", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        smiles += [r[0] for r in reader]
    with (DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv").open(encoding="utf-8") as f:
        smiles += [r["smiles"] for r in csv.DictReader(f)]
    smiles = smiles[:limit] if limit else smiles
    with target.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["smiles"])
        writer.writerows([s] for s in smiles)
    return len(smiles)


def import_rate(csv_path: Path, n: int, workers: int, tmp: Path) -> dict[str, float]:
    wb = Workbench.open(tmp / f"import_{workers}.cryodesk")
    start = time.perf_counter()
    outcome = wb.import_file(FileImportParams(str(csv_path), workers=workers, batch_size=500))
    elapsed = time.perf_counter() - start
    summary = outcome.result
    wb.close()
    return {"workers": workers, "seconds": round(elapsed, 2), "molecules_per_s": round(n / elapsed, 1),
            "stored": summary.rows_stored, "rejected": summary.rows_rejected}


def upsert_rate(tmp: Path, n_compounds: int = 20_000, values_per: int = 5) -> dict[str, float]:
    project = Project.open(tmp / "upsert.cryodesk")
    compounds = [Compound(f"{i:014d}".translate(str.maketrans("0123456789", "ABCDEFGHIJ")) + "-UHFFFAOYSA-N",
                          "C" * (1 + i % 30), "InChI=1S/x", "CH4", "bench") for i in range(n_compounds)]
    start = time.perf_counter()
    for i in range(0, n_compounds, 5000):
        project.compounds.upsert_many(compounds[i:i + 5000])
    compound_s = time.perf_counter() - start
    values = [PropertyValue(c.inchikey, f"p{j}", float(j), "K", Provenance("bench", Method.MEASURED, f"row {k}"))
              for k, c in enumerate(compounds) for j in range(values_per)]
    start = time.perf_counter()
    for i in range(0, len(values), 10_000):
        project.properties.upsert_many(values[i:i + 10_000])
    values_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(values), 10_000):
        project.properties.upsert_many(values[i:i + 10_000])
    repeat_s = time.perf_counter() - start
    project.close()
    return {"compounds": n_compounds, "compound_rows_per_s": round(n_compounds / compound_s),
            "property_values": len(values), "value_rows_per_s": round(len(values) / values_s),
            "idempotent_repeat_rows_per_s": round(len(values) / repeat_s)}


def read_latency(path: Path, n_ops: int = 2000) -> dict[str, float]:
    """A typical read: a compound with its property values, by InChIKey."""
    project = Project.open(path)
    keys = [r[0] for r in project.db.query("SELECT inchikey FROM compounds")]
    rng = random.Random(7)
    sample = [rng.choice(keys) for _ in range(n_ops)]
    start = time.perf_counter()
    for key in sample:
        project.compounds.get(key)
        project.properties.for_compound(key)
    pooled = (time.perf_counter() - start) / n_ops
    project.close()

    sql_c = "SELECT inchikey, smiles, inchi, formula, std_version, name, mol_weight FROM compounds WHERE inchikey = ?"
    sql_p = ("SELECT p.property, p.value, p.unit, p.source FROM property_values p JOIN compounds c"
             " ON c.id = p.compound_id WHERE c.inchikey = ?")
    start = time.perf_counter()
    for key in sample:  # the old pattern: open, set pragmas, query, close for every operation
        conn = apsw.Connection(str(path))
        conn.set_busy_timeout(10_000)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(sql_c, (key,)).fetchall()
        conn.close()
        conn = apsw.Connection(str(path))
        conn.set_busy_timeout(10_000)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(sql_p, (key,)).fetchall()
        conn.close()
    per_op = (time.perf_counter() - start) / n_ops
    return {"ops": n_ops, "per_thread_connection_ms": round(pooled * 1e3, 4),
            "connection_per_operation_ms": round(per_op * 1e3, 4), "speedup": round(per_op / pooled, 1)}


def first_start(tmp: Path) -> dict[str, float]:
    os.environ["CRYODESK_HOME"] = str(tmp / "home")
    start = time.perf_counter()
    wb = Workbench.open(None)
    outcome = wb.seed_default_library()
    elapsed = time.perf_counter() - start
    counts = wb.project.table_counts()
    wb.close()
    return {"seconds": round(elapsed, 1), "state": str(outcome.state), "compounds": counts["compounds"],
            "property_values": counts["property_values"], "assay_results": counts["assay_results"],
            "mixtures": counts["mixtures"]}


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        csv_path = tmp / "structures.csv"
        n = structures_csv(csv_path, 3000 if quick else None)
        one = import_rate(csv_path, n, 1, tmp)
        many = import_rate(csv_path, n, os.cpu_count() or 2, tmp)
        result = {
            "cpu_count": os.cpu_count(),
            "file_import": {"structures": n, "one_process": one, "parallel": many,
                            "speedup": round(many["molecules_per_s"] / one["molecules_per_s"], 2), "goal": 1.8},
            "bulk_upsert": upsert_rate(tmp),
            "read_latency": read_latency(tmp / "import_1.cryodesk"),
            "first_start": first_start(tmp),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
