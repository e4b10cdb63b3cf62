"""Crystallography Open Database routes of the replay server (``/cod/...``).

``/cod/{id}.cif`` serves the recorded ``fixtures/cod/2000056.cif``; other ids get a 404 HTML page.
``/cod/result?...&format=json`` is *generated*: no JSON search reply is recorded, so it answers
from the one recorded entry in the documented shape (a list of flat objects, every value a string).
"""

from __future__ import annotations

import json
import re

from tests.replay.messages import Incoming, Reply
from tests.replay.recorded import fixture_bytes

RECORDED_ID = "2000056"
NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
ENTRY = {
    "file": RECORDED_ID, "a": "11.699", "b": "10.164", "c": "6.835", "alpha": "90", "beta": "105.00",
    "gamma": "90", "vol": "785.047", "sg": "P 1 21/c 1", "sgHall": "-P 2ybc", "Z": "2",
    "formula": "- C2 H24 N2 Na2 O14 P2 -", "calcformula": "- C2 H24 N2 Na2 O14 P2 -",
    "journal": "Acta Crystallographica Section C", "year": "1987", "volume": "43", "firstpage": "1896",
    "authors": "Averbuch-Pouchot, M T; Durif, A; Guitel, J C", "text": "",
}


def route_cod(request: Incoming) -> Reply:
    parts = request.segments[1:]
    if len(parts) == 1 and re.fullmatch(r"\d{7}\.cif", parts[0]):
        if parts[0] == RECORDED_ID + ".cif":
            return Reply(200, fixture_bytes("cod", "2000056.cif"), "chemical/x-cif")
        return Reply(404, NOT_FOUND, "text/html")
    if parts == ["result"]:
        return _search(request)
    return Reply(404, NOT_FOUND, "text/html")


def _search(request: Incoming) -> Reply:
    fmt = request.q("format") or "html"
    if fmt != "json":
        return Reply(400, b"<html><body>only format=json is replayed</body></html>", "text/html")
    formula = " ".join((request.q("formula") or "").split())
    text = (request.q("text") or "").lower()
    ident = request.q("id") or ""
    hit = (
        formula == "C2 H24 N2 Na2 O14 P2"
        or (text and text in "averbuch-pouchot durif guitel ethylenediammonium")
        or RECORDED_ID in ident.split(",")
    )
    return Reply(200, json.dumps([ENTRY] if hit else []).encode(), "application/json")
