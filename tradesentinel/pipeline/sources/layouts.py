"""Which flows layout a file is, told by its content (never its name), and its rows as the raw frame
`clean.clean_flows` checks.

A file may be gzipped or zipped; JSON is Comtrade's API response (or a Census API answer, an array
of rows whose first row names the columns); Parquet (a data frame a client saved) has its columns
named as a header would; anything else is delimited text whose header names the layout (LAYOUTS, matched on folded names: `reporterISO` = `reporter_iso`). A file that matches no
layout is an InputError listing the layouts known and the columns seen.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources import baci, census, comtrade
from tradesentinel.pipeline.sources.csv import REPEATED_HEADER, read_import_data
from tradesentinel.pipeline.sources.files import parse_json
from tradesentinel.pipeline.sources.rawfile import (
    header_names,
    normalise,
    read_delimited,
    unwrap,
    utf8,
)

log = logging.getLogger(__name__)
PARQUET_MAGIC = b"PAR1"
IMPORT_CSV = frozenset({"period", "reporter", "partner", "flow", "hscode", "valueusd", "netweightkg"})


@dataclass(frozen=True)
class RawFlows:
    """A file's rows as `clean.clean_flows` input, the layout they were read as, the flows' `source`,
    the HS edition of rows that do not say theirs, and notes for the user."""

    frame: pl.DataFrame
    layout: str
    title: str
    source: str
    hs_version: str | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """A known flows layout: its name, what it is, its family (what `ingest comtrade` accepts), and
    whether a header (folded names, and the names as written) is this layout."""

    name: str
    title: str
    family: str
    matches: Callable[[frozenset[str], list[str]], bool]


def _comtrade(
    variant: Callable[[frozenset[str], list[str]], bool],
) -> Callable[[frozenset[str], list[str]], bool]:
    return lambda names, raw: not comtrade.missing_fields(list(names)) and variant(names, raw)


def _snake(raw: list[str]) -> bool:
    return any("_" in name.strip("_") for name in raw)


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "import-csv",
        "the import CSV (period, reporter, partner, flow, hs_code, value_usd, net_weight_kg)",
        "csv",
        lambda names, raw: names >= IMPORT_CSV,
    ),
    Layout(
        "baci",
        "CEPII BACI (t, i, j, k, v in thousand USD, q in tonnes)",
        "baci",
        lambda names, raw: set(baci.COLUMNS) <= names and len(names) <= 7,
    ),
    Layout(
        "census",
        "US Census international trade API (CTY_CODE, CTY_NAME, monthly values by HS6)",
        "census",
        lambda names, raw: (
            {"ctycode", "ctyname", "year", "month"} <= names and bool({"icommodity", "ecommodity"} & names)
        ),
    ),
    Layout(
        "comtrade-legacy-api",
        "the legacy Comtrade API (lowercase fields, productcode as a number such as 440799.0)",
        "comtrade",
        _comtrade(lambda names, raw: "productcode" in names),
    ),
    Layout(
        "comtradr-legacy",
        "the old comtradr layout (legacy Comtrade fields in snake_case: trade_flow, commodity_code)",
        "comtrade",
        _comtrade(lambda names, raw: "commoditycode" in names and _snake(raw)),
    ),
    Layout(
        "comtrade-legacy-bulk",
        "the legacy Comtrade bulk CSV (numeric M49 country codes, Trade Flow Code 1-4)",
        "comtrade",
        _comtrade(lambda names, raw: "commoditycode" in names),
    ),
    Layout(
        "comtrade-iso-words",
        "a Comtrade export keyed by ISO codes and flow words (reporterISO, partnerISO, flowDesc)",
        "comtrade",
        _comtrade(lambda names, raw: "reportercode" not in names and "flowcode" not in names),
    ),
    Layout(
        "comtrade-plus-snake",
        "Comtrade Plus records as the R and Python clients save them (snake_case: reporter_iso, cmd_code)",
        "comtrade",
        _comtrade(lambda names, raw: _snake(raw)),
    ),
    Layout(
        "comtrade-plus",
        "Comtrade Plus API records (the 47 camelCase fields: reporterCode, cmdCode, primaryValue)",
        "comtrade",
        _comtrade(lambda names, raw: True),
    ),
)
"""Every layout `ingest file` knows, the most specific first."""


def known_layouts(family: str | None = None) -> str:
    """The layouts known (of one family), for messages."""
    titles = [f"{x.name}: {x.title}" for x in LAYOUTS if family in (None, x.family)]
    if family in (None, "comtrade"):
        titles.append("comtrade-json: a Comtrade API JSON response")
    return "; ".join(titles)


def detect(header: list[str], *, path: Path | str = "file", family: str | None = None) -> Layout:
    """The layout whose columns `header` has; InputError listing the layouts known and the columns seen."""
    names = frozenset(normalise(name) for name in header)
    for layout in LAYOUTS:
        if family in (None, layout.family) and layout.matches(names, header):
            return layout
    seen = ", ".join(header[:40]) + (f" ... ({len(header)} columns)" if len(header) > 40 else "")
    what = f"a {family} layout" if family else "a flows layout"
    raise InputError(
        path,
        f"not {what} this reader knows; columns seen: {seen}",
        hint=f"known layouts: {known_layouts(family)}",
    )


def _from_json(data: bytes, path: Path, family: str | None) -> RawFlows:
    """Comtrade's API response, or a Census API answer (rows of values, the first naming the columns)."""
    payload = parse_json(data, path)
    if isinstance(payload, list) and payload and all(isinstance(r, list) for r in payload):
        header = [str(v) for v in payload[0]]
        frame = pl.DataFrame(
            [[None if v is None else str(v) for v in r] for r in payload[1:]], schema=header, orient="row"
        )
        return _from_table(
            frame.with_row_index("_row", offset=1).cast({"_row": pl.Int64}), header, path, family, []
        )
    if family not in (None, "comtrade"):
        raise InputError(
            path, f"a JSON file is not a {family} layout", hint=f"known layouts: {known_layouts(family)}"
        )
    records = comtrade.payload_records(payload, path)
    if not records:
        raise InputError(path, "the response holds no records (count 0)")
    raw = comtrade.raw_flows(comtrade.records_frame(records), path=path)
    return RawFlows(raw, "comtrade-json", "a Comtrade API JSON response", "comtrade", "H6")


