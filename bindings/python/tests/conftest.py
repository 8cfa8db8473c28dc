"""Shared fixtures: every suite here runs against both packages — openai-harmony 0.0.8 (the
reference, from PyPI) and libharmony — with the same test code."""

from __future__ import annotations

import glob
import importlib
import json
import os
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ["openai_harmony", "libharmony"]

# The reference reads its vocabulary from here (offline); libharmony ignores it.
os.environ.setdefault("TIKTOKEN_ENCODINGS_BASE", str(REPO / "assets"))


def _reference_test_data() -> Path:
    """The reference's own expected outputs (test-data/ of openai-harmony 0.0.8, shipped in the
    crate that `cargo test` fetched as our dev-dependency)."""
    override = os.environ.get("HARMONY_REF_TEST_DATA")
    if override:
        return Path(override)
    try:
        meta = json.loads(
            subprocess.run(
                ["cargo", "metadata", "--format-version", "1", "--offline", "--manifest-path", str(REPO / "Cargo.toml")],
                check=True, capture_output=True, text=True,
            ).stdout
        )
        for pkg in meta["packages"]:
            if pkg["name"] == "openai-harmony" and pkg["version"] == "0.0.8":
                return Path(pkg["manifest_path"]).parent / "test-data"
    except (OSError, subprocess.CalledProcessError, KeyError, ValueError):
        pass
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    found = glob.glob(os.path.join(home, "registry", "src", "*", "openai-harmony-0.0.8", "test-data"))
    if found:
        return Path(found[0])
    raise RuntimeError("openai-harmony 0.0.8's test-data not found: run `cargo fetch` or set HARMONY_REF_TEST_DATA")


@pytest.fixture(scope="session")
def test_data() -> Path:
    path = _reference_test_data()
    assert (path / "test_simple_convo.txt").is_file(), path
    return path


@pytest.fixture(scope="session", params=PACKAGES)
def harmony(request: pytest.FixtureRequest) -> ModuleType:
    """The package under test, imported under whatever name; tests use only its public API."""
    return importlib.import_module(request.param)


@pytest.fixture(scope="session")
def ref() -> ModuleType:
    return importlib.import_module("openai_harmony")


@pytest.fixture(scope="session")
def lib() -> ModuleType:
    return importlib.import_module("libharmony")
