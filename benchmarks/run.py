"""`make bench`: run every benchmark (or `--only NAME`), print the figures, save them under benchmarks/results/.

Each benchmark is one entry of BENCHES: a function of the parsed arguments and a scratch directory
returning (section title, markdown). Its module is imported only when it runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from benchmarks import machine

RESULTS = Path(__file__).parent / "results"


def _features(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_features")
    figures = bench.run(args.rows, args.pandas_rows, tmp)
    (RESULTS / "features.json").write_text(json.dumps(figures, indent=2))
    return "Feature building", bench.markdown(figures)


def _detectors(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_detectors")
    report = import_module("benchmarks.bench_detectors_report")
    worlds = tuple(args.worlds.split(",")) if args.worlds else bench.WORLD_ORDER
    result = bench.run(worlds, scales=(args.detector_scale,))
    result["quality"].write_csv(RESULTS / "detectors_quality.csv")
    return "Detectors on every evaluation world", report.markdown(result)


def _connectors(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_connectors")
    figures = bench.run(tmp)
    (RESULTS / "connectors.json").write_text(json.dumps(figures, indent=2))
    return "Connectors (parse throughput)", bench.markdown(figures)


def _retrieval(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_retrieval")
    return "Evidence store and retrieval", bench.markdown(
        bench.run(args.retrieval_docs, data_dir=args.retrieval_data)
    )


def _dask(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_dask")
    figures = bench.run(args.dask_rows, tmp)
    (RESULTS / "dask.json").write_text(json.dumps(figures, indent=2))
    return "Dask engine", bench.markdown(figures)


def _dask_scale(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_dask_scale")
    figures = bench.run(args.dask_scale_rows, tmp)
    (RESULTS / "dask_scale.json").write_text(json.dumps(figures, indent=2))
    return "Dask engine at scale: nothing on the client", bench.markdown(figures)


def _app(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_app")
    figures = bench.run(tmp)
    (RESULTS / "app.json").write_text(json.dumps(figures, indent=2))
    return "App (API + UI)", bench.markdown(figures)


def _casework(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_casework")
    figures = bench.run(tmp)
    (RESULTS / "casework.json").write_text(json.dumps(figures, indent=2))
    return "Casework: export, paging, map arcs", bench.markdown(figures)


def _assistant(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_assistant")
    result = bench.run(
        Path(tempfile.gettempdir()) / "tradesentinel-bench-assistant"
    )  # reused: indexing is slow
    for name in ("none", "llamacpp"):
        result[name].pop("rows").write_csv(RESULTS / f"assistant_{name}.csv")
    (RESULTS / "assistant.json").write_text(json.dumps(result, indent=2, default=str))
    return "Assistant", bench.markdown(result)


def _realdata(args: argparse.Namespace, tmp: Path) -> tuple[str, str]:
    bench = import_module("benchmarks.bench_realdata")
    figures = bench.run(tmp)
    (RESULTS / "realdata.json").write_text(json.dumps(figures, indent=2))
    return "Real data end to end", bench.markdown(figures)


BENCHES: dict[str, Callable[[argparse.Namespace, Path], tuple[str, str]]] = {
    "features": _features,
    "detectors": _detectors,
    "connectors": _connectors,
    "retrieval": _retrieval,
    "dask": _dask,
    "dask_scale": _dask_scale,
    "app": _app,
    "casework": _casework,
    "assistant": _assistant,
    "realdata": _realdata,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the feature benchmark table")
    parser.add_argument(
        "--pandas-rows", type=int, default=1_000_000, help="rows given to the pandas baseline"
    )
    parser.add_argument(
        "--retrieval-docs", type=int, default=200_000, help="documents of the retrieval latency index"
    )
    parser.add_argument(
        "--retrieval-data", type=Path, help="an indexed demo world to evaluate (default: build one)"
    )
    parser.add_argument("--dask-rows", type=int, default=2_000_000, help="rows of the Dask benchmark table")
    parser.add_argument(
        "--dask-scale-rows",
        type=int,
        default=10_000_000,
        help="rows of the Dask at-scale benchmark (client RSS; 1 vs 2 workers)",
    )
    parser.add_argument(
        "--worlds", help="comma-separated evaluation worlds of the detectors benchmark (default: all)"
    )
    parser.add_argument(
        "--detector-scale",
        type=float,
        default=1.7,
        help="demo scale of the detectors' timing run (1.7: 1.5M rows)",
    )
    parser.add_argument("--only", choices=list(BENCHES), action="append", help="run these benchmarks only")
    args = parser.parse_args()
    logging.basicConfig(level="WARNING")
    RESULTS.mkdir(exist_ok=True)
    report = [f"# Benchmarks, {time.strftime('%Y-%m-%d %H:%M')}", f"Machine: {machine.describe()}", ""]
    for name in args.only or BENCHES:
        with tempfile.TemporaryDirectory() as tmp:
            title, body = BENCHES[name](args, Path(tmp))
        report += [f"## {title}", "", body, ""]
    text = "\n".join(report)
    (RESULTS / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
