"""The Chat Completions bridge checked with the official `openai` SDK (issue 11, "Done when").

Over a generated corpus of completions — well-formed ones in every shape gpt-oss produces and
malformed ones (stray tokens, missing or doubled headers, cut streams, random ids) — every
response of `harmony chat parse` validates as the SDK's `ChatCompletion`, every chunk of
`harmony chat parse --stream` as its `ChatCompletionChunk`, and the SDK's own stream
accumulator (`ChatCompletionStreamState`) rebuilds the non-streamed response from the chunks.
Well-formed completions are also parsed by openai-harmony 0.0.8, and the response must hold
what the reference parser read, routed as the README's bridge section says.
"""

import json
import random

import pytest
from openai import LengthFinishReasonError
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from conftest import run_jsonl

TEXTS = [
    "Hello!",
    "2 + 2 = 4.",
    'He said "hi" \\ then left.\nNew line\ttab',
    "日本語のテキスト 🎉 emoji",
    "Ünïcödé — ok",
    "",
    "{\"a\": [1, 2, {\"b\": null}]}",
    "control \x01 char",
    "ends with space ",
]
ARGS = ['{"location":"Tokyo"}', '{"city": "Paris", "unit": "c"}', "{}", '{"q": "日本"}', "not json at all", '{"cut": ']
FUNCS = ["get_weather", "lookup", "search_docs", "f"]


def message_text(rng: random.Random, kind: str) -> tuple[str, bool]:
    """(header + content of one assistant message, whether it is a function call)."""
    t = rng.choice(TEXTS)
    if kind == "analysis":
        return f"<|channel|>analysis<|message|>{t}", False
    if kind == "preamble":
        return f"<|channel|>commentary<|message|>{t}", False
    if kind == "final":
        return f"<|channel|>final<|message|>{t}", False
    if kind == "final_json":
        return f"<|channel|>final <|constrain|>json<|message|>{rng.choice(ARGS)}", False
    if kind == "call":
        f, a = rng.choice(FUNCS), rng.choice(ARGS)
        if rng.random() < 0.5:
            return f"<|channel|>commentary to=functions.{f} <|constrain|>json<|message|>{a}", True
        return f" to=functions.{f}<|channel|>commentary <|constrain|>json<|message|>{a}", True
    if kind == "builtin":
        r = rng.choice(["browser.search", "browser.open", "python", "container.exec"])
        return f"<|channel|>analysis to={r}<|message|>{rng.choice(ARGS)}", False
    raise AssertionError(kind)


def well_formed(rng: random.Random) -> str:
    kinds = [rng.choice(["analysis", "analysis", "preamble", "builtin"]) for _ in range(rng.randrange(0, 3))]
    last = rng.choice(["final", "final", "final_json", "call", "call"])
    if last == "call" and rng.random() < 0.3:
        kinds.append("call")  # two calls in one completion
    kinds.append(last)
    parts = []
    for i, k in enumerate(kinds):
        text, is_call = message_text(rng, k)
        head = "" if i == 0 else "<|start|>assistant"
        if i == len(kinds) - 1:
            end = "<|call|>" if is_call else "<|return|>"
        else:
            end = "<|call|>" if is_call and rng.random() < 0.2 else "<|end|>"
        parts.append(head + text + end)
    return "".join(parts)


def malformed(rng: random.Random, text: str) -> str:
    """Shapes of real malformed output listed in issue 11."""
    choice = rng.randrange(9)
    if choice == 0:
        return text + rng.choice(["<|return|>", "<|end|>", "<|constrain|>", "<|call|>", "stray words"])
    if choice == 1:
        return text.replace("<|start|>assistant", "", 1)  # a message with no <|start|>
    if choice == 2:
        return "<|start|>assistant" + text  # a doubled start
    if choice == 3:
        return text.replace("<|message|>", "", 1)  # a header without <|message|>
    if choice == 4:
        return text.replace("<|channel|>final", "<|channel|>", 1)  # a channel marker with no value
    if choice == 5:
        return rng.choice(TEXTS) + "<|end|>"  # text with no header at all (a refusal)
    if choice == 6:
        return text.replace("<|return|>", "<|end|>").replace("<|call|>", "<|return|>")
    if choice == 7:
        return text.replace(" to=functions.", " to=functions.", 1).replace("<|constrain|>json", "<|channel|>commentary<|constrain|>json", 1)
    return text.replace("assistant", "assistantassistant", 1)


def corpus() -> list[tuple[str, bool]]:
    """(completion text, well-formed?) — deterministic."""
    rng = random.Random(20261201)
    out = []
    for _ in range(260):
        out.append((well_formed(rng), True))
    for _ in range(260):
        out.append((malformed(rng, well_formed(rng)), False))
    return out


@pytest.fixture(scope="session")
def completions(harmony_cli):
    """Token arrays of the corpus, plus cut and random-id variants."""
    texts = corpus()
    encoded = run_jsonl(harmony_cli, ["encode", "--allow-special"], [json.dumps(t) for t, _ in texts])
    rng = random.Random(7)
    items = [(toks, ok) for toks, (_, ok) in zip(encoded, texts)]
    # Streams cut at a random token (an engine's max_tokens).
    items += [(toks[: rng.randrange(len(toks) + 1)], False) for toks, _ in items[:200]]
    # Any valid ids at all, weighted towards Harmony's control tokens.
    specials = [200002, 200003, 200005, 200006, 200007, 200008, 200012]
    for _ in range(120):
        n = rng.randrange(0, 30)
        items.append(([rng.choice(specials) if rng.random() < 0.4 else rng.randrange(201088) for _ in range(n)], False))
    return items


