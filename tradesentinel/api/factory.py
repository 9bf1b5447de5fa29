"""The JSON API as a FastAPI app: health, anomalies, explain and ask, behind the optional API key."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from fastapi import Depends, FastAPI

from tradesentinel import __version__
from tradesentinel.api.cases import router as cases_router
from tradesentinel.api.deps import get_user
from tradesentinel.api.docs import install_offline_docs
from tradesentinel.api.errors import install_error_handlers
from tradesentinel.api.limits import RateLimiter
from tradesentinel.api.routes import router
from tradesentinel.api.schemas import Health, TableStatus
from tradesentinel.assistant.service import Assistant
from tradesentinel.cases.db import Database
from tradesentinel.config import Settings
from tradesentinel.investigate.tables import TableStore

TABLES = ("flows", "features", "scores", "labels", "quarantine", "sanctions", "news", "hs_codes")


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


def create_api(
    settings: Settings, tables: TableStore, assistant: Assistant | None, db: Database | None = None
) -> FastAPI:
    """The API over `tables`, the case database and `assistant` (None: /ask answers 503); no I/O until
    a request arrives. Every route but /health and the docs needs a key when the server has any."""
    app = FastAPI(
        title="tradesentinel",
        version=__version__,
        description="Trade anomaly investigation API.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings, app.state.tables, app.state.assistant = settings, tables, assistant
    app.state.db = db or Database(settings)
    app.state.limiter = RateLimiter(
        {"ask": settings.rate_ask_per_minute, "export": settings.rate_export_per_minute}
    )
    install_error_handlers(app)
    install_offline_docs(app)

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Liveness, version, and which tables the server can see."""
        return Health(
            status="ok",
            version=__version__,
            data_dir=str(settings.data_dir.resolve()),
            demo=_is_demo(settings),
            tables=[_table_status(settings.table_path(name), name) for name in TABLES],
        )

    app.include_router(router, dependencies=[Depends(get_user)])
    app.include_router(cases_router, dependencies=[Depends(get_user)])
    return app
