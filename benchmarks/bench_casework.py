"""Carrying work past one screen, measured: a 100k-row CSV export over HTTP (time, and the server's RSS
growth while it streams), Explorer page changes in chromium (p95), and the map redraw with corridor
arcs for 50k anomalies in chromium. Baselines in the same run: a 50-row JSON page over HTTP, and the
map figure built in-process.

The server is `tradesentinel serve` in its own process on a free loopback port (bench_app._serve).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import polars as pl

from benchmarks.bench_app import CHROMIUM, _serve
from tradesentinel.config import Settings
from tradesentinel.detectors.stages import score_flows
from tradesentinel.pipeline.run import build_demo

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _export(url: str, pid: int, min_score: float) -> dict[str, float]:
    """Stream the CSV of every anomaly >= min_score; seconds, rows, MB, and the server's RSS before and at peak."""
    httpx.get(
        f"{url}/anomalies", params={"format": "csv", "tier": "all", "min_score": 0.9999}, timeout=60
    )  # warm up
    before, peak, done = _rss_mb(pid), [0.0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=watch, daemon=True)
    sampler.start()
    started, size, lines = time.perf_counter(), 0, 0
    with httpx.stream(
        "GET",
        f"{url}/anomalies",
        params={"format": "csv", "tier": "all", "min_score": min_score},
        timeout=120,
    ) as r:
        for chunk in r.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    pages = []
    for _ in range(50):
        t = time.perf_counter()
        httpx.get(
            f"{url}/anomalies", params={"tier": "all", "min_score": min_score, "limit": 50, "offset": 5000}
        )
        pages.append(time.perf_counter() - t)
    return {
        "export_rows": lines - 1,
        "export_s": seconds,
        "export_mb": size / 2**20,
        "export_rss_before_mb": before,
        "export_rss_growth_mb": peak[0] - before,
        "json_page_p95_ms": float(np.percentile(pages, 95) * 1000),
    }


def _browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def _pages(url: str, turns: int = 30) -> dict[str, float]:
    """Seconds from a click on 'Next' to the new page's count line, `turns` times, in chromium."""
    manager, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?tab=explorer&tier=all")  # every scored flow: thousands of pages
        count = page.locator("#ex-count")
        count.get_by_text("page 1 of").wait_for(timeout=60_000)
        seconds = []
        for number in range(2, turns + 2):
            started = time.perf_counter()
            page.locator("#ex-next").click()
            count.get_by_text(f"page {number:,} of").wait_for(timeout=30_000)
            seconds.append(time.perf_counter() - started)
        total = count.inner_text().split(" anomalies")[0].replace(",", "").replace("*", "")
    finally:
        browser.close()
        manager.stop()
    return {
        "page_turns": turns,
        "page_p50_ms": float(np.percentile(seconds, 50) * 1000),
        "page_p95_ms": float(np.percentile(seconds, 95) * 1000),
        "page_matches": float(total),
    }


def _map(url: str, min_score: float) -> dict[str, float]:
    """Redraw of the map tab with arcs (click to the new title) in chromium: the first and the next draws."""
    manager, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?tab=map")
        page.locator("#map-tier input").click()
        page.get_by_role("option", name="all", exact=True).click()  # every scored flow, then a score floor
        box = page.locator("#map-min input[type=number]")
        seconds, arcs = [], 0
        for i in range(6):
            box.fill(f"{min_score - 0.0001 * i:.4f}")
            box.press("Enter")
            title = page.locator("#map-plot .gtitle")
            before = title.first.text_content() if title.count() else None
            started = time.perf_counter()
            page.locator("#map-draw").click()
            page.wait_for_function(
                "b => { const t = document.querySelector('#map-plot .gtitle');"
                " const gd = document.querySelector('#map-plot .js-plotly-plot');"
                " return t && t.textContent !== b && gd && gd.data.some(d => d.name === 'corridors'); }",
                arg=before,
                timeout=180_000,
            )
            seconds.append(time.perf_counter() - started)
            arcs = page.evaluate(
                "() => document.querySelector('#map-plot .js-plotly-plot').data"
                ".find(t => t.name === 'corridors').lon.length"
            )
            text = page.locator("#map-plot .gtitle").text_content()
    finally:
        browser.close()
        manager.stop()
    return {
        "map_first_s": seconds[0],
        "map_redraw_p50_s": float(np.median(seconds[1:])),
        "map_redraw_max_s": max(seconds[1:]),
        "map_arcs": float(arcs),
        "map_anomalies": float(text.split(" anomalies")[0].replace(",", "")),
    }


