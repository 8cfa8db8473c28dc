"""openai/harmony v0.0.8's own Python test suite (tests/test_harmony.py, 42 cases), restated case
by case with the same names and parameters, and run against both packages through the
`harmony` fixture. Passing on openai_harmony proves each restatement says what the original
says; passing on libharmony proves the drop-in claim. The expected outputs are the reference's
own files (its test-data/ directory)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any, List

import pytest

IDENTITY = "You are ChatGPT, a large language model trained by OpenAI."
SAY_IT_TOKYO = '{"location": "Tokyo"}'
PARIS = '{"latitude":48.8566,"longitude":2.3522}'


def text_of(test_data: Path, name: str) -> str:
    return (test_data / f"{name}.txt").read_text(encoding="utf-8").rstrip()


def ids_of(test_data: Path, name: str) -> List[int]:
    return [int(word) for word in (test_data / f"{name}.txt").read_text(encoding="utf-8").split()]


def gpt_oss(h: ModuleType) -> Any:
    return h.load_harmony_encoding(h.HarmonyEncodingName.HARMONY_GPT_OSS)


def special(enc: Any, text: str) -> List[int]:
    return list(enc.encode(text, allowed_special="all"))


def assistant(h: ModuleType, text: str, channel: str | None = None) -> Any:
    msg = h.Message.from_role_and_content(h.Role.ASSISTANT, text)
    return msg if channel is None else msg.with_channel(channel)


def assert_same_tokens(enc: Any, want: List[int], got: List[int]) -> None:
    assert got == want, f"\nwant {enc.decode_utf8(want)!r}\ngot  {enc.decode_utf8(got)!r}"


# --- rendering system messages ------------------------------------------------------------


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_simple_convo(harmony: ModuleType, test_data: Path, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    conv = h.Conversation.from_messages(
        [
            h.Message.from_role_and_content(h.Role.SYSTEM, h.SystemContent.new().with_model_identity(IDENTITY)),
            h.Message.from_role_and_content(h.Role.USER, "What is 2 + 2?"),
        ]
    )
    got = enc.render_conversation_for_completion(conv, h.Role.ASSISTANT)
    assert_same_tokens(enc, special(enc, text_of(test_data, "test_simple_convo")), got)


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_simple_convo_with_effort(harmony: ModuleType, test_data: Path, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    for effort in ("low", "medium", "high"):
        for with_developer in (True, False):
            name = f"test_simple_convo_{effort}_effort" + ("" if with_developer else "_no_instruction")
            system = h.SystemContent.new().with_model_identity(IDENTITY)
            system = system.with_reasoning_effort(getattr(h.ReasoningEffort, effort.upper()))
            msgs = [h.Message.from_role_and_content(h.Role.SYSTEM, system)]
            if with_developer:
                dev = h.DeveloperContent.new().with_instructions("Answer the user's questions like a robot.")
                msgs.append(h.Message.from_role_and_content(h.Role.DEVELOPER, dev))
            msgs.append(
                h.Message.from_role_and_content(h.Role.USER, "What is the capital of the largest country in the world?")
            )
            got = enc.render_conversation_for_completion(h.Conversation.from_messages(msgs), h.Role.ASSISTANT)
            assert_same_tokens(enc, special(enc, text_of(test_data, name)), got)


# --- parsing completions -------------------------------------------------------------------


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_simple_reasoning_response(harmony: ModuleType, test_data: Path, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    tokens = ids_of(test_data, "test_simple_reasoning_response")
    assert enc.parse_messages_from_completion_tokens(tokens, role=h.Role.ASSISTANT) == [
        assistant(h, 'User asks: "What is 2 + 2?" Simple arithmetic. Provide answer.', "analysis"),
        assistant(h, "2 + 2 = 4.", "final"),
    ]


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_simple_tool_call(harmony: ModuleType, test_data: Path, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    tokens = ids_of(test_data, "test_simple_tool_call")
    call = assistant(h, SAY_IT_TOKYO, "analysis").with_recipient("lookup_weather").with_content_type("code")
    assert enc.parse_messages_from_completion_tokens(tokens, role=h.Role.ASSISTANT) == [
        assistant(h, 'User asks: "What is the weather in Tokyo?" We need to use lookup_weather tool.', "analysis"),
        call,
    ]


def weather_call(h: ModuleType, args: str) -> Any:
    return (
        assistant(h, args, "commentary")
        .with_recipient("functions.get_weather")
        .with_content_type("<|constrain|>json")
    )


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_tool_call_with_constrain_tokenized_correctly(harmony: ModuleType, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    text = (
        "<|start|>assistant to=functions.get_weather<|channel|>commentary"
        f" <|constrain|>json<|message|>{SAY_IT_TOKYO}<|call|>"
    )
    tokens = special(enc, text)
    want = [weather_call(h, SAY_IT_TOKYO)]
    assert enc.parse_messages_from_completion_tokens(tokens, role=None) == want
    # Rendering the parsed message gives the same tokens: "<|constrain|>" stays a special token.
    assert enc.decode_utf8(tokens) == text
    assert enc.render_conversation(h.Conversation.from_messages(want)) == tokens


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_tool_call_with_constrain_marker_adjacent(harmony: ModuleType, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    text = (
        "<|start|>assistant to=functions.get_weather<|channel|>commentary"
        f"<|constrain|>json<|message|>{SAY_IT_TOKYO}<|call|>"
    )
    got = enc.parse_messages_from_completion_tokens(special(enc, text), role=None)
    assert got == [weather_call(h, SAY_IT_TOKYO)]


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_tool_call_with_channel_before_recipient_and_constrain_adjacent(harmony: ModuleType, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    text = (
        "<|start|>assistant<|channel|>commentary to=functions.get_weather"
        f"<|constrain|>json<|message|>{PARIS}<|call|>"
    )
    got = enc.parse_messages_from_completion_tokens(special(enc, text), role=None)
    assert got == [weather_call(h, PARIS)]


# --- system messages with reasoning settings -----------------------------------------------


def render_system_and_user(h: ModuleType, enc: Any, system: Any, question: str) -> List[int]:
    conv = h.Conversation.from_messages(
        [h.Message.from_role_and_content(h.Role.SYSTEM, system), h.Message.from_role_and_content(h.Role.USER, question)]
    )
    return list(enc.render_conversation_for_completion(conv, h.Role.ASSISTANT))


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_reasoning_system_message(harmony: ModuleType, test_data: Path, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    system = (
        h.SystemContent.new()
        .with_model_identity(IDENTITY)
        .with_reasoning_effort(h.ReasoningEffort.MEDIUM)
        .with_required_channels(["analysis", "final"])
    )
    got = render_system_and_user(h, enc, system, "What is 2 + 2?")
    assert_same_tokens(enc, special(enc, text_of(test_data, "test_reasoning_system_message")), got)


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_reasoning_system_message_no_instruction(harmony: ModuleType, test_data: Path, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    system = (
        h.SystemContent.new()
        .with_model_identity(IDENTITY)
        .with_reasoning_effort(h.ReasoningEffort.HIGH)
        .with_required_channels(["analysis", "final"])
    )
    got = render_system_and_user(h, enc, system, "What is the best place to eat candy in the world?")
    want = special(enc, text_of(test_data, "test_reasoning_system_message_no_instruction"))
    assert_same_tokens(enc, want, got)


@pytest.mark.parametrize("encoding_name", ["HARMONY_GPT_OSS"])
def test_reasoning_system_message_with_dates(harmony: ModuleType, test_data: Path, encoding_name: str) -> None:
    h = harmony
    enc = h.load_harmony_encoding(getattr(h.HarmonyEncodingName, encoding_name))
    system = (
        h.SystemContent.new()
        .with_model_identity(IDENTITY)
        .with_reasoning_effort(h.ReasoningEffort.MEDIUM)
        .with_conversation_start_date("2021-01-01")
        .with_knowledge_cutoff("2021-01")
        .with_required_channels(["analysis", "final"])
    )
    got = render_system_and_user(h, enc, system, "What is 42 * pi?")
    want = special(enc, text_of(test_data, "test_reasoning_system_message_with_dates"))
    assert_same_tokens(enc, want, got)


# --- tools ---------------------------------------------------------------------------------

CELSIUS_OR_F = {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"}


def weather_tools(h: ModuleType) -> List[Any]:
    tool = h.ToolDescription.new
    return [
        tool("get_location", "Gets the location of the user."),
        tool(
            "get_current_weather",
            "Gets the current weather in the provided location.",
            parameters={
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                    "format": dict(CELSIUS_OR_F),
                },
                "required": ["location"],
            },
        ),
        tool(
            "get_multiple_weathers",
            "Gets the current weather in the provided list of locations.",
            parameters={
                "type": "object",
                "properties": {
                    "locations": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": 'List of city and state, e.g. ["San Francisco, CA", "New York, NY"]',
                    },
                    "format": dict(CELSIUS_OR_F),
                },
                "required": ["locations"],
            },
        ),
        tool(
            "kitchensink",
            "A function with various complex schemas.",
            parameters={
                "description": "params object",
                "type": "object",
                "properties": {
                    "string": {"type": "string", "title": "STRING", "description": "A string", "examples": ["hello", "world"]},
                    "string_nullable": {
                        "type": "string",
                        "nullable": True,
                        "description": "A nullable string",
                        "default": "the default",
                    },
                    "string_enum": {"type": "string", "enum": ["a", "b", "c"]},
                    "oneof_string_or_number": {
                        "oneOf": [
                            {"type": "string", "default": "default_string_in_oneof"},
                            {"type": "number", "description": "numbers can happen too"},
                        ],
                        "description": "a oneof",
                        "default": 20,
                    },
                },
            },
        ),
    ]


def test_render_functions_with_parameters(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    enc = gpt_oss(h)
    system = h.SystemContent.new().with_reasoning_effort(h.ReasoningEffort.HIGH).with_conversation_start_date("2025-06-28")
    dev = h.DeveloperContent.new().with_instructions("Always respond in riddles").with_function_tools(weather_tools(h))
    conv = h.Conversation.from_messages(
        [
            h.Message.from_role_and_content(h.Role.SYSTEM, system),
            h.Message.from_role_and_content(h.Role.DEVELOPER, dev),
            h.Message.from_role_and_content(h.Role.USER, "What is the weather like in SF?"),
        ]
    )
    got = enc.render_conversation_for_completion(conv, h.Role.ASSISTANT)
    assert enc.decode_utf8(got) == text_of(test_data, "test_render_functions_with_parameters")


def render_system_only(h: ModuleType, system: Any, *extra: Any) -> str:
    enc = gpt_oss(h)
    conv = h.Conversation.from_messages([h.Message.from_role_and_content(h.Role.SYSTEM, system), *extra])
    return str(enc.decode_utf8(enc.render_conversation_for_completion(conv, h.Role.ASSISTANT)))


def test_no_tools(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    got = render_system_only(h, h.SystemContent.new().with_conversation_start_date("2025-06-28"))
    assert got == text_of(test_data, "test_no_tools")


def test_browser_tool_only(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    got = render_system_only(h, h.SystemContent.new().with_conversation_start_date("2025-06-28").with_browser_tool())
    assert got == text_of(test_data, "test_browser_tool_only")


def test_browser_and_function_tool(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    lookup = h.ToolDescription.new(
        "lookup_weather",
        "Use this tool to lookup the weather in a given location. Call it with the parameter 'location', "
        "can be any textual description of a location.",
        parameters={"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    )
    dev = h.Message.from_role_and_content(h.Role.DEVELOPER, h.DeveloperContent.new().with_function_tools([lookup]))
    got = render_system_only(h, h.SystemContent.new().with_conversation_start_date("2025-06-28").with_browser_tool(), dev)
    assert got == text_of(test_data, "test_browser_and_function_tool")


def test_browser_and_python_tool(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    system = h.SystemContent.new().with_conversation_start_date("2025-06-28").with_browser_tool().with_python_tool()
    assert render_system_only(h, system) == text_of(test_data, "test_browser_and_python_tool")


# --- dropping and keeping analysis ---------------------------------------------------------


def two_turns(h: ModuleType, analysis: str) -> Any:
    return h.Conversation.from_messages(
        [
            h.Message.from_role_and_content(h.Role.USER, "What is 2 + 2?"),
            assistant(h, analysis, "analysis"),
            assistant(h, "2 + 2 equals 4.", "final"),
            h.Message.from_role_and_content(h.Role.USER, "What about 9 / 2?"),
        ]
    )


def test_dropping_cot_by_default(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    enc = gpt_oss(h)
    conv = two_turns(h, "User asks: \u201cWhat is 2 + 2?\u201d Simple arithmetic. Provide answer.")
    got = enc.render_conversation_for_completion(conv, h.Role.ASSISTANT, h.RenderConversationConfig(auto_drop_analysis=True))
    assert enc.decode_utf8(got) == text_of(test_data, "test_dropping_cot_by_default")


def test_does_not_drop_if_ongoing_analysis(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    enc = gpt_oss(h)
    conv = h.Conversation.from_messages(
        [
            h.Message.from_role_and_content(h.Role.USER, "What is the weather in SF?"),
            assistant(h, "User asks: \u201cWhat is the weather in SF?\u201d We need to use lookup_weather tool.", "analysis"),
            assistant(h, '{"location": "San Francisco"}', "commentary")
            .with_recipient("functions.lookup_weather")
            .with_content_type("<|constrain|>json"),
            h.Message.from_author_and_content(
                h.Author.new(h.Role.TOOL, "functions.lookup_weather"), '{"temperature": 20, "description": "sunny"}'
            ),
        ]
    )
    got = enc.render_conversation_for_completion(conv, h.Role.ASSISTANT, h.RenderConversationConfig(auto_drop_analysis=True))
    want_text = text_of(test_data, "test_does_not_drop_if_ongoing_analysis")
    assert enc.decode_utf8(got) == want_text
    assert special(enc, want_text) == got  # "<|constrain|>" rendered as the special token


def test_preserve_cot(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    enc = gpt_oss(h)
    conv = two_turns(h, 'User asks a simple question: "What is 2 + 2?" The answer: 4.')
    got = enc.render_conversation_for_completion(conv, h.Role.ASSISTANT, h.RenderConversationConfig(auto_drop_analysis=False))
    assert enc.decode_utf8(got) == text_of(test_data, "test_preserve_cot")


def test_reserved_token_decoding(harmony: ModuleType) -> None:
    enc = gpt_oss(harmony)
    for token in (200014, 201088):
        assert enc.decode_utf8([token]) == f"<|reserved_{token}|>"


def test_keep_analysis_between_final_messages(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    enc = gpt_oss(h)
    msgs = []
    for question, thought, answer in (("What is 2 + 2?", "thinking 2+2", "4"), ("What is 3 + 5?", "thinking 3+5", "8")):
        msgs += [
            h.Message.from_role_and_content(h.Role.USER, question),
            assistant(h, thought, "analysis"),
            assistant(h, answer, "final"),
        ]
    got = enc.render_conversation(h.Conversation.from_messages(msgs))
    assert enc.decode_utf8(got) == text_of(test_data, "test_keep_analysis_between_finals")


# --- render variants -----------------------------------------------------------------------


def test_render_and_render_conversation_roundtrip(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    msg = h.Message.from_role_and_content(h.Role.USER, "Hello")
    conv = h.Conversation.from_messages([msg])
    whole = enc.render_conversation(conv)
    assert enc.render(msg) == whole
    assert enc.render_conversation_for_completion(conv, h.Role.ASSISTANT)[: len(whole)] == whole


def test_render_conversation_for_training_final_channel(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    conv = h.Conversation.from_messages(
        [h.Message.from_role_and_content(h.Role.USER, "hi"), assistant(h, "hello", "final")]
    )
    training = enc.render_conversation_for_training(conv)
    regular = enc.render_conversation(conv)
    assert training[:-1] == regular[:-1]
    assert regular[-1] == enc.encode("<|end|>", allowed_special={"<|end|>"})[0]
    assert training[-1] == enc.encode("<|return|>", allowed_special={"<|return|>"})[0]


def test_render_conversation_for_training_non_final(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    conv = h.Conversation.from_messages([h.Message.from_role_and_content(h.Role.USER, "hi")])
    assert enc.render_conversation_for_training(conv) == enc.render_conversation(conv)


# --- encode / decode -----------------------------------------------------------------------


def test_decode_utf8_invalid_token(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    with pytest.raises(h.HarmonyError, match="Invalid token for decoding: 99999999"):
        enc.decode_utf8([99999999])
    # 0.0.8 raises pydantic's ValidationError, libharmony its own; both are ValueErrors.
    with pytest.raises(ValueError, match="Input should be a valid dictionary or instance of Message"):
        enc.render_conversation_for_completion(h.Conversation.from_messages([h.SystemContent.new()]), h.Role.ASSISTANT)


def test_encode_decode_roundtrip(harmony: ModuleType) -> None:
    enc = gpt_oss(harmony)
    tokens = enc.encode("hello world")
    assert enc.decode_utf8(tokens) == "hello world"
    assert enc.decode(tokens) == "hello world"


def test_encode_allowed_special(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    assert enc.encode("hello world") == [24912, 2375]
    assert enc.encode("<|start|>", allowed_special={"<|start|>"}) == [200006]
    assert enc.encode("<|start|>", allowed_special="all") == [200006]
    with pytest.raises(h.HarmonyError, match="Encountered text corresponding to disallowed special token"):
        enc.encode("<|start|>")
    assert enc.encode("<|start|>", disallowed_special=()) == [27, 91, 5236, 91, 29]


def test_is_special_token(harmony: ModuleType) -> None:
    enc = gpt_oss(harmony)
    assert enc.is_special_token(200006)
    assert not enc.is_special_token(24912)


def test_invalid_utf8_decoding(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    tokens = [132990, 9552]
    with pytest.raises(h.HarmonyError, match="Invalid utf-8"):
        enc.decode_utf8(tokens)
    assert "Chicken" in enc.decode(tokens)  # lossy decode replaces, like tiktoken


def test_tool_response_parsing(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    enc = gpt_oss(h)
    msg = (
        h.Message.from_author_and_content(h.Author.new(h.Role.TOOL, "browser.search"), '{"result": "https://openai.com/"}')
        .with_channel("commentary")
        .with_recipient("assistant")
    )
    tokens = enc.render(msg)[:-1]  # without the closing <|end|>
    assert len(enc.parse_messages_from_completion_tokens(tokens, None)) == 1
    assert enc.decode_utf8(tokens) == text_of(test_data, "test_tool_response_parsing")


# --- streaming -----------------------------------------------------------------------------


def stream(h: ModuleType, enc: Any, tokens: List[int], role: Any = None, **kw: Any) -> Any:
    parser = h.StreamableParser(enc, role, **kw)
    for token in tokens:
        parser.process(token)
    return parser


def test_streamable_parser(harmony: ModuleType, test_data: Path) -> None:
    h = harmony
    enc = gpt_oss(h)
    parser = stream(h, enc, special(enc, text_of(test_data, "test_streamable_parser")), h.Role.ASSISTANT)
    assert len(parser.messages) == 3


def test_streamable_parser_tool_call_with_constrain_adjacent(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    text = (
        "<|start|>assistant<|channel|>commentary to=functions.get_weather"
        f"<|constrain|>json<|message|>{PARIS}<|call|>"
    )
    assert stream(h, enc, special(enc, text)).messages == [weather_call(h, PARIS)]


REFUSAL_TAIL = (
    "<|start|>assistant<|channel|>analysis<|message|>We must refuse<|end|>"
    "<|start|>assistant<|channel|>final<|message|>I'm sorry, but I can't help with that.<|return|>"
)


def check_missing_message_token(h: ModuleType, text: str, strict: bool, expect_error: bool, want: List[Any]) -> None:
    enc = gpt_oss(h)
    tokens = special(enc, text)
    if expect_error:
        with pytest.raises(h.HarmonyError, match="unexpected tokens remaining in message header"):
            stream(h, enc, tokens, h.Role.ASSISTANT, strict=strict)
    else:
        assert stream(h, enc, tokens, h.Role.ASSISTANT, strict=strict).messages == want


@pytest.mark.parametrize("strict, expect_error", [(False, False), (True, True)])
def test_streamable_parser_missing_message_token(harmony: ModuleType, strict: bool, expect_error: bool) -> None:
    h = harmony
    want = [
        assistant(h, "I must refuse"),
        assistant(h, "We must refuse", "analysis"),
        assistant(h, "I'm sorry, but I can't help with that.", "final"),
    ]
    check_missing_message_token(h, "I must refuse<|end|>" + REFUSAL_TAIL, strict, expect_error, want)


@pytest.mark.parametrize("strict, expect_error", [(False, False), (True, True)])
def test_streamable_parser_missing_message_token_other_initial_headers(
    harmony: ModuleType, strict: bool, expect_error: bool
) -> None:
    h = harmony
    want = [
        assistant(h, "I must refuse", "analysis"),
        assistant(h, "We must refuse", "analysis"),
        assistant(h, "I'm sorry, but I can't help with that.", "final"),
    ]
    check_missing_message_token(h, "<|channel|>analysis I must refuse<|end|>" + REFUSAL_TAIL, strict, expect_error, want)


@pytest.mark.parametrize("strict, expect_error", [(False, False), (True, True)])
def test_streamable_parser_missing_message_token_tool_call(harmony: ModuleType, strict: bool, expect_error: bool) -> None:
    h = harmony
    text = (
        "... Let's use the tool.<|end|>"
        "<|start|>assistant to=functions.get_weather<|channel|>commentary json"
        f"<|message|>{SAY_IT_TOKYO}<|call|>"
    )
    want = [
        assistant(h, "... Let's use the tool."),
        assistant(h, SAY_IT_TOKYO, "commentary").with_recipient("functions.get_weather").with_content_type("json"),
    ]
    check_missing_message_token(h, text, strict, expect_error, want)


def framed(enc: Any, middle: List[int], suffix: str = "<|end|>") -> List[int]:
    head = special(enc, "<|start|>assistant<|message|>")
    return head + middle + special(enc, suffix)


def test_streamable_parser_invalid_utf8_decoding(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    broken = [9552, 9552]  # each is b" \xf0\x9f": a space, then a cut-off 4-byte sequence
    with pytest.raises(h.HarmonyError):
        enc.decode_utf8(broken)
    parser = stream(h, enc, framed(enc, broken, "worked<|end|>"))
    assert parser.messages == [assistant(h, " \ufffd \ufffdworked")]


def test_streamable_parser_invalid_utf8_decoding_split_across_tokens(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    xy = enc.encode("XY")
    enc.decode_utf8(xy)  # valid alone
    with pytest.raises(h.HarmonyError):
        enc.decode_utf8([9552] + xy)  # invalid after the cut-off sequence
    parser = stream(h, enc, framed(enc, [9552] + xy))
    assert parser.messages == [assistant(h, " \ufffdXY")]


def test_streamable_parser_invalid_utf8_decoding_multi_byte_token(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    word = enc.encode(" interesting")
    enc.decode_utf8(word)
    with pytest.raises(h.HarmonyError):
        enc.decode_utf8([9552] + word)
    parser = stream(h, enc, framed(enc, [9552] + word))
    assert parser.messages == [assistant(h, " \ufffd interesting")]


def test_streamable_parser_invalid_utf8_decoding_multi_byte_token_no_eos_marker(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    word = enc.encode(" interesting")
    enc.decode_utf8(word)
    with pytest.raises(h.HarmonyError):
        enc.decode_utf8([9552] + word)
    tokens = special(enc, "<|start|>assistant<|message|>") + [9552] + word + enc.encode(" story")
    parser = h.StreamableParser(enc, None)
    deltas = []
    for token in tokens:
        parser.process(token)
        if parser.last_content_delta is not None:
            deltas.append(parser.last_content_delta)
    assert parser.current_content == " \ufffd interesting story"  # no stop token: still in content
    assert "".join(deltas) == " \ufffd interesting story"
    parser.process(enc.encode("Y")[0])
    assert parser.last_content_delta == "Y"
    assert parser.current_content == " \ufffd interesting storyY"


def test_streamable_parser_tricky_utf8_decoding(harmony: ModuleType) -> None:
    h = harmony
    enc = gpt_oss(h)
    text = (
        "Hello M\u00fcller, \u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5, \u041f\u0440\u0438\u0432\u0435\u0442, "
        "\u05e9\u05dc\u05d5\u05dd, \u0645\u0631\u062d\u0628\u0627, \u0928\u092e\u0938\u094d\u0924\u0947, "
        "\u3053\u3093\u306b\u3061\u306f, \uc548\ub155\ud558\uc138\uc694, \u4f60\u597d. "
        "Normalized (na\u00efve) vs. decomposed (nai\u0308ve) characters. "
        "Some emojis: \U0001f60a\U0001f44b\U0001f3fe\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
        "\U0001f1fa\U0001f1f8."
    )
    parser = h.StreamableParser(enc, None)
    deltas = []
    for token in framed(enc, enc.encode(text)):
        parser.process(token)
        if parser.last_content_delta is not None:
            deltas.append(parser.last_content_delta)
    assert parser.messages == [assistant(h, text)]
    assert "".join(deltas) == text
