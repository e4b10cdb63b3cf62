"""Ambiguous abbreviations in context: other senses must not link to cryoprotectants."""

from __future__ import annotations

import pytest

from cryodesk.literature import LiteratureMiner

MINER = LiteratureMiner()

#: (text, abbreviation): the abbreviation means something else here.
NOT_CPA: list[tuple[str, str]] = [
    # FA: fatty / folic / formic acid, fractional anisotropy
    ("Serum FA concentrations rose in obese patients.", "FA"),
    ("Plasma free fatty acids (FA) were measured before and after the meal.", "FA"),
    ("Fatty acids (FAs) were extracted; FA composition differed between groups.", "FA"),
    ("Folic acid (FA) supplementation reduced homocysteine.", "FA"),
    ("Diffusion tensor imaging showed lower FA in the corpus callosum.", "FA"),
    ("Frozen plasma samples were thawed and FA oxidation was measured in 10% of subjects.", "FA"),
    ("Hepatic FA uptake doubled after cryopreservation of hepatocytes with omega-3 diets.", "FA"),
    # PG: prostaglandin, proteoglycan
    ("PG levels increased after COX-2 induction.", "PG"),
    ("Prostaglandin (PG) synthesis was inhibited by indomethacin.", "PG"),
    ("Renal PG production was measured in rats given 5 mg/kg of the drug.", "PG"),
    ("Cartilage PG content fell after freezing, as proteoglycan loss is known.", "PG"),
    ("The PG E2 receptor was blocked.", "PG"),
    ("Prostaglandins were measured in frozen tissue; PG release increased.", "PG"),
    # EG: e.g. typed as EG, embryonic germ cells, example
    ("Several factors, EG. age and weight, were recorded.", "EG"),
    ("Use a protective agent, EG, a sugar, when storing.", "EG"),
    ("Human embryonic germ (EG) cells were derived.", "EG"),
    ("EG cells were frozen and thawed for karyotyping; embryonic germ cells kept their markers.", "EG"),
    ("As an EG: patients with diabetes were excluded.", "EG"),
    # HES, PEG, DMF, DEG, TEG, MSM, FBS, AFP in their clinical/biological senses
    ("Patients with HES received imatinib for hypereosinophilic syndrome.", "HES"),
    ("HES cells were differentiated into neurons.", "HES"),
    ("A PEG tube was placed for enteral feeding after gastrostomy.", "PEG"),
    ("DMF reduced relapses in multiple sclerosis.", "DMF"),
    ("We identified 250 DEGs; DEG analysis used RNA-seq.", "DEG"),
    ("TEG showed a hypercoagulable clot profile.", "TEG"),
    ("HIV prevalence among MSM was high.", "MSM"),
    ("FBS above 126 mg/dL defined diabetes.", "FBS"),
    ("Serum AFP was elevated in hepatocellular carcinoma.", "AFP"),
    ("Heparan sulfate (HS) chains were analysed in frozen sections.", "HS"),
    ("Mast cells (MC) were counted in thawed biopsies.", "MC"),
    ("Hydroxyapatite (HA) scaffolds were frozen before seeding.", "HA"),
]

#: (text, abbreviation, canonical): the abbreviation is the cryoprotectant here.
CPA: list[tuple[str, str, str]] = [
    ("Oocytes were vitrified in 15% EG and 15% DMSO.", "EG", "Ethylene glycol"),
    ("Embryos were frozen in 1.5 M PG with 0.1 M sucrose.", "PG", "1,2-Propanediol"),
    ("Vitrification solution contained 10% EG.", "EG", "Ethylene glycol"),
    ("Cryopreservation with 1.5 M PG gave 80% survival.", "PG", "1,2-Propanediol"),
    ("Ethylene glycol (EG) was used for vitrification. EG permeated quickly.", "EG", "Ethylene glycol"),
    ("1,2-propanediol (PG) and DMSO were compared. PG was less toxic.", "PG", "1,2-Propanediol"),
    ("VS55 contains DMSO, FA and propylene glycol; FA reduces DMSO toxicity during vitrification.", "FA", "Formamide"),
    ("Formamide (FA) was added to the cryoprotectant cocktail. FA was toxic alone.", "FA", "Formamide"),
    ("Tissues were frozen with 6% HES and 5% DMSO.", "HES", "Hydroxyethyl starch"),
    ("Cells were frozen with 10% PEG in medium.", "PEG", "Polyethylene glycol"),
    ("Sperm were cryopreserved in a medium with EG and glycerol.", "EG", "Ethylene glycol"),
]


def _mentions(text: str, surface: str) -> list[str]:
    document = MINER.mine(text)
    return [m.canonical for m in document.mentions if m.text == surface]


@pytest.mark.parametrize(("text", "surface"), NOT_CPA)
def test_other_senses_do_not_link(text: str, surface: str) -> None:
    assert _mentions(text, surface) == [], text
    document = MINER.mine(text)
    assert any(r.text == surface for r in document.rejected) or surface not in text


@pytest.mark.parametrize(("text", "surface", "canonical"), CPA)
def test_cryoprotectant_senses_link(text: str, surface: str, canonical: str) -> None:
    found = _mentions(text, surface)
    assert found and set(found) == {canonical}, (text, MINER.mine(text).rejected)


def test_lower_case_never_matches_abbreviations() -> None:
    document = MINER.mine("Cells were frozen in eg and pg mixtures, e.g. with fa.")
    assert not [m for m in document.mentions if m.canonical in {"Ethylene glycol", "1,2-Propanediol", "Formamide"}]


def test_abbreviation_never_matches_inside_a_word() -> None:
    document = MINER.mine("PEG-ylated proteins and PGE2 and EGFR were frozen at -80 °C in 10% DMSO.")
    assert [m.text for m in document.mentions] == ["PEG", "DMSO"] or "EG" not in [m.text for m in document.mentions]
    assert all(m.text not in {"EG", "PG"} for m in document.mentions)


def test_rejection_reasons_are_explained() -> None:
    document = MINER.mine("Prostaglandin (PG) release was measured. PG rose.")
    reasons = {r.reason for r in document.rejected}
    assert reasons == {"defined in the text as 'Prostaglandin'"}


def test_accepted_ambiguous_mentions_carry_their_resolution() -> None:
    document = MINER.mine("Oocytes were vitrified in 15% EG. Ethylene glycol (EG) is permeable.")
    resolutions = {m.resolution for m in document.mentions if m.text == "EG"}
    assert resolutions == {"defined_in_text"}  # the definition outranks the concentration rule
    (plain,) = [m for m in MINER.mine("Oocytes were vitrified in 15% EG.").mentions if m.text == "EG"]
    assert plain.ambiguous and plain.resolution == "concentration+cryo_context"
