"""Memory bounds of the Dask engine (issue #18): 1M rows through partitioning, features and scoring
on a LocalCluster whose per-worker limit is below the data, the client's RSS bounded in proportion.

Bound: the client's peak RSS above its level at the start of the run stays under FIXED (what a
first run allocates whatever its size: connection buffers, thread pools, first-use imports) plus a
tenth of the flows and features' in-memory size (the client receives summaries, merged tables of
a few thousand numbers and the fitted models; never a column). Measured: +53 MiB for 215 MiB of
data at 1M rows; the same +51 MiB at 3M rows (650 MiB of data) and +13 MiB on a second run
(docs/BENCHMARKS.md): constant, not proportional to the rows.
"""

from __future__ import annotations

import logging

from benchmarks.bench_dask_scale import drive, memory_bounded_client, settings_for, write_flows

ROWS = 1_000_000
LIMIT = 128 * 2**20  # per worker: below the flows plus the features (~0.2 GiB)
FIXED = 64 * 2**20


def test_a_million_rows_on_memory_limited_workers_leave_the_client_light(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    settings = settings_for(tmp_path, partition_rows=125_000)
    settings.table_path("flows").parent.mkdir(parents=True)
    with memory_bounded_client(2, LIMIT) as client:
        data = client.submit(write_flows, settings.table_path("flows"), ROWS, pure=False).result()
        figures = drive(settings, client)
    size = data["flows_bytes"] + data["feature_bytes"]
    logging.getLogger(__name__).warning("memory bounds: %s, data %.0f MiB", figures, size / 2**20)
    assert size > LIMIT and data["rows"] == ROWS and figures["parts"] >= 8
    assert figures["spilled_bytes"] > 0  # the limit bit: workers held more than it allows and spilled
    assert figures["client_peak_delta"] < FIXED + 0.1 * size, figures
    assert not settings.table_path("scores").exists()  # past TRADESENTINEL_SCORES_FILE_ROWS: no single file
