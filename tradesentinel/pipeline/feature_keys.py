"""The feature table's keys: flow key columns as dense integer codes in lexical order, packed into
one int64 per row in canonical order (HS, flow, reporter, partner, period).

Keys are parsed once for the whole table (both frequencies share the codes), then packed per
frequency: months since 1970-01 for monthly rows, years since 1970 for annual ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tradesentinel.errors import SchemaError, TradeSentinelError
from tradesentinel.pipeline import kernels
from tradesentinel.schema import FLOW_CODES


@dataclass(frozen=True)
class Keys:
    """Every row's key columns as dense integer codes in lexical order (shared by both frequencies)."""

    hs: np.ndarray
    hs_codes: list[str]
    reporter: np.ndarray
    partner: np.ndarray
    countries: list[str]
    flow: np.ndarray  # per row: index of the flow in LEXICAL_FLOWS
    month: np.ndarray  # per row: months since 1970-01 (an annual row: its January)


@dataclass(frozen=True)
class Encoded:
    """The canonical packed key of rows of one frequency, and what its codes stand for."""

    key: np.ndarray
    hs_codes: list[str]
    countries: list[str]
    flow_sem: np.ndarray  # per row: index of the flow in FLOW_CODES (X, M, RX, RM)
    sem_rank: np.ndarray  # per FLOW_CODES entry: its code in the key, -1 when absent
    first_period: int
    bits_country: int
    bits_period: int


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
    if frame.height == 0 or any(
        c.null_count() or c.min() < 36**2 * 10 or c.max() >= 36**3 for c in columns
    ):  # not all 3-character codes
        return _enum_codes(frame["reporter"], frame["partner"])
    joined, values = kernels.dense_codes(np.concatenate([c.to_numpy() for c in columns]), 36**3)
    names = [np.base_repr(int(v), 36) for v in values]
    return [joined[: frame.height], joined[frame.height :]], names


def _hs_codes(frame: pl.DataFrame, parsed: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Lexical codes of HS codes and the codes they stand for."""
    if parsed["hs"].null_count() or (parsed["hs"] < 0).any():  # not all 2/4/6-digit codes
        (codes,), names = _enum_codes(frame["hs_code"])
        return codes, names
    codes, values = kernels.dense_codes(parsed["hs"].to_numpy(), 10**6 * 4)
    names = []
    for v in values:
        width = 2 * (int(v) % 4 + 1)
        names.append(f"{int(v) // 4 // 10 ** (6 - width):0{width}d}")
    return codes, names


def keys_of(frame: pl.DataFrame) -> Keys:
    """The key columns of every row as codes, parsed once for both frequencies."""
    parsed = _parsed_keys(frame)
    if (parsed["flow"] < 0).any():
        unknown = frame["flow"].filter(parsed["flow"] < 0).unique().to_list()
        raise SchemaError(f"unknown flow code(s) {unknown}: expected one of {FLOW_CODES}")
    (reporter, partner), countries = _country_codes(frame, parsed)
    hs, hs_codes = _hs_codes(frame, parsed)
    return Keys(
        hs=hs,
        hs_codes=hs_codes,
        reporter=reporter,
        partner=partner,
        countries=countries,
        flow=parsed["flow"].to_numpy(),
        month=parsed["month"].to_numpy(),
    )


def encode(keys: Keys, rows: np.ndarray | None, *, annual: bool) -> Encoded:
    """The packed key of `rows` (all rows when None), which all have one frequency: periods are
    months since 1970-01, or years since 1970 for annual rows."""

    def take(values: np.ndarray) -> np.ndarray:
        return values if rows is None else kernels.gather(values, rows)

    flow = take(keys.flow)
    periods = take(keys.month) // 12 if annual else take(keys.month)
    n = len(periods)
    sem_of_rank = np.array([FLOW_CODES.index(f) for f in LEXICAL_FLOWS], dtype=np.int64)
    sem_rank = np.array([LEXICAL_FLOWS.index(f) for f in FLOW_CODES], dtype=np.int64)
    first = int(periods.min()) if n else 0
    period = periods - first
    bc, bp = _bits(len(keys.countries)), _bits(int(period.max()) + 1 if n else 1)
    if _bits(len(keys.hs_codes)) + 2 + 2 * bc + bp > 62:
        raise TradeSentinelError("too many distinct countries, HS codes or periods to pack into one key")
    return Encoded(
        key=kernels.pack_keys(take(keys.hs), flow, take(keys.reporter), take(keys.partner), period, bc, bp),
        hs_codes=keys.hs_codes,
        countries=keys.countries,
        flow_sem=kernels.gather(sem_of_rank, flow),
        sem_rank=sem_rank,
        first_period=first,
        bits_country=bc,
        bits_period=bp,
    )
