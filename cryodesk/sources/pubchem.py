"""PubChem PUG-REST and PUG-View client.

Formats, limits and error conventions: ``../shared/docs/external-services.md`` section 1. In short:
at most 5 requests/s per user (CryoDesk: 4), ``X-Throttling-Control`` on every reply, 503 (not 429)
when over the limit, 30 s per-request server limit, a 404 Fault for "nothing found", and since
2025 the ``SMILES``/``ConnectivitySMILES`` reply keys instead of ``IsomericSMILES``/
``CanonicalSMILES`` (both are understood here).

Every identifier that is not a plain path element (names, SMILES, CID lists) is sent in a
form-encoded POST body, as PubChemPy does, so no escaping problem or URL-length limit applies.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from cryodesk.domain.batching import batched
from cryodesk.sources.cas import find_cas_numbers, is_valid_cas
from cryodesk.sources.errors import InvalidResponseError, NotFoundError, PendingTimeoutError
from cryodesk.sources.http.client import Fault, HttpClient, HttpResponse, parse_fault_default
from cryodesk.sources.http.config import ServiceConfig, env_var_name
from cryodesk.sources.http.metrics import ClientMetrics
from cryodesk.sources.pubchem_view import (
    LITERATURE_REQUEST_HEADINGS,
    LiteratureAnnotation,
    parse_literature_annotations,
)
from cryodesk.sources.records import (
    ExperimentalValue,
    PropertyBatch,
    PubChemProperties,
    PubChemSynonyms,
    to_float,
    to_int,
)
from cryodesk.sources.text_values import kind_for_heading, parse_number_value, parse_text

SERVICE = "pubchem"
PUBCHEM_BASE = "https://pubchem.ncbi.nlm.nih.gov/rest/pug"
PUBCHEM_VIEW_BASE = "https://pubchem.ncbi.nlm.nih.gov/rest/pug_view"
THROTTLE_HEADER = "X-Throttling-Control"

#: Properties requested by default; the 2025 SMILES names (the legacy ones are still accepted).
DEFAULT_PROPERTIES: tuple[str, ...] = (
    "MolecularFormula",
    "MolecularWeight",
    "SMILES",
    "ConnectivitySMILES",
    "InChI",
    "InChIKey",
    "IUPACName",
    "Title",
    "XLogP",
    "ExactMass",
    "MonoisotopicMass",
    "TPSA",
    "Complexity",
    "Charge",
    "HBondDonorCount",
    "HBondAcceptorCount",
    "RotatableBondCount",
    "HeavyAtomCount",
)

#: PUG-View headings read by :meth:`PubChemClient.experimental_properties` by default.
EXPERIMENTAL_HEADINGS: tuple[str, ...] = (
    "Melting Point",
    "Boiling Point",
    "Density",
    "Viscosity",
    "Solubility",
    "Toxicity Data",
)

DEFAULT_CHUNK_SIZE = 100
MAX_CHUNK_SIZE = 1000


def pubchem_config(**overrides: Any) -> ServiceConfig:
    """PubChem's default configuration, with ``CRYODESK_PUBCHEM_BASE`` applied, then ``overrides``."""
    config = ServiceConfig(
        name=SERVICE,
        base_url=PUBCHEM_BASE,
        rate=4.0,  # policy: 5/s allowed, stay below it
        burst=1.0,
        read_timeout=40.0,  # the server gives up at 30 s (504 PUGREST.Timeout)
        throttle_header=THROTTLE_HEADER,
        default_headers={"Accept": "application/json"},
    ).with_environment()
    return config.with_overrides(**overrides) if overrides else config


def view_base_for(base_url: str) -> str:
    """PUG-View's base: ``CRYODESK_PUBCHEM_VIEW_BASE``, else derived from the PUG-REST base."""
    env = os.environ.get(env_var_name(SERVICE, "VIEW_BASE"))
    if env:
        return env.strip()
    base = base_url.rstrip("/")
    if base.endswith("/rest/pug"):
        return base + "_view"
    return base.rsplit("/", 1)[0] + "/pug_view"


