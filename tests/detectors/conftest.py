"""A small demo world with features, shared by the detector tests (built once per session)."""

from __future__ import annotations

import polars as pl
import pytest

from tradesentinel.pipeline.demo import build_demo_world
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.reference import controlled_hs, country_programmes


@pytest.fixture(scope="session")
def small_world() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(features, labels) of a 0.1-scale demo world."""
    world = build_demo_world(scale=0.1)
    flows = world.flows.sort(CANONICAL_ORDER)
    features = build_features(flows, programmes=country_programmes(), controlled=controlled_hs()).collect()
    return features, world.labels
