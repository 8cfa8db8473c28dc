"""Grammars from `harmony chat grammar` compiled by a real engine (llguidance, from PyPI) over
the o200k_harmony vocabulary, and token sequences walked through its matcher.

- lark: compiled as is.
- gbnf: converted with llguidance's own GBNF reader (llguidance.gbnf_to_lark), which predates
  llama.cpp's `<[id]>` token syntax: token references are passed through it as placeholder
  rules (see `gbnf_to_llguidance`), everything else is llguidance's conversion.
- xgrammar: xgrammar 0.2.8 on PyPI requires torch, so the structural tag is checked against
  xgrammar's documented format objects and its semantics are compiled through llguidance by
  `xgrammar_to_lark` (a direct transcription of tag / sequence / or / star / plus /
  tags_with_separator / any_text / json_schema).

Accepted sequences are generated from the requests' schemas (>= 500 per format); rejected
ones are built so that the first token that no permitted completion can have is known, and
the matcher must fail exactly there.
"""

import json
import os
import random
import re
import subprocess
from pathlib import Path

import llguidance
import llguidance.tiktoken
import llguidance.gbnf_to_lark as g2l
import pytest
import tiktoken
from tiktoken.load import load_tiktoken_bpe

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("HARMONY_CLI", str(ROOT / "target" / "debug" / "harmony"))

SPECIAL = {
    199998: "<|startoftext|>",
    199999: "<|endoftext|>",
    200002: "<|return|>",
    200003: "<|constrain|>",
    200005: "<|channel|>",
    200006: "<|start|>",
    200007: "<|end|>",
    200008: "<|message|>",
    200012: "<|call|>",
    200018: "<|endofprompt|>",
}
N_VOCAB = 201089
NAME_TO_ID = {v: k for k, v in SPECIAL.items()}
RETURN, CALL = 200002, 200012


def _encoding():
    import tiktoken_ext.openai_public as op

    local = str(ROOT / "assets" / "o200k_base.tiktoken")
    real = op.load_tiktoken_bpe
    op.load_tiktoken_bpe = lambda _url, expected_hash=None: load_tiktoken_bpe(local, expected_hash)
    try:
        base = op.o200k_base()
    finally:
        op.load_tiktoken_bpe = real
    specials = {f"<|reserved_{i}|>": i for i in range(199998, N_VOCAB) if i not in SPECIAL}
    specials.update(NAME_TO_ID)
    return tiktoken.Encoding(
        name="o200k_harmony", pat_str=base["pat_str"], mergeable_ranks=base["mergeable_ranks"], special_tokens=specials
    )


ENC = _encoding()
# Lark and xgrammar grammars spell <|return|> / <|call|> themselves: EOS is <|endoftext|>.
TOK_EXPLICIT = llguidance.tiktoken.lltokenizer_from_encoding(ENC, eos_token=199999)
# GBNF grammars end where llama.cpp samples the end-of-generation token <|return|> / <|call|>.
TOK_EOG = llguidance.tiktoken.lltokenizer_from_encoding(ENC, eos_token=[RETURN, CALL])


