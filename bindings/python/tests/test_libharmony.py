"""libharmony's own Python surface: the drop-in import, errors with a status, reprs, batches,
the Chat Completions bridge (checked with the official `openai` SDK's types), stubs under
`mypy --strict`, and the import cost."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent

QUICKSTART = '''
from {module} import (
    load_harmony_encoding,
    HarmonyEncodingName,
    Role,
    Message,
    Conversation,
    DeveloperContent,
    SystemContent,
)
enc = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
convo = Conversation.from_messages([
    Message.from_role_and_content(
        Role.SYSTEM,
        SystemContent.new(),
    ),
    Message.from_role_and_content(
        Role.DEVELOPER,
        DeveloperContent.new().with_instructions("Talk like a pirate!")
    ),
    Message.from_role_and_content(Role.USER, "Arrr, how be you?"),
])
tokens = enc.render_conversation_for_completion(convo, Role.ASSISTANT)
print(tokens)
# Later, after the model responded …
parsed = enc.parse_messages_from_completion_tokens(tokens, role=Role.ASSISTANT)
print(parsed)
'''


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_pypi_quickstart_runs_with_only_the_import_changed() -> None:
    """The quickstart of openai-harmony's PyPI page, as published and with `openai_harmony`
    replaced by `libharmony`: same printed tokens; the parse of the prompt (which ends inside
    the assistant header) fails in both with a HarmonyError."""
    theirs = run_python(QUICKSTART.format(module="openai_harmony"))
    ours = run_python(QUICKSTART.format(module="libharmony"))
    assert ours.stdout.splitlines()[0] == theirs.stdout.splitlines()[0]
    assert "HarmonyError" in theirs.stderr and "HarmonyError" in ours.stderr
    # The documented alias form works too.
    alias = run_python(QUICKSTART.replace("from {module} import", "import libharmony as openai_harmony\nfrom libharmony import"))
    assert alias.stdout == ours.stdout


def test_compat_module_exports_exactly_the_reference_names(ref: ModuleType) -> None:
    import libharmony.compat as compat

    assert sorted(compat.__all__) == sorted(set(ref.__all__) | {"ChannelConfig", "ReasoningEffort",
                                                                "RenderConversationConfig", "RenderOptions",
                                                                "ToolNamespaceConfig"})
    for name in compat.__all__:
        assert hasattr(ref, name), name
        assert getattr(compat, name) is not None


def test_public_signatures_match_the_reference(ref: ModuleType, lib: ModuleType) -> None:
    import inspect

    for cls_name in ["HarmonyEncoding", "StreamableParser", "Message", "SystemContent", "DeveloperContent",
                     "Conversation", "ToolDescription", "Author", "ToolNamespaceConfig", "ChannelConfig"]:
        theirs, ours = getattr(ref, cls_name), getattr(lib, cls_name)
        for name, member in vars(theirs).items():
            if name.startswith("_") or not callable(getattr(theirs, name, None)):
                continue
            if name.startswith("model_") or name in ("construct", "copy", "dict", "json", "parse_obj", "parse_raw",
                                                     "parse_file", "from_orm", "schema", "schema_json", "validate",
                                                     "update_forward_refs"):
                continue
            assert hasattr(ours, name), f"{cls_name}.{name}"
            want = [p.name for p in inspect.signature(getattr(theirs, name)).parameters.values()]
            got = [p.name for p in inspect.signature(getattr(ours, name)).parameters.values()]
            if cls_name == "StreamableParser" and name == "__init__" or name == "parse_messages_from_completion_tokens":
                got = [p for p in got if p != "recover"]  # our extra keyword
            assert got == want, f"{cls_name}.{name}"


def test_errors_are_one_type_with_a_status(lib: ModuleType) -> None:
    enc = lib.load_harmony_encoding("HarmonyGptOss")
    cases = [
        (lambda: enc.decode_utf8([99999999]), "unknown_token"),
        (lambda: enc.decode_utf8([132990, 9552]), "invalid_utf8"),
        (lambda: enc.encode("<|end|>"), "invalid_argument"),
        (lambda: enc.parse_messages_from_completion_tokens(enc.encode("x<|end|>", allowed_special="all"), None), "parse"),
        (lambda: enc.render_conversation(lib.Conversation.from_messages([lib.Message.from_role_and_content(lib.Role.TOOL, "x")])), "render"),
    ]
    for call, status in cases:
        with pytest.raises(lib.HarmonyError) as info:
            call()
        assert info.value.status == status
        assert isinstance(info.value, RuntimeError)  # 0.0.8's HarmonyError is a RuntimeError too
    assert lib.HarmonyError.__module__ == "libharmony"


def test_recover_mode_parses_what_strict_mode_rejects(lib: ModuleType) -> None:
    """`recover=True` is the core's recover mode: a stray token after a finished message (the
    shape of vLLM #22519) fails strict parsing but parses in recover mode, batch and streaming."""
    enc = lib.load_harmony_encoding("HarmonyGptOss")
    tokens = enc.encode("<|channel|>final<|message|>hi<|return|><|end|>", allowed_special="all")
    with pytest.raises(lib.HarmonyError):
        enc.parse_messages_from_completion_tokens(tokens, lib.Role.ASSISTANT)
    msgs = enc.parse_messages_from_completion_tokens(tokens, lib.Role.ASSISTANT, recover=True)
    assert [(m.channel, m.content[0].text) for m in msgs] == [("final", "hi")]
    p = lib.StreamableParser(enc, lib.Role.ASSISTANT, recover=True)
    for t in tokens:
        p.process(t)
    p.process_eos()
    assert [(m.channel, m.content[0].text) for m in p.messages] == [("final", "hi")]


