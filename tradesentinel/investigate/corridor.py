"""One corridor (reporter, partner, flow, HS code of 2, 4 or 6 digits): its monthly series with the
expected-value band, the mirror series and the unit value, and the events about that corridor or its
goods (the others are counted, not shown)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from tradesentinel.errors import InvalidArgumentError, echo
from tradesentinel.investigate.anomalies import record
from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import valid_iso3

EVENTS_SCHEMA = {"date": pl.Date, "kind": pl.String, "text": pl.String}
BAND_MONTHS = 12
"""The trailing window of the expected-value band."""
BAND_WIDTH = 2.0
"""The band is the trailing median +- this many robust standard deviations (1.4826 MAD)."""
HS_MENTION = re.compile(r"\bHS\s?(\d{4,6})\b")
VAGUE = {"other", "whether", "parts", "thereof", "articles", "including", "similar", "those", "goods"}


@dataclass(frozen=True)
class Corridor:
    """One series: reporter, partner, flow direction and HS code (2, 4 or 6 digits: a prefix sums its codes)."""

    reporter: str
    partner: str
    flow: str
    hs_code: str


def corridor(reporter: str, partner: str, flow: str, hs_code: str) -> Corridor:
    """A corridor from loose inputs: countries in any case, HS 2/4/6 digits; InvalidArgumentError naming the field."""
    parts = {}
    for field, value in (("reporter", reporter), ("partner", partner)):
        code = (value or "").strip().upper()
        if code not in valid_iso3():
            raise InvalidArgumentError(field, f"{echo(value)} is not a country code such as RUS")
        parts[field] = code
    hs = (hs_code or "").strip()
    if not (hs.isdigit() and len(hs) in (2, 4, 6)):
        raise InvalidArgumentError("HS code", f"{echo(hs_code)} must have 2, 4 or 6 digits")
    if flow not in ("X", "M", "RX", "RM"):
        raise InvalidArgumentError.choice("flow", flow, ("X", "M", "RX", "RM"))
    return Corridor(parts["reporter"], parts["partner"], flow, hs)


def corridor_of(tables: TableStore, flow_id: str) -> Corridor:
    """The corridor a scored flow belongs to; NotFoundError for an unknown flow_id."""
    row = record(tables.snapshot(), flow_id.strip())
    return Corridor(row["reporter"], row["partner"], row["flow"], row["hs_code"])


def series(tables: TableStore, corridor: Corridor) -> pl.DataFrame:
    """The corridor's months in order: value, mirror value, weight, unit value, the strongest score with
    its rank, kind and flow_id, and the expected band (trailing 12-month median +- 2 robust sd)."""
    frame = tables.snapshot().anomalies
    mine = frame.filter(
        (pl.col("reporter") == corridor.reporter)
        & (pl.col("partner") == corridor.partner)
        & (pl.col("flow") == corridor.flow)
        & pl.col("hs_code").str.starts_with(corridor.hs_code)
    )
    optional = [c for c in ("mirror_value_usd", "net_weight_kg") if c in frame.columns]
    monthly = (
        mine.sort("score", descending=True)
        .group_by("period")
        .agg(
            pl.col("value_usd").sum(),
            *(pl.when(pl.col(c).is_not_null().any()).then(pl.col(c).sum()) for c in optional),
            pl.col("score").first(),
            pl.col("rank").first(),
            pl.col("kind").first(),
            pl.col("flow_id").first(),
            pl.len().alias("codes"),
        )
        .sort("period")
    )
    for column in ("mirror_value_usd", "net_weight_kg"):
        if column not in monthly.columns:
            monthly = monthly.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    return with_band(monthly).with_columns(
        (pl.col("value_usd") / pl.col("net_weight_kg")).alias("unit_value")
    )


def with_band(monthly: pl.DataFrame) -> pl.DataFrame:
    """`expected`, `band_low`, `band_high`: the trailing 12 months' median +- 2 robust sd (the month itself left out)."""
    history = pl.col("value_usd").shift(1)
    median = history.rolling_median(BAND_MONTHS, min_samples=3)
    mad = (history - median).abs().rolling_median(BAND_MONTHS, min_samples=3)
    spread = BAND_WIDTH * 1.4826 * mad
    return monthly.with_columns(
        median.alias("expected"),
        (median - spread).clip(lower_bound=0).alias("band_low"),
        (median + spread).alias("band_high"),
    )


def goods_words(tables: TableStore, hs_code: str) -> set[str]:
    """Words that name the corridor's goods in a headline: its heading's description (first clause)."""
    names = tables.hs_names()
    text = next((names[hs_code[:n]] for n in (4, 2) if hs_code[:n] in names), "")
    first = re.sub(r"\(.*?\)", "", text.split(";")[0]).lower()
    return {w for w in re.findall(r"[a-z]{5,}", first) if w not in VAGUE}


def about(text: str, countries: list[str], corridor: Corridor, words: set[str]) -> bool:
    """Whether an event is about the corridor or its goods: it names the goods (the HS heading or its
    words), or it names both countries and no other goods."""
    lowered = text.lower()
    codes = HS_MENTION.findall(text)
    heading = corridor.hs_code[:4]
    if any(c.startswith(heading) or heading.startswith(c[: len(heading)]) for c in codes):
        return True
    if words and any(w in lowered for w in words):
        return True
    both = corridor.reporter in countries and corridor.partner in countries
    return both and not codes


def events(tables: TableStore, corridor: Corridor, start: date, end: date) -> tuple[pl.DataFrame, int]:
    """Sanctions designations and news between start and end about the corridor or its goods (date, kind,
    text), and how many others naming its countries were left out."""
    countries = (corridor.reporter, corridor.partner)
    frames = []
    sanctions = tables.table("sanctions")
    if sanctions is not None and sanctions.height:
        frames.append(
            sanctions.filter(
                pl.any_horizontal(pl.col("countries").list.contains(c) for c in countries)
                & pl.col("listed_on").is_between(start, end)
            ).select(
                pl.col("listed_on").alias("date"),
                pl.lit("sanctions").alias("kind"),
                (pl.col("list") + ": " + pl.col("name") + " " + pl.col("remarks").fill_null("")).alias(
                    "text"
                ),
                "countries",
            )
        )
    news = tables.table("news")
    if news is not None and news.height:
        frames.append(
            news.filter(
                pl.any_horizontal(pl.col("countries").list.contains(c) for c in countries)
                & pl.col("date").is_between(start, end)
            ).select("date", pl.lit("news").alias("kind"), pl.col("title").alias("text"), "countries")
        )
    if not frames:
        return pl.DataFrame(schema=EVENTS_SCHEMA), 0
    found = pl.concat(frames).sort("date")
    words = goods_words(tables, corridor.hs_code)
    keep = [
        about(t, c or [], corridor, words)
        for t, c in zip(found["text"].to_list(), found["countries"].to_list(), strict=True)
    ]
    kept = found.filter(pl.Series(keep, dtype=pl.Boolean)).select(*EVENTS_SCHEMA)
    return kept, found.height - kept.height
