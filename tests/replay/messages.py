"""Request and reply values shared by the replay server and its routes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass
class Incoming:
    """A parsed request as the routes see it.

    ``method`` is the effective method: a POST carrying ``X-HTTP-Method-Override: GET`` (ChEMBL's
    long-list form) is seen as a GET whose query comes from the body.
    """

    method: str
    path: str
    segments: list[str]
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def f(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None

    def arg(self, name: str) -> str | None:
        """A parameter from the form body, else from the query."""
        return self.f(name) or self.q(name)


def parse_incoming(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Incoming:
    path, _, query_text = raw_path.partition("?")
    query = parse_qs(query_text, keep_blank_values=True)
    form: dict[str, list[str]] = {}
    content_type = headers.get("content-type", "")
    override = headers.get("x-http-method-override", "").upper()
    if body and "application/x-www-form-urlencoded" in content_type:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    elif body and "application/json" in content_type:
        form = _json_pairs(body)
    effective = method
    if method == "POST" and override == "GET":
        effective = "GET"
        for key, values in form.items():
            query.setdefault(key, []).extend(values)
    segments = [unquote(s) for s in path.split("/") if s]
    return Incoming(effective, path, segments, query, form, headers, body)


def _json_pairs(body: bytes) -> dict[str, list[str]]:
    """ChEMBL's official client posts the query as a JSON list of ``[key, value]`` pairs."""
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    pairs: list[tuple[str, Any]] = []
    if isinstance(data, list):
        pairs = [(str(p[0]), p[1]) for p in data if isinstance(p, list | tuple) and len(p) == 2]
    elif isinstance(data, dict):
        pairs = list(data.items())
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(str(value))
    return out


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(data: Any, status: int = 200, indent: int | None = 2) -> Reply:
    """PubChem sends 2-space indented JSON, ChEMBL compact JSON (``indent=None``)."""
    separators = None if indent else (",", ":")
    return Reply(status, json.dumps(data, indent=indent, separators=separators).encode("utf-8"))


@dataclass
class RecordedRequest:
    """One request as the server saw it, for assertions."""

    index: int
    t: float
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    fault: str | None = None
    over_limit: bool = False