def test_reprs_are_informative(lib: ModuleType) -> None:
    enc = lib.load_harmony_encoding("HarmonyGptOss")
    assert repr(enc) == "<libharmony.HarmonyEncoding 'HarmonyGptOss'>"
    p = lib.StreamableParser(enc, lib.Role.ASSISTANT)
    p.process_tokens(enc.encode("<|channel|>final<|message|>hi<|end|>", allowed_special="all"))
    assert repr(p) == f"<libharmony.StreamableParser state=ExpectStart messages=1 tokens={len(p.tokens)}>"
    msg = lib.Message.from_role_and_content(lib.Role.USER, "hi")
    assert repr(msg) == (
        "Message(author=Author(role=<Role.USER: 'user'>, name=None), content=[TextContent(text='hi')], "
        "channel=None, recipient=None, content_type=None)"
    )


def test_data_classes_behave_like_the_reference_models(ref: ModuleType, lib: ModuleType) -> None:
    for h in (ref, lib):
        sc = h.SystemContent.new()
        assert sc == h.SystemContent.from_dict(sc.to_dict())
        assert h.SystemContent(channel_config=None).channel_config is None
        m = h.Message.from_role_and_content(h.Role.USER, "a").adding_content("b")
        assert h.Message.from_dict(json.loads(m.to_json())) == m
        assert m != h.Message.from_role_and_content(h.Role.USER, "a")
        assert h.Author(role="tool", name="x") == h.Author.new(h.Role.TOOL, "x")
        with pytest.raises(ValueError, match="Unknown role"):
            h.Role("robot")
    assert ref.SystemContent.new().to_dict() == lib.SystemContent.new().to_dict()
    assert ref.ToolNamespaceConfig.browser().model_dump() == lib.ToolNamespaceConfig.browser().model_dump()
    assert ref.ToolNamespaceConfig.python().model_dump() == lib.ToolNamespaceConfig.python().model_dump()


def test_process_tokens_equals_one_at_a_time(lib: ModuleType) -> None:
    enc = lib.load_harmony_encoding("HarmonyGptOss")
    tokens = enc.encode(
        "<|channel|>analysis<|message|>think 😊<|end|><|start|>assistant<|channel|>final<|message|>done",
        allowed_special="all",
    )
    one, batch = lib.StreamableParser(enc, lib.Role.ASSISTANT), lib.StreamableParser(enc, lib.Role.ASSISTANT)
    for t in tokens:
        one.process(t)
    batch.process_tokens(tokens)
    for prop in ["messages", "current_content", "current_channel", "state", "tokens", "state_data"]:
        assert getattr(batch, prop) == getattr(one, prop), prop
    bad = lib.StreamableParser(enc, None)
    with pytest.raises(lib.HarmonyError, match="while expecting <|start|>"):
        bad.process_tokens([1, 2, 3])
    assert bad.tokens == [1]  # stopped at the first error


