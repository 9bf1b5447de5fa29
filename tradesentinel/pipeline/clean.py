"""Validate raw import rows into canonical flows; every rejected row goes to quarantine with its reason.

Pure: a raw all-string frame (from `sources.csv`) in, two frames out. Each check is one polars
expression that yields a reason (or null) per row, so a 10M-row file is checked in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from tradesentinel.pipeline.countries import valid_iso3
from tradesentinel.pipeline.ids import flow_ids
from tradesentinel.schema import FLOWS, KEY_COLUMNS, QUARANTINE, conform

FLOW_WORDS = {
    "X": "X", "EXPORT": "X", "EXPORTS": "X",
    "M": "M", "IMPORT": "M", "IMPORTS": "M",
    "RX": "RX", "RE-EXPORT": "RX", "RE-EXPORTS": "RX", "REEXPORT": "RX", "REEXPORTS": "RX",
    "RM": "RM", "RE-IMPORT": "RM", "RE-IMPORTS": "RM", "REIMPORT": "RM", "REIMPORTS": "RM",
}  # fmt: skip
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
CHECKED = (
    "period",
    "reporter",
    "partner",
    "flow",
    "hs_code",
    "value_usd",
    "net_weight_kg",
    "qty",
    "duplicate",
)


@dataclass(frozen=True)
class CleanResult:
    """Valid canonical flows, the quarantined rows (one per problem) and how many rows were read."""

    flows: pl.DataFrame
    quarantine: pl.DataFrame
    n_rows: int


def _text(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars()


def _period() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(period date, freq, reason) from YYYY-MM, YYYYMM or YYYY."""
    raw = _text("period")
    digits = raw.str.replace("-", "", literal=True)
    monthly = raw.str.contains(r"^\d{4}-?\d{2}$")
    annual = raw.str.contains(r"^\d{4}$")
    year = digits.str.slice(0, 4).cast(pl.Int32, strict=False)
    month = pl.when(monthly).then(digits.str.slice(4, 2).cast(pl.Int32, strict=False)).otherwise(1)
    ok = (monthly | annual) & year.is_between(1950, 2100) & month.is_between(1, 12)
    date = pl.when(ok).then(pl.date(year, month, 1))
    freq = pl.when(ok).then(pl.when(annual).then(pl.lit("A")).otherwise(pl.lit("M")))
    reason = (
        pl.when(raw.is_null() | (raw == ""))
        .then(pl.lit("missing period"))
        .when(~ok)
        .then(pl.format("unparsable period '{}' (expected YYYY-MM, YYYYMM or YYYY)", raw))
    )
    return date, freq, reason


def _country(name: str) -> tuple[pl.Expr, pl.Expr]:
    code = _text(name).str.to_uppercase()
    reason = (
        pl.when(code.is_null() | (code == ""))
        .then(pl.lit(f"missing {name}"))
        .when(~code.is_in(sorted(valid_iso3())))
        .then(pl.format("unknown country code '{}' (expected ISO 3166 alpha-3, or WLD for world)", code))
    )
    return code, reason


def _flow() -> tuple[pl.Expr, pl.Expr]:
    word = _text("flow").str.to_uppercase()
    code = word.replace_strict(FLOW_WORDS, default=None, return_dtype=pl.String)
    reason = (
        pl.when(word.is_null() | (word == ""))
        .then(pl.lit("missing flow"))
        .when(code.is_null())
        .then(pl.format("unknown flow code '{}' (expected X, M, RX or RM)", word))
    )
    return code, reason


def _hs() -> tuple[pl.Expr, pl.Expr]:
    raw = _text("hs_code")
    code = raw.str.replace_all(r"[.\s]", "")
    length = code.str.len_chars()
    reason = (
        pl.when(raw.is_null() | (raw == ""))
        .then(pl.lit("missing hs_code"))
        .when(~code.str.contains(r"^\d+$"))
        .then(pl.format("HS code '{}' is not numeric", raw))
        .when(length.is_in([1, 3, 5]))
        .then(pl.format("HS code '{}' has {} digits: a leading zero may have been dropped", raw, length))
        .when(length > 6)
        .then(
            pl.format(
                "HS code '{}' has {} digits: national tariff lines are not supported, use HS6", raw, length
            )
        )
    )
    return code, reason


