"""The evidence index stays in step with the tables: incremental, idempotent, repairable, and loud when broken."""

from __future__ import annotations

import polars as pl
import pytest

from tests.retrieval.conftest import HashEmbedding
from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.retrieval.index import build_documents, build_index
from tradesentinel.retrieval.search import open_searcher
from tradesentinel.retrieval.store import (
    EvidenceStore,
    IndexCorruptError,
    IndexNotFoundError,
    catalog_path,
)


@pytest.fixture
def store(small_world: Settings) -> EvidenceStore:
    return EvidenceStore(small_world, HashEmbedding())


def test_reindexing_with_nothing_changed_embeds_nothing(small_world: Settings, store: EvidenceStore) -> None:
    first = build_index(small_world, store=store)
    assert {r.collection: r.added for r in first.synced} == {
        "anomalies": 4,
        "hs_codes": 15,
        "sanctions": 6,
        "news": 5,
    }
    n_embedded = len(store.embedder.embedded)
    second = build_index(small_world, store=store)
    assert not any(r.changed for r in second.synced)
    assert all(r.unchanged == r.n_docs for r in second.synced)
    assert len(store.embedder.embedded) == n_embedded  # nothing re-embedded


def test_changed_docs_update_and_vanished_docs_are_deleted(
    small_world: Settings, store: EvidenceStore
) -> None:
    docs = build_documents(small_world, "hs_codes", 10)
    store.sync(docs, "hs_codes")
    store.embedder.embedded.clear()
    changed = docs.with_columns(
        pl.when(pl.col("doc_id") == "hs:0902")
        .then(pl.lit("HS heading 0902: Tea, changed."))
        .otherwise("text")
        .alias("text")
    ).filter(pl.col("doc_id") != "hs:82")
    report = store.sync(changed, "hs_codes")
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 1, 1, 13)
    assert store.embedder.embedded == ["HS heading 0902: Tea, changed."]
    chroma = store.collection("hs_codes")
    assert chroma.count() == 14 and chroma.get(ids=["hs:82"])["ids"] == []
    catalog = store.read_catalog("hs_codes")
    assert catalog.filter(pl.col("doc_id") == "hs:0902")["text"].to_list() == [
        "HS heading 0902: Tea, changed."
    ]
    assert chroma.get(ids=["hs:0902"], include=["metadatas"])["metadatas"][0]["kind"] == "hs4"


def test_texts_go_to_chroma_when_asked(small_world: Settings) -> None:
    settings = small_world.model_copy(update={"chroma_text": True})
    store = EvidenceStore(settings, HashEmbedding())
    store.sync(build_documents(settings, "news", 10), "news")
    stored = store.collection("news").get(include=["documents"])["documents"]
    assert len(stored) == 5 and all(text.startswith("FICTITIOUS DEMO news item") for text in stored)


def test_lost_chroma_documents_are_restored_from_stored_vectors(
    small_world: Settings, store: EvidenceStore
) -> None:
    docs = build_documents(small_world, "sanctions", 10)
    store.sync(docs, "sanctions")
    store.collection("sanctions").delete(ids=docs["doc_id"].head(2).to_list())
    with pytest.raises(IndexCorruptError, match="run `tradesentinel index`"):
        open_searcher(small_world, HashEmbedding())  # 4 in Chroma, 6 in the catalog: out of step
    store.embedder.embedded.clear()
    report = store.sync(docs, "sanctions")
    assert report.restored == 2 and store.embedder.embedded == []
    assert store.collection("sanctions").count() == 6


def test_missing_index_says_to_run_index(settings: Settings) -> None:
    with pytest.raises(IndexNotFoundError, match="run `tradesentinel index`"):
        open_searcher(settings, HashEmbedding())


def test_corrupt_catalog_is_reported_then_rebuilt(small_world: Settings, store: EvidenceStore) -> None:
    build_index(small_world, collections=["news"], store=store)
    catalog_path(small_world, "news").write_bytes(b"not parquet at all")
    with pytest.raises(IndexCorruptError, match="news.parquet is unreadable.*run `tradesentinel index`"):
        open_searcher(small_world, HashEmbedding())
    report = build_index(small_world, collections=["news"], store=store)
    assert report.synced[0].n_docs == 5
    assert len(open_searcher(small_world, HashEmbedding()).search("Kazakhstan", k=3)) == 3


def test_a_collection_without_its_table_is_skipped(settings: Settings) -> None:
    report = build_index(settings, store=EvidenceStore(settings, HashEmbedding()))
    assert report.synced == [] and set(report.skipped) == {"anomalies", "hs_codes", "sanctions", "news"}
    with pytest.raises(InvalidArgumentError, match="unknown collection"):
        build_index(settings, collections=["tweets"])
