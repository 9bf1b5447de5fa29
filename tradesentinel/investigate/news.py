"""News and events about countries, a period and named parties, from the stored news table."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel

from tradesentinel.investigate.tables import TableStore
from tradesentinel.retrieval.matching import normalise_name


class NewsItem(BaseModel):
    """One news item or event."""

    news_id: str
    date: date
    title: str
    countries: list[str]
    url: str | None
    source: str | None


class NewsResult(BaseModel):
    """What matched: the items naming all the asked countries (and names), and how many name only some."""

    items: list[NewsItem]
    total: int
    partial: int
    countries: list[str]
    period_from: date | None
    period_to: date | None
    names: list[str]


def news(
    tables: TableStore,
    *,
    countries: tuple[str, ...] = (),
    period_from: date | None = None,
    period_to: date | None = None,
    names: tuple[str, ...] = (),
    limit: int = 5,
) -> NewsResult:
    """Items naming every country in `countries` (and, when given, any of `names` in the title),
    in the period, newest first; `partial` counts those naming only some of the countries."""
    table = tables.table("news")
    empty = NewsResult(
        items=[],
        total=0,
        partial=0,
        countries=list(countries),
        period_from=period_from,
        period_to=period_to,
        names=list(names),
    )
    if table is None or table.is_empty():
        return empty
    when = pl.lit(True)
    if period_from:
        when &= pl.col("date") >= period_from
    if period_to:
        when &= pl.col("date") <= period_to
    if names:
        wanted = [normalise_name(n) for n in names if normalise_name(n)]
        title = pl.col("title").map_elements(normalise_name, return_dtype=pl.String)
        when &= pl.any_horizontal(title.str.contains(w, literal=True) for w in wanted) if wanted else True
    scoped = table.filter(when)
    hits = [pl.col("countries").list.contains(c) for c in countries]
    every = scoped.filter(pl.all_horizontal(hits)) if hits else scoped
    some = scoped.filter(pl.any_horizontal(hits)).height - every.height if len(hits) > 1 else 0
    shown = every.sort("date", descending=True).head(limit)
    return empty.model_copy(
        update={
            "items": [
                NewsItem(**{k: r[k] for k in NewsItem.model_fields}) for r in shown.iter_rows(named=True)
            ],
            "total": every.height,
            "partial": some,
        }
    )
