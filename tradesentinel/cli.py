"""The `tradesentinel` command line: one command per pipeline stage, with progress and clear errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tradesentinel.config import Settings, get_settings
from tradesentinel.errors import InvalidArgumentError, TradeSentinelError, echo
from tradesentinel.logs import configure_logging

app = typer.Typer(
    help="tradesentinel: find and explain anomalies in global trade flows.", no_args_is_help=True
)
ingest_app = typer.Typer(help="Read a source into the canonical tables.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
console = Console(stderr=True)
log = logging.getLogger("tradesentinel")
USER_ERRORS = (TradeSentinelError,)


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, settings.data_dir / "logs")
    return settings


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a user-facing error into one readable line and exit code 1 (the log keeps the context)."""
    try:
        yield
    except USER_ERRORS as exc:
        log.debug("command failed", exc_info=True)
        logging.getLogger("tradesentinel.errors").error("%s: %s", type(exc).__name__, exc)
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def _progress() -> Iterator[Callable[[str, float], None]]:
    """A rich progress bar per named stage; yields a callback(stage, fraction_done)."""
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        yield update


def _detector_names(option: str | None) -> list[str] | None:
    """The detectors named in a comma-separated option; None (all of them) when not given."""
    return [d.strip() for d in option.split(",") if d.strip()] if option else None


@app.command()
def demo(
    scale: Annotated[
        float, typer.Option(min=0.01, max=20.0, help="Size of the world: 1.0 is the default.")
    ] = 1.0,
    detectors: Annotated[
        str | None, typer.Option(help="Comma-separated detectors to score with (default: all).")
    ] = None,
    score: Annotated[bool, typer.Option(help="Score the flows (skip with --no-score).")] = True,
    index: Annotated[
        bool, typer.Option(help="Index the evidence for search and the assistant (needs scores).")
    ] = True,
) -> None:
    """Build the offline DEMO world: labelled flows with injected anomalies, features, scores, evidence index."""
    from tradesentinel.pipeline.run import build_demo

    settings = _settings()
    with _user_errors(), _progress() as progress:
        report = build_demo(
            settings, scale=scale, progress=progress, detectors=_detector_names(detectors), score=score
        )
        if score and index:
            from tradesentinel.retrieval.index import build_index

            indexed = build_index(settings, progress=progress)
    table = Table(title="DEMO world (synthetic data, not real trade)")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("flows", f"{report.n_flows:,}")
    for kind, count in report.labels_by_kind.items():
        table.add_row(f"labelled {kind}", f"{count:,}")
    table.add_row("features built in", f"{report.features.seconds:.2f} s")
    if report.scores:
        table.add_row("scored in", f"{report.scores.total_seconds:.1f} s")
    if score and index:
        table.add_row("evidence indexed in", f"{indexed.seconds:.1f} s")
    Console().print(table)


@ingest_app.command("csv")
def ingest_csv(
    path: Annotated[
        Path,
        typer.Argument(
            help="Import CSV: period, reporter, partner, flow, hs_code, value_usd, "
            "net_weight_kg[, qty, qty_unit]"
        ),
    ],
    replace: Annotated[
        bool, typer.Option(help="Replace the stored flows instead of merging into them.")
    ] = False,
) -> None:
    """Read an import CSV into the flows table; rejected rows go to the quarantine table with a reason."""
    from tradesentinel.pipeline.run import ingest_csv as run_ingest

    settings = _settings()
    with _user_errors(), _progress() as progress:
        progress("ingest", 0.0)
        report = run_ingest(settings, path, replace=replace)
        progress("ingest", 1.0)
    out = Console()
    out.print(
        f"{report.file}: read {report.n_rows:,} rows, kept {report.n_kept:,}, "
        f"quarantined {report.n_quarantined:,}; flows table now {report.n_flows_total:,} rows"
    )
    if report.quarantine_path:
        out.print(f"quarantined rows and their reasons: {report.quarantine_path}")


Engine = Annotated[
    str | None,
    typer.Option(help="local (in-process) or dask (a cluster, docs/scaling.md); default from settings."),
]
Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address (tcp://host:8786); default: a LocalCluster.")
]


def _dask(settings: Settings, engine: str | None) -> bool:
    """Whether to run on Dask (--engine, else settings.engine); anything but local/dask is an error."""
    if (engine or settings.engine) not in ("local", "dask"):
        raise InvalidArgumentError(
            "--engine", f"unknown engine {echo(engine)}", hint="choose from local, dask"
        )
    return (engine or settings.engine) == "dask"


@app.command()
def features(engine: Engine = None, scheduler: Scheduler = None) -> None:
    """Build the features table from the stored flows table (on Dask: a partitioned dataset)."""
    from tradesentinel.pipeline.run import build_feature_table

    settings = _settings()
    with _user_errors(), _progress() as progress:
        progress("features", 0.0)
        if _dask(settings, engine):
            from tradesentinel.pipeline.distributed import features_on_cluster

            r = features_on_cluster(settings, scheduler, progress=progress)
            Console().print(
                f"features: {r.n_rows:,} rows in {r.n_parts} HS parts on {r.n_workers} workers in "
                f"{r.partition_seconds + r.feature_seconds:.2f} s -> {r.url}"
            )
            return
        report = build_feature_table(settings)
        progress("features", 1.0)
    Console().print(f"features: {report.n_rows:,} rows in {report.seconds:.2f} s -> {report.path}")


