"""invitrodb bioactivity rows: the parser reads hit calls and caution flags defensively.

No non-empty CTX bioactivity reply is recorded (the fixture holds only ``[]``), so these rows use
invitrodb's field names (``aeid``, ``m4id``, ``hitc``, level-6 flags) as the parser's documented
expectation; unknown shapes are skipped and counted, never guessed.
"""

from __future__ import annotations

import json

import pytest

from cryodesk.sources.comptox import parse_bioactivity
from cryodesk.sources.errors import InvalidResponseError
from tests.conftest import FIXTURES


def test_recorded_empty_reply_is_no_rows() -> None:
    data = json.loads((FIXTURES / "comptox_ctx" / "bioactivity_data_search_by-aeid_1_EMPTY.json").read_text())
    assert parse_bioactivity(data) == ([], 0)


def test_hit_calls_flags_and_skipped_rows() -> None:
    rows, skipped = parse_bioactivity(
        [
            {
                "aeid": 7,
                "m4id": 1001,
                "hitc": 0.97,
                "aenm": "ATG_PXRE_CIS_up",
                "flags": ["a", "b"],
                "ac50": 3.2,
            },
            {"aeid": "8", "m4id": 1002, "hitc": "0.1", "mc6Param": {"flag": [1, 2, 3]}},
            {"aeid": 9, "m4id": 1003},  # no hit call: skipped
            "not an object",
        ]
    )
    assert skipped == 2
    assert [(r.aeid, r.hitc, r.flags, r.endpoint, r.record_id) for r in rows] == [
        (7, 0.97, 2, "ATG_PXRE_CIS_up", "1001"),
        (8, 0.1, 3, None, "1002"),
    ]
    assert rows[0].ac50 == 3.2 and rows[1].ac50 is None
    with pytest.raises(InvalidResponseError):
        parse_bioactivity({"aeid": 1})
