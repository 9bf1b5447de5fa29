"""Logging set-up for the CLI and server: readable lines on stderr, full context in a log file."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.logging import RichHandler


def configure_logging(level: str, log_dir: Path | None) -> Path | None:
    """Send logs to stderr (rich) and, when `log_dir` is given, to log_dir/tradesentinel.log."""
    handlers: list[logging.Handler] = [RichHandler(show_path=False, rich_tracebacks=True, markup=False)]
    log_file = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / "tradesentinel.log"
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(file_handler)
    logging.basicConfig(level=level.upper(), handlers=handlers, format="%(message)s", force=True)
    return log_file
