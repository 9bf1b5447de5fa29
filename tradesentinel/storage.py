"""Parquet storage with atomic, locked writes.

A table is written to an unnamed file in its folder (Linux O_TMPFILE) that is given a name and
renamed over the table only once complete, so a crash, a bad input or a SIGKILL mid-write never
leaves a half-written table, loses the previous one or leaves a temporary file behind (where the
file system has no O_TMPFILE, a named `.NAME.*.tmp` file is used, and the next writer removes
one a killed writer left). Readers never take a lock: the rename is atomic.

Every write takes the table's lock (`table_lock`, a `filelock` beside the table), so two writers
of one table run one after the other and a read-modify-write (an upsert) that holds the lock
across its read and its write loses no rows; writers of different tables never wait for each
other. A writer that cannot get the lock within `LOCK_TIMEOUT_S` stops with a ConflictError.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
from filelock import FileLock, Timeout

from tradesentinel.errors import ConflictError, TableNotFoundError
from tradesentinel.schema import BUILT_BY, TABLES, conform

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 600.0
"""How long a writer waits for another writer of the same table before a ConflictError."""
_AT_FDCWD, _AT_SYMLINK_FOLLOW = -100, 0x400


def lock_path(path: Path) -> Path:
    """The lock file of the table at `path` (hidden, beside it)."""
    path = Path(path)
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def table_lock(path: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold the writer lock of the table at `path` (re-entrant in one thread); ConflictError when
    another writer keeps it longer than `timeout` seconds (default LOCK_TIMEOUT_S)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(path), is_singleton=True)
    wait = LOCK_TIMEOUT_S if timeout is None else timeout
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("%s is being written by another process: waiting up to %.0f s", path.name, wait)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise ConflictError(
                f"{path} is being written by another process (its lock {lock_path(path).name} "
                f"was held for more than {wait:.0f} s)",
                hint="wait for the other command to finish, then run this one again",
            ) from None
    try:
        _remove_leftovers(path)
        yield
    finally:
        lock.release()


def _remove_leftovers(path: Path) -> None:
    """Remove named temp files of this table that a killed writer left (only called under its lock)."""
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        log.warning("removing %s, left by a writer that was killed mid-write", leftover)
        leftover.unlink(missing_ok=True)


def _unnamed_file(folder: Path) -> int | None:
    """A descriptor of a nameless file in `folder` (gone if the process dies), or None where the
    system cannot make one (not Linux, or a file system without O_TMPFILE)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o644)
    except OSError:
        return None


def _link(fd: int, target: Path) -> bool:
    """Give the nameless file `fd` the name `target` (linkat through /proc); False when refused."""
    libc = ctypes.CDLL(None, use_errno=True)
    source = f"/proc/self/fd/{fd}".encode()
    return libc.linkat(_AT_FDCWD, source, _AT_FDCWD, os.fsencode(target), _AT_SYMLINK_FOLLOW) == 0


def _sink(lazy: pl.LazyFrame, path: Path) -> None:
    """Write `lazy` to `path` through a nameless (else a named) temp file and an atomic rename."""
    fd, tmp = _unnamed_file(path.parent), None
    try:
        if fd is not None:
            lazy.sink_parquet(f"/proc/self/fd/{fd}", compression="zstd", statistics=True)
            os.fsync(fd)
            tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            if not _link(fd, tmp):
                tmp = None
        if tmp is None:
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(handle)
            tmp = Path(name)
            lazy.sink_parquet(tmp, compression="zstd", statistics=True)
            with open(tmp, "rb") as written:
                os.fsync(written.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        if fd is not None:
            os.close(fd)


def write_table(frame: pl.DataFrame | pl.LazyFrame, path: Path, table: str | None = None) -> Path:
    """Write `frame` (conformed to canonical `table` when given) to `path` atomically, under the
    table's lock; return the path."""
    path = Path(path)
    lazy = conform(frame, table) if table else frame.lazy()
    with table_lock(path):
        _sink(lazy, path)
    log.info("wrote %s", path)
    return path


def append_table(frame: pl.DataFrame, path: Path, table: str) -> Path:
    """Append rows to a table (creating it when absent), atomically and under its lock: old rows are
    kept either way, and a concurrent appender's rows too."""
    new = conform(frame, table).collect()
    with table_lock(path):
        if Path(path).exists():
            new = pl.concat([read_table(path, table).collect(), new], how="vertical")
        return write_table(new, path, table)


def read_if_stored(path: Path, table: str) -> pl.DataFrame | None:
    """The stored table, or None when it has not been built yet (for stages that can do without it)."""
    return read_table(path, table).collect() if Path(path).exists() else None


def read_table(path: Path, table: str | None = None) -> pl.LazyFrame:
    """Lazily scan a stored table; TableNotFoundError tells the user which command builds it."""
    path = Path(path)
    if not path.exists():
        name = table or path.stem
        raise TableNotFoundError(name, path, BUILT_BY.get(name, "the stage that builds it"))
    lazy = pl.scan_parquet(path)
    return conform(lazy, table) if table in TABLES else lazy
