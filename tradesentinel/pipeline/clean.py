"""Validate raw import rows into canonical flows; every rejected row goes to quarantine with its reason.

Pure: a raw all-string frame (from `sources.csv` or a source layout) in, two frames out. Fast on
10M rows because (1) period, countries, flow, HS code and HS edition are parsed once per distinct
value (`clean_codes`) and joined back; (2) numbers are checked with a few vectorised comparisons;
(3) the human-readable reasons and the raw-row JSON are built only for the rows that failed.

Decisions: a zero or missing value_usd is quarantined (a flow of no value carries nothing to
analyse, and log features need positive values); a zero weight or quantity means "not reported"
(as in Comtrade) and becomes null; HS codes of odd length are quarantined, never padded, since
the dropped leading zero could belong to either end (a reader that knows its codes were numbers
pads them first); of rows sharing a key one is kept: a total (X, M, RX, RM) before a component
of it (DX, FM, then processing flows), else the first; the others are quarantined with the row
that won, so no flow_id is counted twice. Areas, bunkers and the like as partner are quarantined
with what they are (reference.special_partner_reasons).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.clean_codes import country_checks, flow_checks, hs_checks, lookup, period_checks
from tradesentinel.pipeline.ids import flow_ids
from tradesentinel.reference import HS_EDITIONS, HS_VERSION_ALIASES
from tradesentinel.schema import FLOWS, QUARANTINE, conform

log = logging.getLogger(__name__)

REQUIRED = ("period", "reporter", "partner", "flow", "hs_code", "value_usd", "net_weight_kg")
OPTIONAL = ("qty", "qty_unit", "hs_version", "weight_estimated", "qty_estimated", "reject")
LOOKUPS = ("period", "reporter", "partner", "flow", "hs_code", "hs_version")
NUMBERS = ("value_usd", "net_weight_kg", "qty")
FIELDS = ("row", *LOOKUPS, *NUMBERS, "key")
"""Quarantine `field` values, in the order a row's problems are listed."""
_KEY = ["_period", "_freq", "_reporter", "_partner", "_flow", "_hs"]  # freq: a year total is not its January
_TRUE, _FALSE = ("true", "t", "1", "1.0", "yes", "y"), ("false", "f", "0", "0.0", "no", "n")


@dataclass(frozen=True)
class CleanResult:
    """Valid canonical flows, the quarantined rows (one per problem) and how many rows were read."""

    flows: pl.DataFrame
    quarantine: pl.DataFrame
    n_rows: int

    @property
    def n_superseded(self) -> int:
        """Rows not used because a total (or a preferred component) describes the same flow."""
        if self.quarantine.height == 0:
            return 0
        return self.quarantine.filter(pl.col("reason").str.contains("wins: ", literal=True)).height


def _version_checks(default: str) -> dict[str, pl.Expr]:
    """HS edition code (H0..H6) and reason of each distinct hs_version text; empty: `default`;
    an edition this table does not know is kept as written."""
    text = pl.col("v").str.strip_chars()
    spelled = text.str.to_uppercase().str.replace_all(r"[\s_]", "")
    known = spelled.replace_strict(
        {**{c: c for c in HS_EDITIONS}, **HS_VERSION_ALIASES}, default=None, return_dtype=pl.String
    )
    reason = pl.when(spelled.str.contains(r"^(S\d|SITC|BEC?\d*|EB\d*)$")).then(
        pl.format("classification '{}' is not HS: the flows table holds HS codes", text)
    )
    version = pl.when(text == "").then(pl.lit(default)).otherwise(pl.coalesce(known, text))
    return {"_hsv": version, "!": reason}


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


def _flag(name: str) -> pl.Expr:
    """A yes/no estimation flag as written by the source; null when absent or unreadable."""
    text = pl.col(name).str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False).otherwise(None)


def _checked(raw: pl.DataFrame, today: date, hs_version: str) -> pl.DataFrame:
    """Raw rows with parsed `_x` columns, `!x` reasons for lookups and `?x` flags for numbers."""
    parts = [
        lookup(raw, "period", period_checks(today)),
        lookup(raw, "reporter", country_checks("reporter")),
        lookup(raw, "partner", country_checks("partner")),
        lookup(raw, "flow", flow_checks()),
        lookup(raw, "hs_code", hs_checks()),
        lookup(raw, "hs_version", _version_checks(hs_version)),
    ]
    frame = pl.concat([raw.select("_row", *REQUIRED, *OPTIONAL), *parts], how="horizontal")
    frame = frame.with_columns(_number(c).alias(f"_{c}") for c in NUMBERS)
    reject = pl.col("reject").str.strip_chars()
    return frame.with_columns(
        pl.when(reject != "").then(reject).alias("!row"),
        _number_ok("value_usd", required=True).alias("?value_usd"),
        _number_ok("net_weight_kg", required=False).alias("?net_weight_kg"),
        _number_ok("qty", required=False).alias("?qty"),
        (pl.col("_reporter") != pl.col("_partner")).alias("?distinct"),
    )


