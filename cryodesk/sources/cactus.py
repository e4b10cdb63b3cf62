"""NCI CACTUS Chemical Identifier Resolver client.

Formats: ``../shared/docs/external-services.md`` section 7. We always ask for the ``/xml`` form
because it says *which* CACTUS resolver answered (``name_by_opsin``, ``name_by_cir``,
``cas_number`` ...) and gives one ``<data>`` per resolver: the resolver layer turns that into
method and confidence. Not found is HTTP 200 with an empty ``<request>``; plain-text lookups of
unknown strings give 404/500 HTML pages, both mapped to "no answer".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from cryodesk.sources.errors import InvalidResponseError, NotFoundError, RequestRejectedError
from cryodesk.sources.http.client import HttpClient
from cryodesk.sources.http.config import ServiceConfig
from cryodesk.sources.http.retry import RetryPolicy

SERVICE = "cactus"
CACTUS_BASE = "https://cactus.nci.nih.gov/chemical/structure"
REPRESENTATIONS = frozenset(
    {"smiles", "stdinchi", "stdinchikey", "inchikey", "cas", "names", "iupac_name", "mw", "formula"}
)


def cactus_config(**overrides: Any) -> ServiceConfig:
    """CACTUS defaults (≤ 1 rps, 15 s read timeout: the service is slow and has outages)."""
    config = ServiceConfig(
        name=SERVICE,
        base_url=CACTUS_BASE,
        rate=1.0,
        read_timeout=15.0,
        # 500 is how CACTUS says "not found" on some endpoints: retrying it only wastes time.
        retry=RetryPolicy(max_attempts=2),
        default_headers={"Accept": "text/xml"},
    ).with_environment()
    return config.with_overrides(**overrides) if overrides else config


@dataclass(frozen=True, slots=True)
class CactusAnswer:
    """One ``<data>`` block: what one CACTUS resolver said about the identifier.

    Attributes:
        resolver: CACTUS's resolver name (``name_by_cir``, ``name_by_opsin``, ``smiles``, ``cas_number`` ...).
        string_class: how CACTUS classified the input (``"chemical name (CIR)"``).
        values: the items, ``InChIKey=`` prefixes stripped.
        classifications: each item's ``classification`` attribute ('' when absent).
    """

    resolver: str
    string_class: str
    values: tuple[str, ...]
    classifications: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CactusResult:
    identifier: str
    representation: str
    answers: tuple[CactusAnswer, ...]

    @property
    def found(self) -> bool:
        return any(a.values for a in self.answers)

    def values(self) -> list[str]:
        """Every distinct value over all resolvers, first-seen order."""
        return list(dict.fromkeys(v for a in self.answers for v in a.values))


def parse_cactus_xml(content: bytes, identifier: str = "", representation: str = "") -> CactusResult:
    """Parse the ``/xml`` reply (streamed with defusedxml; entity declarations are refused).

    Raises:
        InvalidResponseError: not XML, an XML bomb / external entity, or not a ``<request>`` document.
    """
    answers: list[CactusAnswer] = []
    root_tag: str | None = None
    try:
        for event, element in SafeET.iterparse(io.BytesIO(content), events=("start", "end")):
            if event == "start" and root_tag is None:
                root_tag = element.tag
                identifier = element.get("string", identifier)
                representation = element.get("representation", representation)
            if event == "end" and element.tag == "data":
                answers.append(_answer(element))
                element.clear()
    except DefusedXmlException as exc:
        raise InvalidResponseError(f"unsafe XML refused ({type(exc).__name__})", service=SERVICE) from exc
    except SafeET.ParseError as exc:
        raise InvalidResponseError(f"reply is not XML: {exc}", service=SERVICE) from exc
    if root_tag != "request":
        raise InvalidResponseError(f"expected a <request> document, got <{root_tag}>", service=SERVICE)
    return CactusResult(identifier, representation, tuple(answers))


def _answer(element: Any) -> CactusAnswer:
    items = element.findall("item")
    values = tuple(_clean(item.text or "") for item in items if (item.text or "").strip())
    classes = tuple(item.get("classification", "") for item in items if (item.text or "").strip())
    return CactusAnswer(element.get("resolver", ""), element.get("string_class", ""), values, classes)


def _clean(text: str) -> str:
    return text.strip().removeprefix("InChIKey=")


class CactusClient:
    """``structure/{identifier}/{representation}/xml`` lookups on the shared base client."""

    def __init__(self, http: HttpClient | None = None, *, config: ServiceConfig | None = None,
                 **http_options: Any) -> None:
        self.http = http or HttpClient(config or cactus_config(), **http_options)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CactusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def resolve(self, identifier: str, representation: str = "smiles",
                resolvers: tuple[str, ...] = ()) -> CactusResult:
        """What CACTUS says ``identifier`` is, in ``representation``; an empty result when unknown."""
        if representation not in REPRESENTATIONS:
            raise ValueError(f"unsupported CACTUS representation {representation!r}")
        text = identifier.strip()
        if not text:
            return CactusResult(identifier, representation, ())
        # safe='' so '#', '/' and spaces in SMILES and names are escaped as CACTUS expects.
        path = f"{quote(text, safe='')}/{representation}/xml"
        params = {"resolver": ",".join(resolvers)} if resolvers else None
        try:
            response = self.http.get(path, params=params, kind="identifiers", expect_json=False)
        except (NotFoundError, RequestRejectedError):
            return CactusResult(text, representation, ())
        return parse_cactus_xml(response.content, text, representation)
