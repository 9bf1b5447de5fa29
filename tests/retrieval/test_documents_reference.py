"""The vectorised document builders write what the row-by-row reference (the previous builders) wrote."""

from __future__ import annotations

import json
import math
from datetime import date

import polars as pl
import pytest

from benchmarks.bench_retrieval import synthetic_scores
from tests.retrieval import reference_documents as reference
from tests.retrieval.conftest import HS_ROWS, demo_labels, small_scores
from tradesentinel.detectors.base import REASON_DTYPE, UNITS
from tradesentinel.pipeline.demo_evidence import demo_news, demo_sanctions
from tradesentinel.retrieval.documents import (
    anomaly_documents,
    hs_documents,
    news_documents,
    sanctions_documents,
)
from tradesentinel.retrieval.matching import link_by_country

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


def same_anomaly_documents(ours: pl.DataFrame, theirs: pl.DataFrame) -> None:
    """`same_documents` with the same dtypes, and `extra` written as the same string (json.dumps' spacing
    and floats)."""
    same_documents(ours, theirs)
    assert ours.schema == theirs.schema
    assert ours["extra"].to_list() == theirs["extra"].to_list()


def test_anomaly_documents_match_the_reference_on_the_small_world() -> None:
    scores, features = small_scores()
    annual = features.with_columns(
        freq=pl.when(pl.col("flow_id") == "f4").then(pl.lit("A")).otherwise(pl.lit("M"))
    )
    for table in (features, annual):
        for top in (4, 2):
            same_anomaly_documents(
                anomaly_documents(scores, table, HS, top=top),
                reference.anomaly_documents(scores, table, HS, top=top),
            )


@pytest.mark.parametrize("seed", [3, 17])
@pytest.mark.parametrize("linked", [False, True], ids=["no links", "links"])
def test_anomaly_documents_match_the_reference_on_synthetic_scores(seed: int, linked: bool) -> None:
    scores, features, hs = synthetic_scores(3000, seed=seed)
    features = features.with_columns(
        freq=pl.when(pl.int_range(pl.len()) % 7 == 0).then(pl.lit("A")).otherwise(pl.lit("M"))
    )
    links = None
    if linked:
        links = link_by_country(
            scores.select("flow_id", "reporter", "partner"), demo_sanctions(demo_labels(), seed=7)
        )
        assert (links["n_linked"] > 0).sum() > 100
    ours = anomaly_documents(scores, features, hs, links, top=2500)
    assert ours.height == 2500
    same_anomaly_documents(ours, reference.anomaly_documents(scores, features, hs, links, top=2500))


def reason(unit: str | None, observed: float | None, expected: float | None, **fields) -> dict:
    """A stored reason (REASON_DTYPE) with these values and plain defaults for the rest."""
    return {
        "detector": "statistical",
        "signal": "spike",
        "label": "value vs its own history",
        "feature": "growth_yoy",
        "observed": observed,
        "expected": expected,
        "unit": unit,
        "comparison": "vs the same month of 2022",
        "magnitude": 3.0,
        **fields,
    }


VALUES = [0.0, -0.0, 0.5, 2.675, 12.0, 0.04, -1234.5, 912_550.0, 2.3e9, 7.5e-6, math.nan, math.inf, -math.inf]


def edge_reasons() -> list[list[dict] | None]:
    """Reasons of every unit with values of every kind (None, NaN, inf, ties), context only, nulls..."""
    rows: list[list[dict] | None] = [None, []]
    rows.append([reason("USD", 1.0, 2.0, signal="context"), reason("z", 2.0, None, signal="context")])
    rows.append([reason("code", None, None, label="category 'X' \\ \"quoted\" é", comparison=None)])
    rows.append(
        [reason("USD", 5.0, 1.0, signal=None, magnitude=None), reason("share", 0.5, 0.1, magnitude=math.nan)]
    )
    rows.append(
        [
            reason("log", 1.0, -2.0, signal="sanctions_exposure", magnitude=1.0),
            reason("USD", 1e7, 1e6, magnitude=99.0),
        ]
    )
    rows.append(
        [
            reason("USD", 1.0, 2.0, signal="peer_outlier", magnitude=None),
            reason("z", 1.0, None, magnitude=-math.inf),
        ]
    )
    for unit in (*UNITS, "count per month", None):
        for i, value in enumerate(VALUES):
            other = VALUES[(i + 5) % len(VALUES)]
            if unit == "log" and math.isfinite(value):
                value, other = min(value, 40.0), min(other, 40.0)
            rows.append(
                [
                    reason(unit, value, other, magnitude=float(i)),
                    reason(unit, value, None, signal="context"),
                    reason(unit, other, None, signal="peer_outlier", magnitude=float(i)),
                    reason(unit, None, value, signal="unit_price", magnitude=2.0),
                    reason(unit, value, value, magnitude=float(i % 4)),
                ]
            )
    return rows


