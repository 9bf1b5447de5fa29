"""Port calls from a user's shipping CSV (AIS-derived or commercial), into the `port_calls` table.

The CSV schema (docs/data-sources.md): `vessel_imo` (7 digits, required), `vessel_name`, `flag`
(ISO3, ISO2 or a country name), `port` (UN/LOCODE such as NLRTM, required), `country` (ISO3;
default: from the LOCODE's first two letters), `arrival` (ISO 8601 date-time, required; no zone
means UTC), `departure` (optional, not before arrival). Column names are case-insensitive. A bad
row goes to the quarantine table with its reason, like a bad flow row; a file without the
required columns stops with InputError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.files import read_text_table
from tradesentinel.pipeline.sources.geo import iso3_from_iso2, iso3_from_name
from tradesentinel.reference import valid_iso3
from tradesentinel.schema import PORT_CALLS, QUARANTINE, conform

REQUIRED = ("vessel_imo", "port", "arrival")
OPTIONAL = ("vessel_name", "flag", "country", "departure")


@dataclass(frozen=True)
class PortCallsResult:
    """Valid port calls and the quarantined rows (one per problem)."""

    calls: pl.DataFrame
    quarantine: pl.DataFrame
    n_rows: int


def _country(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    upper = text.upper()
    if upper in valid_iso3():
        return upper
    return iso3_from_iso2(upper) if len(upper) == 2 else iso3_from_name(text)


def _time(name: str) -> pl.Expr:
    text = pl.col(name).str.strip_chars().str.replace(r"Z$", "+00:00").str.replace(" ", "T")
    zoned = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", strict=False, time_zone="UTC")
    naive = pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
        text.str.to_datetime("%Y-%m-%dT%H:%M", strict=False),
        text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    ).dt.replace_time_zone("UTC")
    return pl.coalesce(zoned, naive).dt.cast_time_unit("us")


def read_port_calls(path: Path) -> PortCallsResult:
    """Port calls from the CSV; rows failing a check are returned as quarantine rows with reasons."""
    path = Path(path)
    raw = read_text_table(path)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(path, f"missing required column(s): {', '.join(missing)}", field=missing[0])
    raw = raw.with_columns(pl.lit(None, pl.String).alias(c) for c in OPTIONAL if c not in raw.columns)
    raw = raw.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    port = pl.col("port").str.strip_chars().str.to_uppercase().str.replace_all(" ", "")
    flags = {v: _country(v) for v in raw["flag"].drop_nulls().unique().to_list()}
    countries = {
        v: _country(v) for v in pl.concat([raw["country"], raw["port"].str.slice(0, 2)]).drop_nulls().unique()
    }
    parsed = raw.with_columns(
        pl.col("vessel_imo").str.strip_chars().str.replace(r"^IMO\s*", "").alias("_imo"),
        port.alias("_port"),
        _time("arrival").alias("_arrival"),
        _time("departure").alias("_departure"),
        pl.col("flag").replace_strict(flags, default=None, return_dtype=pl.String).alias("_flag"),
        pl.coalesce(pl.col("country"), port.str.slice(0, 2))
        .replace_strict(countries, default=None, return_dtype=pl.String)
        .alias("_country"),
    )
    reasons = {
        "vessel_imo": pl.when(~pl.col("_imo").fill_null("").str.contains(r"^\d{7}$")).then(
            pl.format("IMO number '{}' is not 7 digits", pl.col("vessel_imo"))
        ),
        "port": pl.when(~pl.col("_port").fill_null("").str.contains(r"^[A-Z]{2}[A-Z2-9]{3}$"))
        .then(pl.format("port '{}' is not a UN/LOCODE (e.g. NLRTM)", pl.col("port")))
        .when(pl.col("_country").is_null())
        .then(pl.format("no country for port '{}'", pl.col("port"))),
        "arrival": pl.when(pl.col("_arrival").is_null()).then(
            pl.format(
                "unparsable arrival '{}' (expected ISO 8601, e.g. 2024-03-01T06:30:00Z)", pl.col("arrival")
            )
        ),
        "departure": pl.when(pl.col("departure").fill_null("").str.strip_chars() == "")
        .then(None)
        .when(pl.col("_departure").is_null())
        .then(pl.format("unparsable departure '{}'", pl.col("departure")))
        .when(pl.col("_departure") < pl.col("_arrival"))
        .then(pl.lit("departure before arrival")),
        "flag": pl.when(
            pl.col("flag").is_not_null()
            & (pl.col("flag").str.strip_chars() != "")
            & pl.col("_flag").is_null()
        ).then(pl.format("unknown flag '{}'", pl.col("flag"))),
    }
    checked = parsed.with_columns(**{f"!{k}": v for k, v in reasons.items()})
    ok = pl.all_horizontal(pl.col(f"!{k}").is_null() for k in reasons)
    good = checked.filter(ok)
    calls = good.select(
        pl.col("_imo").alias("vessel_imo"),
        pl.col("vessel_name").str.strip_chars(),
        pl.col("_flag").alias("flag"),
        pl.col("_port").alias("port"),
        pl.col("_country").alias("country"),
        pl.col("_arrival").alias("arrival"),
        pl.col("_departure").alias("departure"),
        pl.lit("portcalls").alias("source"),
    ).unique(["vessel_imo", "port", "arrival"], keep="first", maintain_order=True)
    originals = [c for c in raw.columns if c != "_row"]
    bad = checked.filter(~ok)
    quarantine = (
        bad.select(
            "_row",
            pl.struct(originals).struct.json_encode().alias("raw"),
            *[pl.col(f"!{k}") for k in reasons],
        )
        .unpivot(index=["_row", "raw"], variable_name="field", value_name="reason")
        .drop_nulls("reason")
        .select(
            pl.lit(str(path)).alias("file"),
            pl.col("_row").alias("row"),
            pl.col("field").str.strip_prefix("!"),
            "reason",
            "raw",
            pl.lit(datetime.now(UTC)).alias("ingested_at"),
        )
        .sort("row")
    )
    return PortCallsResult(
        calls=conform(calls, "port_calls").collect() if calls.height else pl.DataFrame(schema=PORT_CALLS),
        quarantine=conform(quarantine, "quarantine").collect()
        if bad.height
        else pl.DataFrame(schema=QUARANTINE),
        n_rows=raw.height,
    )
