"""UN Comtrade records in any of the layouts Comtrade and its clients write, mapped to the raw frame
`clean.clean_flows` checks (the import CSV's columns plus hs_version, the estimation flags, reject).

One mapping serves every layout, because they name the same fields differently: column names are
folded (`normalise`: `reporterISO`, `reporter_iso` and `Reporter ISO` are one name) and each field is
looked up among its known names (FIELDS): Comtrade Plus (API JSON/CSV, camelCase, or snake_case as
comtradr and the Python clients save it), exports keyed by ISO code and flow words, the legacy API
(lowercase; codes written as floats such as 440799.0 and 8.0), the legacy bulk CSV and the old
comtradr layout (numeric country codes, trade flow codes 1-4, `Netweight (kg)`).

Countries: the ISO3 field when it holds one; else the numeric code through `comtrade_codes`; world
(0, W00) is WLD; areas and special codes pass through for `clean` to quarantine with what they are.
Periods: annual records (freqCode A, refMonth 52, or a year alone) get YYYY; monthly YYYYMM. HS codes
that a numeric column stripped of their leading zero are padded to their aggregation level. Records
broken down by mode of transport, customs procedure or second partner are rejected with that reason
(the totals carry the flow). Estimation flags: isNetWgtEstimated/isQtyEstimated, else the legacy
code (0 none, 2 quantity, 4 net weight, 6 both).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.comtrade_codes import (
    LEGACY_FLOWS,
    QTY_UNIT_NAMES,
    QTY_UNITS,
    WORLD_TEXTS,
    code_to_iso3,
)
from tradesentinel.pipeline.sources.rawfile import normalise
from tradesentinel.reference import WORLD, valid_iso3

MAX_PREVIEW = 500
"""The keyless preview endpoint returns at most 500 records per call."""
FIELDS: dict[str, tuple[str, ...]] = {
    "cmd": ("cmdcode", "commoditycode", "productcode"),
    "value": ("primaryvalue", "tradevalueus", "tradevalueusd", "tradevalue", "value", "cifvalue", "fobvalue"),
    "reporter_iso": ("reporteriso",),
    "reporter_code": ("reportercode",),
    "partner_iso": ("partneriso",),
    "partner_code": ("partnercode",),
    "flow": ("flowcode", "tradecode", "tradeflowcode", "flowdesc", "tradeflow", "flow"),
    "year": ("refyear", "year"),
    "month": ("refmonth", "month"),
    "period": ("period", "refperiodid"),
    "freq": ("freqcode",),
    "level": ("aggrlevel", "aggregatelevel"),
    "weight": ("netwgt", "netweightkg", "netweight", "weight"),
    "qty": ("qty", "quantity", "supplementaryquantity"),
    "unit": ("qtyunitabbr", "qtyunit", "unit"),
    "unit_code": ("qtyunitcode", "quantityunitcode", "unitcode"),
    "weight_flag": ("isnetwgtestimated",),
    "qty_flag": ("isqtyestimated",),
    "legacy_flag": ("legacyestimationflag", "estimationcode", "flag"),
    "classification": ("classificationcode", "classification"),
    "mot": ("motcode",),
    "customs": ("customscode",),
    "partner2": ("partner2code",),
}
"""Each field and the (folded) column names layouts give it, in order of preference."""
REQUIRED = ("cmd", "value", "flow")
TEXT_COLUMNS = ("period", "reporter", "partner", "flow", "hs_code", "value_usd", "net_weight_kg", "qty")
"""Raw columns written as "" when empty, as the import CSV has them."""
BREAKDOWNS = (("mot", "0", "mode of transport motCode"), ("customs", "C00", "customs procedure customsCode"))


def payload_records(payload: Any, path: Path | str) -> list[dict[str, Any]]:
    """The records of an API response: `{elapsedTime, count, data, error}` (or a bare list)."""
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        raise InputError(path, "expected a Comtrade API response: a JSON object with a 'data' list")
    error = payload.get("error")
    if error:
        raise InputError(path, f"the Comtrade API reported an error: {str(error)[:300]}")
    data = payload.get("data")
    if not isinstance(data, list):
        raise InputError(path, "no 'data' list in the response", field="data")
    return data


def records_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """Records as an all-string frame (None stays null, names as written)."""
    rows = [{str(k): None if v is None else str(v) for k, v in r.items()} for r in records]
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def column_for(columns: list[str], field: str) -> str | None:
    """The first (folded) column name of `columns` that layouts use for `field`."""
    return next((name for name in FIELDS[field] if name in columns), None)


def missing_fields(columns: list[str]) -> list[str]:
    """The required fields `columns` (folded) lack, each named by its first spelling; reporter and
    partner need a code or an ISO field."""
    lacking = [FIELDS[f][0] for f in REQUIRED if column_for(columns, f) is None]
    for side in ("reporter", "partner"):
        if column_for(columns, f"{side}_code") is None and column_for(columns, f"{side}_iso") is None:
            lacking.append(f"{side}code or {side}iso")
    return lacking


def _text(name: str | None) -> pl.Expr:
    """A column as trimmed text with a float's `.0` removed (8.0 -> 8); null when empty, NA or absent."""
    if name is None:
        return pl.lit(None, pl.String)
    text = pl.col(name).cast(pl.String).str.strip_chars().str.replace(r"^(-?\d+)\.0+$", "$1")
    return pl.when((text != "") & (text != "NA")).then(text)