def harmony_grammar(request, fmt, *extra):
    proc = subprocess.run(
        [CLI, "chat", "grammar", "--format", fmt, *extra],
        input=json.dumps(request).encode(),
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


# ---------------------------------------------------------------------------------------
# GBNF → llguidance (token references through the converter as placeholder rules)

_TOKEN_REF = re.compile(r"<\[(\d+)\]>")


class _TokenNode(g2l.ASTNode):
    """A llama.cpp `<[id]>` element, written as llguidance's token reference."""

    def __init__(self, token_id):
        self.token_id = token_id

    def __str__(self):
        return f"<[{self.token_id}]>"

    def is_terminal(self):
        return False  # llguidance allows tokens in rules only


def gbnf_to_llguidance(gbnf):
    body = "\n".join(line for line in gbnf.splitlines() if not line.startswith("#"))
    ids = sorted({int(m) for m in _TOKEN_REF.findall(body)})
    text = _TOKEN_REF.sub(lambda m: f"special-token-{m.group(1)}", body) + "\n"
    text += "".join(f'special-token-{i} ::= "placeholder"\n' for i in ids)
    rules = g2l.GrammarParser().parse(text)
    for i in ids:
        rules[f"special-token-{i}"].alternatives = _TokenNode(i)
    # Only rules made of characters alone become llguidance terminals: the converter's
    # promotion of whole rule trees yields lexemes that overlap with rule-level literals,
    # which llguidance's greedy lexer cannot split (e.g. `WS "," WS "\"scores\""` as one
    # lexeme next to a rule starting with `WS ","`).
    real = g2l.RuleRefNode.is_terminal
    g2l.RuleRefNode.is_terminal = lambda self: False
    try:
        g2l.resolve(rules)
    finally:
        g2l.RuleRefNode.is_terminal = real
    rlist = sorted(rules.values(), key=lambda r: r.order)
    return "%llguidance {}\n\n" + "\n".join(str(r) for r in rlist) + "\n"


# ---------------------------------------------------------------------------------------
# xgrammar structural tag → llguidance

XGRAMMAR_FIELDS = {
    "tag": {"type", "begin", "content", "end"},
    "sequence": {"type", "elements"},
    "or": {"type", "elements"},
    "star": {"type", "content"},
    "plus": {"type", "content"},
    "any_text": {"type"},
    "json_schema": {"type", "json_schema"},
    "tags_with_separator": {"type", "tags", "separator", "at_least_one", "stop_after_first"},
}
_SPECIAL_IN_TEXT = re.compile(r"(<\|[a-z_0-9]+\|>)")


def _lark_text(s):
    parts = [p for p in _SPECIAL_IN_TEXT.split(s) if p]
    return " ".join(p if p in NAME_TO_ID else json.dumps(p) for p in parts)


def xgrammar_to_lark(tag):
    assert tag["type"] == "structural_tag" and set(tag) == {"type", "format"}
    rules = []

    def rule(body):
        rules.append(f"x{len(rules)}: {body}")
        return f"x{len(rules) - 1}"

    def conv(f):
        kind = f["type"]
        assert set(f) == XGRAMMAR_FIELDS[kind], f"{kind}: fields {sorted(f)}"
        if kind == "tag":
            assert isinstance(f["begin"], str) and isinstance(f["end"], str)
            return rule(f"{_lark_text(f['begin'])} {conv(f['content'])} {_lark_text(f['end'])}")
        if kind == "sequence":
            return rule(" ".join(conv(e) for e in f["elements"]))
        if kind == "or":
            return rule(" | ".join(conv(e) for e in f["elements"]))
        if kind == "star":
            return rule(f"{conv(f['content'])}*")
        if kind == "plus":
            return rule(f"{conv(f['content'])}+")
        if kind == "any_text":
            return "TEXT"
        if kind == "json_schema":
            return rule(f"%json {json.dumps(f['json_schema'])}")
        if kind == "tags_with_separator":
            one = rule(" | ".join(conv(t) for t in f["tags"]))
            body = one if f["stop_after_first"] else f"{one} ({_lark_text(f['separator'])} {one})*"
            return rule(body if f["at_least_one"] else f"({body})?")
        raise AssertionError(kind)

    start = conv(tag["format"])
    return "%llguidance {}\nstart: " + start + "\nTEXT: /(?s:.*)/\n" + "\n".join(rules) + "\n"


# ---------------------------------------------------------------------------------------
# Matchers


def matcher(request, fmt, *extra):
    g = harmony_grammar(request, fmt, *extra)
    if fmt == "lark":
        lark, tok = g, TOK_EXPLICIT
    elif fmt == "gbnf":
        lark, tok = gbnf_to_llguidance(g), TOK_EOG
    else:
        lark, tok = xgrammar_to_lark(json.loads(g)), TOK_EXPLICIT
    m = llguidance.LLMatcher(tok, llguidance.LLMatcher.grammar_from_lark(lark), log_level=1)
    assert not m.is_error(), f"{fmt} grammar does not compile: {m.get_error()}\n{lark}"
    return m


def walk(m, tokens):
    """Index of the first token the matcher rejects, or None if all are accepted and the
    matcher accepts the end of the completion."""
    m = m.deep_copy()
    for i, t in enumerate(tokens):
        if not m.consume_token(t) or m.is_error():
            return i
    return None if m.is_accepting() else len(tokens)


# ---------------------------------------------------------------------------------------
# Requests

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name", "examples": ["Paris"]},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        "days": {"type": "integer"},
        "hourly": {"type": "boolean"},
    },
    "required": ["city"],
}
SEARCH = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "filters": {
            "type": "object",
            "properties": {
                "lang": {"type": ["string", "null"]},
                "max_age": {"type": "number", "nullable": True},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            },
        },
        "mode": {
            "oneOf": [
                {"type": "string", "enum": ["fast", "deep"], "description": "preset"},
                {"type": "object", "properties": {"depth": {"type": "integer"}}, "required": ["depth"]},
            ]
        },
        "extra": {},
        "scores": {"type": "array", "items": {"type": "number"}, "minItems": 1},
    },
    "required": ["query", "scores"],
}
TIME = {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}
NOARGS = None
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": WEATHER}},
    {"type": "function", "function": {"name": "search", "parameters": SEARCH}},
    {"type": "function", "function": {"name": "get_time", "parameters": TIME}},
    {"type": "function", "function": {"name": "ping"}},
]
SCHEMAS = {"get_weather": WEATHER, "search": SEARCH, "get_time": TIME, "ping": {"type": "object"}}
ANSWER = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "confidence": {"type": "number"},
        "sources": {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}},
        "verdict": {"type": "string", "enum": ["yes", "no", "unsure"]},
    },
    "required": ["answer", "verdict"],
}
MSGS = [{"role": "user", "content": "hi"}]

