"""/anomalies, /anomalies/{id}, explain and /ask against a small scored demo world."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from tests.api.fakes import FakeAssistant
from tradesentinel.api.deps import get_optional_assistant
from tradesentinel.app import create_app


@pytest.fixture(scope="module")
def client(scored_world):
    app = create_app(scored_world, ui=False)
    app.dependency_overrides[get_optional_assistant] = FakeAssistant
    return TestClient(app)


def test_anomalies_are_ranked_and_paged(client):
    first = client.get("/anomalies", params={"limit": 5}).json()
    second = client.get("/anomalies", params={"limit": 5, "offset": 5}).json()
    assert first["demo"] is True and first["total"] > 10
    ranks = [a["rank"] for a in first["items"] + second["items"]]
    assert ranks == sorted(ranks) and len(set(ranks)) == 10


def test_anomaly_filters_narrow_the_list(client):
    top = client.get("/anomalies", params={"limit": 1}).json()["items"][0]
    params = {
        "country": top["partner"],
        "hs": top["hs_code"][:4],
        "min_score": 0.5,
        "period_from": top["period"][:7],
        "period_to": top["period"][:7],
    }
    body = client.get("/anomalies", params=params).json()
    assert body["items"][0]["flow_id"] == top["flow_id"]
    for item in body["items"]:
        assert top["partner"] in (item["reporter"], item["partner"]) and item["hs_code"].startswith(
            params["hs"]
        )
        assert item["score"] >= 0.5 and item["period"][:7] == params["period_from"]
    kind = client.get("/anomalies", params={"kind": top["kind"], "limit": 50}).json()
    assert kind["items"] and {i["kind"] for i in kind["items"]} == {top["kind"]}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"country": "ru"},
        {"hs": "85x"},
        {"period_from": "2024-13"},
        {"min_score": 2},
        {"kind": "nonsense"},
    ],
)
def test_bad_filters_are_rejected_with_422(client, params):
    response = client.get("/anomalies", params=params)
    assert response.status_code == 422 and response.json()["detail"]


def test_unknown_flow_is_404(client):
    assert client.get("/anomalies/0123456789abcdef").status_code == 404
    assert client.get("/anomalies/not-an-id/explain").status_code == 422


def test_explain_gives_scores_reasons_evidence_and_a_cited_narrative(client):
    top = client.get("/anomalies", params={"limit": 1}).json()["items"][0]
    body = client.get(f"/anomalies/{top['flow_id']}/explain").json()
    anomaly = body["anomaly"]
    assert {d["detector"] for d in anomaly["detectors"]} == {"statistical", "sanctions"}
    assert anomaly["reasons"] and all("observed" in r and "expected" in r for r in anomaly["reasons"])
    collections = {e["collection"] for e in body["evidence"]}
    assert {"hs_codes", "sanctions", "news"} <= collections  # the test world names the top flow's countries
    assert [e["n"] for e in body["evidence"]] == list(range(1, len(body["evidence"]) + 1))
    narrative = body["narrative"]
    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", narrative["text"])})
    assert narrative["mode"] == "evidence" and cited == narrative["cited"] and cited
    assert "Test Trading LLC" in next(e["text"] for e in body["evidence"] if e["collection"] == "sanctions")
    assert (
        client.get(f"/anomalies/{top['flow_id']}/explain", params={"narrative": "none"}).json()["narrative"][
            "text"
        ]
        == ""
    )


def test_llm_narrative_appends_the_answer_evidence_and_renumbers(client):
    top = client.get("/anomalies", params={"limit": 1}).json()["items"][0]
    body = client.get(f"/anomalies/{top['flow_id']}/explain", params={"narrative": "llm"}).json()
    offset = len(body["evidence"]) - 2
    assert body["narrative"]["mode"] == "llm"
    assert body["narrative"]["cited"] == [offset + 1, offset + 2]
    assert body["evidence"][offset]["doc_id"] == "DEMO:T1"


def test_ask_answers_with_citations_and_limits_the_question(client):
    body = client.post("/ask", json={"question": "Who is listed?"}).json()
    assert body["citations"] == [1, 2] and body["evidence"][0]["n"] == 1 and "[1]" in body["text"]
    assert client.post("/ask", json={"question": "x" * 501}).status_code == 422
    assert client.post("/ask", json={"question": ""}).status_code == 422
    assert (
        client.post("/ask", content=b"not json", headers={"content-type": "application/json"}).status_code
        == 422
    )


def test_ask_takes_the_conversation_and_returns_structured_facts(scored_world):
    assistant = FakeAssistant()
    app = create_app(scored_world, ui=False, assistant=assistant)
    client = TestClient(app)
    first = client.post("/ask", json={"question": "Is Test Trading LLC sanctioned?"}).json()
    assert first["intent"] == "screen" and first["facts"][0]["verdict"] == "match" and first["turn"]["intent"]
    second = client.post("/ask", json={"question": "and its news?", "history": [first["turn"]]})
    assert second.status_code == 200 and assistant.histories[-1][0]["slots"] == {
        "names": ["Test Trading LLC"]
    }
    blank = client.post("/ask", json={"question": "   "})
    assert blank.status_code == 422 and "blank" in blank.text
    too_many = client.post("/ask", json={"question": "q", "history": [first["turn"]] * 21})
    assert too_many.status_code == 422


def test_ask_stream_sends_tokens_then_the_answer(client):
    with client.stream("POST", "/ask/stream", json={"question": "Who is listed?"}) as response:
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert [e["type"] for e in events] == ["token", "token", "answer"]
    assert events[-1]["citations"] == [1, 2]


def test_ask_without_the_assistant_is_503(scored_world):
    client = TestClient(create_app(scored_world, ui=False, assistant=None))
    response = client.post("/ask", json={"question": "hi"})
    assert response.status_code == 503 and "assistant" in response.json()["detail"]
    top = client.get("/anomalies", params={"limit": 1}).json()["items"][0]
    assert client.get(f"/anomalies/{top['flow_id']}/explain").status_code == 200
    assert client.get(f"/anomalies/{top['flow_id']}/explain", params={"narrative": "llm"}).status_code == 503
