"""Errors at the API's edge: a bug is a logged 500, a domain error its own status, and no error body
repeats more than 200 characters of what was sent."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from tests.api.fakes import FakeAssistant
from tradesentinel.api.deps import get_optional_assistant, get_tables
from tradesentinel.app import create_app


class BrokenTables:
    """Tables whose every read fails the way a bug would."""

    def snapshot(self):
        raise RuntimeError("a bug deep in the service")


def test_a_bug_is_a_500_with_a_logged_traceback(settings, caplog):
    app = create_app(settings, ui=False, assistant=None)
    app.dependency_overrides[get_tables] = BrokenTables
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="tradesentinel.api.errors"):
        response = client.get("/anomalies")
    assert response.status_code == 500
    assert "a bug deep" not in response.text and "internal error" in response.json()["detail"]
    record = next(r for r in caplog.records if "unhandled error" in r.getMessage())
    assert record.exc_info and "a bug deep in the service" in str(record.exc_info[1])


def test_error_bodies_echo_at_most_200_characters(settings):
    app = create_app(settings, ui=False)
    app.dependency_overrides[get_optional_assistant] = FakeAssistant
    client = TestClient(app)
    huge = "Is this listed? " * 700_000  # about 11 MB
    response = client.post("/ask", json={"question": huge})
    assert response.status_code == 422 and len(response.content) < 2_000
    assert "500" in response.text  # the limit is named
    long_hs = client.get("/anomalies", params={"label": "x" * 5_000})
    assert long_hs.status_code == 422 and len(long_hs.content) < 1_500
