"""Test data for the GUI tests: a small project of real cryoprotectants and a 100,000-compound one."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

from cryodesk.domain import (
    Assay,
    AssayOutcome,
    AssayResult,
    Compound,
    Identifier,
    IdentifierKind,
    Method,
    PropertyValue,
    Provenance,
)
from cryodesk.store import DataSource, Project

SCREENSHOT_DIR = Path(__file__).parent / "screenshots"
BIG_PROJECT_ROWS = 100_000

# Real structures with InChIKeys checked against PubChem (the store does not recompute them).
REFERENCE_COMPOUNDS = [
    ("Dimethyl sulfoxide", "CS(C)=O", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "C2H6OS", 78.13, "67-68-5"),
    ("Glycerol", "OCC(O)CO", "PEDCQBHIVMGVHV-UHFFFAOYSA-N", "C3H8O3", 92.09, "56-81-5"),
    ("Ethylene glycol", "OCCO", "LYCAIKOWRPUZTN-UHFFFAOYSA-N", "C2H6O2", 62.07, "107-21-1"),
    ("1,2-Propanediol", "CC(O)CO", "DNIAPMSPPWPWGF-UHFFFAOYSA-N", "C3H8O2", 76.09, "57-55-6"),
    ("Formamide", "NC=O", "ZHNUHDYFZUAESO-UHFFFAOYSA-N", "CH3NO", 45.04, "75-12-7"),
    ("L-Proline", "O=C(O)[C@@H]1CCCN1", "ONIBWKKTOPOVIA-BYPYZUCNSA-N", "C5H9NO2", 115.13, "147-85-3"),
    ("Betaine", "C[N+](C)(C)CC(=O)[O-]", "KWIUHFFTVRNATP-UHFFFAOYSA-N", "C5H11NO2", 117.15, "107-43-7"),
    ("Trehalose", "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O",
     "HDTRYLNUVZCQOY-LIZSDCNHSA-N", "C12H22O11", 342.30, "99-20-7"),
    ("Sucrose", "OC[C@H]1O[C@@](CO)(O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@@H](O)[C@@H]1O",
     "CZMRCDWAGMRECN-UGDNZRGBSA-N", "C12H22O11", 342.30, "57-50-1"),
]
KOOP = "Koop, Zobrist et al., Phys. Chem. Chem. Phys. 13 (2011) 19238, doi:10.1039/c1cp22617g"
BRADLEY = "Bradley J-C. et al., Open Melting Point Dataset, doi:10.6084/m9.figshare.1031637"
TOX21 = "Tox21 Data Challenge 2014, NCATS/NIH (tripod.nih.gov/tox21/challenge)"


def build_reference_project(path: Path) -> Path:
    """A small project of real cryoprotectants with identifiers, provenance-carrying values and assays."""
    with Project.open(path) as project:
        project.compounds.upsert_many(
            Compound(key, smiles, inchi=f"InChI=1S/{formula}", formula=formula, std_version="test-1", name=name,
                     mol_weight=mw)
            for name, smiles, key, formula, mw, _cas in REFERENCE_COMPOUNDS
        )
        project.identifiers.upsert_many(
            item
            for name, _smiles, key, _formula, _mw, cas in REFERENCE_COMPOUNDS
            for item in (Identifier(key, IdentifierKind.NAME, name, "reference"),
                         Identifier(key, IdentifierKind.CAS, cas, "reference", 0.95))
        )
        project.identifiers.upsert_many([Identifier("IAZDPXIOMUYVGZ-UHFFFAOYSA-N", IdentifierKind.SYNONYM, "DMSO",
                                                    "reference", 0.9)])
        tg = [("IAZDPXIOMUYVGZ-UHFFFAOYSA-N", 137.0, "koop_tg", "row 12"),
              ("IAZDPXIOMUYVGZ-UHFFFAOYSA-N", 150.0, "koop_tg", "row 13"),
              ("PEDCQBHIVMGVHV-UHFFFAOYSA-N", 190.0, "koop_tg", "row 40"),
              ("LYCAIKOWRPUZTN-UHFFFAOYSA-N", 153.0, "koop_tg", "row 31")]
        values = [
            PropertyValue(key, "Tg", v, "K", Provenance(src, Method.MEASURED, rec, "2026-01-01T00:00:00+00:00",
                                                        None, KOOP), conditions="pure", flags=("salt_free",))
            for key, v, src, rec in tg
        ]
        values += [
            PropertyValue("IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "melting_point", 18.5, "°C",
                          Provenance("bradley_mp", Method.MEASURED, "MP-3311", None, None, BRADLEY)),
            PropertyValue("PEDCQBHIVMGVHV-UHFFFAOYSA-N", "melting_point", 18.2, "°C",
                          Provenance("bradley_mp", Method.MEASURED, "MP-120", None, None, BRADLEY)),
            PropertyValue("PEDCQBHIVMGVHV-UHFFFAOYSA-N", "log_solubility", 0.79, "log(mol/L)",
                          Provenance("esol", Method.MEASURED, "ESOL-77", None, None, "Delaney, JCICS 44 (2004) 1000")),
        ]
        project.properties.upsert_many(values)
        project.assays.upsert_assays([Assay("tox21_SR-ARE", "SR-ARE", "tox21", "Antioxidant response element")])
        project.assays.upsert_results([
            AssayResult("IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "tox21_SR-ARE", AssayOutcome.INACTIVE,
                        Provenance("tox21", Method.MEASURED, "NCGC00166135-01", None, None, TOX21)),
        ])
        project.sources.upsert_many([
            DataSource("koop_tg", "Glass transition temperatures of organic compounds (Koop compilation)",
                       "CC BY 3.0", KOOP, "https://doi.org/10.1039/c1cp22617g"),
            DataSource("bradley_mp", "Jean-Claude Bradley Open Melting Point Dataset", "CC0", BRADLEY,
                       "https://doi.org/10.6084/m9.figshare.1031637"),
            DataSource("tox21", "Tox21 Data Challenge 2014 (12 assays)", "Public domain (US Government work)",
                       TOX21, "https://tripod.nih.gov/tox21/challenge/"),
        ])
        project.meta.set("seeded_with", "test-fixture")  # a test project must not start the real seeder
    return path


def fake_inchikey(i: int) -> str:
    """A distinct, valid-looking InChIKey for compound ``i`` (the store does not validate chemistry)."""
    letters = string.ascii_uppercase
    head = []
    n = i
    for _ in range(14):
        n, r = divmod(n, 26)
        head.append(letters[r])
    return "".join(reversed(head)) + "-UHFFFAOYSA-N"


def build_big_project(path: Path, rows: int = BIG_PROJECT_ROWS) -> Path:
    def compounds() -> Iterator[Compound]:
        for i in range(rows):
            chain = "C" * (1 + i % 12)
            smiles = chain + ("O" if i % 3 == 0 else "N" if i % 3 == 1 else "C(=O)O")
            yield Compound(fake_inchikey(i), smiles, inchi=f"InChI=1S/test{i}", formula="CxHy",
                           std_version="test-1", name=f"Compound {i:06d}", mol_weight=100.0 + i % 500 / 10)

    with Project.open(path) as project:
        project.compounds.upsert_many(compounds())
        project.meta.set("seeded_with", "test-fixture")
    return path


def _chem_has(*names: str) -> bool:
    try:
        from cryodesk import chem
    except ImportError:
        return False
    return all(hasattr(chem, name) for name in names)


def has_depiction() -> bool:
    """True once the chemistry package draws structures."""
    return _chem_has("depict_png")


def has_chemistry() -> bool:
    """True once the chemistry package offers everything a file import needs."""
    return _chem_has("compound_from_text", "depict_png", "looks_like_structure")
