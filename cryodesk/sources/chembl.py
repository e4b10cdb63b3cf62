"""ChEMBL web-services client (EMBL-EBI).

Formats and conventions: ``../shared/docs/external-services.md`` section 2. The default output of
the service is XML, so every request names ``.json`` and sends ``Accept: application/json``. An
unknown id is a 404 with an empty ``text/html`` body; 5xx replies are HTML pages (retried as
transient). Lists page through ``page_meta.next``, a host-relative path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from cryodesk.sources.errors import InvalidResponseError, NotFoundError
from cryodesk.sources.http.client import HttpClient, HttpResponse
from cryodesk.sources.http.config import ServiceConfig
from cryodesk.sources.http.metrics import ClientMetrics
from cryodesk.sources.records import (
    ChemblActivity,
    ChemblIdLookup,
    ChemblMolecule,
    ChemblPage,
    to_float,
    to_int,
)

SERVICE = "chembl"
CHEMBL_BASE = "https://www.ebi.ac.uk/chembl/api/data"
MAX_PAGE_SIZE = 1000
#: The official client's ceiling; longer queries go in a POST body with a method override.
MAX_URL_LENGTH = 4000
#: Activity types relevant to cytotoxicity and acute toxicity.
TOXICITY_TYPES: tuple[str, ...] = ("CC50", "LD50", "IC50")


def chembl_config(**overrides: Any) -> ServiceConfig:
    """ChEMBL's default configuration, with ``CRYODESK_CHEMBL_BASE`` applied, then ``overrides``."""
    config = ServiceConfig(
        name=SERVICE,
        base_url=CHEMBL_BASE,
        rate=5.0,
        burst=1.0,
        read_timeout=60.0,
        default_headers={"Accept": "application/json"},
    ).with_environment()
    return config.with_overrides(**overrides) if overrides else config


# -- parsing (pure functions) ----------------------------------------------------------------------
def parse_molecule(data: Mapping[str, Any]) -> ChemblMolecule:
    """A molecule object (structures and properties may be null for biologics)."""
    if "molecule_chembl_id" not in data:
        raise InvalidResponseError("molecule object without molecule_chembl_id", service=SERVICE)
    structures = data.get("molecule_structures") or {}
    props = data.get("molecule_properties") or {}
    hierarchy = data.get("molecule_hierarchy") or {}
    synonyms = tuple(
        dict.fromkeys(s.get("molecule_synonym") for s in data.get("molecule_synonyms") or [] if s.get("molecule_synonym"))
    )
    return ChemblMolecule(
        chembl_id=data["molecule_chembl_id"],
        pref_name=data.get("pref_name"),
        molecule_type=data.get("molecule_type"),
        max_phase=to_float(data.get("max_phase")),
        canonical_smiles=structures.get("canonical_smiles"),
        standard_inchi=structures.get("standard_inchi"),
        standard_inchi_key=structures.get("standard_inchi_key"),
        molecular_formula=props.get("full_molformula"),
        full_mwt=to_float(props.get("full_mwt")),
        alogp=to_float(props.get("alogp")),
        psa=to_float(props.get("psa")),
        hba=to_int(props.get("hba")),
        hbd=to_int(props.get("hbd")),
        parent_chembl_id=hierarchy.get("parent_chembl_id"),
        synonyms=synonyms,  # type: ignore[arg-type]
        atc_classifications=tuple(data.get("atc_classifications") or ()),
        raw=dict(data),
    )


def parse_activity(data: Mapping[str, Any]) -> ChemblActivity:
    return ChemblActivity(
        activity_id=to_int(data.get("activity_id")),
        molecule_chembl_id=data.get("molecule_chembl_id"),
        assay_chembl_id=data.get("assay_chembl_id"),
        standard_type=data.get("standard_type"),
        standard_relation=data.get("standard_relation"),
        standard_value=to_float(data.get("standard_value")),
        standard_units=data.get("standard_units"),
        pchembl_value=to_float(data.get("pchembl_value")),
        target_chembl_id=data.get("target_chembl_id"),
        target_pref_name=data.get("target_pref_name"),
        assay_description=data.get("assay_description"),
        document_chembl_id=data.get("document_chembl_id"),
        data_validity_comment=data.get("data_validity_comment"),
        raw=dict(data),
    )


def parse_lookup(data: Mapping[str, Any]) -> ChemblIdLookup:
    return ChemblIdLookup(
        chembl_id=data["chembl_id"],
        entity_type=data.get("entity_type"),
        status=data.get("status"),
        resource_url=data.get("resource_url"),
        last_active=to_int(data.get("last_active")),
    )


def parse_page(data: Any) -> ChemblPage:
    """A list reply: the one list-valued key (``molecules``, ``activities``, ``atc`` ...) + page_meta."""
    if not isinstance(data, dict) or "page_meta" not in data:
        raise InvalidResponseError("list reply without page_meta", service=SERVICE)
    lists = [v for k, v in data.items() if k != "page_meta" and isinstance(v, list)]
    if len(lists) != 1:
        raise InvalidResponseError("list reply without exactly one list", service=SERVICE)
    meta = data["page_meta"]
    return ChemblPage(
        items=tuple(lists[0]),
        total_count=to_int(meta.get("total_count")),
        offset=int(meta.get("offset") or 0),
        limit=int(meta.get("limit") or len(lists[0])),
        next=meta.get("next"),
        previous=meta.get("previous"),
    )


def chembl_ids(ids: Iterable[str]) -> list[str]:
    """Upper-cased ids in first-seen order, each once."""
    return list(dict.fromkeys(i.strip().upper() for i in ids if i and i.strip()))


