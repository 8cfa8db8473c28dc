"""pytest-benchmark benchmarks of the Python package against openai-harmony 0.0.8 (issue 18:
the ratios of the Rust benchmarks must hold through the package).

    pytest bindings/python/bench                       # both packages, ~1 min; prints the table
    python bindings/python/bench/report.py --runs 3    # 3 alternating runs, table, RESULTS.md

Every case runs for both packages on identical inputs (built from the same JSON / tokens), the
reference first and libharmony right after (``--bench-order ours-first`` swaps them), and
checks that both give the same tokens or messages. Times are per call; ``extra_info["units"]``
holds the tokens a call handles, for the per-token columns of the table (``report.py``).

Not collected by ``pytest bindings/python/tests`` (CI): this folder is its own suite (its
``pytest.ini`` sets the timer and the rounds). ``--benchmark-disable`` runs each body once, as a
smoke test (a few seconds).
"""

from __future__ import annotations

import functools
import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, List, Tuple

import pytest

import corpus

REPO = Path(__file__).resolve().parents[3]
os.environ.setdefault("TIKTOKEN_ENCODINGS_BASE", str(REPO / "assets"))

REFERENCE, OURS = "openai_harmony", "libharmony"
PACKAGES = [REFERENCE, OURS]


@functools.lru_cache(maxsize=None)
def package(name: str) -> Tuple[ModuleType, Any]:
    m = importlib.import_module(name)
    enc = m.load_harmony_encoding(m.HarmonyEncodingName.HARMONY_GPT_OSS)
    enc.encode("warm up: libharmony builds its encoder tables on the first encode")
    return m, enc


def run(benchmark: Any, pkg: str, case: str, units: int, unit: str, fn: Callable[[], Any]) -> Any:
    """Benchmarks ``fn`` as ``case`` (the group: both packages' rows side by side)."""
    benchmark.group = case
    benchmark.extra_info.update(package=pkg, case=case, units=units, unit=unit)
    return benchmark(fn)


# --- render -------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def expected_render(payload: str) -> List[int]:
    m, enc = package(REFERENCE)
    return list(enc.render_conversation_for_completion(m.Conversation.from_json(payload), m.Role.ASSISTANT))


def bench_render(benchmark: Any, pkg: str, case: str, payload: str) -> None:
    m, enc = package(pkg)
    conv = m.Conversation.from_json(payload)
    role = m.Role.ASSISTANT
    want = expected_render(payload)
    tokens = run(benchmark, pkg, case, len(want), "token",
                 lambda: enc.render_conversation_for_completion(conv, role))
    assert list(tokens) == want


@pytest.mark.parametrize("pkg", PACKAGES)
@pytest.mark.parametrize("turns", [1, 8, 32])
def test_render(benchmark: Any, turns: int, pkg: str) -> None:
    """render_conversation_for_completion of a gpt-oss conversation (system, developer with
    four function tools, ``turns`` × user / analysis / tool call / tool answer / final)."""
    bench_render(benchmark, pkg, f"render, {turns} turn{'s' if turns > 1 else ''}", corpus.conversation_json(turns))


@functools.lru_cache(maxsize=None)
def real_text_payload(kind: str) -> str:
    text = corpus.real_text(kind)
    if text is None:
        pytest.skip(f"not enough {kind} text in the gettext catalogues of this machine")
    return corpus.real_text_conversation_json(text)


@pytest.mark.parametrize("pkg", PACKAGES)
@pytest.mark.parametrize("kind", list(corpus.REALTEXT))
def test_render_real_text(benchmark: Any, kind: str, pkg: str) -> None:
    """A conversation carrying ~100 KB of real text (gettext catalogues) in 4 KB user messages:
    mostly encoding, so the per-script cost of the tokenizer shows."""
    bench_render(benchmark, pkg, f"render, 100 KB of {kind} text", real_text_payload(kind))


