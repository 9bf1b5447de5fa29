"""The demo world's FICTITIOUS sanctions entries and news: tied to its diversion schemes, marked DEMO."""

from __future__ import annotations

import polars as pl

from tests.retrieval.conftest import demo_labels
from tradesentinel.pipeline.demo_evidence import (
    demo_news,
    demo_sanctions,
    diversion_hubs,
    to_cyrillic,
    write_demo_evidence,
)
from tradesentinel.storage import read_table


def test_front_companies_and_directors_sit_in_each_diversion_hub() -> None:
    labels = demo_labels()
    hubs = diversion_hubs(labels)
    assert hubs.select("anomaly_id", "hub").rows() == [("diversion-0001", "KAZ"), ("diversion-0002", "ARM")]
    sanctions = demo_sanctions(labels, seed=1)
    assert sanctions.height == 6 and set(sanctions["list"]) == {"DEMO"}
    for hub in ("KAZ", "ARM"):
        here = sanctions.filter(pl.col("countries").list.contains(hub))
        assert sorted(here["entity_type"]) == ["entity", "entity", "individual"]
    assert all(r.startswith("FICTITIOUS DEMO entry") for r in sanctions["remarks"])
    cyrillic = [
        a for aliases in sanctions["aliases"] for a in aliases if any("\u0400" <= ch <= "\u04ff" for ch in a)
    ]
    assert len(cyrillic) == 6  # every entry has a Cyrillic spelling among its aliases
    assert demo_sanctions(labels, seed=1).equals(sanctions)  # seeded


def test_news_is_marked_demo_and_covers_the_corridors() -> None:
    labels = demo_labels()
    news = demo_news(labels, demo_sanctions(labels, seed=1), seed=1)
    assert all(t.startswith("DEMO:") for t in news["title"]) and set(news["source"]) == {"demo"}
    kaz = news.filter(pl.col("countries").list.contains("KAZ"))
    assert kaz.height == 2 and all("RUS" in c for c in kaz["countries"])
    assert news["news_id"].n_unique() == news.height


def test_cyrillic_spelling() -> None:
    assert to_cyrillic("Dmitriy Khabarov") == "Дмитрий Хабаров"


def test_demo_writes_sanctions_news_and_hs_tables(settings) -> None:
    counts = write_demo_evidence(settings, demo_labels())
    assert counts["sanctions"] == 6 and counts["hs_codes"] > 6000
    assert read_table(settings.table_path("news"), "news").collect().height == counts["news"]
