"""The layers of DESIGN.md as an import-linter contract (pyproject.toml, run by `make lint`): the contract
names every layer of DESIGN.md in its order, and an import that points up a layer breaks it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT.parent / "shared" / "DESIGN.md"
LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
)


def _contract() -> dict:
    """The layers contract of pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract


def _layer_of(contract: dict) -> dict[str, int]:
    """Each module of the contract -> its layer's height (0 = the lowest layer)."""
    layers = list(reversed(contract["layers"]))
    return {
        name.strip().strip("()"): height
        for height, layer in enumerate(layers)
        for name in re.split(r"[|:]", layer)
    }


def _design_modules() -> list[str]:
    """The top-level modules of the package in DESIGN.md's layout, lowest layer first."""
    if not DESIGN.is_file():
        pytest.skip("../shared/DESIGN.md is absent")
    layout = DESIGN.read_text().split("## Layout", 1)[1].split("```")[1]
    names = []
    for line in layout.splitlines():
        entry = re.match(r"  (\w[\w./, ]*?)(?:\s{2,}|$)", line)  # a package entry: two-space indent
        if entry:
            names += [n.strip().removesuffix(".py").removesuffix("/") for n in entry.group(1).split(",")]
    return names


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the package under `tree`, with the contract of `tree`/pyproject.toml."""
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_contract_names_every_layer_of_the_design_in_its_order():
    design = _design_modules()
    assert design[:5] == ["config", "schema", "errors", "storage", "reference"]
    layer_of = _layer_of(_contract())
    assert set(design) <= set(layer_of), f"layers missing from the contract: {set(design) - set(layer_of)}"
    heights = [layer_of[name] for name in design]
    assert heights == sorted(heights), f"the contract orders the layers otherwise than DESIGN.md: {design}"
    assert layer_of["config"] == layer_of["logs"] == 0 and layer_of["cli"] == max(layer_of.values())


def test_api_and_ui_are_independent_siblings_and_every_module_is_placed():
    contract = _contract()
    (siblings,) = [layer for layer in contract["layers"] if "api" in layer]
    assert {name.strip() for name in siblings.split("|")} == {"api", "ui"}
    assert contract["exhaustive"] and contract["containers"] == ["tradesentinel"]


def test_an_upward_import_breaks_the_contract_and_is_named(tmp_path: Path):
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT / "tradesentinel", tree / "tradesentinel", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tree)
    before = _lint_imports(tree)
    assert "Contracts:" in before.stdout, before.stdout + before.stderr
    assert "tradesentinel.errors ->" not in before.stdout

    core = tree / "tradesentinel" / "errors.py"
    core.write_text(core.read_text() + "\nimport tradesentinel.api  # noqa: E402\n")
    after = _lint_imports(tree)
    line = len(core.read_text().splitlines())
    assert after.returncode == 1 and "BROKEN" in after.stdout
    assert f"tradesentinel.errors -> tradesentinel.api (l.{line})" in after.stdout, after.stdout
