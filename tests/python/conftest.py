"""Shared fixtures of the Python suites: the `harmony` CLI built from this checkout."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def harmony_cli() -> pathlib.Path:
    """target/debug/harmony, (re)built by cargo so it is never stale (a no-op after `cargo test`)."""
    subprocess.run(["cargo", "build", "-q", "-j2", "--bin", "harmony"], cwd=ROOT, check=True)
    exe = ROOT / "target" / "debug" / "harmony"
    assert exe.is_file(), exe
    return exe


def run_jsonl(exe: pathlib.Path, args: list[str], docs: list[str]) -> list[object]:
    """Runs `harmony ARGS --jsonl` over one document per line; returns one answer per line."""
    out = subprocess.run(
        [str(exe), *args, "--jsonl"], input="".join(d + "\n" for d in docs), capture_output=True, text=True
    )
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(answers) == len(docs), out.stderr
    return answers


@pytest.fixture(scope="session")
def reference_encoding():
    """openai-harmony 0.0.8 (the reference) loading the committed vocabulary offline."""
    os.environ.setdefault("TIKTOKEN_ENCODINGS_BASE", str(ROOT / "assets"))
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding

    return load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
