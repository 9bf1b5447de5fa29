"""The errors users see. Each knows its HTTP status and may carry a hint that says what to do next.

The CLI turns any `TradeSentinelError` into one readable line and a non-zero exit; the API turns it
into its `http_status` with the message (and hint) as the body. Anything else is a bug: a logged
traceback and a 500 (API) or exit code 2 (CLI). Messages never echo more than `MAX_ECHO`
characters of user input (`echo`), so a 10 MB question does not come back in an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

MAX_ECHO = 200
"""Most characters of user input an error message repeats."""


def echo(value: object, limit: int = MAX_ECHO) -> str:
    """`repr` of a user-supplied value, cut to `limit` characters with the full length said."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(str(value)):,} characters)"


class TradeSentinelError(Exception):
    """Base of every domain error: a message for the user, an HTTP status, an optional hint."""

    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message


class InputError(TradeSentinelError):
    """Bad input that stops a whole file from being read (missing column, unreadable file, no valid row)."""

    http_status = 400

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ):
        self.file, self.row, self.field = str(file), row, field
        where = self.file
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}", hint=hint)


class SchemaError(TradeSentinelError):
    """A table lacks a required column or has one of the wrong type."""

    http_status = 400


class InvalidArgumentError(TradeSentinelError):
    """A parameter a user gave (an option, a query parameter, a form field) is not acceptable."""

    http_status = 422

    def __init__(self, parameter: str, message: str, *, hint: str | None = None):
        self.parameter = parameter
        super().__init__(f"{parameter}: {message}", hint=hint)

    @classmethod
    def choice(cls, parameter: str, value: object, choices: Iterable[str]) -> InvalidArgumentError:
        """An unknown name among known ones; the hint lists them (narwhals-style)."""
        options = list(choices)
        return cls(parameter, f"unknown value {echo(value)}", hint=f"choose from {', '.join(options)}")


class NotFoundError(TradeSentinelError):
    """What was asked for (a flow id, a name, a code) does not exist."""

    http_status = 404


class TableNotFoundError(TradeSentinelError):
    """A stage needs a table that has not been built yet; the hint says which command builds it."""

    http_status = 503

    def __init__(self, table: str, path: str | Path, command: str, *, reason: str = "does not exist yet"):
        self.table, self.path, self.command = table, str(path), command
        super().__init__(f"{path} {reason}", hint=f"run `{command}` first")


class UnavailableError(TradeSentinelError):
    """A service or model the request needs cannot be used now (index missing, model not loadable)."""

    http_status = 503


class UnauthorizedError(TradeSentinelError):
    """The request carries no key, or one that no user holds."""

    http_status = 401


class RateLimitedError(TradeSentinelError):
    """A user asked more often than the server allows; `retry_after` says in how many seconds to retry."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None):
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
        super().__init__(message, hint=hint)


class ConflictError(TradeSentinelError):
    """Another process holds what this one needs (a table being written)."""

    http_status = 409
