"""What routes depend on, as typed `Annotated` aliases: the settings, the investigation tables, the
assistant, the calling user (from the X-API-Key header), the case database and its services.
`create_api` puts them on the app; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from tradesentinel.assistant.service import Assistant
from tradesentinel.cases.db import Database
from tradesentinel.cases.store import CaseStore
from tradesentinel.cases.users import KeyRing, User
from tradesentinel.cases.watch import Watchlists
from tradesentinel.config import Settings
from tradesentinel.errors import UnauthorizedError, UnavailableError
from tradesentinel.investigate.tables import TableStore

KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Needed when the server has keys (named or unnamed)."
)


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_tables(request: Request) -> TableStore:
    """The app's cached, reload-on-change view of the stored tables."""
    return request.app.state.tables


def get_db(request: Request) -> Database:
    """The app's case database (opened and migrated on first use)."""
    return request.app.state.db


def get_keys(db: Annotated[Database, Depends(get_db)]) -> KeyRing:
    """The named keys and the environment's unnamed one."""
    return KeyRing(db)


def get_user(keys: Annotated[KeyRing, Depends(get_keys)], key: str | None = Depends(KEY_HEADER)) -> User:
    """Who is calling: the user whose key the request shows (compared in constant time); a 401 when
    the server has keys and this one matches none. Open servers (no key at all) answer as `local`."""
    user = keys.user(key)
    if user is None:
        raise UnauthorizedError("missing or wrong X-API-Key")
    return user


def get_cases(
    db: Annotated[Database, Depends(get_db)], tables: Annotated[TableStore, Depends(get_tables)]
) -> CaseStore:
    """The case service over the app's database and tables."""
    return CaseStore(db, tables)


def get_watchlists(
    db: Annotated[Database, Depends(get_db)], tables: Annotated[TableStore, Depends(get_tables)]
) -> Watchlists:
    """The watchlists over the app's database and tables."""
    return Watchlists(db, tables)


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
UserDep = Annotated[User, Depends(get_user)]
CasesDep = Annotated[CaseStore, Depends(get_cases)]
WatchlistsDep = Annotated[Watchlists, Depends(get_watchlists)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
OptionalAssistantDep = Annotated[Assistant | None, Depends(get_optional_assistant)]
