"""The web service: health, and a status page of what the pipeline has built.

The analyst UI (chat, map, timeline, explorer) and the explain endpoint mount here as they land.
"""

from __future__ import annotations

import html
from pathlib import Path

import polars as pl
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from tradesentinel import __version__
from tradesentinel.config import Settings

TABLES = ("flows", "features", "labels", "quarantine")


class TableStatus(BaseModel):
    """One stored table: whether it exists and how many rows it holds."""

    name: str
    exists: bool
    rows: int | None


class Health(BaseModel):
    """Liveness plus what data the server can see."""

    status: str
    version: str
    data_dir: str
    demo: bool
    tables: list[TableStatus]


def _table_status(path: Path, name: str) -> TableStatus:
    if not path.exists():
        return TableStatus(name=name, exists=False, rows=None)
    return TableStatus(name=name, exists=True, rows=pl.scan_parquet(path).select(pl.len()).collect().item())


def _is_demo(settings: Settings) -> bool:
    path = settings.table_path("flows")
    if not path.exists():
        return False
    sources = pl.scan_parquet(path).select(pl.col("source").unique()).collect()["source"].to_list()
    return "demo" in sources


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI application for `settings` (no I/O until a request arrives)."""
    app = FastAPI(title="tradesentinel", version=__version__, description="Trade anomaly investigation API.")

    @app.get("/health", response_model=Health)
    def health() -> Health:
        tables = [_table_status(settings.table_path(name), name) for name in TABLES]
        return Health(status="ok", version=__version__, data_dir=str(settings.data_dir.resolve()),
                      demo=_is_demo(settings), tables=tables)  # fmt: skip

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        state = health()
        rows = "".join(
            f"<tr><td>{t.name}</td><td>{'yes' if t.exists else 'not built'}</td>"
            f"<td style='text-align:right'>{'' if t.rows is None else f'{t.rows:,}'}</td></tr>"
            for t in state.tables
        )
        banner = (
            "<p class='demo'>DEMO data: a synthetic world with injected, labelled anomalies. Not real trade.</p>"
            if state.demo
            else ""
        )
        return f"""<!doctype html><html><head><meta charset="utf-8"><title>tradesentinel</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem}}td,th{{padding:.2rem .8rem}}
.demo{{background:#fff3cd;border:1px solid #e0c060;padding:.5rem}}</style></head><body>
<h1>tradesentinel {html.escape(state.version)}</h1>{banner}
<p>Data directory: <code>{html.escape(state.data_dir)}</code></p>
<table><tr><th>table</th><th>built</th><th>rows</th></tr>{rows}</table>
<p>API: <a href="/docs">OpenAPI docs</a> · <a href="/health">/health</a></p>
</body></html>"""

    return app