# -- parsing (pure functions) ----------------------------------------------------------------------
def parse_fault(content: bytes, content_type: str) -> Fault | None:
    """PubChem's ``{"Fault": {"Code", "Message", "Details"}}`` envelope (and HTML 503 pages)."""
    return parse_fault_default(content, content_type)


def parse_identifier_list(data: Any, key: str = "CID") -> list[int]:
    """CIDs of an ``IdentifierList`` (CID 0, PubChem's "valid but unknown structure", dropped)."""
    try:
        values = data["IdentifierList"].get(key, [])
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidResponseError("reply has no IdentifierList", service=SERVICE) from exc
    return [int(v) for v in values if int(v) > 0]


def parse_property_row(row: Mapping[str, Any]) -> PubChemProperties:
    """One ``PropertyTable.Properties`` item, with either SMILES key naming."""
    return PubChemProperties(
        cid=int(row["CID"]),
        molecular_formula=row.get("MolecularFormula"),
        molecular_weight=to_float(row.get("MolecularWeight")),
        smiles=row.get("SMILES") or row.get("IsomericSMILES"),
        connectivity_smiles=row.get("ConnectivitySMILES") or row.get("CanonicalSMILES"),
        inchi=row.get("InChI"),
        inchikey=row.get("InChIKey"),
        iupac_name=row.get("IUPACName"),
        title=row.get("Title"),
        xlogp=to_float(row.get("XLogP")),
        exact_mass=to_float(row.get("ExactMass")),
        monoisotopic_mass=to_float(row.get("MonoisotopicMass")),
        tpsa=to_float(row.get("TPSA")),
        complexity=to_float(row.get("Complexity")),
        charge=to_int(row.get("Charge")),
        hbond_donors=to_int(row.get("HBondDonorCount")),
        hbond_acceptors=to_int(row.get("HBondAcceptorCount")),
        rotatable_bonds=to_int(row.get("RotatableBondCount")),
        heavy_atoms=to_int(row.get("HeavyAtomCount")),
        raw=dict(row),
    )


def parse_property_table(data: Any) -> list[PubChemProperties]:
    try:
        rows = data["PropertyTable"]["Properties"]
    except (KeyError, TypeError) as exc:
        raise InvalidResponseError("reply has no PropertyTable.Properties", service=SERVICE) from exc
    return [parse_property_row(r) for r in rows]


# Catalogue and registry identifiers mixed into PubChem synonyms: not names a chemist would use.
_ID_RES = [
    re.compile(
        r"^(?:UNII|EINECS|EC|NSC|CCRIS|HSDB|AI3|BRN|WLN|CAS|RCRA|UN|FEMA|DTXSID|DTXCID|CHEBI|CHEMBL|SCHEMBL|"
        r"ZINC|NCGC|AKOS|MFCD|BDBM|SMR|MLS|SPECTRUM|Tox21|KBio|BSPBio|Prestwick|DB)[-_: ]?\d",
        re.I,
    ),
    re.compile(r"^[A-Z]{1,6}[-_]?\d{3,}(?:[-_][A-Z0-9]+)*$"),  # AKOS000, HY-14654, SR-01000075
    re.compile(r"^(?=.*\d)[A-Z0-9]{10}$"),  # UNII codes (R16CO5Y76E)
    re.compile(r"^\d{3}-\d{3}-\d$"),  # EC numbers (200-064-1)
    re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$"),  # InChIKeys
    re.compile(r"^InChI=", re.I),
]


def split_synonyms(cid: int, synonyms: Sequence[str]) -> PubChemSynonyms:
    """Sort a synonym list into names, checksum-valid CAS numbers and other identifiers."""
    cas = find_cas_numbers(synonyms)
    names: list[str] = []
    others: list[str] = []
    for synonym in synonyms:
        text = synonym.strip()
        if not text or is_valid_cas(text):
            continue
        if re.match(r"^\d{2,7}-\d\d-\d$", text):
            others.append(text)  # CAS-shaped but the checksum fails: keep it out of the names
        elif any(p.search(text) for p in _ID_RES):
            others.append(text)
        else:
            names.append(text)
    return PubChemSynonyms(cid, tuple(synonyms), tuple(names), tuple(cas), tuple(others))


