"""OFAC sanctions lists: the legacy CSV files (sdn, add, alt, sdn_comments) and the Sanctions List
Service XML (classic and enhanced, read by `ofac_xml`), all into the `sanctions` table.

The legacy files follow OFAC's data specification: no header row, CRLF, a Ctrl-Z byte at the end,
nulls written `-0- `, several programmes joined as `IRAN] [SDGT`, and remarks that carry the
aliases (`a.k.a. 'X'`), identifiers (`Passport X (Country)`) and nationality. Rows of add/alt/
comments link to sdn.csv by ent_num; rows that link to nothing (an extract, or files of different
dates) are left out of the entries and returned as quarantine rows with their reason. Parsing is pyarrow's (strict field counts) plus vectorised polars.
"""

from __future__ import annotations

import csv as pycsv
import logging
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.files import read_strict_csv
from tradesentinel.pipeline.sources.geo import iso3_from_name
from tradesentinel.pipeline.sources.ofac_terms import ID_PATTERN, TYPES
from tradesentinel.schema import QUARANTINE, conform

log = logging.getLogger(__name__)

SDN = (
    "ent_num",
    "name",
    "sdn_type",
    "program",
    "title",
    "call_sign",
    "vess_type",
    "tonnage",
    "grt",
    "vess_flag",
    "vess_owner",
    "remarks",
)
ADD = ("ent_num", "add_num", "address", "city", "country", "add_remarks")
ALT = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
COMMENTS = ("ent_num", "remarks")
NULL = "-0-"
ALIAS_PATTERN = r"[afn]\.k\.a\.,? '(.+?)'(?:[;.,)]|$)"
NATIONALITY_PATTERN = r"(?:nationality|citizen) ([A-Z][^;.(]*)"


def _decode(path: Path, data: bytes) -> bytes:
    """UTF-8 bytes of the file (Windows-1252 files re-encoded), the Ctrl-Z end-of-file byte removed."""
    data = data.rstrip(b"\r\n\x1a")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8: read it as cp1252", path)
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    return data + b"\r\n" if data else data


