"""`ChatStream.process_object` (what `chat_completions.ChatStream.process` is bound to) builds
its chunk dicts in the extension, most of them without any JSON: the core hands back a plain
content or reasoning text and the extension puts it into copies of the stream's template
dicts, through a `METH_FASTCALL` entry installed over PyO3's. Here, over many completions —
the bridge's cases (tool calls, reasoning, malformed output), the random and damaged
completions of the differential test, text with escapes, and random token sequences — every
dict is checked against `json.loads` of the JSON text a parallel stream gives for the same
token, and every error against PyO3's entry."""

from __future__ import annotations

import json
import random
from types import ModuleType
from typing import Any, Dict, List, Optional

import pytest

from test_differential import completion_tokens
from test_responses_bridge import CASES

ESCAPES = (
    '<|channel|>analysis<|message|>Quote " backslash \\ tab \t nl \n ctl \x01\x1f é 😊 𝄞 \u2028<|end|>'
    "<|start|>assistant<|channel|>commentary<|message|>Let me check.<|end|>"
    "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
    '{"city": "Par\\"is", "n": [1, 2.5e3, -0.0, true, null]}<|call|>'
    '<|start|>assistant<|channel|>final<|message|>Done: "42" \\o/ 😊<|return|>'
)

WEATHER_TOOL = {"type": "function", "function": {"name": "get weather", "parameters": {"type": "object"}}}

# Every option that changes a chunk's text or which chunks there are.
# (Seeded ids: the two streams of a comparison must give the same.)
OPTIONS: List[Dict[str, Any]] = [
    {"tool_call_id_seed": 9},
    {"id": "chatcmpl-1", "created": 1, "model": "gpt-oss", "tool_call_id_seed": 7},
    {"id": 'a"b\\c,"choices":[{"index":0,"delta":{', "created": 2**40, "model": "m\u2028😊\x01", "tool_call_id_seed": 7},
    {"reasoning_field": "reasoning", "tool_call_id_prefix": "call_"},
    {"tool_choice": "none", "tool_call_id_seed": 1},
    {"parallel_tool_calls": False, "finish_reason": "stop", "tool_call_id_seed": 2},
    {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}, "tool_call_id_seed": 3},
    {"tools": [WEATHER_TOOL], "finish_reason": "length", "tool_call_id_seed": 4},
    {"continuation": {"channel": "final"}, "tool_call_id_seed": 5},
    {"continuation": {"channel": "analysis"}, "reasoning_field": "reasoning", "tool_call_id_seed": 6},
]


def outcome(f: Any) -> Any:
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return ("error", type(e), str(e), getattr(e, "status", None))


def compare(lib: ModuleType, tokens: List[int], options: Dict[str, Any]) -> int:
    """Feeds `tokens` to a `process_object` stream and to a JSON-text stream in parallel;
    returns how many chunks there were."""
    from libharmony import _libharmony
    from libharmony import chat_completions as cc

    blob = json.dumps(options)
    objects, texts = cc.ChatStream(**options), _libharmony.ChatStream(blob)
    chunks = 0
    for i, t in enumerate(tokens):
        got = outcome(lambda: objects.process(t))
        want = outcome(lambda: texts.process(t))
        if want[0] == "ok" and want[1] is not None:
            want = ("ok", json.loads(want[1]))
            chunks += 1
        assert got == want, (i, t, tokens, options)
        if got[0] == "ok" and got[1] is not None:
            # Same key order, same types (json.dumps would tell True from 1, 1.0 from 1).
            assert json.dumps(got[1]) == json.dumps(want[1]), (i, t)
    last = outcome(objects.finish)
    want_last = outcome(texts.finish)
    if want_last[0] == "ok":
        want_last = ("ok", json.loads(want_last[1]))
    assert last == want_last, (tokens, options)
    assert json.dumps(last) == json.dumps(want_last)
    assert objects.repairs == texts.repairs
    return chunks


@pytest.fixture(scope="module")
def enc(lib: ModuleType) -> Any:
    return lib.load_harmony_encoding("HarmonyGptOss")


@pytest.mark.parametrize("options", OPTIONS, ids=range(len(OPTIONS)))
def test_bridge_cases_and_escapes(lib: ModuleType, enc: Any, options: Dict[str, Any]) -> None:
    total = 0
    for name, text in list(CASES.items()) + [("escapes", ESCAPES)]:
        total += compare(lib, enc.encode(text, allowed_special="all"), options)
    assert total > 60


@pytest.mark.parametrize("batch", range(4))
def test_random_and_damaged_completions(lib: ModuleType, enc: Any, batch: int) -> None:
    """The differential test's completions (random headers, channels, recipients, damage:
    dropped, duplicated and inserted tokens, truncation)."""
    for seed in range(batch * 150, (batch + 1) * 150):
        tokens, role, _ = completion_tokens(enc, 7000 + seed)
        if role is None:
            tokens = tokens[3:]  # the bridge's completions start inside the assistant header
        compare(lib, tokens, OPTIONS[seed % len(OPTIONS)])


