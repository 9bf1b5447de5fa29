"""What every `tradesentinel` command shares: settings with logging, the progress bar, and the one
error handler: a domain error is one readable line and exit 1; anything else is a bug, exit 2, with
its traceback in the log file and never on the terminal."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from tradesentinel.config import Settings, get_settings
from tradesentinel.errors import InvalidArgumentError, TradeSentinelError, echo
from tradesentinel.logs import FILE_ONLY, configure_logging, current_log_file

try:
    from typer import TyperException as UsageProblem  # typer 0.2x: its own copy of click
except ImportError:  # older typer runs on click
    from click import ClickException as UsageProblem

console = Console(stderr=True)
log = logging.getLogger("tradesentinel.cli")
ProgressCallback = Callable[[str, float], None]
CLICK_EXITS = (UsageProblem, typer.Exit, typer.Abort)
"""What click turns into its own message and exit code (usage errors, --help, typer.Exit)."""


def load_settings() -> Settings:
    """The process settings, with logging set up (stderr, and data_dir/logs/tradesentinel.log).

    A bad setting is the user's to fix, so it is a domain error naming the environment variable."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"TRADESENTINEL_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidArgumentError(
            "settings", problems, hint="fix the environment variable or the .env file"
        ) from None
    if not isinstance(logging.getLevelNamesMapping().get(settings.log_level.upper()), int):
        raise InvalidArgumentError(
            "TRADESENTINEL_LOG_LEVEL",
            f"unknown level {echo(settings.log_level)}",
            hint="choose from DEBUG, INFO, WARNING, ERROR",
        )
    try:
        configure_logging(settings.log_level, settings.data_dir / "logs")
    except OSError as exc:
        raise InvalidArgumentError(
            "TRADESENTINEL_DATA_DIR",
            f"cannot write the log under {settings.data_dir / 'logs'} ({exc.strerror})",
            hint="point it at a writable folder",
        ) from None
    return settings


@contextmanager
def handled_errors() -> Iterator[None]:
    """The CLI's one error handler (see the module docstring); click's own exits pass through."""
    try:
        yield
    except CLICK_EXITS:
        raise
    except TradeSentinelError as exc:
        if current_log_file():
            log.exception("command failed (%s)", type(exc).__name__, extra=FILE_ONLY)
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except Exception as exc:
        log_file = current_log_file()
        if log_file:
            log.critical("internal error", exc_info=True, extra=FILE_ONLY)
        where = f"the traceback is in {log_file}" if log_file else "no log file was set up"
        lines = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__
        console.print(
            f"[bold red]error:[/] internal error (a bug, not your input): {escape(what)}; {escape(where)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


class HandledGroup(TyperGroup):
    """The root command group: every command (and sub-command) runs inside `handled_errors`."""

    def invoke(self, ctx: typer.Context) -> Any:
        with handled_errors():
            return super().invoke(ctx)


@contextmanager
def progress_bar() -> Iterator[ProgressCallback]:
    """A rich progress bar per named stage; yields a callback(stage, fraction_done)."""
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        yield update
