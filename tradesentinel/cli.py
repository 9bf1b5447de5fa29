"""The `tradesentinel` command line: one command per stage, with progress; errors are handled once,
for every command, by cli_common (a readable line for bad input, exit 2 and a logged traceback for a bug)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from tradesentinel.cli_cases import refresh_watchlists, users_app, watch_app
from tradesentinel.cli_common import HandledGroup, load_settings, progress_bar
from tradesentinel.cli_ingest import ingest_app
from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError, echo

app = typer.Typer(
    cls=HandledGroup,
    help="tradesentinel: find and explain anomalies in global trade flows.",
    no_args_is_help=True,
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(users_app, name="users")
app.add_typer(watch_app, name="watch")
log = logging.getLogger("tradesentinel")


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
    from tradesentinel.detectors.stages import score_flows
    from tradesentinel.pipeline.run import build_demo

    settings = load_settings()
    scored = None
    with progress_bar() as progress:
        report = build_demo(settings, scale=scale, progress=progress)
        if score:
            scored = score_flows(settings, _detector_names(detectors), progress=progress)
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
    if scored:
        table.add_row("scored in", f"{scored.total_seconds:.1f} s")
    if score and index:
        table.add_row("evidence indexed in", f"{indexed.seconds:.1f} s")
    Console().print(table)


Engine = Annotated[
    str | None,
    typer.Option(help="local (in-process) or dask (a cluster, docs/scaling.md); default from settings."),
]
Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address (tcp://host:8786); default: a LocalCluster.")
]


def _engine(settings: Settings, engine: str | None) -> Literal["local", "dask"]:
    """Where to run (--engine, else settings.engine); anything but local/dask is an error."""
    chosen = engine or settings.engine
    if chosen not in ("local", "dask"):
        raise InvalidArgumentError(
            "--engine", f"unknown engine {echo(engine)}", hint="choose from local, dask"
        )
    return chosen


@app.command()
def features(engine: Engine = None, scheduler: Scheduler = None) -> None:
    """Build the features table from the stored flows table (on Dask: a partitioned dataset)."""
    from tradesentinel.pipeline.run import build_feature_table

    settings = load_settings()
    with progress_bar() as progress:
        progress("features", 0.0)
        if _engine(settings, engine) == "dask":
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
    from tradesentinel.detectors.stages import score_flows

    settings = load_settings()
    with progress_bar() as progress:
        report = score_flows(
            settings,
            _detector_names(detectors),
            engine=_engine(settings, engine),
            scheduler=scheduler,
            progress=progress,
            track=track,
        )
    out = Console()
    out.print(f"scores: {report.n_rows:,} rows in {report.total_seconds:.1f} s -> {report.path}")
    for name, seconds in report.seconds.items():
        out.print(f"  {name:<12} {seconds:7.1f} s")
    for name, reason in report.notes.items():
        out.print(f"  skipped {name}: {reason}")
    if report.context_rows:
        out.print(f"  {report.context_rows:,} world totals (partner WLD) kept as context, not scored")
    if report.run_id:
        out.print(f"MLflow run {report.run_id}")
    refresh_watchlists(settings)


@app.command()
def evaluate(
    labels: Annotated[
        str | None,
        typer.Option(
            help="`cases` (analysts' dispositions: true hits), or a CSV of period, reporter, partner, flow, "
            "hs_code, kind; default: the demo world's labels."
        ),
    ] = None,
    budget: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Share of rows an analyst inspects.")
    ] = 0.01,
    track: Annotated[bool, typer.Option(help="Log the run to MLflow.")] = True,
) -> None:
    """Average precision, precision@1000 and recall at the inspection budget, per detector and kind."""
    from tradesentinel.detectors.stages import evaluate_scores

    settings = load_settings()
    if labels == "cases":
        from tradesentinel.cases.db import Database
        from tradesentinel.cases.labels import case_labels
        from tradesentinel.cases.store import CaseStore
        from tradesentinel.investigate.tables import TableStore

        frame, counts = case_labels(CaseStore(Database(settings), TableStore(settings)))
        Console().print(
            "analyst labels: " + ", ".join(f"{n} {d.replace('_', ' ')}" for d, n in sorted(counts.items()))
        )
        table, run_id = evaluate_scores(settings, frame, budget=budget, track=track, labels_name="cases")
    else:
        table, run_id = evaluate_scores(
            settings, Path(labels) if labels else None, budget=budget, track=track
        )
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
    from tradesentinel.retrieval.report import index_table, lists_table

    settings = load_settings()
    names = [c.strip() for c in collections.split(",") if c.strip()] if collections else None
    with progress_bar() as progress:
        report = build_index(settings, top=top, collections=names, progress=progress)
    Console().print(index_table(report))
    if report.lists:
        Console().print(lists_table(report.lists))


@app.command()
def refresh(
    lists: Annotated[
        str, typer.Option(help="Comma-separated sources to refresh: ofac,eu,un.")
    ] = "ofac,eu,un",
    ofac: Annotated[
        Path | None,
        typer.Option(help="OFAC sdn.csv, a folder of its CSVs, the XML or a zip (default: download)."),
    ] = None,
    eu: Annotated[Path | None, typer.Option(help="EU FSF XML or CSV (default: download).")] = None,
    un: Annotated[Path | None, typer.Option(help="UN consolidated XML (default: download).")] = None,
) -> None:
    """Ingest the sanctions lists, then update the evidence index; says what was added, updated, delisted.

    For cron: exit 0 when every source was read, 1 when any failed (the others are still indexed)."""
    from tradesentinel.retrieval.refresh import refresh as run_refresh
    from tradesentinel.retrieval.report import index_table, lists_table

    settings = load_settings()
    files = {"ofac": ofac, "eu": eu, "un": un}
    chosen = [s.strip() for s in lists.split(",") if s.strip()]
    with progress_bar() as progress:
        report = run_refresh(settings, {s: files.get(s) for s in chosen}, progress=progress)
    out = Console()
    if report.index:
        out.print(index_table(report.index))
    if report.lists:
        out.print(lists_table(report.lists))
    for source, count in report.read.items():
        out.print(f"{source}: read {count:,} entries")
    for source, why in report.failed.items():
        out.print(f"[bold red]{source} failed:[/] {why}", highlight=False)
    out.print(f"refresh {'done' if report.ok else 'incomplete'} in {report.seconds:.1f} s")
    if not report.ok:
        raise typer.Exit(1)


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

    settings = load_settings()
    filters = SearchFilters(countries=tuple(country or ()), hs_prefix=hs, kinds=tuple(kind or ()))
    hits = open_searcher(settings).search(query, k=k, collections=collection or None, filters=filters)
    Console().print(hits_table(query, hits))


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="A question about the anomalies, HS codes, sanctions or news.")
    ],
    backend: Annotated[
        str | None, typer.Option(help="Framing model: llamacpp, ollama or none (default from settings).")
    ] = None,
) -> None:
    """Answer a question from the tables: facts stated and cited [n], the model only phrases."""
    from tradesentinel.assistant.cli_view import print_answer_stream
    from tradesentinel.assistant.types import MAX_QUESTION

    if not question.strip() or len(question) > MAX_QUESTION:
        raise InvalidArgumentError("question", f"must be 1 to {MAX_QUESTION} characters, not blank")
    settings = load_settings()
    print_answer_stream(question, settings, backend_name=backend)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings: 7860).")] = None,
    insecure: Annotated[
        bool, typer.Option(help="Serve on a non-loopback address without any API key (anyone can read).")
    ] = False,
) -> None:
    """Serve the web app and API on http://127.0.0.1:7860."""
    import uvicorn

    from tradesentinel.app import create_app
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.users import KeyRing

    settings = load_settings()
    bind = host or settings.host
    if bind not in LOOPBACK and not insecure and not KeyRing(Database(settings)).required():
        raise InvalidArgumentError(
            "--host",
            f"refusing to serve on {echo(bind)} without an API key: anyone who reaches it could read the "
            "data and change cases",
            hint="set TRADESENTINEL_API_KEY or run `tradesentinel users add NAME` (or pass --insecure)",
        )
    log.info(
        "serving the app on http://%s:%d (API docs at /docs)", host or settings.host, port or settings.port
    )
    uvicorn.run(
        create_app(settings, warm_up=True),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


if __name__ == "__main__":
    app()
