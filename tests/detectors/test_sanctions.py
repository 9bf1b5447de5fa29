"""The sanctions-exposure rule: built from the user's lists, weighted by controlled tier, ranked by
how new the exposed corridor is."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from tradesentinel.detectors.exposure import build_exposure, controlled_weights, programme_target
from tradesentinel.detectors.sanctions import SanctionsExposureDetector


def test_the_rule_flags_the_demo_diversion_and_little_else(small_world):
    features, labels = small_world
    score = SanctionsExposureDetector().fit(features).score(features)
    diversion = features["flow_id"].is_in(labels.filter(pl.col("kind") == "diversion")["flow_id"].implode())
    assert (score[diversion.to_numpy()] > 0).mean() > 0.8
    assert (score > 0).mean() < 0.06


def _series(partner: str, values: list[float], start: dt.date) -> pl.DataFrame:
    n = len(values)
    first = start.year * 12 + start.month - 1
    return pl.DataFrame(
        {
            "period": [dt.date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(n)],
            "freq": "M",
            "reporter": "DEU",
            "partner": partner,
            "flow": "X",
            "hs_code": "854231",
            "value_usd": values,
            "log_value": np.log(values),
            "onward_to_sanctioned": False,
        }
    )


def test_a_corridor_opened_for_the_exposure_ranks_above_grown_and_steady_exposed_trade():
    steady = _series("KAZ", [1e6] * 48, dt.date(2020, 3, 1))  # a hub of Russia: exposed from 2022-02
    opened = _series("ARM", [1e6] * 20, dt.date(2022, 5, 1))  # opened after the programme began
    grown = _series("GEO", [1e6] * 24 + [5e6] * 24, dt.date(2020, 3, 1))  # x5 once exposed
    features = pl.concat([steady, opened, grown])
    detector = SanctionsExposureDetector().fit(features)
    score = detector.score(features)
    by = {p: score[(features["partner"] == p).to_numpy()] for p in ("KAZ", "ARM", "GEO")}
    assert (by["KAZ"][:23] == 0).all()  # before the programme, no exposure
    assert by["ARM"].min() > by["GEO"][24:].max() > by["KAZ"][24:].max() > 0
    row = int(np.flatnonzero((features["partner"] == "ARM").to_numpy())[5])
    (reason,) = detector.explain(features, np.array([row]))[0]
    assert reason.signal == "new_corridor" and "opened for it" in reason.label and reason.expected is None
    assert "a neighbour or hub of sanctioned BLR, RUS, IRN" in reason.label  # latest programme first


def test_destinations_and_hubs_come_from_the_ingested_lists_too():
    sanctions = pl.DataFrame(
        {
            "programmes": [["VENEZUELA-EO13850"]] * 6 + [["RUSSIA-EO14024"]] * 5,
            "countries": [["VEN"]] * 6 + [["ARE"]] * 5,
            "listed_on": [dt.date(2019, 1, 28)] * 6 + [dt.date(2022, 4, 1)] * 5,
        }
    )
    exposure = build_exposure(sanctions=sanctions)
    ven = exposure.destinations.filter(pl.col("iso3") == "VEN").row(0, named=True)
    assert ven["since"] == dt.date(2019, 1, 28) and ven["source"] == "sanctions lists"
    listed = exposure.hubs.filter(pl.col("relation") == "listed parties")
    assert listed.is_empty() or "ARE" not in listed.filter(pl.col("destination") == "RUS")["hub"].to_list()
    features = _series("VEN", [1e6] * 12, dt.date(2019, 6, 1))
    assert (SanctionsExposureDetector(exposure).fit(features).score(features) > 0).all()
    assert (SanctionsExposureDetector().fit(features).score(features) == 0).all()  # not on the shipped list


def test_programme_codes_name_the_country_they_target():
    codes = pl.DataFrame({"programme": ["RUSSIA-EO14024", "IFSR", "DPRK3", "RUS", "SDGT", "CAATSA - RUSSIA"]})
    assert codes.select(programme_target())["programme"].to_list() == [
        "RUS",
        "IRN",
        "PRK",
        "RUS",
        None,
        "RUS",
    ]


def test_controlled_weight_follows_the_tier_and_aggregates_take_their_best_code():
    weights = controlled_weights(build_exposure(), pl.Series(["854231", "8542", "845710", "010121"]))
    assert weights.to_list() == [1.0, 1.0, 0.6, 0.3]
