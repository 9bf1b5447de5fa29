"""The `index` stage: read the stored tables, turn them into documents, sync each Chroma collection.

Collections whose source table does not exist yet are skipped (and said so); re-running with
nothing changed embeds nothing. A manifest records what was indexed, for the searcher to check.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.retrieval import documents
from tradesentinel.retrieval.hits import COLLECTIONS
from tradesentinel.retrieval.matching import NameIndex, link_by_country, mentioned_names
from tradesentinel.retrieval.store import EvidenceStore, SyncReport
from tradesentinel.storage import read_if_stored, read_table

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


def _table(settings: Settings, name: str) -> pl.DataFrame | None:
    return read_if_stored(settings.table_path(name), name)


def build_documents(settings: Settings, collection: str, top: int) -> pl.DataFrame | None:
    """The documents of one collection from the stored tables (None when its source table is absent)."""
    source = _table(settings, SOURCES[collection])
    if source is None:
        return None
    if collection == "hs_codes":
        flows = settings.table_path("flows")
        if not settings.index_all_hs and flows.exists():  # the nomenclature's 7k codes embed for minutes
            source = documents.hs_in_use(
                source, read_table(flows, "flows").select("hs_code").collect()["hs_code"]
            )
        return documents.hs_documents(source)
    if collection == "sanctions":
        return documents.sanctions_documents(source)
    sanctions = _table(settings, "sanctions")
    if collection == "news":
        mentions: dict[str, list[str]] = {}
        if sanctions is not None and sanctions.height:
            names = NameIndex(sanctions)
            for row in source.select("news_id", "title").iter_rows():
                found = mentioned_names(names, row[1], settings.match_threshold)
                if found:
                    mentions[row[0]] = [m.explain() for m in found[:3]]
        return documents.news_documents(source, mentions)
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
    synced, skipped = [], {}
    for name in chosen:
        docs = build_documents(settings, name, top)
        if docs is None:
            skipped[name] = f"no {SOURCES[name]} table yet: run `tradesentinel {BUILDERS[name]}`"
            log.warning("index: %s skipped: %s", name, skipped[name])
            continue
        report = store.sync(docs, name, (lambda f, n=name: progress(n, f)) if progress else None)
        log.info("index %s: %s", name, report)
        synced.append(report)
    return IndexReport(synced, skipped, time.perf_counter() - started)
