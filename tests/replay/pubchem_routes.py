"""PubChem PUG-REST and PUG-View routes of the replay server.

Grammar: ``/rest/pug/<domain>/<namespace>/<identifiers>/<operation>/<output>``; identifiers may
instead come in a form-encoded POST body (``cid=1,2,3``, ``name=aspirin``, ``smiles=...``).
Recorded files are served byte for byte where a request matches one; other ids get generated
replies with the recorded shapes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.replay import generate
from tests.replay.messages import Incoming, Reply, json_reply
from tests.replay.recorded import fixture_bytes, pugview_record_bytes, recorded_property_file

OPERATIONS = {"cids", "property", "synonyms", "xrefs", "description", "JSON"}
SEARCH_NAMESPACES = {"fastsimilarity_2d", "fastsubstructure", "fastsuperstructure", "fastidentity"}
ASYNC_NAMESPACES = {"similarity", "substructure", "superstructure", "formula"}
RECORDED_LISTKEY = "2883150836684277104"  # transcribed reply to /compound/formula/C7H19N3/JSON
RECORDED_NOT_FOUND = {"name": "fault_404_NotFound_name.json", "inchikey": "fault_404_NotFound_inchikey.json"}


def fault(status: int, code: str, message: str, details: list[str] | None = None) -> Reply:
    body: dict[str, Any] = {"Code": code, "Message": message}
    if details:
        body["Details"] = details
    return json_reply({"Fault": body}, status)


def not_found(detail: str | None = None) -> Reply:
    return fault(404, "PUGREST.NotFound", "No CID found", [detail] if detail else None)


def bad_request(message: str) -> Reply:
    return fault(400, "PUGREST.BadRequest", message)


@dataclass
class PubChemState:
    """Switches and state of the PubChem part of the server.

    Attributes:
        smiles_keys: ``"2025"`` (``SMILES``/``ConnectivitySMILES``) or ``"legacy"`` reply keys.
        listkey_pending_polls: polls answered "Waiting" before a ListKey result is ready.
    """

    smiles_keys: str = "2025"
    listkey_pending_polls: int = 2
    _listkeys: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new_listkey(self, kind: str, query: str, cids: list[int]) -> str:
        key = RECORDED_LISTKEY if (kind, query) == ("formula", "C7H19N3") else str(
            int.from_bytes(hashlib.sha256(f"{kind}|{query}".encode()).digest()[:7], "big")
        )
        with self._lock:
            self._listkeys[key] = {"pending": self.listkey_pending_polls, "cids": cids}
        return key

    def poll(self, key: str) -> list[int] | None:
        """The CIDs when ready, None while still waiting; KeyError for an unknown key."""
        with self._lock:
            entry = self._listkeys[key]
            if entry["pending"] > 0:
                entry["pending"] -= 1
                return None
            return list(entry["cids"])


def route_pug(request: Incoming, state: PubChemState) -> Reply:
    """Answer a ``/rest/pug/...`` request."""
    segments = request.segments[2:]  # drop "rest", "pug"
    if len(segments) < 3 or segments[0] != "compound":
        return bad_request("Unsupported request")
    if segments[-1] != "JSON":
        return fault(501, "PUGREST.Unimplemented", "Only JSON output is replayed")
    namespace, middle = segments[1], segments[2:-1]
    if namespace in SEARCH_NAMESPACES:
        return _fast_search(request, namespace, middle)
    if namespace in ASYNC_NAMESPACES:
        return _async_search(request, state, namespace, middle)
    if namespace == "listkey":
        return _listkey(request, state, middle)
    identifier, operation = _split(request, namespace, middle)
    if identifier is None:
        return bad_request(f"No {namespace} given")
    if namespace == "cid":
        return _by_cid(request, state, identifier, operation)
    cids = _resolve(namespace, identifier)
    if cids is None:
        return bad_request(f"Unsupported namespace {namespace}")
    if not cids:
        recorded = RECORDED_NOT_FOUND.get(namespace)
        if recorded:
            return Reply(404, fixture_bytes("pubchem", "transcribed", recorded))
        return not_found("No CID found that matches the given SMILES")
    if operation[:1] == ["cids"]:
        return json_reply({"IdentifierList": {"CID": cids}})
    if operation[:1] == ["synonyms"]:
        if namespace == "name" and request.method == "POST" and identifier.lower() == "aspirin":
            return Reply(200, fixture_bytes("pubchem", "synonyms_POST_name_aspirin.json"))
        return _synonyms(cids)
    return _by_cid(request, state, ",".join(str(c) for c in cids), operation)


def _split(request: Incoming, namespace: str, middle: list[str]) -> tuple[str | None, list[str]]:
    """Identifier (path or POST body) and the operation segments."""
    if middle and middle[0] not in OPERATIONS:
        return middle[0], middle[1:]
    return request.f(namespace), middle


def _resolve(namespace: str, identifier: str) -> list[int] | None:
    if namespace == "name":
        cid = generate.KNOWN_NAMES.get(identifier.strip().lower())
        return [cid] if cid else []
    if namespace == "inchikey":
        return _cids_by_inchikey(identifier.strip().upper())
    if namespace == "smiles":
        cid = generate.cid_for_smiles(identifier.strip())
        return [cid] if cid else []
    return None


def _cids_by_inchikey(key: str) -> list[int]:
    for cid, smiles in generate.KNOWN_CID_SMILES.items():
        if generate.computed_properties(smiles)["InChIKey"] == key:
            return [cid]
    return []


def _parse_cids(text: str) -> list[int] | None:
    try:
        cids = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        return None
    return cids if cids and all(c > 0 for c in cids) else None


def _by_cid(request: Incoming, state: PubChemState, identifier: str, operation: list[str]) -> Reply:
    cids = _parse_cids(identifier)
    if cids is None:
        return fixture_reply_400()
    if operation[:1] == ["property"] and len(operation) == 2:
        return _properties(state, cids, operation[1].split(","))
    if operation[:1] == ["synonyms"]:
        return _synonyms(cids)
    if operation[:1] == ["xrefs"] and len(operation) == 2:
        return _xrefs(cids, operation[1].split(","))
    if operation[:1] == ["cids"]:
        return json_reply({"IdentifierList": {"CID": [c for c in cids if generate.smiles_for_cid(c)]}})
    return bad_request("Unsupported operation")


def fixture_reply_400() -> Reply:
    return Reply(400, fixture_bytes("pubchem", "transcribed", "fault_400_BadRequest_invalid_cid.json"))


def _properties(state: PubChemState, cids: list[int], names: list[str]) -> Reply:
    unknown = [n for n in names if n not in generate.KNOWN_PROPERTIES]
    if unknown:
        return bad_request(f"Invalid property: {unknown[0]}")
    recorded = recorded_property_file(frozenset(cids), frozenset(names))
    if recorded is not None and _recording_fits(recorded, names, state.smiles_keys):
        return Reply(200, fixture_bytes(*recorded))
    rows = [row for c in cids if (row := generate.property_row(c, names, state.smiles_keys)) is not None]
    if not rows:
        return not_found()
    return json_reply({"PropertyTable": {"Properties": rows}})


def _recording_fits(recorded: tuple[str, ...], names: list[str], smiles_keys: str) -> bool:
    """A 2023 recording answers for the legacy mode (or when no SMILES key is involved); a
    transcribed 2025 reply only for the 2025 mode."""
    if "transcribed" in recorded:
        return smiles_keys == "2025"
    return smiles_keys == "legacy" or not any("SMILES" in n for n in names)


def _synonyms(cids: list[int]) -> Reply:
    info = [{"CID": c, "Synonym": syn} for c in cids if (syn := generate.synonyms_for(c)) is not None]
    if not info:
        return not_found()
    return json_reply({"InformationList": {"Information": info}})


def _xrefs(cids: list[int], kinds: list[str]) -> Reply:
    info = []
    for cid in cids:
        numbers = generate.registry_numbers_for(cid)
        if numbers is None:
            continue
        item: dict[str, Any] = {"CID": cid}
        for kind in kinds:
            if kind == "RN":
                item["RN"] = numbers
            elif kind == "RegistryID":
                item["RegistryID"] = [f"VENDOR-{cid}-{i}" for i in range(3)] + numbers
        info.append(item)
    if not info:
        return not_found()
    return json_reply({"InformationList": {"Information": info}})


def _search_query(request: Incoming, middle: list[str]) -> tuple[str | None, str | None, list[str]]:
    """(input namespace, query, operation) of a structure search."""
    if not middle:
        return None, None, []
    input_ns, rest = middle[0], middle[1:]
    if rest and rest[0] not in OPERATIONS:
        return input_ns, rest[0], rest[1:]
    return input_ns, request.f(input_ns), rest


def _fast_search(request: Incoming, namespace: str, middle: list[str]) -> Reply:
    input_ns, query, _ = _search_query(request, middle)
    if not query or input_ns not in {"smiles", "inchi", "cid"}:
        return bad_request("No structure given")
    if input_ns == "smiles" and generate.canonical(query) is None:
        return bad_request("Unable to standardize the given structure - perhaps some special characters need escaping")
    max_records = int(request.q("MaxRecords") or request.f("MaxRecords") or 100)
    threshold = int(request.q("Threshold") or request.f("Threshold") or 90)
    count = (100 - threshold) // 2 + 3 if namespace == "fastsimilarity_2d" else 8
    return json_reply({"IdentifierList": {"CID": generate.search_cids(namespace, query, min(count, max_records))}})


def _async_search(request: Incoming, state: PubChemState, namespace: str, middle: list[str]) -> Reply:
    if namespace == "formula":
        query = middle[0] if middle and middle[0] not in OPERATIONS else request.f("formula")
    else:
        _, query, _ = _search_query(request, middle)
    if not query:
        return bad_request("No query given")
    cids = generate.search_cids(namespace, query, 12)
    key = state.new_listkey(namespace, query, cids)
    if key == RECORDED_LISTKEY:
        return Reply(202, fixture_bytes("pubchem", "transcribed", "listkey_waiting.json"))
    return json_reply({"Waiting": {"ListKey": key, "Message": "Your request is running"}}, 202)


def _listkey(request: Incoming, state: PubChemState, middle: list[str]) -> Reply:
    if not middle:
        return bad_request("No ListKey given")
    try:
        cids = state.poll(middle[0])
    except KeyError:
        return fault(404, "PUGREST.NotFound", "Invalid ListKey")
    if cids is None:
        return json_reply({"Waiting": {"ListKey": middle[0], "Message": "Your request is running"}}, 202)
    start = int(request.q("listkey_start") or 0)
    count = int(request.q("listkey_count") or len(cids))
    return json_reply({"IdentifierList": {"CID": cids[start : start + count]}})


# -- PUG-View ----------------------------------------------------------------------------------
def route_pug_view(request: Incoming) -> Reply:
    """``/rest/pug_view/data/compound/<cid>/JSON[?heading=...]``."""
    segments = request.segments[2:]
    if len(segments) != 4 or segments[:2] != ["data", "compound"] or segments[3] != "JSON":
        return fault(400, "PUGVIEW.BadRequest", "Unsupported request")
    try:
        cid = int(segments[2])
    except ValueError:
        return fault(400, "PUGVIEW.BadRequest", "Invalid record number")
    raw = pugview_record_bytes(cid)
    if raw is None:
        return fault(404, "PUGVIEW.NotFound", "No record data found for CID " + str(cid))
    heading = request.q("heading")
    if not heading:
        return Reply(200, raw)
    record = _pruned(cid, heading.replace("+", " "))
    if record is None:
        return fault(404, "PUGVIEW.NotFound", f"No data found for heading {heading}")
    return json_reply({"Record": record})


_PRUNED: dict[tuple[int, str], dict[str, Any] | None] = {}


def _pruned(cid: int, heading: str) -> dict[str, Any] | None:
    """The record cut down to the sections on the path to ``heading``, references filtered."""
    key = (cid, heading.lower())
    if key not in _PRUNED:
        raw = pugview_record_bytes(cid)
        record = json.loads(raw)["Record"] if raw else None
        _PRUNED[key] = _prune_record(record, heading) if record else None
    cached = _PRUNED[key]
    return copy.deepcopy(cached) if cached is not None else None


def _prune_record(record: dict[str, Any], heading: str) -> dict[str, Any] | None:
    sections = _prune_sections(record.get("Section", []), heading.lower())
    if not sections:
        return None
    used: set[int] = set()
    _collect_refs(sections, used)
    pruned = {k: v for k, v in record.items() if k not in ("Section", "Reference")}
    pruned["Section"] = sections
    pruned["Reference"] = [r for r in record.get("Reference", []) if r.get("ReferenceNumber") in used]
    return pruned


def _prune_sections(sections: list[dict[str, Any]], heading: str) -> list[dict[str, Any]]:
    kept = []
    for section in sections:
        if section.get("TOCHeading", "").lower() == heading:
            kept.append(section)
            continue
        children = _prune_sections(section.get("Section", []), heading)
        if children:
            copy_ = {k: v for k, v in section.items() if k not in ("Section", "Information")}
            copy_["Section"] = children
            kept.append(copy_)
    return kept


def _collect_refs(sections: list[dict[str, Any]], used: set[int]) -> None:
    for section in sections:
        for info in section.get("Information", []):
            if "ReferenceNumber" in info:
                used.add(info["ReferenceNumber"])
        _collect_refs(section.get("Section", []), used)