def _from_table(
    frame: pl.DataFrame,
    header: list[str],
    path: Path,
    family: str | None,
    repeated: list[int],
    name: str = "",
) -> RawFlows:
    """A delimited (or Census JSON) table as raw flows, by the layout its header names."""
    layout = detect(header, path=path, family=family)
    notes: list[str] = []
    if layout.name == "baci":
        frame = frame.rename({c: normalise(c) for c in frame.columns if c != "_row"})
        raw, source, version = baci.raw_flows(frame), "baci", baci.hs_version_from_name(name)
        if version is None:
            notes.append(
                "the file name does not say which BACI release (HS92, HS17...) it is: pass --hs-version"
            )
    elif layout.name == "census":
        rows = census.raw_flows(frame.rename({c: c.strip().upper() for c in frame.columns if c != "_row"}))
        raw, source, version = rows.frame, "census", None
        if rows.n_groups:
            notes.append(
                f"{rows.n_groups:,} country-group row(s) (EU, NAFTA, ASIA... SUMMARY_LVL CGP) left out: they add up countries in the file"
            )
        if rows.n_zero:
            notes.append(f"{rows.n_zero:,} row(s) with value 0 (no trade that month) left out")
    else:
        raw, source, version = (
            comtrade.raw_flows(frame, path=path),
            "comtrade",
            "H6" if layout.name.startswith("comtrade-plus") else None,
        )
    if repeated:
        filler = pl.DataFrame(
            {"_row": repeated, "reject": [REPEATED_HEADER] * len(repeated)},
            schema={"_row": pl.Int64, "reject": pl.String},
        )
        raw = pl.concat([raw, filler], how="diagonal").sort("_row")
    return RawFlows(raw, layout.name, layout.title, source, version, notes)


def _from_parquet(data: bytes, path: Path, family: str | None) -> RawFlows:
    """A Parquet file (as a Python or R client saves a data frame), its columns read as text."""
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except (pl.exceptions.ComputeError, OSError) as exc:
        raise InputError(path, f"cannot read the Parquet file (truncated?): {exc}") from None
    header = frame.columns
    frame = frame.select(pl.col(c).cast(pl.String) for c in header).with_row_index("_row", offset=1)
    frame = frame.with_columns(pl.col("_row").cast(pl.Int64))
    if detect(header, path=path, family=family).name == "import-csv":
        renamed = frame.rename({c: c.strip().lower() for c in header})
        layout = LAYOUTS[0]
        return RawFlows(renamed, layout.name, f"{layout.title}, as Parquet", "csv", "H6")
    return _from_table(frame, header, path, family, [])


def read_flows(path: Path, *, family: str | None = None) -> RawFlows:
    """The rows of a flows file of any known layout (or of `family`: comtrade, baci, census, csv),
    delimited text, JSON or Parquet, plain, gzipped or zipped; InputError when it is none of them
    or is malformed."""
    path = Path(path)
    data, name = unwrap(path)
    if data[:4] == PARQUET_MAGIC:
        return _from_parquet(data, path, family)
    data = utf8(data, path)
    if not data.strip():
        raise InputError(path, "the file is empty")
    if data.lstrip()[:1] in (b"{", b"["):
        return _from_json(data, path, family)
    header = header_names(data)
    layout = detect(header, path=path, family=family)
    if layout.name == "import-csv":
        return RawFlows(read_import_data(data, path), layout.name, layout.title, "csv", "H6")
    table = read_delimited(data, path)
    flows = _from_table(table.frame, header, path, family, table.repeated_headers, name)
    log.info("%s: read as %s (%d rows)", path, flows.layout, flows.frame.height)
    return flows
