"""Reading a source file strictly: JSON and delimited text whose problems become one InputError
naming the file and row, shared by every source that reads such files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from tradesentinel.errors import InputError


def parse_json(data: str | bytes, path: Path | str, what: str = "JSON") -> object:
    """The decoded JSON document; InputError naming the line where it is malformed or truncated."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed or truncated {what}: {exc.msg}", row=exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"malformed or truncated {what}: {exc}") from None


def read_json(path: Path, what: str = "JSON") -> object:
    """The JSON document in `path`; InputError when it cannot be read or decoded."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    return parse_json(data, path, what)


def read_strict_csv(
    data: bytes,
    path: Path | str,
    *,
    read_options: pacsv.ReadOptions,
    convert_options: pacsv.ConvertOptions,
    ragged_message: Callable[[pacsv.InvalidRow], str],
    what: str = "CSV",
    **parse_options: object,
) -> pa.Table:
    """Parse delimited `data` (pyarrow ParseOptions given as keywords); a row with the wrong number
    of fields is an InputError naming that row, any other parse failure one naming the file."""
    problems: list[pacsv.InvalidRow] = []

    def ragged(row: pacsv.InvalidRow) -> str:
        problems.append(row)
        return "error"

    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=read_options,
            parse_options=pacsv.ParseOptions(**parse_options, invalid_row_handler=ragged),
            convert_options=convert_options,
        )
    except pa.ArrowInvalid as exc:
        if problems:
            raise InputError(path, ragged_message(problems[0]), row=problems[0].number) from None
        raise InputError(path, f"malformed or truncated {what}: {exc}") from None


def read_text_table(path: Path) -> pl.DataFrame:
    """A user's CSV as strings, column names stripped and lower-cased (a BOM dropped); InputError
    when the file is missing or cannot be parsed."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise InputError(path, f"malformed CSV: {str(exc).splitlines()[0]}") from None
    return raw.rename({c: c.strip().removeprefix("\ufeff").lower() for c in raw.columns})
