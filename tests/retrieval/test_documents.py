"""Evidence documents: what an analyst reads in each document, and ids that stay put."""

from __future__ import annotations

import json

import polars as pl

from tests.retrieval.conftest import HS_ROWS, demo_labels, small_scores
from tradesentinel.detectors.signals import classify
from tradesentinel.pipeline.demo_evidence import demo_news, demo_sanctions
from tradesentinel.retrieval.documents import (
    anomaly_documents,
    hs_documents,
    hs_in_use,
    news_documents,
    sanctions_documents,
)

HS = pl.DataFrame(HS_ROWS, schema=["hs_code", "level", "description", "parent"], orient="row").with_columns(
    pl.lit("HS2022").alias("hs_version")
)


def test_anomaly_document_says_who_what_when_observed_expected_mirror_detectors_score() -> None:
    scores, features = small_scores()
    docs = anomaly_documents(scores, features, HS, top=4)
    assert docs["doc_id"].to_list() == ["anomaly:f1", "anomaly:f2", "anomaly:f3", "anomaly:f4"]
    text = docs.filter(pl.col("doc_id") == "anomaly:f4")["text"][0]
    for expected in (
        "Canada (CAN) export to United States (USA)",
        "HS 820320",
        "pliers",
        "heading 8203",
        "period 2023-01",
        "January 2023",
        "USD 2.3 billion against USD 21.0 million expected",
        "Mirror: United States reports USD 21.0 million",
        "Detector scores: statistical",
        "score 0.850",
        "DEMO data",
    ):
        assert expected in text, expected
    row = docs.filter(pl.col("doc_id") == "anomaly:f1").row(0, named=True)
    assert (
        row["kind"] == "sanctions_exposure"
        and row["countries"] == ["KAZ", "RUS"]
        and row["hs_code"] == "854231"
    )
    assert "New corridor" in row["text"] and json.loads(row["extra"])["rank"] == 1


def test_top_limits_the_anomaly_documents_and_ids_are_stable() -> None:
    scores, features = small_scores()
    assert anomaly_documents(scores, features, HS, top=2).height == 2
    first = anomaly_documents(scores, features, HS, top=4)
    assert first.equals(anomaly_documents(scores, features, HS, top=4))


def test_anomaly_kind_comes_from_the_strongest_reason() -> None:
    assert classify([{"detector": "statistical", "signal": "unit_price", "magnitude": 9}]) == "unit_price"
    assert (
        classify(
            [
                {
                    "detector": "statistical",
                    "signal": "mirror_gap",
                    "magnitude": 9,
                },
                {"detector": "statistical", "signal": "level_shift", "magnitude": 2},
            ]
        )
        == "mirror_gap"
    )
    assert (
        classify(
            [
                {"detector": "sanctions", "signal": "sanctions_exposure", "magnitude": 1},
                {"detector": "statistical", "signal": "unit_price", "magnitude": 9},
            ]
        )
        == "sanctions_exposure"
    )


def test_hs_documents_carry_their_parents() -> None:
    docs = hs_documents(HS)
    text = docs.filter(pl.col("doc_id") == "hs:854231")["text"][0]
    assert "processors and controllers" in text
    assert "Part of HS 8542 (Electronic integrated circuits), chapter 85 (Electrical machinery" in text
    assert set(docs["kind"]) == {"hs2", "hs4", "hs6"}


def test_sanctions_and_news_documents_name_aliases_countries_and_say_demo() -> None:
    sanctions = demo_sanctions(demo_labels(), seed=7)
    docs = sanctions_documents(sanctions)
    first = docs.row(0, named=True)
    assert first["doc_id"] == f"sanctions:DEMO:{sanctions['entry_id'][0]}"
    assert first["text"].startswith("FICTITIOUS DEMO entry") and sanctions["aliases"][0][1] in first["text"]
    assert "Kazakhstan (KAZ)" in first["text"] and first["kind"] == "DEMO"
    news = demo_news(demo_labels(), sanctions, seed=7)
    ndocs = news_documents(news, {news["news_id"][0]: ["matched X"]})
    assert ndocs["text"][0].startswith("FICTITIOUS DEMO news item") and "matched X" in ndocs["text"][0]
    assert ndocs["url"][0].startswith("https://news.demo.invalid/")


def test_only_traded_hs_codes_and_their_parents_are_kept() -> None:
    kept = hs_in_use(HS, pl.Series(["090210", None, "090210", "8542"]))
    assert set(kept["hs_code"]) == {"09", "0902", "090210", "85", "8542"}


def test_an_annual_flow_is_dated_by_its_year_not_as_january() -> None:
    scores, features = small_scores()
    annual = features.with_columns(
        freq=pl.when(pl.col("flow_id") == "f4").then(pl.lit("A")).otherwise(pl.lit("M"))
    )
    docs = anomaly_documents(scores, annual, HS, top=4)
    text = docs.filter(pl.col("doc_id") == "anomaly:f4")["text"][0]
    assert "year 2023 (annual total)" in text and "January" not in text and "2023-01" not in text
    assert "period 20" in docs.filter(pl.col("doc_id") == "anomaly:f1")["text"][0]
