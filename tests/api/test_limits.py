"""The per-user rate limiter: a sliding minute, separate per user and bucket, Retry-After when over."""

from __future__ import annotations

import pytest

from tradesentinel.api.limits import RateLimiter
from tradesentinel.errors import RateLimitedError


def test_sliding_minute_per_user_and_bucket():
    now = [1000.0]
    limiter = RateLimiter({"ask": 2, "export": 1}, clock=lambda: now[0])
    limiter.hit("ask", "alice")
    now[0] += 10
    limiter.hit("ask", "alice")
    limiter.hit("ask", "bob")
    limiter.hit("export", "alice")
    with pytest.raises(RateLimitedError) as caught:
        limiter.hit("ask", "alice")
    assert caught.value.http_status == 429 and caught.value.headers == {"Retry-After": "50"}
    now[0] += 50.5
    limiter.hit("ask", "alice")  # the first call left the window