# --- parse and stream ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def completion(n: int) -> Tuple[int, ...]:
    m, enc = package(REFERENCE)
    return tuple(corpus.completion(enc.encode, n))


def normalised(msgs: List[Any]) -> List[dict]:
    return [{k: (str(v.value) if hasattr(v, "value") else v) for k, v in x.to_dict().items()} for x in msgs]


SIZES = [2048, 8192]


def size_label(n: int) -> str:
    return f"{n // 1024}k tokens"


@pytest.mark.parametrize("pkg", PACKAGES)
@pytest.mark.parametrize("n", SIZES)
def test_parse(benchmark: Any, n: int, pkg: str) -> None:
    """parse_messages_from_completion_tokens of one final message of ``n`` content tokens."""
    m, enc = package(pkg)
    tokens = list(completion(n))
    role = m.Role.ASSISTANT
    msgs = run(benchmark, pkg, f"parse, {size_label(n)}", len(tokens), "token",
               lambda: enc.parse_messages_from_completion_tokens(tokens, role))
    assert normalised(msgs) == normalised_expected(n)


@functools.lru_cache(maxsize=None)
def normalised_expected(n: int) -> List[dict]:
    m, enc = package(REFERENCE)
    return normalised(enc.parse_messages_from_completion_tokens(list(completion(n)), m.Role.ASSISTANT))


def stream_deltas(m: ModuleType, enc: Any, tokens: List[int]) -> Callable[[], List[str]]:
    """What a server does per sampled token: process it, read the content delta."""
    def go() -> List[str]:
        p = m.StreamableParser(enc, m.Role.ASSISTANT)
        out = []
        for t in tokens:
            p.process(t)
            d = p.last_content_delta
            if d:
                out.append(d)
        return out
    return go


@pytest.mark.parametrize("pkg", PACKAGES)
@pytest.mark.parametrize("n", SIZES)
def test_stream(benchmark: Any, n: int, pkg: str) -> None:
    """StreamableParser over ``n`` content tokens: ``process`` + ``last_content_delta`` per token."""
    m, enc = package(pkg)
    tokens = list(completion(n))
    deltas = run(benchmark, pkg, f"stream, {size_label(n)}", len(tokens), "token", stream_deltas(m, enc, tokens))
    assert "".join(deltas) == normalised_expected(n)[0]["content"][0]["text"]


# --- chat completions streaming (libharmony only) -----------------------------------------------

@functools.lru_cache(maxsize=None)
def chat_tokens() -> List[int]:
    m, enc = package(OURS)
    return list(enc.encode(corpus.chat_completion_text(), allowed_special="all"))


def test_chat_stream(benchmark: Any) -> None:
    """libharmony.chat_completions.ChatStream: one chunk dict per content token (a tool loop's
    two turns: reasoning, preamble, call, reasoning, answer); no equivalent in 0.0.8."""
    from libharmony import chat_completions

    tokens = chat_tokens()

    def go() -> int:
        s = chat_completions.ChatStream(id="chatcmpl-1", created=1, model="gpt-oss")
        n = 0
        for t in tokens:
            if s.process(t) is not None:
                n += 1
        s.finish()
        return n

    chunks = run(benchmark, OURS, "chat stream (chunk dicts)", len(tokens), "token", go)
    assert chunks > len(tokens) // 2


def test_chat_stream_json(benchmark: Any) -> None:
    """The same through the extension type (each chunk as JSON text, no ``json.loads``): the
    binding's own cost per token."""
    from libharmony import _libharmony

    tokens = chat_tokens()
    options = '{"id": "chatcmpl-1", "created": 1, "model": "gpt-oss"}'

    def go() -> int:
        s = _libharmony.ChatStream(options)
        n = 0
        for t in tokens:
            if s.process(t) is not None:
                n += 1
        s.finish()
        return n

    chunks = run(benchmark, OURS, "chat stream (chunk JSON text)", len(tokens), "token", go)
    assert chunks > len(tokens) // 2