@pytest.fixture(scope="session")
def parsed(harmony_cli, completions):
    """(tokens, well-formed?, response, chunks) for every completion, with reproducible ids."""
    docs = [json.dumps(t) for t, _ in completions]
    args = ["chat", "parse", "--id-seed", "1234", "--model", "gpt-oss-20b", "--id", "chatcmpl-corpus", "--created", "1764547200"]
    responses = run_jsonl(harmony_cli, args, docs)
    streams = run_jsonl(harmony_cli, args + ["--stream"], docs)
    return [(t, ok, r, c) for (t, ok), r, c in zip(completions, responses, streams)]


def test_corpus_size(parsed):
    assert len(parsed) >= 500
    assert sum(1 for _, ok, _, _ in parsed if not ok) >= 300, "hundreds of malformed completions"


def test_no_completion_is_an_error(parsed):
    for tokens, _, response, chunks in parsed:
        assert "error" not in response, (tokens, response)
        assert isinstance(chunks, list), (tokens, chunks)


def test_every_response_is_an_sdk_chat_completion(parsed):
    for tokens, _, response, _ in parsed:
        c = ChatCompletion.model_validate(response)
        assert c.object == "chat.completion" and c.model == "gpt-oss-20b" and c.created == 1764547200
        assert len(c.choices) == 1
        choice = c.choices[0]
        assert choice.finish_reason in ("stop", "length", "tool_calls"), tokens
        assert choice.message.role == "assistant"
        for call in choice.message.tool_calls or []:
            assert call.type == "function" and call.function.name and call.id.startswith("call_")
        ids = [call.id for call in choice.message.tool_calls or []]
        assert len(ids) == len(set(ids)), "tool-call ids are unique"
        if choice.message.tool_calls and choice.finish_reason == "tool_calls":
            pass
        elif choice.finish_reason == "tool_calls":
            raise AssertionError(f"tool_calls finish without calls: {response}")


def test_every_chunk_is_an_sdk_chat_completion_chunk(parsed):
    for tokens, _, _, chunks in parsed:
        assert chunks, tokens
        for i, raw in enumerate(chunks):
            chunk = ChatCompletionChunk.model_validate(raw)
            assert chunk.object == "chat.completion.chunk" and chunk.id == "chatcmpl-corpus"
            (choice,) = chunk.choices
            assert (choice.delta.role == "assistant") == (i == 0), "the role comes in the first chunk only"
            assert (choice.finish_reason is not None) == (i == len(chunks) - 1), "one last chunk with the reason"
            if 0 < i < len(chunks) - 1:
                d = raw["choices"][0]["delta"]
                assert d, "a chunk is written only when there is a delta"


def test_sdk_stream_accumulator_rebuilds_the_response(parsed):
    for tokens, _, response, chunks in parsed:
        state = ChatCompletionStreamState()
        for raw in chunks:
            state.handle_chunk(ChatCompletionChunk.model_validate(raw))
        want = ChatCompletion.model_validate(response)
        if want.choices[0].finish_reason == "length":
            # The SDK refuses to "finish" a truncated completion; its snapshot is the result.
            with pytest.raises(LengthFinishReasonError):
                state.get_final_completion()
            got = state.current_completion_snapshot
        else:
            got = state.get_final_completion()
        g, w = got.choices[0], want.choices[0]
        assert g.finish_reason == w.finish_reason, tokens
        assert g.message.content == w.message.content, tokens
        gm, wm = g.message.model_dump(), w.message.model_dump()
        assert gm.get("reasoning_content") == wm.get("reasoning_content"), tokens
        got_calls = [(c.id, c.function.name, c.function.arguments) for c in g.message.tool_calls or []]
        want_calls = [(c.id, c.function.name, c.function.arguments) for c in w.message.tool_calls or []]
        assert got_calls == want_calls, tokens


def route(channel, recipient):
    """The README's routing, written again independently of the Rust code."""
    if recipient and not recipient.startswith("<|constrain|>"):
        if recipient.startswith("functions.") and len(recipient) > len("functions."):
            return ("call", recipient[len("functions."):])
        return ("reasoning", None)
    return ("reasoning", None) if channel == "analysis" else ("content", None)


def test_well_formed_completions_hold_what_the_reference_parser_reads(parsed, reference_encoding):
    from openai_harmony import Role

    checked = 0
    for tokens, ok, response, _ in parsed:
        if not ok:
            continue
        messages = reference_encoding.parse_messages_from_completion_tokens(tokens, Role.ASSISTANT)
        content, reasoning, calls = [], [], []
        for m in messages:
            text = "".join(c.text for c in m.content)
            where, name = route(m.channel, m.recipient)
            if where == "call":
                calls.append((name, text))
            elif text:
                (content if where == "content" else reasoning).append(text)
        msg = response["choices"][0]["message"]
        assert msg["content"] == ("\n".join(content) if content else None), (tokens, messages)
        assert msg.get("reasoning_content") == ("\n".join(reasoning) if reasoning else None), (tokens, messages)
        got = [(c["function"]["name"], c["function"]["arguments"]) for c in msg.get("tool_calls", [])]
        assert got == calls
        ends = tokens[-1]
        want_reason = "tool_calls" if calls else ("stop" if ends in (200002, 200012) else "length")
        assert response["choices"][0]["finish_reason"] == want_reason, tokens
        checked += 1
    assert checked >= 250


def test_reasoning_field_option_reaches_the_sdk_objects(harmony_cli):
    tokens = run_jsonl(harmony_cli, ["encode", "--allow-special"], [json.dumps(
        "<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>")])[0]
    (r,) = run_jsonl(harmony_cli, ["chat", "parse", "--reasoning-field", "reasoning"], [json.dumps(tokens)])
    c = ChatCompletion.model_validate(r)
    assert c.choices[0].message.model_dump()["reasoning"] == "Think."
    assert c.choices[0].message.content == "Done."
