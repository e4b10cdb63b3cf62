"""AOP mapping: the shipped table, independent-assay confidence and the cytotoxicity-confounded flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.config.paths import resources_dir
from cryodesk.toxicity import Observation
from cryodesk.toxicity.pathways import (
    FLAG_CLEAR,
    FLAG_CONFOUNDED,
    FLAG_NO_CYTOTOX,
    FLAG_NO_POTENCY,
    load_aop_table,
    pathway_report,
    process_of,
)

KEY = "AAAAAAAAAAAAAA-UHFFFAOYSA-N"
TABLE = load_aop_table(resources_dir() / "aop" / "assay_aop_map.csv")
TASKS = (
    "NR-AR", "NR-AR-LBD", "NR-AhR", "NR-Aromatase", "NR-ER", "NR-ER-LBD", "NR-PPAR-gamma",
    "SR-ARE", "SR-ATAD5", "SR-HSE", "SR-MMP", "SR-p53",
)  # fmt: skip


def _obs(key: str, outcome: str, ac50: float | None = None, name: str | None = None) -> Observation:
    return Observation(key, outcome, "test", "r1", name, ac50, "µM" if ac50 is not None else None)


def test_every_tox21_task_is_mapped_to_a_process_and_all_but_hse_to_an_aop() -> None:
    for task in TASKS:
        mapping = TABLE.lookup(f"tox21:{task}")
        assert mapping is not None, task
        assert mapping.process in ("nuclear receptor", "stress response", "mitochondrial", "DNA damage")
        assert mapping.aop_id.isdigit() or (task == "SR-HSE" and mapping.id_status == "no-aop")
    assert TABLE.lookup("tox21:SR-MMP").pathway_id == "mitochondrial_dysfunction"
    assert TABLE.lookup("tox21:SR-p53").process == "DNA damage"
    summary = TABLE.summary()
    assert summary["exact_rows"] == 12 and summary["pattern_rows"] > 30


def test_toxcast_names_match_by_pattern_and_real_columns_are_covered() -> None:
    import gzip

    header = gzip.open(Path("/work/shared/data/toxcast/toxcast.csv.gz"), "rt").readline().strip().split(",")
    mapped = [c for c in header[1:] if TABLE.lookup(f"toxcast:{c}") is not None]
    assert len(mapped) >= 60  # the name patterns hit real ToxCast columns, not invented ones
    assert (
        TABLE.lookup("toxcast:TOX21_p53_BLA_p4_ratio").assay_group == TABLE.lookup("tox21:SR-p53").assay_group
    )
    assert TABLE.lookup("ctx:aeid99", "ATG_Ahr_CIS_up").pathway_id == "ahr_activation"  # by endpoint name
    assert TABLE.lookup("toxcast:NVS_GPCR_hAdra2A") is None
    assert process_of(TABLE, "toxcast:TOX21_MMP_viability", None) == "cytotoxicity"


def test_bad_table_rows_name_line_and_field(tmp_path: Path) -> None:
    text = (resources_dir() / "aop" / "assay_aop_map.csv").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([text[0], text[1].replace(",exact,", ",fuzzy,", 1)]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2, field 'match'"):
        load_aop_table(bad)


def test_confidence_counts_independent_assays_once() -> None:
    # NR-AR-LBD and ToxCast's copy of the same screen are one group; MDA-kb2 is a second, independent one.
    same_twice = pathway_report(
        KEY, [_obs("tox21:NR-AR-LBD", "active"), _obs("toxcast:TOX21_AR_BLA_Agonist_ratio", "active")], TABLE
    )
    ar = same_twice.pathways[0]
    assert ar.pathway_id == "ar_agonism" and ar.agreeing_assays == 1 and ar.confidence.startswith("low")
    two = pathway_report(
        KEY,
        [
            _obs("tox21:NR-AR-LBD", "active"),
            _obs("tox21:NR-AR", "active"),
            _obs("toxcast:ATG_AR_TRANS_up", "inactive"),
        ],
        TABLE,
    )
    ar = two.pathways[0]
    assert (
        ar.agreeing_assays == 2 and ar.confidence == "medium (2 independent assays agree); 1 tested inactive"
    )
    assert ar.aop_ids == ("23",)
    # without potency data the flag is not computed, and says so
    assert ar.flag_state == FLAG_NO_POTENCY and {h.flag for h in ar.supporting} == {FLAG_NO_POTENCY}


def test_hits_near_the_cytotoxicity_burst_are_flagged_not_counted() -> None:
    viability = [
        _obs("tox21:tox21-mitotox-p1:viability", "active", 20.0, "viability"),
        _obs("toxcast:ATG_XTT_Cytotoxicity_up", "active", 30.0),
    ]
    report = pathway_report(
        KEY,
        [
            *viability,
            _obs("tox21:SR-MMP", "active", 25.0),  # at the burst: confounded
            _obs("toxcast:APR_HepG2_MitoMembPot_1h_dn", "active", 0.5),  # far below: real evidence
            _obs("tox21:SR-p53", "active", 15.0),  # within half a log unit: confounded
            _obs("tox21:SR-ARE", "active"),  # no AC50: unavailable
        ],
        TABLE,
    )
    assert report.burst.median_ac50_um == pytest.approx((20.0 * 30.0) ** 0.5)
    by_id = {p.pathway_id: p for p in report.pathways}
    mito = by_id["mitochondrial_dysfunction"]
    assert [h.flag for h in mito.confounded] == [FLAG_CONFOUNDED] and [h.flag for h in mito.supporting] == [
        FLAG_CLEAR
    ]
    assert mito.agreeing_assays == 1 and "1 of 2 hits confounded" in mito.flag_state
    p53 = by_id["dna_damage_response"]
    assert p53.agreeing_assays == 0 and p53.confidence.startswith("none")
    assert by_id["nrf2_oxidative_stress"].flag_state == FLAG_NO_POTENCY
    assert "cytotoxicity" not in by_id  # viability assays make the burst, they are not a pathway


def test_no_cytotoxicity_in_the_tested_range_clears_potent_hits() -> None:
    report = pathway_report(
        KEY,
        [_obs("toxcast:TOX21_MMP_viability", "inactive"), _obs("tox21:NR-AhR", "active", 3.0)],
        TABLE,
    )
    assert report.pathways[0].supporting[0].flag == FLAG_NO_CYTOTOX
    assert "none active" in report.burst.describe()
