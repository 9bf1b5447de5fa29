"""The composition root: the investigation tables and the assistant, wired into the JSON API and the
Gradio UI mounted at `/` (api and ui never import each other; this module joins them)."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from tradesentinel.api.factory import create_api
from tradesentinel.assistant.service import Assistant
from tradesentinel.config import Settings
from tradesentinel.investigate.tables import TableStore

ASSETS = Path(__file__).resolve().parent / "ui" / "assets"


def create_app(
    settings: Settings,
    *,
    ui: bool = True,
    assistant: Assistant | Literal["default"] | None = "default",
    warm_up: bool = False,
) -> FastAPI:
    """The whole service for `settings` (no I/O until a request arrives): the API, the offline map asset
    and, with `ui`, the Gradio UI at /. `assistant`: "default" builds one from the settings, None serves
    without one (/ask answers 503), or pass your own (tests pass doubles honouring its contract).
    `warm_up` (what `serve` sets): when the server starts, the assistant loads its searcher and models
    in a background thread, so the first question does not pay for them."""
    tables = TableStore(settings)
    helper = Assistant(settings) if assistant == "default" else assistant
    app = create_api(settings, tables, helper)
    if warm_up and helper is not None and hasattr(helper, "warm_up"):
        app.router.on_startup.append(helper.warm_up)

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
        app = gr.mount_gradio_app(app, build_ui(tables, helper), path="/", auth=auth, head=HEAD)
    return app
