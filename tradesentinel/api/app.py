"""The web service: the JSON API (health, anomalies, explain, ask) with the Gradio UI mounted at `/`."""

from __future__ import annotations

import hmac
from pathlib import Path

import polars as pl
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyHeader

from tradesentinel import __version__
from tradesentinel.api.assistant_link import AssistantLink
from tradesentinel.api.routes import router
from tradesentinel.api.schemas import Health, TableStatus
from tradesentinel.api.store import TableStore
from tradesentinel.config import Settings
from tradesentinel.errors import TradeSentinelError

TABLES = ("flows", "features", "scores", "labels", "quarantine", "sanctions", "news", "hs_codes")
ASSETS = Path(__file__).resolve().parents[1] / "ui" / "assets"


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


def _key_check(settings: Settings):
    header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Needed when the server has a key.")

    def check(key: str | None = Depends(header)) -> None:
        if settings.api_key and not (key and hmac.compare_digest(key, settings.api_key)):
            raise HTTPException(401, "missing or wrong X-API-Key")

    return check


def create_app(settings: Settings, *, ui: bool = True, assistant: AssistantLink | None = None) -> FastAPI:
    """The FastAPI application for `settings` (no I/O until a request arrives); `ui` mounts Gradio at /;
    `assistant` replaces the link to the assistant (tests pass a double honouring its contract)."""
    app = FastAPI(title="tradesentinel", version=__version__, description="Trade anomaly investigation API.")
    app.state.store = TableStore(settings)
    app.state.assistant = assistant or AssistantLink(settings)

    @app.exception_handler(TradeSentinelError)
    async def domain_error(request: Request, exc: TradeSentinelError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.http_status)

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Liveness, version, and which tables the server can see."""
        tables = [_table_status(settings.table_path(name), name) for name in TABLES]
        return Health(
            status="ok",
            version=__version__,
            data_dir=str(settings.data_dir.resolve()),
            demo=_is_demo(settings),
            tables=tables,
        )

    app.include_router(router, dependencies=[Depends(_key_check(settings))])

    @app.get("/static/topojson/{name}.json", include_in_schema=False)
    def topojson(name: str) -> FileResponse:
        """The offline world map the UI's plots load (plotly's topojsonURL points here)."""
        if name != "world_110m":
            raise HTTPException(404, f"no map {name!r}")
        return FileResponse(ASSETS / "world_110m.json", media_type="application/json")

    if ui:
        import gradio as gr

        from tradesentinel.ui.app import HEAD, build_ui

        auth = (
            (lambda user, password: hmac.compare_digest(password, settings.api_key))
            if settings.api_key
            else None
        )
        app = gr.mount_gradio_app(
            app, build_ui(app.state.store, app.state.assistant), path="/", auth=auth, head=HEAD
        )
    return app
