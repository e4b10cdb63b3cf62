"""The feature-set registry: every set has a name, a version and a fixed, ordered column list.

The version string is stored with every cached feature row and every trained model. It combines the
set's own schema number (bumped by hand when its definition changes: a SMARTS fix, a new column) with
the RDKit version, because an RDKit upgrade can change descriptor values even when our code does not;
either change invalidates cached rows instead of mixing old and new numbers in one matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import numpy as np
from rdkit import Chem, rdBase

from cryodesk.chem.features import conformers, cryo, descriptors, fingerprints

__all__ = [
    "ComputeFn",
    "FeatureSet",
    "UnknownFeatureSet",
    "available_feature_sets",
    "get_feature_set",
    "register_feature_set",
]

#: ``compute(mols, num_threads) -> (matrix [len(mols), d], [(local_row, reason), ...])``. Must be a
#: top-level function (or a ``functools.partial`` of one) so worker processes can unpickle it.
ComputeFn = Callable[[Sequence[Chem.Mol], int], tuple[np.ndarray, list[tuple[int, str]]]]


class UnknownFeatureSet(KeyError):
    """No feature set of that name is registered."""


@dataclass(frozen=True)
class FeatureSet:
    """A named, versioned way of turning molecules into a fixed matrix.

    Attributes:
        name: registry key, e.g. ``"default"`` or ``"morgan2"``.
        schema_version: bumped by hand whenever the definition changes.
        columns: ordered column names; the compute function returns exactly these columns.
        compute: see :data:`ComputeFn`.
        kind: ``"descriptors"`` (float values) or ``"fingerprint"`` (uint8 packed bits / counts).
        description: one line for the UI and the CLI's ``--list``.
        fingerprint: the fingerprint spec for fingerprint sets.
        check: raises if this process cannot compute the set faithfully (frozen-app self-test).
        ms_per_molecule: rough single-core cost including parsing (measured on Tox21); sizes chunks
            so each takes about a second, which keeps progress and cancellation responsive.
    """

    name: str
    schema_version: int
    columns: tuple[str, ...]
    compute: ComputeFn
    kind: Literal["descriptors", "fingerprint"] = "descriptors"
    description: str = ""
    fingerprint: fingerprints.FingerprintSpec | None = None
    check: Callable[[], None] | None = field(default=None, repr=False)
    ms_per_molecule: float = 1.0

    @property
    def version(self) -> str:
        """``"<schema>+rdkit<version>"``, e.g. ``"1+rdkit2026.09.1"``."""
        return f"{self.schema_version}+rdkit{rdBase.rdkitVersion}"

    @property
    def expensive(self) -> bool:
        """True for sets worth a confirmation or a process pool even on small inputs (3D)."""
        return self.ms_per_molecule >= 20

    @property
    def width(self) -> int:
        """Number of columns of the float matrix (bits for fingerprints)."""
        return len(self.columns)


def _fingerprint_set(spec: fingerprints.FingerprintSpec) -> FeatureSet:
    digits = len(str(spec.n_bits - 1))
    return FeatureSet(
        name=spec.name,
        schema_version=1,
        columns=tuple(f"{spec.name}_{i:0{digits}d}" for i in range(spec.n_bits)),
        compute=partial(fingerprints.compute_fingerprint_block, spec.name),
        kind="fingerprint",
        description=spec.description,
        fingerprint=spec,
        ms_per_molecule=0.3 if spec.kind in ("rdkit", "maccs") else 0.15,
    )


_REGISTRY: dict[str, FeatureSet] = {}


def register_feature_set(feature_set: FeatureSet, *, replace: bool = False) -> None:
    """Add a feature set. Its compute function must be importable in worker processes."""
    if feature_set.name in _REGISTRY and not replace:
        raise ValueError(f"feature set {feature_set.name!r} is already registered")
    _REGISTRY[feature_set.name] = feature_set


def get_feature_set(name: str) -> FeatureSet:
    """Look a feature set up by name.

    Raises:
        UnknownFeatureSet: with the list of known names.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownFeatureSet(f"unknown feature set {name!r}; known: {sorted(_REGISTRY)}") from None


def available_feature_sets() -> list[FeatureSet]:
    """All registered sets in registration order."""
    return list(_REGISTRY.values())


def _register_builtins() -> None:
    register_feature_set(
        FeatureSet(
            "default",
            1,
            descriptors.DEFAULT_COLUMNS,
            descriptors.compute_default,
            description="fast C++ descriptors (rdMolDescriptors.Properties + carbocycle counts, charge)",
            ms_per_molecule=1.5,
        )
    )
    register_feature_set(
        FeatureSet(
            "rdkit2d_full",
            1,
            descriptors.RDKIT2D_FULL_COLUMNS,
            descriptors.compute_rdkit2d_full,
            description=f"the full RDKit 2D descriptor list ({descriptors.RDKIT2D_FULL_COUNT})",
            check=descriptors.check_rdkit2d_full,
            ms_per_molecule=12.0,
        )
    )
    register_feature_set(
        FeatureSet(
            "cryo",
            1,
            cryo.CRYO_COLUMNS,
            cryo.compute_cryo,
            description="cryoprotection-relevant groups, H-bond balance and hydration proxies",
            ms_per_molecule=0.5,
        )
    )
    for spec in fingerprints.FINGERPRINTS.values():
        register_feature_set(_fingerprint_set(spec))
    register_feature_set(
        FeatureSet(
            "3d",
            1,
            conformers.THREE_D_COLUMNS,
            conformers.compute_3d,
            description=f"shape and SASA from one ETKDGv3 conformer (seed {conformers.DEFAULT_SEED})",
            ms_per_molecule=40.0,
        )
    )


_register_builtins()
