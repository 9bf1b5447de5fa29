"""Read the import CSV (DESIGN.md) into an all-string frame with row numbers; check the file itself.

The file may be gzipped or zipped (told by its first bytes) and UTF-8 or Windows-1252 text
(`rawfile`).

Parsing is pyarrow's: strict about field counts (polars pads short rows silently) and able to
name the ragged row. It runs on one thread: threaded pyarrow reads that fail can abort the
process at exit when polars is loaded too, and one thread still parses about 100 MB/s.
A ragged row stops the whole file, since its columns cannot be trusted; row-level problems are
left to `pipeline.clean`.
"""

from __future__ import annotations

import csv as pycsv
import io
import logging
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.rawfile import unwrap, utf8

log = logging.getLogger(__name__)

REPEATED_HEADER = "the header row again (files joined without removing their headers?): not data"
REQUIRED = ("period", "reporter", "partner", "flow", "hs_code", "value_usd", "net_weight_kg")
OPTIONAL = ("qty", "qty_unit", "hs_version", "weight_estimated", "qty_estimated")
_BOM = b"\xef\xbb\xbf"
_HEADER_BYTES = 1 << 16


class _RaggedRowError(Exception):
    def __init__(self, row: int | None, expected: int, actual: int, text: str):
        super().__init__(row, expected, actual, text)
        self.row, self.expected, self.actual, self.text = row, expected, actual, text


def _header(path: Path, data: bytes) -> tuple[list[str], bool]:
    """The header's field names as written (BOM dropped), and whether data rows may follow."""
    head = data[:_HEADER_BYTES]
    text = head.removeprefix(_BOM).decode("utf-8", errors="replace")
    if not text.strip():
        raise InputError(path, "the file is empty: expected a header row and data rows")
    try:
        records = pycsv.reader(io.StringIO(text))
        fields = next(records, [])
        more = len(head) == _HEADER_BYTES or any(any(f.strip() for f in record) for record in records)
    except pycsv.Error as exc:
        raise InputError(path, f"malformed CSV: {exc}") from None
    if len(fields) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if separator in fields[0]:
                raise InputError(path, f"the header is separated by {name}: the import CSV must use commas")
    return fields, more


def _normalised(path: Path, header: list[str]) -> list[str]:
    """Header names trimmed and lower-cased; InputError naming duplicated and missing columns."""
    names = [name.strip().lower() for name in header]
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise InputError(path, f"duplicate column(s): {', '.join(duplicated)}", field=duplicated[0])
    if "_row" in names:
        raise InputError(path, "a column is named '_row', which is reserved for row numbers", field="_row")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(path, f"missing required column(s): {', '.join(missing)}", field=missing[0])
    extra = [n or "(unnamed)" for n in names if n not in REQUIRED + OPTIONAL]
    if extra:
        log.info("%s: ignoring extra column(s) %s", path, ", ".join(extra))
    return names


def _parse(path: Path, data: bytes, width: int) -> pa.Table:
    """Every data row, each field a string ("" when empty); raise _RaggedRowError naming the row."""
    columns = [f"c{i}" for i in range(width)]
    problems: list[_RaggedRowError] = []

    def ragged(row: pacsv.InvalidRow) -> str:
        number = row.number - 1 if row.number is not None else None  # the header is record 1
        problems.append(_RaggedRowError(number, row.expected_columns, row.actual_columns, row.text))
        return "error"

    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False, skip_rows=1, column_names=columns),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=ragged
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        if problems:
            raise problems[0] from None
        raise


def _table(path: Path, data: bytes, width: int) -> pa.Table:
    """The parsed rows of UTF-8 `data`; InputError naming a ragged row."""
    try:
        return _parse(path, data, width)
    except _RaggedRowError as bad:
        hint = " (an unclosed quote?)" if '"' in bad.text else ""
        message = f"malformed CSV: the row has {bad.actual} field(s), the header {bad.expected}{hint}"
        raise InputError(path, message, row=bad.row) from None
    except pa.ArrowInvalid as exc:
        raise InputError(path, f"malformed CSV: {exc}") from None


def read_import_csv(path: Path) -> pl.DataFrame:
    """Every column as strings (names trimmed, lower case) plus `_row`, the 1-based data row number.

    `_row` counts records after the header, empty lines included (so it matches the editor's line
    number less one unless a quoted field spans lines); empty lines are then dropped.
    """
    path = Path(path)
    data, _ = unwrap(path)
    return read_import_data(utf8(data, path), path)


def read_import_data(data: bytes, path: Path) -> pl.DataFrame:
    """`read_import_csv` of the file's data, already unwrapped and UTF-8 (`rawfile`)."""
    header, more = _header(path, data)
    names = _normalised(path, header)
    if not more:
        raise InputError(path, "no data rows after the header")
    frame = pl.from_arrow(_table(path, data, len(names)))
    assert isinstance(frame, pl.DataFrame)
    frame.columns = [name or f"unnamed_{i + 1}" for i, name in enumerate(names)]
    blank = pl.all_horizontal(pl.col(c) == "" for c in frame.columns)
    again = pl.all_horizontal(pl.col(c).str.strip_chars().str.to_lowercase() == c for c in frame.columns)
    if frame.select(again.any()).item():
        frame = frame.with_columns(pl.when(again).then(pl.lit(REPEATED_HEADER)).alias("reject"))
    frame = frame.with_row_index("_row", offset=1).filter(~blank)
    if frame.height == 0:
        raise InputError(path, "no data rows after the header")
    return frame.with_columns(pl.col("_row").cast(pl.Int64))
