"""What every sanctions reader shares: the entry frame, safe XML parsing with clear errors, text helpers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.schema import SANCTIONS, conform

LIST_FIELDS = ("aliases", "programmes", "countries", "addresses", "identifiers")


def unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values, stripped, first occurrence kept, in order."""
    seen: dict[str, None] = {}
    for value in values:
        text = " ".join(value.split()) if value else ""
        if text:
            seen.setdefault(text, None)
    return list(seen)


def entries_frame(entries: list[dict[str, Any]], path: Path | str) -> pl.DataFrame:
    """The `sanctions` table from entry dicts (list fields deduplicated); InputError on an empty or
    ambiguous file (no entry, or one id twice in the same list)."""
    if not entries:
        raise InputError(path, "no sanctions entries in the file")
    for entry in entries:
        for name in LIST_FIELDS:
            entry[name] = unique(entry.get(name) or [])
        entry["aliases"] = [a for a in entry["aliases"] if a != entry["name"]]
        entry.setdefault("listed_on", None)
        entry.setdefault("remarks", None)
        entry["source"] = str(path)
    frame = pl.DataFrame(entries, schema=SANCTIONS, strict=False)
    duplicated = frame.filter(pl.struct("list", "entry_id").is_duplicated())
    if duplicated.height:
        raise InputError(path, f"entry id {duplicated['entry_id'][0]!r} appears twice", field="entry_id")
    missing = frame.filter(pl.col("name").fill_null("") == "")
    if missing.height:
        raise InputError(path, f"entry {missing['entry_id'][0]!r} has no name", field="name")
    return conform(frame, "sanctions").collect()


def parse_xml(path: Path) -> ET.Element:
    """The root element of an XML file; InputError with the line of a malformed or truncated file.

    ElementTree never fetches external entities, and expat (>= 2.4.1) refuses entity expansion bombs.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InputError(path, f"malformed or truncated XML: {exc}", row=line) from None


def local(tag: str) -> str:
    """A tag without its namespace."""
    return tag.rpartition("}")[2]


def child_text(element: ET.Element | None, name: str) -> str | None:
    """Stripped text of the first direct child named `name` (any namespace), or None."""
    if element is None:
        return None
    for child in element:
        if local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def children(element: ET.Element | None, name: str) -> list[ET.Element]:
    """Direct children named `name` (any namespace)."""
    return [c for c in element if local(c.tag) == name] if element is not None else []


def iso_date(text: str | None) -> date | None:
    """A YYYY-MM-DD (or longer ISO timestamp) text as a date, None when absent or unparsable."""
    if not text or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def join_parts(*parts: str | None) -> str | None:
    """Non-empty parts joined with ', ' (one address line), or None."""
    kept = unique(parts)
    return ", ".join(kept) if kept else None
