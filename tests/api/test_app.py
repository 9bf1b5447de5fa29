"""The web service: health, the optional API key, the offline map asset and the mounted UI."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tradesentinel.app import create_app


def test_health_on_an_empty_data_dir(settings):
    client = TestClient(create_app(settings, ui=False))
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["demo"] is False
    assert {t["name"]: t["exists"] for t in body["tables"]}["flows"] is False


def test_anomalies_before_scoring_is_a_clear_503(settings):
    response = TestClient(create_app(settings, ui=False)).get("/anomalies")
    assert response.status_code == 503 and "tradesentinel score" in response.json()["detail"]


def test_health_sees_the_demo_world(scored_world):
    body = TestClient(create_app(scored_world, ui=False)).get("/health").json()
    tables = {t["name"]: t["rows"] for t in body["tables"]}
    assert body["demo"] is True and tables["scores"] == tables["flows"] > 0


def test_api_key_guards_everything_but_health(scored_world):
    keyed = scored_world.model_copy(update={"api_key": "s3cret"})
    client = TestClient(create_app(keyed, ui=False))
    assert client.get("/health").status_code == 200
    assert client.get("/anomalies").status_code == 401
    assert client.get("/anomalies", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get("/anomalies", headers={"X-API-Key": "s3cret"}).status_code == 200
    assert client.post("/ask", json={"question": "hi"}).status_code == 401


def test_offline_world_map_is_served(settings):
    client = TestClient(create_app(settings, ui=False))
    topology = client.get("/static/topojson/world_110m.json").json()
    assert topology["type"] == "Topology" and "countries" in topology["objects"]
    assert client.get("/static/topojson/world_50m.json").status_code == 404
