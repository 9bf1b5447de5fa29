"""The browser harness launches the chromium it found: Debian's where installed, else the one on PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import conftest


def test_a_chromium_found_on_path_is_the_one_launched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "bin" / "chromium"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setattr(conftest, "CHROMIUM", str(tmp_path / "absent" / "chromium"))
    assert conftest.chromium_path() == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path / "absent"))
    assert conftest.chromium_path() is None
    monkeypatch.setattr(conftest, "CHROMIUM", str(fake))
    assert conftest.chromium_path() == str(fake)