def _losers(valid: pl.DataFrame) -> pl.DataFrame:
    """`_row` and reason (`!key` for a repeat, `!superseded` for a lower-ranked flow code) of every
    valid row whose key a better row has: the lowest rank wins, then the first row."""
    ranked = valid if valid["_rank"].max() == 0 else valid.sort("_rank", "_row")
    first = ranked.select(pl.struct(_KEY).is_first_distinct()).to_series()
    if first.all():
        return pl.DataFrame(schema={"_row": pl.Int64, "!key": pl.String, "!superseded": pl.String})
    keep = ranked.filter(first).select(
        *_KEY, pl.col("_row").alias("_first"), pl.col("_flow_code").alias("_won")
    )
    lost = ranked.filter(~first).join(keep, on=_KEY, how="left")
    same = pl.col("_flow_code") == pl.col("_won")
    return lost.select(
        "_row",
        pl.when(same)
        .then(pl.format("duplicate key: same period/reporter/partner/flow/hs_code as row {}", "_first"))
        .alias("!key"),
        pl.when(~same)
        .then(
            pl.format(
                "flow {} not used: row {} has {} for the same period/reporter/partner/hs_code and wins: "
                "a total before its components, DX/FM before processing flows",
                "_flow_code",
                "_first",
                "_won",
            )
        )
        .alias("!superseded"),
    ).sort("_row")


def _flows(valid: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """The valid rows as the canonical flows table."""
    unit = pl.col("qty_unit").str.strip_chars()
    flows = valid.select(
        pl.col("_period").alias("period"),
        pl.col("_freq").alias("freq"),
        pl.col("_reporter").alias("reporter"),
        pl.col("_partner").alias("partner"),
        pl.col("_flow").alias("flow"),
        pl.col("_hs").alias("hs_code"),
        pl.col("_hsv").alias("hs_version"),
        pl.col("_value_usd").alias("value_usd"),
        pl.when(pl.col("_net_weight_kg") > 0).then(pl.col("_net_weight_kg")).alias("net_weight_kg"),
        pl.when(pl.col("_qty") > 0).then(pl.col("_qty")).alias("qty"),
        pl.when((pl.col("_qty") > 0) & (unit != "")).then(unit).alias("qty_unit"),
        pl.lit(source).alias("source"),
        pl.col("_flow_code").alias("flow_code"),
        _flag("weight_estimated").alias("weight_estimated"),
        _flag("qty_estimated").alias("qty_estimated"),
    )
    return conform(flows.with_columns(flow_ids(flows)), "flows").collect()


def _quarantine(raw: pl.DataFrame, bad: pl.DataFrame, *, file: str) -> pl.DataFrame:
    """One row per (row, field) problem, with the original row as a JSON object."""
    reasons = bad.select(
        "_row",
        "!row",
        *[pl.col(f"!{c}") for c in LOOKUPS[:2]],
        pl.coalesce(
            pl.col("!partner"),
            pl.when(~pl.col("?distinct")).then(
                pl.format(
                    "reporter equals partner '{}': trade of a country with itself (goods re-imported or "
                    "returned, as some reporters record them), not a corridor between two countries",
                    "_partner",
                )
            ),
        ).alias("!partner"),
        pl.coalesce(pl.col("!flow"), pl.col("!superseded")).alias("!flow"),
        *[pl.col(f"!{c}") for c in LOOKUPS[4:]],
        *[_number_reason(c).alias(f"!{c}") for c in NUMBERS],
        "!key",
    )
    rejected = pl.col("!row").is_not_null()  # the reader's reason says it all: other checks are noise
    reasons = reasons.with_columns(pl.when(~rejected).then(pl.col(c)).alias(c) for c in reasons.columns[2:])
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

    `raw` has string columns named as in the import CSV (qty, qty_unit optional; a source may add
    hs_version, weight_estimated, qty_estimated, and reject: why the source's reader does not use
    the row; extra columns are ignored but kept in the quarantine's JSON) and `_row`, the 1-based row number (added if absent). `hs_version` is the
    edition of rows that do not say theirs.
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
    checked = _checked(raw, datetime.now(UTC).date(), hs_version)
    ok = pl.all_horizontal(
        pl.col("!row").is_null(),
        *[pl.col(f"!{c}").is_null() for c in LOOKUPS],
        *[pl.col(f"?{c}") for c in NUMBERS],
        pl.col("?distinct"),
    )
    checked = checked.with_columns(ok.alias("_ok"))
    valid = checked.filter(pl.col("_ok"))
    losers = _losers(valid) if valid.height else pl.DataFrame(schema={"_row": pl.Int64})
    if losers.height:
        valid = valid.join(losers, on="_row", how="anti", maintain_order="left")
    bad = checked.filter(~pl.col("_ok")).with_columns(
        pl.lit(None, pl.String).alias(c) for c in ("!key", "!superseded")
    )
    bad = pl.concat([bad, checked.join(losers, on="_row", how="inner")], how="diagonal")
    flows = _flows(valid, source=source) if valid.height else pl.DataFrame(schema=FLOWS)
    quarantine = (
        _quarantine(raw.select("_row", *originals), bad, file=file)
        if bad.height
        else pl.DataFrame(schema=QUARANTINE)
    )
    log.info("%s: %d row(s) read, %d kept, %d quarantined", file, raw.height, flows.height, bad.height)
    return CleanResult(flows=flows, quarantine=quarantine, n_rows=raw.height)
