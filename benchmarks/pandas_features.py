"""A straightforward pandas implementation of the same features: the baseline `make bench`
compares against, and an independent reference the tests check the fast path against.

Monthly and annual rows are computed apart, each with its own horizons (written out here rather
than imported, so the reference stays independent of the code it checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

SERIES = ["reporter", "partner", "flow", "hs_code"]
MIRROR = {"X": "M", "M": "X"}
HORIZONS = {
    # per year: periods in a year; lag: periods back for "a year earlier"; trailing: the window of
    # the trailing median before the period (366 days hold the 12 previous month starts, 1096 days
    # the 3 previous 1 Januaries) and least: the values it needs; new: the new-corridor horizon
    "M": {"per_year": 12, "lag": 12, "trailing": "366D", "least": 3, "new": 12},
    "A": {"per_year": 1, "lag": 1, "trailing": "1096D", "least": 2, "new": 1},
}


def _robust_z(d: pd.DataFrame, column: str, keys: list[str]) -> pd.Series:
    """Robust z within groups; null where the group has fewer than 3 values."""
    groups = d.groupby(keys)[column]
    med = groups.transform("median")
    mad = (d[column] - med).abs().groupby([d[k] for k in keys]).transform("median")
    z = (d[column] - med) / np.maximum(mad * 1.4826, 0.05)
    return z.where(groups.transform("count") >= 3)


def pandas_features(
    flows: pd.DataFrame, programmes: pl.DataFrame, controlled: pl.DataFrame, cif_fob_ratio: float = 1.06
) -> pd.DataFrame:
    """Flows plus the feature columns, computed group by group with pandas, each frequency apart
    (a null freq counts as monthly)."""
    freq = flows["freq"].fillna("M")
    parts = [
        _one_frequency(flows[freq == f], HORIZONS[f], programmes, controlled, cif_fob_ratio)
        for f in HORIZONS
        if (freq == f).any()
    ]
    return (
        pd.concat(parts, ignore_index=True)
        if parts
        else _one_frequency(flows, HORIZONS["M"], programmes, controlled, cif_fob_ratio)
    )


def _one_frequency(
    flows: pd.DataFrame, h: dict, programmes: pl.DataFrame, controlled: pl.DataFrame, cif_fob_ratio: float
) -> pd.DataFrame:
    """The features of rows that all have one frequency, with that frequency's horizons `h`."""
    d = flows.copy()
    d["period"] = pd.to_datetime(d["period"])
    monthly = h["per_year"] == 12
    d["_date"] = d["period"].dt.to_period("M" if monthly else "Y").dt.start_time
    d["unit_value"] = np.where(d["net_weight_kg"] > 0, d["value_usd"] / d["net_weight_kg"], np.nan)
    d["log_value"] = np.log(d["value_usd"].where(d["value_usd"] > 0))
    d["log_unit_value"] = np.log(d["unit_value"])
    d["_m"] = d["period"].dt.year * h["per_year"] + (d["period"].dt.month - 1 if monthly else 0)
    bilateral = d["partner"] != "WLD"
    totals = d[bilateral].groupby(["reporter", "flow", "hs_code", "_m"])["value_usd"].transform("sum")
    d["partner_share"] = (d["value_usd"] / totals).where(bilateral)
    prior = d[SERIES + ["_m", "log_value", "partner_share"]].copy()
    prior["_m"] += h["lag"]
    d = d.merge(prior, on=SERIES + ["_m"], how="left", suffixes=("", "_ly"))
    d["growth_yoy"] = d["log_value"] - d["log_value_ly"]
    d["partner_share_change"] = d["partner_share"] - d["partner_share_ly"]
    d = d.sort_values(SERIES + ["_date"]).reset_index(drop=True)
    trailing = (
        d.groupby(SERIES, sort=False)
        .rolling(h["trailing"], on="_date", closed="left", min_periods=h["least"])["log_value"]
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
    d["is_new_corridor"] = (d["_m"] - first_series < h["new"]) & (first_series - first_market >= h["new"])
    since = {  # an annual total counts as sanctioned from the year its programme starts
        iso3: s.year * h["per_year"] + (s.month - 1 if monthly else 0)
        for iso3, s in programmes.select("iso3", "since").iter_rows()
    }
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
    return d.drop(columns=["_m", "_date", "log_value_ly", "partner_share_ly", "_mirror", "_destination"])
