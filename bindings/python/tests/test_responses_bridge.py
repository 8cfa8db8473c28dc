"""`libharmony.responses` (the Responses API bridge) and `libharmony.chat_completions.grammar`,
checked two independent ways: every response validates as the official `openai` SDK's
`Response` and every streamed event as its `ResponseStreamEvent`, and every result equals what
the `harmony` CLI (the core's own front end, built by cargo from this checkout) prints for the
same input.

The CLI is `HARMONY_BIN` if set, else target/debug/harmony (re)built by cargo (a no-op after
`cargo test` or the tests/python stage of scripts/test.sh)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, List

import pytest

REPO = Path(__file__).resolve().parents[3]

CALL = "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"

# Completions after `<|start|>assistant`, in the shapes gpt-oss writes (the format guide) and
# malformed shapes of public reports (the cases of tests/python/test_responses.py).
CASES = {
    "final": "<|channel|>analysis<|message|>User says hi.<|end|><|start|>assistant"
    "<|channel|>final<|message|>Hello! How can I help?<|return|>",
    "two_calls": "<|channel|>analysis<|message|>Need both cities.<|end|><|start|>assistant"
    + CALL
    + '{"location":"Tokyo"}<|call|><|start|>assistant'
    + CALL
    + '{"location":"Paris"}<|call|>',
    "three_calls": CALL + '{"location":"Oslo"}<|call|><|start|>assistant' + CALL + '{"location":"Rome"}<|call|>'
    "<|start|>assistant" + CALL + '{"location":"Lima"}<|call|>',
    # A structured-output answer: a message whose text is the JSON, never a function call
    # named <|constrain|>json (vLLM #45570).
    "structured": "<|channel|>analysis<|message|>Fill the schema.<|end|><|start|>assistant"
    '<|channel|>final <|constrain|>json<|message|>{"name":"Ada","age":36}<|return|>',
    "truncated_final": "<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>The answer is",
    "truncated_header": "<|channel|>analysis<|message|>Ok.<|end|><|start|>assistant<|channel|>fin",
    "truncated_call": "<|channel|>analysis<|message|>Call it.<|end|><|start|>assistant" + CALL + '{"locat',
    # Malformed output: text after `<|end|>` with no header (vLLM issue #50690); the bridge must
    # never raise on model output.
    "stray_text": "<|channel|>final<|message|>Done.<|end|>garbage after the message",
    "stray_return": "<|channel|>final<|message|>Done.<|return|><|return|>",
    "no_header": "I can't help with that.<|return|>",
    "unicode": "<|channel|>final<|message|>日本語のテキスト 🌸 done<|return|>",
    "empty": "",
}

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Gets the current weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    "strict": False,
}

# Bridge options per run: the defaults, and the request's fields echoed into the response
# (`tool_choice: "none"` drops the calls, `parallel_tool_calls: false` keeps the first).
OPTIONS: Dict[str, Dict[str, Any]] = {
    "default": {},
    "echo": {"model": "gpt-oss-120b", "id": "resp_py", "created_at": 1700000000,
             "response_fields": {"tools": [WEATHER], "tool_choice": "auto"}},
    "tool_choice_none": {"response_fields": {"tools": [WEATHER], "tool_choice": "none"}},
    "serial": {"response_fields": {"parallel_tool_calls": False}},
}


@pytest.fixture(scope="session")
def cli() -> Callable[..., Any]:
    binary = Path(os.environ.get("HARMONY_BIN", REPO / "target" / "debug" / "harmony"))
    if "HARMONY_BIN" not in os.environ:
        subprocess.run(["cargo", "build", "-q", "--bin", "harmony"], cwd=REPO, check=True)

    def run(*args: str, stdin: str) -> Any:
        p = subprocess.run([str(binary), *args, "--jsonl"], input=stdin + "\n", capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    return run


@pytest.fixture(scope="session")
def tokens(lib: ModuleType) -> Dict[str, List[int]]:
    enc = lib.load_harmony_encoding("HarmonyGptOss")
    return {name: enc.encode(text, allowed_special="all") for name, text in CASES.items()}


@pytest.fixture(scope="session")
def sdk() -> Any:
    from openai.types.responses import Response, ResponseStreamEvent
    from pydantic import TypeAdapter

    class SDK:
        response = Response
        event = TypeAdapter(ResponseStreamEvent)

    return SDK


def streamed(tokens: List[int], **options: Any) -> List[Dict[str, Any]]:
    """The events of a `ResponsesStream` fed one token at a time."""
    from libharmony.responses import ResponsesStream

    stream = ResponsesStream(**options)
    events: List[Dict[str, Any]] = []
    for t in tokens:
        events += stream.process(t)
    return events + stream.finish()


@pytest.mark.parametrize("opts", sorted(OPTIONS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_responses_validate_with_the_sdk_and_equal_the_cli(cli, tokens, sdk, case, opts) -> None:
    from libharmony import responses

    toks, options = tokens[case], OPTIONS[opts]
    response = responses.parse_response(toks, **options)  # never raises on model output
    sdk.response.model_validate(response)
    events = responses.stream_events(toks, **options)
    for e in events:
        sdk.event.validate_python(e)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == ("response.completed" if response["status"] == "completed" else "response.incomplete")
    assert events[-1]["response"] == response
    assert streamed(toks, **options) == events

    cli_args = ["--options", json.dumps(options)] if options else []
    assert cli("responses", "parse", *cli_args, stdin=json.dumps(toks)) == response
    assert cli("responses", "parse", "--stream", *cli_args, stdin=json.dumps(toks)) == events


def test_reasoning_then_final_answer(tokens) -> None:
    from libharmony import responses

    r = responses.parse_response(tokens["final"])
    assert r["status"] == "completed"
    assert [(i["type"], i.get("phase")) for i in r["output"]] == [("reasoning", None), ("message", "final_answer")]
    assert r["output"][0]["content"][0]["text"] == "User says hi."
    assert r["output"][1]["content"][0]["text"] == "Hello! How can I help?"


def test_several_function_calls(tokens) -> None:
    from libharmony import responses

    for case, cities in [("two_calls", ["Tokyo", "Paris"]), ("three_calls", ["Oslo", "Rome", "Lima"])]:
        r = responses.parse_response(tokens[case])
        calls = [i for i in r["output"] if i["type"] == "function_call"]
        assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [("get_weather", {"location": c}) for c in cities]
        assert len({c["call_id"] for c in calls}) == len(cities)
    serial = responses.parse_response(tokens["two_calls"], response_fields={"parallel_tool_calls": False})
    assert [json.loads(i["arguments"]) for i in serial["output"] if i["type"] == "function_call"] == [{"location": "Tokyo"}]


def test_structured_output_is_a_message_not_a_call(tokens) -> None:
    from libharmony import responses

    out = responses.parse_response(tokens["structured"])["output"]
    assert [i["type"] for i in out] == ["reasoning", "message"]
    assert json.loads(out[1]["content"][0]["text"]) == {"name": "Ada", "age": 36}


@pytest.mark.parametrize("case", ["truncated_final", "truncated_header", "empty"])
def test_truncation_is_incomplete(tokens, case) -> None:
    from libharmony import responses

    r = responses.parse_response(tokens[case])
    assert r["status"] == "incomplete" and r["incomplete_details"] == {"reason": "max_output_tokens"}
    assert responses.stream_events(tokens[case])[-1]["type"] == "response.incomplete"
    if case == "truncated_final":
        assert r["output"][-1]["status"] == "incomplete" and r["output"][-1]["content"][0]["text"] == "The answer is"


def test_tool_choice_none_drops_the_calls(tokens) -> None:
    from libharmony import responses

    fields = {"tools": [WEATHER], "tool_choice": "none"}
    for case in ["two_calls", "three_calls"]:
        assert any(i["type"] == "function_call" for i in responses.parse_response(tokens[case])["output"])
        r = responses.parse_response(tokens[case], response_fields=fields)
        assert r["tool_choice"] == "none"
        assert not [i for i in r["output"] if i["type"] == "function_call"]
        assert not [e for e in responses.stream_events(tokens[case], response_fields=fields) if "function_call" in e["type"]]


def test_malformed_output_never_raises_and_counts_repairs(tokens) -> None:
    """Text after `<|end|>` with no header (vLLM issue #50690) is kept as its own final answer,
    and the stream reports the repair; well-formed output needs none."""
    from libharmony import chat_completions, responses

    r = responses.parse_response(tokens["stray_text"])
    assert [(i["phase"], i["content"][0]["text"]) for i in r["output"]] == [
        ("final_answer", "Done."),
        ("final_answer", "garbage after the message"),
    ]
    for case, repaired in [("stray_text", True), ("stray_return", True), ("final", False), ("two_calls", False)]:
        rs, cs = responses.ResponsesStream(), chat_completions.ChatStream()
        assert rs.repairs == 0 and cs.repairs == 0
        for t in tokens[case]:
            rs.process(t)
            cs.process(t)
        rs.finish()
        cs.finish()
        assert (rs.repairs > 0) is repaired, case
        assert (cs.repairs > 0) is repaired, case


def test_render_request_equals_the_cli(cli, lib) -> None:
    from libharmony import responses

    enc = lib.load_harmony_encoding("HarmonyGptOss")
    requests: List[Dict[str, Any]] = [
        {"input": "Hi"},
        {"model": "gpt-oss", "instructions": "Be brief.", "reasoning": {"effort": "high"},
         "input": [{"role": "user", "content": "Weather in Tokyo and Paris?"}], "tools": [WEATHER]},
        {"input": [{"role": "user", "content": "Weather?"},
                   {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"location":"Oslo"}'},
                   {"type": "function_call_output", "call_id": "call_1", "output": '{"temp":20}'}],
         "tools": [WEATHER, {"type": "web_search"}]},
        {"input": "Name?", "text": {"format": {"type": "json_schema", "name": "person",
                                               "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}},
    ]
    for request in requests:
        prompt = responses.render_request(request, conversation_start_date="2025-06-28")
        assert prompt == responses.render_request(json.dumps(request), conversation_start_date="2025-06-28")
        assert prompt == cli("responses", "render", "--date", "2025-06-28", stdin=json.dumps(request))
        assert enc.decode_utf8(prompt).endswith("<|start|>assistant")
        assert "Current date: 2025-06-28" in enc.decode_utf8(prompt)


def test_errors_raise_harmony_error(lib) -> None:
    from libharmony import responses

    bad = {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]}
    with pytest.raises(lib.HarmonyError, match=r"input\[0\]\.content\[0\].*input_image") as info:
        responses.render_request(bad)
    assert info.value.status == "invalid_json"
    with pytest.raises(lib.HarmonyError) as info:
        responses.render_request("{not json")
    assert info.value.status == "invalid_json"
    with pytest.raises(lib.HarmonyError) as info:
        responses.parse_response([1], colour="blue")  # unknown option
    assert info.value.status == "invalid_json"
    with pytest.raises(lib.HarmonyError):
        responses.ResponsesStream(colour="blue")
    with pytest.raises(lib.HarmonyError) as info:
        responses.parse_response([2**31])  # not a token of the vocabulary: the engine's bug
    assert info.value.status == "unknown_token"
    stream = responses.ResponsesStream()
    stream.finish()
    with pytest.raises(lib.HarmonyError) as info:
        stream.process(1)
    assert info.value.status == "invalid_argument"


GRAMMAR_REQUEST = {
    "model": "gpt-oss-20b",
    "messages": [{"role": "user", "content": "Weather in Paris?"}],
    "tools": [
        {"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}}, "required": ["city"]}}},
        {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}},
    ],
    "parallel_tool_calls": True,
}


@pytest.mark.parametrize(
    "fmt,options,flags",
    [
        ("lark", {}, []),
        ("gbnf", {}, []),
        ("xgrammar", {}, []),
        ("lark", {"reasoning": "required"}, ["--reasoning", "required"]),
        ("gbnf", {"reasoning": "none"}, ["--reasoning", "none"]),
        ("gbnf", {"lazy": True}, ["--lazy"]),
        ("xgrammar", {"reasoning": "none"}, ["--reasoning", "none"]),
    ],
)
def test_grammar_equals_the_cli(cli, fmt, options, flags) -> None:
    from libharmony.chat_completions import grammar

    for request in [GRAMMAR_REQUEST, {**GRAMMAR_REQUEST, "tool_choice": "required"}]:
        g = grammar(request, fmt, **options)
        assert g == grammar(json.dumps(request), format=fmt, **options)
        assert g == cli("chat", "grammar", "--format", fmt, *flags, stdin=json.dumps(request))
        assert "get_weather" in g and "get_time" in g
    if fmt == "xgrammar":
        assert json.loads(g)["type"] == "structural_tag"


def test_grammar_default_format_and_errors(lib) -> None:
    from libharmony.chat_completions import grammar

    assert grammar(GRAMMAR_REQUEST) == grammar(GRAMMAR_REQUEST, "lark")
    with pytest.raises(lib.HarmonyError) as info:
        grammar(GRAMMAR_REQUEST, "regex")  # type: ignore[arg-type]
    assert info.value.status == "invalid_argument"
    with pytest.raises(lib.HarmonyError) as info:
        grammar(GRAMMAR_REQUEST, "lark", lazy=True)  # lazy is GBNF only
    assert info.value.status == "invalid_argument"
    with pytest.raises(lib.HarmonyError) as info:
        grammar(GRAMMAR_REQUEST, "lark", reasoning="sometimes")
    assert info.value.status == "invalid_json"


def ticks_during(call: Callable[[], Any]) -> int:
    """How many times another thread ran Python code while `call` ran. The switch interval is
    raised above the call's duration so that a call holding the GIL leaves the other thread no
    slice at all; the other thread yields the GIL after every tick (`sleep(0)`)."""
    import sys
    import threading
    import time

    ticks: List[int] = []
    go, done = threading.Event(), threading.Event()

    def count() -> None:
        go.wait()
        while not done.is_set():
            ticks.append(1)
            time.sleep(0)

    t = threading.Thread(target=count)
    old = sys.getswitchinterval()
    sys.setswitchinterval(2.0)
    try:
        t.start()
        go.set()
        call()
    finally:
        done.set()
        t.join()
        sys.setswitchinterval(old)
    return len(ticks)


def test_responses_calls_release_the_gil(lib) -> None:
    """A long parse in one thread lets another run Python code; a call holding the GIL (`sum`
    over a range, C code) does not — the check can tell the two apart."""
    from libharmony import responses

    enc = lib.load_harmony_encoding("HarmonyGptOss")
    long = enc.encode("<|channel|>final<|message|>" + "word " * 30_000 + "<|return|>", allowed_special="all")
    assert ticks_during(lambda: sum(range(5_000_000))) < 10
    assert ticks_during(lambda: responses.parse_response(long)) > 100
    assert ticks_during(lambda: responses.stream_events(long)) > 100


def test_responses_stream_force_answer_ends_the_reasoning(lib: ModuleType) -> None:
    """A thinking budget through the Responses stream: reasoning item, then the answer."""
    from openai.types.responses import Response

    from libharmony import responses

    enc = lib.load_harmony_encoding("HarmonyGptOss")
    stream = responses.ResponsesStream()
    events = []
    for t in enc.encode("<|channel|>analysis<|message|>Let me think", allowed_special="all"):
        events += stream.process(t)
    forced = stream.force_answer()
    assert enc.decode_utf8(forced) == "<|end|><|start|>assistant<|channel|>final<|message|>"
    for t in forced + enc.encode("42<|return|>", allowed_special="all"):
        events += stream.process(t)
    events += stream.finish()
    r = Response.model_validate(events[-1]["response"])
    assert [i.type for i in r.output] == ["reasoning", "message"]
    assert r.output[1].content[0].text == "42" and r.status == "completed"
