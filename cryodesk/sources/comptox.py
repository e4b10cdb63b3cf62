"""EPA CompTox CTX API client (chemical detail, properties, name search, ToxCast bioactivity, genetox).

Formats: ``../shared/docs/external-services.md`` section 4. Every request needs the user's free
key in ``x-api-key``; without one we fail before sending anything, and a 401 is turned into a
sentence that says what to do. A valid query without data is ``200 []``: "no data", not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cryodesk.domain import InputError
from cryodesk.sources.errors import InvalidResponseError, NotFoundError, RequestRejectedError
from cryodesk.sources.http.client import HttpClient
from cryodesk.sources.http.config import ServiceConfig

SERVICE = "comptox"
CTX_BASE = "https://api-ccte.epa.gov"
KEY_HEADER = "x-api-key"
DTXSID_RE = re.compile(r"^DTXSID\d{6,12}$", re.IGNORECASE)
KEY_HELP = (
    "the EPA CompTox (CTX) API needs a free API key: request one from the EPA CCTE API team, then set "
    "CRYODESK_COMPTOX_API_KEY or save it with CryoDesk's key store"
)


class CompToxKeyError(RequestRejectedError):
    """The API key is missing or was refused (HTTP 401)."""


def comptox_config(api_key: str | None = None, **overrides: Any) -> ServiceConfig:
    """CTX defaults: ≤ 2 rps (no documented limit; ctxR waits 0 s, we stay polite)."""
    config = ServiceConfig(
        name=SERVICE,
        base_url=CTX_BASE,
        rate=2.0,
        api_key=api_key,
        api_key_header=KEY_HEADER,
        default_headers={"Accept": "application/json"},
    ).with_environment()
    return config.with_overrides(**overrides) if overrides else config


def is_dtxsid(text: str) -> bool:
    return bool(DTXSID_RE.match(text.strip()))


@dataclass(frozen=True, slots=True)
class CtxChemical:
    """The fields of ``/chemical/detail`` CryoDesk uses; ``raw`` keeps the whole object."""

    dtxsid: str
    preferred_name: str | None = None
    casrn: str | None = None
    smiles: str | None = None
    inchi: str | None = None
    inchikey: str | None = None
    formula: str | None = None
    pubchem_cid: int | None = None
    active_assays: int | None = None
    total_assays: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class CtxProperty:
    dtxsid: str
    name: str
    value: float | None
    unit: str | None
    prop_type: str  # experimental | predicted
    source: str | None
    property_id: str | None
    record_id: str


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class CtxBioactivity:
    """One invitrodb result row of ``/bioactivity/data/search/by-dtxsid``.

    No such reply is recorded (only ``[]``): the field names follow invitrodb's tables (``aeid``,
    ``m4id``, ``hitc``, level-6 flags) and are read defensively; a row without ``aeid`` or ``hitc``
    is skipped and counted by the caller.
    """

    aeid: int
    endpoint: str | None
    hitc: float
    flags: int
    ac50: float | None
    record_id: str


def _flag_count(item: dict[str, Any]) -> int:
    flags = item.get("flags")
    if flags is None and isinstance(item.get("mc6Param"), dict):
        flags = item["mc6Param"].get("flag") or item["mc6Param"].get("mc6MthdId")
    if isinstance(flags, list):
        return len(flags)
    return _int(flags) or 0


def parse_bioactivity(data: Any) -> tuple[list[CtxBioactivity], int]:
    """Rows with an assay endpoint id and a hit call, and the number of rows skipped without them."""
    if not isinstance(data, list):
        raise InvalidResponseError("bioactivity reply is not a list", service=SERVICE)
    rows, skipped = [], 0
    for item in data:
        aeid = _int(item.get("aeid")) if isinstance(item, dict) else None
        hitc = _float(item.get("hitc")) if isinstance(item, dict) else None
        if aeid is None or hitc is None:
            skipped += 1
            continue
        endpoint = item.get("aenm") or item.get("assayComponentEndpointName")
        ac50 = _float(item.get("ac50")) if item.get("ac50") is not None else None
        record = str(item.get("m4id") or item.get("m5id") or item.get("spid") or aeid)
        rows.append(
            CtxBioactivity(aeid, str(endpoint) if endpoint else None, hitc, _flag_count(item), ac50, record)
        )
    return rows, skipped


def parse_chemical(data: Any) -> CtxChemical:
    if not isinstance(data, dict) or not data.get("dtxsid"):
        raise InvalidResponseError("chemical detail without dtxsid", service=SERVICE)
    inchi = data.get("inchiString")
    return CtxChemical(
        dtxsid=data["dtxsid"],
        preferred_name=data.get("preferredName"),
        casrn=data.get("casrn"),
        smiles=data.get("smiles") or None,
        # The recorded inchiString ends in a newline.
        inchi=inchi.strip() if isinstance(inchi, str) and inchi.strip() else None,
        inchikey=data.get("inchikey") or None,
        formula=data.get("molFormula"),
        pubchem_cid=_int(data.get("pubchemCid")),
        active_assays=_int(data.get("activeAssays")),
        total_assays=_int(data.get("totalAssays")),
        raw=dict(data),
    )


def parse_properties(data: Any) -> list[CtxProperty]:
    if not isinstance(data, list):
        raise InvalidResponseError("property reply is not a list", service=SERVICE)
    return [
        CtxProperty(
            dtxsid=str(item.get("dtxsid") or ""),
            name=str(item.get("name") or ""),
            value=_float(item.get("value")),
            unit=item.get("unit"),
            prop_type=str(item.get("propType") or ""),
            source=item.get("source"),
            property_id=item.get("propertyId"),
            record_id=str(item.get("id") or ""),
        )
        for item in data
        if isinstance(item, dict)
    ]


class CompToxClient:
    """CTX API client on the shared base client.

    Args:
        api_key: the user's key; ``None`` reads ``CRYODESK_COMPTOX_API_KEY`` / the key file via
            the engine (the sources layer does not read settings itself).
    """

    def __init__(
        self,
        api_key: str | None = None,
        http: HttpClient | None = None,
        *,
        config: ServiceConfig | None = None,
        **http_options: Any,
    ) -> None:
        self.http = http or HttpClient(config or comptox_config(api_key), **http_options)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CompToxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_key(self) -> bool:
        return bool(self.http.config.api_key)

    def _get(self, path: str, kind: str) -> Any:
        if not self.has_key:
            raise CompToxKeyError(f"no API key: {KEY_HELP}", service=SERVICE, url=self.http.url_for(path))
        try:
            return self.http.get(path, kind=kind).json()
        except RequestRejectedError as exc:
            if exc.status == 401 and not isinstance(exc, NotFoundError):
                raise CompToxKeyError(
                    f"API key refused: {KEY_HELP}",
                    service=SERVICE,
                    url=exc.url,
                    status=401,
                    fault_code=exc.fault_code,
                    fault_message=exc.fault_message,
                ) from exc
            raise

    def chemical(self, dtxsid: str) -> CtxChemical | None:
        """``/chemical/detail/search/by-dtxsid/{id}``; None when unknown."""
        dtxsid = _checked(dtxsid)
        try:
            data = self._get(f"chemical/detail/search/by-dtxsid/{dtxsid}", "molecule")
        except NotFoundError:
            return None
        if isinstance(data, list):  # "no data" form
            return parse_chemical(data[0]) if data else None
        return parse_chemical(data)

    def properties(self, dtxsid: str) -> list[CtxProperty]:
        try:
            return parse_properties(
                self._get(f"chemical/property/search/by-dtxsid/{_checked(dtxsid)}", "properties")
            )
        except NotFoundError:
            return []

    def search_equal(self, text: str) -> list[dict[str, Any]]:
        """Exact name / CAS / DTXSID search (``/chemical/search/equal/{text}``); [] when nothing matches."""
        try:
            data = self._get(f"chemical/search/equal/{quote(text.strip(), safe='')}", "identifiers")
        except NotFoundError:
            return []
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []

    def bioactivity(self, dtxsid: str) -> list[dict[str, Any]]:
        """ToxCast/Tox21 invitrodb rows for a chemical; [] is "no data"."""
        return self._list(f"bioactivity/data/search/by-dtxsid/{_checked(dtxsid)}")

    def bioactivity_by_aeid(self, aeid: int) -> list[dict[str, Any]]:
        return self._list(f"bioactivity/data/search/by-aeid/{int(aeid)}")

    def genetox_summary(self, dtxsid: str) -> list[dict[str, Any]]:
        return self._list(f"hazard/genetox/summary/search/by-dtxsid/{_checked(dtxsid)}")

    def _list(self, path: str) -> list[dict[str, Any]]:
        try:
            data = self._get(path, "activities")
        except NotFoundError:
            return []
        if not isinstance(data, list):
            raise InvalidResponseError("expected a JSON array", service=SERVICE, url=path)
        return data


def _checked(dtxsid: str) -> str:
    text = dtxsid.strip().upper()
    if not DTXSID_RE.match(text):
        raise InputError(f"{dtxsid!r} is not a DTXSID (DTXSID followed by digits)")
    return text
