"""What routes depend on, as typed `Annotated` aliases: the settings, the investigation tables and the
assistant. `create_api` puts them on the app; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tradesentinel.assistant.service import Assistant
from tradesentinel.config import Settings
from tradesentinel.errors import UnavailableError
from tradesentinel.investigate.tables import TableStore


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_tables(request: Request) -> TableStore:
    """The app's cached, reload-on-change view of the stored tables."""
    return request.app.state.tables


def get_optional_assistant(request: Request) -> Assistant | None:
    """The app's assistant, or None when this server was built without one."""
    return request.app.state.assistant


def required(assistant: Assistant | None) -> Assistant:
    """The assistant; a 503 saying so when there is none."""
    if assistant is None:
        raise UnavailableError(
            "the assistant is not available on this server", hint="start it with `tradesentinel serve`"
        )
    return assistant


def get_assistant(assistant: Annotated[Assistant | None, Depends(get_optional_assistant)]) -> Assistant:
    """The app's assistant for routes that cannot answer without it."""
    return required(assistant)


SettingsDep = Annotated[Settings, Depends(get_settings)]
TablesDep = Annotated[TableStore, Depends(get_tables)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
OptionalAssistantDep = Annotated[Assistant | None, Depends(get_optional_assistant)]
