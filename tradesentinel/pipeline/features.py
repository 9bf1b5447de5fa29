"""The feature table: flows in, flows plus feature columns out (schema.FEATURES), as a pure function.

Every feature is computed within one HS code (series, mirror pairs, partner shares, HS x month
medians), so this is a pure function of an HS partition too. Keys are encoded once into dense
integers in lexical order and packed into one int64 in canonical order (HS, flow, reporter,
partner, month); `kernels.hs_block_features` then computes every feature per HS block in one
parallel pass. The canonical flows table is stored in that order, so no sort is needed; any other
order is sorted here and put back. Output rows keep the input order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tradesentinel.errors import SchemaError, TradeSentinelError
from tradesentinel.pipeline import kernels
from tradesentinel.schema import FEATURES, FLOW_CODES, optional_nulls

CANONICAL_ORDER = ("hs_code", "flow", "reporter", "partner", "period")
"""The row order flows are stored in and features are computed in."""
NOT_SANCTIONED = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class _Encoded:
    """Dense integer codes of the key columns (lexical order) and the canonical packed key."""

    key: np.ndarray
    hs_codes: list[str]
    countries: list[str]
    flow_sem: np.ndarray  # per row: index of the flow in FLOW_CODES (X, M, RX, RM)
    sem_rank: np.ndarray  # per FLOW_CODES entry: its code in the key, -1 when absent
    first_month: int
    bits_country: int
    bits_month: int


def _bits(size: int) -> int:
    return max(1, int(size - 1).bit_length())


LEXICAL_FLOWS = tuple(sorted(FLOW_CODES))  # the key orders flows as strings: M, RM, RX, X


def _enum_codes(*columns: pl.Series) -> tuple[list[np.ndarray], list[str]]:
    """Codes 0..k-1 shared by `columns`, in lexical order of their values, and the values."""
    names = sorted(set().union(*(c.unique().cast(pl.String).to_list() for c in columns)))
    enum = pl.Enum(names)
    return [c.cast(pl.String).cast(enum).to_physical().cast(pl.Int64).to_numpy() for c in columns], names


def _parsed_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """Key columns parsed to integers that keep lexical order, in one parallel polars pass.

    ISO3 codes parse as base-36 integers; HS codes (2/4/6 digits) as the digits right-padded to 6,
    times 4, plus the length class; flows as their index in LEXICAL_FLOWS; periods as months
    since 1970-01. A value that does not parse gives null (and the caller falls back to an Enum).
    """
    hs = pl.col("hs_code").cast(pl.String)
    length = hs.str.len_bytes().cast(pl.Int64)
    pad = pl.when(length == 2).then(10_000).when(length == 4).then(100).otherwise(1)
    flow = pl.lit(-1, dtype=pl.Int64)
    for i, code in enumerate(LEXICAL_FLOWS):
        flow = pl.when(pl.col("flow").cast(pl.String) == code).then(i).otherwise(flow)
    return frame.select(
        pl.col("reporter").cast(pl.String).str.to_integer(base=36, strict=False).alias("reporter"),
        pl.col("partner").cast(pl.String).str.to_integer(base=36, strict=False).alias("partner"),
        pl.when(length.is_in([2, 4, 6]))
        .then(hs.str.to_integer(strict=False) * pad * 4 + length // 2 - 1)
        .alias("hs"),
        flow.alias("flow"),
        ((pl.col("period").dt.year().cast(pl.Int64) - 1970) * 12 + pl.col("period").dt.month() - 1).alias(
            "month"
        ),
    )


def _country_codes(frame: pl.DataFrame, parsed: pl.DataFrame) -> tuple[list[np.ndarray], list[str]]:
    """Shared lexical codes of reporter and partner, and the ISO3 codes they stand for."""
    columns = [parsed["reporter"], parsed["partner"]]
    if frame.height == 0 or any(c.null_count() or c.min() < 36**2 * 10 for c in columns):  # not all ISO3
        return _enum_codes(frame["reporter"], frame["partner"])
    joined, values = kernels.dense_codes(np.concatenate([c.to_numpy() for c in columns]), 36**3)
    names = [np.base_repr(int(v), 36) for v in values]
    return [joined[: frame.height], joined[frame.height :]], names


def _hs_codes(frame: pl.DataFrame, parsed: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Lexical codes of HS codes and the codes they stand for."""
    if parsed["hs"].null_count():  # not all 2/4/6-digit codes
        (codes,), names = _enum_codes(frame["hs_code"])
        return codes, names
    codes, values = kernels.dense_codes(parsed["hs"].to_numpy(), 10**6 * 4)
    names = []
    for v in values:
        width = 2 * (int(v) % 4 + 1)
        names.append(f"{int(v) // 4 // 10 ** (6 - width):0{width}d}")
    return codes, names


