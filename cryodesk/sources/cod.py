"""Crystallography Open Database (COD) client: search by formula, text or id, fetch CIFs.

Formats: ``../shared/docs/external-services.md`` section 6. Search replies (``format=json``) are
arrays of flat objects whose values are all strings; CIFs are served at ``/cod/{7-digit id}.cif``.
COD data are public domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cryodesk.domain import InputError
from cryodesk.sources.cif import CrystalRecord, parse_cif
from cryodesk.sources.errors import InvalidResponseError, NotFoundError
from cryodesk.sources.http.client import HttpClient
from cryodesk.sources.http.config import ServiceConfig

SERVICE = "cod"
COD_BASE = "https://www.crystallography.net/cod"
COD_ID_RE = re.compile(r"^\d{7}$")


def cod_config(**overrides: Any) -> ServiceConfig:
    """COD defaults: no documented limit, so 1 request per second; CIFs are cached for a month."""
    config = ServiceConfig(name=SERVICE, base_url=COD_BASE, rate=1.0, read_timeout=60.0).with_environment()
    return config.with_overrides(**overrides) if overrides else config


@dataclass(frozen=True, slots=True)
class CodEntry:
    """One search hit (the COD ``data`` table row; numbers parsed where they are numbers)."""

    cod_id: str
    formula: str | None
    space_group: str | None
    a: float | None
    b: float | None
    c: float | None
    volume: float | None
    year: str | None
    journal: str | None
    raw: dict[str, str] = field(default_factory=dict, compare=False)


def _float(text: Any) -> float | None:
    try:
        return float(str(text).split("(")[0])
    except (TypeError, ValueError):
        return None


def _formula(text: str | None) -> str | None:
    # COD wraps formulas as "- C2 H6 O2 -".
    return text.strip().strip("-").strip() if text else None


def parse_search(data: Any) -> list[CodEntry]:
    if not isinstance(data, list):
        raise InvalidResponseError("COD search reply is not a JSON array", service=SERVICE)
    out = []
    for item in data:
        if not isinstance(item, dict) or not item.get("file"):
            continue
        out.append(CodEntry(
            cod_id=str(item["file"]), formula=_formula(item.get("formula")), space_group=item.get("sg"),
            a=_float(item.get("a")), b=_float(item.get("b")), c=_float(item.get("c")), volume=_float(item.get("vol")),
            year=item.get("year"), journal=item.get("journal"), raw={k: str(v) for k, v in item.items()},
        ))
    return out


def hill_query(formula: str) -> str:
    """COD's formula parameter: Hill order, elements separated by spaces (``C2H6O2`` -> ``C2 H6 O2``)."""
    tokens = re.findall(r"[A-Z][a-z]?\d*(?:\.\d+)?", formula.replace(" ", ""))
    if not tokens:
        raise InputError(f"{formula!r} is not a chemical formula")
    return " ".join(tokens)


class CodClient:
    def __init__(self, http: HttpClient | None = None, *, config: ServiceConfig | None = None,
                 **http_options: Any) -> None:
        self.http = http or HttpClient(config or cod_config(), **http_options)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CodClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(self, *, formula: str | None = None, text: str | None = None, ids: list[str] | None = None,
               **filters: Any) -> list[CodEntry]:
        """Entries matching a formula (any order/spacing), a metadata keyword, ids or other COD filters."""
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        if formula:
            params["formula"] = hill_query(formula)
        if text:
            params["text"] = text
        if ids:
            params["id"] = ",".join(ids)
        if not params:
            raise InputError("a COD search needs a formula, text, ids or another filter")
        params["format"] = "json"
        try:
            return parse_search(self.http.get("result", params=params, kind="search").json())
        except NotFoundError:
            return []

    def cif_text(self, cod_id: str) -> str | None:
        """The CIF of an entry; None when COD has no such id."""
        cod_id = cod_id.strip()
        if not COD_ID_RE.match(cod_id):
            raise InputError(f"{cod_id!r} is not a COD id (7 digits)")
        try:
            response = self.http.get(f"{cod_id}.cif", kind="molecule", expect_json=False)
        except NotFoundError:
            return None
        return response.text

    def crystal(self, cod_id: str) -> list[CrystalRecord]:
        text = self.cif_text(cod_id)
        return parse_cif(text, f"COD {cod_id}") if text is not None else []