def test_streaming_fast_path_keeps_every_call_form(ref: ModuleType, lib: ModuleType) -> None:
    """`process` and `last_content_delta` bypass PyO3's call machinery (and reuse the strings of
    recent deltas); every call form, error and delta stays the reference's."""
    enc, ref_enc = lib.load_harmony_encoding("HarmonyGptOss"), ref.load_harmony_encoding("HarmonyGptOss")
    # 6000 distinct tokens (far more than the delta cache's slots, so slots are reused), an
    # emoji split over tokens, repeats.
    body = [t for t in range(1000, 7000)] + enc.encode("😊 é 😊 ok ok ok") * 3
    tokens = enc.encode("<|channel|>final<|message|>", allowed_special="all") + body + [200002]

    def deltas(m: ModuleType, e: object) -> list:
        p = m.StreamableParser(e, m.Role.ASSISTANT)
        out = []
        for t in tokens:
            assert p.process(t) is p
            out.append(p.last_content_delta)
        return out

    assert deltas(lib, enc) == deltas(ref, ref_enc)

    p = lib.StreamableParser(enc, lib.Role.ASSISTANT)
    assert p.process(token=tokens[0]) is p  # keywords go through PyO3's entry
    assert lib.StreamableParser.process(p, tokens[1]) is p
    assert lib._libharmony.StreamParser.process(p, tokens[2]) is p
    assert p.tokens == tokens[:3] and p.last_content_delta is None
    p.process(tokens[3])
    assert p.last_content_delta == enc.decode([tokens[3]])
    for bad, error in [(-1, OverflowError), (2**32, OverflowError), (2**70, OverflowError), ("1", TypeError), (1.0, TypeError)]:
        with pytest.raises(error):
            p.process(bad)
    with pytest.raises(TypeError):
        p.process()
    with pytest.raises(TypeError):
        p.process(1, 2)
    with pytest.raises(TypeError):
        lib.StreamableParser.process(object(), 1)
    with pytest.raises(TypeError):
        lib._libharmony.install_fast_paths(int)
    assert p.process(True) is p  # an int subclass, as PyO3 takes it
    assert p.tokens == tokens[:4] + [1]

    with pytest.raises(lib.HarmonyError, match="while expecting <|start|>") as e:
        lib.StreamableParser(enc, None).process(1)
    assert e.value.status == "parse"

    class Mine(lib.StreamableParser):
        pass

    mine = Mine(enc, lib.Role.ASSISTANT)
    for t in tokens[:5]:
        mine.process(t)
    assert mine.tokens == tokens[:5] and mine.last_content_delta == enc.decode([tokens[4]])
    assert str(inspect.signature(lib.StreamableParser.process)) == "(self, /, token)"
    assert lib.StreamableParser.process.__doc__.startswith("Consumes one token")


def test_long_calls_release_the_gil(lib: ModuleType) -> None:
    """A long encode in one thread does not stop another from running Python code."""
    enc = lib.load_harmony_encoding("HarmonyGptOss")
    enc.encode("warm up")
    big = "word " * 2_000_000
    ticks = []
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            ticks.append(1)

    t = threading.Thread(target=count)
    t.start()
    try:
        enc.encode(big)
    finally:
        done.set()
        t.join()
    assert len(ticks) > 1000


def test_chat_completions_bridge_speaks_the_openai_sdk_types(lib: ModuleType) -> None:
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    from libharmony import chat_completions as cc

    request = {
        "model": "gpt-oss-20b",
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
    }
    enc = lib.load_harmony_encoding("HarmonyGptOss")
    prompt = cc.render_request(request, conversation_start_date="2025-06-28")
    assert prompt == cc.render_request(json.dumps(request), conversation_start_date="2025-06-28")
    assert enc.decode_utf8(prompt).endswith("<|start|>assistant")
    completion = enc.encode(
        "<|channel|>analysis<|message|>Need the tool.<|end|>"
        '<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Paris"}<|call|>',
        allowed_special="all",
    )
    response = ChatCompletion.model_validate(cc.parse_response(completion, model="gpt-oss-20b"))
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    stream = cc.ChatStream(model="gpt-oss-20b")
    chunks = [c for c in (stream.process(t) for t in completion) if c is not None] + [stream.finish()]
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks]
    args = "".join(
        tc.function.arguments or "" for c in parsed for tc in (c.choices[0].delta.tool_calls or []) if tc.function
    )
    assert json.loads(args) == {"city": "Paris"}
    assert parsed[-1].choices[0].finish_reason == "tool_calls"
    with pytest.raises(lib.HarmonyError, match="request.messages: expected an array") as info:
        cc.render_request({"messages": "nope"})
    assert info.value.status == "invalid_json"
    with pytest.raises(lib.HarmonyError) as info:
        cc.render_request("{not json")
    assert info.value.status == "invalid_json"
    with pytest.raises(lib.HarmonyError):
        cc.ChatStream(colour="blue")  # unknown option


