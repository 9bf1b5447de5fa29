"""A straightforward pandas implementation of the same features: the baseline `make bench`
compares against, and an independent reference the tests check the fast path against."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

SERIES = ["reporter", "partner", "flow", "hs_code"]
MIRROR = {"X": "M", "M": "X"}


def _robust_z(d: pd.DataFrame, column: str, keys: list[str]) -> pd.Series:
    med = d.groupby(keys)[column].transform("median")
    mad = (d[column] - med).abs().groupby([d[k] for k in keys]).transform("median")
    return (d[column] - med) / np.maximum(mad * 1.4826, 0.05)


def pandas_features(
    flows: pd.DataFrame, programmes: pl.DataFrame, controlled: pl.DataFrame, cif_fob_ratio: float = 1.06
) -> pd.DataFrame:
    """Flows plus the feature columns, computed group by group with pandas."""
    d = flows.copy()
    d["period"] = pd.to_datetime(d["period"])
    d["unit_value"] = np.where(d["net_weight_kg"] > 0, d["value_usd"] / d["net_weight_kg"], np.nan)
    d["log_value"] = np.log(d["value_usd"].where(d["value_usd"] > 0))
    d["log_unit_value"] = np.log(d["unit_value"])
    d["_m"] = d["period"].dt.year * 12 + d["period"].dt.month - 1
    bilateral = d["partner"] != "WLD"
    totals = d[bilateral].groupby(["reporter", "flow", "hs_code", "_m"])["value_usd"].transform("sum")
    d["partner_share"] = (d["value_usd"] / totals).where(bilateral)
    prior = d[SERIES + ["_m", "log_value", "partner_share"]].copy()
    prior["_m"] += 12
    d = d.merge(prior, on=SERIES + ["_m"], how="left", suffixes=("", "_ly"))
    d["growth_yoy"] = d["log_value"] - d["log_value_ly"]
    d["partner_share_change"] = d["partner_share"] - d["partner_share_ly"]
    d = d.sort_values(SERIES + ["period"]).reset_index(drop=True)
    trailing = (
        d.groupby(SERIES, sort=False)
        .rolling("366D", on="period", closed="left", min_periods=3)["log_value"]
        .median()
        .reset_index(drop=True)
    )
    d["growth_vs_median12"] = d["log_value"] - trailing.to_numpy()
    mirror = d[d["flow"].isin(list(MIRROR))][["reporter", "partner", "flow", "hs_code", "_m", "value_usd"]]
    mirror = mirror.rename(columns={"reporter": "partner", "partner": "reporter", "value_usd": "_mirror"})
    mirror["flow"] = mirror["flow"].map(MIRROR)
    d = d.merge(mirror, on=["reporter", "partner", "flow", "hs_code", "_m"], how="left")
    factor = np.where(d["flow"] == "M", cif_fob_ratio, 1 / cif_fob_ratio)
    d["mirror_value_usd"] = d["_mirror"] * factor
    d["mirror_gap"] = d["log_value"] - np.log(d["mirror_value_usd"])
    for column, keys, name in (
        ("log_value", SERIES, "z_series"),
        ("log_unit_value", SERIES, "z_uv_series"),
        ("log_value", ["hs_code", "_m", "flow"], "z_hs_month"),
        ("log_unit_value", ["hs_code", "_m", "flow"], "z_uv_hs_month"),
    ):
        d[name] = _robust_z(d, column, keys)
    first_series = d.groupby(SERIES)["_m"].transform("min")
    first_market = d.groupby(["reporter", "flow", "hs_code"])["_m"].transform("min")
    d["is_new_corridor"] = (d["_m"] - first_series < 12) & (first_series - first_market >= 12)
    since = {iso3: s.year * 12 + s.month - 1 for iso3, s in programmes.select("iso3", "since").iter_rows()}
    d["partner_sanctioned"] = d["_m"] >= d["partner"].map(since).fillna(np.inf)
    reporter_sanctioned = d["_m"] >= d["reporter"].map(since).fillna(np.inf)
    codes = set(controlled["hs_code"].to_list())
    prefixes = {c[:k] for c in codes for k in (2, 4)}
    d["hs_controlled"] = d["hs_code"].map(lambda c: c in codes or (len(c) < 6 and c in prefixes))
    ships = pd.concat(
        [
            d.loc[
                d["flow"].isin(["X", "RX"]) & d["partner_sanctioned"], ["reporter", "hs_code", "_m"]
            ].rename(columns={"reporter": "partner"}),
            d.loc[d["flow"].isin(["M", "RM"]) & reporter_sanctioned, ["partner", "hs_code", "_m"]],
        ]
    ).drop_duplicates()
    ships = ships.rename(columns={"partner": "_destination"})
    ships["onward_to_sanctioned"] = True
    d["_destination"] = d["partner"].where(d["flow"].isin(["X", "RX"]), d["reporter"])
    d = d.merge(ships, on=["_destination", "hs_code", "_m"], how="left")
    d["onward_to_sanctioned"] = d["onward_to_sanctioned"].fillna(False).astype(bool)
    d["sanctions_exposure"] = d["partner_sanctioned"] | d["onward_to_sanctioned"]
    return d.drop(columns=["_m", "log_value_ly", "partner_share_ly", "_mirror", "_destination"])
