"""UN Comtrade API v1 downloads: the keyless preview, the keyed data endpoint and the bulk files.

Without a subscription key (settings.comtrade_key) queries go to /public/v1/preview, which
returns at most 500 records per call; with one, to /data/v1/get (the key travels in the
Ocp-Apim-Subscription-Key header, never in a logged URL). Comtrade has no offset paging: a query
is split into one call per period, a call that comes back full is split again per reporter and
then per flow, and one still full after that is reported as capped so the user can narrow it
(fewer partners or codes) instead of silently missing rows.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.comtrade import MAX_PREVIEW, payload_records
from tradesentinel.pipeline.sources.comtrade_codes import iso3_to_code
from tradesentinel.pipeline.sources.files import read_json
from tradesentinel.pipeline.sources.http import FetchError, fetch
from tradesentinel.reference import WORLD

log = logging.getLogger(__name__)
KEY_HEADER = "Ocp-Apim-Subscription-Key"
MAX_DATA = 250_000
"""Records per call of the keyed data endpoint."""


@dataclass(frozen=True)
class ComtradeQuery:
    """One Comtrade request: countries as ISO3 (WLD = world partner), periods YYYY or YYYYMM."""

    reporters: tuple[str, ...]
    periods: tuple[str, ...]
    partners: tuple[str, ...] = ()
    flows: tuple[str, ...] = ("M", "X")
    cmd: str = "AG2"  # every HS2 chapter; TOTAL is the all-commodities total (not an HS code)
    freq: str = "A"
    type_code: str = "C"
    classification: str = "HS"


@dataclass(frozen=True)
class Download:
    """The raw files fetched, and the calls that came back full (capped at the endpoint's limit)."""

    paths: list[Path]
    capped: list[str]


def _codes(values: tuple[str, ...], field: str) -> str:
    """Comtrade codes of ISO3 codes, comma-joined; InputError naming an unknown one."""
    table = {**iso3_to_code(), WORLD: "0"}
    codes = []
    for value in values:
        code = table.get(value.strip().upper()) if not value.strip().isdigit() else value.strip()
        if code is None:
            raise InputError("comtrade query", f"unknown country {value!r} (expected ISO3)", field=field)
        codes.append(code)
    return ",".join(codes)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:80]


def _split(
    call: tuple[tuple[str, ...], str, tuple[str, ...]],
) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """A full call split in smaller ones: per reporter first, then per flow; [] when it cannot be split."""
    reporters, period, flows = call
    if len(reporters) > 1:
        return [((r,), period, flows) for r in reporters]
    if len(flows) > 1:
        return [(reporters, period, (f,)) for f in flows]
    return []


def download_comtrade(settings: Settings, query: ComtradeQuery) -> Download:
    """Fetch the query into data/raw/comtrade/<date>/, one call per period; return the files.

    A call that comes back full (the endpoint's record limit) is discarded and split per reporter,
    then per flow; one that is still full after that is kept and reported as capped.
    """
    if not query.reporters or not query.periods:
        raise InputError("comtrade query", "give at least one reporter and one period", field="reporter")
    key = settings.comtrade_key.get_secret_value() if settings.comtrade_key else None
    endpoint = "data/v1/get" if key else "public/v1/preview"
    limit = MAX_DATA if key else MAX_PREVIEW
    url = f"{settings.comtrade_url}/{endpoint}/{query.type_code}/{query.freq}/{query.classification}"
    base = {"cmdCode": query.cmd, "maxRecords": str(limit), "includeDesc": "True", "breakdownMode": "classic"}
    if query.partners:
        base["partnerCode"] = _codes(query.partners, "partner")
    paths, capped = [], []
    calls = [(query.reporters, period, query.flows) for period in query.periods]
    while calls:
        reporters, period, flows = call = calls.pop(0)
        params = {
            **base,
            "reporterCode": _codes(reporters, "reporter"),
            "flowCode": ",".join(flows),
            "period": period,
        }
        name = _safe(
            f"{query.freq}_{query.classification}_{'-'.join(reporters)}_{period}_{'-'.join(flows)}_{query.cmd}"
        )
        path = fetch(
            settings,
            url,
            source="comtrade",
            name=f"{name}.json",
            params=params,
            headers={KEY_HEADER: key} if key else None,
        )
        records = payload_records(read_json(path, "JSON from the API"), path)
        if len(records) >= limit and (smaller := _split(call)):
            log.info(
                "comtrade: %s %s hit the %d-record limit; splitting it into %d calls",
                reporters,
                period,
                limit,
                len(smaller),
            )
            path.unlink()
            calls[:0] = smaller
            continue
        if len(records) >= limit:
            capped.append(f"{'-'.join(reporters)} {period} {'-'.join(flows)}")
            log.warning(
                "comtrade: %s %s came back with %d records, the %s limit: narrow the query (fewer "
                "partners or codes)%s",
                reporters,
                period,
                len(records),
                endpoint,
                "" if key else " or set TRADESENTINEL_COMTRADE_KEY",
            )
        paths.append(path)
    return Download(paths, capped)


def download_comtrade_bulk(
    settings: Settings, *, reporter: str, period: str, freq: str = "A", classification: str = "HS"
) -> list[Path]:
    """Fetch the bulk files (gzipped TSV) of one reporter and period; needs a subscription key."""
    if not settings.comtrade_key:
        raise FetchError("comtrade: bulk files need a subscription key: set TRADESENTINEL_COMTRADE_KEY")
    headers = {KEY_HEADER: settings.comtrade_key.get_secret_value()}
    url = f"{settings.comtrade_url}/bulk/v1/get/C/{freq}/{classification}"
    params = {"reporterCode": _codes((reporter,), "reporter"), "period": period}
    listing = fetch(
        settings,
        url,
        source="comtrade",
        name=_safe(f"bulk_{reporter}_{period}") + ".json",
        params=params,
        headers=headers,
    )
    files = payload_records(read_json(listing, "bulk file list"), listing)
    out = []
    for number, item in enumerate(files, start=1):
        file_url = item.get("fileUrl") if isinstance(item, dict) else None
        if not file_url:
            raise InputError(listing, "a bulk file entry has no fileUrl", row=number, field="fileUrl")
        name = _safe(file_url.rstrip("/").rsplit("/", 1)[-1])
        out.append(fetch(settings, file_url, source="comtrade", name=name, headers=headers))
    return out