def _number(name: str, *, required: bool, zero_is_null: bool) -> tuple[pl.Expr, pl.Expr]:
    """(value, reason) for a non-negative number column; empty means null unless required."""
    raw = _text(name)
    empty = raw.is_null() | (raw == "")
    value = pl.when(raw.str.contains(NUMBER)).then(raw.cast(pl.Float64, strict=False))
    reason = (
        pl.when(empty & pl.lit(required))
        .then(pl.lit(f"missing {name}"))
        .when(empty)
        .then(None)
        .when(raw.str.contains(","))
        .then(pl.format(f"{name} '{{}}' contains a comma: write plain numbers, no thousands separators", raw))
        .when(value.is_null())
        .then(pl.format(f"{name} '{{}}' is not a number", raw))
        .when(value.is_infinite())
        .then(pl.format(f"{name} '{{}}' is not a finite number", raw))
        .when(value < 0)
        .then(pl.format(f"negative {name} {{}}", value))
    )
    if not zero_is_null:
        reason = (
            pl.when(reason.is_null() & (value == 0))
            .then(pl.lit(f"zero {name}: no trade to analyse"))
            .otherwise(reason)
        )
    else:
        value = pl.when(value > 0).then(value)
    return value, reason


def clean_flows(raw: pl.DataFrame, *, file: str, source: str = "csv", hs_version: str = "H6") -> CleanResult:
    """Canonical flows from the raw rows that pass every check; the others, with reasons, in quarantine.

    Zero weights and quantities mean "not reported" (as in Comtrade) and become null; a zero value
    is quarantined because a flow of no value carries nothing to analyse.
    """
    for optional in ("qty", "qty_unit"):
        if optional not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
    period, freq, period_reason = _period()
    reporter, reporter_reason = _country("reporter")
    partner, partner_reason = _country("partner")
    flow, flow_reason = _flow()
    hs, hs_reason = _hs()
    value, value_reason = _number("value_usd", required=True, zero_is_null=False)
    weight, weight_reason = _number("net_weight_kg", required=False, zero_is_null=True)
    qty, qty_reason = _number("qty", required=False, zero_is_null=True)
    same = pl.when(reporter == partner).then(pl.format("reporter equals partner '{}'", reporter))
    checked = raw.with_columns(
        period.alias("_period"), freq.alias("_freq"), reporter.alias("_reporter"), partner.alias("_partner"),
        flow.alias("_flow"), hs.alias("_hs"), value.alias("_value"), weight.alias("_weight"), qty.alias("_qty"),
        period_reason.alias("!period"), reporter_reason.alias("!reporter"),
        pl.coalesce(partner_reason, same).alias("!partner"), flow_reason.alias("!flow"), hs_reason.alias("!hs_code"),
        value_reason.alias("!value_usd"), weight_reason.alias("!net_weight_kg"), qty_reason.alias("!qty"),
    )  # fmt: skip
    reasons = [f"!{c}" for c in CHECKED if c != "duplicate"]
    valid = pl.all_horizontal(pl.col(r).is_null() for r in reasons)
    key = ["_period", "_reporter", "_partner", "_flow", "_hs"]
    first_row = pl.col("_row").min().over(key)
    duplicate = pl.when(valid & (pl.col("_row") != first_row)).then(
        pl.format("duplicate key: same period/reporter/partner/flow/hs_code as row {}", first_row)
    )
    checked = checked.with_columns(pl.when(valid).then(duplicate).alias("!duplicate"))
    ok = pl.all_horizontal(pl.col(f"!{c}").is_null() for c in CHECKED)
    good = checked.filter(ok).select(
        pl.col("_period").alias("period"), pl.col("_freq").alias("freq"), pl.col("_reporter").alias("reporter"),
        pl.col("_partner").alias("partner"), pl.col("_flow").alias("flow"), pl.col("_hs").alias("hs_code"),
        pl.lit(hs_version).alias("hs_version"), pl.col("_value").alias("value_usd"),
        pl.col("_weight").alias("net_weight_kg"), pl.col("_qty").alias("qty"),
        pl.when(pl.col("_qty").is_not_null()).then(_text("qty_unit")).alias("qty_unit"), pl.lit(source).alias("source"),
    )  # fmt: skip
    good = good.with_columns(
        flow_ids(good.select(KEY_COLUMNS)) if good.height else pl.lit(None, pl.String).alias("flow_id")
    )
    bad = checked.filter(~ok)
    originals = [c for c in raw.columns if c != "_row"]
    quarantine = (
        bad.select(
            "_row", pl.struct(originals).struct.json_encode().alias("raw"), *[f"!{c}" for c in CHECKED]
        )
        .unpivot(index=["_row", "raw"], variable_name="field", value_name="reason")
        .drop_nulls("reason")
        .select(
            pl.lit(file).alias("file"),
            pl.col("_row").alias("row"),
            pl.col("field").str.strip_prefix("!").replace({"duplicate": "key"}),
            "reason",
            "raw",
            pl.lit(datetime.now(UTC)).alias("ingested_at"),
        )
        .sort("row", "field")
    )
    return CleanResult(
        flows=conform(good, "flows").collect() if good.height else pl.DataFrame(schema=FLOWS),
        quarantine=conform(quarantine, "quarantine").collect()
        if quarantine.height
        else pl.DataFrame(schema=QUARANTINE),
        n_rows=raw.height,
    )
