"""A loopback HTTP server for network tests: scripted answers per path, requests recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest


@dataclass
class Answer:
    """One scripted response: status, body, headers; `cut` sends only that many body bytes then closes."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut: int | None = None


@dataclass
class Loopback:
    """The running server: `routes[path]` is a list of answers served in turn (the last one repeats)."""

    url: str
    routes: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def serve(self, path: str, *answers: Answer | bytes) -> None:
        self.routes[path] = [a if isinstance(a, Answer) else Answer(body=a) for a in answers]


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    """An HTTP server on 127.0.0.1 (port chosen by the OS), stopped after the test."""
    state = Loopback(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            state.headers.append(dict(self.headers))
            answers = state.routes.get(urlsplit(self.path).path)
            if not answers:
                self.send_error(404)
                return
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body if answer.cut is None else answer.body[: answer.cut])
            if answer.cut is not None:
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
