"""Watchlists: each user's party names, corridors and HS codes. After each `score` or `ingest`,
`refresh` records what they match (strong anomalies, sanctions entries) that was not matched before;
those hits are "new for you" until their owner marks them seen."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlalchemy import select, update

from tradesentinel.cases.db import Database
from tradesentinel.cases.models import WatchHitRow, WatchRow
from tradesentinel.cases.types import Timestamp
from tradesentinel.errors import InvalidArgumentError, NotFoundError, TableNotFoundError, echo
from tradesentinel.investigate.query import TIER_LEVELS
from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import FLOW_WORDS, valid_iso3

WatchKind = Literal["name", "corridor", "hs"]
CORRIDOR = re.compile(r"^([A-Z]{3})(?:\s*[>-]\s*([A-Z]{3}))?$")


def _trimmed(value: str) -> str:
    """`value` without what surrounds it, as it is stored (Python's str.strip, which also takes the
    ASCII separators U+001C-U+001F that pydantic's own stripping keeps); at least 2 characters."""
    value = value.strip()
    if len(value) < 2:
        raise ValueError("must have at least 2 characters besides surrounding whitespace")
    return value


class WatchIn(BaseModel):
    """A watchlist entry: a party name, a corridor (`KGZ>RUS`, or `RUS` for any corridor of it), an HS prefix."""

    kind: WatchKind
    value: Annotated[str, StringConstraints(min_length=2, max_length=200), AfterValidator(_trimmed)]
    """Judged as it will be stored, without surrounding whitespace: "0\\r" and "0\\x1f" are one
    character, refused here rather than stored as "0" and then failing the response's own check."""


class Watch(WatchIn):
    """A stored watchlist entry."""

    id: int
    owner: str
    created_at: Timestamp


class WatchHit(BaseModel):
    """Something a watchlist entry matched."""

    id: int
    watch_kind: str
    watch_value: str
    source: str = Field(description="anomaly or sanctions")
    ref: str = Field(description="the flow_id or the sanctions entry (list:entry_id)")
    text: str
    found_at: Timestamp
    seen: bool


def clean_value(kind: str, value: str) -> str:
    """The entry's value (`WatchIn.value`, already trimmed by `_trimmed`) in its stored form;
    InvalidArgumentError for a corridor or HS code nobody uses."""
    if kind == "corridor":
        match = CORRIDOR.fullmatch(value.upper())
        codes = [c for c in match.groups() if c] if match else []
        if not codes or any(c not in valid_iso3() for c in codes):
            raise InvalidArgumentError("value", f"{echo(value)} is not a corridor such as KGZ>RUS or RUS")
        return ">".join(codes)
    if kind == "hs" and not (value.isdigit() and 2 <= len(value) <= 6):
        raise InvalidArgumentError("value", f"{echo(value)} is not an HS code of 2 to 6 digits")
    return value


@dataclass(frozen=True)
class Found:
    """One match before it is stored."""

    source: str
    ref: str
    text: str


def _strong(anomalies: pl.DataFrame, min_score: float) -> pl.DataFrame:
    if "tier" in anomalies.columns:
        return anomalies.filter(pl.col("tier").is_in(TIER_LEVELS["medium"]))
    return anomalies.filter(pl.col("score") >= min_score)


def _anomaly_text(row: dict) -> str:
    words = FLOW_WORDS.get(row["flow"], row["flow"])
    return (
        f"{row['period']:%Y-%m} {row['reporter']} {words} {row['partner']}, HS {row['hs_code']}: "
        f"score {row['score']:.3f}, rank {row['rank']:,}, {str(row['kind']).replace('_', ' ')}"
    )


def matches(tables: TableStore, kind: str, value: str, min_score: float) -> list[Found]:
    """What one watchlist entry matches in the current tables."""
    if kind == "name":
        sanctions = tables.table("sanctions")
        if sanctions is None or not sanctions.height:
            return []
        needle = value.casefold()
        hit = (
            pl.col("name").str.to_lowercase().str.contains(needle, literal=True)
            | pl.col("aliases")
            .list.eval(pl.element().str.to_lowercase().str.contains(needle, literal=True))
            .list.any()
        )
        return [
            Found("sanctions", f"{r['list']}:{r['entry_id']}", f"{r['list']} lists {r['name']}")
            for r in sanctions.filter(hit).iter_rows(named=True)
        ]
    try:
        anomalies = _strong(tables.snapshot().anomalies, min_score)
    except TableNotFoundError:
        return []
    if kind == "hs":
        found = anomalies.filter(pl.col("hs_code").str.starts_with(value))
    else:
        codes = value.split(">")
        if len(codes) == 2:
            found = anomalies.filter((pl.col("reporter") == codes[0]) & (pl.col("partner") == codes[1]))
        else:
            found = anomalies.filter((pl.col("reporter") == codes[0]) | (pl.col("partner") == codes[0]))
    return [Found("anomaly", r["flow_id"], _anomaly_text(r)) for r in found.head(500).iter_rows(named=True)]


class Watchlists:
    """The watchlists and hits of one database."""

    def __init__(self, db: Database, tables: TableStore):
        self.db = db
        self.tables = tables

    def add(self, owner: str, entry: WatchIn) -> Watch:
        """Add an entry (an existing one is returned as it is) and record what it matches now as seen,
        so "new for you" starts from the next run."""
        value = clean_value(entry.kind, entry.value)
        with self.db.session() as session:
            row = session.scalar(
                select(WatchRow).where(
                    WatchRow.owner == owner, WatchRow.kind == entry.kind, WatchRow.value == value
                )
            )
            if row is None:
                row = WatchRow(owner=owner, kind=entry.kind, value=value)
                session.add(row)
                session.flush()
                for found in matches(self.tables, entry.kind, value, self.db.settings.watch_min_score):
                    session.add(
                        WatchHitRow(
                            watch_id=row.id,
                            owner=owner,
                            source=found.source,
                            ref=found.ref,
                            text=found.text,
                            seen=True,
                        )
                    )
            return Watch(id=row.id, owner=owner, kind=row.kind, value=row.value, created_at=row.created_at)

    def remove(self, owner: str, watch_id: int) -> None:
        """Remove one of the owner's entries and its hits."""
        with self.db.session() as session:
            row = session.get(WatchRow, watch_id)
            if row is None or row.owner != owner:
                raise NotFoundError(f"no watchlist entry {watch_id} of {owner}")
            for hit in session.scalars(select(WatchHitRow).where(WatchHitRow.watch_id == watch_id)).all():
                session.delete(hit)
            session.delete(row)

    def entries(self, owner: str | None = None) -> list[Watch]:
        """The owner's entries (everyone's with None)."""
        query = select(WatchRow).order_by(WatchRow.owner, WatchRow.id)
        if owner:
            query = query.where(WatchRow.owner == owner)
        with self.db.session() as session:
            return [
                Watch(id=r.id, owner=r.owner, kind=r.kind, value=r.value, created_at=r.created_at)
                for r in session.scalars(query).all()
            ]

    def refresh(self) -> int:
        """Record, for every entry, the matches not recorded before (new, unseen); how many were added."""
        added = 0
        with self.db.session() as session:
            for row in session.scalars(select(WatchRow)).all():
                known = set(
                    session.scalars(select(WatchHitRow.ref).where(WatchHitRow.watch_id == row.id)).all()
                )
                for found in matches(self.tables, row.kind, row.value, self.db.settings.watch_min_score):
                    if found.ref not in known:
                        known.add(found.ref)
                        session.add(
                            WatchHitRow(
                                watch_id=row.id,
                                owner=row.owner,
                                source=found.source,
                                ref=found.ref,
                                text=found.text,
                            )
                        )
                        added += 1
        return added

    def new(
        self, owner: str | None = None, *, include_seen: bool = False, limit: int = 500
    ) -> list[WatchHit]:
        """The owner's unseen hits (everyone's with None), newest first."""
        query = (
            select(WatchHitRow, WatchRow.kind, WatchRow.value)
            .join(WatchRow, WatchRow.id == WatchHitRow.watch_id)
            .order_by(WatchHitRow.found_at.desc(), WatchHitRow.id.desc())
            .limit(limit)
        )
        if owner:
            query = query.where(WatchHitRow.owner == owner)
        if not include_seen:
            query = query.where(WatchHitRow.seen.is_(False))
        with self.db.session() as session:
            return [
                WatchHit(
                    id=hit.id,
                    watch_kind=kind,
                    watch_value=value,
                    source=hit.source,
                    ref=hit.ref,
                    text=hit.text,
                    found_at=hit.found_at,
                    seen=hit.seen,
                )
                for hit, kind, value in session.execute(query).all()
            ]

    def mark_seen(self, owner: str | None = None) -> int:
        """Mark the owner's hits (everyone's with None) seen; how many were new."""
        query = update(WatchHitRow).where(WatchHitRow.seen.is_(False)).values(seen=True)
        if owner:
            query = query.where(WatchHitRow.owner == owner)
        with self.db.session() as session:
            return session.execute(query).rowcount or 0
