"""UN Comtrade v1 records (API JSON, API CSV, bulk TSV) mapped to the import-CSV frame `clean` checks.

A record has 47 fields (FORMATS.md). Field names are matched case-insensitively (the catalogue
spells cifValue, the JSON cifvalue). Countries: the record's ISO3 when it is one; else Comtrade's
numeric code through pycountry plus the codes Comtrade numbers its own way (842 USA, 699 IND,
251 FRA, 579 NOR, 757 CHE, historic ones) and partner 0 = world (WLD). Aggregates such as 490
"Other Asia, nes" or 97 "EU" map to nothing, so `clean` quarantines them with their code. Annual
records (refMonth 52) get period YYYY; zero or null netWgt/qty mean "not reported". All-commodity
totals (cmdCode TOTAL) are not HS codes: they are quarantined with that reason.
"""

from __future__ import annotations

import gzip
import io
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.files import parse_json
from tradesentinel.reference import WORLD, valid_iso3

COMTRADE_CODES: dict[int, str] = {
    0: WORLD,
    842: "USA",
    841: "USA",
    699: "IND",
    251: "FRA",
    579: "NOR",
    757: "CHE",
    412: "XKX",
    280: "DEU",
    886: "YEM",
    736: "SDN",
    230: "ETH",
    868: "VNM",
    590: "PAN",
    658: "KNA",
    891: "SCG",
    890: "YUG",
    810: "SUN",
    200: "CSK",
    278: "DDR",
    720: "YMD",
    530: "ANT",
    # historic territories, coded as Comtrade codes them (ISO 3166-3 or the principal member)
    58: "BEL",
    588: "PAK",
    532: "ANT",
    866: "VDR",
    582: "PCI",
    592: "PCZ",
    536: "NTZ",
    849: "PUS",
    80: "ATB",
}
"""Comtrade numeric codes that are not (or no longer) the ISO 3166 numeric code of their country."""
REQUIRED = ("reportercode", "partnercode", "flowcode", "cmdcode", "primaryvalue")
MAX_PREVIEW = 500
"""The keyless preview endpoint returns at most 500 records per call."""


@lru_cache(maxsize=1)
def code_to_iso3() -> dict[str, str]:
    """Comtrade numeric country code (as text) -> ISO3, for files without ISO fields (bulk files)."""
    import pycountry

    table = {str(int(c.numeric)): c.alpha_3 for c in pycountry.countries}
    table.update({str(code): iso for code, iso in COMTRADE_CODES.items()})
    return table


def iso3_to_code() -> dict[str, str]:
    """ISO3 -> the code Comtrade queries take (842 for USA, 699 for IND...), current countries only."""
    import pycountry

    reverse = {c.alpha_3: str(int(c.numeric)) for c in pycountry.countries}
    reverse.update({"USA": "842", "IND": "699", "FRA": "251", "NOR": "579", "CHE": "757", "XKX": "412"})
    return reverse


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
    """Records as an all-string frame with lower-cased field names (None stays null)."""
    rows = [{str(k).lower(): None if v is None else str(v) for k, v in r.items()} for r in records]
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def _country(prefix: str, columns: list[str]) -> pl.Expr:
    """ISO3 from the record's ISO field when valid, else from its numeric code, else the code itself."""
    code = pl.col(f"{prefix}code").str.strip_chars().str.replace(r"\.0$", "")
    mapped = code.replace_strict(code_to_iso3(), default=None, return_dtype=pl.String)
    if f"{prefix}iso" in columns:
        iso = pl.col(f"{prefix}iso").str.strip_chars().str.to_uppercase()
        iso = pl.when(iso == "W00").then(pl.lit(WORLD)).when(iso.is_in(sorted(valid_iso3()))).then(iso)
        return pl.coalesce(iso, mapped, pl.col(f"{prefix}iso"), code)
    return pl.coalesce(mapped, code)


def raw_flows(frame: pl.DataFrame, *, path: Path | str = "comtrade") -> pl.DataFrame:
    """The import-CSV raw frame (`clean.clean_flows` input) plus `hs_version`, from Comtrade records."""
    frame = frame.rename({c: c.strip().lower().removeprefix("\ufeff") for c in frame.columns})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            path, f"not Comtrade records: missing field(s) {', '.join(missing)}", field=missing[0]
        )
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in frame.columns)
    has = lambda name: pl.col(name) if name in frame.columns else pl.lit(None, pl.String)
    annual = (has("freqcode") == "A") | (has("refmonth") == "52")
    year = pl.coalesce(has("refyear"), has("period").str.slice(0, 4))
    month = has("refmonth").str.zfill(2)
    period = pl.when(annual).then(year).otherwise(pl.coalesce(has("period"), pl.concat_str(year, month)))
    value = pl.coalesce(has("primaryvalue"), has("cifvalue"), has("fobvalue"))
    unit = has("qtyunitabbr")
    raw = frame.with_row_index("_row", offset=1).select(
        pl.col("_row").cast(pl.Int64),
        period.alias("period"),
        _country("reporter", frame.columns).alias("reporter"),
        _country("partner", frame.columns).alias("partner"),
        pl.col("flowcode").alias("flow"),
        pl.col("cmdcode").alias("hs_code"),
        value.alias("value_usd"),
        has("netwgt").alias("net_weight_kg"),
        has("qty").alias("qty"),
        pl.when(unit.is_in(["N/A", "-1"]).not_()).then(unit).alias("qty_unit"),
        has("classificationcode").fill_null("H6").alias("hs_version"),
    )
    return raw.with_columns(pl.exclude("_row", "qty_unit").fill_null(""))


def _text(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(path, f"cannot read the file (truncated download?): {exc}") from None


def read_comtrade_file(path: Path) -> pl.DataFrame:
    """Raw flows from a saved API response (.json), an API CSV export, or a bulk file (.txt[.gz], tabs)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    data = _text(path)
    head = data.lstrip()[:1]
    if not head:
        raise InputError(path, "the file is empty")
    if head in (b"{", b"["):
        records = payload_records(parse_json(data, path), path)
        if not records:
            raise InputError(path, "the response holds no records (count 0)")
        return raw_flows(records_frame(records), path=path)
    first = data.split(b"\n", 1)[0]
    separator = "\t" if b"\t" in first else ","
    try:
        frame = pl.read_csv(io.BytesIO(data), separator=separator, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise InputError(path, f"malformed CSV: {str(exc).splitlines()[0]}") from None
    if frame.height == 0:
        raise InputError(path, "no records after the header")
    return raw_flows(frame, path=path)
