"""DrugBank full-XML streaming import: time and peak memory on a generated multi-hundred-MB file.

The file follows DrugBank's published schema (drugbank.xsd, ``drug-type`` sequence: ids, name,
description, cas-number, unii, state, groups, pharmacology texts, synonyms, categories, atc-codes,
drug-interactions, calculated-properties, external-identifiers, targets) with real structures
(the default library's Tox21 SMILES). Drug-interaction lists make up most of the bytes, as in the
real export (about 100 KB per drug). Each import runs as the real CLI in its own process; peak RSS
is that process's ``ru_maxrss``. "Flat" means the big file's peak is close to the small file's
although the file is 10x larger.

Run: ``nice -n 5 .venv/bin/python tests/bench/bench_drugbank.py [--mb 300]`` -> JSON on stdout and
``/tmp/bench_drugbank.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
SMILES_FILE = REPO / "resources" / "data" / "tox21" / "tox21.csv"
GROUPS = ("approved", "experimental", "withdrawn", "investigational")
ACTIONS = ("agonist", "antagonist", "inhibitor", "substrate")


def cas_with_check_digit(number: int) -> str:
    digits = str(number)
    check = sum(int(d) * (i + 1) for i, d in enumerate(reversed(digits))) % 10
    return f"{digits[:-2]}-{digits[-2:]}-{check}"


def real_smiles() -> list[str]:
    with SMILES_FILE.open(encoding="utf-8") as handle:
        return [row["smiles"] for row in csv.DictReader(handle) if row.get("smiles")]


def drug_xml(index: int, smiles: str, interactions: int) -> str:
    dbid = f"DB{index:05d}"
    parts = [
        '<drug type="small molecule" created="2005-06-13" updated="2024-01-02">',
        f'<drugbank-id primary="true">{dbid}</drugbank-id><drugbank-id>APRD{index:05d}</drugbank-id>',
        f"<name>Drug {index}</name><description>Generated drug {index} for the streaming benchmark.</description>",
        f"<cas-number>{cas_with_check_digit(10_000 + index * 7)}</cas-number><unii>U{index:09d}</unii>",
        "<state>solid</state>",
        f"<groups><group>{GROUPS[index % 4]}</group></groups>",
        "<general-references><articles/><textbooks/><links/><attachments/></general-references>",
        "<synthesis-reference/>",
        f"<indication>Indicated for condition {index % 97}.</indication>",
        "<pharmacodynamics>Acts on the target listed below.</pharmacodynamics>",
        "<mechanism-of-action>Binds the receptor.</mechanism-of-action>",
        f"<toxicity>LD50 oral rat {1000 + index % 5000} mg/kg</toxicity>",
        "<metabolism>Hepatic.</metabolism><absorption>Rapid.</absorption>",
        f"<half-life>{1 + index % 24} hours</half-life>",
        f'<synonyms><synonym language="english" coder="">Synonym {index}</synonym></synonyms>',
        f"<categories><category><category>Category {index % 50}</category><mesh-id>D{index:06d}</mesh-id>"
        "</category></categories>",
        f'<atc-codes><atc-code code="V03AB{index % 90 + 10}"><level code="V03AB">Antidotes</level></atc-code></atc-codes>',
        "<drug-interactions>",
    ]
    for k in range(interactions):
        other = (index + k + 1) % 20_000
        parts.append(
            f"<drug-interaction><drugbank-id>DB{other:05d}</drugbank-id><name>Drug {other}</name>"
            f"<description>The risk or severity of adverse effects can be increased when Drug {index} "
            f"is combined with Drug {other}.</description></drug-interaction>"
        )
    parts += [
        "</drug-interactions>",
        "<calculated-properties>",
        f"<property><kind>SMILES</kind><value>{escape(smiles)}</value><source>ChemAxon</source></property>",
        "</calculated-properties>",
        "<external-identifiers><external-identifier><resource>PubChem Compound</resource>"
        f"<identifier>{900000 + index}</identifier></external-identifier></external-identifiers>",
        f'<targets><target position="1"><id>BE{index:07d}</id><name>Target {index % 300}</name>'
        f"<organism>Humans</organism><actions><action>{ACTIONS[index % 4]}</action></actions></target></targets>",
        "<enzymes/><carriers/><transporters/>",
        "</drug>\n",
    ]
    return "".join(parts)


def write_drugbank_xml(path: Path, drugs: int, interactions: int = 300) -> Path:
    smiles = real_smiles()
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<drugbank xmlns="http://www.drugbank.ca" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.drugbank.ca http://www.drugbank.ca/docs/drugbank.xsd" '
            'version="5.1" exported-on="2024-01-03">\n'
        )
        for index in range(1, drugs + 1):
            out.write(drug_xml(index, smiles[index % len(smiles)], interactions))
        out.write("</drugbank>\n")
    return path


def run_import(xml: Path, project: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "cryodesk.cli.main",
        "-p",
        str(project),
        "--json",
        "import",
        "drugbank",
        str(xml),
        "--batch-size",
        "200",
    ]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stdout = child.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"import failed with status {status}")
    summary = json.loads(stdout)["summary"]
    cpu = usage.ru_utime + usage.ru_stime  # wall time depends on the machine's load; CPU time much less
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "drugs": summary["rows_read"],
        "stored": summary["matched"],
        "mb_per_s": round(xml.stat().st_size / 1e6 / seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=300.0, help="size of the big file in MB (small = 1/10)")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    per_drug = len(drug_xml(1, "CCO", 300).encode())
    big_drugs = int(args.mb * 1e6 / per_drug)
    with tempfile.TemporaryDirectory(prefix="bench_drugbank_") as tmp:
        base = Path(tmp)
        results = {}
        for label, drugs in (("small", big_drugs // 10), ("big", big_drugs)):
            xml = write_drugbank_xml(base / f"{label}.xml", drugs)
            size_mb = round(xml.stat().st_size / 1e6, 1)
            results[label] = {"file_mb": size_mb, **run_import(xml, base / f"{label}.cryodesk")}
            xml.unlink()
    figures = {
        **results,
        "size_ratio": round(results["big"]["file_mb"] / results["small"]["file_mb"], 2),
        "peak_rss_ratio_big_vs_small": round(
            results["big"]["peak_rss_mb"] / results["small"]["peak_rss_mb"], 3
        ),
        "time_ratio_big_vs_small": round(results["big"]["seconds"] / results["small"]["seconds"], 2),
        "cpu_ratio_big_vs_small": round(results["big"]["cpu_seconds"] / results["small"]["cpu_seconds"], 2),
        "load_avg_1m_at_start": load_at_start,
        "load_avg_1m_at_end": os.getloadavg()[0],
    }
    text = json.dumps(figures, indent=2)
    Path("/tmp/bench_drugbank.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
