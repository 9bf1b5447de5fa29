"""The one download helper every source uses: retries with backoff, timeouts, dated raw-file cache.

A download is streamed to a temporary file beside its target and renamed when complete, so the
cache under data/raw/<source>/<YYYY-MM-DD>/ never holds half a file. 429 and 5xx answers and
timeouts are retried with exponential backoff, honouring Retry-After; a host that cannot be
reached raises OfflineError, which tells the user to pass --file instead.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from tradesentinel.config import Settings
from tradesentinel.errors import TradeSentinelError, UnavailableError

log = logging.getLogger(__name__)
MAX_WAIT_S = 120.0
"""Longest a single Retry-After is honoured; a server asking for more is treated as unavailable."""


class OfflineError(UnavailableError):
    """The source cannot be reached (no network, DNS failure, refused): use --file with a saved copy."""


class FetchError(TradeSentinelError):
    """The source answered, but not with the file (4xx, repeated 5xx/429, a truncated body)."""

    http_status = 502


def raw_dir(settings: Settings, source: str, day: date | None = None) -> Path:
    """Where raw downloads of `source` fetched on `day` (default today, UTC) are cached."""
    return settings.data_dir / "raw" / source / (day or datetime.now(UTC).date()).isoformat()


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds a 429/503 answer asks us to wait (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def _save(response: httpx.Response, target: Path) -> int:
    """Stream the body to `target` atomically; FetchError if fewer bytes came than announced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    received = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in response.iter_bytes():
                handle.write(chunk)
            received = response.num_bytes_downloaded
            handle.flush()
            os.fsync(handle.fileno())
        expected = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity") != "identity"
        if expected and expected.isdigit() and not encoded and received < int(expected):
            raise FetchError(f"{response.url}: truncated download ({received} of {expected} bytes)")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return received


def fetch(
    settings: Settings,
    url: str,
    *,
    source: str,
    name: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download `url` into data/raw/<source>/<today>/<name> and return that path.

    Retries `settings.http_retries` times on 429, 5xx, timeouts and dropped connections, waiting
    Retry-After when the server gives one, else http_backoff_s doubled each attempt.
    """
    target = raw_dir(settings, source) / name
    attempts = settings.http_retries + 1
    timeout = httpx.Timeout(settings.http_timeout_s)
    with httpx.Client(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": "tradesentinel"}
    ) as client:
        for attempt in range(attempts):
            backoff = settings.http_backoff_s * 2**attempt
            try:
                with client.stream("GET", url, params=params, headers=headers) as response:
                    if response.status_code == 200:
                        size = _save(response, target)
                        log.info("%s: fetched %s (%d bytes) -> %s", source, response.url, size, target)
                        return target
                    status, wait = response.status_code, _retry_after(response)
                    body = response.read()[:300].decode("utf-8", "replace").strip()
            except httpx.ConnectError as exc:
                raise OfflineError(
                    f"{source}: cannot reach {url} ({exc}); offline? Download the file elsewhere and pass "
                    f"--file PATH"
                ) from None
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt == attempts - 1:
                    raise FetchError(f"{source}: {url} failed after {attempts} attempt(s): {exc}") from None
                log.warning("%s: %s (%s); retrying in %.1f s", source, url, type(exc).__name__, backoff)
                sleep(backoff)
                continue
            if status != 429 and status < 500:
                raise FetchError(f"{source}: {url} answered HTTP {status}: {body or '(empty body)'}")
            if attempt == attempts - 1 or (wait is not None and wait > MAX_WAIT_S):
                raise FetchError(
                    f"{source}: {url} answered HTTP {status} {attempts} time(s); try again later"
                )
            delay = wait if wait is not None else backoff
            log.warning("%s: HTTP %d from %s; retrying in %.1f s", source, status, url, delay)
            sleep(delay)
    raise FetchError(f"{source}: {url} could not be fetched")  # unreachable: the loop returns or raises
