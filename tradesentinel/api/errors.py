"""The API's error handlers: a domain error answers its own status, a bad request a 422 that never
repeats more than 200 characters of the input, and anything else (a bug) a logged 500."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tradesentinel.errors import MAX_ECHO, TradeSentinelError

log = logging.getLogger(__name__)


def _cut(value: Any) -> Any:
    """An input value as it may appear in an error body: at most MAX_ECHO characters of it."""
    text = value if isinstance(value, str) else json.dumps(jsonable_encoder(value), default=str)
    if len(text) <= MAX_ECHO:
        return value
    return f"{text[:MAX_ECHO]}... ({len(text):,} characters)"


def trimmed(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors with every echoed input cut to MAX_ECHO characters."""
    out = []
    for error in errors:
        error = dict(error)
        if "input" in error:
            error["input"] = _cut(error["input"])
        if "ctx" in error:
            error["ctx"] = {k: _cut(v) for k, v in error["ctx"].items()}
        out.append(error)
    return out


def install_error_handlers(app: FastAPI) -> None:
    """The three handlers every route shares."""

    @app.exception_handler(TradeSentinelError)
    async def domain_error(request: Request, exc: TradeSentinelError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=exc.http_status, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": jsonable_encoder(trimmed(list(exc.errors())))}, status_code=422)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error: the server log has the details"}, status_code=500)
