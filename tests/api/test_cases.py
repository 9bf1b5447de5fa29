"""/cases and /watch as two named users would use them: who did what lands in the audit log."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tradesentinel.app import create_app
from tradesentinel.cases.db import Database
from tradesentinel.cases.users import KeyRing


@pytest.fixture
def world(scored_world, tmp_path):
    """The scored world with its own case database and two named users; (client, keys by name)."""
    settings = scored_world.model_copy(update={"db_url": f"sqlite:///{tmp_path / 'cases.db'}"})
    db = Database(settings)
    keys = {name: KeyRing(db).add(name) for name in ("alice", "bob")}
    client = TestClient(create_app(settings, ui=False, assistant=None, db=db))
    yield client, {name: {"X-API-Key": key} for name, key in keys.items()}
    db.close()


def test_a_case_on_a_flow_keeps_who_did_what(world):
    client, as_ = world
    top = client.get("/anomalies", params={"limit": 2}, headers=as_["alice"]).json()["items"]
    opened = client.post(
        "/cases",
        json={
            "title": "Probe",
            "flow_id": top[0]["flow_id"],
            "tags": ["Chips", "chips"],
            "note": "first look",
        },
        headers=as_["alice"],
    )
    assert opened.status_code == 201
    case = opened.json()
    assert (case["status"], case["created_by"], case["tags"]) == ("open", "alice", ["chips"])
    assert case["reporter"] == top[0]["reporter"] and case["scores_version"]
    assert case["data_versions"]["scores"] == case["scores_version"]
    cid = case["id"]
    changed = client.patch(
        f"/cases/{cid}",
        json={"status": "escalated", "disposition": "true_hit", "assignee": "bob"},
        headers=as_["bob"],
    ).json()
    assert changed["status"] == "escalated" and changed["disposition"] == "true_hit"
    client.post(f"/cases/{cid}/flows", json={"flow_id": top[1]["flow_id"]}, headers=as_["bob"])
    client.post(f"/cases/{cid}/notes", json={"text": "mirror gap confirmed"}, headers=as_["alice"])
    case = client.get(f"/cases/{cid}", headers=as_["alice"]).json()
    assert [f["flow_id"] for f in case["flows"]] == [top[0]["flow_id"], top[1]["flow_id"]]
    notes = [(n["author"], n["text"]) for n in case["notes"]]
    assert notes == [("alice", "first look"), ("alice", "mirror gap confirmed")]
    log = [(e["actor"], e["action"], e["detail"].get("field")) for e in case["audit"]]
    assert log[0] == ("alice", "open", None)
    assert ("bob", "change", "status") in log and ("bob", "change", "disposition") in log
    assert ("bob", "attach", None) in log and ("alice", "note", None) in log
    listed = client.get("/cases", params={"status": "escalated"}, headers=as_["alice"]).json()
    assert [c["id"] for c in listed] == [cid]


def test_a_case_exports_as_markdown_and_html_with_evidence(world):
    client, as_ = world
    top = client.get("/anomalies", params={"limit": 1}, headers=as_["alice"]).json()["items"][0]
    cid = client.post(
        "/cases", json={"title": "<b>x</b>", "flow_id": top["flow_id"]}, headers=as_["alice"]
    ).json()["id"]
    md = client.get(f"/cases/{cid}/export", headers=as_["alice"])
    assert md.headers["content-type"].startswith("text/markdown")
    text = md.text
    assert f"# Case {cid}" in text and top["flow_id"] in text and "Evidence:" in text and "[1]" in text
    assert "Test Trading LLC" in text and "## Audit log" in text and "alice open" in text
    page = client.get(f"/cases/{cid}/export", params={"format": "html"}, headers=as_["alice"]).text
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page and "class='evidence'" in page


def test_corridor_cases_and_bad_input(world):
    client, as_ = world
    ok = client.post(
        "/cases", json={"title": "KGZ to RUS", "reporter": "kgz", "partner": "RUS"}, headers=as_["bob"]
    )
    assert ok.status_code == 201 and ok.json()["reporter"] == "KGZ" and ok.json()["flows"] == []
    bad = client.post("/cases", json={"title": "x", "reporter": "XXX", "partner": "RUS"}, headers=as_["bob"])
    assert bad.status_code == 422 and "reporter" in bad.json()["detail"]
    assert client.post("/cases", json={"title": "x"}, headers=as_["bob"]).status_code == 422
    assert (
        client.post(
            "/cases", json={"title": "x", "flow_id": "ffffffffffffffff"}, headers=as_["bob"]
        ).status_code
        == 404
    )
    assert client.patch("/cases/999", json={"status": "closed"}, headers=as_["bob"]).status_code == 404
    assert (
        client.patch(f"/cases/{ok.json()['id']}", json={"status": "done"}, headers=as_["bob"]).status_code
        == 422
    )
    assert client.get("/cases").status_code == 401


def test_watchlist_shows_what_is_new_after_a_refresh(world):
    client, as_ = world
    top = client.get("/anomalies", params={"limit": 1}, headers=as_["alice"]).json()["items"][0]
    corridor = f"{top['reporter']}>{top['partner']}"
    added = client.post("/watch", json={"kind": "corridor", "value": corridor.lower()}, headers=as_["alice"])
    assert added.status_code == 201 and added.json()["value"] == corridor
    assert client.get("/watch/new", headers=as_["alice"]).json() == []  # what matched when added is not new
    assert (
        client.post("/watch", json={"kind": "corridor", "value": "XXX>RUS"}, headers=as_["alice"]).status_code
        == 422
    )
    for padded in ("0\r", "0\x1f", " \x1c0"):  # one character once stripped: refused, not a 500
        short = client.post("/watch", json={"kind": "name", "value": padded}, headers=as_["alice"])
        assert short.status_code == 422 and "value" in short.text, repr(padded)
    assert [w["value"] for w in client.get("/watch", headers=as_["bob"]).json()] == []


def test_unnamed_environment_key_still_works_for_one_user(scored_world, tmp_path):
    settings = scored_world.model_copy(
        update={"api_key": "env-key", "api_user": "solo", "db_url": f"sqlite:///{tmp_path / 'c.db'}"}
    )
    client = TestClient(create_app(settings, ui=False, assistant=None))
    top = client.get("/anomalies", params={"limit": 1}, headers={"X-API-Key": "env-key"}).json()["items"][0]
    case = client.post(
        "/cases", json={"title": "t", "flow_id": top["flow_id"]}, headers={"X-API-Key": "env-key"}
    )
    assert case.json()["created_by"] == "solo"
    assert client.get("/cases", headers={"X-API-Key": "nope"}).status_code == 401
