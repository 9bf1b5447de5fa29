"""Screen a name (or an identifier) against the sanctions lists that are loaded: a verdict with its proof.

The verdict is `match` (a listed name or alias scores >= MATCH_AT), `possible_match` (>= POSSIBLE_AT)
or `no_match`; identifiers (passport, tax and company numbers, IMO, SWIFT/BIC) match exactly after
folding case and punctuation. A `no_match` names the lists it was checked against, with their
sizes and dates, and says plainly when only DEMO or partial lists are loaded: "no match" against a
fictitious list is not an all-clear. Thresholds and their measured precision and recall on real
OFAC and UN alias pairs: docs/assistant.md ("Screening").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Literal

import polars as pl
from pydantic import BaseModel

from tradesentinel.investigate.tables import TableStore
from tradesentinel.retrieval.matching import NameIndex, normalise_name

MATCH_AT = 92.0
"""Name score (0..100) at and above which a listed name or alias is a match."""
POSSIBLE_AT = 82.0
"""Name score at and above which it is a possible match (an analyst should look)."""
Verdict = Literal["match", "possible_match", "no_match"]
_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-.]*\d[A-Za-z0-9/\-.]*")


class ListStatus(BaseModel):
    """One loaded sanctions list: how many entries, its newest designation, when it was loaded."""

    list: str
    entries: int
    newest_listing: date | None
    loaded_on: date | None
    demo: bool


class ScreenMatch(BaseModel):
    """One listed entry the query matched, with what matched and how strongly."""

    list: str
    entry_id: str
    name: str
    matched: str
    is_alias: bool
    by: Literal["name", "identifier"]
    score: float
    view: str
    entity_type: str | None
    programmes: list[str]
    countries: list[str]
    listed_on: date | None
    how: str


class Screening(BaseModel):
    """The verdict on one query, the entries behind it, and the lists it was checked against."""

    query: str
    verdict: Verdict
    match_at: float
    possible_at: float
    matches: list[ScreenMatch]
    lists: list[ListStatus]
    caveat: str | None


def id_key(text: str) -> str:
    """An identifier folded for exact comparison: upper case, letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def identifier_tokens(text: str) -> list[str]:
    """Identifier-like tokens of a text (at least 5 characters, at least 3 digits), folded."""
    out = []
    for token in _ID_TOKEN.findall(text or ""):
        key = id_key(token)
        if len(key) >= 5 and sum(ch.isdigit() for ch in key) >= 3:
            out.append(key)
    return out


def _identifier_index(sanctions: pl.DataFrame | None) -> dict[str, list[tuple[int, str]]]:
    """Folded identifier number -> (row, the identifier as listed), over every entry's identifiers."""
    index: dict[str, list[tuple[int, str]]] = {}
    if sanctions is None:
        return index
    for row, identifiers in enumerate(sanctions["identifiers"].to_list()):
        for listed in identifiers or []:
            for key in identifier_tokens(listed):
                index.setdefault(key, []).append((row, listed))
    return index


def list_status(tables: TableStore) -> list[ListStatus]:
    """The sanctions lists in the table: size, newest designation, the day the table was written."""
    sanctions = tables.table("sanctions")
    if sanctions is None or sanctions.is_empty():
        return []
    stamp = tables.stamp("sanctions")
    loaded = datetime.fromtimestamp(stamp[0], UTC).date() if stamp else None
    per_list = (
        sanctions.group_by("list")
        .agg(pl.len().alias("entries"), pl.col("listed_on").max().alias("newest"))
        .sort("list")
    )
    return [
        ListStatus(
            list=r["list"],
            entries=r["entries"],
            newest_listing=r["newest"],
            loaded_on=loaded,
            demo=r["list"] == "DEMO",
        )
        for r in per_list.iter_rows(named=True)
    ]


def _caveat(lists: list[ListStatus]) -> str | None:
    if not lists:
        return "no sanctions list is loaded: run `tradesentinel ingest ofac|eu|un` (nothing was checked)"
    if all(s.demo for s in lists):
        return "only the fictitious DEMO list is loaded: this is not a screening against real lists"
    return None


