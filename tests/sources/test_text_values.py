"""CAS check digits and the free-text value reader, on strings taken from the recorded PUG-View records."""

from __future__ import annotations

import pytest

from cryodesk.sources.cas import cas_check_digit, find_cas_numbers, is_valid_cas
from cryodesk.sources.text_values import (
    DENSITY,
    SOLUBILITY,
    TEMPERATURE,
    TOXICITY,
    VISCOSITY,
    parse_number_value,
    parse_text,
)


@pytest.mark.parametrize("cas", ["50-78-2", "7732-18-5", "64-17-5", "67-68-5", "107-21-1", "56-81-5", "11126-35-5"])
def test_valid_cas_numbers(cas: str) -> None:
    assert is_valid_cas(cas)


@pytest.mark.parametrize("text", ["50-78-3", "7732-18-4", "5-78-2", "50-7-2", "50-78-22", "aspirin", "", "50_78_2"])
def test_invalid_cas_numbers(text: str) -> None:
    assert not is_valid_cas(text)


def test_cas_check_digit_and_search() -> None:
    assert cas_check_digit("5078") == 2  # 8*1 + 7*2 + 0*3 + 5*4 = 42
    assert find_cas_numbers(["aspirin", "50-78-2", "50-78-3", "0050-78-2", "64-17-5"]) == ["50-78-2", "64-17-5"]


def _one(text: str, kind: str) -> tuple[object, ...]:
    (value,) = parse_text(text, kind)
    return (value.value, value.value_max, value.relation, value.unit, value.conditions)


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("-12.69 °C", TEMPERATURE, (-12.69, None, "=", "°C", None)),
        ("9 °F (NTP, 1992)", TEMPERATURE, (9.0, None, "=", "°F", None)),
        ("387.7 °F at 760 mmHg (NTP, 1992)", TEMPERATURE, (387.7, None, "=", "°F", "P=760 mmHg")),
        ("197.00 to 198.00 °C. @ 760.00 mm Hg", TEMPERATURE, (197.0, 198.0, "=", "°C", "P=760.00 mmHg")),
        ("4 - 10 °C", TEMPERATURE, (4.0, 10.0, "=", "°C", None)),
        ("1.1135 g/cu cm AT 20 °C", DENSITY, (1.1135, None, "=", "g/cm3", "T=20 °C")),
        ("1.11", DENSITY, (1.11, None, "=", None, None)),
        ("21 mPa*s at 20 °C", VISCOSITY, (21.0, None, "=", "mPa*s", "T=20 °C")),
        ("1.056 mPa-s at 25 °C", VISCOSITY, (1.056, None, "=", "mPa*s", "T=25 °C")),
        ("greater than or equal to 100 mg/mL at 63.5 °F (NTP, 1992)", SOLUBILITY, (100.0, None, ">=", "mg/mL", "T=63.5 °F")),
        ("LD50 Rat oral 4700 mg/kg", TOXICITY, (4700.0, None, "=", "mg/kg", "Rat oral")),
        ("LD50 Dog oral >8,810 mg/kg bw /from table/", TOXICITY, (8810.0, None, ">", "mg/kg", "Dog oral")),
        ("LC50 (mice) = 5,620 ppm/1 hr", TOXICITY, (5620.0, None, "=", "ppm", "mice")),
    ],
)
def test_single_values(text: str, kind: str, expected: tuple[object, ...]) -> None:
    assert _one(text, kind) == expected


def test_several_values_in_one_string_keep_their_qualifiers() -> None:
    values = parse_text("PEG 400: 4-8 °C; PEG 3000: 50-56 °C; PEG 6000:55-61 °C", TEMPERATURE)
    assert [(v.qualifier, v.value, v.value_max) for v in values] == [
        ("PEG 400", 4.0, 8.0),
        ("PEG 3000", 50.0, 56.0),
        ("PEG 6000", 55.0, 61.0),
    ]
    viscosities = parse_text("16.1 mPa-sec at 25 °C; 6.554 mPa-sec at 50 °C; 3.340 mPa-sec at 75 °C", VISCOSITY)
    assert [(v.value, v.conditions) for v in viscosities] == [(16.1, "T=25 °C"), (6.554, "T=50 °C"), (3.34, "T=75 °C")]
    lines = parse_text("LD50: 4700 mg/kg (Oral, Rat) (L1025)\nLD50: 9530 mg/kg (Dermal, Rabbit) (T23)", TOXICITY)
    assert [(v.measure, v.value, v.conditions) for v in lines] == [
        ("LD50", 4700.0, "Oral, Rat"),
        ("LD50", 9530.0, "Dermal, Rabbit"),
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Miscible with water", SOLUBILITY),
        ("slightly soluble in ether (1:200)", SOLUBILITY),
        ("Latent heat of sublimation: 53.2 kJ/mole (25 °C) (est)", TEMPERATURE),
        ("For more Non-Human Toxicity Values (Complete) data for ETHYLENE GLYCOL (14 total), please visit", TOXICITY),
    ],
)
def test_no_value_rather_than_a_guess(text: str, kind: str) -> None:
    assert parse_text(text, kind) == []


def test_relative_density_keeps_its_label() -> None:
    (value,) = parse_text("Relative density (water = 1): 1.1", DENSITY)
    assert (value.value, value.unit, value.qualifier) == (1.1, None, "Relative density (water = 1)")


def test_number_values_with_conditions_in_the_unit() -> None:
    parsed = parse_number_value([1000000], "mg/L (at 25 °C)", SOLUBILITY)
    assert parsed is not None and (parsed.value, parsed.unit, parsed.conditions) == (1e6, "mg/L", "T=25 °C")
    plain = parse_number_value([117.9], "°C", TEMPERATURE)
    assert plain is not None and (plain.value, plain.unit, plain.conditions) == (117.9, "°C", None)
