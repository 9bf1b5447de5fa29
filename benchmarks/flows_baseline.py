"""The flows readers' benchmark inputs and the naive baseline they are measured against.

`read_and_clean` is the fast path a user runs (`ingest file`: detect the layout, read, map, validate,
quarantine, flow ids). `naive_flows` is what one writes first: the `csv` module, one dict per row,
the layout's field mapping and the same country-code lookups, with no validation or quarantine (so
the comparison favours the baseline). `comtrade_monthly` writes a monthly Comtrade Plus file the
size of the one in issue #14 (131,730 records of one HS6 code, all reporters, 2019-2023).
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from collections.abc import Callable
from pathlib import Path

from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.sources.comtrade_codes import code_to_iso3
from tradesentinel.pipeline.sources.layouts import read_flows
from tradesentinel.reference import valid_iso3

FLOW_FILES: dict[str, tuple[str, str]] = {
    "comtradr": (
        "armenia_comtrade_851713_smartphones_monthly_2022-01_2024-02_tvyal.csv",
        "old comtradr layout (Armenia, 851713)",
    ),
    "baci": ("baci_hs92_2021_exporters_AFG_ZAF_sample.csv", "CEPII BACI HS92 2021 (AFG, ZAF exporters)"),
    "legacy_api": (
        "comtrade_annual_hs440799_allreporters_2005_2014.csv.gz",
        "legacy Comtrade API (440799, .csv.gz)",
    ),
    "legacy_bulk": (
        "comtrade_legacy_annual_2010_india_china_H3.csv",
        "legacy Comtrade bulk CSV (India-China 2010)",
    ),
    "census": (
        "uscensus_hs6_imports_seafood_by_country_monthly_2018_2020.csv.gz",
        "US Census API imports (.csv.gz)",
    ),
}
"""Benchmark name -> (real file in ../shared/data/real, label)."""
PLUS_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,flowCode,"
    "flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,partner2ISO,partner2Desc,classificationCode,"
    "classificationSearchCode,isOriginalClassification,cmdCode,cmdDesc,aggrLevel,isLeaf,customsCode,customsDesc,"
    "mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,qty,isQtyEstimated,altQtyUnitCode,altQtyUnitAbbr,altQty,"
    "isAltQtyEstimated,netWgt,isNetWgtEstimated,grossWgt,isGrossWgtEstimated,cifvalue,fobvalue,primaryValue,"
    "legacyEstimationFlag,isReported,isAggregate"
)


def read_and_clean(path: Path) -> int:
    """Rows read by the fast path (read, map, validate, quarantine reasons, flow ids)."""
    raw = read_flows(path)
    return clean_flows(raw.frame, file=str(path), source=raw.source, hs_version=raw.hs_version).n_rows


def comtrade_monthly(path: Path, records: int = 131_730, seed: int = 14) -> Path:
    """A gzipped monthly Comtrade Plus CSV: one HS6 code, reporters x partners x 60 months, a fifth of
    the records DX/FM components or area partners, as in the real file of issue #14."""
    rng = random.Random(seed)
    codes = sorted({int(c) for c in code_to_iso3() if c.isdigit() and int(c) > 0})
    areas = [("490", "S19"), ("899", "_X"), ("568", "E19"), ("837", "X1"), ("838", "X2")]
    out = io.StringIO()
    out.write(PLUS_HEADER + "\n")
    for n in range(records):
        year, month = 2019 + (n // 12) % 5, n % 12 + 1
        reporter, partner = rng.choice(codes), rng.choice(codes)
        flow = rng.choices(["X", "M", "DX", "FM"], weights=[40, 40, 11, 7])[0]
        p_code, p_iso = (str(partner), code_to_iso3()[str(partner)])
        if rng.random() < 0.015:
            p_code, p_iso = rng.choice(areas)
        value = round(rng.lognormvariate(10, 2), 2)
        weight = "" if rng.random() < 0.2 else str(round(value / rng.uniform(2, 40), 3))
        out.write(
            f"C,M,{year}{month:02d}01,{year},{month},{year}{month:02d},{reporter},{code_to_iso3()[str(reporter)]},,"
            f"{flow},,{p_code},{p_iso},,0,W00,,H5,HS,true,851713,,6,true,C00,,0,0,,5,u,{rng.randint(1, 9999)},false,"
            f",,,,{weight},{str(rng.random() < 0.3).lower()},,,{value},{value},{value},0,true,false\n"
        )
    path.write_bytes(gzip.compress(out.getvalue().encode()))
    return path


def _open(path: Path) -> io.StringIO:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return io.StringIO(data.decode("utf-8"))
    except UnicodeDecodeError:
        return io.StringIO(data.decode("cp1252"))


def naive_flows(path: Path, layout: str) -> list[tuple]:
    """The file's rows as canonical tuples, written the first way: csv module, dicts, lookups per row."""
    codes, valid = code_to_iso3(), valid_iso3()

    def country(iso: str | None, code: str | None) -> str | None:
        if iso and iso.upper() in valid:
            return iso.upper()
        return codes.get(str(int(float(code)))) if code else None

    mappers: dict[str, Callable[[dict[str, str]], tuple]] = {
        "comtradr": lambda r: (
            f"{r['year']}{int(r['month']):02d}",
            country(None, r["reporter_code"]),
            country(r["partner_iso"], r["partner_code"]),
            r["trade_code"],
            r["commodity_code"].zfill(6),
            float(r["trade_value_us"]),
            None if r["netweight_kg"] in ("", "NA") else float(r["netweight_kg"]),
        ),
        "baci": lambda r: (
            r["t"],
            country(None, r["i"]),
            country(None, r["j"]),
            "X",
            r["k"].zfill(6),
            float(r["v"]) * 1000,
            None if r["q"].strip() == "NA" else float(r["q"]) * 1000,
        ),
        "legacy_api": lambda r: (
            r["year"],
            country(r["reporteriso"], r["reportercode"]),
            country(r["partneriso"], r["partnercode"]),
            {"1": "M", "2": "X", "3": "RX", "4": "RM"}[r["flowcode"][0]],
            str(int(float(r["productcode"]))).zfill(6),
            float(r["tradevalue"]),
            float(r["weight"]) if r["weight"] else None,
        ),
        "legacy_bulk": lambda r: (
            r["Year"],
            country(None, r["Reporter Code"]),
            country(None, r["Partner Code"]),
            {"1": "M", "2": "X"}.get(r["Trade Flow Code"]),
            r["Commodity Code"],
            float(r["Value"] or 0),
            float(r["Netweight (kg)"]) if r["Netweight (kg)"] else None,
        ),
        "census": lambda r: (
            f"{r['YEAR']}{r['MONTH']}",
            "USA",
            r["CTY_NAME"],
            "M",
            r["I_COMMODITY"],
            float(r["GEN_VAL_MO"]),
            None,
        ),
        "comtrade_monthly": lambda r: (
            r["period"],
            country(r["reporterISO"], r["reporterCode"]),
            country(r["partnerISO"], r["partnerCode"]),
            {"DX": "X", "FM": "M"}.get(r["flowCode"], r["flowCode"]),
            r["cmdCode"],
            float(r["primaryValue"]),
            float(r["netWgt"]) if r["netWgt"] else None,
        ),
    }
    mapper = mappers[layout]
    return [mapper(r) for r in csv.DictReader(_open(path)) if any(r.values())]
