"""WITS tariffs (World Bank / UNCTAD TRAINS) through the WITS SDMX API, into the `tariffs` table.

The API answers SDMX-JSON data messages: `dataSets[0].series` keyed "i:j:k..." (indexes into
`structure.dimensions.series`), each with `observations` keyed by the index of the TIME_PERIOD
value. Reporters and partners come as ISO numeric codes (000 = world) or ISO3. No recorded WITS
response is among the fixtures: the reader is tested on a message written after the SDMX-JSON
1.0 layout, so check a first live answer before relying on it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.files import read_json
from tradesentinel.pipeline.sources.http import fetch
from tradesentinel.reference import WORLD, valid_iso3
from tradesentinel.schema import TARIFFS, conform

DIMENSIONS = {
    "reporter": "REPORTER",
    "partner": "PARTNER",
    "hs_code": "PRODUCTCODE",
    "indicator": "INDICATOR",
}


@lru_cache(maxsize=1)
def _numeric() -> dict[str, str]:
    import pycountry

    return {c.numeric: c.alpha_3 for c in pycountry.countries}


def _country(code: str | None) -> str | None:
    """ISO3 of a WITS country code: ISO numeric (840), 000 = world, or ISO3 already."""
    if not code:
        return None
    code = code.strip().upper()
    if code in ("000", "WLD", "ALL"):
        return WORLD
    return code if code in valid_iso3() else _numeric().get(code.zfill(3))


def sdmx_rows(payload: Any, path: Path | str) -> list[dict[str, Any]]:
    """One dict per observation of an SDMX-JSON data message: every series dimension id, TIME_PERIOD, value."""
    try:
        series = payload["dataSets"][0]["series"]
        dims = payload["structure"]["dimensions"]
        series_dims, obs_dims = dims["series"], dims["observation"]
    except (KeyError, IndexError, TypeError):
        raise InputError(path, "not an SDMX-JSON data message (dataSets/structure missing)") from None
    rows = []
    for key, item in series.items():
        indexes = [int(i) for i in key.split(":")]
        if len(indexes) != len(series_dims):
            raise InputError(
                path, f"series key {key!r} does not match {len(series_dims)} dimensions", field="series"
            )
        base = {d["id"]: d["values"][i]["id"] for d, i in zip(series_dims, indexes, strict=True)}
        for obs_key, values in (item.get("observations") or {}).items():
            row = dict(base)
            for d, i in zip(obs_dims, obs_key.split(":"), strict=False):
                row[d["id"]] = d["values"][int(i)]["id"]
            row["OBS_VALUE"] = values[0] if values else None
            rows.append(row)
    return rows


def tariffs_from_sdmx(payload: Any, *, path: Path | str = "wits") -> pl.DataFrame:
    """The `tariffs` table from a WITS SDMX-JSON answer; InputError naming an unparsable observation."""
    rows = sdmx_rows(payload, path)
    out = []
    for number, row in enumerate(rows, start=1):
        year = str(row.get("TIME_PERIOD", ""))[:4]
        if not year.isdigit():
            raise InputError(
                path, f"unparsable TIME_PERIOD {row.get('TIME_PERIOD')!r}", row=number, field="TIME_PERIOD"
            )
        value = row.get("OBS_VALUE")
        out.append(
            {
                "reporter": _country(row.get("REPORTER")),
                "partner": _country(row.get("PARTNER")),
                "hs_code": row.get("PRODUCTCODE"),
                "year": int(year),
                "indicator": row.get("INDICATOR") or row.get("DATATYPE"),
                "value": None if value in (None, "") else float(value),
                "source": "wits",
            }
        )
    frame = pl.DataFrame(out, schema=TARIFFS, strict=False) if out else pl.DataFrame(schema=TARIFFS)
    unknown = frame.filter(pl.col("reporter").is_null())
    if unknown.height:
        raise InputError(path, "a reporter code maps to no country", field="REPORTER")
    return conform(frame.drop_nulls("value"), "tariffs").collect()


def read_wits_json(path: Path) -> pl.DataFrame:
    """The `tariffs` table from a saved WITS SDMX-JSON answer."""
    path = Path(path)
    payload = read_json(path)
    return tariffs_from_sdmx(payload, path=path)


def download_wits(
    settings: Settings,
    *,
    reporter: str,
    year: str,
    product: str = "all",
    partner: str = "WLD",
    datatype: str = "reported",
) -> Path:
    """Fetch one WITS TRN query (reporter/partner as ISO3) as SDMX-JSON into the raw cache."""
    numeric = {iso: num for num, iso in _numeric().items()}
    rep = numeric.get(reporter.upper(), reporter)
    par = "000" if partner.upper() in (WORLD, "000") else numeric.get(partner.upper(), partner)
    url = (
        f"{settings.wits_url}/datasource/TRN/reporter/{rep}/partner/{par}"
        f"/product/{product}/year/{year}/datatype/{datatype}"
    )
    name = f"trn_{reporter}_{partner}_{product}_{year}.json"
    return fetch(settings, url, source="wits", name=name, params={"format": "JSON"})