def _number(name: str) -> pl.Expr:
    """A number column as trimmed text; null when empty (clean parses and checks it)."""
    text = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when((text != "") & (text != "NA")).then(text)


def _first(columns: list[str], field: str, *, numbers: bool = False) -> pl.Expr:
    """The first non-empty value among the columns layouts use for `field` (primaryValue, then
    cifvalue, then fobvalue...)."""
    present = [(_number if numbers else _text)(c) for c in FIELDS[field] if c in columns]
    return pl.coalesce(present) if present else pl.lit(None, pl.String)


def _by_distinct(frame: pl.DataFrame, expr: pl.Expr) -> pl.Series:
    """`expr` evaluated once per distinct combination of the columns it reads, aligned back to the
    rows: codes repeat (a few hundred countries, 60 periods), so this is what keeps 10M rows fast."""
    used = list(dict.fromkeys(expr.meta.root_names()))
    if not used:
        return frame.select(pl.repeat(expr, frame.height)).to_series()
    keys = frame.select(used)
    table = keys.unique().with_columns(expr.alias("_out"))
    return keys.join(table, on=used, how="left", nulls_equal=True, maintain_order="left")["_out"]


def _country(columns: list[str], side: str) -> pl.Expr:
    """ISO3 from the ISO field when it is one, else from the numeric code; world is WLD; anything
    else (S19, 490...) is kept as written for `clean` to quarantine with its meaning."""
    iso = _text(column_for(columns, f"{side}_iso")).str.to_uppercase()
    code = _text(column_for(columns, f"{side}_code"))
    world = iso.is_in(WORLD_TEXTS) | (code == "0")
    mapped = code.replace_strict(code_to_iso3(), default=None, return_dtype=pl.String)
    valid = pl.when(iso.is_in(sorted(valid_iso3()))).then(iso)
    return pl.when(world).then(pl.lit(WORLD)).otherwise(pl.coalesce(valid, mapped, iso, code))


def _period(columns: list[str]) -> pl.Expr:
    """YYYY for annual records, YYYYMM for monthly ones."""
    period = _text(column_for(columns, "period")).str.replace_all("-", "")
    year = pl.coalesce(_text(column_for(columns, "year")), period.str.slice(0, 4))
    month = _text(column_for(columns, "month"))
    from_period = pl.when(period.str.contains(r"^\d{6}")).then(period.str.slice(0, 6))
    monthly = pl.coalesce(
        pl.when(month.str.contains(r"^\d{1,2}$") & (month != "52")).then(
            pl.concat_str(year, month.str.zfill(2))
        ),
        from_period,
    )
    annual = (_text(column_for(columns, "freq")) == "A") | (month == "52")
    return pl.when(annual).then(year).otherwise(pl.coalesce(monthly, year))


def _flow(columns: list[str]) -> pl.Expr:
    """The flow as a Comtrade code or word; legacy numeric codes 1-4 become M, X, RX, RM."""
    return _first(columns, "flow").replace(LEGACY_FLOWS)


