"""`tradesentinel refresh`: ingest the sanctions lists (downloaded, or from files), then index, incrementally.

Meant for cron: each source is tried on its own (one failing does not stop the others), the index
is brought up to date with whatever was read, and the report says per list what changed since
the last refresh (added, updated, delisted, relisted entries) and which sources failed; the
command exits non-zero when any source failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError, TradeSentinelError
from tradesentinel.retrieval.delisted import ListChanges
from tradesentinel.retrieval.index import IndexReport, build_index
from tradesentinel.retrieval.store import EvidenceStore

log = logging.getLogger(__name__)
SOURCES = ("ofac", "eu", "un")
"""The sanctions sources `refresh` knows."""
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh read, what failed, and what the index made of it."""

    read: dict[str, int]  # source -> entries read
    failed: dict[str, str]  # source -> why
    index: IndexReport | None
    seconds: float
    lists: list[ListChanges] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _ingest(settings: Settings, source: str, file: Path | None) -> int:
    """Read one source into the sanctions table; the number of entries read."""
    from tradesentinel.pipeline import ingest_sources

    readers = {
        "ofac": lambda: ingest_sources.ingest_ofac(settings, file),
        "eu": lambda: ingest_sources.ingest_eu(settings, file),
        "un": lambda: ingest_sources.ingest_un(settings, file),
    }
    return readers[source]().n_read


def refresh(
    settings: Settings,
    sources: Mapping[str, Path | None],
    *,
    progress: Progress | None = None,
    store: EvidenceStore | None = None,
) -> RefreshReport:
    """Ingest each of `sources` (name -> file, or None to download), then sync the evidence index."""
    started = time.perf_counter()
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        raise InvalidArgumentError.choice("sources", ",".join(unknown) or "(none)", SOURCES)
    read: dict[str, int] = {}
    failed: dict[str, str] = {}
    for source, file in sources.items():
        if progress:
            progress(f"ingest {source}", 0.0)
        try:
            read[source] = _ingest(settings, source, file)
        except TradeSentinelError as exc:  # one source down (offline, bad file) must not stop the others
            failed[source] = str(exc)
            log.warning("refresh: %s failed: %s", source, exc)
        if progress:
            progress(f"ingest {source}", 1.0)
    index = build_index(settings, progress=progress, store=store) if read else None
    return RefreshReport(read, failed, index, time.perf_counter() - started, index.lists if index else [])
