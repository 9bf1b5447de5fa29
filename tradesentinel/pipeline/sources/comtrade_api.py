"""UN Comtrade API v1 downloads: the keyless preview, the keyed data endpoint and the bulk files.

Without a subscription key (settings.comtrade_key) queries go to /public/v1/preview, which
returns at most 500 records per call; with one, to /data/v1/get (the key travels in the
Ocp-Apim-Subscription-Key header, never in a logged URL). Comtrade has no offset paging: a query
is split into one call per period, and a call that comes back full is reported as capped so the
user can narrow it (fewer partners or codes) instead of silently missing rows.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline.countries import WORLD
from tradesentinel.pipeline.sources.comtrade import MAX_PREVIEW, iso3_to_code, payload_records
from tradesentinel.pipeline.sources.http import FetchError, fetch

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


def download_comtrade(settings: Settings, query: ComtradeQuery) -> Download:
    """Fetch the query, one call per period, into data/raw/comtrade/<date>/; return the files."""
    if not query.reporters or not query.periods:
        raise InputError("comtrade query", "give at least one reporter and one period", field="reporter")
    key = settings.comtrade_key.get_secret_value() if settings.comtrade_key else None
    endpoint = "data/v1/get" if key else "public/v1/preview"
    limit = MAX_DATA if key else MAX_PREVIEW
    url = f"{settings.comtrade_url}/{endpoint}/{query.type_code}/{query.freq}/{query.classification}"
    base = {"reporterCode": _codes(query.reporters, "reporter"), "flowCode": ",".join(query.flows),
            "cmdCode": query.cmd, "maxRecords": str(limit), "includeDesc": "True", "breakdownMode": "classic"}  # fmt: skip
    if query.partners:
        base["partnerCode"] = _codes(query.partners, "partner")
    paths, capped = [], []
    for period in query.periods:
        name = (
            _safe(f"{query.freq}_{query.classification}_{'-'.join(query.reporters)}_{period}_{query.cmd}")
            + ".json"
        )
        path = fetch(settings, url, source="comtrade", name=name, params={**base, "period": period},
                     headers={KEY_HEADER: key} if key else None)  # fmt: skip
        try:
            records = payload_records(json.loads(path.read_text(encoding="utf-8")), path)
        except json.JSONDecodeError as exc:
            raise InputError(
                path, f"malformed or truncated JSON from the API: {exc.msg}", row=exc.lineno
            ) from None
        if len(records) >= limit:
            capped.append(period)
            log.warning("comtrade: period %s came back with %d records, the %s limit: narrow the query "
                        "(fewer partners or codes)%s", period, len(records), endpoint,
                        "" if key else " or set TRADESENTINEL_COMTRADE_KEY")  # fmt: skip
        paths.append(path)
    return Download(paths, capped)


def download_comtrade_bulk(settings: Settings, *, reporter: str, period: str, freq: str = "A",
                           classification: str = "HS") -> list[Path]:  # fmt: skip
    """Fetch the bulk files (gzipped TSV) of one reporter and period; needs a subscription key."""
    if not settings.comtrade_key:
        raise FetchError("comtrade: bulk files need a subscription key: set TRADESENTINEL_COMTRADE_KEY")
    headers = {KEY_HEADER: settings.comtrade_key.get_secret_value()}
    url = f"{settings.comtrade_url}/bulk/v1/get/C/{freq}/{classification}"
    params = {"reporterCode": _codes((reporter,), "reporter"), "period": period}
    listing = fetch(settings, url, source="comtrade", name=_safe(f"bulk_{reporter}_{period}") + ".json",
                    params=params, headers=headers)  # fmt: skip
    try:
        files = payload_records(json.loads(listing.read_text(encoding="utf-8")), listing)
    except json.JSONDecodeError as exc:
        raise InputError(listing, f"malformed bulk file list: {exc.msg}", row=exc.lineno) from None
    out = []
    for number, item in enumerate(files, start=1):
        file_url = item.get("fileUrl") if isinstance(item, dict) else None
        if not file_url:
            raise InputError(listing, "a bulk file entry has no fileUrl", row=number, field="fileUrl")
        name = _safe(file_url.rstrip("/").rsplit("/", 1)[-1])
        out.append(fetch(settings, file_url, source="comtrade", name=name, headers=headers))
    return out