@app.command()
def score(
    detectors: Annotated[str | None, typer.Option(help="Comma-separated detectors (default: all).")] = None,
    track: Annotated[bool, typer.Option(help="Log the run to MLflow.")] = True,
    engine: Engine = None,
    scheduler: Scheduler = None,
) -> None:
    """Fit every detector on the features, combine them into one ranked score with reasons."""
    from tradesentinel.pipeline.run import score_flows

    settings = _settings()
    with _user_errors(), _progress() as progress:
        if _dask(settings, engine):
            from tradesentinel.detectors.distributed import score_on_cluster

            report = score_on_cluster(
                settings, _detector_names(detectors), scheduler, progress=progress, track=track
            )
        else:
            report = score_flows(settings, _detector_names(detectors), progress=progress, track=track)
    out = Console()
    out.print(f"scores: {report.n_rows:,} rows in {report.total_seconds:.1f} s -> {report.path}")
    for name, seconds in report.seconds.items():
        out.print(f"  {name:<12} {seconds:7.1f} s")
    if report.run_id:
        out.print(f"MLflow run {report.run_id}")


@app.command()
def evaluate(
    labels: Annotated[
        Path | None,
        typer.Option(
            help="CSV of period, reporter, partner, flow, hs_code, kind; default: the demo world's labels."
        ),
    ] = None,
    budget: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Share of rows an analyst inspects.")
    ] = 0.01,
    track: Annotated[bool, typer.Option(help="Log the run to MLflow.")] = True,
) -> None:
    """Average precision, precision@1000 and recall at the inspection budget, per detector and kind."""
    from tradesentinel.pipeline.run import evaluate_scores

    settings = _settings()
    with _user_errors():
        table, run_id = evaluate_scores(settings, labels, budget=budget, track=track)
    view = Table(title=f"detection quality (recall at a {budget:.1%} inspection budget)")
    for column in (
        "detector",
        "kind",
        "n_positive",
        "average_precision",
        "precision_at_1000",
        "recall_at_budget",
    ):
        view.add_column(column, justify="left" if column in ("detector", "kind") else "right")
    for row in table.iter_rows(named=True):
        view.add_row(
            row["detector"],
            row["kind"],
            str(row["n_positive"]),
            *(f"{row[m]:.3f}" for m in ("average_precision", "precision_at_1000", "recall_at_budget")),
        )
    out = Console()
    out.print(view)
    if run_id:
        out.print(f"MLflow run {run_id}")


@app.command()
def index(
    top: Annotated[
        int | None, typer.Option(min=0, help="Top-ranked flows to index (default: settings).")
    ] = None,
    collections: Annotated[
        str | None, typer.Option(help="Comma-separated: anomalies,hs_codes,sanctions,news (default: all).")
    ] = None,
) -> None:
    """Turn scores, HS codes, sanctions and news into evidence documents in Chroma (incremental)."""
    from tradesentinel.retrieval.index import build_index
    from tradesentinel.retrieval.report import index_table

    settings = _settings()
    names = [c.strip() for c in collections.split(",") if c.strip()] if collections else None
    with _user_errors(), _progress() as progress:
        report = build_index(settings, top=top, collections=names, progress=progress)
    Console().print(index_table(report))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for: words, names, HS codes, countries.")],
    k: Annotated[int, typer.Option(min=1, max=100, help="How many hits.")] = 8,
    country: Annotated[list[str] | None, typer.Option(help="ISO3 filter (repeatable).")] = None,
    hs: Annotated[str | None, typer.Option(help="HS code prefix filter, e.g. 8542.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Document kind filter (repeatable).")] = None,
    collection: Annotated[list[str] | None, typer.Option(help="Collections to search (repeatable).")] = None,
) -> None:
    """Hybrid search of the evidence index (vector + keywords), with filters; prints hits with scores."""
    from tradesentinel.retrieval.hits import SearchFilters
    from tradesentinel.retrieval.report import hits_table
    from tradesentinel.retrieval.search import open_searcher

    settings = _settings()
    filters = SearchFilters(countries=tuple(country or ()), hs_prefix=hs, kinds=tuple(kind or ()))
    with _user_errors():
        hits = open_searcher(settings).search(query, k=k, collections=collection or None, filters=filters)
    Console().print(hits_table(query, hits))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the trade anomalies and their evidence.")],
    backend: Annotated[
        str | None, typer.Option(help="Answer model: llamacpp, ollama or none (default from settings).")
    ] = None,
    k: Annotated[int | None, typer.Option(min=1, max=50, help="Evidence passages to retrieve.")] = None,
) -> None:
    """Answer a question with sentences verified against numbered, cited evidence."""
    from tradesentinel.assistant.cli_view import print_answer_stream

    settings = _settings()
    with _user_errors():
        print_answer_stream(question, settings, backend_name=backend, k=k)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings: 7860).")] = None,
) -> None:
    """Serve the web app and API on http://127.0.0.1:7860."""
    import uvicorn

    from tradesentinel.api.app import create_app

    settings = _settings()
    log.info(
        "serving the app on http://%s:%d (API docs at /docs)", host or settings.host, port or settings.port
    )
    with _user_errors():
        uvicorn.run(
            create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info"
        )


from tradesentinel import cli_ingest  # noqa: F401  registers ingest comtrade|hs|ofac|eu|un|gdelt|wits|worldbank|portcalls

if __name__ == "__main__":
    app()
