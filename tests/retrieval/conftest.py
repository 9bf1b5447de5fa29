"""Fixtures for retrieval tests: a small evidence world and a fast stand-in embedder (the real model is
the session-wide `minilm` of tests/conftest.py)."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradesentinel import schema
from tradesentinel.config import Settings
from tradesentinel.detectors.base import REASON_DTYPE
from tradesentinel.pipeline.demo_evidence import demo_news, demo_sanctions
from tradesentinel.retrieval.embed import RecentQueries, unit_rows
from tradesentinel.storage import write_table


class HashEmbedding:
    """Bag-of-words vectors (hashed word counts, unit length): no model, deterministic; counts what it embeds.

    Stands in for the model where a test is about bookkeeping (sync, filters), not about meaning. It
    implements the `Embedder` protocol without subclassing any real embedder.
    """

    dimension = 64

    def __init__(self, name: str = "hash-test") -> None:
        self.name = name
        self.embedded: list[str] = []
        self._recent = RecentQueries()

    def embed(self, texts, progress=None) -> np.ndarray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dimension] += 1.0
        return unit_rows(out)

    def embed_one(self, text: str) -> np.ndarray:
        return self._recent.vector(text, self.embed)


def demo_labels() -> pl.DataFrame:
    """Labels of two diversion schemes (DEU -> KAZ -> RUS in 854231, USA -> ARM -> RUS in 847150) and a spike."""
    rows = []
    for aid, src, hub, hs in (
        ("diversion-0001", "DEU", "KAZ", "854231"),
        ("diversion-0002", "USA", "ARM", "847150"),
    ):
        for month in (5, 6, 7):
            day = date(2022, month, 1)
            rows += [
                (day, src, hub, "X", hs, aid),
                (day, hub, src, "M", hs, aid),
                (day, hub, "RUS", "X", hs, aid),
            ]
    rows.append((date(2021, 3, 1), "BRA", "NLD", "M", "090111", "spike-0001"))
    frame = pl.DataFrame(
        rows, schema=["period", "reporter", "partner", "flow", "hs_code", "anomaly_id"], orient="row"
    )
    frame = frame.with_columns(
        pl.col("anomaly_id").str.split("-").list.first().alias("kind"),
        pl.concat_str("reporter", "partner", "flow", "hs_code", pl.col("period").cast(pl.String)).alias(
            "flow_id"
        ),
    )
    return schema.conform(frame, "labels").collect()


def small_scores() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A scores table (with reasons) and the features it needs, for four flows."""
    reason = REASON_DTYPE.inner
    trailing = ("value vs the trailing 12-month median", "growth_vs_median12")
    rows = [
        (
            "f1",
            date(2022, 6, 1),
            "KAZ",
            "RUS",
            "X",
            "854231",
            0.99,
            1,
            [
                (
                    "sanctions",
                    "sanctions_exposure",
                    "controlled HS to a country shipping it on to a sanctioned one",
                    "sanctions_exposure",
                    4.2e6,
                    None,
                    "USD",
                    "vs the corridor before its exposure",
                    4.0,
                ),
                (
                    "statistical",
                    "spike",
                    *trailing,
                    4.2e6,
                    3.0e5,
                    "USD",
                    "vs the median of the 12 months before",
                    12.0,
                ),
            ],
        ),
        (
            "f2",
            date(2021, 3, 1),
            "BRA",
            "NLD",
            "M",
            "090111",
            0.95,
            2,
            [
                (
                    "statistical",
                    "spike",
                    *trailing,
                    9.1e7,
                    1.2e7,
                    "USD",
                    "vs the median of the 12 months before",
                    20.0,
                )
            ],
        ),
        (
            "f3",
            date(2020, 11, 1),
            "USA",
            "SAU",
            "M",
            "090210",
            0.90,
            3,
            [
                (
                    "statistical",
                    "unit_price",
                    "unit value vs its series' own level",
                    "z_uv_series",
                    0.007,
                    6.93,
                    "USD/kg",
                    "vs the series median",
                    30.0,
                )
            ],
        ),
        (
            "f4",
            date(2023, 1, 1),
            "CAN",
            "USA",
            "X",
            "820320",
            0.85,
            4,
            [
                (
                    "statistical",
                    "mirror_gap",
                    "value vs the partner's mirror report",
                    "mirror_gap",
                    2.3e9,
                    2.1e7,
                    "USD",
                    "vs the partner's mirror report (USA, CIF/FOB-adjusted)",
                    50.0,
                )
            ],
        ),
    ]
    scores = pl.DataFrame(
        [
            (fid, p, r, pa, fl, hs, s, rank, s, [dict(zip(reason.to_schema(), x, strict=True)) for x in why])
            for fid, p, r, pa, fl, hs, s, rank, why in rows
        ],
        schema={
            "flow_id": pl.String,
            "period": pl.Date,
            "reporter": pl.String,
            "partner": pl.String,
            "flow": pl.String,
            "hs_code": pl.String,
            "score": pl.Float64,
            "rank": pl.Int64,
            "score_statistical": pl.Float64,
            "reasons": pl.List(reason),
        },
        orient="row",
    )
    features = pl.DataFrame(
        {
            "flow_id": ["f1", "f2", "f3", "f4"],
            "value_usd": [4.2e6, 9.1e7, 240.0, 2.3e9],
            "mirror_value_usd": [None, 8.8e7, 2.2e5, 2.1e7],
            "mirror_gap": [None, 0.03, -6.8, 4.7],
            "is_new_corridor": [True, False, False, False],
            "source": ["demo"] * 4,
        }
    )
    return scores, features


