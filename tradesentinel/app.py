"""The composition root: the investigation tables and the assistant, wired into the JSON API and the
Gradio UI mounted at `/` (api and ui never import each other; this module joins them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from tradesentinel.api.factory import create_api
from tradesentinel.assistant.service import Assistant
from tradesentinel.cases.db import Database
from tradesentinel.cases.users import KeyRing
from tradesentinel.config import Settings
from tradesentinel.investigate.tables import TableStore

ASSETS = Path(__file__).resolve().parent / "ui" / "assets"


def create_app(
    settings: Settings,
    *,
    ui: bool = True,
    assistant: Assistant | Literal["default"] | None = "default",
    db: Database | None = None,
    warm_up: bool = False,
) -> FastAPI:
    """The whole service for `settings`: the API, the offline map asset and, with `ui`, the Gradio UI
    at /. `assistant`: "default" builds one from the settings, None serves without one (/ask answers
    503), or pass your own (tests pass doubles honouring its contract). `db`: the case database
    (default: the settings'). With the UI, the case database is opened now to learn whether the UI
    needs a login (a user's first named key takes a restart to guard the UI; the API sees it at once).
    `warm_up` (what `serve` sets): when the server starts, the assistant loads its searcher and models
    in a background thread, so the first question does not pay for them."""
    tables = TableStore(settings)
    helper = Assistant(settings, tables) if assistant == "default" else assistant
    db = db or Database(settings)
    app = create_api(settings, tables, helper, db)
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

        keys = KeyRing(db)
        auth = keys.login if keys.required() else None
        app = gr.mount_gradio_app(app, build_ui(tables, helper, db), path="/", auth=auth, head=HEAD)
    return app
