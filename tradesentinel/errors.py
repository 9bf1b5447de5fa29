"""Exceptions users see: each names the file, row and field at fault so the fix is obvious."""

from __future__ import annotations

from pathlib import Path


class TradeSentinelError(Exception):
    """Base of every error the CLI turns into one readable line and a non-zero exit."""


class InputError(TradeSentinelError):
    """Bad input that stops a whole file from being read (missing column, unreadable file, no valid row)."""

    def __init__(self, file: str | Path, message: str, *, row: int | None = None, field: str | None = None):
        self.file, self.row, self.field = str(file), row, field
        where = self.file
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")
