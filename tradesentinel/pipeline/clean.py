"""Validate raw import rows into canonical flows; every rejected row goes to quarantine with its reason.

Pure: a raw all-string frame (from `sources.csv`) in, two frames out. Fast on 10M rows because
(1) period, countries, flow and HS code are parsed once per distinct value (a file has a few
thousand at most) and joined back; (2) numbers are checked with a few vectorised comparisons;
(3) the human-readable reasons and the raw-row JSON are built only for the rows that failed.

Decisions: a zero or missing value_usd is quarantined (a flow of no value carries nothing to
analyse, and log features need positive values); a zero weight or quantity means "not reported"
(as in Comtrade) and becomes null; HS codes of odd length are quarantined, never padded, since
the dropped leading zero could belong to either end; of rows sharing a key the first is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.ids import flow_ids
from tradesentinel.reference import WORLD, valid_iso3
from tradesentinel.schema import FLOWS, QUARANTINE, conform

log = logging.getLogger(__name__)

REQUIRED = ("period", "reporter", "partner", "flow", "hs_code", "value_usd", "net_weight_kg")
OPTIONAL = ("qty", "qty_unit")
FLOW_WORDS = {
    "X": "X",
    "EXPORT": "X",
    "EXPORTS": "X",
    "M": "M",
    "IMPORT": "M",
    "IMPORTS": "M",
    "RX": "RX",
    "REEXPORT": "RX",
    "REEXPORTS": "RX",
    "RM": "RM",
    "REIMPORT": "RM",
    "REIMPORTS": "RM",
}
"""Flow spellings accepted (upper case, spaces, hyphens and underscores removed) and their code."""
FIRST_YEAR = 1950
LOOKUPS = ("period", "reporter", "partner", "flow", "hs_code")
NUMBERS = ("value_usd", "net_weight_kg", "qty")
FIELDS = (*LOOKUPS, *NUMBERS, "key")
"""Quarantine `field` values, in the order a row's problems are listed."""
_KEY = ["_period", "_freq", "_reporter", "_partner", "_flow", "_hs"]  # freq: a year total is not its January


@dataclass(frozen=True)
class CleanResult:
    """Valid canonical flows, the quarantined rows (one per problem) and how many rows were read."""

    flows: pl.DataFrame
    quarantine: pl.DataFrame
    n_rows: int


def _v() -> pl.Expr:
    return pl.col("v").str.strip_chars()


def _missing(name: str) -> pl.Expr:
    return pl.when(_v() == "").then(pl.lit(f"missing {name}"))


def _period(today: date) -> dict[str, pl.Expr]:
    """Date, freq and reason of each distinct period text: YYYY-MM, YYYYMM (Comtrade) or YYYY (annual)."""
    text = _v()
    monthly, annual = text.str.contains(r"^\d{4}-?\d{2}$"), text.str.contains(r"^\d{4}$")
    year = text.str.slice(0, 4).cast(pl.Int32, strict=False)
    month = pl.when(annual).then(1).otherwise(text.str.slice(-2).cast(pl.Int32, strict=False))
    parsed = (monthly | annual) & month.is_between(1, 12)
    when = pl.when(parsed).then(pl.date(year, month, 1))
    reason = (
        _missing("period")
        .when(~parsed)
        .then(pl.format("unparsable period '{}' (expected YYYY-MM, YYYYMM or YYYY)", text))
        .when(year < FIRST_YEAR)
        .then(pl.format(f"period '{{}}' is before {FIRST_YEAR}", text))
        .when(when > pl.lit(today.replace(day=1)))
        .then(pl.format("period '{}' is in the future", text))
    )
    return {"_period": when, "_freq": pl.when(annual).then(pl.lit("A")).otherwise(pl.lit("M")), "!": reason}


def _country(name: str) -> dict[str, pl.Expr]:
    """ISO3 code (upper case) and reason of each distinct country text."""
    code = _v().str.to_uppercase()
    reason = (
        _missing(name)
        .when(~code.is_in(sorted(valid_iso3())))
        .then(pl.format("unknown country code '{}' (expected ISO 3166 alpha-3, or WLD for world)", code))
    )
    if name == "reporter":
        reason = reason.when(code == WORLD).then(pl.lit(f"{WORLD} (world) can be a partner, not a reporter"))
    return {f"_{name}": code, "!": reason}


def _flow() -> dict[str, pl.Expr]:
    """Flow code and reason of each distinct flow text (codes or words such as Re-export)."""
    word = _v().str.to_uppercase()
    code = word.str.replace_all(r"[\s_-]", "").replace_strict(
        FLOW_WORDS, default=None, return_dtype=pl.String
    )
    reason = (
        _missing("flow")
        .when(code.is_null())
        .then(pl.format("unknown flow code '{}' (expected X, M, RX or RM)", _v()))
    )
    return {"_flow": code, "!": reason}


