"""The Responses API bridge checked against the official `openai` SDK.

Every response `harmony responses parse` prints validates as the SDK's `Response`, every
event of `--stream` as its `ResponseStreamEvent`; the SDK's own stream accumulator
(`openai.lib.streaming.responses.ResponseStreamState`, what `client.responses.stream()` runs)
rebuilds the non-streamed response from the events; and a response's output items, appended to
the request's input, re-render to the model's own tokens.

Drives the CLI built by cargo (`HARMONY_BIN`, default target/debug/harmony, built if missing).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from openai._models import construct_type
from openai._types import omit
from openai.lib.streaming.responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

ROOT = Path(__file__).resolve().parents[2]
EVENT = TypeAdapter(ResponseStreamEvent)


@pytest.fixture(scope="session")
def harmony():
    binary = Path(os.environ.get("HARMONY_BIN", ROOT / "target" / "debug" / "harmony"))
    if "HARMONY_BIN" not in os.environ:
        subprocess.run(["cargo", "build", "-q", "--bin", "harmony"], cwd=ROOT, check=True)

    def run(*args, stdin):
        p = subprocess.run([str(binary), *args], input=stdin, capture_output=True, text=True)
        return p

    return run


def ok(p):
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def encode(harmony, text):
    return ok(harmony("encode", "--allow-special", stdin=text))


def parse(harmony, tokens, *extra):
    return ok(harmony("responses", "parse", *extra, stdin=json.dumps(tokens)))


def events(harmony, tokens, *extra):
    return ok(harmony("responses", "parse", "--stream", *extra, stdin=json.dumps(tokens)))


def render(harmony, request):
    return ok(harmony("responses", "render", "--date", "2025-06-28", stdin=json.dumps(request)))


CALL = "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"

# Completions after `<|start|>assistant`, in the shapes gpt-oss writes (openai/harmony's docs,
# the format guide) and the malformed shapes of public reports.
CASES = {
    "final": "<|channel|>analysis<|message|>User says hi.<|end|><|start|>assistant<|channel|>final<|message|>Hello! How can I help?<|return|>",
    "two_calls": "<|channel|>analysis<|message|>Need both cities.<|end|><|start|>assistant"
    + CALL
    + '{"location":"Tokyo"}<|call|><|start|>assistant'
    + CALL
    + '{"location":"Paris"}<|call|>',
    "preamble_then_call": "<|channel|>analysis<|message|>Look it up.<|end|><|start|>assistant<|channel|>commentary<|message|>Checking the weather now.<|end|><|start|>assistant"
    + CALL
    + '{"location":"Tokyo"}<|call|>',
    # A structured-output answer: a content type, never a function call named <|constrain|>json
    # (vLLM #45570).
    "structured": '<|channel|>analysis<|message|>Fill the schema.<|end|><|start|>assistant<|channel|>final <|constrain|>json<|message|>{"name":"Ada","age":36}<|return|>',
    "browser": '<|channel|>analysis<|message|>Search it.<|end|><|start|>assistant<|channel|>analysis to=browser.search code<|message|>{"query":"weather Tokyo"}<|call|>',
    "browser_open_find": '<|channel|>analysis to=browser.open code<|message|>{"id":"https://example.com"}<|call|><|start|>assistant<|channel|>analysis to=browser.find code<|message|>{"pattern":"rain"}<|call|>',
    "truncated_final": "<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>The answer is",
    "truncated_analysis": "<|channel|>analysis<|message|>Let me think about",
    "truncated_header": "<|channel|>analysis<|message|>Ok.<|end|><|start|>assistant<|channel|>fin",
    "end_without_answer": "<|channel|>analysis<|message|>Thinking done.<|end|>",
    # A call on the analysis channel is still a call (vLLM PR #35884).
    "call_on_analysis": '<|channel|>analysis to=functions.get_weather <|constrain|>json<|message|>{"location":"Oslo"}<|call|>',
    # The engine stripped <|call|> (issue 11): the call is complete.
    "call_stripped": CALL + '{"location":"Rome"}',
    # Built-in python and a garbage recipient are not function calls.
    "python": "<|channel|>analysis to=python code<|message|>print(1+1)<|call|>",
    # A stray <|return|> after the answer (openai/harmony #80) and text with no header.
    "stray_return": "<|channel|>final<|message|>Done.<|return|><|return|>",
    "stray_text": "<|channel|>final<|message|>Done.<|end|>garbage after the message",
    # A refusal with no header at all, right after the prompt (issue 11's "text with no
    # header"), ended by a stop token or by the end of the stream.
    "no_header": "I can't help with that.\n\nSorry.<|return|>",
    "no_header_eos": "I can't help with that.",
    "unicode": "<|channel|>final<|message|>日本語のテキスト 🌸 done<|return|>",
    "empty": "",
}


@pytest.fixture(scope="session")
def tokens(harmony):
    return {name: encode(harmony, text) for name, text in CASES.items()}


def check_sequence(evs):
    """The protocol the SDK relies on: numbering, lifecycle, and ids."""
    assert [e["sequence_number"] for e in evs] == list(range(len(evs)))
    assert evs[0]["type"] == "response.created" and evs[1]["type"] == "response.in_progress"
    assert evs[-1]["type"] in ("response.completed", "response.incomplete")
    added, done, open_index = {}, {}, None
    for e in evs[2:-1]:
        if e["type"] == "response.output_item.added":
            assert open_index is None
            assert e["output_index"] == len(added)
            added[e["output_index"]] = e["item"]
            open_index = e["output_index"]
        elif e["type"] == "response.output_item.done":
            assert e["output_index"] == open_index and e["item"]["id"] == added[open_index]["id"]
            done[open_index] = e["item"]
            open_index = None
        else:
            assert e["output_index"] == open_index
            assert e["item_id"] == added[open_index]["id"]
            if "content_index" in e:
                assert e["content_index"] == 0
    assert open_index is None
    assert [done[i] for i in sorted(done)] == evs[-1]["response"]["output"]


def fold_deltas(evs):
    """Our own fold of the delta events: text per output index."""
    text = {}
    for e in evs:
        if e["type"] in ("response.output_text.delta", "response.reasoning_text.delta", "response.function_call_arguments.delta"):
            text[e["output_index"]] = text.get(e["output_index"], "") + e["delta"]
    return text


def item_text(item):
    if item["type"] == "function_call":
        return item["arguments"]
    if item["type"] in ("message", "reasoning"):
        return "".join(p["text"] for p in item["content"])
    return None


@pytest.mark.parametrize("case", sorted(CASES))
def test_response_and_events_validate_and_fold(harmony, tokens, case):
    response = parse(harmony, tokens[case])
    Response.model_validate(response)
    evs = events(harmony, tokens[case])
    for e in evs:
        EVENT.validate_python(e)
    check_sequence(evs)
    assert evs[-1]["response"] == response

    folded = fold_deltas(evs)
    for i, item in enumerate(response["output"]):
        if item_text(item) is not None:
            assert folded.get(i, "") == item_text(item), (case, i)

    # The SDK's own accumulator, fed the events as its stream would be.
    state = ResponseStreamState(input_tools=omit, text_format=omit)
    for e in evs:
        state.handle_event(construct_type(type_=ResponseStreamEvent, value=e))
    snapshot = state._ResponseStreamState__current_snapshot
    # The text and arguments the SDK accumulated from the deltas alone.
    for got, want in zip(snapshot.output, response["output"]):
        if want["type"] == "message":
            assert "".join(c.text for c in got.content) == item_text(want)
        if want["type"] == "function_call":
            assert got.arguments == want["arguments"]
    assert len(snapshot.output) == len(response["output"])
    completed = state._completed_response
    if response["status"] == "completed":
        assert completed is not None
        got = completed.model_dump(mode="json", exclude_none=True)
        want = Response.model_validate(response).model_dump(mode="json", exclude_none=True)
        for item in got["output"]:
            for c in item.get("content") or []:
                c.pop("parsed", None)
        assert got == want
    else:
        assert completed is None and evs[-1]["type"] == "response.incomplete"


def output(harmony, tokens, case):
    return parse(harmony, tokens[case])["output"]


def test_final_answer(harmony, tokens):
    r = parse(harmony, tokens["final"])
    assert r["status"] == "completed" and r["incomplete_details"] is None
    assert [i["type"] for i in r["output"]] == ["reasoning", "message"]
    assert r["output"][0]["content"] == [{"type": "reasoning_text", "text": "User says hi."}]
    assert r["output"][1]["phase"] == "final_answer"
    assert r["output"][1]["content"][0]["text"] == "Hello! How can I help?"


def test_several_calls_all_shown_with_unique_call_ids(harmony, tokens):
    out = output(harmony, tokens, "two_calls")
    calls = [i for i in out if i["type"] == "function_call"]
    assert [(c["name"], json.loads(c["arguments"])["location"]) for c in calls] == [("get_weather", "Tokyo"), ("get_weather", "Paris")]
    assert len({c["call_id"] for c in calls}) == 2 and len({c["id"] for c in calls}) == 2
    assert all(c["call_id"].startswith("call_") and len(c["call_id"]) == 29 for c in calls)


def test_call_ids_differ_between_responses(harmony, tokens):
    a = parse(harmony, tokens["two_calls"], "--options", '{"id":"resp_a"}')
    b = parse(harmony, tokens["two_calls"], "--options", '{"id":"resp_b"}')
    assert {i["call_id"] for i in a["output"][1:]}.isdisjoint({i["call_id"] for i in b["output"][1:]})
    assert a == parse(harmony, tokens["two_calls"], "--options", '{"id":"resp_a"}')


def test_preamble_is_its_own_message(harmony, tokens):
    out = output(harmony, tokens, "preamble_then_call")
    assert [(i["type"], i.get("phase")) for i in out] == [("reasoning", None), ("message", "commentary"), ("function_call", None)]


def test_structured_output_is_text(harmony, tokens):
    out = output(harmony, tokens, "structured")
    assert [i["type"] for i in out] == ["reasoning", "message"]
    assert json.loads(out[1]["content"][0]["text"]) == {"name": "Ada", "age": 36}


def test_browser_calls_are_web_search_calls(harmony, tokens):
    out = output(harmony, tokens, "browser")
    assert out[1]["type"] == "web_search_call" and out[1]["status"] == "completed"
    assert out[1]["action"] == {"type": "search", "query": "weather Tokyo"}
    out = output(harmony, tokens, "browser_open_find")
    assert [i["action"]["type"] for i in out] == ["open_page", "find_in_page"]
    assert out[0]["action"]["url"] == "https://example.com" and out[1]["action"]["pattern"] == "rain"


@pytest.mark.parametrize("case", ["truncated_final", "truncated_analysis", "truncated_header", "end_without_answer", "empty"])
def test_truncation_is_incomplete(harmony, tokens, case):
    r = parse(harmony, tokens[case])
    assert r["status"] == "incomplete" and r["incomplete_details"] == {"reason": "max_output_tokens"}
    assert events(harmony, tokens[case])[-1]["type"] == "response.incomplete"


def test_truncated_message_keeps_its_text(harmony, tokens):
    out = output(harmony, tokens, "truncated_final")
    assert out[-1]["status"] == "incomplete" and out[-1]["content"][0]["text"] == "The answer is"


def test_calls_anywhere_and_only_functions(harmony, tokens):
    out = output(harmony, tokens, "call_on_analysis")
    assert [(i["type"], i["name"]) for i in out] == [("function_call", "get_weather")]
    r = parse(harmony, tokens["call_stripped"])
    assert r["status"] == "completed" and r["output"][0]["type"] == "function_call"
    assert r["output"][0]["arguments"] == '{"location":"Rome"}'
    out = output(harmony, tokens, "python")
    assert [i["type"] for i in out] == ["reasoning"]
    assert out[0]["content"][0]["text"] == "print(1+1)"


def test_stray_tokens_never_fail(harmony, tokens):
    r = parse(harmony, tokens["stray_return"])
    assert [i["content"][0]["text"] for i in r["output"]] == ["Done."]
    # Text after `<|end|>` is a message the model forgot the header of (recover mode's "text
    # without header", vLLM #50690): kept as its own final answer, as in the Chat bridge.
    r = parse(harmony, tokens["stray_text"])
    assert [(i["phase"], i["content"][0]["text"]) for i in r["output"]] == [
        ("final_answer", "Done."),
        ("final_answer", "garbage after the message"),
    ]


def test_text_without_a_header_is_the_answer(harmony, tokens):
    r = parse(harmony, tokens["no_header"])
    assert r["status"] == "completed"
    assert [(i["type"], i["phase"], i["content"][0]["text"]) for i in r["output"]] == [("message", "final_answer", "I can't help with that.\n\nSorry.")]
    r = parse(harmony, tokens["no_header_eos"])
    assert r["status"] == "incomplete" and r["output"][0]["content"][0]["text"] == "I can't help with that."


def test_parallel_tool_calls_false_keeps_the_first_call(harmony, tokens):
    opts = json.dumps({"response_fields": {"parallel_tool_calls": False}})
    r = parse(harmony, tokens["two_calls"], "--options", opts)
    assert r["parallel_tool_calls"] is False
    assert [(i["type"], i.get("arguments")) for i in r["output"]] == [("reasoning", None), ("function_call", '{"location":"Tokyo"}')]
    evs = events(harmony, tokens["two_calls"], "--options", opts)
    for e in evs:
        EVENT.validate_python(e)
    check_sequence(evs)
    assert evs[-1]["response"] == r


def test_response_fields_echo_the_request(harmony, tokens):
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": False}]
    opts = json.dumps({"model": "gpt-oss-120b", "created_at": 1700000000, "response_fields": {"tools": tools, "tool_choice": "required"}})
    r = parse(harmony, tokens["two_calls"], "--options", opts)
    resp = Response.model_validate(r)
    assert resp.tools[0].name == "get_weather" and resp.tool_choice == "required" and resp.model == "gpt-oss-120b"


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Gets the current weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}


def input_items(response):
    """Output items as a client sends them back (`model_dump` of the SDK's types)."""
    r = Response.model_validate(response)
    return [i.model_dump(mode="json", exclude_none=True) for i in r.output]


# The same completions with the header in the order the renderer writes it (`to=` before
# `<|channel|>`, as openai-harmony 0.0.8 renders; gpt-oss writes and reads both orders). A
# round trip gives the model's own tokens back in this order.
RT_CALL = " to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>"
RT = {
    "two_calls": "<|channel|>analysis<|message|>Need both cities.<|end|><|start|>assistant"
    + RT_CALL
    + '{"location":"Tokyo"}<|call|><|start|>assistant'
    + RT_CALL
    + '{"location":"Paris"}<|call|>',
    "preamble_then_call": "<|channel|>analysis<|message|>Look it up.<|end|><|start|>assistant<|channel|>commentary<|message|>Checking the weather now.<|end|><|start|>assistant"
    + RT_CALL
    + '{"location":"Tokyo"}<|call|>',
    "browser": '<|channel|>analysis<|message|>Search it.<|end|><|start|>assistant to=browser.search<|channel|>analysis code<|message|>{"query":"weather Tokyo"}<|call|>',
    "call_stripped": RT_CALL + '{"location":"Rome"}',
}


def test_round_trip_multi_turn_tool_use(harmony, tokens):
    """Turn 1: two calls; the outputs go back; turn 2 answers. Each response's items appended
    to its request re-render to the prompt followed by the model's own tokens."""
    start_assistant = encode(harmony, "<|start|>assistant")
    request = {"model": "gpt-oss", "input": [{"role": "user", "content": "Weather in Tokyo and Paris?"}], "tools": [WEATHER]}
    prompt = render(harmony, request)
    completion = encode(harmony, RT["two_calls"])
    response = parse(harmony, completion)
    request["input"] += input_items(response)
    assert render(harmony, request) == prompt + completion + start_assistant

    calls = [i for i in response["output"] if i["type"] == "function_call"]
    request["input"] += [{"type": "function_call_output", "call_id": c["call_id"], "output": '{"temp":20}'} for c in calls]
    prompt2 = render(harmony, request)
    answer = encode(harmony, "<|channel|>analysis<|message|>Both 20.<|end|><|start|>assistant<|channel|>final<|message|>Both are 20°C.<|return|>")
    response2 = parse(harmony, answer)
    request["input"] += input_items(response2)
    # Now that the turn ended with a final answer, its reasoning is dropped (the format guide).
    rerendered = render(harmony, request)
    final_only = encode(harmony, "<|channel|>final<|message|>Both are 20°C.<|end|>")
    assert rerendered[-len(final_only) - len(start_assistant):] == final_only + start_assistant
    assert "Need both cities." not in ok(harmony("decode", "--jsonl", stdin=json.dumps(rerendered)))


def test_round_trip_reasoning_between_calls_and_browser(harmony, tokens):
    start_assistant = encode(harmony, "<|start|>assistant")
    for case in ("preamble_then_call", "browser", "call_stripped"):
        request = {"input": "What's up?", "tools": [WEATHER, {"type": "web_search"}]}
        prompt = render(harmony, request)
        completion = encode(harmony, RT[case])
        assert parse(harmony, completion)["output"] == parse(harmony, tokens[case])["output"]
        response = parse(harmony, completion)
        request["input"] = [{"role": "user", "content": "What's up?"}] + input_items(response)
        want = prompt + completion
        if case == "call_stripped":
            want += encode(harmony, "<|call|>")
        assert render(harmony, request) == want + start_assistant, case


def test_request_errors_name_the_item(harmony):
    bad = {"input": [{"role": "user", "content": "hi"}, {"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]}
    p = harmony("responses", "render", stdin=json.dumps(bad))
    assert p.returncode == 1 and "input[1].content[0]" in p.stderr and "input_image" in p.stderr
    p = harmony("responses", "render", stdin=json.dumps({"input": [{"type": "function_call_output", "call_id": "nope", "output": ""}]}))
    assert p.returncode == 1 and "input[0]" in p.stderr and "nope" in p.stderr
