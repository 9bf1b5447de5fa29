"""The vectorised document builders write what the row-by-row reference (the previous builders) wrote."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.retrieval import reference_documents as reference
from tests.retrieval.conftest import HS_ROWS, demo_labels
from tradesentinel.pipeline.demo_evidence import demo_news, demo_sanctions
from tradesentinel.retrieval.documents import hs_documents, news_documents, sanctions_documents

HS = pl.DataFrame(HS_ROWS, schema=["hs_code", "level", "description", "parent"], orient="row").with_columns(
    pl.lit("HS2022").alias("hs_version")
)


def same_documents(ours: pl.DataFrame, theirs: pl.DataFrame) -> None:
    """Equal frames, comparing `extra` as JSON (key order and spacing aside; `status` is new)."""
    assert ours.columns == theirs.columns and ours.height == theirs.height
    assert ours.drop("extra").equals(theirs.drop("extra"))
    for mine, old in zip(ours["extra"], theirs["extra"], strict=True):
        decoded = json.loads(mine)
        decoded.pop("status", None)
        assert decoded == json.loads(old)


def test_hs_documents_match_the_reference() -> None:
    same_documents(hs_documents(HS), reference.hs_documents(HS))


def test_demo_sanctions_and_news_match_the_reference() -> None:
    sanctions = demo_sanctions(demo_labels(), seed=7)
    same_documents(sanctions_documents(sanctions), reference.sanctions_documents(sanctions))
    news = demo_news(demo_labels(), sanctions, seed=7)
    mentions = {news["news_id"][0]: ["matched X", "matched Y"]}
    same_documents(news_documents(news, mentions), reference.news_documents(news, mentions))


def test_real_ofac_and_un_lists_match_the_reference(shared_data) -> None:
    from tradesentinel.pipeline.sources.ofac import read_ofac_csv_checked
    from tradesentinel.pipeline.sources.un import read_un_xml

    ofac, _ = read_ofac_csv_checked(shared_data / "ofac" / "ofac_2021-04_triple", list_name="OFAC-SDN")
    un = read_un_xml(next((shared_data / "un").glob("*.xml")))
    for entries in (ofac, un):
        same_documents(sanctions_documents(entries), reference.sanctions_documents(entries))


@pytest.mark.parametrize("builder", [hs_documents, sanctions_documents, news_documents])
def test_empty_tables_give_no_documents(builder) -> None:
    source = {"hs_documents": HS, "sanctions_documents": demo_sanctions(demo_labels(), seed=7)}.get(
        builder.__name__, demo_news(demo_labels(), demo_sanctions(demo_labels(), seed=7), seed=7)
    )
    assert builder(source.head(0)).height == 0
