"""A small scored demo world with a few made-up sanctions entries and news items, for the app tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.detectors.stages import score_flows
from tradesentinel.pipeline.run import build_demo
from tradesentinel.storage import write_table


def build_scored_world(data_dir: Path) -> Settings:
    """Demo flows at scale 0.05, scored by the quick detectors, plus sanctions/news naming the top flow's countries."""
    settings = Settings(data_dir=data_dir)
    build_demo(settings, scale=0.05)
    score_flows(settings, ["statistical", "sanctions"], track=False)  # the quick detectors, no MLflow run
    top = pl.read_parquet(settings.table_path("scores")).sort("rank").row(0, named=True)
    when: date = top["period"]
    write_table(
        pl.DataFrame(
            {
                "list": ["DEMO", "DEMO"],
                "entry_id": ["T1", "T2"],
                "name": ["Test Trading LLC", "Other Party"],
                "aliases": [["Test Trading"], []],
                "entity_type": ["entity", "individual"],
                "programmes": [["TEST-PROG"], ["TEST-PROG"]],
                "countries": [[top["partner"]], ["ZZZ"]],
                "addresses": [[], []],
                "identifiers": [[], []],
                "listed_on": [when - timedelta(days=40), when],
                "remarks": ["made up for a test", "made up for a test"],
                "source": ["test", "test"],
            }
        ),
        settings.table_path("sanctions"),
        "sanctions",
    )
    write_table(
        pl.DataFrame(
            {
                "news_id": ["n1"],
                "date": [when + timedelta(days=10)],
                "title": [f"Customs probe into shipments between {top['reporter']} and {top['partner']}"],
                "countries": [[top["reporter"], top["partner"]]],
                "url": ["https://example.org/n1"],
                "tone": [-3.0],
                "source": ["test"],
            }
        ),
        settings.table_path("news"),
        "news",
    )
    return settings
