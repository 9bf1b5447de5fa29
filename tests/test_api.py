"""The web service: health and the status page, against real stored tables."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tradesentinel.api.app import create_app
from tradesentinel.pipeline.run import build_demo


def test_health_on_an_empty_data_dir(settings):
    client = TestClient(create_app(settings))
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["demo"] is False
    assert {t["name"]: t["exists"] for t in body["tables"]}["flows"] is False


def test_status_page_labels_demo_data(settings):
    report = build_demo(settings, scale=0.1, score=False)
    client = TestClient(create_app(settings))
    body = client.get("/health").json()
    assert body["demo"] is True
    assert {t["name"]: t["rows"] for t in body["tables"]}["flows"] == report.n_flows
    page = client.get("/").text
    assert "DEMO data" in page and f"{report.n_flows:,}" in page
