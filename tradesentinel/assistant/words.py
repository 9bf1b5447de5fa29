"""How facts read: flows, countries, periods, money and queries in the words an analyst scans."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from tradesentinel.detectors.base import amount_words
from tradesentinel.detectors.signals import describe
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.reference import FLOW_WORDS, country_name


def country(iso3: str) -> str:
    """'Kazakhstan (KAZ)'."""
    name = country_name(iso3)
    return iso3 if name == iso3 else f"{name} ({iso3})"


def usd(value: float | None) -> str:
    """'USD 4.1 million'."""
    return amount_words(value, "USD")


def month(day: date | None, freq: str | None = "M") -> str:
    """'2023-03' for a monthly flow, '2023' for an annual one."""
    if day is None:
        return "n/a"
    return f"{day:%Y}" if freq == "A" else f"{day:%Y-%m}"


def period_words(start: date | None, end: date | None) -> str:
    """'in 2023', 'in 2023-03', 'from 2021-01 to 2022-12', 'since 2022-01', '' when open."""
    if start and end:
        if start.year == end.year and start.month == 1 and end.month == 12:
            return f"in {start:%Y}"
        if (start.year, start.month) == (end.year, end.month):
            return f"in {start:%Y-%m}"
        return f"from {start:%Y-%m} to {end:%Y-%m}"
    if start:
        return f"since {start:%Y-%m}"
    if end:
        return f"until {end:%Y-%m}"
    return ""


def flow_phrase(row: dict[str, Any], hs_text: str | None = None) -> str:
    """'2023-03: Germany (DEU) exports to Kazakhstan (KAZ), HS 854231 (processors and controllers)'."""
    goods = f"HS {row['hs_code']}" + (f" ({hs_text})" if hs_text else "")
    verb = FLOW_WORDS.get(row["flow"], row["flow"])
    return f"{month(row['period'], row.get('freq'))}: {country(row['reporter'])} {verb} {country(row['partner'])}, {goods}"


def flow_sentence(row: dict[str, Any], hs_text: str | None, n_rows: int) -> str:
    """A scored flow as one factual sentence: who, what, when, value, score, rank, kind."""
    kind = row.get("kind") or "unexplained"
    value = f", {usd(row.get('value_usd'))}" if row.get("value_usd") is not None else ""
    stake = row.get("value_at_stake_usd")
    stake_words = f" ({usd(stake)} at stake)" if stake is not None and not math.isnan(stake) else ""
    return (
        f"{flow_phrase(row, hs_text)}{value}{stake_words}: anomaly score {row['score']:.3f}, "
        f"rank {row['rank']:,} of {n_rows:,}, {describe(kind)}"
    )


def query_words(query: AnomalyQuery) -> str:
    """The filters of a query in words: 'involving Russia (RUS), HS 8542, in 2023, kind spike'."""
    parts = []
    if query.country and query.counterpart:
        parts.append(f"between {country(query.country)} and {country(query.counterpart)}")
    elif query.country:
        parts.append(f"involving {country(query.country)}")
    if query.reporter:
        verb = {"X": "exports", "M": "imports", "RX": "re-exports", "RM": "re-imports"}.get(
            query.flow or "", "reports"
        )
        parts.append(f"{verb} reported by {country(query.reporter)}")
    if query.partner:
        parts.append(f"with partner {country(query.partner)}")
    if query.origin:
        parts.append(f"goods from {country(query.origin)}")
    if query.destination:
        parts.append(f"goods to {country(query.destination)}")
    if query.hs:
        parts.append(f"HS {query.hs}")
    when = period_words(query.period_from, query.period_to)
    if when:
        parts.append(when)
    if query.kind:
        parts.append(f"kind {query.kind.replace('_', ' ')}")
    return ", ".join(parts) if parts else "all scored flows"
