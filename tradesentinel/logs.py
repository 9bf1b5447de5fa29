"""Logging set-up for the CLI and server: readable lines on stderr, full context in a log file."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.logging import RichHandler

FILE_ONLY = {"file_only": True}
"""`extra=` of a record for the log file only: a traceback the terminal must not show."""


class _NotFileOnly(logging.Filter):
    """Keeps FILE_ONLY records off the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "file_only", False)


def configure_logging(level: str, log_dir: Path | None) -> Path | None:
    """Send logs to stderr (rich) and, when `log_dir` is given, to log_dir/tradesentinel.log."""
    console = RichHandler(show_path=False, rich_tracebacks=True, markup=False)
    console.addFilter(_NotFileOnly())
    handlers: list[logging.Handler] = [console]
    log_file = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / "tradesentinel.log"
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(file_handler)
    logging.basicConfig(level=level.upper(), handlers=handlers, format="%(message)s", force=True)
    return log_file


def current_log_file() -> Path | None:
    """The file the root logger writes to (set by `configure_logging`), or None before it ran."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None
