"""The JSON API as a FastAPI app: health, anomalies, explain and ask, behind the optional API key."""

from __future__ import annotations

import hmac
from pathlib import Path

import polars as pl
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import APIKeyHeader

from tradesentinel import __version__
from tradesentinel.api.deps import SettingsDep
from tradesentinel.api.errors import install_error_handlers
from tradesentinel.api.routes import router
from tradesentinel.api.schemas import Health, TableStatus
from tradesentinel.assistant.service import Assistant
from tradesentinel.config import Settings
from tradesentinel.investigate.tables import TableStore

TABLES = ("flows", "features", "scores", "labels", "quarantine", "sanctions", "news", "hs_codes")
KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="Needed when the server has a key.")


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


def check_key(settings: SettingsDep, key: str | None = Depends(KEY_HEADER)) -> None:
    """A 401 unless the server has no key or the request's X-API-Key matches it (constant time)."""
    if settings.api_key and not (key and hmac.compare_digest(key, settings.api_key)):
        raise HTTPException(401, "missing or wrong X-API-Key")


def create_api(settings: Settings, tables: TableStore, assistant: Assistant | None) -> FastAPI:
    """The API over `tables` and `assistant` (None: /ask answers 503); no I/O until a request arrives."""
    app = FastAPI(title="tradesentinel", version=__version__, description="Trade anomaly investigation API.")
    app.state.settings, app.state.tables, app.state.assistant = settings, tables, assistant
    install_error_handlers(app)

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

    app.include_router(router, dependencies=[Depends(check_key)])
    return app