HS_ROWS = [
    ("85", 2, "Electrical machinery and equipment and parts thereof", None),
    ("8542", 4, "Electronic integrated circuits", "85"),
    ("854231", 6, "Electronic integrated circuits; processors and controllers", "8542"),
    ("854232", 6, "Electronic integrated circuits; memories", "8542"),
    ("84", 2, "Nuclear reactors, boilers, machinery and mechanical appliances", None),
    ("8471", 4, "Automatic data processing machines and units thereof", "84"),
    ("847150", 6, "Automatic data processing machines; processing units", "8471"),
    ("09", 2, "Coffee, tea, mate and spices", None),
    ("0901", 4, "Coffee, whether or not roasted or decaffeinated", "09"),
    ("090111", 6, "Coffee; not roasted, not decaffeinated", "0901"),
    ("0902", 4, "Tea", "09"),
    ("090210", 6, "Tea, green; in immediate packings of a content not exceeding 3kg", "0902"),
    ("82", 2, "Tools, implements, cutlery, spoons and forks, of base metal", None),
    ("8203", 4, "Tools, hand; files, rasps, pliers, pincers, tweezers", "82"),
    ("820320", 6, "Tools, hand; pliers, pincers, tweezers and similar tools", "8203"),
]


def write_small_world(settings: Settings) -> None:
    """Write hs_codes, DEMO sanctions and news, scores and features tables under the settings' data dir."""
    labels = demo_labels()
    sanctions = demo_sanctions(labels, seed=7)
    hs = pl.DataFrame(
        HS_ROWS, schema=["hs_code", "level", "description", "parent"], orient="row"
    ).with_columns(pl.lit("HS2022").alias("hs_version"))
    scores, features = small_scores()
    write_table(hs, settings.table_path("hs_codes"), "hs_codes")
    write_table(sanctions, settings.table_path("sanctions"), "sanctions")
    write_table(demo_news(labels, sanctions, seed=7), settings.table_path("news"), "news")
    write_table(scores, settings.table_path("scores"))
    features_path: Path = settings.table_path("features")
    full = features.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in schema.FEATURES.items() if c not in features.columns]
    )
    write_table(full, features_path, "features")


@pytest.fixture
def small_world(settings: Settings) -> Settings:
    """Settings whose data dir holds the small evidence world."""
    write_small_world(settings)
    return settings