# -- the client ------------------------------------------------------------------------------------
class ChemblClient:
    """ChEMBL client on the shared base client.

    Args:
        http: an :class:`HttpClient` for ChEMBL; built from ``config`` (default
            :func:`chembl_config`) and ``http_options`` when omitted.
        config: service configuration when ``http`` is omitted.
        chunk_size: ids per ``molecule_chembl_id__in`` query.
        page_size: ``limit`` of list requests (max 1000).
        max_url_length: longer queries are POSTed with ``X-HTTP-Method-Override: GET``.
        **http_options: passed to :class:`HttpClient`.
    """

    def __init__(
        self,
        http: HttpClient | None = None,
        *,
        config: ServiceConfig | None = None,
        chunk_size: int = 50,
        page_size: int = MAX_PAGE_SIZE,
        max_url_length: int = MAX_URL_LENGTH,
        **http_options: Any,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self.http = http or HttpClient(config or chembl_config(), **http_options)
        self.chunk_size = max(1, chunk_size)
        self.page_size = page_size
        self.max_url_length = max_url_length

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ChemblClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def metrics(self) -> ClientMetrics:
        return self.http.metrics()

    # -- single records ----------------------------------------------------------------------
    def get_item(self, resource: str, item_id: str, *, kind: str = "default") -> dict[str, Any] | None:
        """``GET /<resource>/<id>.json``; None on the empty-body 404."""
        try:
            response = self.http.get(f"{resource}/{quote(item_id.strip(), safe='')}.json", kind=kind)
        except NotFoundError:
            return None
        data = response.json()
        if not isinstance(data, dict):
            raise InvalidResponseError(f"{resource} reply is not an object", service=SERVICE, url=response.url)
        return data

    def molecule(self, chembl_id: str) -> ChemblMolecule | None:
        """One molecule by ChEMBL id (InChIKeys are accepted as ids too); None if unknown."""
        data = self.get_item("molecule", chembl_id, kind="molecule")
        return parse_molecule(data) if data else None

    def lookup(self, chembl_id: str) -> ChemblIdLookup | None:
        """What kind of entity an id names (``chembl_id_lookup``); None if unknown."""
        data = self.get_item("chembl_id_lookup", chembl_id, kind="lookup")
        return parse_lookup(data) if data else None

    # -- lists -------------------------------------------------------------------------------
    def iter_pages(
        self,
        resource: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int | None = None,
        max_pages: int | None = None,
        kind: str = "default",
    ) -> Iterator[ChemblPage]:
        """Pages of ``/<resource>.json`` with filters, following ``page_meta.next`` to the end."""
        limit = min(MAX_PAGE_SIZE, page_size or self.page_size)
        query = {**dict(params or {}), "limit": limit, "offset": 0}
        pages = 0
        response = self._list_request(resource, query, kind)
        while True:
            page = parse_page(response.json())
            yield page
            pages += 1
            if page.next is None or (max_pages is not None and pages >= max_pages) or not page.items:
                return
            next_url = urljoin(self.http.config.base_url, page.next)
            if len(next_url) <= self.max_url_length:
                response = self.http.get(next_url, kind=kind)
            else:
                query["offset"] = page.offset + page.limit
                response = self._list_request(resource, query, kind)

    def iter_records(self, resource: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Iterator[dict[str, Any]]:
        for page in self.iter_pages(resource, params, **kwargs):
            yield from (dict(item) for item in page.items)

    def _list_request(self, resource: str, query: Mapping[str, Any], kind: str) -> HttpResponse:
        url = self.http.url_for(f"{resource}.json")
        if len(url) + 1 + len(urlencode(query)) <= self.max_url_length:
            return self.http.get(url, params=query, kind=kind)
        # As the official client does: the query as a JSON list of [key, value] pairs.
        pairs = [[key, value] for key, value in query.items()]
        return self.http.post(url, json_body=pairs, headers={"X-HTTP-Method-Override": "GET"}, kind=kind)

    def molecules(self, ids: Iterable[str]) -> list[ChemblMolecule]:
        """Many molecules via ``molecule_chembl_id__in``, in the order asked; unknown ids left out."""
        wanted = chembl_ids(ids)
        found: dict[str, ChemblMolecule] = {}
        for start in range(0, len(wanted), self.chunk_size):
            chunk = wanted[start : start + self.chunk_size]
            params = {"molecule_chembl_id__in": ",".join(chunk)}
            for item in self.iter_records("molecule", params, page_size=min(MAX_PAGE_SIZE, len(chunk)), kind="molecule"):
                molecule = parse_molecule(item)
                found.setdefault(molecule.chembl_id.upper(), molecule)
        return [found[i] for i in wanted if i in found]

    def molecules_by_smiles(self, smiles: str) -> list[ChemblMolecule]:
        """Molecules with the same structure as ``smiles`` in any spelling (``flexmatch``)."""
        params = {"molecule_structures__canonical_smiles__flexmatch": smiles}
        return [parse_molecule(m) for m in self.iter_records("molecule", params, kind="molecule")]

    def activities(
        self,
        molecule_chembl_id: str,
        standard_types: Sequence[str] | None = TOXICITY_TYPES,
        **filters: Any,
    ) -> list[ChemblActivity]:
        """Activities of a molecule, by default the cytotoxicity/acute-toxicity types.

        Args:
            molecule_chembl_id: the molecule.
            standard_types: ``standard_type__in`` filter; None for every type.
            **filters: further Django-style filters (``pchembl_value__gte=6``, ``target_chembl_id=...``).
        """
        params: dict[str, Any] = {"molecule_chembl_id": molecule_chembl_id.strip().upper(), **filters}
        if standard_types:
            params["standard_type__in"] = ",".join(standard_types)
        return [parse_activity(a) for a in self.iter_records("activity", params, kind="activities")]
