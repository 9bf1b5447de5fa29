"""Connector parse throughput: the OFAC legacy triple, GDELT events and every real flows layout, fast
path vs a naive one.

The baselines are what one writes first: the `csv` module, one Python dict per entry, `re` per
row, doing the same linking (aliases, addresses, programmes, identifiers in the remarks), the
same event summaries and FIPS mapping, or (flows) the same field mapping and country-code lookups
into the canonical columns, without the validation and quarantine the fast path also does. Both
paths run in this process on the same real files (../shared/data); GDELT is also timed on the
export repeated 50 times with fresh event ids (~105k rows, about a day of exports), and flows on a
generated monthly Comtrade Plus file of 131,730 records (one HS6 code, all reporters, 2019-2023,
with DX/FM components and area partners: the size of the file in issue #14).
"""

from __future__ import annotations

import csv
import gc
import re
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.flows_baseline import FLOW_FILES, comtrade_monthly, naive_flows, read_and_clean
from tradesentinel.pipeline.sources.gdelt import CAMEO_ROOTS, EVENT_COLUMNS, read_gdelt_events
from tradesentinel.pipeline.sources.geo import fips_table, iso3_from_name
from tradesentinel.pipeline.sources.ofac import ALIAS_PATTERN, read_ofac_csv
from tradesentinel.pipeline.sources.ofac_terms import ID_PATTERN

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8").replace("\x1a", "")
    return [
        [None if f.strip() == "-0-" else f.strip() for f in r] for r in csv.reader(text.splitlines()) if r
    ]


def naive_ofac(folder: Path) -> dict[str, dict]:
    """The triple linked with the csv module and dicts (the baseline)."""
    ids, alias = re.compile(ID_PATTERN), re.compile(ALIAS_PATTERN)
    entries = {}
    for r in _rows(folder / "sdn.csv"):
        remarks = r[11] or ""
        parts = [p.strip().rstrip(".") for p in remarks.split("; ")]
        entries[r[0]] = {
            "name": r[1],
            "type": (r[2] or "entity").lower(),
            "programmes": (r[3] or "").strip("[] ").split("] ["),
            "aliases": alias.findall(remarks),
            "identifiers": [p for p in parts if ids.match(p)],
            "addresses": [],
            "countries": [],
        }
    for r in _rows(folder / "alt.csv"):
        if r[0] in entries:
            entries[r[0]]["aliases"].append(r[3])
    for r in _rows(folder / "add.csv"):
        if r[0] in entries:
            entries[r[0]]["addresses"].append(", ".join(f for f in r[2:6] if f))
            entries[r[0]]["countries"].append(iso3_from_name(r[4]))
    return entries


def naive_gdelt(path: Path) -> list[dict]:
    """Events to news rows with the csv module (the baseline)."""
    fips, out = fips_table(), []
    index = {name: i for i, name in enumerate(EVENT_COLUMNS)}
    with open(path, encoding="utf-8", newline="") as handle:
        for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            geo = [
                fips.get(r[index[c]])
                for c in ("Actor1Geo_CountryCode", "Actor2Geo_CountryCode", "ActionGeo_CountryCode")
            ]
            verb = CAMEO_ROOTS.get(r[index["EventRootCode"]], "did")
            actor1 = r[index["Actor1Name"]] or r[index["Actor1Code"]] or "An unnamed actor"
            title = f"{actor1} {verb} {r[index['Actor2Name']]}, in {r[index['ActionGeo_FullName']]}"
            out.append(
                {
                    "news_id": f"gdelt-{r[0]}",
                    "date": r[1],
                    "title": title,
                    "url": r[60],
                    "tone": float(r[index["AvgTone"]]),
                    "countries": list(dict.fromkeys(c for c in geo if c)),
                }
            )
    return out


def _best(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _repeated_export(source: Path, target: Path, copies: int) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    with open(target, "w", encoding="utf-8") as out:
        for copy in range(copies):
            for line in lines:
                event, rest = line.split("\t", 1)
                out.write(f"{int(event) + copy * 10_000_000}\t{rest}\n")
    return target


def run(workdir: Path, repeats: int = 5) -> dict[str, float]:
    """Measure both paths on the real OFAC triple and GDELT export; return seconds, rows/s and ratios."""
    triple = SHARED / "ofac" / "ofac_2021-04_triple"
    export = SHARED / "gdelt" / "gdelt2_events_20191024143000.export.CSV"
    fast = read_ofac_csv(triple)
    naive = naive_ofac(triple)
    assert fast.height == len(naive) == 8890
    big = _repeated_export(export, workdir / "events50.CSV", 50)
    figures = {
        "ofac_entries": fast.height,
        "ofac_fast_s": _best(lambda: read_ofac_csv(triple), repeats),
        "ofac_naive_s": _best(lambda: naive_ofac(triple), repeats),
        "gdelt_rows": read_gdelt_events(export).height,
        "gdelt_fast_s": _best(lambda: read_gdelt_events(export), repeats),
        "gdelt_naive_s": _best(lambda: naive_gdelt(export), repeats),
        "gdelt50_rows": read_gdelt_events(big).height,
        "gdelt50_fast_s": _best(lambda: read_gdelt_events(big), max(1, repeats // 2)),
        "gdelt50_naive_s": _best(lambda: naive_gdelt(big), max(1, repeats // 2)),
    }
    keys = [("ofac", "ofac_entries"), ("gdelt", "gdelt_rows"), ("gdelt50", "gdelt50_rows")]
    flows = {name: SHARED / "real" / file for name, (file, _) in FLOW_FILES.items()}
    flows["comtrade_monthly"] = comtrade_monthly(workdir / "comtrade_monthly_131730.csv.gz")
    for name, path in flows.items():
        figures[f"{name}_rows"] = read_and_clean(path)
        figures[f"{name}_fast_s"] = _best(lambda p=path: read_and_clean(p), max(1, repeats // 2))
        figures[f"{name}_naive_s"] = _best(lambda p=path, n=name: naive_flows(p, n), max(1, repeats // 2))
        keys.append((name, f"{name}_rows"))
    for name, rows in keys:
        figures[f"{name}_rows_per_s"] = figures[rows] / figures[f"{name}_fast_s"]
        figures[f"{name}_speedup"] = figures[f"{name}_naive_s"] / figures[f"{name}_fast_s"]
    return figures


def markdown(r: dict[str, float]) -> str:
    """The figures as the table docs/BENCHMARKS.md keeps."""
    rows = [
        ("OFAC legacy triple (sdn+add+alt, linked by ent_num)", "ofac", "ofac_entries", "entries"),
        ("GDELT 2.0 events export (one 15-minute file)", "gdelt", "gdelt_rows", "events"),
        ("GDELT events, the export x50 (~a day)", "gdelt50", "gdelt50_rows", "events"),
        *[(title, name, f"{name}_rows", "rows") for name, (_, title) in FLOW_FILES.items()],
        (
            "Comtrade Plus monthly, generated (131,730 records, .csv.gz)",
            "comtrade_monthly",
            "comtrade_monthly_rows",
            "rows",
        ),
    ]
    lines = [
        "| input | rows | fast path | rows/s | naive csv-module baseline | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, count, unit in rows:
        lines.append(
            f"| {label} | {r[count]:,.0f} {unit} | {r[f'{key}_fast_s'] * 1000:.0f} ms | "
            f"{r[f'{key}_rows_per_s']:,.0f} | {r[f'{key}_naive_s'] * 1000:.0f} ms | "
            f"**{r[f'{key}_speedup']:.1f}x** |"
        )
    return "\n".join(lines)
