"""Tool-calling models: Ollama's `tools` field against a fake Ollama on loopback, and the tools and
retriever as langchain-core objects run by a LangChain-style agent loop with a scripted chat model."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, ToolMessage

from tests.assistant.conftest import EVIDENCE, ListSearcher
from tradesentinel.assistant.answer import answer_question
from tradesentinel.assistant.lc import EvidenceRetriever, langchain_tools, run_agent
from tradesentinel.assistant.llm import OllamaBackend
from tradesentinel.assistant.specs import to_call
from tradesentinel.assistant.tools import Context
from tradesentinel.investigate.tables import TableStore


class ToolOllama(BaseHTTPRequestHandler):
    """/api/chat: a request carrying `tools` is answered with tool_calls; any other with streamed text."""

    requests: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ToolOllama.requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        if body.get("tools"):
            call = {"function": {"name": "count_anomalies", "arguments": {"country": "TUR"}}}
            message = {"role": "assistant", "content": "", "tool_calls": [call]}
            self.wfile.write(
                (json.dumps({"model": body["model"], "message": message, "done": True}) + "\n").encode()
            )
            return
        for piece in ("", ""):
            line = {"model": body["model"], "message": {"role": "assistant", "content": piece}, "done": False}
            self.wfile.write((json.dumps(line) + "\n").encode())
        self.wfile.write(
            (
                json.dumps(
                    {"model": body["model"], "message": {"role": "assistant", "content": ""}, "done": True}
                )
                + "\n"
            ).encode()
        )

    def log_message(self, *args):
        pass


@pytest.fixture
def tool_ollama():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ToolOllama)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_ollama_model_chooses_the_tools_through_the_tools_field(qs_world, tool_ollama):
    ToolOllama.requests.clear()
    ctx = Context(tables=TableStore(qs_world))
    answer = answer_question(
        "Surprise me with something about the data", qs_world, ctx, OllamaBackend(tool_ollama, "qwen2.5")
    )
    sent = ToolOllama.requests[0]
    assert {t["function"]["name"] for t in sent["tools"]} >= {"count_anomalies", "screen", "hs_code"}
    assert sent["messages"][-1]["content"] == "Surprise me with something about the data"
    assert answer.intent == "model_tools" and answer.calls[0]["tool"] == "count_anomalies"
    assert answer.facts[0]["kind"] == "count" and "[1]" in answer.text


def test_model_tool_calls_are_validated_before_anything_runs():
    assert to_call("screen", {"name": "Volga Shipping"}).args == {"name": "Volga Shipping"}
    assert to_call("drop_tables", {}) is None
    assert to_call("hs_code", {"code": "85x"}) is None
    assert to_call("top_anomalies", {"country": "rus; DROP"}) is None
    assert to_call("top_anomalies", {"k": 3, "period_from": "2023-01"}).args["query"].period_from.month == 1


def test_the_tools_and_retriever_are_langchain_objects(qs_world):
    tools = {t.name: t for t in langchain_tools(Context(tables=TableStore(qs_world)))}
    message = tools["hs_code"].invoke(
        {"type": "tool_call", "id": "1", "name": "hs_code", "args": {"code": "8703"}}
    )
    assert isinstance(message, ToolMessage) and "HS 8703" in message.content and "[1]" in message.content
    assert message.artifact["answer"]["hs_code"] == "8703"
    docs = EvidenceRetriever(searcher=ListSearcher(EVIDENCE), k=2).invoke("Volga Shipping sanctions")
    assert docs and docs[0].metadata["collection"] in {"sanctions", "news", "anomalies", "hs_codes"}
    assert docs[0].id.startswith(docs[0].metadata["collection"] + ":")


def test_a_langchain_chat_model_runs_the_tools_as_an_agent(qs_world):
    class Scripted(FakeMessagesListChatModel):
        def bind_tools(self, tools, **kwargs):
            return self

    model = Scripted(
        responses=[
            AIMessage("", tool_calls=[{"name": "count_anomalies", "args": {"country": "TUR"}, "id": "c1"}]),
            AIMessage("Turkey has flagged flows [1]."),
        ]
    )
    messages = run_agent(
        model, "How many anomalies involve Turkey?", langchain_tools(Context(tables=TableStore(qs_world)))
    )
    tool_message = next(m for m in messages if isinstance(m, ToolMessage))
    assert "of the" in tool_message.content and "flagged [1]" in tool_message.content
    assert messages[-1].content == "Turkey has flagged flows [1]."
