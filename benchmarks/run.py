"""`make bench`: run every benchmark, print the figures, and save them under benchmarks/results/."""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from benchmarks import bench_dask, bench_detectors, bench_features, machine

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the feature benchmark table")
    parser.add_argument(
        "--pandas-rows", type=int, default=1_000_000, help="rows given to the pandas baseline"
    )
    parser.add_argument("--only", choices=["features", "detectors", "dask"], help="run one benchmark")
    parser.add_argument("--dask-rows", type=int, default=2_000_000, help="rows of the Dask benchmark table")
    args = parser.parse_args()
    logging.basicConfig(level="WARNING")
    RESULTS.mkdir(exist_ok=True)
    report = [f"# Benchmarks, {time.strftime('%Y-%m-%d %H:%M')}", f"Machine: {machine.describe()}", ""]
    if args.only in (None, "features"):
        with tempfile.TemporaryDirectory() as tmp:
            figures = bench_features.run(args.rows, args.pandas_rows, Path(tmp))
        (RESULTS / "features.json").write_text(json.dumps(figures, indent=2))
        report += ["## Feature building", "", bench_features.markdown(figures), ""]
    if args.only in (None, "detectors"):
        result = bench_detectors.run()
        result["quality"].write_csv(RESULTS / "detectors_quality.csv")
        report += ["## Detectors", "", bench_detectors.markdown(result), ""]
    if args.only in (None, "dask"):
        with tempfile.TemporaryDirectory() as tmp:
            figures = bench_dask.run(args.dask_rows, Path(tmp))
        (RESULTS / "dask.json").write_text(json.dumps(figures, indent=2))
        report += ["## Dask engine", "", bench_dask.markdown(figures), ""]
    text = "\n".join(report)
    (RESULTS / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
