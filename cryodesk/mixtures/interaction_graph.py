"""Interaction graph of CPA components (networkx): who helps or hurts whom, and how sure we are.

Nodes are compounds keyed by standard InChIKey, with free-form JSON-safe properties. Edges are
undirected and typed; one pair may carry several edges (several interaction types, or the same type from
different sources/evidence), so the graph is a ``networkx.MultiGraph`` whose edge key is
``"<type>|<source>|<evidence>"``: adding an edge with the same key replaces it, which makes imports
idempotent.

Strength is a non-negative magnitude in the unit of its interaction type (Δlog10 η for viscosity excess,
K for a Tg deviation, fraction affected for toxicity synergy), so strengths are only ranked within one
type. Sign: +1 the mixture shows more of the property than the reference (higher viscosity, higher Tg,
more toxicity), -1 less, 0 no detectable interaction.

The graph is serialised to plain dicts (:meth:`InteractionGraph.to_dict`) so the store can persist it as
JSON without pickle.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import networkx as nx

SCHEMA_VERSION = 1
_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")


class InteractionType(StrEnum):
    """What an edge measures; strengths are in the unit noted."""

    VISCOSITY_EXCESS = "viscosity_excess"  # Δlog10(η / mPa·s) against the ideal (Grunberg–Nissan G12 = 0) mixture
    TG_DEVIATION = "tg_deviation"  # K, measured minus Gordon–Taylor/Fox expectation
    TOXICITY_SYNERGY = "toxicity_synergy"  # fraction affected, measured minus Bliss/Loewe expectation
    OTHER = "other"


class EdgeSource(StrEnum):
    """Where an edge comes from."""

    FITTED = "fitted"  # fitted from measured binary/mixture data
    LITERATURE = "literature"  # stated in a publication
    ESTIMATED = "estimated"  # a rule or a model, no direct measurement


@dataclass(frozen=True, slots=True)
class InteractionEdge:
    """One interaction between two compounds.

    Attributes:
        a, b: InChIKeys (stored in sorted order, so (a, b) and (b, a) are the same edge).
        interaction_type: what is measured.
        strength: magnitude >= 0 in the type's unit.
        sign: +1, -1 or 0 (see module docstring).
        source: fitted, literature or estimated.
        confidence: 0..1, how strongly the evidence shows a non-zero interaction of this sign; for fitted
            edges 1 − two-sided p of "excess = 0" (see :mod:`cryodesk.mixtures.synergy`), for literature or
            estimated edges a stated rule.
        evidence: reference (DOI, data-set row ids, job id) that lets a user check the number.
        value: the signed excess in ``units`` when known.
        units: unit of strength/value.
        reference_model: the additive expectation the excess is measured against (e.g. "bliss").
        note: free text.
    """

    a: str
    b: str
    interaction_type: InteractionType
    strength: float
    sign: int
    source: EdgeSource
    confidence: float
    evidence: str
    value: float | None = None
    units: str | None = None
    reference_model: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError("an interaction needs two different compounds")
        if self.a > self.b:  # canonical order for an undirected pair
            a, b = self.b, self.a
            object.__setattr__(self, "a", a)
            object.__setattr__(self, "b", b)
        object.__setattr__(self, "interaction_type", InteractionType(self.interaction_type))
        object.__setattr__(self, "source", EdgeSource(self.source))
        if self.sign not in (-1, 0, 1):
            raise ValueError(f"sign must be -1, 0 or +1, got {self.sign}")
        if not self.strength >= 0:
            raise ValueError(f"strength must be >= 0, got {self.strength}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    @property
    def key(self) -> str:
        return f"{self.interaction_type.value}|{self.source.value}|{self.evidence}"

    def partner_of(self, inchikey: str) -> str:
        return self.b if inchikey == self.a else self.a

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["interaction_type"] = self.interaction_type.value
        d["source"] = self.source.value
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InteractionEdge:
        return cls(**dict(d))


@dataclass(frozen=True, slots=True)
class Partner:
    """A compound's partner in a ranking, with the edge that placed it there."""

    inchikey: str
    edge: InteractionEdge


