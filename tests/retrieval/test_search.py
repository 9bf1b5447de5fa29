"""Hybrid search: keywords and vectors together, filters outside Chroma, scores on every hit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest

from tests.retrieval.conftest import HashEmbedding
from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.retrieval import collection as collection_module
from tradesentinel.retrieval.hits import SearchFilters
from tradesentinel.retrieval.index import build_index
from tradesentinel.retrieval.search import HybridSearcher, open_searcher
from tradesentinel.retrieval.store import EvidenceStore, IndexCorruptError


@pytest.fixture
def searcher(small_world: Settings) -> HybridSearcher:
    build_index(small_world, store=EvidenceStore(small_world, HashEmbedding()))
    return open_searcher(small_world, HashEmbedding())


def ids(hits) -> list[str]:
    return [h.doc_id for h in hits]


def test_hs_code_and_flow_id_are_found_by_keyword(searcher: HybridSearcher) -> None:
    hits = searcher.search("854231", k=2, collections=["anomalies", "hs_codes"])
    assert set(ids(hits)) == {"anomaly:f1", "hs:854231"}
    assert all(
        h.keyword_score and h.keyword_score > 0.5 for h in hits if h.doc_id in ("anomaly:f1", "hs:854231")
    )
    assert ids(searcher.search("flow f4", k=1)) == ["anomaly:f4"]


def test_a_code_named_in_the_question_brings_its_own_entry_first(searcher: HybridSearcher) -> None:
    for question in ("what does HS 854231 cover?", "What is 8542.31?", "HS code 854231 exports"):
        assert ids(searcher.search(question, k=1)) == ["hs:854231"], question
    longer = searcher.search("8542310 and 1854231", k=8)  # longer numbers: no code named
    assert all(h.score < 1.0 for h in longer if h.doc_id == "hs:854231")
    searcher.vector_weight = 1.0  # vector only: the embedder alone, no keyword or code rules
    assert searcher.search("what does HS 854231 cover?", k=1)[0].keyword_score is None


def test_hits_carry_scores_best_first_and_metadata(searcher: HybridSearcher) -> None:
    hits = searcher.search("coffee Brazil Netherlands", k=5)
    assert "anomaly:f2" in ids(hits[:2])  # with the DEMO news item about the same surge
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 and h.vector_score is not None for h in hits)
    top = next(h for h in hits if h.doc_id == "anomaly:f2")
    assert top.metadata["countries"] == ["BRA", "NLD"] and top.metadata["hs_code"] == "090111"
    assert (
        top.metadata["date"] == "2021-03-01" and top.metadata["kind"] == "spike" and top.metadata["rank"] == 2
    )


def test_filters_by_country_hs_period_and_kind(searcher: HybridSearcher) -> None:
    kaz = searcher.search("re-exports", k=20, filters=SearchFilters(countries=("KAZ",)))
    assert kaz and all("KAZ" in h.metadata["countries"] for h in kaz)
    assert {h.collection for h in kaz} >= {"sanctions", "news", "anomalies"}
    hs = searcher.search("electronic", k=20, filters=SearchFilters(hs_prefix="8542"))
    assert set(ids(hs)) == {
        "anomaly:f1",
        "hs:8542",
        "hs:854231",
        "hs:854232",
        "hs:85",
    }  # and the chapter above
    period = searcher.search(
        "trade", k=20, filters=SearchFilters(period_from=date(2022, 1, 1), period_to=date(2022, 12, 31))
    )
    assert period and all("2022-01-01" <= h.metadata["date"] <= "2022-12-31" for h in period)
    kinds = searcher.search("price", k=20, filters=SearchFilters(kinds=("unit_price", "hs6")))
    assert {h.metadata["kind"] for h in kinds} == {"unit_price", "hs6"}
    assert searcher.search("price", filters=SearchFilters(countries=("FRA",))) == []


def test_collections_restrict_the_search(searcher: HybridSearcher) -> None:
    hits = searcher.search("Kazakhstan", k=10, collections=["news"])
    assert hits and {h.collection for h in hits} == {"news"}
    with pytest.raises(InvalidArgumentError, match="unknown collection"):
        searcher.search("x", collections=["tweets"])


def test_a_misspelt_listed_name_finds_the_entry(searcher: HybridSearcher) -> None:
    index = searcher.collections["sanctions"]
    person = next(r for r in index.catalog.iter_rows(named=True) if '"individual"' in r["extra"])
    import json

    name = json.loads(person["extra"])["name"]
    first, family = name.split()
    hits = searcher.search(f"is {first} {family[:-1]}w listed", k=3, collections=["sanctions"])
    assert hits[0].doc_id == person["doc_id"] and hits[0].keyword_score == 1.0


def test_large_candidate_sets_go_through_chroma_with_the_same_filters(
    searcher: HybridSearcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = searcher.search("tools pliers", k=5, filters=SearchFilters(hs_prefix="82"))
    monkeypatch.setattr(collection_module, "EXACT_LIMIT", 0)  # force the HNSW path
    via_chroma = searcher.search("tools pliers", k=5, filters=SearchFilters(hs_prefix="82"))
    assert ids(via_chroma) == ids(exact)


def test_a_damaged_chroma_store_says_to_run_index(small_world: Settings) -> None:
    build_index(small_world, collections=["news"], store=EvidenceStore(small_world, HashEmbedding()))
    EvidenceStore(small_world, HashEmbedding()).client.delete_collection("ts_news")
    with pytest.raises(IndexCorruptError, match="run `tradesentinel index`"):
        open_searcher(small_world, HashEmbedding())


def test_real_model_finds_evidence_by_meaning(small_world: Settings, minilm) -> None:
    build_index(small_world, collections=["news"], store=EvidenceStore(small_world, minilm))
    searcher = open_searcher(small_world, minilm)
    hits = searcher.search("microchips smuggled into Russia via Central Asia", k=5)
    assert "Kazakhstan" in hits[0].text and "integrated circuits" in hits[0].text
    assert hits[0].vector_score > 0.3


def test_a_garbage_chroma_file_says_what_to_do(small_world: Settings) -> None:
    build_index(small_world, collections=["news"], store=EvidenceStore(small_world, HashEmbedding()))
    (small_world.data_dir / "chroma" / "chroma.sqlite3").write_bytes(b"garbage" * 100)
    env = {**os.environ, "TRADESENTINEL_DATA_DIR": str(small_world.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "tradesentinel.cli", "search", "anything"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # a fresh process opens the file
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "delete that folder, then run `tradesentinel index`" in " ".join(done.stderr.split())


def test_a_query_asked_again_reuses_its_vector() -> None:
    from tests.retrieval.conftest import HashEmbedding

    embedder = HashEmbedding()
    first = embedder.embed_one("controlled chips to Russia")
    again = embedder.embed_one("controlled chips to Russia")
    assert embedder.embedded == ["controlled chips to Russia"] and (first == again).all()
    embedder.embed_one("something else")
    assert embedder.embedded == ["controlled chips to Russia", "something else"]


def test_keyword_counts_match_scikit_learns_count_vectorizer(shared_data) -> None:
    """The polars word counts behind BM25 against scikit-learn's CountVectorizer on real list texts (those
    without combining marks or Arabic script: Rust's `\\w` keeps a word's marks in it, Python's splits there)."""
    import polars as pl
    from sklearn.feature_extraction.text import CountVectorizer

    from tradesentinel.pipeline.sources.un import read_un_xml
    from tradesentinel.retrieval.documents import sanctions_documents
    from tradesentinel.retrieval.keywords import _term_counts

    texts = sanctions_documents(read_un_xml(next((shared_data / "un").glob("*.xml"))))["text"]
    texts = pl.concat([texts, pl.Series(["", "Ünïcödé ÇAFÉ straße 8542"])])
    texts = texts.filter(~texts.str.contains(r"[\u0300-\u036f\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]"))
    ours, vocabulary = _term_counts(texts)
    counter = CountVectorizer(token_pattern=r"(?u)\w+", lowercase=True)
    theirs = counter.fit_transform(texts.to_list())
    assert vocabulary == counter.get_feature_names_out().tolist()
    ours.sum_duplicates()
    assert (ours != theirs).nnz == 0
