"""OFAC Sanctions List Service XML: the classic `sdnList` export and the ENHANCED_XML `sanctionsData`.

Both become the `sanctions` table; the reader picks the format from the root element. Entry ids
are OFAC's uid / entity id (the legacy CSV's ent_num), so the three formats agree on ids.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.geo import iso3_from_name
from tradesentinel.pipeline.sources.ofac_terms import ID_PATTERN, TYPES
from tradesentinel.pipeline.sources.sanctions import (
    child_text,
    children,
    entries_frame,
    iso_date,
    join_parts,
    local,
    parse_xml,
    unique,
)

_ID = re.compile(ID_PATTERN)
COUNTRY_FEATURES = (
    "Nationality Country",
    "Citizenship Country",
    "Vessel Flag",
    "Nationality of Registration",
)


def _name(first: str | None, last: str | None) -> str | None:
    """OFAC's 'LAST, First' for people, the last name alone for entities."""
    return f"{last}, {first}" if first and last else last or first


def _classic_entry(entry: ET.Element, list_name: str) -> dict[str, Any]:
    uid = child_text(entry, "uid")
    ids, countries, remarks = [], [], [child_text(entry, "remarks")]
    for item in children(children(entry, "idList")[0], "id") if children(entry, "idList") else []:
        kind, number, country = (child_text(item, k) for k in ("idType", "idNumber", "idCountry"))
        line = f"{kind} {number}" + (f" ({country})" if country else "")
        if kind and _ID.match(f"{kind} "):
            ids.append(line)
        elif kind == "Vessel Flag":
            countries.append(iso3_from_name(number))
        else:
            remarks.append(line)
        countries.append(iso3_from_name(country))
    addresses = []
    for address in entry.iter():
        if local(address.tag) != "address":
            continue
        parts = [
            child_text(address, k)
            for k in ("address1", "address2", "address3", "city", "stateOrProvince", "postalCode", "country")
        ]
        addresses.append(join_parts(*parts))
        countries.append(iso3_from_name(child_text(address, "country")))
    for holder in entry.iter():
        if local(holder.tag) in ("nationality", "citizenship"):
            countries.append(iso3_from_name(child_text(holder, "country")))
        elif local(holder.tag) == "dateOfBirthItem":
            remarks.append(f"DOB {child_text(holder, 'dateOfBirth')}")
        elif local(holder.tag) == "placeOfBirthItem":
            remarks.append(f"POB {child_text(holder, 'placeOfBirth')}")
    akas = [
        _name(child_text(a, "firstName"), child_text(a, "lastName"))
        for a in entry.iter()
        if local(a.tag) == "aka"
    ]
    programmes = [(p.text or "").strip() for p in entry.iter() if local(p.tag) == "program"]
    return {
        "list": list_name,
        "entry_id": uid,
        "name": _name(child_text(entry, "firstName"), child_text(entry, "lastName")),
        "aliases": akas,
        "entity_type": TYPES.get((child_text(entry, "sdnType") or "").lower(), "entity"),
        "programmes": programmes,
        "countries": countries,
        "addresses": addresses,
        "identifiers": ids,
        "remarks": "; ".join(unique(remarks)) or None,
    }


def _translation_name(name: ET.Element) -> list[str]:
    return [t.text.strip() for t in name.iter() if local(t.tag) == "formattedFullName" and t.text]


def _enhanced_entry(entity: ET.Element) -> dict[str, Any]:
    info = children(entity, "generalInfo")[0] if children(entity, "generalInfo") else None
    names = [n for n in entity.iter() if local(n.tag) == "name" and children(n, "isPrimary")]
    primary = [v for n in names if child_text(n, "isPrimary") == "true" for v in _translation_name(n)]
    others = [v for n in names for v in _translation_name(n) if not primary or v != primary[0]]
    lists = [e for e in entity.iter() if local(e.tag) == "sanctionsList"]
    dates = sorted(d for d in (iso_date(e.get("datePublished")) for e in lists) if d)
    countries, addresses, remarks = [], [], []
    for address in (a for a in entity.iter() if local(a.tag) == "address"):
        country = child_text(address, "country")
        parts = [v.text for v in address.iter() if local(v.tag) == "value" and v.text]
        addresses.append(join_parts(*parts, country))
        countries.append(iso3_from_name(country))
    for feature in (f for f in entity.iter() if local(f.tag) == "feature"):
        kind, value = child_text(feature, "type"), child_text(feature, "value")
        if kind in COUNTRY_FEATURES:
            countries.append(iso3_from_name(value))
        remarks.append(f"{kind} {value}" if value else kind)
    ids = []
    for doc in (d for d in entity.iter() if local(d.tag) == "identityDocument"):
        country = child_text(doc, "issuingCountry")
        ids.append(
            f"{child_text(doc, 'type')} {child_text(doc, 'documentNumber')}"
            + (f" ({country})" if country else "")
        )
        countries.append(iso3_from_name(country))
    kind = (child_text(info, "entityType") or "").lower()
    return {
        "list": "OFAC-SDN" if any((e.text or "").strip() == "SDN List" for e in lists) else "OFAC-CONS",
        "entry_id": entity.get("id"),
        "name": primary[0] if primary else (others[0] if others else None),
        "aliases": others,
        "entity_type": TYPES.get(kind, "entity"),
        "programmes": [(p.text or "").strip() for p in entity.iter() if local(p.tag) == "sanctionsProgram"],
        "countries": countries,
        "addresses": addresses,
        "identifiers": ids,
        "listed_on": dates[0] if dates else None,
        "remarks": "; ".join(unique(remarks)) or None,
    }


def read_ofac_xml(path: Path, *, list_name: str | None = None) -> pl.DataFrame:
    """The `sanctions` table from a classic (sdnList) or ENHANCED_XML (sanctionsData) OFAC file.

    The classic format does not say which list it is: `list_name` defaults to OFAC-CONS when the
    file name says 'cons' (consolidated non-SDN) and OFAC-SDN otherwise. Enhanced entries carry
    their lists: SDN List entries are OFAC-SDN, the others OFAC-CONS.
    """
    path = Path(path)
    root = parse_xml(path)
    kind = local(root.tag)
    if kind == "sdnList":
        name = list_name or ("OFAC-CONS" if "cons" in path.name.lower() else "OFAC-SDN")
        entries = [_classic_entry(e, name) for e in root if local(e.tag) == "sdnEntry"]
        info = [e for e in root if local(e.tag) == "publshInformation"]
        count = child_text(info[0], "Record_Count") if info else None
        if count and count.isdigit() and int(count) != len(entries):
            raise InputError(
                path,
                f"Record_Count says {count} entries, the file holds {len(entries)}: incomplete file",
                field="Record_Count",
            )
    elif kind == "sanctionsData":
        holder = [e for e in root if local(e.tag) == "entities"]
        entries = [_enhanced_entry(e) for e in (holder[0] if holder else []) if local(e.tag) == "entity"]
        if list_name:
            for entry in entries:
                entry["list"] = list_name
    else:
        raise InputError(path, f"root element <{kind}> is neither an OFAC sdnList nor sanctionsData")
    for entry in entries:
        if not entry["entry_id"]:
            raise InputError(path, f"an entry named {entry['name']!r} has no uid/id", field="uid")
    return entries_frame(entries, path)
