"""ChEMBL web-service routes of the replay server (``/chembl/api/data/...``).

Like the real service, the default output is XML: a request that asks for JSON neither by
extension, ``format=json`` nor ``Accept`` gets an XML document. Unknown ids get the recorded empty
404. List endpoints page with ``limit``/``offset`` and host-relative ``page_meta.next`` links.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from tests.replay import generate
from tests.replay.messages import Incoming, Reply, json_reply
from tests.replay.recorded import fixture_bytes, fixture_meta, replay_headers

PREFIX = "/chembl/api/data"
MAX_LIMIT = 1000
ATC_PAGES = {0: "atc_class_limit1000_offset0_page1.json", 5000: "atc_class_limit1000_offset5000_lastpage.json"}
HTML_404 = (
    b"<!DOCTYPE html><html><head><title>Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body></html>"
)


def empty_404() -> Reply:
    """The recorded reply for an unknown id: empty body, text/html, gunicorn headers."""
    meta = fixture_meta("chembl", "molecule_CHEMBL12345678_404.meta.json")
    headers = replay_headers(meta)
    content_type = headers.pop("content-type", "text/html; charset=utf-8")
    return Reply(int(meta["status_code"]), fixture_bytes("chembl", meta["body_file"]), content_type, headers)


def wants_json(request: Incoming) -> bool:
    return (
        request.path.endswith(".json")
        or (request.q("format") or "").lower() == "json"
        or "application/json" in request.headers.get("accept", "")
    )


def xml_reply(resource: str) -> Reply:
    body = f'<?xml version="1.0" encoding="utf-8"?>\n<response><{resource}/></response>\n'.encode()
    return Reply(200, body, "application/xml")


def route_chembl(request: Incoming) -> Reply:
    """Answer a ``/chembl/api/data/...`` request."""
    parts = request.segments[3:]  # drop "chembl", "api", "data"
    if not parts:
        return Reply(404, HTML_404, "text/html; charset=utf-8")
    resource = parts[0].removesuffix(".json")
    if not wants_json(request):
        return xml_reply(resource)
    item = parts[1].removesuffix(".json") if len(parts) > 1 else None
    if request.method not in {"GET", "HEAD"}:
        return Reply(405, b"", "text/html; charset=utf-8")
    if item is None:
        return _list(request, resource)
    return _item(resource, item)


def _item(resource: str, item: str) -> Reply:
    if resource == "molecule":
        molecule = generate.chembl_molecule(item)
        return _compact(molecule) if molecule else empty_404()
    if resource == "chembl_id_lookup":
        if item.upper() == "CHEMBL771355":
            return Reply(200, fixture_bytes("chembl", "chembl_id_lookup_CHEMBL771355.json"))
        number = generate.chembl_number(item)
        if number is None or number >= generate.MISSING_CHEMBL_FLOOR:
            return empty_404()
        return _compact(
            {
                "chembl_id": item.upper(),
                "entity_type": "COMPOUND",
                "last_active": 33,
                "resource_url": f"{PREFIX}/molecule/{item.upper()}",
                "status": "ACTIVE",
            }
        )
    if resource == "assay" and item.upper() == "CHEMBL771355":
        return Reply(200, fixture_bytes("chembl", "assay_CHEMBL771355.json"))
    return empty_404()


def _compact(data: Any) -> Reply:
    return json_reply(data, indent=None)


def _list(request: Incoming, resource: str) -> Reply:
    if resource == "atc_class":
        return _atc_page(request)
    limit = min(MAX_LIMIT, int(request.q("limit") or 20))
    offset = int(request.q("offset") or 0)
    if resource == "molecule":
        items = _molecule_query(request)
        return _page(request, resource, "molecules", items, limit, offset)
    if resource == "activity":
        items = _activity_query(request)
        return _page(request, resource, "activities", items, limit, offset)
    return empty_404()


def _molecule_query(request: Incoming) -> list[dict[str, Any]]:
    ids = request.q("molecule_chembl_id__in")
    if ids is not None:
        found = [generate.chembl_molecule(x.strip()) for x in ids.split(",") if x.strip()]
        return [m for m in found if m]
    smiles = request.q("molecule_structures__canonical_smiles__flexmatch")
    if smiles is not None:
        return _flexmatch(smiles)
    chembl_id = request.q("molecule_chembl_id")
    if chembl_id:
        molecule = generate.chembl_molecule(chembl_id)
        return [molecule] if molecule else []
    return []


def _flexmatch(smiles: str) -> list[dict[str, Any]]:
    """Structure-equivalent match: any SMILES spelling of the same structure."""
    key = generate.canonical(smiles)
    if key is None:
        return []
    hits = []
    for chembl_id in generate.CHEMBL_RECORDED_MOLECULES:
        recorded = generate.molecule_smiles(chembl_id)
        if recorded and generate.canonical(recorded) == key:
            hits.append(generate.chembl_molecule(chembl_id))
    if hits:
        return [h for h in hits if h]
    cid = generate.cid_for_smiles(smiles)
    if cid is None or cid in generate.KNOWN_CID_SMILES:
        return []
    # chembl_smiles(n) reads Tox21 row n (modulo the table); CID c is row c - 1.
    number = (cid - 1) + len(generate.tox21_smiles())
    molecule = generate.chembl_molecule(f"CHEMBL{number}")
    return [molecule] if molecule else []


def _activity_query(request: Incoming) -> list[dict[str, Any]]:
    chembl_id = request.q("molecule_chembl_id")
    if not chembl_id:
        return []
    records = generate.chembl_activities(chembl_id)
    filters: list[Callable[[dict[str, Any]], bool]] = []
    if (types := request.q("standard_type__in")) is not None:
        wanted = {t.strip() for t in types.split(",")}
        filters.append(lambda r: r["standard_type"] in wanted)
    if (kind := request.q("standard_type")) is not None:
        filters.append(lambda r: r["standard_type"] == kind)
    return [r for r in records if all(f(r) for f in filters)]


def _page(
    request: Incoming, resource: str, key: str, items: list[dict[str, Any]], limit: int, offset: int
) -> Reply:
    params = [(k, v) for k, values in request.query.items() for v in values if k not in {"limit", "offset"}]

    def link(at: int) -> str:
        query = urlencode([*params, ("limit", limit), ("offset", at)])
        return f"{PREFIX}/{resource}.json?{query}"

    total = len(items)
    meta = {
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "total_count": total,
    }
    return _compact({key: items[offset : offset + limit], "page_meta": meta})


def _atc_page(request: Incoming) -> Reply:
    offset = int(request.q("offset") or 0)
    limit = int(request.q("limit") or 20)
    name = ATC_PAGES.get(offset)
    if name is None or limit != MAX_LIMIT:
        return empty_404()
    return Reply(200, fixture_bytes("chembl", name))