@pytest.mark.parametrize(
    "options",
    [
        {"tool_call_id_seed": 7},
        {"id": "chatcmpl-1", "created": 1, "model": "gpt-oss", "tool_call_id_seed": 7},
        # Quotes, escapes and the text that follows the id and model in a chunk, in them.
        {"id": 'a"b\\c,"choices":[{"index":0,"delta":{', "created": 2**40, "model": "m\u2028😊\x01", "tool_call_id_seed": 7},
    ],
)
def test_chat_stream_chunks_are_what_json_loads_makes(lib: ModuleType, options: dict) -> None:
    """ChatStream builds its chunk dicts in the extension (a template for the part before the
    delta, its own JSON reader for the rest); they equal json.loads of the chunks' JSON, key
    order included, for text with escapes, control characters, non-BMP characters, reasoning,
    preambles and tool calls."""
    from libharmony import _libharmony
    from libharmony import chat_completions as cc

    enc = lib.load_harmony_encoding("HarmonyGptOss")
    text = (
        '<|channel|>analysis<|message|>Quote " backslash \\ tab \t nl \n ctl \x01\x1f é 😊 𝄞 \u2028<|end|>'
        "<|start|>assistant<|channel|>commentary<|message|>Let me check.<|end|>"
        "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
        '{"city": "Par\\"is", "n": [1, 2.5e3, -0.0, true, null]}<|call|>'
        '<|start|>assistant<|channel|>final<|message|>Done: "42" \\o/ 😊<|return|>'
    )
    tokens = enc.encode(text, allowed_special="all")
    blob = json.dumps(options)
    ours, raw = cc.ChatStream(**options), _libharmony.ChatStream(blob)
    got = [ours.process(t) for t in tokens] + [ours.finish()]
    want = [None if r is None else json.loads(r) for r in (raw.process(t) for t in tokens)] + [json.loads(raw.finish())]
    assert got == want
    assert [json.dumps(c) for c in got] == [json.dumps(c) for c in want]  # key order too
    assert sum(c is not None for c in got) > 20
    # Each chunk is a dict of its own.
    chunks = [c for c in got if c is not None]
    chunks[0]["choices"][0]["delta"]["mutated"] = True
    chunks[0]["id"] = "changed"
    assert all("mutated" not in c["choices"][0]["delta"] and c["id"] != "changed" for c in chunks[1:])


