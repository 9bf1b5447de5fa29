"""The docker-compose stack: a valid v1.29 file whose app service is wired to ollama, chroma and mlflow."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    if not shutil.which("docker-compose"):
        pytest.skip(
            "docker-compose is not installed (make test installs it with apt-get where apt is available)"
        )
    check = subprocess.run(
        ["docker-compose", "config", "-q"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr
    rendered = subprocess.run(
        ["docker-compose", "config"], check=True, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    import yaml  # PyYAML comes with gradio

    return yaml.safe_load(rendered.stdout)


def test_stack_has_the_four_services(compose):
    assert set(compose["services"]) == {"app", "ollama", "chroma", "mlflow"}


def test_app_is_wired_to_the_other_services_by_settings(compose):
    env = compose["services"]["app"]["environment"]
    assert env["TRADESENTINEL_OLLAMA_HOST"] == "http://ollama:11434"
    assert (
        env["TRADESENTINEL_CHROMA_HOST"] == "chroma"
        and env["TRADESENTINEL_MLFLOW_URI"] == "http://mlflow:5000"
    )
    assert env["TRADESENTINEL_OLLAMA_MODEL"] == compose["services"]["ollama"]["environment"]["OLLAMA_MODEL"]
    assert str(compose["services"]["app"]["ports"][0]).startswith("127.0.0.1:")  # not exposed beyond the host


def test_ollama_pulls_its_model_on_first_start():
    script = (ROOT / "docker" / "ollama-entrypoint.sh").read_text()
    assert 'ollama pull "$OLLAMA_MODEL"' in script and "ollama serve" in script


ASSISTANT_SETTINGS = {"llm_backend", "ollama_host", "ollama_model"}


def test_every_setting_compose_passes_exists(compose):
    import importlib.util

    from tradesentinel.config import Settings

    names = {k.removeprefix("TRADESENTINEL_").lower() for k in compose["services"]["app"]["environment"]}
    unknown = names - set(Settings.model_fields)
    if importlib.util.find_spec("tradesentinel.assistant.answer") is None:
        unknown -= ASSISTANT_SETTINGS  # the assistant's settings arrive with its module
    assert not unknown, f"docker-compose.yml sets unknown settings: {sorted(unknown)}"
    assert {"data_dir", "host", "api_key", "mlflow_uri", "chroma_host", "chroma_port"} <= names
