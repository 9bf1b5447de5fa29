"""Ingest stages of the real sources: read (a --file, or a fresh download), check, store atomically.

Every reader raises InputError on a malformed or truncated file before anything is written, and
every write goes through store.write_table (temp file + rename), so a bad file never touches the
stored tables. Sanctions: a list file is a full snapshot, so it replaces every stored entry of
the lists it holds and keeps the other lists. News and context layers upsert by key; the HS
nomenclature is replaced whole; flow files of every layout go through the import CSV's validation
and quarantine (pipeline.clean) and upsert into flows by flow key. Every read-modify-write holds
the table's lock across its read and its write (storage.table_lock), so concurrent ingests lose
nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.features import CANONICAL_ORDER
from tradesentinel.pipeline.sources.layouts import RawFlows
from tradesentinel.storage import append_table, read_if_stored, table_lock, write_table

log = logging.getLogger(__name__)
KEYS = {
    "news": ["news_id"],
    "tariffs": ["reporter", "partner", "hs_code", "year", "indicator"],
    "indicators": ["country", "indicator", "year"],
    "port_calls": ["vessel_imo", "port", "arrival"],
}


@dataclass(frozen=True)
class TableReport:
    """What one ingest stored: rows read into `table`, its size after, and what to tell the user."""

    source: str
    table: str
    n_read: int
    n_total: int
    path: Path
    notes: list[str] = field(default_factory=list)


def _stored(settings: Settings, table: str) -> pl.DataFrame | None:
    return read_if_stored(settings.table_path(table), table)


def store_sanctions(settings: Settings, entries: pl.DataFrame, source: str) -> TableReport:
    """Replace the stored entries of every list in `entries`; entries of other lists stay (the read
    and the write hold the table's lock, so a concurrent ingest of another list is kept)."""
    lists = sorted(entries["list"].unique())
    path = settings.table_path("sanctions")
    with table_lock(path):
        stored = _stored(settings, "sanctions")
        kept = stored.filter(~pl.col("list").is_in(lists)) if stored is not None else None
        combined = pl.concat([kept, entries]) if kept is not None else entries
        write_table(combined.sort("list", "entry_id"), path, "sanctions")
    replaced = stored.filter(pl.col("list").is_in(lists)).height if stored is not None else 0
    notes = [f"list(s) {', '.join(lists)}: {entries.height:,} entries replace {replaced:,}"]
    return TableReport(source, "sanctions", entries.height, combined.height, path, notes)


def store_keyed(settings: Settings, frame: pl.DataFrame, table: str, source: str) -> TableReport:
    """Upsert `frame` into `table` by its key (KEYS): new rows replace stored rows with the same key."""
    key = KEYS[table]
    frame = frame.unique(key, keep="last", maintain_order=True)
    path = settings.table_path(table)
    with table_lock(path):
        stored = _stored(settings, table)
        combined = (
            frame
            if stored is None
            else pl.concat([stored.join(frame.select(key), on=key, how="anti"), frame])
        )
        write_table(combined, path, table)
    return TableReport(source, table, frame.height, combined.height, path)


def store_hs(settings: Settings, codes: pl.DataFrame, source: str) -> TableReport:
    """Replace the HS nomenclature table."""
    path = write_table(codes, settings.table_path("hs_codes"), "hs_codes")
    levels = dict(codes.group_by("level").len().iter_rows())
    notes = [
        f"HS2 {levels.get(2, 0):,}, HS4 {levels.get(4, 0):,}, HS6 {levels.get(6, 0):,} ({codes['hs_version'][0]})"
    ]
    return TableReport(source, "hs_codes", codes.height, codes.height, path, notes)


def store_quarantine(settings: Settings, quarantine: pl.DataFrame) -> Path | None:
    """Append rejected rows to the quarantine table; None when there are none."""
    if quarantine.height == 0:
        return None
    return append_table(quarantine, settings.table_path("quarantine"), "quarantine")


@dataclass(frozen=True)
class FlowsReport:
    """What a flows ingest did: rows read, kept, quarantined (rows, of which superseded components),
    the flows table's size after it, where the quarantined rows went, and notes for the user."""

    files: str
    n_read: int
    n_kept: int
    n_quarantined: int
    n_superseded: int
    n_total: int
    path: Path
    quarantine_path: Path | None
    notes: list[str] = field(default_factory=list)

    def as_table_report(self, source: str) -> TableReport:
        """The report in the shape every other ingest prints."""
        notes = [f"kept {self.n_kept:,}, quarantined {self.n_quarantined:,}", *self.notes]
        return TableReport(source, "flows", self.n_read, self.n_total, self.path, notes)


def store_flows(
    settings: Settings,
    reads: list[tuple[RawFlows, str]],
    *,
    replace: bool = False,
    hs_version: str | None = None,
) -> FlowsReport:
    """Clean the raw rows of each file (`sources.layouts.read_flows`) and upsert the valid ones into
    flows; rejected rows go to quarantine with their reasons. Nothing is written to flows unless at
    least one row is valid. `hs_version` is the HS edition of rows whose file does not say it."""
    flows, quarantine, notes, n_read, n_superseded = [], [], [], 0, 0
    for raw, file in reads:
        if raw.layout != "import-csv":
            notes.append(f"{file}: read as {raw.title}")
        notes.extend(raw.notes)
        version = hs_version or raw.hs_version
        result = clean_flows(raw.frame, file=file, source=raw.source, hs_version=version)
        n_read += result.n_rows
        n_superseded += result.n_superseded
        flows.append(result.flows)
        quarantine.append(result.quarantine)
    rejected = pl.concat(quarantine)
    n_quarantined = rejected["row"].n_unique() if rejected.height else 0
    quarantine_path = store_quarantine(settings, rejected)
    if quarantine_path:
        summary = _quarantine_summary(rejected)
        notes.append(f"{n_quarantined:,} row(s) quarantined with reasons in {quarantine_path}: {summary}")
    if n_superseded:
        notes.append(
            f"{n_superseded:,} of them are flow components (DX, FM, processing flows) whose total is in the "
            "file: totals win, so no flow is counted twice"
        )
    new = pl.concat(flows)
    files = ", ".join(f for _, f in reads)
    if new.height == 0:
        raise InputError(files, f"no valid row among {n_read:,}; " + "; ".join(notes[-2:]))
    combined, path = upsert_flows(settings, new, replace=replace)
    return FlowsReport(
        files, n_read, new.height, n_quarantined, n_superseded, combined.height, path, quarantine_path, notes
    )


def _quarantine_summary(rejected: pl.DataFrame, top: int = 3) -> str:
    """The commonest reasons by their first clause (what a user reads first), with their counts."""
    reason = pl.col("reason").str.replace_all(r"row \d+", "row N").str.split(": ").list.first()
    counts = rejected.group_by(pl.col("field"), reason).len().sort("len", "reason", descending=[True, False])
    return "; ".join(f"{n:,} {field} ({text})" for field, text, n in counts.head(top).iter_rows())


def upsert_flows(
    settings: Settings, new: pl.DataFrame, *, replace: bool = False
) -> tuple[pl.DataFrame, Path]:
    """Merge `new` flows into the stored flows table by flow_id (new rows win; `replace` drops the
    stored rows instead) and write it in canonical order; the table and its path. The read and the
    write hold the table's lock, so a concurrent ingest's rows are kept."""
    new = new.unique("flow_id", keep="last", maintain_order=True)
    path = settings.table_path("flows")
    with table_lock(path):
        stored = None if replace else _stored(settings, "flows")
        combined = (
            new
            if stored is None
            else pl.concat([stored.filter(~pl.col("flow_id").is_in(new["flow_id"].implode())), new])
        )
        write_table(combined.sort(CANONICAL_ORDER), path, "flows")
    return combined, path
