"""The `index` stage: read the stored tables, turn them into documents, sync each Chroma collection.

Collections whose source table does not exist yet are skipped (and said so); re-running with
nothing changed embeds nothing (and loads no model). A manifest records what was indexed, with
which embedder, for the searcher to check. The sanctions name index (for the names news items
mention) is built at most once per run, and only when a news item's mentions are not known yet:
mentions are kept beside the catalog with a fingerprint of the listed names. Entries that left a
sanctions list become delisted documents (`delisted.py`); the report says what changed per list.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.retrieval import delisted, documents
from tradesentinel.retrieval.catalog import IndexCorruptError, IndexNotFoundError, catalog_dir, content_hashes
from tradesentinel.retrieval.hits import COLLECTIONS
from tradesentinel.retrieval.matching import NameIndex, link_by_country, mentioned_names
from tradesentinel.retrieval.store import EvidenceStore, SyncReport
from tradesentinel.storage import read_if_stored, read_table, write_table

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]
SOURCES = {"anomalies": "scores", "hs_codes": "hs_codes", "sanctions": "sanctions", "news": "news"}
"""The table each collection is built from."""
BUILDERS = {
    "anomalies": "score",
    "hs_codes": "demo` or `tradesentinel ingest hs",
    "sanctions": "ingest ofac|un|eu",
    "news": "ingest gdelt",
}
"""The command that writes each source table."""


@dataclass(frozen=True)
class IndexReport:
    """Per collection: the sync report, or why it was skipped."""

    synced: list[SyncReport]
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    lists: list[delisted.ListChanges] = field(default_factory=list)  # sanctions: changes per list


def _table(settings: Settings, name: str) -> pl.DataFrame | None:
    return read_if_stored(settings.table_path(name), name)


def _names_fingerprint(sanctions: pl.DataFrame) -> str:
    """What the news mentions depend on: every listed name and alias (a hash of them)."""
    joined = sanctions.select(
        pl.concat_str(
            "list", "entry_id", "name", pl.col("aliases").list.join("|"), separator="\x1f", ignore_nulls=True
        )
    ).to_series()
    return hashlib.sha1("\n".join(joined.sort().to_list()).encode()).hexdigest()


def news_mentions(
    settings: Settings, news: pl.DataFrame, sanctions: pl.DataFrame | None, names: Callable[[], NameIndex]
) -> dict[str, list[str]]:
    """news_id -> the listed names its title mentions; reuses last run's answers while the names are the same."""
    if sanctions is None or sanctions.height == 0:
        return {}
    path = catalog_dir(settings) / "news_mentions.parquet"
    fingerprint = _names_fingerprint(sanctions)
    known = pl.read_parquet(path) if path.exists() else None
    if known is not None and (known.height == 0 or known["fingerprint"][0] != fingerprint):
        known = None
    items = news.select("news_id", "title")
    todo = items if known is None else items.join(known, on=["news_id", "title"], how="anti")
    pairs = todo.unique("news_id", keep="last").rows()
    named = [
        [m.explain() for m in mentioned_names(names(), title, settings.match_threshold)[:3]]
        for _, title in pairs
    ]
    rows = pl.DataFrame(
        {"news_id": [p[0] for p in pairs], "title": [p[1] for p in pairs], "named": named},
        schema={"news_id": pl.String, "title": pl.String, "named": pl.List(pl.String)},
    ).with_columns(pl.lit(fingerprint).alias("fingerprint"))
    table = (
        rows if known is None else pl.concat([known.join(items, on=["news_id", "title"], how="semi"), rows])
    )
    if todo.height or known is None:
        write_table(table, path)
    return {k: v for k, v in zip(table["news_id"], table["named"], strict=True) if v is not None and len(v)}


def build_documents(
    settings: Settings, collection: str, top: int, names: Callable[[], NameIndex] | None = None
) -> pl.DataFrame | None:
    """The documents of one collection from the stored tables (None when its source table is absent).

    `names` hands out the sanctions name index (built on first call); default: built here when needed."""
    source = _table(settings, SOURCES[collection])
    if source is None:
        return None
    if collection == "hs_codes":
        flows = settings.table_path("flows")
        if not settings.index_all_hs and flows.exists():  # the nomenclature's 7k codes: only those in use
            source = documents.hs_in_use(
                source, read_table(flows, "flows").select("hs_code").collect()["hs_code"]
            )
        return documents.hs_documents(source)
    if collection == "sanctions":
        return documents.sanctions_documents(source)
    sanctions = _table(settings, "sanctions")
    if collection == "news":
        named = names or cache(lambda: NameIndex(sanctions))
        return documents.news_documents(source, news_mentions(settings, source, sanctions, named))
    features = read_table(settings.table_path("features"), "features").collect()
    hs = _table(settings, "hs_codes")
    hs = hs if hs is not None else pl.DataFrame(schema={"hs_code": pl.String, "description": pl.String})
    ranked = source.filter(pl.col("rank") <= top)
    links = (
        link_by_country(ranked.select("flow_id", "reporter", "partner"), sanctions)
        if sanctions is not None
        else None
    )
    return documents.anomaly_documents(ranked, features, hs, links, top=top)


def _with_delistings(
    settings: Settings, store: EvidenceStore, docs: pl.DataFrame
) -> tuple[pl.DataFrame, list[delisted.ListChanges]]:
    """The sanctions documents plus the delisted ones; the ledger updated; what changed per list."""
    docs = docs.unique("doc_id", keep="last", maintain_order=True)
    docs = docs.with_columns(pl.Series("content_hash", content_hashes(docs), dtype=pl.String))
    try:
        previous = store.read_catalog("sanctions")
    except (IndexNotFoundError, IndexCorruptError):
        previous = None
    docs, ledger, changes = delisted.track(docs, previous, delisted.read_ledger(settings), date.today())
    delisted.save_ledger(settings, ledger)
    return docs, changes


def build_index(
    settings: Settings,
    *,
    top: int | None = None,
    collections: Sequence[str] | None = None,
    progress: Progress | None = None,
    store: EvidenceStore | None = None,
) -> IndexReport:
    """Sync the chosen collections (default: all) with the stored tables; unchanged documents are skipped."""
    started = time.perf_counter()
    chosen = list(collections or COLLECTIONS)
    unknown = [c for c in chosen if c not in COLLECTIONS]
    if unknown:
        raise InvalidArgumentError(
            "collections", f"unknown collection(s) {', '.join(unknown)}; choose from {', '.join(COLLECTIONS)}"
        )
    top = settings.index_top_anomalies if top is None else top
    store = store or EvidenceStore(settings)
    sanctions = _table(settings, "sanctions") if "news" in chosen else None
    names = cache(lambda: NameIndex(sanctions))  # at most once per run, and only if needed
    synced, skipped, lists = [], {}, []
    for name in chosen:
        docs = build_documents(settings, name, top, names)
        if docs is None:
            skipped[name] = f"no {SOURCES[name]} table yet: run `tradesentinel {BUILDERS[name]}`"
            log.warning("index: %s skipped: %s", name, skipped[name])
            continue
        if name == "sanctions":
            docs, lists = _with_delistings(settings, store, docs)
        report = store.sync(docs, name, (lambda f, n=name: progress(n, f)) if progress else None)
        log.info("index %s: %s", name, report)
        synced.append(report)
    return IndexReport(synced, skipped, time.perf_counter() - started, lists)
