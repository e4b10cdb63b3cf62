"""3D scenes: a molecule from the shared ETKDG function, a crystal from a real COD CIF (issue 13)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from cryodesk.domain import InputError
from cryodesk.engine.structure3d import crystal_scene, crystal_scene_from_file, molecule_scene
from tests.conftest import FIXTURES

COD_CIF = FIXTURES / "cod" / "2000056.cif"


def _formula_counts(formula: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for token in formula.split():
        element = token.rstrip("0123456789.")
        counts[element] += int(token[len(element) :] or 1)
    return counts


def _distance(scene, bond) -> float:
    a, b = scene.atoms[bond.begin].xyz, scene.atoms[bond.end].xyz
    return math.dist(a, b)


def test_crystal_unit_cell_holds_z_formula_units_with_twelve_edges() -> None:
    from cryodesk.sources.cif import read_cif

    record = read_cif(COD_CIF)[0]
    scene = crystal_scene_from_file(COD_CIF)
    # The CIF lists 30 sites, 7 of them symmetry copies (C1B* ...); P2_1/c has 4 operators. The cell
    # must hold exactly Z formula units: every element count is Z times the formula's.
    expected = Counter({el: int(n * record.z) for el, n in _formula_counts(record.formula).items()})
    assert Counter(a.element for a in scene.atoms) == expected
    assert len(scene.atoms) == 92
    assert scene.kind == "crystal" and len(scene.cell_edges) == 12
    lengths = sorted(math.dist(p, q) for p, q in scene.cell_edges)
    for group, axis in zip(
        (lengths[0:4], lengths[4:8], lengths[8:12]), sorted((record.a, record.b, record.c)), strict=True
    ):
        assert group == pytest.approx([axis] * 4, abs=1e-3)
    # No two atoms coincide (the merged symmetry copies) and covalent P-O bonds have their real length.
    xyz = np.asarray([a.xyz for a in scene.atoms])
    gaps = np.linalg.norm(xyz[:, None] - xyz[None], axis=2) + np.eye(len(xyz)) * 99
    assert gaps.min() > 0.7
    p_o = [
        _distance(scene, b)
        for b in scene.bonds
        if {scene.atoms[b.begin].element, scene.atoms[b.end].element} == {"P", "O"}
    ]
    # Four phosphates with four P-O each; in a single cell the bonds that cross a face are not drawn.
    assert 8 <= len(p_o) <= 16
    assert all(1.45 < d < 1.65 for d in p_o)


def test_neighbouring_cells_multiply_atoms_and_add_face_crossing_bonds() -> None:
    one = crystal_scene_from_file(COD_CIF)
    block = crystal_scene_from_file(COD_CIF, neighbours=True)
    assert len(block.atoms) == 27 * len(one.atoms)
    assert len(block.cell_edges) == 12
    # Bonds that cross a cell face exist only between cells: more than 27x the single cell's bonds.
    assert len(block.bonds) > 27 * len(one.bonds)
    # In the middle cell (shift (0, 0, 0) is the 14th of the 27 blocks) every phosphorus has all
    # four of its oxygens.
    n = len(one.atoms)
    middle = range(13 * n, 14 * n)
    p_atoms = [i for i in middle if block.atoms[i].element == "P"]
    oxygens = Counter(
        i
        for b in block.bonds
        for i, j in ((b.begin, b.end), (b.end, b.begin))
        if i in p_atoms and block.atoms[j].element == "O"
    )
    assert len(p_atoms) == 4 and all(oxygens[i] == 4 for i in p_atoms)


def test_bad_cifs_are_refused_with_a_reason() -> None:
    with pytest.raises(InputError, match="no data block with a unit cell and atom sites"):
        crystal_scene("data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n", "cell-only.cif")
    with pytest.raises(InputError, match="malformed CIF"):
        crystal_scene("data_x\nloop_\n_a\n'unterminated\n", "broken.cif")
    with pytest.raises(InputError, match="no such CIF file"):
        crystal_scene_from_file(COD_CIF.with_name("missing.cif"))


def test_molecule_scene_is_the_shared_etkdg_conformer() -> None:
    from rdkit import Chem

    from cryodesk.chem.features.conformers import embed_conformer

    scene = molecule_scene("OCC(O)CO", title="Glycerol")
    assert (len(scene.atoms), len(scene.bonds)) == (14, 13)  # C3H8O3 with its hydrogens
    reference = embed_conformer(Chem.MolFromSmiles("OCC(O)CO"))
    positions = reference.GetConformer().GetPositions()
    assert np.allclose([a.xyz for a in scene.atoms], positions)  # same function, same fixed seed
    again = molecule_scene("OCC(O)CO")
    assert [a.xyz for a in again.atoms] == [a.xyz for a in scene.atoms]
    c_o = [
        _distance(scene, b)
        for b in scene.bonds
        if {scene.atoms[b.begin].element, scene.atoms[b.end].element} == {"C", "O"}
    ]
    assert len(c_o) == 3 and all(1.38 < d < 1.47 for d in c_o)


def test_molecule_scene_options_and_errors() -> None:
    heavy = molecule_scene("c1ccccc1O", hydrogens=False)
    assert Counter(a.element for a in heavy.atoms) == Counter({"C": 6, "O": 1})
    assert sorted(b.order for b in heavy.bonds) == [1.0] + [1.5] * 6
    raw = molecule_scene("OCC(O)CO", optimize=False)
    relaxed = molecule_scene("OCC(O)CO")
    assert "not optimised" in raw.notes[0] and "MMFF94" in relaxed.notes[0]
    assert not np.allclose([a.xyz for a in raw.atoms], [a.xyz for a in relaxed.atoms])
    with pytest.raises(InputError, match="cannot build a 3D structure"):
        molecule_scene("C1CC(")


def test_workbench_scene_of_a_stored_compound(project) -> None:
    from cryodesk.chem import compound_from_text
    from cryodesk.engine.service import Workbench

    compound = compound_from_text("CS(C)=O", name="Dimethyl sulfoxide").compound
    project.compounds.upsert_many([compound])
    scene = Workbench(project).molecule_scene(compound.inchikey)
    assert scene.title == "Dimethyl sulfoxide"
    assert Counter(a.element for a in scene.atoms) == Counter({"H": 6, "C": 2, "S": 1, "O": 1})


def test_cod_entry_scene_through_the_replay_server(project, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryodesk.engine.service import Workbench
    from tests.replay import ReplayServer

    with ReplayServer() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        scene = Workbench(project).crystal_scene(cod_id="2000056")
        assert (
            scene.title.startswith("COD 2000056") and len(scene.atoms) == 92 and len(scene.cell_edges) == 12
        )
        with pytest.raises(InputError, match="COD has no entry 1234567"):
            Workbench(project).crystal_scene(cod_id="1234567")
        with pytest.raises(InputError, match="not a COD id"):
            Workbench(project).crystal_scene(cod_id="12ab")