def _hs() -> dict[str, pl.Expr]:
    """HS code (dots and spaces removed, leading zeros kept) and reason of each distinct text."""
    code = _v().str.replace_all(r"[.\s]", "")
    length = code.str.len_chars()
    reason = (
        _missing("hs_code")
        .when(~code.str.contains(r"^\d+$"))
        .then(pl.format("HS code '{}' is not numeric", _v()))
        .when(length.is_in([1, 3, 5]))
        .then(pl.format("HS code '{}' has {} digits: a leading zero may have been dropped", _v(), length))
        .when(length > 6)
        .then(
            pl.format(
                "HS code '{}' has {} digits: national tariff lines are not supported, use HS6", _v(), length
            )
        )
    )
    return {"_hs": code, "!": reason}


def _lookup(raw: pl.DataFrame, column: str, exprs: dict[str, pl.Expr]) -> pl.DataFrame:
    """`exprs` evaluated once per distinct value of `column` and aligned back to the rows of `raw`."""
    values = raw.select(pl.col(column).fill_null("").alias("v"))
    table = values.unique().with_columns(**exprs).rename({"!": f"!{column}"})
    return values.join(table, on="v", how="left", maintain_order="left").drop("v")


def _number(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().cast(pl.Float64, strict=False)


def _number_ok(name: str, *, required: bool) -> pl.Expr:
    """True where `name` is empty (and optional) or a finite, non-negative (value: positive) number."""
    value, empty = pl.col(f"_{name}"), pl.col(name).str.strip_chars().fill_null("") == ""
    good = value.is_finite() & ((value > 0) if required else (value >= 0))
    return (good if required else empty | good).fill_null(False)


def _number_reason(name: str) -> pl.Expr:
    """Why `name` failed `_number_ok` (built only for quarantined rows)."""
    text, value = pl.col(name).str.strip_chars().fill_null(""), pl.col(f"_{name}")
    return (
        pl.when(pl.col(f"?{name}"))
        .then(None)
        .when(text == "")
        .then(pl.lit(f"missing {name}"))
        .when(text.str.contains(",", literal=True))
        .then(
            pl.format(f"{name} '{{}}' contains a comma: write plain numbers, no thousands separators", text)
        )
        .when(value.is_null())
        .then(pl.format(f"{name} '{{}}' is not a number (leave it empty when unknown)", text))
        .when(~value.is_finite())
        .then(pl.format(f"{name} '{{}}' is not a finite number", text))
        .when(value < 0)
        .then(pl.format(f"negative {name} {{}}", text))
        .otherwise(pl.lit(f"zero {name}: a flow of no value carries nothing to analyse"))
    )


def _checked(raw: pl.DataFrame, today: date) -> pl.DataFrame:
    """Raw rows with parsed `_x` columns, `!x` reasons for lookups and `?x` flags for numbers."""
    parts = [
        _lookup(raw, "period", _period(today)),
        _lookup(raw, "reporter", _country("reporter")),
        _lookup(raw, "partner", _country("partner")),
        _lookup(raw, "flow", _flow()),
        _lookup(raw, "hs_code", _hs()),
    ]
    frame = pl.concat([raw.select("_row", *REQUIRED, *OPTIONAL), *parts], how="horizontal")
    frame = frame.with_columns(_number(c).alias(f"_{c}") for c in NUMBERS)
    return frame.with_columns(
        _number_ok("value_usd", required=True).alias("?value_usd"),
        _number_ok("net_weight_kg", required=False).alias("?net_weight_kg"),
        _number_ok("qty", required=False).alias("?qty"),
        (pl.col("_reporter") != pl.col("_partner")).alias("?distinct"),
    )


def _duplicate_reasons(valid: pl.DataFrame) -> pl.DataFrame:
    """`_row` and reason of every valid row whose key an earlier valid row already has."""
    first = valid.select(pl.struct(_KEY).is_first_distinct()).to_series()
    if first.all():
        return pl.DataFrame(schema={"_row": pl.Int64, "!key": pl.String})
    keep = valid.filter(first).select(*_KEY, pl.col("_row").alias("_first"))
    reason = pl.format("duplicate key: same period/reporter/partner/flow/hs_code as row {}", "_first")
    return valid.filter(~first).join(keep, on=_KEY, how="left").select("_row", reason.alias("!key"))


def _flows(valid: pl.DataFrame, *, source: str, hs_version: str) -> pl.DataFrame:
    """The valid rows as the canonical flows table."""
    unit = pl.col("qty_unit").str.strip_chars()
    flows = valid.select(
        pl.col("_period").alias("period"),
        pl.col("_freq").alias("freq"),
        pl.col("_reporter").alias("reporter"),
        pl.col("_partner").alias("partner"),
        pl.col("_flow").alias("flow"),
        pl.col("_hs").alias("hs_code"),
        pl.lit(hs_version).alias("hs_version"),
        pl.col("_value_usd").alias("value_usd"),
        pl.when(pl.col("_net_weight_kg") > 0).then(pl.col("_net_weight_kg")).alias("net_weight_kg"),
        pl.when(pl.col("_qty") > 0).then(pl.col("_qty")).alias("qty"),
        pl.when((pl.col("_qty") > 0) & (unit != "")).then(unit).alias("qty_unit"),
        pl.lit(source).alias("source"),
    )
    return conform(flows.with_columns(flow_ids(flows)), "flows").collect()


def _quarantine(raw: pl.DataFrame, bad: pl.DataFrame, *, file: str) -> pl.DataFrame:
    """One row per (row, field) problem, with the original row as a JSON object."""
    reasons = bad.select(
        "_row",
        *[pl.col(f"!{c}") for c in LOOKUPS[:2]],
        pl.coalesce(
            pl.col("!partner"),
            pl.when(~pl.col("?distinct")).then(pl.format("reporter equals partner '{}'", "_partner")),
        ).alias("!partner"),
        *[pl.col(f"!{c}") for c in LOOKUPS[3:]],
        *[_number_reason(c).alias(f"!{c}") for c in NUMBERS],
        "!key",
    )
    originals = [c for c in raw.columns if c != "_row"]
    rows = raw.join(reasons.select("_row"), on="_row", how="semi", maintain_order="left")
    as_json = rows.select("_row", pl.struct(originals).struct.json_encode().alias("raw"))
    problems = reasons.unpivot(index="_row", variable_name="field", value_name="reason").drop_nulls("reason")
    quarantine = problems.join(as_json, on="_row", how="left").select(
        pl.lit(file).alias("file"),
        pl.col("_row").alias("row"),
        pl.col("field").str.strip_prefix("!"),
        "reason",
        "raw",
        pl.lit(datetime.now(UTC)).alias("ingested_at"),
    )
    order = pl.col("field").replace_strict(FIELDS, list(range(len(FIELDS))), return_dtype=pl.Int32)
    return conform(quarantine.sort(pl.col("row"), order), "quarantine").collect()


def clean_flows(raw: pl.DataFrame, *, file: str, source: str = "csv", hs_version: str = "H6") -> CleanResult:
    """Canonical flows from the raw rows that pass every check; the others, with reasons, in quarantine.

    `raw` has string columns named as in the import CSV (qty and qty_unit optional, extra columns
    ignored but kept in the quarantine's JSON) and `_row`, the 1-based row number (added if absent).
    """
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(file, f"raw rows lack column(s) {', '.join(missing)}", field=missing[0])
    if "_row" not in raw.columns:
        raw = raw.with_row_index("_row", offset=1)
    originals = [c for c in raw.columns if c != "_row"]
    raw = raw.with_columns(pl.col("_row").cast(pl.Int64), *[pl.col(c).cast(pl.String) for c in REQUIRED])
    raw = raw.with_columns(pl.lit(None, pl.String).alias(c) for c in OPTIONAL if c not in raw.columns)
    raw = raw.with_columns(pl.col(c).cast(pl.String) for c in OPTIONAL)
    checked = _checked(raw, datetime.now(UTC).date())
    ok = pl.all_horizontal(
        *[pl.col(f"!{c}").is_null() for c in LOOKUPS],
        *[pl.col(f"?{c}") for c in NUMBERS],
        pl.col("?distinct"),
    )
    checked = checked.with_columns(ok.alias("_ok"))
    valid = checked.filter(pl.col("_ok"))
    duplicates = _duplicate_reasons(valid)
    if duplicates.height:
        valid = valid.join(duplicates, on="_row", how="anti", maintain_order="left")
    bad = checked.filter(~pl.col("_ok")).with_columns(pl.lit(None, pl.String).alias("!key"))
    bad = pl.concat([bad, checked.join(duplicates, on="_row", how="inner")], how="diagonal")
    flows = (
        _flows(valid, source=source, hs_version=hs_version) if valid.height else pl.DataFrame(schema=FLOWS)
    )
    quarantine = (
        _quarantine(raw.select("_row", *originals), bad, file=file)
        if bad.height
        else pl.DataFrame(schema=QUARANTINE)
    )
    log.info("%s: %d row(s) read, %d kept, %d quarantined", file, raw.height, flows.height, bad.height)
    return CleanResult(flows=flows, quarantine=quarantine, n_rows=raw.height)