class InteractionGraph:
    """Typed, sourced interactions between compounds.

    Args:
        validate_keys: refuse node keys that are not InChIKey-shaped (on by default, since identity
            everywhere is the InChIKey; tests or scratch graphs may turn it off).
    """

    def __init__(self, *, validate_keys: bool = True) -> None:
        self._g: nx.MultiGraph = nx.MultiGraph()
        self.validate_keys = validate_keys

    # -- building -----------------------------------------------------------------------------------

    def _check(self, inchikey: str) -> None:
        if self.validate_keys and not _INCHIKEY.match(inchikey):
            raise ValueError(f"{inchikey!r} is not a standard InChIKey")

    def add_compound(self, inchikey: str, **properties: Any) -> None:
        """Add a compound (or merge properties into an existing one). Properties must be JSON-safe."""
        self._check(inchikey)
        if inchikey in self._g:
            self._g.nodes[inchikey].update(properties)
        else:
            self._g.add_node(inchikey, **properties)

    def add_interaction(self, edge: InteractionEdge) -> InteractionEdge:
        """Add an edge (nodes are created if absent); an edge with the same key is replaced."""
        for k in (edge.a, edge.b):
            if k not in self._g:
                self.add_compound(k)
        self._g.add_edge(edge.a, edge.b, key=edge.key, edge=edge)
        return edge

    def remove_interaction(self, edge: InteractionEdge) -> None:
        self._g.remove_edge(edge.a, edge.b, key=edge.key)

    # -- reading --------------------------------------------------------------------------------------

    @property
    def compounds(self) -> list[str]:
        return sorted(self._g.nodes)

    def properties(self, inchikey: str) -> dict[str, Any]:
        return dict(self._g.nodes[inchikey])

    def edges(self, interaction_type: InteractionType | str | None = None) -> list[InteractionEdge]:
        """All edges (optionally of one type), sorted by pair then key."""
        out = [d["edge"] for _, _, d in self._g.edges(data=True)]
        if interaction_type is not None:
            t = InteractionType(interaction_type)
            out = [e for e in out if e.interaction_type is t]
        return sorted(out, key=lambda e: (e.a, e.b, e.key))

    def interactions(self, a: str, b: str, interaction_type: InteractionType | str | None = None) -> list[InteractionEdge]:
        """Edges between two compounds (optionally of one type)."""
        if not self._g.has_edge(a, b):
            return []
        out = [d["edge"] for d in self._g.get_edge_data(a, b).values()]
        if interaction_type is not None:
            t = InteractionType(interaction_type)
            out = [e for e in out if e.interaction_type is t]
        return sorted(out, key=lambda e: e.key)

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    @property
    def number_of_edges(self) -> int:
        return self._g.number_of_edges()

    def to_networkx(self) -> nx.MultiGraph:
        """A copy of the underlying networkx graph (edge attribute ``edge`` holds the record)."""
        return self._g.copy()

    # -- queries -----------------------------------------------------------------------------------

    def mixture_subgraph(self, inchikeys: Iterable[str]) -> InteractionGraph:
        """The graph restricted to a mixture's compounds (keys not in the graph are left out)."""
        keep = [k for k in dict.fromkeys(inchikeys) if k in self._g]
        sub = InteractionGraph(validate_keys=self.validate_keys)
        sub._g = self._g.subgraph(keep).copy()
        return sub

    def strongest_partners(
        self,
        inchikey: str,
        interaction_type: InteractionType | str,
        *,
        n: int = 5,
        min_confidence: float = 0.0,
        sign: int | None = None,
        sources: Iterable[EdgeSource | str] | None = None,
    ) -> list[Partner]:
        """Partners of a compound ranked by strength (then confidence), one entry per partner.

        The type is required because strengths of different types are in different units.
        """
        t = InteractionType(interaction_type)
        allowed = {EdgeSource(s) for s in sources} if sources is not None else None
        if inchikey not in self._g:
            return []
        best: dict[str, InteractionEdge] = {}
        for _, other, d in self._g.edges(inchikey, data=True):
            e: InteractionEdge = d["edge"]
            if e.interaction_type is not t or e.confidence < min_confidence:
                continue
            if (sign is not None and e.sign != sign) or (allowed is not None and e.source not in allowed):
                continue
            cur = best.get(other)
            if cur is None or (e.strength, e.confidence) > (cur.strength, cur.confidence):
                best[other] = e
        ranked = sorted(best.items(), key=lambda kv: (-kv[1].strength, -kv[1].confidence, kv[0]))
        return [Partner(k, e) for k, e in ranked[:n]]

    def unexplored_pairs(
        self,
        candidates: Iterable[str],
        interaction_type: InteractionType | str | None = None,
        *,
        count_estimated: bool = False,
    ) -> list[tuple[str, str]]:
        """Pairs among ``candidates`` with no evidence yet (sorted).

        A pair counts as explored when it has a fitted or literature edge (of ``interaction_type`` if
        given). Estimated edges are not evidence, so they do not count unless ``count_estimated``.
        """
        t = InteractionType(interaction_type) if interaction_type is not None else None
        keys = sorted(dict.fromkeys(candidates))
        out = []
        for a, b in itertools.combinations(keys, 2):
            edges = [
                e for e in self.interactions(a, b, t)
                if count_estimated or e.source is not EdgeSource.ESTIMATED
            ]
            if not edges:
                out.append((a, b))
        return out

    def edge_counts_by_source(self) -> dict[str, int]:
        return dict(sorted(Counter(e.source.value for e in self.edges()).items()))

    def edge_counts_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(e.interaction_type.value for e in self.edges()).items()))

    # -- serialisation -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict: ``{"schema_version", "nodes": [...], "edges": [...]}``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "nodes": [{"inchikey": k, "properties": dict(self._g.nodes[k])} for k in self.compounds],
            "edges": [e.to_dict() for e in self.edges()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, validate_keys: bool = True) -> InteractionGraph:
        """Rebuild a graph written by :meth:`to_dict`."""
        version = int(data.get("schema_version", 0))
        if version != SCHEMA_VERSION:
            raise ValueError(f"interaction graph schema {version} is not supported (expected {SCHEMA_VERSION})")
        g = cls(validate_keys=validate_keys)
        for node in data.get("nodes", []):
            g.add_compound(node["inchikey"], **node.get("properties", {}))
        for e in data.get("edges", []):
            g.add_interaction(InteractionEdge.from_dict(e))
        return g
