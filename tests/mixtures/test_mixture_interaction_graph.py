"""Interaction graph: building, queries and plain-dict serialisation."""

from __future__ import annotations

import json

import pytest

from cryodesk.mixtures.interaction_graph import (
    EdgeSource,
    InteractionEdge,
    InteractionGraph,
    InteractionType,
)

# InChIKeys computed with RDKit from the SMILES of each compound
DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
EG = "LYCAIKOWRPUZTN-UHFFFAOYSA-N"
PG = "DNIAPMSPPWPWGF-UHFFFAOYSA-N"
FA = "ZHNUHDYFZUAESO-UHFFFAOYSA-N"
GLY = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
WATER = "XLYOFNOQVPJJNP-UHFFFAOYSA-N"
V, T, X = InteractionType.VISCOSITY_EXCESS, InteractionType.TG_DEVIATION, InteractionType.TOXICITY_SYNERGY


def edge(a: str, b: str, t: InteractionType, strength: float, sign: int = 1,
         source: EdgeSource = EdgeSource.FITTED, confidence: float = 0.9, evidence: str = "test") -> InteractionEdge:
    return InteractionEdge(a, b, t, strength, sign, source, confidence, evidence)


@pytest.fixture
def graph() -> InteractionGraph:
    g = InteractionGraph()
    g.add_compound(DMSO, name="DMSO", tg_K=None)
    g.add_compound(WATER, name="water", tg_K=136.0)
    g.add_interaction(edge(DMSO, WATER, V, 0.35, evidence="viscosity set rows 1-12"))
    g.add_interaction(edge(DMSO, FA, X, 0.12, sign=-1, evidence="doi:10.1016/j.cryobiol.2004.01.001"))
    g.add_interaction(edge(DMSO, EG, V, 0.05, confidence=0.6))
    g.add_interaction(edge(DMSO, PG, V, 0.20, confidence=0.99))
    g.add_interaction(edge(DMSO, GLY, V, 0.50, source=EdgeSource.ESTIMATED, confidence=0.3, evidence="rule"))
    g.add_interaction(edge(EG, PG, T, 4.0, source=EdgeSource.LITERATURE, evidence="paper"))
    return g


def test_pair_order_and_idempotent_upsert(graph: InteractionGraph) -> None:
    n = graph.number_of_edges
    again = graph.add_interaction(edge(WATER, DMSO, V, 0.40, evidence="viscosity set rows 1-12"))
    assert (again.a, again.b) == tuple(sorted((WATER, DMSO)))
    assert graph.number_of_edges == n  # same key -> replaced, not duplicated
    assert [e.strength for e in graph.interactions(DMSO, WATER)] == [0.40]
    # a different type on the same pair is a second edge
    graph.add_interaction(edge(DMSO, WATER, T, 3.0))
    assert len(graph.interactions(WATER, DMSO)) == 2
    assert len(graph.interactions(WATER, DMSO, "tg_deviation")) == 1


def test_node_properties_and_auto_nodes(graph: InteractionGraph) -> None:
    assert graph.properties(WATER) == {"name": "water", "tg_K": 136.0}
    assert FA in graph.compounds  # created by its edge
    graph.add_compound(FA, name="formamide")
    assert graph.properties(FA)["name"] == "formamide"


def test_mixture_subgraph(graph: InteractionGraph) -> None:
    sub = graph.mixture_subgraph([DMSO, FA, PG, "NOTINGRAPHXXXX-YYYYYYYYYY-Z"])
    assert sub.compounds == sorted([DMSO, FA, PG])
    assert {(e.a, e.b) for e in sub.edges()} == {tuple(sorted((DMSO, FA))), tuple(sorted((DMSO, PG)))}
    assert graph.number_of_edges == 6  # the original is untouched


def test_strongest_partners(graph: InteractionGraph) -> None:
    ranked = graph.strongest_partners(DMSO, V)
    # GLY 0.50 (estimated), WATER 0.35, PG 0.20, EG 0.05
    assert [p.inchikey for p in ranked] == [GLY, WATER, PG, EG]
    assert [p.inchikey for p in graph.strongest_partners(DMSO, V, n=2)] == [GLY, WATER]
    assert [p.inchikey for p in graph.strongest_partners(DMSO, V, min_confidence=0.8)] == [WATER, PG]
    assert [p.inchikey for p in graph.strongest_partners(DMSO, V, sources=["fitted"])] == [WATER, PG, EG]
    assert [p.inchikey for p in graph.strongest_partners(DMSO, X, sign=-1)] == [FA]
    assert graph.strongest_partners("ABSENTABSENTAB-CDEFGHIJKL-M", V) == []


def test_unexplored_pairs(graph: InteractionGraph) -> None:
    cands = [DMSO, EG, PG, GLY]
    # explored by fitted/literature edges: DMSO-EG, DMSO-PG, EG-PG; DMSO-GLY only estimated
    expected = sorted([tuple(sorted(p)) for p in [(DMSO, GLY), (EG, GLY), (PG, GLY)]])
    assert graph.unexplored_pairs(cands) == expected
    assert tuple(sorted((DMSO, GLY))) not in graph.unexplored_pairs(cands, count_estimated=True)
    # restricted to Tg data, only EG-PG is explored
    assert len(graph.unexplored_pairs(cands, T)) == 5


def test_counts(graph: InteractionGraph) -> None:
    assert graph.edge_counts_by_source() == {"estimated": 1, "fitted": 4, "literature": 1}
    assert graph.edge_counts_by_type() == {"tg_deviation": 1, "toxicity_synergy": 1, "viscosity_excess": 4}


def test_round_trip_through_json(graph: InteractionGraph) -> None:
    data = json.loads(json.dumps(graph.to_dict()))
    again = InteractionGraph.from_dict(data)
    assert again.to_dict() == graph.to_dict()
    assert again.edges()[0] == graph.edges()[0]
    with pytest.raises(ValueError, match="schema"):
        InteractionGraph.from_dict({**data, "schema_version": 99})


def test_validation() -> None:
    g = InteractionGraph()
    with pytest.raises(ValueError, match="InChIKey"):
        g.add_compound("DMSO")
    with pytest.raises(ValueError):
        edge(DMSO, DMSO, V, 0.1)
    with pytest.raises(ValueError):
        edge(DMSO, EG, V, -0.1)
    with pytest.raises(ValueError):
        edge(DMSO, EG, V, 0.1, confidence=1.5)
    with pytest.raises(ValueError):
        InteractionEdge(DMSO, EG, V, 0.1, 2, EdgeSource.FITTED, 0.5, "x")
    loose = InteractionGraph(validate_keys=False)
    loose.add_compound("scratch")
    assert loose.compounds == ["scratch"]
