"""The engine side of the views (cryodesk.engine.views, cryodesk.store.table_queries), without Qt:
display units and conversions, medians of conflicting values, filters and sorts over ids."""

from __future__ import annotations

from pathlib import Path

from cryodesk.domain import Method, PropertyValue, Provenance
from cryodesk.engine import views
from cryodesk.engine.service import Workbench
from cryodesk.store import table_queries as tq

from .helpers import REFERENCE_COMPOUNDS

DMSO, GLYCEROL, EG = (REFERENCE_COMPOUNDS[i][2] for i in (0, 1, 2))


def _add(wb: Workbench, key: str, prop: str, value: float | None, unit: str | None, record: str,
         text: str | None = None) -> None:
    wb.project.properties.upsert_many([PropertyValue(key, prop, value, unit,
                                                     Provenance("test", Method.MEASURED, record), text)])


def test_columns_pick_a_display_unit_and_convert(reference_project: Path) -> None:
    with _wb(reference_project) as wb:
        _add(wb, EG, "melting_point", 260.0, "K", "k1")  # -13.15 °C, stored in K
        _add(wb, DMSO, "density", 1.1, "g/mL", "d1")
        _add(wb, DMSO, "odd", 3.0, "furlongs", "o1")
        columns = {c.key: c for c in views.property_columns(wb)}
        mp = columns["melting_point"]
        assert mp.unit == "degC" and mp.header == "melting_point (°C)"
        assert dict((u, (s, o)) for u, s, o in mp.conversions)["K"] == (1.0, -273.15)
        assert columns["Tg"].unit == "K"
        assert columns["odd"].unit == "furlongs" and columns["odd"].numeric  # unknown unit: kept as is
        ids = wb.project.compounds.ids_for([DMSO, GLYCEROL, EG])
        medians = tq.numeric_medians(wb.project.db, "melting_point", mp.conversion_table())
        assert abs(medians[ids[EG]] - (-13.15)) < 1e-9
        assert medians[ids[DMSO]] == 18.5


def test_conflicting_values_show_their_median_count_and_range(reference_project: Path) -> None:
    with _wb(reference_project) as wb:
        dmso = wb.project.compounds.ids_for([DMSO])[DMSO]
        columns = {c.key: c for c in views.property_columns(wb)}
        cells = views.property_cells(wb, [dmso], [columns["Tg"], columns["melting_point"]])[dmso]
        assert cells["Tg"].text == "143.5 K (2)" and cells["Tg"].conflict and cells["Tg"].value == 143.5
        assert "137–150 K" in cells["Tg"].tooltip and cells["Tg"].tooltip.count("koop_tg") == 2
        assert cells["melting_point"].text == "18.5 °C" and not cells["melting_point"].conflict
        # An even count: the median is the mean of the middle two, also in SQL (what sorts use).
        assert tq.numeric_medians(wb.project.db, "Tg", columns["Tg"].conversion_table())[dmso] == 143.5


def test_filters_and_sorts_work_on_ids(reference_project: Path) -> None:
    with _wb(reference_project) as wb:
        ids = wb.project.compounds.ids_for([DMSO, GLYCEROL, EG])
        in_range = views.select_ids(wb, views.TableQuery(ranges=(views.RangeFilter("Tg", 140, 200),)))
        assert sorted(in_range) == sorted([ids[DMSO], ids[GLYCEROL], ids[EG]])  # medians 143.5, 190, 153
        assert views.select_ids(wb, views.TableQuery(ranges=(views.RangeFilter("Tg", 150, None),),
                                                     sort=views.SortKey("Tg", True))) == [ids[GLYCEROL], ids[EG]]
        by_mw = views.select_ids(wb, views.TableQuery(sort=views.SortKey("mol_weight")))
        weights = [r.mol_weight for r in wb.compound_rows(by_mw)]
        assert weights == sorted(weights) and len(by_mw) == len(REFERENCE_COMPOUNDS)
        subset = views.IdSubset("row_list", "two", (ids[EG], ids[DMSO]), ordered=True)
        assert views.select_ids(wb, views.TableQuery(subsets=(subset,))) == [ids[EG], ids[DMSO]]
        assert views.select_ids(wb, views.TableQuery(text="glycol", subsets=(subset,))) == [ids[EG]]
        # Without a Tg a compound is filtered out, and sorts last.
        by_tg = views.select_ids(wb, views.TableQuery(sort=views.SortKey("Tg")))
        assert by_tg[:3] == [ids[DMSO], ids[EG], ids[GLYCEROL]]


def test_query_preview_explains_and_draws(reference_project: Path) -> None:
    bad = views.preview_query("C1CC(")
    assert not bad.valid and "position 5" in bad.message and bad.png is None
    good = views.preview_query("OCC(O)CO")
    assert good.valid and good.mode == "smiles" and good.similarity_ok and good.png
    smarts = views.preview_query("[OX2H][CX4]")
    assert smarts.valid and smarts.mode == "smarts" and not smarts.similarity_ok


class _wb:
    def __init__(self, path: Path) -> None:
        self.wb = Workbench.open(path)

    def __enter__(self) -> Workbench:
        return self.wb

    def __exit__(self, *exc: object) -> None:
        self.wb.close()