def _encode(frame: pl.DataFrame) -> _Encoded:
    n = frame.height
    parsed = _parsed_keys(frame)
    if (parsed["flow"] < 0).any():
        unknown = frame["flow"].filter(parsed["flow"] < 0).unique().to_list()
        raise SchemaError(f"unknown flow code(s) {unknown}: expected one of {FLOW_CODES}")
    (reporter, partner), countries = _country_codes(frame, parsed)
    hs, hs_codes = _hs_codes(frame, parsed)
    flow = parsed["flow"].to_numpy()
    sem_of_rank = np.array([FLOW_CODES.index(f) for f in LEXICAL_FLOWS], dtype=np.int64)
    sem_rank = np.array([LEXICAL_FLOWS.index(f) for f in FLOW_CODES], dtype=np.int64)
    months = parsed["month"].to_numpy()
    first = int(months.min()) if n else 0
    month = months - first
    bc, bm = _bits(len(countries)), _bits(int(month.max()) + 1 if n else 1)
    if _bits(len(hs_codes)) + 2 + 2 * bc + bm > 62:
        raise TradeSentinelError("too many distinct countries, HS codes or months to pack into one key")
    return _Encoded(
        key=kernels.pack_keys(hs, flow, reporter, partner, month, bc, bm),
        hs_codes=hs_codes,
        countries=countries,
        flow_sem=kernels.gather(sem_of_rank, flow),
        sem_rank=sem_rank,
        first_month=first,
        bits_country=bc,
        bits_month=bm,
    )


def _since_months(e: _Encoded, programmes: pl.DataFrame) -> np.ndarray:
    """Per country code: the month index from which it is under a country programme."""
    since = np.full(max(len(e.countries), 1), NOT_SANCTIONED, dtype=np.int64)
    index = {c: i for i, c in enumerate(e.countries)}
    for iso3, start in programmes.select("iso3", "since").iter_rows():
        if iso3 in index:
            since[index[iso3]] = min(
                since[index[iso3]], (start.year - 1970) * 12 + start.month - 1 - e.first_month
            )
    return since


def _controlled_codes(e: _Encoded, controlled: pl.DataFrame) -> np.ndarray:
    """Per HS code: on the controlled list (an HS2/HS4 aggregate counts when it contains one)."""
    codes = set(controlled["hs_code"].to_list())
    prefixes = {c[:d] for c in codes for d in (2, 4)}
    return np.array([(c in codes) or (len(c) < 6 and c in prefixes) for c in e.hs_codes], dtype=bool)


def build_features(
    flows: pl.LazyFrame | pl.DataFrame,
    *,
    programmes: pl.DataFrame,
    controlled: pl.DataFrame,
    cif_fob_ratio: float = 1.06,
) -> pl.LazyFrame:
    """Flows plus every feature column of schema.FEATURES, rows in input order.

    Unit value is USD/kg; growth and gaps are natural-log differences; z-scores are robust
    (median/MAD) within the series (reporter, partner, flow, HS) and within HS x month x flow;
    the mirror value is the partner's report of the same trade, CIF/FOB-adjusted to this side.
    """
    frame = flows.collect() if isinstance(flows, pl.LazyFrame) else flows
    frame = frame.with_columns(optional_nulls(frame.columns, "flows"))  # flows stored before them
    e = _encode(frame)
    key = e.key
    perm = None if kernels.is_sorted(key) else pl.Series(key).arg_sort().to_numpy().astype(np.int64)

    def gather(values: np.ndarray) -> np.ndarray:
        return values if perm is None else kernels.gather(values, perm)

    value = frame["value_usd"].cast(pl.Float64).to_numpy()
    weight = frame["net_weight_kg"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_value = np.where(value > 0, np.log(value), np.nan)
        unit_value = np.where(weight > 0, value / weight, np.nan)
        log_uv = np.log(unit_value)
    world = e.countries.index("WLD") if "WLD" in e.countries else -1
    since = _since_months(e, programmes)
    sorted_key = gather(key)
    hs_shift = 2 + 2 * e.bits_country + e.bits_month
    out = kernels.hs_block_features(
        sorted_key,
        kernels.run_starts(sorted_key, hs_shift),
        e.bits_country,
        e.bits_month,
        gather(e.flow_sem),
        e.sem_rank,
        gather(value),
        gather(log_value),
        gather(log_uv),
        gather(((key >> e.bits_month) & ((1 << e.bits_country) - 1)) != world),
        since,
    )
    names = (
        "z_series",
        "z_uv_series",
        "z_hs_month",
        "z_uv_hs_month",
        "growth_yoy",
        "partner_share",
        "partner_share_change",
        "growth_vs_median12",
        "is_new_corridor",
        "_mirror",
        "onward_to_sanctioned",
    )
    columns = {
        name: (col if perm is None else kernels.scatter(col, perm))
        for name, col in zip(names, out, strict=True)
    }
    mirror = columns.pop("_mirror")  # a position in canonical order: map it to an input row
    if perm is not None:
        mirror = np.where(mirror >= 0, perm[np.maximum(mirror, 0)], -1)
    mirror_value, mirror_gap, partner_sanctioned, hs_controlled, exposure = kernels.finish(
        key,
        e.bits_country,
        e.bits_month,
        hs_shift,
        value,
        log_value,
        e.flow_sem == FLOW_CODES.index("M"),
        mirror,
        since,
        _controlled_codes(e, controlled),
        columns["onward_to_sanctioned"],
        cif_fob_ratio,
    )
    columns |= {
        "unit_value": unit_value,
        "log_value": log_value,
        "log_unit_value": log_uv,
        "mirror_value_usd": mirror_value,
        "mirror_gap": mirror_gap,
        "partner_sanctioned": partner_sanctioned,
        "hs_controlled": hs_controlled,
        "sanctions_exposure": exposure,
    }
    result = frame.with_columns(
        pl.Series(name, col, nan_to_null=col.dtype.kind == "f") for name, col in columns.items()
    )[list(FEATURES)]  # indexing, unlike select, keeps the chunks as they are (no copy)
    mismatched = [pl.col(c).cast(t) for c, t in FEATURES.items() if result.schema[c] != t]
    return (result.with_columns(mismatched) if mismatched else result).lazy()
