"""The toxicity score: how many assays it rests on, quality weighting, and the caveat it carries."""

from __future__ import annotations

import pytest

from cryodesk.toxicity import Observation, build_profile, decode_record, encode_record, weight_for

KEY = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"


def _unweighted(active: int, inactive: int) -> list[Observation]:
    return [Observation(f"tox21:A{i}", "active", "tox21", f"row {i}") for i in range(active)] + [
        Observation(f"tox21:I{i}", "inactive", "tox21", f"row {i}") for i in range(inactive)
    ]


def test_unweighted_data_say_so_and_count_assays() -> None:
    profile = build_profile(KEY, _unweighted(1, 3))
    assert profile.score == pytest.approx(0.25)
    assert profile.assays == 4 and profile.active_assays == 1 and profile.weighting == "unweighted"
    assert "rests on 4 assays" in profile.basis and "unweighted" in profile.basis
    assert "micromolar" in profile.note and "not a verdict" in profile.note


def test_score_moves_when_the_quality_field_changes() -> None:
    def profile_with(curve_rank: str, reproducibility: str):
        active = Observation(
            "tox21:tox21-p53-bla-p1",
            "active",
            "tox21_aggregated",
            encode_record(
                "tox21-p53-bla-p1/NCGC1/ratio", {"curve_rank": curve_rank, "reproducibility": reproducibility}
            ),
        )
        return build_profile(KEY, [active, *_unweighted(0, 3)])

    strong = profile_with("-9", "reproducible")
    weak = profile_with("-2", "reproducible")
    doubtful = profile_with("-9", "inconsistent")
    # one well-fitted active among 4 assays: 1/4; a weak curve or a doubtful replicate weighs less
    assert strong.score == pytest.approx(0.25)
    assert weak.score < strong.score and doubtful.score < strong.score
    assert weak.score == pytest.approx((2 / 9) / (2 / 9 + 3), abs=1e-4)
    assert doubtful.score == pytest.approx(0.5 / 3.5, abs=1e-4)
    assert strong.weighting == "partly weighted (1 of 4 assays)"
    call = next(c for c in weak.calls if c.weighted)
    assert "curve rank -2" in call.basis


def test_invitrodb_hit_call_and_flags() -> None:
    def ctx(hitc: float, flags: int) -> Observation:
        return Observation(
            "ctx:aeid7",
            "active" if hitc >= 0.9 else "inactive",
            "comptox",
            encode_record("DTXSID1/m4id5", {"hitc": hitc, "flags": flags}),
        )

    clean = build_profile(
        KEY,
        [
            ctx(0.95, 0),
            Observation(
                "ctx:aeid8", "inactive", "comptox", encode_record("DTXSID1/m4id6", {"hitc": 0.0, "flags": 0})
            ),
        ],
    )
    flagged = build_profile(
        KEY,
        [
            ctx(0.95, 3),
            Observation(
                "ctx:aeid8", "inactive", "comptox", encode_record("DTXSID1/m4id6", {"hitc": 0.0, "flags": 0})
            ),
        ],
    )
    assert clean.weighting == "weighted" and clean.score == pytest.approx(0.475)
    assert flagged.score == pytest.approx(0.25 * 0.95 / 1.25, abs=1e-4)


def test_several_results_of_one_assay_count_once() -> None:
    obs = [
        Observation("tox21:NR-AR", "active", "tox21", "row 5"),
        Observation("tox21:NR-AR", "inactive", "tox21_aggregated", "tox21-ar-mda-kb2-luc-agonist-p1/N1/luc"),
        Observation("tox21:SR-p53", "inconclusive", "tox21", "row 5"),
    ]
    profile = build_profile(KEY, obs)
    assert profile.assays == 1 and profile.inconclusive_assays == 1 and profile.score == pytest.approx(0.5)


def test_no_results_is_no_data() -> None:
    profile = build_profile(KEY, [])
    assert profile.score is None and profile.weighting == "no data" and profile.assays == 0


def test_record_round_trip_and_unknown_words() -> None:
    text = encode_record("p/S1/ratio", {"curve_rank": "-4", "flag": "", "reproducibility": "active"})
    assert decode_record(text) == ("p/S1/ratio", {"curve_rank": "-4", "reproducibility": "active"})
    assert decode_record("row 12") == ("row 12", {})
    weight = weight_for({"reproducibility": "purple"}, active=True)
    assert weight is not None and weight.value == 1.0 and "not understood" in weight.basis
    with pytest.raises(ValueError):
        encode_record("a?b", {})
