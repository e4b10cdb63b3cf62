"""Molecular features: versioned descriptor sets, fingerprints, cryo descriptors, conformers + 3D.

Public entry points:

- :func:`featurize` - structures in, ``FeatureMatrix`` (float32 values, columns, set name, version,
  per-row failures) out; parallel through an executor, chunked, cancellable, with progress.
- :func:`compute_fingerprints` - packed fingerprints (``FingerprintMatrix``) for storage and search.
- :func:`get_feature_set` / :func:`available_feature_sets` / :func:`register_feature_set` - the
  registry of named, versioned sets: ``default``, ``rdkit2d_full``, ``cryo``, ``3d``, ``morgan2``,
  ``morgan2_counts``, ``rdkit``, ``atompair``, ``maccs``.
- :func:`embed_conformer` - the one ETKDG conformer function (fixed seed) shared with 3D views.
"""

from __future__ import annotations

from cryodesk.chem.features.batch import (
    CancelledError,
    ChunkExecutor,
    FeatureMatrix,
    FingerprintMatrix,
    compute_fingerprints,
    featurize,
)
from cryodesk.chem.features.conformers import DEFAULT_SEED, embed_conformer, shape_descriptors
from cryodesk.chem.features.cryo import CRYO_COLUMNS, cryo_descriptors
from cryodesk.chem.features.descriptors import DescriptorListMismatch, check_rdkit2d_full
from cryodesk.chem.features.fingerprints import FINGERPRINTS, FingerprintSpec, fingerprint_of, unpack_bits
from cryodesk.chem.features.parsing import Structure, parse_structure
from cryodesk.chem.features.sets import (
    FeatureSet,
    UnknownFeatureSet,
    available_feature_sets,
    get_feature_set,
    register_feature_set,
)

__all__ = [
    "CRYO_COLUMNS",
    "DEFAULT_SEED",
    "FINGERPRINTS",
    "CancelledError",
    "ChunkExecutor",
    "DescriptorListMismatch",
    "FeatureMatrix",
    "FeatureSet",
    "FingerprintMatrix",
    "FingerprintSpec",
    "Structure",
    "UnknownFeatureSet",
    "available_feature_sets",
    "check_rdkit2d_full",
    "compute_fingerprints",
    "cryo_descriptors",
    "embed_conformer",
    "featurize",
    "fingerprint_of",
    "get_feature_set",
    "parse_structure",
    "register_feature_set",
    "shape_descriptors",
    "unpack_bits",
]
