"""Permutation-invariant mixture features: weighted means, spreads and graph pair terms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cryodesk.mixtures.featurize import (
    COMPONENT_DESCRIPTORS,
    VISCOSITY_DESCRIPTORS,
    MixtureFeaturizer,
    component_descriptors,
)
from cryodesk.mixtures.interaction_graph import EdgeSource, InteractionEdge, InteractionGraph, InteractionType

A, B, C, D = (
    "AAAAAAAAAAAAAA-AAAAAAAAAA-N",
    "BBBBBBBBBBBBBB-BBBBBBBBBB-N",
    "CCCCCCCCCCCCCC-CCCCCCCCCC-N",
    "DDDDDDDDDDDDDD-DDDDDDDDDD-N",
)
TABLE = {A: np.array([1.0, 10.0]), B: np.array([3.0, 30.0]), C: np.array([5.0, np.nan])}


def edge(a: str, b: str, value: float) -> InteractionEdge:
    return InteractionEdge(
        a,
        b,
        InteractionType.VISCOSITY_EXCESS,
        abs(value),
        int(np.sign(value)),
        EdgeSource.FITTED,
        0.9,
        f"test {a[0]}{b[0]}",
        value=value,
    )


def graph() -> InteractionGraph:
    g = InteractionGraph()
    for a, b, v in ((A, B, 0.4), (A, C, -0.2), (B, C, 0.6), (C, D, 1.0)):
        g.add_interaction(edge(a, b, v))
    return g


def test_weighted_mean_and_spread_hand_checked() -> None:
    f = MixtureFeaturizer(TABLE, ("f1", "f2"))
    row = dict(zip(f.feature_names, f.row([(A, 0.25), (B, 0.75)]), strict=True))
    assert row["mean:f1"] == pytest.approx(0.25 * 1 + 0.75 * 3)
    # binary spread = sqrt(x1 x2) |f1 - f2|
    assert row["spread:f1"] == pytest.approx(np.sqrt(0.25 * 0.75) * 2.0)
    assert row["n_components"] == 2 and row["known_fraction"] == 1.0
    # unnormalised weights (molarities) give the same composition-weighted features
    assert np.allclose(f.row([(A, 1.0), (B, 3.0)]), f.row([(A, 0.25), (B, 0.75)]))


def test_missing_component_values_are_averaged_over_the_known_ones() -> None:
    f = MixtureFeaturizer(TABLE, ("f1", "f2"))
    row = dict(
        zip(f.feature_names, f.row([(A, 0.5), (C, 0.5), ("ZZZZZZZZZZZZZZ-ZZZZZZZZZZ-N", 1.0)]), strict=True)
    )
    assert row["mean:f1"] == pytest.approx(3.0) and row["mean:f2"] == pytest.approx(10.0)
    assert row["known_fraction"] == pytest.approx(0.5)


def test_every_feature_is_invariant_to_component_order() -> None:
    f = MixtureFeaturizer(TABLE, ("f1", "f2"), graph(), own_edge=True)
    mix = [(A, 0.2), (B, 0.5), (C, 0.3)]
    rows = [f.row(list(p)) for p in itertools.permutations(mix)]
    for r in rows[1:]:
        assert np.array_equal(r, rows[0], equal_nan=True)
    # listing a compound twice is the same as listing it once with the summed amount
    assert np.allclose(f.row([(A, 0.1), (B, 0.5), (A, 0.1), (C, 0.3)]), rows[0], equal_nan=True)


def test_pair_terms_leave_the_own_edge_out_of_node_means() -> None:
    f = MixtureFeaturizer(TABLE, ("f1", "f2"), graph(), own_edge=True)
    row = dict(zip(f.feature_names, f.row([(A, 0.5), (B, 0.5)]), strict=True))
    # A's other edges: A-C (-0.2); B's other edges: B-C (+0.6) -> pair mean 0.2, weighted by x_A x_B = 0.25
    assert row["pair:node_mean"] == pytest.approx(0.25 * 0.2)
    assert row["pair:node_edges"] == pytest.approx(0.25 * 2)
    assert row["pair:edge"] == pytest.approx(0.25 * 0.4)
    # an unexplored pair gets the node means but no own edge
    row = dict(zip(f.feature_names, f.row([(A, 0.5), (D, 0.5)]), strict=True))
    assert row["pair:node_mean"] == pytest.approx(0.25 * np.mean([(0.4 - 0.2) / 2, 1.0]))
    assert np.isnan(row["pair:edge"])
    no_graph = MixtureFeaturizer(TABLE, ("f1", "f2"))
    assert not any(n.startswith("pair:") for n in no_graph.feature_names)


def test_bad_weights_are_refused_with_the_component_named() -> None:
    f = MixtureFeaturizer(TABLE, ("f1", "f2"))
    with pytest.raises(ValueError, match="AAAA.*finite number >= 0"):
        f.row([(A, -1.0)])
    assert np.isnan(f.row([])).all()


def test_component_descriptors_from_smiles() -> None:
    table, problems = component_descriptors({"gly": "OCC(O)CO", "bad": "C1CC(", "water": "O"})
    assert set(table) == {"gly", "water"} and "bad" in problems
    amw = COMPONENT_DESCRIPTORS.index("amw")
    assert table["gly"][amw] == pytest.approx(92.09, abs=0.01) and table["water"][amw] == pytest.approx(
        18.015, abs=0.01
    )
    assert table["gly"][COMPONENT_DESCRIPTORS.index("NumHBD")] == 3


def test_viscosity_descriptors_add_functional_groups_and_keep_the_compact_set() -> None:
    smiles = {"eg": "OCCO", "mea": "NCCO", "dioxane": "C1COCCO1", "bad": "C1CC("}
    compact, _ = component_descriptors(smiles)
    table, problems = component_descriptors(smiles, VISCOSITY_DESCRIPTORS)
    assert set(table) == {"eg", "mea", "dioxane"} and "parse" in problems["bad"]
    width = len(COMPONENT_DESCRIPTORS)
    for key in table:  # the compact set leads, unchanged, so both models read the same numbers
        np.testing.assert_array_equal(table[key][:width], compact[key])
    col = {name: i for i, name in enumerate(VISCOSITY_DESCRIPTORS)}
    assert table["eg"][col["n_vicinal_diol"]] >= 1 and table["eg"][col["n_hydroxyl"]] == 2
    assert table["mea"][col["n_amine"]] == 1 and table["eg"][col["n_amine"]] == 0
    assert table["dioxane"][col["n_ether"]] == 2 and table["dioxane"][col["n_hydroxyl"]] == 0


def test_unknown_descriptor_name_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="no_such_descriptor"):
        component_descriptors({"eg": "OCCO"}, ("amw", "no_such_descriptor"))
