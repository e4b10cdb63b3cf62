"""EPA CompTox CTX API routes of the replay server (``/ctx/...``, the part after ``api-ccte.epa.gov``).

Recorded replies (``fixtures/comptox_ctx``) for Bisphenol A (DTXSID7020182), the recorded 401 for a
missing or unknown key, the recorded ``[]`` for a query without data and the recorded Spring Boot
404 for a request without an id. The server accepts the key ``REPLAY_KEY`` only.

Generated (not recorded, shape taken from the recorded detail reply): ``/chemical/search/equal/``
answers for Bisphenol A's name, CAS and DTXSID. An unknown DTXSID's detail reply is a guess (the
Spring Boot 404 with the request path): the live behaviour is unverified.
"""

from __future__ import annotations

import json

from tests.replay.messages import Incoming, Reply, json_reply
from tests.replay.recorded import fixture_bytes, fixture_json, fixture_meta, replay_headers

PREFIX = "ctx"
REPLAY_KEY = "replay-test-key"
BPA = "DTXSID7020182"
FILES = {
    ("chemical", "detail", "search", "by-dtxsid"): "chemical_detail_search_by-dtxsid_DTXSID7020182.json",
    ("chemical", "property", "search", "by-dtxsid"): "chemical_property_search_by-dtxsid_DTXSID7020182.json",
    ("chemical", "ghslink", "to-dtxsid"): "chemical_ghslink_to-dtxsid_DTXSID7020182.json",
    ("hazard", "genetox", "summary", "search", "by-dtxsid"): "hazard_genetox_summary_search_by-dtxsid_DTXSID7020182.json",
}


def _recorded(name: str) -> Reply:
    meta = fixture_meta("comptox_ctx", name + ".meta.json")
    headers = replay_headers(meta)
    content_type = headers.pop("content-type", "application/json")
    return Reply(int(meta["status_code"]), fixture_bytes("comptox_ctx", meta["body_file"]), content_type, headers)


def unauthorised() -> Reply:
    return _recorded("bioactivity_data_search_by-aeid_1_401_NOKEY")


def not_found(path: str) -> Reply:
    body = json.loads(fixture_bytes("comptox_ctx", "bioactivity_data_search_by-dtxsid_MISSING-ID_404.json"))
    body["path"] = path
    return json_reply(body, 404)


def route_ctx(request: Incoming) -> Reply:
    """Answer a ``/ctx/...`` request."""
    if request.headers.get("x-api-key") != REPLAY_KEY:
        return unauthorised()
    parts = request.segments[1:]
    path = "/" + "/".join(parts)
    head, ident = tuple(parts[:-1]), parts[-1] if parts else ""
    if head in FILES:
        if ident.upper() == BPA:
            return Reply(200, fixture_bytes("comptox_ctx", FILES[head]), "application/json")
        if head[0] == "chemical" and head[1] == "detail":
            return not_found(path)
        return Reply(200, b"[]", "application/json")
    if head == ("chemical", "search", "equal"):
        return _search_equal(ident)
    if head[:3] == ("bioactivity", "data", "search"):
        if not ident or ident in ("by-dtxsid", "by-aeid"):
            return _recorded("bioactivity_data_search_by-dtxsid_MISSING-ID_404")
        return Reply(200, fixture_bytes("comptox_ctx", "bioactivity_data_search_by-aeid_1_EMPTY.json"), "application/json")
    return not_found(path)


def _search_equal(text: str) -> Reply:
    detail = fixture_json("comptox_ctx", FILES[("chemical", "detail", "search", "by-dtxsid")])
    wanted = text.strip().lower()
    if wanted in {detail["preferredName"].lower(), detail["casrn"], detail["dtxsid"].lower()}:
        hit = {k: detail[k] for k in ("dtxsid", "dtxcid", "casrn", "preferredName", "smiles")}
        hit.update({"searchName": "Approved Name", "searchValue": text, "rank": 1})
        return json_reply([hit])
    return Reply(200, b"[]", "application/json")