def test_random_token_sequences(lib: ModuleType, enc: Any) -> None:
    """Random ids weighted towards Harmony's control tokens and header words, ids past the
    vocabulary included (errors, which must not change the stream)."""
    specials = enc.encode("<|start|><|end|><|message|><|channel|><|constrain|><|return|><|call|>", allowed_special="all")
    words = [t for w in ["assistant", "analysis", "final", "commentary", " to=functions.f", " to=python", "json",
                         '{"a":1}', "Hi", " ", "日本", "\n", "😊"] for t in enc.encode(w)]
    rng = random.Random(31)
    for case in range(400):
        tokens = []
        for _ in range(rng.randrange(0, 50)):
            r = rng.random()
            if r < 0.4:
                tokens.append(rng.choice(specials))
            elif r < 0.85:
                tokens.append(rng.choice(words))
            elif r < 0.98:
                tokens.append(rng.randrange(0, 200000))
            else:
                tokens.append(rng.choice([201089, 2**31, 2**32 - 1]))
        compare(lib, tokens, OPTIONS[case % len(OPTIONS)])


def test_benchmark_completion(lib: ModuleType, enc: Any) -> None:
    """The benchmark's tool loop (reasoning, preamble, call, reasoning, answer)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("bench_corpus", Path(__file__).resolve().parents[1] / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    tokens = enc.encode(corpus.chat_completion_text(), allowed_special="all")
    assert compare(lib, tokens, {"id": "chatcmpl-1", "created": 1, "model": "gpt-oss", "tool_call_id_seed": 1}) > len(tokens) // 2


def test_chunks_are_dicts_of_their_own(lib: ModuleType, enc: Any) -> None:
    from libharmony import chat_completions as cc

    stream = cc.ChatStream()
    tokens = enc.encode("<|channel|>analysis<|message|>a b c d<|end|><|start|>assistant<|channel|>final<|message|>e f g h<|return|>",
                        allowed_special="all")
    chunks = [c for c in (stream.process(t) for t in tokens) if c is not None]
    assert len(chunks) > 6
    for c in chunks:
        c["choices"][0]["delta"]["mutated"] = True
        c["choices"].append("x")
        c["id"] = "changed"
    fresh = cc.ChatStream()
    again = [c for c in (fresh.process(t) for t in tokens) if c is not None]
    assert all(c["id"] == "chatcmpl-harmony" and len(c["choices"]) == 1 and "mutated" not in c["choices"][0]["delta"] for c in again)


def test_call_forms_and_errors_are_pyo3s(lib: ModuleType, enc: Any) -> None:
    """Keywords, odd arguments and every error go through PyO3's entry (or raise what it
    raises); an error changes nothing in the stream."""
    from libharmony import _libharmony
    from libharmony import chat_completions as cc

    tokens = enc.encode("<|channel|>final<|message|>Hello there, friend.<|return|>", allowed_special="all")
    s = cc.ChatStream()
    raw = _libharmony.ChatStream("")
    assert s.process(token=tokens[0]) is None  # a keyword: PyO3's entry
    assert raw.process_object(token=tokens[0]) is None
    assert _libharmony.ChatStream.process_object(raw, tokens[1]) is None
    for bad, error in [(-1, OverflowError), (2**32, OverflowError), (2**70, OverflowError), ("1", TypeError), (1.0, TypeError),
                       (None, TypeError)]:
        with pytest.raises(error):
            s.process(bad)
        with pytest.raises(error):
            raw.process_object(bad)
    with pytest.raises(TypeError):
        s.process()
    with pytest.raises(TypeError):
        s.process(1, 2)
    with pytest.raises(TypeError):
        s.process(tokens[1], token=tokens[1])
    with pytest.raises(TypeError):
        s.process(tok=tokens[1])
    with pytest.raises(TypeError):
        _libharmony.ChatStream.process_object(object(), 1)
    with pytest.raises(lib.HarmonyError) as e:
        s.process(201089)  # past the vocabulary: the core's error
    assert e.value.status == "unknown_token"
    with pytest.raises(lib.HarmonyError) as e:
        s.process(2**32 - 1)
    assert e.value.status == "unknown_token"
    # A bool is an int subclass, as PyO3 takes it; the stream is unharmed by the errors.
    class Int(int):
        pass

    rest = [s.process(Int(tokens[1]))] + [s.process(t) for t in tokens[2:]]
    want = cc.ChatStream()
    assert rest == [want.process(t) for t in tokens][1:]
    assert s.process(True) == want.process(True)
    assert s.finish() == want.finish()
    for f in (lambda: s.process(tokens[2]), s.finish, lambda: raw.finish_object() and raw.process_object(1)):
        with pytest.raises(lib.HarmonyError, match="already finished") as e:
            f()
        assert e.value.status == "invalid_argument"
    # The method keeps PyO3's name, signature and doc.
    m = _libharmony.ChatStream.process_object
    assert m.__name__ == "process_object" and m.__text_signature__ == "($self, token)"
    assert m.__doc__.startswith("The chunk this token produces")


def test_a_wrong_dict_would_be_caught(lib: ModuleType, enc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison sees a wrong chunk: a stream whose process_object loses one character of
    one delta fails it."""
    from libharmony import chat_completions as cc

    real = cc.ChatStream

    class Broken:
        def __init__(self, **options: Any) -> None:
            self._s = real(**options)
            self.n = 0

        def process(self, t: int) -> Optional[Dict[str, Any]]:
            c = self._s.process(t)
            self.n += c is not None
            if c is not None and self.n == 20:
                d = c["choices"][0]["delta"]
                for k in d:
                    if isinstance(d[k], str):
                        d[k] = d[k][:-1]
            return c

        def finish(self) -> Dict[str, Any]:
            return self._s.finish()

        @property
        def repairs(self) -> int:
            return self._s.repairs

    monkeypatch.setattr(cc, "ChatStream", Broken)
    with pytest.raises(AssertionError):
        compare(lib, enc.encode(ESCAPES, allowed_special="all"), OPTIONS[0])