def parse_synonyms(data: Any) -> list[PubChemSynonyms]:
    try:
        items = data["InformationList"]["Information"]
    except (KeyError, TypeError) as exc:
        raise InvalidResponseError("reply has no InformationList", service=SERVICE) from exc
    return [split_synonyms(int(i["CID"]), list(i.get("Synonym", []))) for i in items if "CID" in i]


def parse_experimental_properties(
    record: Mapping[str, Any], headings: Iterable[str] = EXPERIMENTAL_HEADINGS
) -> list[ExperimentalValue]:
    """Values under the given PUG-View headings of a record (``{"Record": ...}`` or its content).

    Every ``Information`` item yields at least one value; its original string is always kept in
    ``value_text``, with ``value`` None when no number could be read with confidence.
    """
    record = record.get("Record", record)
    cid = int(record.get("RecordNumber", 0))
    references = {r.get("ReferenceNumber"): r for r in record.get("Reference", [])}
    wanted = set(headings)
    values: list[ExperimentalValue] = []
    for heading, info in _walk_information(record.get("Section", []), wanted):
        values.extend(information_values(cid, heading, info, references))
    return values


def _walk_information(
    sections: list[Mapping[str, Any]], wanted: set[str]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for section in sections:
        heading = section.get("TOCHeading", "")
        if heading in wanted:
            for info in section.get("Information", []):
                yield heading, info
        yield from _walk_information(section.get("Section", []), wanted)


def information_values(
    cid: int,
    heading: str,
    info: Mapping[str, Any],
    references: Mapping[Any, Mapping[str, Any]],
    *,
    numeric_only: bool = False,
) -> list[ExperimentalValue]:
    """The values of one PUG-View ``Information`` item under ``heading``.

    Args:
        numeric_only: only values read into a number (the literature sections keep their texts in
            their own records, so a text-only value there would be the same string twice).
    """
    ref_number = info.get("ReferenceNumber")
    ref = references.get(ref_number, {})
    common = {
        "cid": cid,
        "property": heading,
        "reference_number": ref_number,
        "source_name": ref.get("SourceName"),
        "source_id": str(ref["SourceID"]) if ref.get("SourceID") is not None else None,
        "source_url": ref.get("URL"),
        "license_note": ref.get("LicenseNote"),
        "license_url": ref.get("LicenseURL"),
    }
    kind = kind_for_heading(heading)
    value = info.get("Value", {})
    out: list[ExperimentalValue] = []
    if "Number" in value:
        parsed = parse_number_value([float(n) for n in value["Number"]], value.get("Unit"), kind)
        if parsed is not None:
            out.append(_experimental(common, parsed.segment, parsed))
    for item in value.get("StringWithMarkup", []):
        text = item.get("String", "")
        if not text:
            continue
        parsed_values = parse_text(text, kind) if kind else []
        if not parsed_values and not numeric_only:
            out.append(ExperimentalValue(value=None, unit=None, value_text=text, **common))
        out.extend(_experimental(common, text, p) for p in parsed_values)
    return out


def _experimental(common: Mapping[str, Any], text: str, parsed: Any) -> ExperimentalValue:
    return ExperimentalValue(
        value=parsed.value,
        unit=parsed.unit,
        value_text=text,
        value_max=parsed.value_max,
        relation=parsed.relation,
        conditions=parsed.conditions,
        qualifier=parsed.qualifier,
        measure=parsed.measure,
        segment=parsed.segment,
        **common,
    )


def unique_cids(cids: Iterable[int | str]) -> list[int]:
    """Positive integer CIDs in first-seen order, each once (a batch must not repeat a CID)."""
    seen: dict[int, None] = {}
    for cid in cids:
        number = int(cid)
        if number <= 0:
            raise ValueError(f"invalid CID {cid!r}: must be a positive integer")
        seen.setdefault(number, None)
    return list(seen)


# -- the client ------------------------------------------------------------------------------------
class PubChemClient:
    """PUG-REST + PUG-View client on the shared base client.

    Args:
        http: an :class:`HttpClient` for PubChem; built from ``config`` (default
            :func:`pubchem_config`) and ``http_options`` when omitted.
        config: service configuration when ``http`` is omitted.
        view_base_url: PUG-View base (default: ``CRYODESK_PUBCHEM_VIEW_BASE`` or derived).
        chunk_size: CIDs per property POST (1..1000; a few hundred stays well under PubChem's
            30 s per-request limit).
        poll_interval: seconds between ListKey polls.
        max_wait: seconds to wait for a ListKey search before :class:`PendingTimeoutError`.
        **http_options: passed to :class:`HttpClient` (``cache``, ``cache_dir``, ``clock``,
            ``registry``, ``breaker_listener`` ...).
    """

    def __init__(
        self,
        http: HttpClient | None = None,
        *,
        config: ServiceConfig | None = None,
        view_base_url: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        poll_interval: float = 2.0,
        max_wait: float = 120.0,
        **http_options: Any,
    ) -> None:
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE}")
        self.http = http or HttpClient(config or pubchem_config(), fault_parser=parse_fault, **http_options)
        self.view_base_url = (view_base_url or view_base_for(self.http.config.base_url)).rstrip("/")
        self.chunk_size = chunk_size
        self.poll_interval = poll_interval
        self.max_wait = max_wait

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PubChemClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def metrics(self) -> ClientMetrics:
        """The underlying client's :class:`~cryodesk.sources.http.metrics.ClientMetrics`."""
        return self.http.metrics()

    # -- identifiers -------------------------------------------------------------------------
    def cids_by_name(self, name: str, *, name_type: str | None = None) -> list[int]:
        """CIDs for a name (``name_type="word"`` for word matching); ``[]`` when unknown."""
        params = {"name_type": name_type} if name_type else None
        return self._cids("POST", "compound/name/cids/JSON", data={"name": name}, params=params)

    def cids_by_inchikey(self, inchikey: str) -> list[int]:
        return self._cids("GET", f"compound/inchikey/{quote(inchikey.strip(), safe='')}/cids/JSON")

    def cids_by_smiles(self, smiles: str) -> list[int]:
        return self._cids("POST", "compound/smiles/cids/JSON", data={"smiles": smiles})

    def _cids(self, method: str, path: str, **kwargs: Any) -> list[int]:
        try:
            response = self.http.request(method, path, kind="identifiers", **kwargs)
        except NotFoundError:
            return []
        return parse_identifier_list(response.json())

    # -- properties --------------------------------------------------------------------------
    def properties(
        self,
        cids: Iterable[int | str],
        properties: Sequence[str] = DEFAULT_PROPERTIES,
        *,
        chunk_size: int | None = None,
    ) -> list[PubChemProperties]:
        """Properties of many CIDs, fetched in POST batches; unknown CIDs are left out."""
        records: list[PubChemProperties] = []
        for batch in self.iter_property_batches(cids, properties, chunk_size=chunk_size):
            records.extend(batch.records)
        return records

    def iter_property_batches(
        self,
        cids: Iterable[int | str],
        properties: Sequence[str] = DEFAULT_PROPERTIES,
        *,
        chunk_size: int | None = None,
    ) -> Iterator[PropertyBatch]:
        """One :class:`PropertyBatch` per request, so a job can checkpoint after each."""
        size = chunk_size or self.chunk_size
        wanted = unique_cids(cids)
        for chunk in batched(wanted, size):
            yield self.property_batch(chunk, properties)

    def property_batch(
        self, cids: Sequence[int], properties: Sequence[str] = DEFAULT_PROPERTIES
    ) -> PropertyBatch:
        """One POST ``compound/cid/property/<names>/JSON`` with body ``cid=1,2,3``."""
        requested = tuple(unique_cids(cids))
        path = f"compound/cid/property/{','.join(properties)}/JSON"
        try:
            response = self.http.post(path, data={"cid": ",".join(map(str, requested))}, kind="properties")
        except NotFoundError:
            return PropertyBatch(requested, (), requested)
        rows = parse_property_table(response.json())
        asked = set(requested)
        seen: dict[int, PubChemProperties] = {}
        for row in rows:
            if row.cid in asked:
                seen.setdefault(row.cid, row)
        missing = tuple(c for c in requested if c not in seen)
        return PropertyBatch(
            requested, tuple(seen[c] for c in requested if c in seen), missing, response.from_cache
        )

    # -- synonyms and cross-references -------------------------------------------------------
    def synonyms(self, cid: int) -> PubChemSynonyms | None:
        return self.synonyms_many([cid]).get(int(cid))

    def synonyms_many(self, cids: Iterable[int | str]) -> dict[int, PubChemSynonyms]:
        result: dict[int, PubChemSynonyms] = {}
        for chunk in batched(unique_cids(cids), self.chunk_size):
            try:
                response = self.http.post(
                    "compound/cid/synonyms/JSON", data={"cid": ",".join(map(str, chunk))}, kind="synonyms"
                )
            except NotFoundError:
                continue
            for item in parse_synonyms(response.json()):
                result.setdefault(item.cid, item)
        return result

    def synonyms_by_name(self, name: str) -> list[PubChemSynonyms]:
        """Synonyms of every CID a name matches (POST ``name=``); ``[]`` when unknown."""
        try:
            response = self.http.post("compound/name/synonyms/JSON", data={"name": name}, kind="synonyms")
        except NotFoundError:
            return []
        return parse_synonyms(response.json())

    def xrefs(self, cid: int, kinds: Sequence[str] = ("RN",)) -> dict[str, list[str]]:
        """Cross-references of one CID, e.g. ``{"RN": [...], "RegistryID": [...]}``."""
        try:
            response = self.http.get(f"compound/cid/{int(cid)}/xrefs/{','.join(kinds)}/JSON", kind="xrefs")
        except NotFoundError:
            return {}
        try:
            info = response.json()["InformationList"]["Information"]
        except (KeyError, TypeError) as exc:
            raise InvalidResponseError(
                "reply has no InformationList", service=SERVICE, url=response.url
            ) from exc
        merged: dict[str, list[str]] = {}
        for item in info:
            for kind in kinds:
                merged.setdefault(kind, []).extend(str(v) for v in item.get(kind, []))
        return merged

    def registry_numbers(self, cid: int) -> list[str]:
        """CAS RNs from ``xrefs/RN`` that pass the checksum."""
        return find_cas_numbers(self.xrefs(cid, ("RN",)).get("RN", []))

    # -- structure searches ------------------------------------------------------------------
    def similar_cids(self, smiles: str, *, threshold: int = 90, max_records: int = 100) -> list[int]:
        """Synchronous 2-D similarity search (``fastsimilarity_2d``, Tanimoto ``threshold`` %)."""
        params = {"Threshold": threshold, "MaxRecords": max_records}
        return self._search("compound/fastsimilarity_2d/smiles/cids/JSON", smiles, params)

    def substructure_cids(self, smiles: str, *, max_records: int = 100) -> list[int]:
        """Synchronous substructure search (``fastsubstructure``)."""
        return self._search("compound/fastsubstructure/smiles/cids/JSON", smiles, {"MaxRecords": max_records})

    def _search(self, path: str, smiles: str, params: Mapping[str, Any]) -> list[int]:
        try:
            response = self.http.post(path, data={"smiles": smiles}, params=params, kind="search")
        except NotFoundError:
            return []
        return parse_identifier_list(response.json())

    def similarity_search_async(self, smiles: str, *, threshold: int = 95) -> list[int]:
        """The legacy asynchronous similarity search: 202 Waiting + ListKey, then polling."""
        return self._async(
            "POST",
            "compound/similarity/smiles/cids/JSON",
            data={"smiles": smiles},
            params={"Threshold": threshold},
        )

    def substructure_search_async(self, smiles: str) -> list[int]:
        return self._async("POST", "compound/substructure/smiles/cids/JSON", data={"smiles": smiles})

    def formula_search(self, formula: str) -> list[int]:
        """CIDs with a molecular formula (asynchronous ListKey flow)."""
        return self._async("GET", f"compound/formula/{quote(formula, safe='')}/cids/JSON")

    def _async(self, method: str, path: str, **kwargs: Any) -> list[int]:
        try:
            response = self.http.request(method, path, kind="pending", use_cache=False, **kwargs)
        except NotFoundError:
            return []
        return self.wait_for_listkey(response)

    def wait_for_listkey(self, response: HttpResponse) -> list[int]:
        """Poll ``compound/listkey/<key>/cids/JSON`` until the search is no longer ``Waiting``."""
        clock = self.http.clock
        deadline = clock.monotonic() + self.max_wait
        data = response.json()
        while isinstance(data, dict) and "Waiting" in data:
            key = str(data["Waiting"].get("ListKey", ""))
            if not key.isdigit():
                raise InvalidResponseError(
                    "Waiting reply without a ListKey", service=SERVICE, url=response.url
                )
            if clock.monotonic() + self.poll_interval > deadline:
                raise PendingTimeoutError(
                    f"search still running after {self.max_wait:.0f} s (ListKey {key})",
                    service=SERVICE,
                    url=response.url,
                )
            clock.sleep(self.poll_interval)
            try:
                response = self.http.get(f"compound/listkey/{key}/cids/JSON", kind="pending", use_cache=False)
            except NotFoundError:
                return []
            data = response.json()
        return parse_identifier_list(data)

    # -- PUG-View ----------------------------------------------------------------------------
    def view_record(self, cid: int, heading: str | None = None) -> dict[str, Any] | None:
        """The PUG-View record of a CID (optionally pruned to one heading); None if there is none."""
        url = f"{self.view_base_url}/data/compound/{int(cid)}/JSON"
        params = {"heading": heading} if heading else None
        try:
            response = self.http.get(url, params=params, kind="view")
        except NotFoundError:
            return None
        data = response.json()
        if not isinstance(data, dict) or "Record" not in data:
            raise InvalidResponseError("PUG-View reply has no Record", service=SERVICE, url=response.url)
        return data

    def experimental_properties(
        self, cid: int, headings: Sequence[str] = EXPERIMENTAL_HEADINGS, *, per_heading: bool = True
    ) -> list[ExperimentalValue]:
        """Experimental values of a CID under ``headings``.

        Args:
            cid: compound id.
            headings: PUG-View headings to read.
            per_heading: one small ``?heading=`` request per heading (default) instead of the
                full record, which is megabytes for common compounds.
        """
        if not per_heading:
            record = self.view_record(cid)
            return parse_experimental_properties(record, headings) if record else []
        values: list[ExperimentalValue] = []
        for heading in headings:
            record = self.view_record(cid, heading)
            if record:
                values.extend(parse_experimental_properties(record, [heading]))
        return values

    def literature_annotations(
        self, cid: int, headings: Sequence[str] = LITERATURE_REQUEST_HEADINGS
    ) -> list[LiteratureAnnotation]:
        """Literature and bioactivity annotations of a CID (one ``?heading=`` request per heading).

        A heading the record does not have (PUG-View's 404) contributes nothing.
        """
        annotations: list[LiteratureAnnotation] = []
        for heading in headings:
            record = self.view_record(cid, heading)
            if record:
                annotations.extend(parse_literature_annotations(record))
        return annotations