def edge_tables() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(scores, features, hs codes, links) whose rows each hit an edge of the document text."""
    reasons = edge_reasons()
    n = len(reasons)
    codes = ["854231", "090210", None, "", "999999", "8542", "85", "1234567"]
    countries = ["KAZ", "RUS", "USA", "XKX", "WLD", "CIV", "TWN"]
    detector_values = [1.0, 2.0, None, 2.0, -0.0, 0.0, 1e-3, 0.005, 12.345, 0.125]
    scores = pl.DataFrame(
        {
            "flow_id": [f"flow-{i:03d}" for i in range(n)],
            "period": [date(2020 + i % 5 if i % 17 else 999, i % 12 + 1, 1) for i in range(n)],
            "reporter": [countries[i % 7] for i in range(n)],
            "partner": [countries[(i + 3) % 7] for i in range(n)],
            "flow": [("X", "M", "RX", "RM", "Z")[i % 5] for i in range(n)],
            "hs_code": [codes[i % len(codes)] for i in range(n)],
            "score": [(0.9995, 0.0625, 1.0, 0.12345, 1e-7, 0.0)[i % 6] for i in range(n)],
            "rank": list(range(n, 0, -1)),
            "score_statistical": [detector_values[i % 10] for i in range(n)],
            "score_sanctions": [detector_values[(i + 3) % 10] for i in range(n)],
            "score_boosted": [detector_values[(i * 7) % 10] for i in range(n)],
            "reasons": reasons,
        },
        schema_overrides={"reasons": REASON_DTYPE},
    )
    features = pl.DataFrame(
        {
            "flow_id": [f"flow-{i:03d}" for i in range(n) if i % 11],  # some flows have no features
            "freq": [("M", "A", None)[i % 3] for i in range(n) if i % 11],
            "mirror_value_usd": [(None, 2.1e7, math.nan, 950.0, 0.0)[i % 5] for i in range(n) if i % 11],
            "mirror_gap": [(0.03, None, -6.8, math.nan, 0.0, 4.7)[i % 6] for i in range(n) if i % 11],
            "is_new_corridor": [(True, False, None)[i % 3] for i in range(n) if i % 11],
            "source": [("demo", "comtrade", None, "")[i % 4] for i in range(n) if i % 11],
        }
    )
    hs = pl.DataFrame(
        {
            "hs_code": ["85", "8542", "854231", "09", "0902", "090210", "12"],
            "description": [
                "Electrical machinery",
                "Integrated circuits",
                None,
                "Coffee, tea",
                "Tea",
                "Tea, green",
                "Seeds",
            ],
        }
    )
    links = pl.DataFrame(
        {
            "flow_id": [f"flow-{i:03d}" for i in range(0, n, 4)],
            "n_linked": [i % 3 for i in range(0, n, 4)],
            "linked": [
                ['OFAC-SDN 123 Ômega "Trading" (KAZ)', "UN 9 back\\slash\tTab (RUS)", "EU 7 日本 (USA)"][
                    : i % 5
                ]
                for i in range(0, n, 4)
            ],
        },
        schema={"flow_id": pl.String, "n_linked": pl.UInt32, "linked": pl.List(pl.String)},
    )
    no_scores = pl.int_range(pl.len()) % 13 == 0  # no detector scored these
    detectors = [c for c in scores.columns if c.startswith("score_")]
    scores = scores.with_columns(
        pl.when(no_scores).then(None).otherwise(pl.col(c)).alias(c) for c in detectors
    )
    return scores, features, hs, links


def test_anomaly_documents_match_the_reference_on_edge_rows() -> None:
    """Null and context-only reasons, None, NaN and infinite amounts of every unit, missing mirror, HS code
    and description, unknown flow code, tied and missing detector scores, escapes in the links' JSON, a
    year before 1000."""
    scores, features, hs, links = edge_tables()
    for with_links in (None, links):
        ours = anomaly_documents(scores, features, hs, with_links, top=scores.height)
        same_anomaly_documents(
            ours, reference.anomaly_documents(scores, features, hs, with_links, top=scores.height)
        )
    assert ours.height == scores.height


def test_no_ranked_flows_give_no_anomaly_documents() -> None:
    scores, features = small_scores()
    ours = anomaly_documents(scores, features, HS, top=0)
    assert ours.height == 0 and ours.schema == reference.anomaly_documents(scores, features, HS, top=0).schema
