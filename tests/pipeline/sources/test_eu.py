"""EU FSF: XML and CSV written after the XSD and the documented layout (no real EU file in the fixtures)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.eu import read_eu_csv, read_eu_xml
from tradesentinel.schema import SANCTIONS

XML = """<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2024-05-06T10:00:00" globalFileId="171">
  <sanctionEntity designationDate="2022-02-23" designationDetails="" unitedNationId="" euReferenceNumber="EU.7000.23" logicalId="139133">
    <remark>Member of the Security Council of the Russian Federation.</remark>
    <regulation regulationType="amendment" organisationType="council" publicationDate="2022-02-23"
        entryIntoForceDate="2022-02-23" numberTitle="2022/260 (OJ L42I)" programme="UKR" logicalId="1">
      <publicationUrl>https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L:2022:042I:FULL</publicationUrl>
    </regulation>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Sergei" middleName="Kuzhugetovich" lastName="Shoigu" wholeName="Sergei Kuzhugetovich SHOIGU"
        function="Minister of Defence" gender="M" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="2"/>
    <nameAlias firstName="" middleName="" lastName="" wholeName="Сергей Кужугетович Шойгу" function="" gender="M"
        title="" nameLanguage="RU" strong="true" regulationLanguage="en" logicalId="3"/>
    <citizenship region="" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" regulationLanguage="en" logicalId="4"/>
    <birthdate circa="false" calendarType="GREGORIAN" city="Chadan" birthdate="1955-05-21" dayOfMonth="21" monthOfYear="5"
        year="1955" region="" place="" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="10"/>
    <address city="Moscow" street="Frunzenskaya nab. 22" poBox="" zipCode="119160" region="" place=""
        countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" asAtListingTime="false" logicalId="5"/>
  </sanctionEntity>
  <sanctionEntity designationDate="" designationDetails="" unitedNationId="" euReferenceNumber="EU.8.58" logicalId="13">
    <regulation regulationType="regulation" organisationType="commission" publicationDate="2014-03-17"
        entryIntoForceDate="2014-03-17" numberTitle="269/2014" programme="UKR" logicalId="6"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Sovfracht" strong="true" logicalId="7"/>
    <nameAlias wholeName="Sovfracht-Sovmortrans Group" strong="true" logicalId="8"/>
    <identification identificationTypeCode="regnumber" identificationTypeDescription="Registration Number"
        number="1027739028712" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="9"/>
  </sanctionEntity>
</export>
"""

HEADER = (
    "fileGenerationDate;Entity_LogicalId;Entity_EU_ReferenceNumber;Entity_UnitedNationId;Entity_DesignationDate;"
    "Entity_DesignationDetails;Entity_Remark;Entity_SubjectType;Entity_SubjectType_ClassificationCode;"
    "Entity_Regulation_Programme;NameAlias_LastName;NameAlias_FirstName;NameAlias_WholeName;Address_City;"
    "Address_Street;Address_ZipCode;Address_CountryIso2Code;Address_CountryDescription;Identification_Number;"
    "Identification_TypeDescription;Identification_CountryIso2Code;Identification_CountryDescription;"
    "Citizenship_CountryIso2Code;BirthDate_BirthDate"
)
ROWS = [
    "06/05/2024;139133;EU.7000.23;;2022-02-23;;Member of the Security Council;person;P;UKR;Shoigu;Sergei;Sergei Kuzhugetovich SHOIGU;;;;;;;;;;RU;1955-05-21",
    "06/05/2024;139133;EU.7000.23;;2022-02-23;;;person;P;UKR;;;Сергей Кужугетович Шойгу;Moscow;Frunzenskaya nab. 22;119160;RU;RUSSIAN FEDERATION;;;;;;",
    "06/05/2024;13;EU.8.58;;2014-03-17;;;enterprise;E;UKR;;;Sovfracht;;;;;;1027739028712;Registration Number;RU;RUSSIAN FEDERATION;;",
]


def _check(table: pl.DataFrame) -> None:
    assert table.schema == pl.Schema(SANCTIONS) and table.height == 2 and set(table["list"]) == {"EU-FSF"}
    shoigu, sovfracht = (table.filter(pl.col("entry_id") == i).row(0, named=True) for i in ("139133", "13"))
    assert (shoigu["name"], shoigu["aliases"]) == (
        "Sergei Kuzhugetovich SHOIGU",
        ["Сергей Кужугетович Шойгу"],
    )
    assert (shoigu["entity_type"], shoigu["programmes"], shoigu["countries"]) == (
        "individual",
        ["UKR"],
        ["RUS"],
    )
    assert shoigu["listed_on"] == date(2022, 2, 23) and "EU reference EU.7000.23" in shoigu["identifiers"]
    assert "DOB 1955-05-21" in shoigu["remarks"]
    assert any("Frunzenskaya nab. 22" in a and "Moscow" in a for a in shoigu["addresses"])
    assert sovfracht["entity_type"] == "entity" and sovfracht["countries"] == ["RUS"]
    assert "Registration Number 1027739028712 (RUSSIAN FEDERATION)" in sovfracht["identifiers"]


def test_xml_export(tmp_path):
    path = tmp_path / "eu.xml"
    path.write_text(XML)
    table = read_eu_xml(path)
    _check(table)
    sovfracht = table.filter(pl.col("entry_id") == "13").row(0, named=True)
    assert sovfracht["aliases"] == ["Sovfracht-Sovmortrans Group"] and sovfracht["listed_on"] == date(
        2014, 3, 17
    )
    path.write_text(XML[:1500])
    with pytest.raises(InputError, match=r"eu\.xml, row \d+: malformed or truncated XML"):
        read_eu_xml(path)


def test_semicolon_csv_with_bom(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_bytes(("\ufeff" + HEADER + "\r\n" + "\r\n".join(ROWS) + "\r\n").encode())
    _check(read_eu_csv(path))
    path.write_bytes(("\ufeff" + HEADER + "\n" + ROWS[0] + "\n" + ROWS[1][:9] + "\n").encode())
    with pytest.raises(InputError, match=r"eu\.csv, row 3, field 'Entity_LogicalId'"):
        read_eu_csv(path)
    path.write_text(HEADER.replace(";", ",") + "\n")
    with pytest.raises(InputError, match="not separated by semicolons"):
        read_eu_csv(path)
