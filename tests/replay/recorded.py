"""Loading the recorded fixture files (bytes as recorded, plus parsed views for lookups)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.replay.paths import fixtures_dir

#: Response headers never replayed: the stored bodies are already decoded and re-serialised
#: (fixtures/README.md), and the server computes its own framing.
DROPPED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length", "connection", "date"})


def fixture_path(*parts: str) -> Path:
    return fixtures_dir().joinpath(*parts)


@cache
def fixture_bytes(*parts: str) -> bytes:
    return fixture_path(*parts).read_bytes()


@cache
def fixture_json(*parts: str) -> Any:
    return json.loads(fixture_bytes(*parts))


def fixture_meta(*parts: str) -> dict[str, Any]:
    """A ``*.meta.json`` file: status code, URL and recorded headers."""
    return json.loads(fixture_bytes(*parts))


def replay_headers(meta: dict[str, Any]) -> dict[str, str]:
    """Recorded headers minus the ones a replay must not send."""
    return {k: str(v) for k, v in meta.get("headers", {}).items() if k.lower() not in DROPPED_HEADERS}


@cache
def pugview_record_bytes(cid: int) -> bytes | None:
    """The PUG-View reply for a recorded CID, wrapped as ``{"Record": ...}`` where the file is not."""
    if cid == 176:
        return fixture_bytes("pubchem", "pugview_data_compound_176_acetic-acid_full.json")
    if cid == 174:
        inner = fixture_bytes("pubchem", "pugview_data_compound_174_ethylene-glycol_Record-only.json")
        return b'{"Record": ' + inner + b"}"
    return None


@cache
def property_index() -> dict[tuple[frozenset[int], frozenset[str]], tuple[str, ...]]:
    """Recorded property replies keyed by (CIDs, requested property names)."""
    index: dict[tuple[frozenset[int], frozenset[str]], tuple[str, ...]] = {}
    files = [
        ("pubchem", "property_POST_cid5564_MolecularFormula_MolecularWeight.json"),
        ("pubchem", "property_POST_cid5564_2244_allprops_legacy-smiles-keys.json"),
    ]
    for parts in files:
        rows = fixture_json(*parts)["PropertyTable"]["Properties"]
        cids = frozenset(int(r["CID"]) for r in rows)
        props = frozenset(k for r in rows for k in r if k != "CID")
        index[(cids, props)] = parts
    # Transcribed 2025 replies: a legacy name was requested, the new key came back.
    transcribed = ("pubchem", "transcribed")
    index[(frozenset({2244}), frozenset({"CanonicalSMILES"}))] = (
        *transcribed,
        "property_cid2244_CanonicalSMILES_requested_ConnectivitySMILES_returned.json",
    )
    index[(frozenset({2244}), frozenset({"IsomericSMILES"}))] = (
        *transcribed,
        "property_cid2244_IsomericSMILES_requested_SMILES_returned.json",
    )
    return index


def recorded_property_file(cids: frozenset[int], props: frozenset[str]) -> tuple[str, ...] | None:
    return property_index().get((cids, props))


@cache
def recorded_property_rows() -> dict[int, dict[str, Any]]:
    """The recorded 2023 property rows by CID (all properties merged, legacy key names)."""
    rows: dict[int, dict[str, Any]] = {}
    for parts in list(property_index().values())[:2]:
        for row in fixture_json(*parts)["PropertyTable"]["Properties"]:
            rows.setdefault(int(row["CID"]), {}).update(row)
    return rows


@cache
def aspirin_synonyms() -> list[str]:
    info = fixture_json("pubchem", "synonyms_POST_name_aspirin.json")["InformationList"]["Information"][0]
    return list(info["Synonym"])


CHEMBL_RECORDED_MOLECULES = {"CHEMBL25": "molecule_CHEMBL25.json", "CHEMBL1082": "molecule_CHEMBL1082.json"}
