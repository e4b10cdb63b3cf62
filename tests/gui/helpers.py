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

    def tg_values() -> Iterator[PropertyValue]:
        # Every 5th compound has a Tg; every 50th a second, conflicting one; every 20th is stored in °C.
        for i in range(0, rows, 5):
            key = fake_inchikey(i)
            kelvin = 120.0 + (i * 7919) % 230
            unit, value = ("degC", kelvin - 273.15) if i % 20 == 0 else ("K", kelvin)
            yield PropertyValue(key, "tg", round(value, 2), unit,
                                Provenance("synthetic", Method.MEASURED, f"row {i}"))
            if i % 50 == 0:
                yield PropertyValue(key, "tg", kelvin + 6.0, "K", Provenance("synthetic", Method.MEASURED, f"dup {i}"))

    with Project.open(path) as project:
        project.compounds.upsert_many(compounds())
        project.properties.upsert_many(tg_values())
        project.meta.set("seeded_with", "test-fixture")
    return path


def build_seeded_project(path: Path) -> Path:
    """A project with the embedded default library, as a first start makes it (about a minute)."""
    from cryodesk.domain import JobState
    from cryodesk.engine.features import FeatureService
    from cryodesk.engine.search import SIMILARITY_FINGERPRINT
    from cryodesk.engine.service import Workbench

    wb = Workbench.open(path)
    try:
        outcome = wb.seed_default_library()
        assert outcome.state == JobState.DONE, outcome.error
        # What the similarity, cluster and substructure views would compute on first use.
        FeatureService(wb.project).matrix(SIMILARITY_FINGERPRINT)
        wb.search.substructure_index()
    finally:
        wb.close()  # the last connection checkpoints the WAL: the file alone is the project
    return path


def save_screenshot(widget, qtbot, name: str, timeout: int = 30_000) -> Path:
    """Grab ``widget`` once its structure drawings are in, and save it under tests/gui/screenshots.

    A first grab paints every visible cell, which requests the depictions of rows never painted
    before (offscreen nothing is painted until grabbed); the saved grab waits for them.
    """
    from PySide6.QtWidgets import QWidget

    window = widget.window() if isinstance(widget, QWidget) else widget
    busy = getattr(window, "busy_label", None)
    if busy is not None:  # background reads of the views (plot, search) have landed
        qtbot.waitUntil(lambda: not busy.text(), timeout=timeout)
    depictions = getattr(window, "depictions", None)
    widget.grab()
    if depictions is not None:
        qtbot.waitUntil(lambda: depictions.pending_count() == 0, timeout=timeout)
        widget.grab()  # cells drawn by the first pass may have asked for more (e.g. after a scroll)
        qtbot.waitUntil(lambda: depictions.pending_count() == 0, timeout=timeout)
    detail = getattr(window, "detail", None)
    if detail is not None and detail.detail is not None:
        qtbot.waitUntil(detail.structure.is_drawn, timeout=timeout)
    if busy is not None:  # a view may have started reading meanwhile (e.g. the plot following a filter)
        qtbot.waitUntil(lambda: not busy.text(), timeout=timeout)
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    target = SCREENSHOT_DIR / name
    assert widget.grab().save(str(target)), target
    return target


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
