"""Ingest stages of the real sources: read (a --file, or a fresh download), check, store atomically.

Every reader raises InputError on a malformed or truncated file before anything is written, and
every write goes through store.write_table (temp file + rename), so a bad file never touches the
stored tables. Sanctions: a list file is a full snapshot, so it replaces every stored entry of
the lists it holds and keeps the other lists. News and context layers upsert by key; the HS
nomenclature is replaced whole; Comtrade rows go through the import CSV's validation and
quarantine (pipeline.clean) and upsert into flows by flow key.
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
from tradesentinel.storage import append_table, read_if_stored, write_table

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
    """Replace the stored entries of every list in `entries`; entries of other lists stay."""
    lists = sorted(entries["list"].unique())
    stored = _stored(settings, "sanctions")
    kept = stored.filter(~pl.col("list").is_in(lists)) if stored is not None else None
    combined = pl.concat([kept, entries]) if kept is not None else entries
    path = write_table(combined.sort("list", "entry_id"), settings.table_path("sanctions"), "sanctions")
    replaced = stored.filter(pl.col("list").is_in(lists)).height if stored is not None else 0
    notes = [f"list(s) {', '.join(lists)}: {entries.height:,} entries replace {replaced:,}"]
    return TableReport(source, "sanctions", entries.height, combined.height, path, notes)


def store_keyed(settings: Settings, frame: pl.DataFrame, table: str, source: str) -> TableReport:
    """Upsert `frame` into `table` by its key (KEYS): new rows replace stored rows with the same key."""
    key = KEYS[table]
    frame = frame.unique(key, keep="last", maintain_order=True)
    stored = _stored(settings, table)
    combined = (
        frame if stored is None else pl.concat([stored.join(frame.select(key), on=key, how="anti"), frame])
    )
    path = write_table(combined, settings.table_path(table), table)
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


def store_comtrade(settings: Settings, raws: list[tuple[pl.DataFrame, str]]) -> TableReport:
    """Clean Comtrade raw frames (one per file, as comtrade.raw_flows returns them) and upsert into flows.

    Records are cleaned per classification (H0..H6) so each flow keeps its HS version. Nothing is
    written to flows unless at least one record is valid; rejected records go to quarantine.
    """
    flows, quarantine, n_read, totals = [], [], 0, 0
    for raw, file in raws:
        n_read += raw.height
        totals += raw.filter(pl.col("hs_code").str.to_uppercase() == "TOTAL").height
        for (version,), part in raw.partition_by("hs_version", as_dict=True, maintain_order=True).items():
            result = clean_flows(
                part.drop("hs_version"), file=file, source="comtrade", hs_version=str(version)
            )
            flows.append(result.flows)
            quarantine.append(result.quarantine)
    notes = []
    if totals:
        notes.append(
            f"{totals:,} record(s) are all-commodity totals (cmdCode TOTAL), not HS codes: quarantined; "
            "query HS codes instead (--cmd AG2, AG4, AG6 or a list)"
        )
    rejected = pl.concat(quarantine) if quarantine else pl.DataFrame()
    quarantine_path = store_quarantine(settings, rejected)
    if quarantine_path:
        notes.append(
            f"{rejected['row'].n_unique():,} record(s) quarantined with reasons in {quarantine_path}"
        )
    new = pl.concat(flows) if flows else pl.DataFrame()
    files = ", ".join(f for _, f in raws)
    if new.height == 0:
        raise InputError(files, f"no valid record among {n_read:,}; " + "; ".join(notes))
    combined, path = upsert_flows(settings, new)
    return TableReport("comtrade", "flows", n_read, combined.height, path, notes)


def upsert_flows(
    settings: Settings, new: pl.DataFrame, *, replace: bool = False
) -> tuple[pl.DataFrame, Path]:
    """Merge `new` flows into the stored flows table by flow_id (new rows win; `replace` drops the
    stored rows instead) and write it in canonical order; the table and its path."""
    new = new.unique("flow_id", keep="last", maintain_order=True)
    stored = None if replace else _stored(settings, "flows")
    combined = (
        new
        if stored is None
        else pl.concat([stored.filter(~pl.col("flow_id").is_in(new["flow_id"].implode())), new])
    )
    return combined, write_table(combined.sort(CANONICAL_ORDER), settings.table_path("flows"), "flows")