def test_mypy_strict_accepts_a_users_script(tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(
        textwrap.dedent(
            """
            from libharmony import (Conversation, DeveloperContent, HarmonyEncodingName, HarmonyError, Message,
                                    Role, StreamableParser, StreamState, SystemContent, load_harmony_encoding)
            from libharmony.chat_completions import ChatStream, grammar, parse_response, render_request
            from libharmony import responses

            enc = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
            conv = Conversation.from_messages([
                Message.from_role_and_content(Role.SYSTEM, SystemContent.new()),
                Message.from_role_and_content(Role.DEVELOPER, DeveloperContent.new().with_instructions("hi")),
                Message.from_role_and_content(Role.USER, "2+2?"),
            ])
            tokens: list[int] = enc.render_conversation_for_completion(conv, Role.ASSISTANT)
            parser = StreamableParser(enc, Role.ASSISTANT)
            for t in tokens:
                parser.process(t)
            state: StreamState = parser.state
            delta: str | None = parser.last_content_delta
            try:
                msgs: list[Message] = enc.parse_messages_from_completion_tokens(tokens, Role.ASSISTANT, strict=False)
            except HarmonyError as e:
                print(e.status)
            prompt: list[int] = render_request({"messages": []})
            chat = ChatStream()
            chunk = chat.process(1)
            chat_repairs: int = chat.repairs
            print(state, delta, prompt, chunk, parse_response([])["choices"], chat_repairs)
            lark: str = grammar({"messages": []}, "lark", reasoning="none")
            gbnf: str = grammar('{"messages": []}', format="gbnf", lazy=False)
            r_prompt: list[int] = responses.render_request({"input": "hi"}, conversation_start_date="2025-06-28")
            response: dict[str, object] = responses.parse_response(r_prompt, model="gpt-oss", created_at=1)
            events: list[dict[str, object]] = responses.stream_events([], response_fields={"tool_choice": "none"})
            stream = responses.ResponsesStream(id="resp_1")
            streamed: list[dict[str, object]] = stream.process(1) + stream.finish()
            repairs: int = stream.repairs
            print(lark, gbnf, response["output"], events, streamed, repairs)
            """
        )
    )
    bad = tmp_path / "bad_script.py"
    bad.write_text(
        "import libharmony\nx: int = libharmony.load_harmony_encoding('HarmonyGptOss').decode([1])\n"
        "from libharmony import responses\ny: str = responses.stream_events([1])\n"
        "from libharmony.chat_completions import grammar\nz: int = grammar({})\n"
    )
    mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy_cache")]
    ok = subprocess.run([*mypy, str(script)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    package = subprocess.run([*mypy, "-p", "libharmony"], capture_output=True, text=True)
    assert package.returncode == 0, package.stdout + package.stderr  # the package and its stubs
    wrong = subprocess.run([*mypy, str(bad)], capture_output=True, text=True)
    assert wrong.returncode == 1 and "incompatible types" in wrong.stdout.lower(), wrong.stdout
    flagged = {line.split(":")[1] for line in wrong.stdout.splitlines() if "incompatible types" in line.lower()}
    assert flagged == {"2", "4", "6"}, wrong.stdout  # decode, stream_events and grammar are typed


def test_import_and_load_are_fast_and_need_no_vocabulary_file() -> None:
    """`import libharmony` + load + the first encode, in a fresh interpreter with no
    TIKTOKEN_ENCODINGS_BASE and no network: under 50 ms of CPU time (best of 5; CPU time, not
    wall time, so that a loaded CI machine does not make the check flaky)."""
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_ENCODINGS_BASE"}
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"  # any download would fail
    code = (
        "import time; t = time.process_time(); import libharmony as h; "
        "e = h.load_harmony_encoding('HarmonyGptOss'); e.encode('hi'); print(time.process_time() - t)"
    )
    times = []
    for _ in range(5):
        out = run_python(code, env)
        assert out.returncode == 0, out.stderr
        times.append(float(out.stdout))
    assert min(times) < 0.050, times


def test_chat_stream_force_answer_ends_the_reasoning(lib: ModuleType) -> None:
    """A thinking budget: the injected tokens close the analysis and the model's answer is
    content, checked with the SDK's chunk type (issue 16 §3)."""
    from openai.types.chat import ChatCompletionChunk

    from libharmony import chat_completions as cc

    enc = lib.load_harmony_encoding("HarmonyGptOss")
    stream = cc.ChatStream()
    chunks = [stream.process(t) for t in enc.encode("<|channel|>analysis<|message|>Let me think", allowed_special="all")]
    forced = stream.force_answer()
    assert enc.decode_utf8(forced) == "<|end|><|start|>assistant<|channel|>final<|message|>"
    assert enc.decode_utf8(stream.force_answer("get_weather")).endswith("to=functions.get_weather <|constrain|>json<|message|>")
    with pytest.raises(lib.HarmonyError):
        stream.force_answer("get weather")
    chunks += [stream.process(t) for t in forced + enc.encode("42<|return|>", allowed_special="all")]
    chunks.append(stream.finish())
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks if c is not None]
    content = "".join(c.choices[0].delta.content or "" for c in parsed)
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in parsed)
    assert content == "42" and reasoning == "Let me think"
    assert parsed[-1].choices[0].finish_reason == "stop"
