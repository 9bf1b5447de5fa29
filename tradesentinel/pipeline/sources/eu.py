"""EU Financial Sanctions Files (FSF): the XML export (schema 1.1) and the semicolon CSV, into `sanctions`.

XML: namespace http://eu.europa.ec/fpi/fsd/export, root `export`, one `sanctionEntity` per party with
attributes for ids and dates and children nameAlias, regulation, subjectType, citizenship, address,
identification (countries as ISO2). CSV: `;`-separated, UTF-8 with a BOM, one row per alias,
address or other detail of an entity, grouped here by Entity_LogicalId. No real EU file is among
the test fixtures (the full list is ~25 MB): both readers are tested on small files written after
the XSD and the documented column layout.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.geo import iso3_from_iso2
from tradesentinel.pipeline.sources.sanctions import (
    entries_frame,
    iso_date,
    join_parts,
    local,
    parse_xml,
    unique,
)

LIST_NAME = "EU-FSF"
TYPES = {"person": "individual", "p": "individual", "enterprise": "entity", "e": "entity"}


def _all(entity: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in entity if local(c.tag) == name]


def _identifier(element: ET.Element, kind: str, number: str, country: str) -> str | None:
    value = element.get(number)
    if not value:
        return None
    where = element.get(country)
    return f"{element.get(kind) or 'Identification'} {value}" + (f" ({where})" if where else "")


def _xml_entry(entity: ET.Element) -> dict[str, Any]:
    names = [
        n.get("wholeName") or join_parts(n.get("firstName"), n.get("middleName"), n.get("lastName"))
        for n in _all(entity, "nameAlias")
    ]
    names = [n for n in names if n]
    subject = _all(entity, "subjectType")
    kind = (subject[0].get("code") or subject[0].get("classificationCode") or "").lower() if subject else ""
    regulations = _all(entity, "regulation")
    published = sorted(d for d in (iso_date(r.get("publicationDate")) for r in regulations) if d)
    countries = [
        iso3_from_iso2(e.get("countryIso2Code"))
        for tag in ("citizenship", "address", "identification")
        for e in _all(entity, tag)
    ]
    addresses = [
        join_parts(
            a.get("street"),
            a.get("poBox"),
            a.get("city"),
            a.get("zipCode"),
            a.get("region"),
            a.get("place"),
            a.get("countryDescription"),
        )
        for a in _all(entity, "address")
    ]
    ids = [
        _identifier(i, "identificationTypeDescription", "number", "countryDescription")
        for i in _all(entity, "identification")
    ]
    reference = entity.get("euReferenceNumber")
    remarks = [r.text for r in _all(entity, "remark")] + [entity.get("designationDetails")]
    remarks += [n.get("function") for n in _all(entity, "nameAlias")]
    remarks += [
        f"DOB {b.get('birthdate') or b.get('year')}"
        for b in _all(entity, "birthdate")
        if b.get("birthdate") or b.get("year")
    ]
    return {
        "list": LIST_NAME,
        "entry_id": entity.get("logicalId"),
        "name": names[0] if names else None,
        "aliases": names[1:],
        "entity_type": TYPES.get(kind, "unknown"),
        "programmes": [r.get("programme") for r in regulations],
        "countries": countries,
        "addresses": addresses,
        "identifiers": [f"EU reference {reference}" if reference else None, *ids],
        "listed_on": iso_date(entity.get("designationDate")) or (published[0] if published else None),
        "remarks": "; ".join(unique(remarks)) or None,
    }


def read_eu_xml(path: Path) -> pl.DataFrame:
    """The `sanctions` table from an EU FSF XML export (xmlFullSanctionsList_1_1)."""
    path = Path(path)
    root = parse_xml(path)
    if local(root.tag) != "export":
        raise InputError(path, f"root element <{local(root.tag)}> is not an EU FSF <export>")
    entries = [_xml_entry(e) for e in root if local(e.tag) == "sanctionEntity"]
    for entry in entries:
        if not entry["entry_id"]:
            raise InputError(
                path, f"a sanctionEntity named {entry['name']!r} has no logicalId", field="logicalId"
            )
    return entries_frame(entries, path)


def read_eu_csv(path: Path) -> pl.DataFrame:
    """The `sanctions` table from the EU FSF CSV (`;`, BOM, one row per detail of an entity)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        raw = pl.read_csv(path, separator=";", infer_schema=False, encoding="utf8-lossy", quote_char='"')
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise InputError(path, f"malformed CSV: {str(exc).splitlines()[0]}") from None
    raw = raw.rename({c: c.strip().removeprefix("\ufeff").lower() for c in raw.columns})
    if len(raw.columns) == 1:
        raise InputError(path, "the header is not separated by semicolons: expected the EU FSF CSV")
    for required in ("entity_logicalid", "namealias_wholename"):
        if required not in raw.columns:
            raise InputError(path, f"missing column {required!r}: not an EU FSF CSV", field=required)
    raw = raw.with_row_index("_row", offset=2)  # the header is line 1
    bad = raw.filter(~pl.col("entity_logicalid").fill_null("").str.contains(r"^\d+$"))
    if bad.height:
        row = bad.row(0, named=True)
        raise InputError(
            path,
            f"Entity_LogicalId {row['entity_logicalid']!r} is not a number (truncated line?)",
            row=int(row["_row"]),
            field="Entity_LogicalId",
        )
    get = lambda row, name: row.get(name) or None
    entries: dict[str, dict[str, Any]] = {}
    for row in raw.iter_rows(named=True):
        entry = entries.setdefault(
            row["entity_logicalid"],
            {
                "list": LIST_NAME,
                "entry_id": row["entity_logicalid"],
                "names": [],
                "aliases": [],
                "programmes": [],
                "countries": [],
                "addresses": [],
                "identifiers": [],
                "remarks": [],
                "entity_type": TYPES.get(
                    (
                        get(row, "entity_subjecttype")
                        or get(row, "entity_subjecttype_classificationcode")
                        or ""
                    ).lower(),
                    "unknown",
                ),
                "listed_on": iso_date(get(row, "entity_designationdate")),
            },
        )
        entry["names"].append(get(row, "namealias_wholename"))
        entry["programmes"].append(get(row, "entity_regulation_programme"))
        reference = get(row, "entity_eu_referencenumber")
        entry["identifiers"].append(f"EU reference {reference}" if reference else None)
        entry["remarks"] += [get(row, "entity_remark"), get(row, "entity_designationdetails")]
        born = get(row, "birthdate_birthdate") or get(row, "birthdate_year")
        entry["remarks"].append(f"DOB {born}" if born else None)
        address = [
            get(row, f"address_{k}")
            for k in ("street", "pobox", "city", "zipcode", "region", "place", "countrydescription")
        ]
        entry["addresses"].append(join_parts(*address))
        number = get(row, "identification_number")
        if number:
            where = get(row, "identification_countrydescription")
            kind = (
                get(row, "identification_typedescription")
                or get(row, "identification_typecode")
                or "Identification"
            )
            entry["identifiers"].append(f"{kind} {number}" + (f" ({where})" if where else ""))
        entry["countries"] += [
            iso3_from_iso2(get(row, f"{g}_countryiso2code"))
            for g in ("citizenship", "address", "identification")
        ]
    out = []
    for entry in entries.values():
        names = unique(entry.pop("names"))
        entry["name"], entry["aliases"] = (names[0] if names else None), names[1:]
        entry["remarks"] = "; ".join(unique(entry["remarks"])) or None
        out.append(entry)
    return entries_frame(out, path)
