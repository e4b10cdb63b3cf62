"""DrugBank readers: the real vocabulary rows (both layouts) and XML written to the published XSD."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import InputError, RowError
from cryodesk.sources.drugbank import iter_drugbank_xml, iter_vocabulary
from tests.conftest import FIXTURES

VOCAB = FIXTURES / "drugbank" / "drugbank_vocabulary.ITU-semicolon-reexport.HEAD14.csv"

# Element names and nesting follow DrugBank's published drugbank.xsd (drug-type sequence); values
# are those of the real DB00898 (ethanol) entry's public record, trimmed to the fields we read.
XML = """<?xml version="1.0" encoding="UTF-8"?>
<drugbank xmlns="http://www.drugbank.ca" version="5.1" exported-on="2024-01-03">
<drug type="small molecule" created="2005-06-13" updated="2024-01-02">
  <drugbank-id primary="true">DB00898</drugbank-id>
  <drugbank-id>APRD00479</drugbank-id>
  <name>Ethanol</name>
  <description>A clear, colorless liquid.</description>
  <cas-number>64-17-5</cas-number>
  <unii>3K9958V90M</unii>
  <state>liquid</state>
  <groups><group>approved</group></groups>
  <toxicity>LD50 oral rat 7060 mg/kg</toxicity>
  <metabolism>Hepatic, by alcohol dehydrogenase.</metabolism>
  <half-life>4-5 hours</half-life>
  <synonyms><synonym language="english" coder="">Alcohol</synonym><synonym>Ethyl alcohol</synonym></synonyms>
  <categories><category><category>Anti-Infective Agents, Local</category><mesh-id>D000892</mesh-id></category></categories>
  <atc-codes><atc-code code="V03AB16"><level code="V03AB">Antidotes</level></atc-code></atc-codes>
  <calculated-properties>
    <property><kind>SMILES</kind><value>CCO</value><source>ChemAxon</source></property>
    <property><kind>InChIKey</kind><value>LFQSCWFLJHTTHZ-UHFFFAOYSA-N</value><source>ChemAxon</source></property>
  </calculated-properties>
  <external-identifiers>
    <external-identifier><resource>PubChem Compound</resource><identifier>702</identifier></external-identifier>
    <external-identifier><resource>ChEMBL</resource><identifier>CHEMBL545</identifier></external-identifier>
  </external-identifiers>
  <targets><target position="1"><id>BE0000395</id><name>Glycine receptor subunit alpha-1</name>
    <organism>Humans</organism><actions><action>agonist</action></actions></target></targets>
  <enzymes/>
</drug>
<drug type="biotech" created="2005-06-13" updated="2024-01-02">
  <drugbank-id primary="true">DB00001</drugbank-id><name>Lepirudin</name><cas-number>138068-37-8</cas-number>
  <groups><group>approved</group><group>withdrawn</group></groups>
</drug>
</drugbank>
"""


def test_semicolon_reexport_with_column_line() -> None:
    rows = list(iter_vocabulary(VOCAB))
    assert all(not isinstance(r, RowError) for r in rows)
    assert rows[0].drugbank_id == "DB00001" and rows[0].name == "Lepirudin" and rows[0].cas == "138068-37-8"
    goserelin = next(r for r in rows if r.drugbank_id == "DB00014")
    assert goserelin.inchikey == "BLCLNMBMMGCOAS-URPVMXJPSA-N"
    assert "Menotropins (FSH;LH)" in rows[-1].synonyms  # a ';' inside a quoted cell stays


def test_official_comma_layout(tmp_path: Path) -> None:
    official = tmp_path / "drugbank vocabulary.csv"
    official.write_text(
        "DrugBank ID,Accession Numbers,Common name,CAS,UNII,Synonyms,Standard InChI Key\n"
        'DB00898,APRD00479,Ethanol,64-17-5,3K9958V90M,"Alcohol | Ethyl alcohol, absolute",LFQSCWFLJHTTHZ-UHFFFAOYSA-N\n'
        "X1,,,,,,\n", encoding="utf-8")
    rows = list(iter_vocabulary(official))
    assert rows[0].synonyms == ("Alcohol", "Ethyl alcohol, absolute")
    assert isinstance(rows[1], RowError) and rows[1].row == 3


def test_not_a_vocabulary_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not a DrugBank vocabulary file"):
        list(iter_vocabulary(bad))


def test_xml_fields_and_resume_index(tmp_path: Path) -> None:
    path = tmp_path / "full database.xml"
    path.write_text(XML, encoding="utf-8")
    drugs = list(iter_drugbank_xml(path))
    ethanol = drugs[0]
    assert (ethanol.drugbank_id, ethanol.other_ids, ethanol.smiles) == ("DB00898", ("APRD00479",), "CCO")
    assert ethanol.groups == ("approved",) and ethanol.atc_codes == ("V03AB16",)
    assert ethanol.categories == ("Anti-Infective Agents, Local",)
    assert ethanol.toxicity.startswith("LD50") and ethanol.half_life == "4-5 hours"
    assert ethanol.targets[0].actions == ("agonist",)
    assert ("ChEMBL", "CHEMBL545") in ethanol.external_ids
    assert drugs[1].smiles is None and drugs[1].groups == ("approved", "withdrawn")
    assert [d.index for d in iter_drugbank_xml(path, start_index=1)] == [2]


def test_xml_external_entity_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE drugbank [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                    '<drugbank xmlns="http://www.drugbank.ca"><drug><name>&xxe;</name></drug></drugbank>')
    with pytest.raises(InputError, match="refused unsafe XML"):
        list(iter_drugbank_xml(path))


def test_xml_malformed_and_wrong_root(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text('<drugbank xmlns="http://www.drugbank.ca"><drug>')
    with pytest.raises(InputError, match="not well-formed"):
        list(iter_drugbank_xml(broken))
    other = tmp_path / "other.xml"
    other.write_text("<chembl/>")
    with pytest.raises(InputError, match="not <drugbank>"):
        list(iter_drugbank_xml(other))
