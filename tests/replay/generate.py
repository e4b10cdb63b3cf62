"""Format-faithful generated replies for ids that no fixture covers.

Values are computed deterministically (RDKit where chemistry is involved) from real structures in
the MoleculeNet Tox21 table, and shaped like the recorded fixtures: the same keys, the same JSON
types (``MolecularWeight`` and ``ExactMass`` as strings, counts as integers, ChEMBL decimals as
strings). ``tests/sources/test_replay_generated.py`` checks that against the fixtures.
"""

from __future__ import annotations

import base64
import copy
import csv
import hashlib
import threading
from functools import cache
from typing import Any

from tests.replay.paths import tox21_csv
from tests.replay.recorded import (
    CHEMBL_RECORDED_MOLECULES,
    aspirin_synonyms,
    fixture_json,
    recorded_property_rows,
)

#: CIDs from here up do not exist (lets tests ask for missing records).
MISSING_CID_FLOOR = 900_000_000
#: ChEMBL numbers from here up do not exist (the recorded 404 is CHEMBL12345678).
MISSING_CHEMBL_FLOOR = 10_000_000

LEGACY_TO_NEW = {"CanonicalSMILES": "ConnectivitySMILES", "IsomericSMILES": "SMILES"}
NEW_TO_LEGACY = {v: k for k, v in LEGACY_TO_NEW.items()}

#: Property keys in reply order (legacy SMILES names), as in the recorded all-properties reply.
PROPERTY_ORDER = [
    "MolecularFormula",
    "MolecularWeight",
    "CanonicalSMILES",
    "IsomericSMILES",
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
    "IsotopeAtomCount",
    "AtomStereoCount",
    "DefinedAtomStereoCount",
    "UndefinedAtomStereoCount",
    "BondStereoCount",
    "DefinedBondStereoCount",
    "UndefinedBondStereoCount",
    "CovalentUnitCount",
    "Volume3D",
    "XStericQuadrupole3D",
    "YStericQuadrupole3D",
    "ZStericQuadrupole3D",
    "FeatureCount3D",
    "FeatureAcceptorCount3D",
    "FeatureDonorCount3D",
    "FeatureAnionCount3D",
    "FeatureCationCount3D",
    "FeatureRingCount3D",
    "FeatureHydrophobeCount3D",
    "ConformerModelRMSD3D",
    "EffectiveRotorCount3D",
    "ConformerCount3D",
    "Fingerprint2D",
]
THREE_D = {p for p in PROPERTY_ORDER if p.endswith("3D")}
KNOWN_PROPERTIES = set(PROPERTY_ORDER) | set(LEGACY_TO_NEW.values())

#: Structures of the CIDs the fixtures talk about, so generated replies for them are chemically right.
KNOWN_CID_SMILES = {
    174: "C(CO)O",
    176: "CC(=O)O",
    679: "CS(=O)C",
    753: "C(C(CO)O)O",
    2244: "CC(=O)OC1=CC=CC=C1C(=O)O",
    5564: "C1=CC(=C(C=C1Cl)O)OC2=C(C=C(C=C2)Cl)Cl",
}
KNOWN_NAMES = {
    "aspirin": 2244,
    "acetylsalicylic acid": 2244,
    "ethylene glycol": 174,
    "acetic acid": 176,
    "triclosan": 5564,
    "glycerol": 753,
    "glycerin": 753,
    "dimethyl sulfoxide": 679,
    "dmso": 679,
}


def _rdkit() -> Any:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return Chem


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    return int.from_bytes(_digest(*parts)[:8], "big") / 2**64


def _number(value: float, digits: int) -> int | float:
    """Round like PubChem's JSON: integral values come out as integers (``"XLogP": 5``)."""
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) else rounded


