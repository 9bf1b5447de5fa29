"""The labelled query set and its metrics: recall@5 and MRR mean what they say."""

from __future__ import annotations

import polars as pl
import pytest

from tests.retrieval.conftest import HashEmbedding
from tradesentinel.config import Settings
from tradesentinel.retrieval.evaluate import LabelledQuery, demo_queries, evaluate, query_draws, summary
from tradesentinel.retrieval.hits import COLLECTIONS, Hit
from tradesentinel.retrieval.index import build_index
from tradesentinel.retrieval.store import EvidenceStore


class Listed:
    """A searcher that returns fixed ids, to check the metrics."""

    def __init__(self, ids: list[str]):
        self.ids = ids

    def search(self, query, *, k=8, collections=None, filters=None):
        return [Hit(i, "news", "", {}, 1.0) for i in self.ids[:k]]


def test_recall_and_mrr() -> None:
    queries = [LabelledQuery("a", "q1", ("x",)), LabelledQuery("a", "q2", ("y", "z"))]
    per_query = evaluate(Listed(["w", "x", "y", "v", "u", "z"]), queries)
    assert per_query["recall_at_5"].to_list() == [1.0, 0.5]  # z is 6th: outside the top 5
    assert per_query["reciprocal_rank"].to_list() == [0.5, 1 / 3]
    overall = summary(per_query).filter(pl.col("kind") == "all").row(0, named=True)
    assert overall["recall_at_5"] == 0.75 and abs(overall["mrr"] - (0.5 + 1 / 3) / 2) < 1e-12


def test_demo_queries_cover_every_kind_and_point_at_indexed_documents(small_world: Settings) -> None:
    store = EvidenceStore(small_world, HashEmbedding())
    build_index(small_world, store=store)
    catalogs = {name: store.read_catalog(name) for name in COLLECTIONS}
    hs = pl.read_parquet(small_world.table_path("hs_codes"))
    queries = demo_queries(catalogs, hs, n_corridor=4, n_ids=2, n_hs=3)
    kinds = {q.kind for q in queries}
    assert kinds == {
        "anomaly_corridor",
        "anomaly_id",
        "sanctions_name",
        "sanctions_country",
        "diversion",
        "news",
        "hs_code",
    }
    indexed = {d for c in catalogs.values() for d in c["doc_id"]}
    assert all(q.relevant and set(q.relevant) <= indexed for q in queries)
    first, second = demo_queries(catalogs, hs, seed=0), demo_queries(catalogs, hs, seed=1)
    assert query_draws(catalogs, hs, draws=2) == first + second and first != second
    names = [q for q in queries if q.kind == "sanctions_name"]
    listed = {n for c in catalogs["sanctions"]["extra"] for n in [c]}
    assert all(
        q.query.split(" on a ")[0].removeprefix("is ") not in " ".join(listed) for q in names
    )  # misspelt


@pytest.fixture(scope="module")
def embedder_recalls(tmp_path_factory) -> dict[str, dict]:
    """Issue #17's comparison on four draws of the labelled query set (`query_draws`): MiniLM and the
    default embedder, same run."""
    from benchmarks.bench_retrieval import QUICK_DETECTORS, embedder_quality
    from tradesentinel.detectors.stages import score_flows
    from tradesentinel.pipeline.run import build_demo

    root = tmp_path_factory.mktemp("recall")
    world = Settings(data_dir=root / "world")
    build_demo(world, scale=0.2)
    score_flows(world, QUICK_DETECTORS, track=False)
    texts = ["a listed party", "a trade flow"]
    return {
        "minilm": embedder_quality(world.data_dir, root, "minilm", texts),
        "default": embedder_quality(world.data_dir, root, Settings().embedder, texts),
    }


def _recall(row: dict, ranking: str) -> float:
    return row["results"][ranking].filter(pl.col("kind") == "all")["recall_at_5"][0]


@pytest.mark.timeout(1800)  # builds and scores a 0.2 demo world, indexes it with MiniLM and the default
def test_the_default_embedder_is_within_a_point_of_minilm_with_hybrid_ranking(embedder_recalls) -> None:
    baseline, default = embedder_recalls["minilm"], embedder_recalls["default"]
    assert _recall(default, "hybrid") >= _recall(baseline, "hybrid") - 0.01


def test_the_default_embedder_is_within_two_points_of_minilm_vector_only(embedder_recalls) -> None:
    baseline, default = embedder_recalls["minilm"], embedder_recalls["default"]
    assert _recall(default, "vector only") >= _recall(baseline, "vector only") - 0.02
