"""A flows file's bytes whatever its wrapping, and its rows as strings: gzip or zip (told by their
magic bytes, never the extension), a UTF-8 BOM, UTF-8 or Windows-1252 text, comma, tab, semicolon or
pipe separated. Fields are kept as written (the layout readers trim and read NA as empty where
they use a field: trimming 47 columns to use 12 is most of a read's time).

Problems are InputErrors naming the file and, where one row is at fault, the row: a truncated gzip
or zip, a zip holding several data files, a row with the wrong number of fields (a cut download or
an unclosed quote). `_row` is the data row number (the header excluded, blank lines counted, so it
matches the editor's line number less one); blank lines are dropped; rows that repeat the header
(files joined without removing theirs) are set aside with their row numbers.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from tradesentinel.errors import InputError

log = logging.getLogger(__name__)

GZIP_MAGIC, ZIP_MAGIC = b"\x1f\x8b", b"PK\x03\x04"
BOM = b"\xef\xbb\xbf"
FALLBACK_ENCODING = "cp1252"
"""What Excel on Windows and many older exports write (a superset of Latin-1's printable characters)."""
SEPARATORS = (",", "\t", ";", "|")


def unwrap(path: Path) -> tuple[bytes, str]:
    """The file's data, gunzipped or unzipped as its first bytes say, and the name read (the zip
    member's, else the file's). A zip must hold exactly one file that is not a folder."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if not path.is_file():
        raise InputError(path, "not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if data[:2] == GZIP_MAGIC:
        return gunzip(data, path), path.name.removesuffix(".gz")
    if data[:4] == ZIP_MAGIC:
        members = zip_members(data, path)
        if len(members) != 1:
            names = ", ".join(members) or "none"
            raise InputError(path, f"the zip holds {len(members)} files ({names}): expected one data file")
        ((name, content),) = members.items()
        return content, name
    return data, path.name


def gunzip(data: bytes, path: Path | str) -> bytes:
    """Gzip data decompressed; InputError when it is cut short or corrupt."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(path, f"cannot read the gzip file (truncated download?): {exc}") from None


def zip_members(data: bytes, path: Path | str) -> dict[str, bytes]:
    """Every file in zip `data` by its name (folders and macOS resource forks left out); InputError
    when the archive is cut short or a member fails its checksum."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [
                i.filename
                for i in archive.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            ]
            return {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InputError(path, f"cannot read the zip file (truncated download?): {exc}") from None


def utf8(data: bytes, path: Path | str) -> bytes:
    """The text as UTF-8 without a BOM; a file that is not UTF-8 is read as Windows-1252 (warned)."""
    data = data.removeprefix(BOM)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("%s is not UTF-8 (byte %d): read it as %s", path, exc.start, FALLBACK_ENCODING)
        data = data.decode(FALLBACK_ENCODING, errors="replace").encode("utf-8")
    return data


def sniff_separator(header: str) -> str:
    """The separator the header line uses most (comma when it has none)."""
    counts = {s: header.count(s) for s in SEPARATORS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


@dataclass(frozen=True)
class Table:
    """A delimited file's rows as strings: `frame` (header names as written, plus `_row`), the
    separator, and the row numbers of rows that repeat the header."""

    frame: pl.DataFrame
    separator: str
    repeated_headers: list[int] = field(default_factory=list)


def _parse(data: bytes, path: Path | str, separator: str) -> pa.Table:
    """Every record (the header first) with string fields; InputError naming a ragged data row."""
    problems: list[pacsv.InvalidRow] = []

    def ragged(row: pacsv.InvalidRow) -> str:
        problems.append(row)
        return "error"

    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False, autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=separator,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=ragged,
            ),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=False, auto_dict_encode=False),
        )
    except pa.ArrowInvalid as exc:
        if problems:
            bad = problems[0]
            hint = " (an unclosed quote?)" if '"' in (bad.text or "") else ""
            message = (
                f"malformed or truncated: the row has {bad.actual_columns} field(s), "
                f"the header {bad.expected_columns}{hint}"
            )
            raise InputError(path, message, row=bad.number - 1 if bad.number else None) from None
        raise InputError(path, f"malformed or truncated CSV: {exc}") from None


def _trailing_separator_named(data: bytes, separator: str) -> bytes:
    """`data` with a separator added to the header when data rows end in one more, empty, field
    than the header names (what some exporters write): the extra column is then an unnamed one."""
    lines = data[:65536].split(b"\n", 2)
    if len(lines) < 3:
        return data
    decode = lambda line: line.decode("utf-8", errors="replace").rstrip("\r")
    header = next(csv.reader([decode(lines[0])], delimiter=separator), [])
    row = next(csv.reader([decode(lines[1])], delimiter=separator), [])
    if len(row) != len(header) + 1 or row[-1].strip():
        return data
    end = data.index(b"\n")
    cr = b"\r" if data[:end].endswith(b"\r") else b""
    return data[: end - len(cr)] + separator.encode() + data[end - len(cr) :]


def read_delimited(data: bytes, path: Path | str) -> Table:
    """Parse delimited UTF-8 `data` (see `utf8`) into a Table; InputError for an empty file, no data
    row, or a row of the wrong width."""
    data = data.lstrip(b"\r\n")
    first = data[:65536].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    if not first.strip():
        raise InputError(path, "the file is empty: expected a header row and data rows")
    separator = sniff_separator(first)
    table = _parse(_trailing_separator_named(data, separator), path, separator)
    table = table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    header = [str(v).strip() for v in frame.row(0)]
    names = _unique([h or f"unnamed_{i + 1}" for i, h in enumerate(header)])
    frame = frame.slice(1).rename(dict(zip(frame.columns, names, strict=True)))
    frame = frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    # blank lines and repeated headers, checked in full only where the first field allows them
    first = pl.col(names[0]).str.strip_chars()
    odd = frame.filter((first == "") | (first == header[0]))
    blank = pl.all_horizontal(pl.col(c).str.strip_chars() == "" for c in names)
    again = pl.all_horizontal(pl.col(c).str.strip_chars() == h for c, h in zip(names, header, strict=True))
    repeated = odd.filter(again)["_row"].to_list()
    dropped = odd.filter(blank | again)["_row"]
    if dropped.len():
        frame = frame.filter(~pl.col("_row").is_in(dropped.implode()))
    if frame.height == 0:
        raise InputError(path, "no data rows after the header")
    return Table(frame=frame, separator=separator, repeated_headers=repeated)


def header_names(data: bytes) -> list[str]:
    """The names in the first non-blank line of UTF-8 `data` (quotes removed), by its separator."""
    first = data.lstrip(b"\r\n")[:65536].split(b"\n", 1)[0].decode("utf-8", errors="replace").strip("\r")
    if not first.strip():
        return []
    return [name.strip() for name in next(csv.reader([first], delimiter=sniff_separator(first)))]


def _unique(names: list[str]) -> list[str]:
    """Header names made unique: a repeat gets _2, _3... (the first keeps its name)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def normalise(name: str) -> str:
    """A column name folded for matching layouts: lower case, letters and digits only
    (`reporterISO`, `reporter_iso` and `Reporter ISO` are all `reporteriso`)."""
    return "".join(ch for ch in name.lower() if ch.isalnum())
