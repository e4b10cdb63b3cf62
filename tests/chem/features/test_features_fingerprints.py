"""Bulk fingerprints equal RDKit's one-molecule calls; packed layout; Tanimoto equals RDKit's."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors

from cryodesk.chem.features import compute_fingerprints, unpack_bits
from cryodesk.chem.features.fingerprints import as_words, bulk_tanimoto, pack_bitvects, popcounts


@pytest.fixture(scope="module")
def mols(tox21_smiles: list[str]) -> tuple[list[str], list[Chem.Mol]]:
    smiles = [s for s in tox21_smiles[:300] if Chem.MolFromSmiles(s) is not None]
    return smiles, [Chem.MolFromSmiles(s) for s in smiles]


GENERATORS = {
    "morgan2": lambda: rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048),
    "rdkit": lambda: rdFingerprintGenerator.GetRDKitFPGenerator(maxPath=7, fpSize=2048),
    "atompair": lambda: rdFingerprintGenerator.GetAtomPairGenerator(fpSize=2048),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_bit_fingerprints_equal_per_molecule_numpy(name: str, mols: tuple[list[str], list[Chem.Mol]]) -> None:
    smiles, molecules = mols
    generator = GENERATORS[name]()
    expected = np.stack([generator.GetFingerprintAsNumPy(m) for m in molecules]).astype(np.uint8)
    fp = compute_fingerprints(smiles, name)
    assert fp.data.shape == (len(smiles), 256) and not fp.counts
    np.testing.assert_array_equal(fp.to_dense(), expected)
    np.testing.assert_array_equal(fp.data, np.packbits(expected, axis=1, bitorder="little"))


def test_morgan_counts_equal_per_molecule_numpy(mols: tuple[list[str], list[Chem.Mol]]) -> None:
    smiles, molecules = mols
    generator = GENERATORS["morgan2"]()
    expected = np.stack([generator.GetCountFingerprintAsNumPy(m) for m in molecules])
    fp = compute_fingerprints(smiles, "morgan2_counts")
    assert fp.counts and fp.data.dtype == np.uint8 and fp.data.shape == (len(smiles), 2048)
    np.testing.assert_array_equal(fp.data, np.minimum(expected, 255))


def test_maccs_equals_rdkit(mols: tuple[list[str], list[Chem.Mol]]) -> None:
    smiles, molecules = mols
    fp = compute_fingerprints(smiles, "maccs")
    expected = np.array([list(rdMolDescriptors.GetMACCSKeysFingerprint(m)) for m in molecules], np.uint8)
    np.testing.assert_array_equal(unpack_bits(fp.data, 167), expected)


def test_failed_rows_are_zero_and_flagged() -> None:
    fp = compute_fingerprints(["CCO", "not a smiles", None], "morgan2")
    assert fp.valid.tolist() == [True, False, False]
    assert [i for i, _ in fp.failures] == [1, 2]
    assert not fp.data[1:].any()


def test_descriptor_set_is_not_a_fingerprint() -> None:
    with pytest.raises(ValueError, match="not a fingerprint"):
        compute_fingerprints(["CCO"], "default")


def test_bulk_tanimoto_equals_rdkit(mols: tuple[list[str], list[Chem.Mol]]) -> None:
    smiles, molecules = mols
    generator = GENERATORS["morgan2"]()
    rdkit_fps = [generator.GetFingerprint(m) for m in molecules]
    words = as_words(pack_bitvects(rdkit_fps, 2048))
    counts = popcounts(words)
    for q in (0, 7, 123):
        expected = np.array(DataStructs.BulkTanimotoSimilarity(rdkit_fps[q], rdkit_fps))
        np.testing.assert_array_equal(bulk_tanimoto(words[q], words, counts, block=64), expected)


def test_tanimoto_of_empty_fingerprints_is_zero() -> None:
    empty = as_words(np.zeros((2, 256), np.uint8))
    assert bulk_tanimoto(empty[0], empty).tolist() == [0.0, 0.0]
