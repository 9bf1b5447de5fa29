"""The case database: an engine for the configured URL, sessions, and Alembic migrations to head.

The schema belongs to the migrations (migrations/versions), never to `create_all`: the first session
upgrades the database to the newest revision, so a new release keeps every old case.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from tradesentinel.config import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL: `settings.db_url`, else SQLite at data_dir/tradesentinel.db."""
    if settings.db_url:
        return settings.db_url
    return f"sqlite:///{(settings.data_dir / 'tradesentinel.db').resolve()}"


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer (API threads, CLI)
    cursor.close()


class Database:
    """One database for one data dir; opened lazily, migrated to head before its first session."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = database_url(settings)
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._lock = threading.Lock()
        self.cache: dict[str, tuple[float, object]] = {}  # short-lived reads (KeyRing's key list)

    @property
    def engine(self) -> Engine:
        """The engine (created on first use: no I/O before)."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._connect()
        return self._engine

    def _connect(self) -> Engine:
        sqlite = self.url.startswith("sqlite")
        if sqlite:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            self.url, connect_args={"check_same_thread": False, "timeout": 30} if sqlite else {}
        )
        if sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        self.migrate(engine=engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        return engine

    def migrate(self, revision: str = "head", *, engine: Engine | None = None) -> None:
        """Upgrade the schema to `revision` (head: the newest) with Alembic."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        quiet = logging.getLogger("alembic")
        level = quiet.level
        quiet.setLevel(logging.WARNING)  # "Context impl SQLiteImpl" on every start is noise
        try:
            with (engine or self.engine).begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        finally:
            quiet.setLevel(level)

    def revision(self) -> str | None:
        """The schema revision the database is at."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        self.engine  # noqa: B018 - opens and migrates on first use
        assert self._sessions is not None
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        """Release the connections (tests, the CLI at exit)."""
        if self._engine is not None:
            self._engine.dispose()
