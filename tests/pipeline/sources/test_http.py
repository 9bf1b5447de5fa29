"""The download helper against a loopback server: retries, Retry-After, truncation, offline."""

from __future__ import annotations

import socket

import pytest

from tests.pipeline.conftest import Answer
from tradesentinel.pipeline.sources.http import FetchError, OfflineError, fetch, raw_dir


def _fast(settings):
    return settings.model_copy(update={"http_backoff_s": 0.001, "http_retries": 3, "http_timeout_s": 5})


def test_retries_429_and_5xx_then_caches_the_file_by_date(settings, loopback, shared_data):
    body = (shared_data / "un" / "un_consolidated_2026-02-27.xml").read_bytes()
    loopback.serve("/un.xml", Answer(429, headers={"Retry-After": "7"}), Answer(503), body)
    waits: list[float] = []
    path = fetch(_fast(settings), f"{loopback.url}/un.xml", source="un", name="un.xml", sleep=waits.append)
    assert path == raw_dir(settings, "un") / "un.xml" and path.read_bytes() == body
    assert path.parent.name.count("-") == 2 and len(loopback.requests) == 3
    assert waits == [7.0, 0.002]  # Retry-After honoured, then exponential backoff
    assert not list(path.parent.glob(".*"))  # no temporary file left behind


def test_gives_up_and_keeps_no_partial_file(settings, loopback):
    loopback.serve("/busy", Answer(500, b"overloaded"))
    with pytest.raises(FetchError, match="HTTP 500 4 time"):
        fetch(_fast(settings), f"{loopback.url}/busy", source="x", name="busy", sleep=lambda s: None)
    loopback.serve(
        "/key",
        Answer(401, b'{"statusCode": 401, "message": "Access denied due to invalid subscription key."}'),
    )
    with pytest.raises(FetchError, match="HTTP 401.*invalid subscription key"):
        fetch(_fast(settings), f"{loopback.url}/key", source="x", name="key", sleep=lambda s: None)
    loopback.serve("/cut", Answer(200, b"x" * 5000, cut=1000))
    with pytest.raises(FetchError):
        fetch(_fast(settings), f"{loopback.url}/cut", source="x", name="cut", sleep=lambda s: None)
    assert not (raw_dir(settings, "x") / "cut").exists() and len(loopback.requests) == 4 + 1 + 4
    leftovers = list(raw_dir(settings, "x").glob("*")) if raw_dir(settings, "x").exists() else []
    assert leftovers == []


def test_unreachable_host_is_offline(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OfflineError, match="offline.*--file"):
        fetch(_fast(settings), f"http://127.0.0.1:{port}/x", source="x", name="x", sleep=lambda s: None)