def _map_build(data_dir: Path, min_score: float) -> float:
    """Baseline: building the same figure in-process (aggregate, arcs, JSON)."""
    from tradesentinel.investigate.tables import TableStore
    from tradesentinel.ui.map import build_map, map_filters, volumes

    store = TableStore(Settings(data_dir=data_dir))
    anomalies = store.snapshot().anomalies
    build_map(anomalies.head(100), map_filters("all", "", "all", 0.5), demo=True)
    started = time.perf_counter()
    build_map(anomalies, map_filters("all", "", "all", min_score), demo=True, trade=volumes(store))
    return time.perf_counter() - started


def _listing(data_dir: Path, turns: int = 30) -> float:
    """Baseline: one Explorer page built in-process (the query's order, the page, names, USD), p95 in ms."""
    from tradesentinel.investigate.tables import TableStore
    from tradesentinel.ui.explorer import form_values, listing
    from tradesentinel.ui.links import parse_link

    store = TableStore(Settings(data_dir=data_dir))
    values = form_values(parse_link("?tab=explorer&tier=all"))  # the set the browser pages through
    listing(store, values)
    seconds = []
    for number in range(2, turns + 2):
        values[-1] = number
        started = time.perf_counter()
        listing(store, values)
        seconds.append(time.perf_counter() - started)
    return float(np.percentile(seconds, 95) * 1000)


def run(workdir: Path, scale: float = 0.3, data_dir: Path | None = None) -> dict[str, float]:
    """Build (or reuse) a scored demo world, serve it, and measure; returns the figures."""
    if data_dir is None:
        settings = Settings(data_dir=workdir / "data")
        build_demo(settings, scale=scale)
        score_flows(settings, ["statistical", "sanctions"], track=False)
        data_dir = settings.data_dir
    scores = pl.read_parquet(data_dir / "scores.parquet", columns=["score"]).sort("score", descending=True)
    export_score = float(scores["score"][min(100_000, scores.height) - 1])
    map_score = float(scores["score"][min(50_000, scores.height) - 1])
    figures: dict[str, float] = {
        "flows": scores.height,
        "map_build_s": _map_build(data_dir, map_score),
        "listing_p95_ms": _listing(data_dir),
    }
    server, url = _serve(data_dir)
    try:
        figures |= _export(url, server.pid, export_score)
        figures["load_average"] = os.getloadavg()[0]
        if Path(CHROMIUM).exists():
            figures |= _pages(url)
            figures |= _map(url, map_score)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


def markdown(r: dict[str, float]) -> str:
    """The figures as the table docs/BENCHMARKS.md keeps."""
    rows = [
        "| measure | value |",
        "|---|---|",
        f"| machine load average during the run (1 min) | {r['load_average']:.1f} |",
        f"| scored demo flows served | {r['flows']:,.0f} |",
        (
            f"| **CSV export, {r['export_rows']:,.0f} rows** ({r['export_mb']:.0f} MiB, reasons flattened), over HTTP | "
            f"**{r['export_s']:.2f} s** (target < 5) |"
        ),
        (
            f"| **server RSS growth while streaming it** (RSS before: {r['export_rss_before_mb']:.0f} MiB) | "
            f"**{r['export_rss_growth_mb']:.0f} MiB** (target < 300) |"
        ),
        f"| baseline: a 50-row JSON page of the same set, p95 of 50 | {r['json_page_p95_ms']:.1f} ms |",
    ]
    if "page_p95_ms" in r:
        rows += [
            (
                f"| **Explorer page change in chromium** ({r['page_matches']:,.0f} matches, {r['page_turns']:.0f} "
                f"clicks on Next): p50 / p95 | {r['page_p50_ms']:.0f} / **{r['page_p95_ms']:.0f} ms** (target < 300) |"
            ),
            (
                f"| **map redraw with arcs in chromium, {r['map_anomalies']:,.0f} anomalies, {r['map_arcs']:.0f} arcs**: "
                f"median / max of 5 | {r['map_redraw_p50_s']:.2f} / **{r['map_redraw_max_s']:.2f} s** (target < 1) |"
            ),
            f"| map, first draw in a fresh page (loads plotly.js and the world map) | {r['map_first_s']:.2f} s |",
        ]
    rows.append(
        f"| baseline: one Explorer page built in-process (order, page, names, USD), p95 | {r['listing_p95_ms']:.1f} ms |"
    )
    rows.append(
        f"| baseline: the same map figure built in-process (aggregate, arcs, JSON) | {r['map_build_s']:.3f} s |"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        given = Path(sys.argv[1]) if len(sys.argv) > 1 else None
        print(markdown(run(Path(tmp), data_dir=given)))
