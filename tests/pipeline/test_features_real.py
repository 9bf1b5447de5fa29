"""Features on real annual Comtrade files (../shared/data/real), read and mapped to flows here.

The files are in legacy Comtrade layouts that ingest may not read yet, so each test maps the
columns itself: year -> 1 January with freq A, numeric flow codes -> X/M/RX/RM, country codes ->
ISO3 (Comtrade's own codes, such as S19 for "Other Asia, nes", where a row has no ISO3).
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from tests.pipeline.feature_tables import RATIO, bad_floats, features_of
from tradesentinel.pipeline.ids import flow_ids
from tradesentinel.schema import FEATURES, FLOWS, optional_nulls

SAWNWOOD = "real/comtrade_annual_hs440799_allreporters_2005_2014.csv.gz"
INDIA_CHINA = "real/comtrade_legacy_annual_2010_india_china_H3.csv"
FLOW_OF_CODE = {1: "M", 2: "X", 3: "RX", 4: "RM"}
MIRROR_PAIRS = 14_086  # docs of ../shared/data: export/import mirror pairs in the sawnwood file


def _comtrade_iso3(shared_data: Path) -> dict[int, str]:
    """Comtrade's numeric country codes -> their ISO3 (or Comtrade's own code for areas and groups)."""
    ref = pl.read_csv(shared_data / "comtrade/comtrade_ref_partner.csv", infer_schema_length=0)
    return dict(zip(ref["id"].cast(pl.Int64).to_list(), ref["iso_3"].to_list(), strict=True))


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """Mapped columns -> the flows table, with its flow ids."""
    flows = frame.with_columns(
        freq=pl.lit("A"), qty=pl.lit(None, pl.Float64), qty_unit=pl.lit(None, pl.String), flow_code="flow"
    )
    flows = flows.with_columns(optional_nulls(flows.columns, "flows"))  # estimation flags: not said
    flows = flows.select([pl.col(c).cast(t) for c, t in FLOWS.items() if c != "flow_id"])
    return flows.with_columns(flow_ids(flows))


@pytest.fixture
def sawnwood(shared_data: Path) -> pl.DataFrame:
    """The legacy-API sawnwood extract (HS 440799, every reporter, 2005-2014) as flows."""
    raw = pl.read_csv(shared_data / SAWNWOOD, infer_schema_length=100_000)
    iso3 = _comtrade_iso3(shared_data)
    mapped = raw.select(
        period=pl.date(pl.col("year"), 1, 1),
        reporter=pl.col("reporteriso").fill_null(
            pl.col("reportercode").cast(pl.Int64).replace_strict(iso3, default=None)
        ),
        partner=pl.col("partneriso").fill_null(
            pl.col("partnercode").cast(pl.Int64).replace_strict(iso3, default=None)
        ),
        flow=pl.col("flowcode").cast(pl.Int64).replace_strict(FLOW_OF_CODE),
        hs_code=pl.col("productcode").cast(pl.Int64).cast(pl.String).str.zfill(6),
        hs_version=pl.col("classification"),
        value_usd=pl.col("tradevalue"),
        net_weight_kg=pl.col("weight"),
        source=pl.lit("comtrade-legacy-api"),
    )
    return _canonical(mapped)


def test_sawnwood_mirror_pairs_are_all_found_and_cif_fob_adjusted(sawnwood):
    assert sawnwood["flow_id"].n_unique() == sawnwood.height  # one row per flow
    assert sawnwood["reporter"].null_count() == sawnwood["partner"].null_count() == 0
    exports = sawnwood.filter(pl.col("flow") == "X").select(
        "period", "hs_code", a="reporter", b="partner", x="value_usd"
    )
    imports = sawnwood.filter(pl.col("flow") == "M").select(
        "period", "hs_code", a="partner", b="reporter", m="value_usd"
    )
    pairs = exports.join(imports, on=["period", "hs_code", "a", "b"])
    assert pairs.height == MIRROR_PAIRS

    out = features_of(sawnwood)
    assert out.height == sawnwood.height and bad_floats(out) == {}
    found = out.filter(pl.col("mirror_value_usd").is_not_null())
    assert found.filter(pl.col("flow") == "X").height == MIRROR_PAIRS
    assert found.filter(pl.col("flow") == "M").height == MIRROR_PAIRS
    assert found["flow"].is_in(["X", "M"]).all()  # re-exports and re-imports have no mirror

    got = pairs.join(
        out.filter(pl.col("flow") == "M").select(
            "period", "hs_code", a="partner", b="reporter", mirror="mirror_value_usd", gap="mirror_gap"
        ),
        on=["period", "hs_code", "a", "b"],
    )
    assert (got["mirror"] - got["x"] * RATIO).abs().max() < 1e-6
    expected_gap = (got["m"] / (got["x"] * RATIO)).log()
    assert (got["gap"] - expected_gap).abs().max() < 1e-9


def test_sawnwood_features_compare_years(sawnwood):
    out = features_of(sawnwood)
    series = (pl.col("reporter") == "CAN") & (pl.col("partner") == "USA") & (pl.col("flow") == "X")
    years = out.filter(series).sort("period")
    assert years.height == 10  # Canada's sawnwood exports to the USA, 2005-2014
    values = years["value_usd"].to_list()
    assert years["growth_yoy"][0] is None
    assert years["growth_yoy"][5] == pytest.approx(math.log(values[5] / values[4]))
    trailing = sorted(math.log(v) for v in values[2:5])[1]  # 2007-2009 for 2010
    assert years["growth_vs_median12"][5] == pytest.approx(math.log(values[5]) - trailing)
    assert years["z_series"].null_count() == 0 and years["z_hs_month"].null_count() == 0
    peers = out.filter((pl.col("flow") == "X") & (pl.col("period") == years["period"][5]))
    assert peers.height > 50  # the HS x year x flow group: every exporter of 440799 in 2010


@pytest.fixture
def india_china(shared_data: Path) -> pl.DataFrame:
    """India's 2010 trade with China from the legacy bulk CSV (HS2, HS4 and HS6 rows) as flows."""
    raw = pl.read_csv(shared_data / INDIA_CHINA, infer_schema_length=0).drop_nulls("Year")
    iso3 = _comtrade_iso3(shared_data)
    raw = raw.filter(pl.col("Commodity Code") != "TOTAL")  # the all-goods total is not an HS code
    mapped = raw.select(
        period=pl.date(pl.col("Year").cast(pl.Int32), 1, 1),
        reporter=pl.col("Reporter Code").cast(pl.Int64).replace_strict(iso3),
        partner=pl.col("Partner Code").cast(pl.Int64).replace_strict(iso3),
        flow=pl.col("Trade Flow Code").cast(pl.Int64).replace_strict(FLOW_OF_CODE),
        hs_code=pl.col("Commodity Code"),
        hs_version=pl.col("Classification"),
        value_usd=pl.col("Value").cast(pl.Float64),
        net_weight_kg=pl.col("Netweight (kg)").cast(pl.Float64),
        source=pl.lit("comtrade-legacy-bulk"),
    )
    return _canonical(mapped)


def test_india_china_mixed_hs_levels_featurise_with_nulls_where_undefined(india_china):
    assert set(india_china["hs_code"].str.len_chars().unique()) == {2, 4, 6}
    out = features_of(india_china)
    assert out.schema == pl.Schema(FEATURES) and out.height == india_china.height
    assert bad_floats(out) == {}
    assert out["flow_id"].to_list() == india_china["flow_id"].to_list()
    # one year, one partner, one reporter: no history, no peers, no mirror, all of the market
    for column in ("growth_yoy", "growth_vs_median12", "z_series", "z_hs_month", "mirror_value_usd"):
        assert out[column].null_count() == out.height, column
    assert (out["partner_share"] == 1.0).all() and not out["is_new_corridor"].any()
    weighed = out.filter(pl.col("net_weight_kg") > 0)
    assert weighed["unit_value"].null_count() == 0
    assert (
        out.filter(pl.col("net_weight_kg").is_null())["unit_value"].null_count()
        == out["net_weight_kg"].null_count()
    )
    chips = out.filter(pl.col("hs_code").is_in(["85", "8542"]))  # aggregates holding controlled ICs
    assert chips.height > 0 and chips["hs_controlled"].all()
