"""World Bank Indicators API v2 (GDP and any other indicator), into the `indicators` table.

An answer is `[meta, records]`: meta has page/pages/total, each record `indicator{id,value}`,
`country{id,value}`, `countryiso3code`, `date`, `value`. Errors come as `[{"message": [...]}]`.
Regional aggregates (EUU, ARB, ...) are not countries: they are left out and counted in the log;
WLD (world) is kept. Downloads follow `pages` so a long query is never cut at one page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.files import read_json
from tradesentinel.pipeline.sources.http import fetch
from tradesentinel.reference import valid_iso3
from tradesentinel.schema import INDICATORS, conform

log = logging.getLogger(__name__)
GDP = "NY.GDP.MKTP.CD"
"""GDP, current US$."""
PER_PAGE = 1000


def page_records(payload: Any, path: Path | str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The meta object and the records of one answer page; InputError on an API error message."""
    if isinstance(payload, list) and payload and isinstance(payload[0], dict) and "message" in payload[0]:
        messages = "; ".join(str(m.get("value") or m) for m in payload[0]["message"])
        raise InputError(path, f"the World Bank API reported an error: {messages}")
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)):
        raise InputError(path, "not a World Bank API v2 answer: expected [meta, records]")
    return payload[0], payload[1] or []


def indicators_frame(records: list[dict[str, Any]], *, path: Path | str = "worldbank") -> pl.DataFrame:
    """The `indicators` table from API records; null values are dropped (not yet published)."""
    rows = []
    for number, record in enumerate(records, start=1):
        year = str(record.get("date") or "")[:4]
        if not year.isdigit():
            raise InputError(path, f"unparsable date {record.get('date')!r}", row=number, field="date")
        rows.append(
            {
                "country": record.get("countryiso3code") or (record.get("country") or {}).get("id"),
                "indicator": (record.get("indicator") or {}).get("id"),
                "year": int(year),
                "value": record.get("value"),
                "source": "worldbank",
            }
        )
    frame = pl.DataFrame(rows, schema=INDICATORS, strict=False) if rows else pl.DataFrame(schema=INDICATORS)
    aggregates = frame.filter(~pl.col("country").is_in(sorted(valid_iso3())))
    if aggregates.height:
        names = ", ".join(aggregates["country"].fill_null("?").unique().sort().head(8))
        log.info("%s: %d row(s) of regional aggregates left out (%s...)", path, aggregates.height, names)
    frame = frame.filter(pl.col("country").is_in(sorted(valid_iso3()))).drop_nulls("value")
    return conform(frame, "indicators").collect()


def read_worldbank_json(path: Path) -> pl.DataFrame:
    """The `indicators` table from a saved World Bank API JSON page."""
    path = Path(path)
    payload = read_json(path)
    return indicators_frame(page_records(payload, path)[1], path=path)


def download_worldbank(
    settings: Settings, *, indicator: str = GDP, countries: str = "all", years: str = "2000:2024"
) -> list[Path]:
    """Fetch every page of one indicator query (countries as ISO3 joined by ';') into the raw cache."""
    url = f"{settings.worldbank_url}/country/{countries}/indicator/{indicator}"
    paths, page, pages = [], 1, 1
    while page <= pages:
        params = {"format": "json", "per_page": str(PER_PAGE), "date": years, "page": str(page)}
        name = f"{indicator}_{countries.replace(';', '-')}_{years.replace(':', '-')}_p{page}.json"
        path = fetch(settings, url, source="worldbank", name=name, params=params)
        meta, _ = page_records(read_json(path), path)
        pages = int(meta.get("pages") or 1)
        paths.append(path)
        page += 1
    return paths
