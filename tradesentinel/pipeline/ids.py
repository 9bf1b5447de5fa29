"""Stable flow ids: a 64-bit FNV-1a hash of the key columns, as 16 hex characters.

Polars' own hash is not stable across versions, and a Python loop over hashlib is too slow for
10M rows, so the hash runs vectorised in numpy over a fixed-width key. The same key gives the
same id on every machine, in every version, forever.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pyarrow as pa

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_WIDTHS = (("reporter", 3), ("partner", 3), ("flow", 2), ("hs_code", 6))
KEY_WIDTH = 6 + sum(w for _, w in _WIDTHS)


def key_strings(frame: pl.DataFrame) -> pl.Series:
    """The fixed-width key 'YYYYMMREPPARFLHS6...' each id is hashed from (spaces pad short fields).

    Annual rows (freq A, when a freq column is present) use 'YYYYAA' for the period, so a year's
    total never shares an id with its January.
    """
    month = pl.col("period").dt.strftime("%Y%m")
    if "freq" in frame.columns:
        month = pl.when(pl.col("freq") == "A").then(pl.col("period").dt.strftime("%YAA")).otherwise(month)
    parts = [month]
    parts += [pl.col(name).str.pad_end(width) for name, width in _WIDTHS]
    return frame.select(pl.concat_str(parts).alias("key")).to_series()


def _fnv1a(matrix: np.ndarray) -> np.ndarray:
    h = np.full(matrix.shape[0], _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(matrix.shape[1]):
            h ^= matrix[:, j].astype(np.uint64)
            h *= _FNV_PRIME
    return h


def _fnv1a_scalar(key: bytes) -> int:
    h = int(_FNV_OFFSET)
    for byte in key:
        h = ((h ^ byte) * int(_FNV_PRIME)) & 0xFFFFFFFFFFFFFFFF
    return h


def _hex(hashes: np.ndarray) -> pl.Series:
    raw = hashes.astype(">u8").view(np.uint8).reshape(-1, 8)
    nibbles = np.empty((raw.shape[0], 16), dtype=np.uint8)
    nibbles[:, 0::2] = _HEX[raw >> 4]
    nibbles[:, 1::2] = _HEX[raw & 0x0F]
    arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(hashes), [None, pa.py_buffer(nibbles)])
    return pl.from_arrow(arr.cast(pa.binary()).cast(pa.string()))


def flow_ids(frame: pl.DataFrame) -> pl.Series:
    """The stable id of each row of `frame` (needs period, reporter, partner, flow, hs_code)."""
    if frame.height == 0:
        return pl.Series("flow_id", [], dtype=pl.String)
    keys = key_strings(frame)
    lengths = keys.str.len_bytes()
    if lengths.min() == lengths.max() == KEY_WIDTH:
        buf = keys.to_arrow()
        if isinstance(buf, pa.ChunkedArray):
            buf = buf.combine_chunks()
        buf = buf.cast(pa.large_string()) if buf.type != pa.large_string() else buf
        offsets, data = buf.buffers()[1], buf.buffers()[2]
        start = np.frombuffer(offsets, dtype=np.int64)[buf.offset]
        matrix = np.frombuffer(data, dtype=np.uint8)[start : start + len(buf) * KEY_WIDTH]
        hashes = _fnv1a(matrix.reshape(-1, KEY_WIDTH))
    else:  # an over-long field: hash row by row (rare, and still deterministic)
        hashes = np.fromiter((_fnv1a_scalar(k.encode()) for k in keys), dtype=np.uint64, count=len(keys))
    return _hex(hashes).alias("flow_id")


def flow_id(period: str, reporter: str, partner: str, flow: str, hs_code: str) -> str:
    """The id of one flow; `period` as 'YYYY-MM' or 'YYYY-MM-DD', or 'YYYY' for an annual flow.
    Matches `flow_ids` row for row."""
    digits = period.replace("-", "")
    key = (digits + "AA" if len(digits) == 4 else digits[:6]) + "".join(
        value.ljust(width)
        for value, (_, width) in zip((reporter, partner, flow, hs_code), _WIDTHS, strict=True)
    )
    return format(_fnv1a_scalar(key.encode()), "016x")


def content_digest(text: str) -> str:
    """A short digest of any text, for idempotence checks on documents and files."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