def read_legacy_csv(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """One OFAC legacy file as strings (`-0-` as null), with `_row`; InputError naming a ragged row."""
    path = Path(path)
    try:
        data = _decode(path, path.read_bytes())
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(path, "the file is empty")
    table = read_strict_csv(
        data,
        path,
        read_options=pacsv.ReadOptions(use_threads=False, column_names=list(columns)),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string())),
        ragged_message=lambda bad: (
            f"malformed or truncated: the row has {bad.actual_columns} field(s), "
            f"expected {bad.expected_columns}"
        ),
        newlines_in_values=True,
    )
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in columns).with_columns(
        pl.when(pl.col(c) != NULL).then(pl.col(c)).alias(c) for c in columns
    )
    frame = frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    number = pl.col("ent_num").cast(pl.Int64, strict=False)
    bad = frame.filter(number.is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise InputError(
            path, f"ent_num {row['ent_num']!r} is not a number", row=row["_row"], field="ent_num"
        )
    return frame.with_columns(number.cast(pl.String).alias("ent_num"))


def _orphans(path: Path, frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Quarantine rows (file, row, field, reason, raw) for rows of `frame` whose ent_num is not in sdn.csv."""
    orphans = frame.filter(~pl.col("ent_num").is_in(ids.implode()))
    if orphans.height:
        row = orphans.row(0, named=True)
        log.warning(
            "%s: %d row(s) link to no entry of sdn.csv (first: row %d, ent_num %s); quarantined",
            path,
            orphans.height,
            row["_row"],
            row["ent_num"],
        )
    originals = [c for c in frame.columns if c != "_row"]
    return orphans.select(
        pl.lit(str(path)).alias("file"),
        pl.col("_row").alias("row"),
        pl.lit("ent_num").alias("field"),
        pl.format("ent_num {} is not in sdn.csv (an extract, or files of different dates?)", "ent_num").alias(
            "reason"
        ),
        pl.struct(originals).struct.json_encode().alias("raw"),
        pl.lit(datetime.now(UTC)).alias("ingested_at"),
    )


def _country_codes(names: pl.Expr, values: pl.Series) -> pl.Expr:
    """ISO3 of country names, each distinct name resolved once."""
    mapping = {v: iso3_from_name(v) for v in values.drop_nulls().unique().to_list()}
    return names.replace_strict(mapping, default=None, return_dtype=pl.String)


def _remark_details(sdn: pl.DataFrame) -> pl.DataFrame:
    """Per ent_num: identifiers, aliases and nationality countries written in the remarks."""
    remarks = pl.col("remarks").fill_null("")
    parts = sdn.select("ent_num", remarks.str.split("; ").alias("part")).explode("part")
    parts = parts.with_columns(pl.col("part").str.strip_chars().str.strip_chars_end("."))
    ids = parts.filter(pl.col("part").str.contains(ID_PATTERN)).group_by("ent_num", maintain_order=True)
    details = sdn.select(
        "ent_num",
        remarks.str.extract_all(ALIAS_PATTERN)
        .list.eval(pl.element().str.extract(ALIAS_PATTERN))
        .alias("r_aka"),
        remarks.str.extract_all(NATIONALITY_PATTERN)
        .list.eval(pl.element().str.extract(NATIONALITY_PATTERN).str.strip_chars())
        .alias("nationality"),
    )
    names = details["nationality"].explode()
    details = details.with_columns(
        pl.col("nationality").list.eval(_country_codes(pl.element(), names)).alias("r_countries")
    )
    return details.drop("nationality").join(ids.agg(pl.col("part").alias("r_ids")), on="ent_num", how="left")


def _items(name: str) -> pl.Expr:
    """A list column with null lists as empty ones."""
    return pl.col(name).fill_null(pl.lit([], dtype=pl.List(pl.String)))


def _clean(items: pl.Expr) -> pl.Expr:
    """A list without nulls, empty strings or repeats (first kept)."""
    stripped = items.list.drop_nulls().list.eval(pl.element().str.strip_chars())
    return stripped.list.eval(pl.element().filter(pl.element() != "")).list.unique(maintain_order=True)


def ofac_entries(
    sdn: pl.DataFrame,
    add: pl.DataFrame,
    alt: pl.DataFrame,
    comments: pl.DataFrame,
    *,
    source: str,
    list_name: str = "OFAC-SDN",
) -> pl.DataFrame:
    """The `sanctions` table from the four legacy frames (as `read_legacy_csv` returns them)."""
    spill = comments.group_by("ent_num", maintain_order=True).agg(
        pl.col("remarks").str.join("").alias("more")
    )
    sdn = sdn.join(spill, on="ent_num", how="left").with_columns(
        pl.concat_str(pl.col("remarks").fill_null(""), pl.col("more").fill_null("")).alias("remarks")
    )
    sdn = sdn.with_columns(pl.when(pl.col("remarks") != "").then(pl.col("remarks")).alias("remarks"))
    line = pl.concat_str(
        [pl.col("address"), pl.col("city"), pl.col("country"), pl.col("add_remarks")],
        separator=", ",
        ignore_nulls=True,
    )
    addresses = add.sort("ent_num", pl.col("add_num").cast(pl.Int64, strict=False)).select(
        "ent_num",
        pl.when(line != "").then(line).alias("line"),
        _country_codes(pl.col("country"), add["country"]),
    )
    addresses = addresses.group_by("ent_num").agg(
        pl.col("line").alias("a_lines"), pl.col("country").alias("a_c")
    )
    aliases = alt.sort("ent_num", pl.col("alt_num").cast(pl.Int64, strict=False)).group_by("ent_num")
    frame = (
        sdn.join(addresses, on="ent_num", how="left")
        .join(aliases.agg(pl.col("alt_name").alias("alt")), on="ent_num", how="left")
        .join(_remark_details(sdn), on="ent_num", how="left")
    )
    call_sign = pl.when(pl.col("call_sign").is_not_null()).then(pl.format("Call Sign {}", "call_sign"))
    out = frame.select(
        pl.lit(list_name).alias("list"),
        pl.col("ent_num").alias("entry_id"),
        "name",
        _clean(pl.concat_list(_items("alt"), _items("r_aka"))).alias("aliases"),
        pl.col("sdn_type").str.to_lowercase().replace_strict(TYPES, default="entity").alias("entity_type"),
        _clean(pl.col("program").fill_null("").str.strip_chars("[] ").str.split("] [")).alias("programmes"),
        _clean(
            pl.concat_list(
                _items("a_c"), _items("r_countries"), _country_codes(pl.col("vess_flag"), sdn["vess_flag"])
            )
        ).alias("countries"),
        _clean(_items("a_lines")).alias("addresses"),
        _clean(pl.concat_list(_items("r_ids"), call_sign)).alias("identifiers"),
        pl.lit(None, pl.Date).alias("listed_on"),
        "remarks",
        pl.lit(source).alias("source"),
    )
    out = out.with_columns(pl.col("aliases").list.set_difference(pl.concat_list("name")))
    return conform(out, "sanctions").collect()


def read_ofac_csv_checked(
    directory: Path, *, list_name: str = "OFAC-SDN"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The `sanctions` table from the legacy CSV folder, and the quarantine rows of unlinked rows."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(directory, "not a folder: expected the folder holding sdn.csv, add.csv and alt.csv")
    files = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    if "sdn.csv" not in files:
        raise InputError(directory, "no sdn.csv in the folder")
    return read_ofac_csv_files(files, source=str(directory), list_name=list_name)


def legacy_role(path: Path) -> str:
    """Which legacy file `path` is by its first record's field count: sdn.csv (12 fields), add.csv
    (6), alt.csv (5) or sdn_comments.csv (2); InputError for anything else."""
    data = _decode(path, Path(path).read_bytes()[:65536])
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    width = len(next(pycsv.reader([first]), []))
    roles = {len(SDN): "sdn.csv", len(ADD): "add.csv", len(ALT): "alt.csv", len(COMMENTS): "sdn_comments.csv"}
    if width not in roles:
        raise InputError(path, f"not an OFAC legacy file: the first record has {width} field(s)", row=1)
    return roles[width]


def read_ofac_csv_files(
    files: dict[str, Path], *, source: str, list_name: str = "OFAC-SDN"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The `sanctions` table from legacy files by role (`sdn.csv` required; `add.csv`, `alt.csv`,
    `sdn_comments.csv` read when given), and the quarantine rows of rows linking to no entry."""
    sdn = read_legacy_csv(files["sdn.csv"], SDN)
    duplicated = sdn.filter(pl.col("ent_num").is_duplicated())
    if duplicated.height:
        row = duplicated.row(0, named=True)
        raise InputError(
            files["sdn.csv"], f"ent_num {row['ent_num']} appears twice", row=row["_row"], field="ent_num"
        )
    parts, rejected = {}, [pl.DataFrame(schema=QUARANTINE)]
    for name, cols in (("add.csv", ADD), ("alt.csv", ALT), ("sdn_comments.csv", COMMENTS)):
        if name in files:
            frame = read_legacy_csv(files[name], cols)
            rejected.append(_orphans(files[name], frame, sdn["ent_num"]))
            parts[name] = frame.filter(pl.col("ent_num").is_in(sdn["ent_num"].implode()))
        else:
            log.info("%s: no %s, read without it", source, name)
            parts[name] = pl.DataFrame(schema=dict.fromkeys(("_row", *cols), pl.String)).cast(
                {"_row": pl.Int64}
            )
    entries = ofac_entries(
        sdn,
        parts["add.csv"],
        parts["alt.csv"],
        parts["sdn_comments.csv"],
        source=source,
        list_name=list_name,
    )
    return entries, conform(pl.concat(rejected), "quarantine").collect()


def read_ofac_csv(directory: Path, *, list_name: str = "OFAC-SDN") -> pl.DataFrame:
    """The `sanctions` table from a folder holding sdn.csv, add.csv, alt.csv [and sdn_comments.csv].

    The files are named as OFAC publishes them (case-insensitive); sdn.csv is required, the others
    are read when present. Every address, alias and comment is linked to its entry by ent_num;
    rows linking to no entry are logged (`read_ofac_csv_checked` also returns them for quarantine).
    """
    return read_ofac_csv_checked(directory, list_name=list_name)[0]