def _decimal_text(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


# -- structures ------------------------------------------------------------------------------
_BUILD_LOCK = threading.Lock()  # server threads must not build the same table concurrently
_BUILD_LOCK_INDEX = threading.Lock()


@cache
def _tox21_rows() -> tuple[str, ...]:
    with tox21_csv().open(newline="", encoding="utf-8") as handle:
        return tuple(row["smiles"] for row in csv.DictReader(handle))


def tox21_smiles() -> tuple[str, ...]:
    """The SMILES column of the Tox21 table, in file order (read once)."""
    with _BUILD_LOCK:
        return _tox21_rows()


@cache
def _parses(smiles: str) -> bool:
    return _rdkit().MolFromSmiles(smiles) is not None


def smiles_for_cid(cid: int) -> str | None:
    """The structure behind a CID: known ones first, else a Tox21 row; None if the CID is 'missing'."""
    if cid <= 0 or cid >= MISSING_CID_FLOOR:
        return None
    if cid in KNOWN_CID_SMILES:
        return KNOWN_CID_SMILES[cid]
    return _table_smiles(cid - 1)


def _table_smiles(index: int) -> str:
    """Row ``index`` (modulo the table), skipping forward over the few rows RDKit cannot read."""
    table = tox21_smiles()
    for step in range(len(table)):
        smiles = table[(index + step) % len(table)]
        if _parses(smiles):
            return smiles
    raise ValueError("no readable structure in the Tox21 table")


@cache
def canonical(smiles: str) -> str | None:
    chem = _rdkit()
    mol = chem.MolFromSmiles(smiles)
    return chem.MolToSmiles(mol) if mol is not None else None


def cid_for_smiles(smiles: str) -> int | None:
    """SMILES → CID: known CIDs, then the exact Tox21 string, then any spelling (slow path)."""
    key = canonical(smiles)
    if key is None:
        return None
    for cid, known in KNOWN_CID_SMILES.items():
        if canonical(known) == key:
            return cid
    table = tox21_smiles()
    if smiles in table:
        return table.index(smiles) + 1
    return _canonical_index().get(key)


@cache
def _canonical_index_unlocked() -> dict[str, int]:
    index: dict[str, int] = {}
    for row, smiles in enumerate(tox21_smiles()):
        key = canonical(smiles)
        if key is not None:
            index.setdefault(key, row + 1)
    return index


def _canonical_index() -> dict[str, int]:
    with _BUILD_LOCK_INDEX:
        return _canonical_index_unlocked()


# -- PubChem properties ----------------------------------------------------------------------
@cache
def computed_properties(smiles: str) -> dict[str, Any]:
    """Every property of :data:`PROPERTY_ORDER` for one structure (legacy SMILES key names)."""
    from rdkit.Chem import Crippen, Descriptors, GraphDescriptors, Lipinski, rdMolDescriptors

    chem = _rdkit()
    mol = chem.MolFromSmiles(smiles)
    fragments = len(chem.GetMolFrags(mol))
    heavy = mol.GetNumHeavyAtoms()
    centres = chem.FindMolChiralCenters(mol, includeUnassigned=True, useLegacyImplementation=False)
    defined = sum(1 for _, label in centres if label != "?")
    stereo_bonds = sum(1 for b in mol.GetBonds() if b.GetStereo() != chem.BondStereo.STEREONONE)
    donors, acceptors = Lipinski.NumHDonors(mol), Lipinski.NumHAcceptors(mol)
    rotatable = rdMolDescriptors.CalcNumRotatableBonds(mol)
    rings = rdMolDescriptors.CalcNumRings(mol)
    exact = Descriptors.ExactMolWt(mol)
    fingerprint = b"\x00\x00\x03\x71" + b"".join(_digest(smiles, i) for i in range(4))[:111]
    row: dict[str, Any] = {
        "MolecularFormula": rdMolDescriptors.CalcMolFormula(mol),
        "MolecularWeight": _decimal_text(Descriptors.MolWt(mol), 2),
        "CanonicalSMILES": chem.MolToSmiles(mol, isomericSmiles=False),
        "IsomericSMILES": chem.MolToSmiles(mol),
        "InChI": chem.MolToInchi(mol),
        "InChIKey": chem.MolToInchiKey(mol),
        "IUPACName": f"generated-iupac-name-{hashlib.sha1(smiles.encode()).hexdigest()[:10]}",
        "Title": f"Generated compound {hashlib.sha1(smiles.encode()).hexdigest()[:8]}",
        "XLogP": _number(Crippen.MolLogP(mol), 1),
        "ExactMass": _decimal_text(exact, 8),
        "MonoisotopicMass": _decimal_text(exact, 8),
        "TPSA": _number(rdMolDescriptors.CalcTPSA(mol), 1),
        "Complexity": _number(GraphDescriptors.BertzCT(mol) * 0.6, 0),
        "Charge": chem.GetFormalCharge(mol),
        "HBondDonorCount": donors,
        "HBondAcceptorCount": acceptors,
        "RotatableBondCount": rotatable,
        "HeavyAtomCount": heavy,
        "IsotopeAtomCount": sum(1 for a in mol.GetAtoms() if a.GetIsotope()),
        "AtomStereoCount": len(centres),
        "DefinedAtomStereoCount": defined,
        "UndefinedAtomStereoCount": len(centres) - defined,
        "BondStereoCount": stereo_bonds,
        "DefinedBondStereoCount": stereo_bonds,
        "UndefinedBondStereoCount": 0,
        "CovalentUnitCount": fragments,
        "Volume3D": _number(heavy * 11.7 + 20 * _unit(smiles, "vol"), 1),
        "XStericQuadrupole3D": round(1 + 9 * _unit(smiles, "x"), 2),
        "YStericQuadrupole3D": round(0.5 + 3 * _unit(smiles, "y"), 2),
        "ZStericQuadrupole3D": round(0.2 + 1.5 * _unit(smiles, "z"), 2),
        "FeatureCount3D": donors + acceptors + rings,
        "FeatureAcceptorCount3D": acceptors,
        "FeatureDonorCount3D": donors,
        "FeatureAnionCount3D": int(_unit(smiles, "an") < 0.2),
        "FeatureCationCount3D": int(_unit(smiles, "cat") < 0.1),
        "FeatureRingCount3D": rings,
        "FeatureHydrophobeCount3D": int(_unit(smiles, "hyd") * 3),
        "ConformerModelRMSD3D": 0.6 if heavy > 8 else 0.4,
        "EffectiveRotorCount3D": _number(rotatable + _unit(smiles, "rot") * 2 // 0.5 * 0.5, 1),
        "ConformerCount3D": 10 if rotatable else 1,
        "Fingerprint2D": base64.b64encode(fingerprint).decode("ascii"),
    }
    # PubChem leaves these out (the key is missing, not null) where it cannot compute them:
    # no XLogP3 for multi-component records, no 3-D descriptors without a conformer model.
    if fragments > 1:
        row.pop("XLogP")
    if fragments > 1 or heavy > 50:
        for key in THREE_D:
            row.pop(key, None)
    return row


def property_row(cid: int, requested: list[str], smiles_keys: str = "2025") -> dict[str, Any] | None:
    """A ``PropertyTable.Properties`` item for ``cid`` with the requested properties, or None.

    Args:
        cid: compound id.
        requested: property names as in the URL (either SMILES naming is accepted).
        smiles_keys: ``"2025"`` answers with ``SMILES``/``ConnectivitySMILES`` (PubChem since
            2025), ``"legacy"`` with ``IsomericSMILES``/``CanonicalSMILES``.
    """
    smiles = smiles_for_cid(cid)
    if smiles is None:
        return None
    full = dict(computed_properties(smiles))
    full.update(recorded_property_rows().get(cid, {}))
    wanted = {NEW_TO_LEGACY.get(name, name) for name in requested}
    row: dict[str, Any] = {"CID": cid}
    for key in PROPERTY_ORDER:
        if key in wanted and key in full:
            out_key = LEGACY_TO_NEW.get(key, key) if smiles_keys == "2025" else key
            row[out_key] = full[key]
    return row


# -- PubChem synonyms, xrefs, searches ---------------------------------------------------------
def cas_for(number: int) -> str:
    """A checksum-valid CAS RN derived from ``number`` (not a real registry number)."""
    digits = str(10_000 + number * 7)
    body = digits[:-2] + digits[-2:]
    check = sum((i + 1) * int(d) for i, d in enumerate(reversed(body))) % 10
    return f"{digits[:-2]}-{digits[-2:]}-{check}"


def synonyms_for(cid: int) -> list[str] | None:
    if cid == 2244:
        return aspirin_synonyms()
    smiles = smiles_for_cid(cid)
    if smiles is None:
        return None
    title = computed_properties(smiles)["Title"]
    return [title.lower(), cas_for(cid), title, f"SCHEMBL{cid % 100000}", f"DTXSID{cid * 13 % 10**7:07d}"]


def registry_numbers_for(cid: int) -> list[str] | None:
    if cid == 2244:
        return ["11126-35-5", "50-78-2", "98201-60-6"]
    if smiles_for_cid(cid) is None:
        return None
    numbers = [cas_for(cid)]
    if cid % 7 == 0:
        numbers.append(cas_for(cid)[:-1] + str((int(cas_for(cid)[-1]) + 1) % 10))  # a bad checksum
    return numbers


def search_cids(kind: str, query: str, count: int) -> list[int]:
    """Deterministic hit lists for fast/async structure searches."""
    start = int.from_bytes(_digest(kind, query)[:3], "big") % 50_000 + 1
    return [start + 37 * i for i in range(max(0, count))]


# -- ChEMBL ------------------------------------------------------------------------------------
@cache
def chembl_template() -> dict[str, Any]:
    return fixture_json("chembl", CHEMBL_RECORDED_MOLECULES["CHEMBL25"])


def chembl_number(chembl_id: str) -> int | None:
    head, _, digits = chembl_id.upper().partition("CHEMBL")
    if head or not digits.isdigit():
        return None
    return int(digits)


def chembl_smiles(number: int) -> str:
    return _table_smiles(number)


def chembl_molecule(chembl_id: str) -> dict[str, Any] | None:
    """A molecule object: recorded for CHEMBL25/CHEMBL1082, generated from the template otherwise."""
    chembl_id = chembl_id.upper()
    if chembl_id in CHEMBL_RECORDED_MOLECULES:
        return copy.deepcopy(fixture_json("chembl", CHEMBL_RECORDED_MOLECULES[chembl_id]))
    number = chembl_number(chembl_id)
    if number is None or number >= MISSING_CHEMBL_FLOOR:
        return None
    return _generated_molecule(chembl_id, chembl_smiles(number))


@cache
def _generated_molecule_cached(chembl_id: str, smiles: str) -> dict[str, Any]:
    from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

    chem = _rdkit()
    mol = chem.MolFromSmiles(smiles)
    molecule = copy.deepcopy(chembl_template())
    mw = Descriptors.MolWt(mol)
    logp = Crippen.MolLogP(mol)
    hba, hbd = rdMolDescriptors.CalcNumHBA(mol), rdMolDescriptors.CalcNumHBD(mol)
    violations = sum([mw > 500, logp > 5, hba > 10, hbd > 5])
    molecule.update(
        {
            "molecule_chembl_id": chembl_id,
            "pref_name": f"GENERATED {chembl_id}",
            "atc_classifications": [],
            "cross_references": [],
            "molecule_synonyms": [
                {"molecule_synonym": f"gen-{chembl_id.lower()}", "syn_type": "RESEARCH_CODE", "synonyms": f"GEN-{chembl_id}"}
            ],
            "molecule_hierarchy": {
                "active_chembl_id": chembl_id,
                "molecule_chembl_id": chembl_id,
                "parent_chembl_id": chembl_id,
            },
            "molecule_structures": {
                "canonical_smiles": chem.MolToSmiles(mol),
                "molfile": chem.MolToMolBlock(mol),
                "standard_inchi": chem.MolToInchi(mol),
                "standard_inchi_key": chem.MolToInchiKey(mol),
            },
        }
    )
    props = molecule["molecule_properties"]
    props.update(
        {
            "alogp": f"{logp:.2f}",
            "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(mol),
            "cx_logd": f"{logp - 1.5:.2f}",
            "cx_logp": f"{logp - 0.1:.2f}",
            "cx_most_apka": f"{2 + 10 * _unit(smiles, 'pka'):.2f}",
            "cx_most_bpka": None,
            "full_molformula": rdMolDescriptors.CalcMolFormula(mol),
            "full_mwt": f"{mw:.2f}",
            "hba": hba,
            "hba_lipinski": Lipinski.NOCount(mol),
            "hbd": hbd,
            "hbd_lipinski": Lipinski.NHOHCount(mol),
            "heavy_atoms": mol.GetNumHeavyAtoms(),
            "molecular_species": "NEUTRAL",
            "mw_freebase": f"{mw:.2f}",
            "mw_monoisotopic": f"{Descriptors.ExactMolWt(mol):.4f}",
            "np_likeness_score": f"{-2 + 4 * _unit(smiles, 'np'):.2f}",
            "num_lipinski_ro5_violations": violations,
            "num_ro5_violations": violations,
            "psa": f"{rdMolDescriptors.CalcTPSA(mol):.2f}",
            "qed_weighted": f"{QED.qed(mol):.2f}",
            "ro3_pass": "Y" if mw < 300 and logp <= 3 else "N",
            "rtb": rdMolDescriptors.CalcNumRotatableBonds(mol),
        }
    )
    return molecule


def _generated_molecule(chembl_id: str, smiles: str) -> dict[str, Any]:
    return copy.deepcopy(_generated_molecule_cached(chembl_id, smiles))


def molecule_smiles(chembl_id: str) -> str | None:
    molecule = chembl_molecule(chembl_id)
    if not molecule or not molecule.get("molecule_structures"):
        return None
    return molecule["molecule_structures"]["canonical_smiles"]


ACTIVITY_TYPES = ("IC50", "CC50", "LD50", "EC50", "Ki", "GI50", "Potency")


def chembl_activities(chembl_id: str) -> list[dict[str, Any]]:
    """Activity records for a molecule (field names as documented; no activity page is recorded)."""
    molecule = chembl_molecule(chembl_id)
    if molecule is None:
        return []
    smiles = (molecule.get("molecule_structures") or {}).get("canonical_smiles")
    number = chembl_number(chembl_id) or 0
    records = []
    for i in range(2 * len(ACTIVITY_TYPES)):
        kind = ACTIVITY_TYPES[i % len(ACTIVITY_TYPES)]
        value = round(0.1 + 100 * _unit(chembl_id, i), 2)
        unit = "mg.kg-1" if kind == "LD50" else "nM" if kind != "Potency" else "uM"
        records.append(
            {
                "activity_id": 1_000_000 + number * 100 + i,
                "assay_chembl_id": f"CHEMBL{3_000_000 + (number * 7 + i) % 100_000}",
                "assay_description": f"Generated {kind} assay {i} (cell viability)",
                "canonical_smiles": smiles,
                "data_validity_comment": None,
                "document_chembl_id": f"CHEMBL{1_100_000 + i}",
                "molecule_chembl_id": chembl_id.upper(),
                "pchembl_value": f"{9 - value / 20:.2f}" if unit == "nM" else None,
                "standard_relation": "=",
                "standard_type": kind,
                "standard_units": unit,
                "standard_value": f"{value}",
                "target_chembl_id": "CHEMBL612545",
                "target_pref_name": "Unchecked",
                "type": kind,
                "units": unit,
                "value": f"{value}",
            }
        )
    return records