def _hs(columns: list[str]) -> pl.Expr:
    """The HS code, a numeric one padded back to its aggregation level (10619 at level 6 is 010619)."""
    code = _text(column_for(columns, "cmd"))
    level = _text(column_for(columns, "level")).cast(pl.Int32, strict=False)
    short = code.str.contains(r"^\d+$") & (code.str.len_chars() < level)
    return pl.when(short.fill_null(False)).then(code.str.zfill(level)).otherwise(code)


def _unit(columns: list[str]) -> pl.Expr:
    """The quantity unit's abbreviation (N/A and 'No Quantity' give none)."""
    named = _text(column_for(columns, "unit"))
    by_name = named.str.to_lowercase().replace_strict(QTY_UNIT_NAMES, default=named, return_dtype=pl.String)
    by_code = _text(column_for(columns, "unit_code")).replace_strict(
        QTY_UNITS, default=None, return_dtype=pl.String
    )
    unit = pl.coalesce(pl.when(named != "").then(by_name), by_code)
    return pl.when(unit.is_in(["N/A", "-1", ""]).not_()).then(unit)


def _flags(columns: list[str]) -> tuple[pl.Expr, pl.Expr]:
    """(weight_estimated, qty_estimated) as text: the is*Estimated fields, else the legacy code's bits."""
    legacy = _text(column_for(columns, "legacy_flag")).cast(pl.Int32, strict=False)
    weight = pl.when(legacy.is_not_null()).then((legacy & 4) != 0).cast(pl.String)
    qty = pl.when(legacy.is_not_null()).then((legacy & 2) != 0).cast(pl.String)
    return (
        pl.coalesce(_text(column_for(columns, "weight_flag")), weight),
        pl.coalesce(_text(column_for(columns, "qty_flag")), qty),
    )


def _reject(columns: list[str]) -> pl.Expr:
    """Why a record is not used (a breakdown of a total record), or null."""
    reasons = []
    for field, total, words in BREAKDOWNS:
        value = _text(column_for(columns, field))
        reasons.append(
            pl.when(value.is_not_null() & (value != "") & (value != total)).then(
                pl.format(f"a breakdown by {words} {{}}; the total record ({total}) carries the flow", value)
            )
        )
    partner2 = _text(column_for(columns, "partner2"))
    reasons.append(
        pl.when(partner2.is_not_null() & (partner2 != "") & (partner2 != "0")).then(
            pl.format(
                "a breakdown by second partner partner2Code {}; the total record (0) carries the flow",
                partner2,
            )
        )
    )
    return pl.coalesce(reasons)


def raw_flows(frame: pl.DataFrame, *, path: Path | str = "comtrade") -> pl.DataFrame:
    """The raw frame `clean.clean_flows` checks (plus hs_version, flags and reject), from records of
    any Comtrade layout; `_row` is kept when the frame has it."""
    frame = frame.rename({c: normalise(c) or c for c in frame.columns if c != "_row"})
    frame = frame.select(
        pl.all().exclude("_row").cast(pl.String), *(["_row"] if "_row" in frame.columns else [])
    )
    columns = frame.columns
    missing = missing_fields(columns)
    if missing:
        raise InputError(
            path, f"not Comtrade records: missing field(s) {', '.join(missing)}", field=missing[0].split()[0]
        )
    if "_row" not in columns:
        frame = frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    weight_flag, qty_flag = _flags(columns)
    codes = {
        "period": _period(columns),
        "reporter": _country(columns, "reporter"),
        "partner": _country(columns, "partner"),
        "flow": _flow(columns),
        "hs_code": _hs(columns),
        "qty_unit": _unit(columns),
        "hs_version": _text(column_for(columns, "classification")),
        "weight_estimated": weight_flag,
        "qty_estimated": qty_flag,
        "reject": _reject(columns),
    }
    numbers = {
        "value_usd": _first(columns, "value", numbers=True),
        "net_weight_kg": _first(columns, "weight", numbers=True),
        "qty": _first(columns, "qty", numbers=True),
    }
    mapped = frame.select("_row", **numbers).with_columns(
        _by_distinct(frame, expr).alias(name) for name, expr in codes.items()
    )
    order = ["_row", "period", "reporter", "partner", "flow", "hs_code", "value_usd", "net_weight_kg", "qty"]
    return mapped.select(*order, *[c for c in codes if c not in order]).with_columns(
        pl.col(c).fill_null("") for c in TEXT_COLUMNS
    )
