"""Per-user rate limits: a sliding one-minute window per (bucket, user), in memory (one process).
A route opts in with one dependency: `dependencies=[AskLimit]` (questions) or the export format below.
Over the limit is a 429 whose Retry-After says when the oldest call leaves the window."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from tradesentinel.api.deps import UserDep
from tradesentinel.errors import RateLimitedError

WINDOW_S = 60.0


class RateLimiter:
    """Counts calls per (bucket, user) over the last minute; `clock` is injectable for tests."""

    def __init__(self, per_minute: dict[str, int], clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, user: str) -> None:
        """Count one call; RateLimitedError (429, Retry-After) when the user is over the bucket's limit."""
        limit = self.per_minute[bucket]
        now = self.clock()
        with self._lock:
            calls = self._calls.setdefault((bucket, user), deque())
            while calls and calls[0] <= now - WINDOW_S:
                calls.popleft()
            if len(calls) >= limit:
                wait = max(1, math.ceil(calls[0] + WINDOW_S - now))
                raise RateLimitedError(
                    f"{user} has made {limit} {bucket} requests in the last minute",
                    retry_after=wait,
                    hint=f"retry in {wait} s",
                )
            calls.append(now)


def get_limiter(request: Request) -> RateLimiter:
    """The app's rate limiter."""
    return request.app.state.limiter


LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]


def limit_ask(limiter: LimiterDep, user: UserDep) -> None:
    """Count one question against the user's `ask` allowance."""
    limiter.hit("ask", user.name)


AskLimit = Depends(limit_ask)
"""Put on a route (`dependencies=[AskLimit]`) to rate-limit it as a question."""

Format = Literal["json", "csv", "parquet"]


def export_format(
    limiter: LimiterDep,
    user: UserDep,
    format: Annotated[
        Format, Query(description="json (a page), or csv / parquet: the whole filtered set")
    ] = "json",
) -> Format:
    """The requested format; a CSV or Parquet export counts against the user's `export` allowance."""
    if format != "json":
        limiter.hit("export", user.name)
    return format


ExportFormatDep = Annotated[Format, Depends(export_format)]
