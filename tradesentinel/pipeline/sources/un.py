"""UN Security Council consolidated sanctions list (XML) into the `sanctions` table.

Root `CONSOLIDATED_LIST`; people under INDIVIDUALS/INDIVIDUAL (name in FIRST_NAME..FOURTH_NAME),
entities under ENTITIES/ENTITY (name in FIRST_NAME). Entry ids are the list's DATAID; the
reference number (e.g. CDi.001) and the regime (UN_LIST_TYPE) are kept as identifier and programme.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.geo import iso3_from_name
from tradesentinel.pipeline.sources.sanctions import (
    child_text,
    children,
    entries_frame,
    iso_date,
    join_parts,
    parse_xml,
    unique,
)

LIST_NAME = "UN-SC"
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
ADDRESS_PARTS = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY", "NOTE")


def _values(element: ET.Element, name: str) -> list[str]:
    """The VALUE texts under every child `name` (NATIONALITY/VALUE, DESIGNATION/VALUE...)."""
    return [v.text.strip() for holder in children(element, name) for v in children(holder, "VALUE") if v.text]


def _document(doc: ET.Element) -> str | None:
    kind = child_text(doc, "TYPE_OF_DOCUMENT") or child_text(doc, "TYPE_OF_DOCUMENT2")
    number = child_text(doc, "NUMBER")
    if not number:
        return None
    country = child_text(doc, "ISSUING_COUNTRY") or child_text(doc, "COUNTRY_OF_ISSUE")
    return f"{kind or 'Document'} {number}" + (f" ({country})" if country else "")


def _birth(item: ET.Element) -> str | None:
    """'DOB 1971' / 'DOB 1962-03-15' / 'DOB 1960 to 1962' from an INDIVIDUAL_DATE_OF_BIRTH element."""
    exact = child_text(item, "DATE") or child_text(item, "YEAR")
    if exact:
        return f"DOB {exact}"
    start, end = child_text(item, "FROM_YEAR"), child_text(item, "TO_YEAR")
    return f"DOB {start} to {end}" if start and end else None


def _entry(element: ET.Element, kind: str) -> dict[str, Any]:
    prefix = "INDIVIDUAL" if kind == "individual" else "ENTITY"
    name = " ".join(p for p in (child_text(element, n) for n in NAME_PARTS) if p)
    aliases = [child_text(a, "ALIAS_NAME") for a in children(element, f"{prefix}_ALIAS")]
    aliases.append(child_text(element, "NAME_ORIGINAL_SCRIPT"))
    addresses, countries = [], []
    for address in children(element, f"{prefix}_ADDRESS"):
        addresses.append(join_parts(*(child_text(address, p) for p in ADDRESS_PARTS)))
        countries.append(iso3_from_name(child_text(address, "COUNTRY")))
    countries += [iso3_from_name(v) for v in _values(element, "NATIONALITY")]
    documents = children(element, f"{prefix}_DOCUMENT")
    countries += [iso3_from_name(child_text(d, "ISSUING_COUNTRY")) for d in documents]
    reference = child_text(element, "REFERENCE_NUMBER")
    identifiers = [f"UN reference {reference}" if reference else None] + [_document(d) for d in documents]
    births = [_birth(b) for b in children(element, f"{prefix}_DATE_OF_BIRTH")]
    places = [
        join_parts(*(child_text(p, k) for k in ("CITY", "STATE_PROVINCE", "COUNTRY")))
        for p in children(element, f"{prefix}_PLACE_OF_BIRTH")
    ]
    remarks = unique(
        [
            *_values(element, "TITLE"),
            *_values(element, "DESIGNATION"),
            *births,
            *(f"POB {p}" for p in places if p),
            child_text(element, "COMMENTS1"),
        ]
    )
    return {
        "list": LIST_NAME,
        "entry_id": child_text(element, "DATAID"),
        "name": name or None,
        "aliases": aliases,
        "entity_type": kind,
        "programmes": [child_text(element, "UN_LIST_TYPE")],
        "countries": countries,
        "addresses": addresses,
        "identifiers": identifiers,
        "listed_on": iso_date(child_text(element, "LISTED_ON")),
        "remarks": "; ".join(remarks) or None,
    }


def read_un_xml(path: Path) -> pl.DataFrame:
    """The `sanctions` table from the UN Security Council consolidated list XML (people and entities)."""
    path = Path(path)
    root = parse_xml(path)
    if root.tag != "CONSOLIDATED_LIST":
        raise InputError(path, f"root element <{root.tag}> is not the UN CONSOLIDATED_LIST")
    entries = [
        _entry(e, "individual")
        for holder in children(root, "INDIVIDUALS")
        for e in children(holder, "INDIVIDUAL")
    ]
    entries += [
        _entry(e, "entity") for holder in children(root, "ENTITIES") for e in children(holder, "ENTITY")
    ]
    for entry in entries:
        if not entry["entry_id"]:
            raise InputError(path, f"an entry named {entry['name']!r} has no DATAID", field="DATAID")
    return entries_frame(entries, path)