def _entry_match(row: dict, matched: str, *, is_alias: bool, by: str, score: float, view: str) -> ScreenMatch:
    how = (
        f"identifier {matched!r} of {row['list']} {row['entry_id']}"
        if by == "identifier"
        else f"{'alias' if is_alias else 'name'} {matched!r} of {row['list']} {row['entry_id']} "
        f"({score:.0f}/100, {view})"
    )
    return ScreenMatch(
        list=row["list"],
        entry_id=row["entry_id"],
        name=row["name"],
        matched=matched,
        is_alias=is_alias,
        by=by,  # type: ignore[arg-type]
        score=score,
        view=view,
        entity_type=row.get("entity_type"),
        programmes=list(row.get("programmes") or []),
        countries=list(row.get("countries") or []),
        listed_on=row.get("listed_on"),
        how=how,
    )


def screen(
    tables: TableStore, query: str, *, lists: tuple[str, ...] | None = None, limit: int = 5
) -> Screening:
    """Screen `query` (a name, or text holding an identifier) against the loaded lists (or `lists`)."""
    sanctions = tables.table("sanctions")
    status = [s for s in list_status(tables) if lists is None or s.list in lists]
    found: dict[tuple[str, str], ScreenMatch] = {}
    if sanctions is not None and not sanctions.is_empty():
        ids = tables.derived("sanctions", "identifiers", _identifier_index)
        for key in identifier_tokens(query):
            for row, listed in ids.get(key, []):
                entry = sanctions.row(row, named=True)
                found[(entry["list"], entry["entry_id"])] = _entry_match(
                    entry, listed, is_alias=False, by="identifier", score=100.0, view="exact"
                )
        if normalise_name(query):
            index = tables.derived("sanctions", "names", lambda t: NameIndex(t))
            for m in index.match(query, threshold=POSSIBLE_AT, limit=limit * 2):
                key = (m.list, m.entry_id)
                if key in found:
                    continue
                entry = index.entry(m)
                found[key] = _entry_match(
                    entry, m.matched, is_alias=m.is_alias, by="name", score=m.score, view=m.view
                )
    chosen = [m for m in found.values() if lists is None or m.list in lists]
    chosen.sort(key=lambda m: (-m.score, m.by != "identifier", m.list, m.entry_id))
    chosen = chosen[:limit]
    best = chosen[0].score if chosen else 0.0
    verdict: Verdict = (
        "match" if best >= MATCH_AT else "possible_match" if best >= POSSIBLE_AT else "no_match"
    )
    return Screening(
        query=query,
        verdict=verdict,
        match_at=MATCH_AT,
        possible_at=POSSIBLE_AT,
        matches=chosen,
        lists=status,
        caveat=_caveat(status),
    )


class ListedParties(BaseModel):
    """Listed parties tied to a country (address, nationality, registration), newest listing first."""

    country: str
    entries: list[ScreenMatch]
    total: int
    lists: list[ListStatus]
    caveat: str | None


def listed_in(
    tables: TableStore, country: str, *, entity_type: str | None = None, limit: int = 10
) -> ListedParties:
    """Entries of the loaded lists that name `country` (ISO3), optionally of one entity type."""
    sanctions = tables.table("sanctions")
    status = list_status(tables)
    if sanctions is None or sanctions.is_empty():
        return ListedParties(country=country, entries=[], total=0, lists=status, caveat=_caveat(status))
    found = sanctions.filter(pl.col("countries").list.contains(country))
    if entity_type:
        found = found.filter(pl.col("entity_type") == entity_type)
    shown = found.sort("listed_on", descending=True, nulls_last=True).head(limit)
    entries = [
        _entry_match(r, r["name"], is_alias=False, by="name", score=100.0, view="country")
        for r in shown.iter_rows(named=True)
    ]
    return ListedParties(
        country=country, entries=entries, total=found.height, lists=status, caveat=_caveat(status)
    )
