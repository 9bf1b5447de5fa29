"""Backends: the embedded model streams text; Ollama is spoken to over real HTTP; failures are clear."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tradesentinel.assistant.llm import (
    ChatPrompt,
    LlamaCppBackend,
    ModelUnavailableError,
    NoneBackend,
    OllamaBackend,
    open_backend,
)
from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError

PROMPT = ChatPrompt("Answer briefly.", "Name a colour.")


class FakeOllama(BaseHTTPRequestHandler):
    """Ollama's streaming /api/chat: one JSON object per line, the last with done=true."""

    requests: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOllama.requests.append(body)
        if self.path != "/api/chat" or body["model"] != "tiny":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(json.dumps({"error": f"model '{body['model']}' not found"}).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for piece in ["Gre", "en [1]", "."]:
            line = {
                "model": "tiny",
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            self.wfile.write((json.dumps(line) + "\n").encode())
            self.wfile.flush()
        self.wfile.write(
            (
                json.dumps(
                    {
                        "model": "tiny",
                        "message": {"role": "assistant", "content": ""},
                        "done": True,
                        "done_reason": "stop",
                    }
                )
                + "\n"
            ).encode()
        )

    def log_message(self, *args):
        pass


@pytest.fixture
def ollama_host():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOllama)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ollama_streams_the_reply_and_sends_the_prompt_and_limits(ollama_host):
    FakeOllama.requests.clear()
    pieces = list(OllamaBackend(ollama_host, "tiny").generate(PROMPT, max_tokens=12, stop=["Question:"]))
    assert pieces == ["Gre", "en [1]", "."]
    sent = FakeOllama.requests[0]
    assert sent["stream"] is True and sent["messages"][1]["content"] == "Name a colour."
    assert sent["options"]["num_predict"] == 12 and sent["options"]["stop"] == ["Question:"]


def test_ollama_unknown_model_or_unreachable_server_is_a_clear_error(ollama_host):
    with pytest.raises(ModelUnavailableError, match="refused model 'huge'"):
        list(OllamaBackend(ollama_host, "huge").generate(PROMPT, max_tokens=5))
    with pytest.raises(ModelUnavailableError, match="cannot reach Ollama"):
        list(OllamaBackend("http://127.0.0.1:9", "tiny", timeout=2).generate(PROMPT, max_tokens=5))


def test_open_backend_follows_settings_and_rejects_unknown_names(tmp_path):
    settings = Settings(data_dir=tmp_path, llm_backend="ollama", ollama_model="m", ollama_host="http://h:1")
    backend = open_backend(settings)
    assert isinstance(backend, OllamaBackend) and (backend.host, backend.model) == ("http://h:1", "m")
    assert isinstance(open_backend(settings, "none"), NoneBackend)
    with pytest.raises(InvalidArgumentError, match="unknown LLM backend"):
        open_backend(settings, "gpt")


def test_a_missing_or_broken_model_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ModelUnavailableError, match="not found"):
        LlamaCppBackend(tmp_path / "absent.gguf").load()
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailableError, match="could not load"):
        list(LlamaCppBackend(junk).generate(PROMPT, max_tokens=4))


def test_the_embedded_model_streams_tokens_and_stops_when_told(smollm2):
    pieces = smollm2.generate(
        ChatPrompt("Answer briefly.", "Write a long story about a cat."), max_tokens=200
    )
    first = next(pieces)
    pieces.close()  # the consumer stops early: generation is cancelled, not run to the end
    assert isinstance(first, str) and first
    text = "".join(smollm2.generate(PROMPT, max_tokens=8))
    assert 0 < len(text) < 120
