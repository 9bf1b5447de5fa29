"""Rich tables for the `index` and `search` commands."""

from __future__ import annotations

from rich.table import Table

from tradesentinel.retrieval.delisted import ListChanges
from tradesentinel.retrieval.hits import Hit
from tradesentinel.retrieval.index import IndexReport


def index_table(report: IndexReport) -> Table:
    """One row per collection: documents, added, updated, deleted, unchanged, restored, embedding time."""
    changed = any(r.changed for r in report.synced)
    title = "evidence index" + ("" if changed else ": up to date, nothing changed (every document skipped)")
    table = Table(title=title)
    for column in (
        "collection",
        "documents",
        "added",
        "updated",
        "deleted",
        "unchanged",
        "restored",
        "embed s",
    ):
        table.add_column(column, justify="left" if column == "collection" else "right")
    for r in report.synced:
        table.add_row(
            r.collection,
            f"{r.n_docs:,}",
            f"{r.added:,}",
            f"{r.updated:,}",
            f"{r.deleted:,}",
            f"{r.unchanged:,}",
            f"{r.restored:,}",
            f"{r.embed_seconds:.1f}",
        )
    for name, why in report.skipped.items():
        table.add_row(name, "skipped", why, "", "", "", "", "")
    switched = [r for r in report.synced if r.switched_from]
    if switched:
        table.caption = "; ".join(
            f"{r.collection}: re-embedded with {r.embedder} (was {r.switched_from})" for r in switched
        )
    return table


def lists_table(changes: list[ListChanges]) -> Table:
    """One row per sanctions list: entries now, and added, updated, delisted, relisted since the last index."""
    table = Table(title="sanctions lists since the last index")
    for column in ("list", "entries", "added", "updated", "delisted", "relisted"):
        table.add_column(column, justify="left" if column == "list" else "right")
    for c in changes:
        table.add_row(
            c.list, f"{c.entries:,}", f"{c.added:,}", f"{c.updated:,}", f"{c.delisted:,}", f"{c.relisted:,}"
        )
    return table


def hits_table(query: str, hits: list[Hit]) -> Table:
    """Hits with their fused, vector and keyword scores and the start of their text."""
    table = Table(title=f"{len(hits)} hit(s) for {query!r}" if hits else f"nothing found for {query!r}")
    for column in ("#", "score", "vector", "keyword", "collection", "id", "text"):
        table.add_column(column, justify="right" if column in ("#", "score", "vector", "keyword") else "left")
    for n, h in enumerate(hits, 1):
        table.add_row(
            str(n),
            f"{h.score:.3f}",
            "" if h.vector_score is None else f"{h.vector_score:.3f}",
            "" if h.keyword_score is None else f"{h.keyword_score:.3f}",
            h.collection,
            h.doc_id,
            h.text[:160] + ("..." if len(h.text) > 160 else ""),
        )
    return table