# name → (request, cli extra args, what the request permits)
CASES = {
    "auto": ({"messages": MSGS, "tools": TOOLS}, [], dict(final=True, calls=True, parallel=True, reasoning="optional")),
    "auto_single": (
        {"messages": MSGS, "tools": TOOLS, "parallel_tool_calls": False},
        [],
        dict(final=True, calls=True, parallel=False, reasoning="optional"),
    ),
    "required": (
        {"messages": MSGS, "tools": TOOLS, "tool_choice": "required"},
        ["--reasoning", "required"],
        dict(final=False, calls=True, parallel=True, reasoning="required"),
    ),
    "named": (
        {"messages": MSGS, "tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "search"}}},
        [],
        dict(final=False, calls=True, parallel=True, reasoning="optional", only="search"),
    ),
    "none_schema": (
        {
            "messages": MSGS,
            "tools": TOOLS,
            "tool_choice": "none",
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": ANSWER}},
        },
        [],
        dict(final=True, calls=False, parallel=True, reasoning="optional", final_schema=ANSWER),
    ),
    "json_object": (
        {"messages": MSGS, "response_format": {"type": "json_object"}},
        ["--reasoning", "none"],
        dict(final=True, calls=False, parallel=True, reasoning="none", final_schema={"type": "object"}),
    ),
    "text": ({"messages": MSGS, "response_format": {"type": "text"}}, [], dict(final=True, calls=False, parallel=True, reasoning="optional")),
}
FORMATS = ["lark", "gbnf", "xgrammar"]

# ---------------------------------------------------------------------------------------
# Generating permitted completions

WORDS = ["Paris", "naïve café", "tab\there", 'quote " and \\ slash', "line\nbreak", "a < b", "emoji 🎉", "日本語", "x" * 40, ""]


def gen_text(rng):
    return " ".join(rng.choice(WORDS[:-1]) for _ in range(rng.randint(0, 6)))


def gen_value(schema, rng, depth=0):
    if not schema or schema is True:
        return rng.choice([None, True, 3, -2.5, "any", [1, "two"], {"k": [None]}]) if depth < 3 else 1
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "oneOf" in schema:
        return gen_value(rng.choice(schema["oneOf"]), rng, depth + 1)
    if schema.get("nullable") and rng.random() < 0.3:
        return None
    t = schema.get("type", "object" if "properties" in schema else None)
    if isinstance(t, list):
        t = rng.choice(t)
    if t is None:
        return gen_value({}, rng, depth)
    if t == "string":
        return rng.choice(WORDS)
    if t == "integer":
        return rng.choice([0, 7, -13, 2024, 10**12])
    if t == "number":
        return rng.choice([0, 1.5, -0.25, 3e10, 6.02e-23, 42])
    if t == "boolean":
        return rng.random() < 0.5
    if t == "null":
        return None
    if t == "array":
        lo, hi = schema.get("minItems", 0), schema.get("maxItems", 4)
        return [gen_value(schema.get("items", {}), rng, depth + 1) for _ in range(rng.randint(lo, hi))]
    if t == "object":
        props = schema.get("properties")
        if props is None:
            return {f"k{i}": gen_value({}, rng, depth + 1) for i in range(rng.randint(0, 2))}
        req = set(schema.get("required", []))
        return {k: gen_value(s, rng, depth + 1) for k, s in props.items() if k in req or rng.random() < 0.5}
    raise AssertionError(t)


def dump(v, rng):
    style = rng.randrange(3)
    if style == 0:
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    if style == 1:
        # Raw UTF-8, as gpt-oss writes it: llguidance's JSON lexer refuses escapes a string
        # does not need (\u00e9, \/), accepting \uXXXX only for control characters.
        return json.dumps(v, ensure_ascii=False)
    return json.dumps(v, indent=1, ensure_ascii=False)


def text_tokens(s):
    return ENC.encode_ordinary(s)


def T(name):
    return NAME_TO_ID[name]


def analysis(rng):
    return [T("<|channel|>"), *text_tokens("analysis"), T("<|message|>"), *text_tokens(gen_text(rng)), T("<|end|>"), T("<|start|>"), *text_tokens("assistant")]


def call(name, args_json):
    return [T("<|channel|>"), *text_tokens(f"commentary to=functions.{name} "), T("<|constrain|>"), *text_tokens("json"), T("<|message|>"), *text_tokens(args_json), T("<|call|>")]


def gen_completion(permits, rng):
    n = {"optional": rng.randint(0, 2), "required": rng.randint(1, 2), "none": 0}[permits["reasoning"]]
    toks = []
    for _ in range(n):
        toks += analysis(rng)
    do_calls = permits["calls"] and (not permits["final"] or rng.random() < 0.6)
    if do_calls:
        names = [permits["only"]] if "only" in permits else list(SCHEMAS)
        k = rng.randint(1, 3) if permits["parallel"] else 1
        for j in range(k):
            if j:
                toks += [T("<|start|>"), *text_tokens("assistant")]
            name = rng.choice(names)
            toks += call(name, dump(gen_value(SCHEMAS[name], rng), rng))
        return toks
    if "final_schema" in permits:
        body = dump(gen_value(permits["final_schema"], rng), rng)
        return toks + [T("<|channel|>"), *text_tokens("final "), T("<|constrain|>"), *text_tokens("json"), T("<|message|>"), *text_tokens(body), T("<|return|>")]
    return toks + [T("<|channel|>"), *text_tokens("final"), T("<|message|>"), *text_tokens(gen_text(rng)), T("<|return|>")]


def for_format(fmt, tokens):
    """GBNF describes up to the first end-of-generation token (llama.cpp stops there)."""
    if fmt != "gbnf":
        return tokens
    for i, t in enumerate(tokens):
        if t in (RETURN, CALL):
            return tokens[: i + 1]
    return tokens


PER_CASE = 80


@pytest.fixture(scope="module")
def matchers():
    return {(c, f): matcher(CASES[c][0], f, *CASES[c][1]) for c in CASES for f in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_completions_are_accepted_token_by_token(matchers, fmt):
    rng = random.Random(17)
    seen, calls_total, multi = 0, 0, 0
    for case, (_req, _extra, permits) in CASES.items():
        m = matchers[(case, fmt)]
        for _ in range(PER_CASE):
            toks = for_format(fmt, gen_completion(permits, rng))
            at = walk(m, toks)
            assert at is None, f"{case}/{fmt}: rejected token #{at} of {ENC.decode(toks)!r}"
            seen += 1
            calls_total += toks.count(CALL)
            multi += toks.count(CALL) > 1
    assert seen >= 500
    assert calls_total > 100
    if fmt != "gbnf":
        assert multi > 20, "parallel calls must be exercised"


# ---------------------------------------------------------------------------------------
# Rejections at the first wrong token


def header(channel_text):
    return [T("<|channel|>"), *text_tokens(channel_text)]


def bad(prefix, wrong):
    """(tokens, index of the first wrong token)."""
    return prefix + wrong, len(prefix)


ARGS_OPEN = header("commentary to=functions.get_weather ") + [T("<|constrain|>"), *text_tokens("json"), T("<|message|>")]
ONE_CALL = call("get_time", '{"tz":"UTC"}')

REJECTIONS = [
    # (case, name, tokens, first wrong index)
    ("auto", "unknown tool name", *bad(header("commentary to=functions."), text_tokens("nuke_everything"))),
    ("auto", "tool name with a suffix", *bad(header("commentary to=functions.get_time"), text_tokens("zone"))),
    ("auto", "no functions namespace", *bad(header("commentary to="), text_tokens("browser.search"))),
    ("auto", "invalid JSON", *bad(ARGS_OPEN + text_tokens('{"city":"Paris"'), text_tokens("]}"))),
    ("auto", "arguments not an object", *bad(ARGS_OPEN, text_tokens("[1]"))),
    ("auto", "wrong argument type", *bad(ARGS_OPEN + text_tokens('{"city":'), text_tokens("42}"))),
    ("auto", "value outside the enum", *bad(ARGS_OPEN + text_tokens('{"city":"Rome","unit":"'), text_tokens('kelvin"}'))),
    ("auto", "integer with a fraction", *bad(ARGS_OPEN + text_tokens('{"city":"Rome","days":3'), text_tokens(".5}"))),
    ("auto", "missing required property", *bad(call("get_time", "{")[:-1], text_tokens("}"))),
    ("auto", "arguments then text instead of <|call|>", *bad(ONE_CALL[:-1], text_tokens(" and more"))),
    ("auto", "control token inside a string", *bad(ARGS_OPEN + text_tokens('{"city":"Par'), [T("<|call|>")])),
    ("auto", "control token in analysis", *bad(header("analysis") + [T("<|message|>"), *text_tokens("thinking")], [T("<|return|>")])),
    ("auto", "unknown channel", *bad([T("<|channel|>")], text_tokens("system"))),
    ("auto", "call without constrain", *bad(header("commentary to=functions.get_time "), [T("<|message|>")])),
    ("required", "final answer when a call is required", *bad(analysis(random.Random(1)) + [T("<|channel|>")], text_tokens("final"))),
    ("required", "no analysis when reasoning is required", *bad([T("<|channel|>")], text_tokens("commentary"))),
    ("named", "another tool than the named one", *bad(header("commentary to=functions."), text_tokens("get_weather"))),
    ("none_schema", "a call when tool_choice is none", *bad([T("<|channel|>")], text_tokens("commentary"))),
    ("none_schema", "final answer without <|constrain|>json", *bad(header("final"), [T("<|message|>")])),
    ("none_schema", "final answer violating the schema", *bad(header("final ") + [T("<|constrain|>"), *text_tokens("json"), T("<|message|>"), *text_tokens('{"answer":"x","verdict":"')], text_tokens('maybe"}'))),
    ("none_schema", "free-text final answer", *bad(header("final ") + [T("<|constrain|>"), *text_tokens("json"), T("<|message|>")], text_tokens("Sure!"))),
    ("json_object", "analysis when reasoning is none", *bad([T("<|channel|>")], text_tokens("analysis"))),
    ("json_object", "final answer that is not an object", *bad(header("final ") + [T("<|constrain|>"), *text_tokens("json"), T("<|message|>")], text_tokens("[1]"))),
    ("text", "final answer then another message", *bad(header("final") + [T("<|message|>"), *text_tokens("Hi"), T("<|return|>")], [T("<|start|>")])),
]

# Second call when parallel_tool_calls is false: GBNF ends at the first <|call|> anyway.
REJECTIONS.append(("auto_single", "second call when parallel_tool_calls is false", *bad(ONE_CALL, [T("<|start|>")])))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case,name,tokens,wrong", REJECTIONS, ids=[r[1] for r in REJECTIONS])
def test_wrong_completions_are_rejected_at_the_first_wrong_token(matchers, fmt, case, name, tokens, wrong):
    at = walk(matchers[(case, fmt)], tokens)
    assert at == wrong, f"{case}/{fmt} {name}: rejected at {at}, expected {wrong}: {[ENC.decode([t]) for t in tokens]}"


def test_parallel_calls_are_accepted_when_allowed(matchers):
    toks = ONE_CALL + [T("<|start|>"), *text_tokens("assistant")] + ONE_CALL
    assert walk(matchers[("auto", "lark")], toks) is None
    assert walk(matchers[("auto", "xgrammar")], toks) is None
    assert walk(matchers[("auto_single", "lark")], toks) == len(ONE_CALL)


def test_lazy_gbnf_starts_at_the_trigger():
    g = harmony_grammar(CASES["auto"][0], "gbnf", "--lazy")
    assert "<\\|channel\\|>commentary to=" in g
    m = llguidance.LLMatcher(TOK_EOG, llguidance.LLMatcher.grammar_from_lark(gbnf_to_llguidance(g)), log_level=1)
    assert not m.is_error(), m.get_error()
    assert walk(m, ONE_CALL) is None
    assert walk(m, header("final") + [T("<|message|>")]) == 1


def test_structural_tag_uses_documented_xgrammar_objects():
    tag = json.loads(harmony_grammar(CASES["auto_single"][0], "xgrammar"))
    kinds = set()

    def visit(f):
        kinds.add(f["type"])
        assert set(f) == XGRAMMAR_FIELDS[f["type"]]
        for k in ("content",):
            if k in f:
                visit(f[k])
        for e in f.get("elements", []) + f.get("tags", []):
            visit(e)

    visit(tag["format"])
    assert kinds == {"sequence", "star", "tag", "any_text", "or", "tags_with_separator", "json_schema"}
    calls = tag["format"]["elements"][1]["elements"][1]
    assert calls["stop_after_first"] is True and calls["at_least_one"] is True
    assert calls["tags"][0]["begin"] == "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
    assert calls["tags"][0]["end"] == "<|call|>"


def test_bad_requests_fail_with_a_message():
    proc = subprocess.run(
        [CLI, "chat", "grammar", "--format", "lark"],
        input=json.dumps({"messages": [], "tool_choice": "required"}).encode(),
        capture_output=True,
    )
    assert proc.returncode != 0
    assert b"`required` but the request declares no tools" in proc.stderr


# ---------------------------------------------------------------------------------------
# Responses requests: the same request in the Responses dialect gives the same grammar

def to_responses_request(chat):
    """A Chat Completions request in the Responses API's shape (flat function tools, a flat
    named tool_choice, text.format for response_format), following the OpenAI API reference."""
    out = {"model": "gpt-oss", "input": [{"type": "message", "role": m["role"], "content": m["content"]} for m in chat["messages"]]}
    if "tools" in chat:
        out["tools"] = [{"type": "function", **t["function"]} for t in chat["tools"]]
    if "parallel_tool_calls" in chat:
        out["parallel_tool_calls"] = chat["parallel_tool_calls"]
    choice = chat.get("tool_choice")
    if isinstance(choice, dict):
        out["tool_choice"] = {"type": "function", "name": choice["function"]["name"]}
    elif choice is not None:
        out["tool_choice"] = choice
    rf = chat.get("response_format")
    if rf is not None:
        fmt = {"type": rf["type"]}
        if rf["type"] == "json_schema":
            fmt.update(rf["json_schema"])
        out["text"] = {"format": fmt}
    return out


def responses_grammar(request, fmt, *extra):
    proc = subprocess.run(
        [CLI, "responses", "grammar", "--format", fmt, *extra], input=json.dumps(request).encode(), capture_output=True
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_responses_requests_give_the_chat_grammar(case, fmt):
    from openai.types.responses import response_create_params
    from pydantic import TypeAdapter

    request, extra, _ = CASES[case]
    responses_request = to_responses_request(request)
    # The converted request is a valid Responses request for the official SDK.
    TypeAdapter(response_create_params.ResponseCreateParamsNonStreaming).validate_python(responses_request)
    assert responses_grammar(responses_request, fmt, *extra) == harmony_grammar(request, fmt, *extra)


def test_responses_grammar_rejects_hosted_tools_and_unknown_names():
    for request, message in [
        ({"input": "hi", "tools": [{"type": "web_search"}]}, b"unsupported tool type `web_search`"),
        ({"input": "hi", "tools": TOOLS_RESPONSES, "tool_choice": {"type": "function", "name": "nope"}}, b"request.tool_choice.name"),
    ]:
        proc = subprocess.run([CLI, "responses", "grammar", "--format", "lark"], input=json.dumps(request).encode(), capture_output=True)
        assert proc.returncode != 0
        assert message in proc.stderr, proc.stderr


TOOLS_RESPONSES = [{"type": "function", **t["function"]} for t in TOOLS]
