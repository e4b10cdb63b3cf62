"""NCI CACTUS routes of the replay server (``/cactus/chemical/structure/{id}/{repr}[/xml]``).

Recorded replies (``fixtures/cactus``) are served byte for byte where the request matches one.
Other names known to the generator (``generate.KNOWN_NAMES``) get a *generated* ``/smiles/xml``
reply in the recorded shape (resolver ``name_by_cir``). Everything else gets the recorded
not-found form: HTTP 200 with an empty ``<request>`` for ``/xml``, the recorded HTTP 500 HTML
page otherwise.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from tests.replay import generate
from tests.replay.messages import Incoming, Reply
from tests.replay.recorded import fixture_bytes, fixture_meta

RECORDED = {
    ("aspirin", "cas", ""): "structure_Aspirin_cas_xml",
    ("triclosan", "mw", ""): "structure_Triclosan_mw_xml",
    ("acetic acid", "mw", ""): "structure_acetic-acid_mw_xml",
    ("3380-34-5", "stdinchikey", "cas_number"): "structure_3380-34-5_stdinchikey_xml_resolver-cas_number",
    ("c#c", "inchikey", ""): "structure_C%23C_inchikey_xml",
}


def route_cactus(request: Incoming) -> Reply:
    parts = request.segments[3:]  # drop "cactus", "chemical", "structure"
    if len(parts) < 2:
        return _html_not_found()
    identifier, representation = parts[0], parts[1]
    as_xml = len(parts) > 2 and parts[2] == "xml"
    if not as_xml:
        return _html_not_found()
    key = (identifier.lower(), representation, request.q("resolver") or "")
    if key in RECORDED:
        name = RECORDED[key]
        return Reply(200, fixture_bytes("cactus", name + ".xml"), "text/xml", {"cache-control": "max-age=86400"})
    if representation == "smiles":
        cid = generate.KNOWN_NAMES.get(identifier.strip().lower())
        if cid is not None:
            return _generated(identifier, representation, generate.KNOWN_CID_SMILES[cid])
    return _empty(identifier, representation)


def _empty(identifier: str, representation: str) -> Reply:
    body = (f'<?xml version="1.0" encoding="UTF-8" ?>\n<request string={quoteattr(identifier)} '
            f'representation={quoteattr(representation)}>\n\n</request>\n')
    return Reply(200, body.encode(), "text/xml")


def _generated(identifier: str, representation: str, value: str) -> Reply:
    body = (
        f'<?xml version="1.0" encoding="UTF-8" ?>\n<request string={quoteattr(identifier)} '
        f'representation={quoteattr(representation)}>\n'
        f'\t<data id="1" resolver="name_by_cir" string_class="chemical name (CIR)" notation={quoteattr(identifier)}>\n'
        f'\t\t<item id="1">{escape(value)}</item>\n\t</data>\n</request>\n'
    )
    return Reply(200, body.encode(), "text/xml")


def _html_not_found() -> Reply:
    meta = fixture_meta("cactus", "structure_abcdefghijk_image_NOTFOUND.meta.json")
    return Reply(int(meta["status_code"]), fixture_bytes("cactus", meta["body_file"]), "text/html; charset=utf-8")
