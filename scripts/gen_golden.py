#!/usr/bin/env python3
"""Generate golden test vectors for libharmony.

The oracle is the PyPI package ``openai-harmony==0.0.8`` (the Rust reference
implementation behind a PyO3 binding).  This script talks to the low-level
Rust-backed object (``encoding._inner``) so that the exact JSON text we build
reaches the reference's serde code without any pydantic normalisation.

Output: ``tests/golden/vectors.jsonl`` -- one JSON object per line, each with
an ``id`` and a ``kind`` (render, render_message, parse, stream, encode,
decode, stop_tokens).  See the ``emit_*`` helpers below for the exact fields.

The generator is fully deterministic (seeded ``random.Random(20260801)``,
no set/hash-order dependence) and runs offline: the tokenizer vocabulary is
read from ``assets/o200k_base.tiktoken`` via ``TIKTOKEN_ENCODINGS_BASE``.

Notes on recorded values:
  * ``error`` is ``str(exception)`` as raised by the reference (binding-level
    ValueErrors such as "unknown role: X" included); a Rust panic would be
    recorded as "PANIC: <message>" (none occur with this seed).
  * stream vectors stop at the first failing ``process()`` (``error_at`` is its
    index, or ``len(tokens)`` if ``process_eos()`` failed); ``steps`` holds one
    snapshot per successful call.  Roles the binding rejects at construction
    are not used for stream vectors (parse vectors cover them).
  * Identical inputs are emitted only once per kind.

Regenerate (from the repository root):

    pip install -r scripts/requirements-golden.txt
    python3 scripts/gen_golden.py

Optional: ``python3 scripts/gen_golden.py --out some/other/path.jsonl``.
"""

import argparse
import base64
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TIKTOKEN_ENCODINGS_BASE", os.path.join(ROOT, "assets"))

try:
    from importlib.metadata import version as _pkg_version
except ImportError:  # pragma: no cover
    _pkg_version = None

import openai_harmony  # noqa: E402
from openai_harmony import openai_harmony as _native  # noqa: E402

REQUIRED_VERSION = "0.0.8"
SEED = 20260801

TARGETS = {
    "render": 1500,
    "render_message": 300,
    "parse": 1500,
    "stream": 800,
    "encode": 300,
    "decode": 200,
}

# ---------------------------------------------------------------------------
# Oracle access
# ---------------------------------------------------------------------------

ENC = openai_harmony.load_harmony_encoding(
    openai_harmony.HarmonyEncodingName.HARMONY_GPT_OSS
)
INNER = ENC._inner
StreamParser = _native.PyStreamableParser


def _error_text(exc):
    if type(exc).__name__ == "PanicException":
        return "PANIC: " + str(exc)
    return str(exc)


def call(fn, *args, **kwargs):
    """Run a reference call; return (True, value) or (False, error text)."""
    try:
        return True, fn(*args, **kwargs)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # PanicException derives from BaseException
        return False, _error_text(exc)


ALL_SPECIALS = sorted(INNER.special_tokens())


def enc_plain(text):
    return list(INNER.encode(text, []))


def enc_all(text):
    return list(INNER.encode(text, ALL_SPECIALS))


def special_id(name):
    toks = INNER.encode(name, [name])
    assert len(toks) == 1, name
    return toks[0]


START = special_id("<|start|>")
END = special_id("<|end|>")
MESSAGE = special_id("<|message|>")
CHANNEL = special_id("<|channel|>")
CONSTRAIN = special_id("<|constrain|>")
RETURN = special_id("<|return|>")
CALL = special_id("<|call|>")
ENDOFTEXT = special_id("<|endoftext|>")
STARTOFTEXT = special_id("<|startoftext|>")
RESERVED_SAMPLE = [special_id(s) for s in (
    "<|reserved_200000|>", "<|reserved_200004|>", "<|reserved_200013|>",
    "<|reserved_200017|>", "<|reserved_200500|>", "<|reserved_201088|>",
)]
COMMON_SPECIALS = [START, END, MESSAGE, CHANNEL, CONSTRAIN, RETURN, CALL]
UNKNOWN_IDS = [201089, 201090, 250000, 300000, 2 ** 31, 4294967295]
ROLES = ["user", "assistant", "system", "developer", "tool"]


def load_single_byte_tokens():
    """Map byte value -> rank for the 256 single-byte vocabulary entries."""
    path = os.path.join(os.environ["TIKTOKEN_ENCODINGS_BASE"], "o200k_base.tiktoken")
    out = {}
    with open(path, "rb") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            b64, rank = line.split()
            raw = base64.b64decode(b64)
            if len(raw) == 1:
                out[raw[0]] = int(rank)
    assert len(out) == 256
    return out


BYTE_TOKEN = load_single_byte_tokens()


def token_bytes(tok):
    return bytes(INNER.decode_bytes([tok]))


def is_fragment(tok):
    try:
        token_bytes(tok).decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


# Strings whose tokenisation splits multi-byte characters across tokens.
SPLIT_SOURCES = [
    "🫠", "𠀀𠀁", "ꙮ", "𓀀", "𒀀𒀁", "ᚠᛇᚻ", "🀄", "䶵", "龘", "﷽", "𝕳𝖊𝖑𝖑𝖔",
    "🦀🦄", "Ⰰ", "ༀ", "𐍈", "🜁", "🧬🧪", "ꯍ", "𞤀", "ஔ", "ꦲ", "🪐", "𝄞",
]
SPLIT_SEQS = []  # token sequences containing fragment tokens (valid together)
FRAG_TOKENS = []  # individual tokens that are not valid UTF-8 on their own
for _s in SPLIT_SOURCES:
    _t = enc_plain(_s)
    if any(is_fragment(x) for x in _t):
        SPLIT_SEQS.append(_t)
        for x in _t:
            if is_fragment(x) and x not in FRAG_TOKENS:
                FRAG_TOKENS.append(x)
# Raw single-byte tokens giving invalid / incomplete UTF-8.
for _b in (0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xE6, 0xF0, 0xF4, 0xF8, 0xFF):
    if BYTE_TOKEN[_b] not in FRAG_TOKENS:
        FRAG_TOKENS.append(BYTE_TOKEN[_b])

# Hand-built invalid / incomplete byte sequences (as token lists).
BAD_BYTE_SEQS = [
    [BYTE_TOKEN[0x80]],                                  # lone continuation
    [BYTE_TOKEN[0xFF]],                                  # never valid
    [BYTE_TOKEN[0xC0], BYTE_TOKEN[0x80]],                # overlong
    [BYTE_TOKEN[0xE2], BYTE_TOKEN[0x82]],                # truncated 3-byte
    [BYTE_TOKEN[0xF0], BYTE_TOKEN[0x9F], BYTE_TOKEN[0x98]],  # truncated 4-byte
    [BYTE_TOKEN[0xED], BYTE_TOKEN[0xA0], BYTE_TOKEN[0x80]],  # surrogate
    [BYTE_TOKEN[0xE2], BYTE_TOKEN[0x41]],                # lead then ASCII 'A'
    [BYTE_TOKEN[0xF0]] + enc_plain("abc"),               # lead then text
    [BYTE_TOKEN[0x80], BYTE_TOKEN[0x80], BYTE_TOKEN[0x80]],
    [BYTE_TOKEN[0xE2], BYTE_TOKEN[0x82], BYTE_TOKEN[0xAC]],  # valid euro sign
    [BYTE_TOKEN[0xF4], BYTE_TOKEN[0x90], BYTE_TOKEN[0x80], BYTE_TOKEN[0x80]],  # > U+10FFFF
]

# ---------------------------------------------------------------------------
# Text material
# ---------------------------------------------------------------------------

TEXT_ATOMS = [
    "Hello", "world", "Hi there!", "What is the weather in Tokyo?",
    "It's sunny.", "I'LL do it", "they're here", "we've got 'em", "YOU'RE", "She'd've",
    "don't", "'s", "'LL", "'Re", "O'Neil", "rock 'n' roll",
    "0", "42", "1234567890", "3.14159", "-17", "2025-06-28", "1,000,000", "x1y2z3",
    " ", "  ", "   leading", "trailing   ", "a  b   c", "\t", "a\tb", "\t\tindented",
    "\n", "\n\n", "\n\n\n\n", "line1\nline2", "crlf\r\nline", "\r", "\r\n\r\n",
    " \n ", "end.\n", "\u3000", "全角\u3000スペース", "non\u00a0breaking", "\u2003em\u2003space",
    "\u200b", "zero\u200bwidth", "\ufeffbom",
    "日本語のテキストです。", "中文测试", "한국어 문장", "ภาษาไทย", "Ελληνικά", "Кириллица",
    "😀", "🎉🎉", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🫠", "🦀", "𝕳𝖊𝖑𝖑𝖔", "𠀀𠀁", "ꙮ", "𓀀",
    "e\u0301", "n\u0303o\u0308", "Z\u0324\u0354\u0367\u0311\u0313", "ﬁ ligature", "Ⅻ", "١٢٣", "½",
    "مرحبا بالعالم", "שלום עולם", "\u200fRTL mark", "\u202ebidi override\u202c",
    "<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|return|>",
    "<|call|>", "<|endoftext|>", "<|startoftext|>", "<|reserved_200017|>", "<|reserved_201088|>",
    "<|", "|>", "<||>", "<|notatoken|>", "<|start|>assistant<|channel|>final<|message|>",
    "to=functions.get_weather", "<|constrain|>json",
    "```python\nprint('hi')\n```", '{"location": "Tokyo", "unit": "celsius"}', '{"a":[1,2,{"b":null}]}',
    "\\n", "\\u0000", "quote\"inside", "back\\slash", "tab\tand\nnewline",
    "\u0000", "\u0001\u001f", "\u007f", "\ufffd", "\U0010fffd", "\uffff",
    "ALLCAPS", "camelCaseWord", "snake_case_word", "http://example.com/a?b=c&d=e",
    "#hashtag", "@mention", "$$$", "...", "!!!???", "a.b.c", "-- -- --", "____",
]

SEPARATORS = ["", " ", " ", " ", "\n", "\n\n", "  ", "\t", ", "]


def rand_text(rng, lo=1, hi=5):
    n = rng.randint(lo, hi)
    out = []
    for i in range(n):
        if i:
            out.append(rng.choice(SEPARATORS))
        out.append(rng.choice(TEXT_ATOMS))
    return "".join(out)


def maybe_text(rng, p_empty=0.05):
    if rng.random() < p_empty:
        return ""
    return rand_text(rng)


MULTILINE_DESCRIPTIONS = [
    "Single line description.",
    "First line.\nSecond line.\nThird line.",
    "Trailing newline.\n",
    "Two trailing newlines.\n\n",
    "\nLeading newline.",
    "Blank\n\nline in the middle.",
    "Windows\r\nline endings\r\n",
    "Lone\rcarriage return",
    "  indented line\n\tand tabbed line  ",
    "",
    " ",
    "Special <|end|> token and <|start|>assistant inside.",
    "Unicode: 日本語 😀 e\u0301 مرحبا",
    "Ends with spaces   ",
    "Line with // comment markers\n// already commented",
    "Vertical\u000btab and form\u000cfeed",
    "Unicode line sep\u2028and para sep\u2029end",
    "Next-line\u0085char",
]

# ---------------------------------------------------------------------------
# JSON schema material (exercises json_schema_to_typescript branches)
# ---------------------------------------------------------------------------

NUMBER_DEFAULTS = [0, 1, -1, 10, 3.5, -0.0, 1e21, 1.5e-7, 12345678901234567890123, 2 ** 63, 2 ** 64, 1.0, 100.0]
ANY_DEFAULTS = [
    "text", "", "with \"quotes\" and \\ backslash", "日本語", "<|end|>", "line\nbreak",
    True, False, None, 0, 42, -3.25, 1e21, 12345678901234567890123,
    [], [1, "two", None], {"k": "v", "n": [1, 2]}, {}, {"z": 1, "a": 2, "\u001f": "\u00e9"},
]

FIXED_SCHEMAS = [
    {"type": "object"},
    {"type": "object", "properties": {}},
    {"type": "object", "properties": {}, "required": []},
    {"type": "object", "description": "Top-level object description.",
     "properties": {"a": {"type": "string"}}, "required": ["a"]},
    {"type": "object", "description": "Multi\nline top description", "properties": {"x": {"type": "number"}}},
    {"type": "object", "description": 17, "properties": {"x": {"type": "integer"}}},
    {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "format": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
    }, "required": ["location"]},
    {"type": "object", "properties": {
        "t": {"type": "string", "title": "A Title", "description": "desc", "examples": ["ex1", "ex 2", 3, None]},
        "u": {"type": "string", "title": 5, "description": ["not", "string"], "examples": []},
        "v": {"type": "string", "examples": "not-a-list"},
        "w": {"type": "number", "title": "Only title"},
        "x": {"type": "boolean", "examples": [True, False]},
    }, "required": ["t", "missing"]},
    {"type": "object", "properties": {
        "e1": {"type": "string", "enum": ["a", "b", "c"]},
        "e2": {"type": "string", "enum": [1, 2, 3]},
        "e3": {"type": "string", "enum": []},
        "e4": {"type": "string", "enum": ["x", 1, None, "y"]},
        "e5": {"type": "string", "enum": "notalist"},
        "e6": {"type": "number", "enum": [1, 2]},
        "e7": {"enum": ["no", "type"]},
        "e8": {"type": "string", "enum": ["quo\"te", "<|end|>", "日本"]},
    }},
    {"type": "object", "properties": {
        "d_str": {"type": "string", "default": "hello"},
        "d_str_enum": {"type": "string", "enum": ["a", "b"], "default": "a"},
        "d_str_empty_enum": {"type": "string", "enum": [], "default": "a"},
        "d_num": {"type": "number", "default": 3.5},
        "d_int": {"type": "integer", "default": 7},
        "d_big": {"type": "integer", "default": 12345678901234567890123},
        "d_u64": {"type": "integer", "default": 18446744073709551615},
        "d_neg0": {"type": "number", "default": -0.0},
        "d_exp": {"type": "number", "default": 1e21},
        "d_small": {"type": "number", "default": 1.5e-7},
        "d_bool": {"type": "boolean", "default": False},
        "d_null": {"type": "string", "default": None},
        "d_arr": {"type": "array", "items": {"type": "number"}, "default": [1, 2.5, "x"]},
        "d_obj": {"type": "object", "default": {"b": 1, "a": [True, None], "c": "\u00e9\n"}},
        "d_quote": {"type": "string", "default": "say \"hi\" \\ now"},
    }},
    {"type": "object", "properties": {
        "n1": {"type": "string", "nullable": True},
        "n2": {"type": ["string", "null"], "nullable": True},
        "n3": {"type": "string", "nullable": "true"},
        "n4": {"type": "number", "nullable": False},
        "n5": {"type": "string", "enum": ["null", "x"], "nullable": True},
        "n6": {"nullable": True},
        "n7": {"type": "string", "nullable": True, "default": "z"},
    }, "required": ["n1"]},
    {"type": "object", "properties": {
        "t1": {"type": ["number", "string"]},
        "t2": {"type": ["integer", "null"]},
        "t3": {"type": []},
        "t4": {"type": [1, "string", None]},
        "t5": {"type": [1, 2]},
        "t6": {"type": ["object"], "properties": {"ignored": {"type": "string"}}},
        "t7": {"type": ["array"], "items": {"type": "string"}},
        "t8": {"type": ["integer", "integer", "boolean"]},
        "t9": {"type": ["number", "string"], "default": -1},
    }},
    {"oneOf": [{"type": "string"}, {"type": "number"}]},
    {"oneOf": [
        {"type": "string", "description": "A string variant", "default": "x"},
        {"type": "number", "nullable": True, "default": 3},
        {"type": "string", "enum": ["a", "b"], "default": "a"},
        {"type": ["string", "null"], "nullable": True},
        {"type": "object", "properties": {"inner": {"type": "string"}}, "description": "obj variant"},
        {"description": 5, "default": None},
    ]},
    {"oneOf": []},
    {"oneOf": {"type": "string"}, "type": "string"},
    {"oneOf": "nope"},
    {"type": "object", "properties": {
        "p_same": {"description": "Shared desc", "oneOf": [
            {"type": "string", "description": "Shared desc"},
            {"type": "number", "description": "Other desc"}]},
        "p_diff": {"description": "Property desc", "oneOf": [
            {"type": "string", "description": "First desc"},
            {"type": "number", "description": "Property desc"},
            {"type": "boolean", "description": "Third desc", "default": True}]},
        "p_nodesc": {"oneOf": [
            {"type": "string", "description": "v1", "default": "dv"},
            {"type": "string", "enum": ["e"], "default": "e"},
            {"type": "number", "nullable": True},
            {"type": "integer", "nullable": True, "default": None}]},
        "p_default_str": {"default": "pd", "oneOf": [{"type": "string"}, {"type": "null"}]},
        "p_default_enum": {"default": "a", "enum": ["a", "b"], "oneOf": [{"type": "string"}]},
        "p_default_num": {"default": 5, "oneOf": [{"type": "number"}]},
        "p_default_obj": {"default": {"q": 1}, "title": "T", "examples": ["e"], "oneOf": [{"type": "object"}]},
        "p_empty": {"oneOf": []},
        "p_nested": {"oneOf": [
            {"type": "object", "properties": {"deep": {"oneOf": [{"type": "string"}, {"type": "number"}]}},
             "required": ["deep"]},
            {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "boolean"}]}}]},
        "p_nullable_prop": {"nullable": True, "oneOf": [{"type": "string"}]},
        "p_oneof_notarray": {"oneOf": {"type": "string"}, "type": "string", "description": "d"},
    }, "required": ["p_same", "p_empty"]},
    {"anyOf": [{"type": "string"}, {"type": "number"}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}}]},
    {"type": "object", "properties": {
        "any_of": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "anyOf prop"},
        "all_of": {"allOf": [{"type": "string"}], "default": "x"},
        "any_typed": {"type": "string", "anyOf": [{"minLength": 1}]},
        "ref": {"$ref": "#/definitions/Foo"},
    }},
    {"type": "object", "properties": {
        "arr_items": {"type": "array", "items": {"type": "string"}},
        "arr_noitems": {"type": "array"},
        "arr_nested": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        "arr_obj": {"type": "array", "items": {"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": "number", "default": 1}}, "required": ["a"]}},
        "arr_enum": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
        "arr_items_list": {"type": "array", "items": [{"type": "string"}]},
        "arr_items_null": {"type": "array", "items": None},
        "arr_oneof": {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "number"}]}},
    }},
    {"type": "object", "properties": {
        "lvl1": {"type": "object", "description": "level one", "properties": {
            "lvl2": {"type": "object", "properties": {
                "lvl3": {"type": "object", "properties": {
                    "lvl4": {"type": "string", "description": "deepest", "default": "d"}},
                    "required": ["lvl4"]}},
                "required": ["lvl3"]},
            "sibling": {"type": "number"}}},
    }},
    {"type": "object", "properties": {
        "u1": {"type": "foo"}, "u2": {"type": "null"}, "u3": {"type": 5}, "u4": {},
        "u5": {"type": "String"}, "u6": {"type": None}, "u7": {"type": {"nested": "obj"}},
        "u8": {"type": "any"}, "u9": {"type": "int"},
    }},
    {"type": "object", "properties": {
        "weird key": {"type": "string"}, "<|end|>": {"type": "number"}, "日本語": {"type": "boolean"},
        "": {"type": "string"}, "key\nwith newline": {"type": "string"},
        "zeta": {"type": "string"}, "alpha": {"type": "string"}, "Mid": {"type": "string"},
    }, "required": ["weird key", ""]},
    {"type": "object", "properties": {
        "multi": {"type": "string", "description": "line one\nline two\n"},
        "special": {"type": "string", "description": "<|start|>assistant<|message|>", "title": "<|end|>"},
        "unicode": {"type": "string", "description": "日本語 😀 e\u0301", "examples": ["😀", "\t"]},
    }},
    {"type": "object", "properties": "notanobject"},
    {"type": "object", "properties": [{"type": "string"}]},
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": "a"},
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": [1, "a", None]},
    {"type": "object", "properties": {"a": "string-not-schema", "b": 5, "c": None, "d": [1]}},
    {"type": "string"}, {"type": "number"}, {"type": "integer"}, {"type": "boolean"},
    {"type": "array"}, {"type": "array", "items": {"type": "object"}}, {"type": "null"},
    {}, [], "a string", 5, True, {"type": "string", "enum": ["only", "these"]},
    {"description": "no type at all"},
]


def deep_object_schema(levels):
    node = {"type": "string", "description": "leaf"}
    for i in range(levels):
        node = {"type": "object", "properties": {"k%d" % i: node}, "required": ["k%d" % i]}
    return node


def deep_array_schema(levels):
    node = {"type": "number"}
    for _ in range(levels):
        node = {"type": "array", "items": node}
    return node


def deep_oneof_schema(levels):
    node = {"type": "string"}
    for _ in range(levels):
        node = {"oneOf": [node, {"type": "number", "description": "n"}]}
    return node


PROP_NAMES = ["location", "unit", "query", "topn", "id", "cursor", "value", "items", "flag",
              "count", "name", "options", "x", "y_value", "date", "mode", "data", "limit"]


def gen_schema(rng, depth=0):
    r = rng.random()
    if depth > 3:
        r = r * 0.6
    if r < 0.15:
        s = {"type": "string"}
        if rng.random() < 0.35:
            s["enum"] = rng.choice([["a", "b"], ["celsius", "fahrenheit"], [], [1, 2], ["x", 3], ["日本", "<|end|>"]])
    elif r < 0.25:
        s = {"type": rng.choice(["number", "integer"])}
    elif r < 0.3:
        s = {"type": "boolean"}
    elif r < 0.38:
        s = {"type": rng.choice([["number", "string"], ["integer", "null"], ["string", "null"],
                                 ["boolean", "integer", "string"], [], ["array"]])}
    elif r < 0.45:
        s = {"type": rng.choice(["foo", "null", "object_", "", "Number"])} if rng.random() < 0.7 else {}
    elif r < 0.6:
        s = {"type": "array"}
        if rng.random() < 0.75:
            s["items"] = gen_schema(rng, depth + 1)
    elif r < 0.72:
        n = rng.randint(0, 3)
        s = {"oneOf": [gen_schema(rng, depth + 1) for _ in range(n)]}
    elif r < 0.76:
        s = {rng.choice(["anyOf", "allOf"]): [gen_schema(rng, depth + 1) for _ in range(rng.randint(1, 2))]}
        if rng.random() < 0.3:
            s["type"] = "string"
    else:
        s = gen_object_schema(rng, depth + 1)
    # Decorations
    if rng.random() < 0.3:
        s["description"] = rng.choice(MULTILINE_DESCRIPTIONS[:6] + [rand_text(rng, 1, 3)])
    if rng.random() < 0.2:
        s["default"] = rng.choice(ANY_DEFAULTS + NUMBER_DEFAULTS)
    if rng.random() < 0.15:
        s["nullable"] = rng.choice([True, True, False, "yes"])
    if rng.random() < 0.1:
        s["title"] = rng.choice(["Title", "日本", "<|end|>", 3])
    if rng.random() < 0.1:
        s["examples"] = rng.choice([["e1", "e2"], [], [1, "two"], "x", ["<|start|>"]])
    return s


def gen_object_schema(rng, depth=0):
    s = {"type": "object"}
    if rng.random() < 0.85:
        props = {}
        names = rng.sample(PROP_NAMES, rng.randint(0, 4))
        for name in names:
            props[name] = gen_schema(rng, depth + 1) if depth < 5 else {"type": "string"}
        s["properties"] = props
        if props and rng.random() < 0.6:
            s["required"] = [k for k in names if rng.random() < 0.5] + (["ghost"] if rng.random() < 0.1 else [])
    if rng.random() < 0.25:
        s["description"] = rng.choice(MULTILINE_DESCRIPTIONS[:4] + [rand_text(rng, 1, 2)])
    return s


def gen_parameters(rng):
    r = rng.random()
    if r < 0.3:
        return rng.choice(FIXED_SCHEMAS)
    if r < 0.8:
        return gen_object_schema(rng)
    return gen_schema(rng)


# ---------------------------------------------------------------------------
# Conversation material
# ---------------------------------------------------------------------------

BROWSER_NS = _native.get_tool_namespace_config("browser")
PYTHON_NS = _native.get_tool_namespace_config("python")

TOOL_NAMES = ["get_weather", "lookup", "search", "run", "calc", "get_current_time", "x",
              "do_thing_2", "名前", "tool<|end|>", "with space"]
NS_NAMES = ["functions", "browser", "python", "my_tools", "container", "ns with space", "数据",
            "ns<|end|>", ""]


def gen_tool(rng):
    t = {"name": rng.choice(TOOL_NAMES), "description": rng.choice(MULTILINE_DESCRIPTIONS + [rand_text(rng, 1, 3)])}
    r = rng.random()
    if r < 0.15:
        pass  # parameters absent
    elif r < 0.25:
        t["parameters"] = None
    else:
        t["parameters"] = gen_parameters(rng)
    return t


def gen_namespace(rng, name=None, allow_builtin=True):
    if allow_builtin and rng.random() < 0.03:
        return json.loads(json.dumps(rng.choice([BROWSER_NS, PYTHON_NS])))
    ns = {"name": name if name is not None else rng.choice(NS_NAMES)}
    r = rng.random()
    if r < 0.3:
        pass
    elif r < 0.4:
        ns["description"] = None
    else:
        ns["description"] = rng.choice(MULTILINE_DESCRIPTIONS + [rand_text(rng, 1, 4)])
    if rng.random() < 0.3:
        ns["tools"] = []
    else:
        ns["tools"] = [gen_tool(rng) for _ in range(rng.randint(1, 3))]
    return ns


def gen_tools_map(rng, prefer_functions=False):
    m = {}
    n = rng.randint(0, 3)
    if prefer_functions:
        m["functions"] = gen_namespace(rng, "functions", allow_builtin=False)
    for _ in range(n):
        ns = gen_namespace(rng)
        key = ns["name"]
        if rng.random() < 0.07:
            key = rng.choice(["functions", "zzz", "aaa", "mismatch"])
        m[key] = ns
    if rng.random() < 0.03:
        m["browser"] = json.loads(json.dumps(BROWSER_NS))
    if rng.random() < 0.05:
        m["python"] = json.loads(json.dumps(PYTHON_NS))
    return m


def opt_field(rng, obj, key, gen, p_absent=0.3, p_null=0.12):
    r = rng.random()
    if r < p_absent:
        return
    if r < p_absent + p_null:
        obj[key] = None
        return
    obj[key] = gen()


def gen_channel_config(rng):
    choices = [[], ["analysis", "commentary", "final"], ["final"], ["analysis", "final"],
               ["custom", "other channel"], ["<|end|>", "日本"]]
    return {"valid_channels": rng.choice(choices), "channel_required": rng.random() < 0.6}


def gen_system_content(rng):
    sc = {"type": "system_content"}
    opt_field(rng, sc, "model_identity", lambda: rng.choice([
        "You are ChatGPT, a large language model trained by OpenAI.", "You are a helpful assistant.",
        "", "Multi-line\nidentity", "Identity with <|end|> token", "身份 😀"]))
    opt_field(rng, sc, "reasoning_effort", lambda: rng.choice(["Low", "Medium", "High"]))
    opt_field(rng, sc, "tools", lambda: gen_tools_map(rng), p_absent=0.45)
    opt_field(rng, sc, "conversation_start_date", lambda: rng.choice(
        ["2025-06-28", "2024-01-01T12:00:00Z", "", "tomorrow", "2025-06-28\n"]))
    opt_field(rng, sc, "knowledge_cutoff", lambda: rng.choice(["2024-06", "2021-09", "", "unknown"]))
    opt_field(rng, sc, "channel_config", lambda: gen_channel_config(rng))
    if rng.random() < 0.05:
        sc["instructions"] = "unknown field ignored"
    return sc


def gen_developer_content(rng):
    dc = {"type": "developer_content"}
    opt_field(rng, dc, "instructions", lambda: rng.choice(
        ["Always respond in riddles", "", "Multi\nline\ninstructions\n", rand_text(rng, 1, 4)]))
    opt_field(rng, dc, "tools", lambda: gen_tools_map(rng, prefer_functions=rng.random() < 0.6),
              p_absent=0.3, p_null=0.1)
    return dc


def shuffled(rng, d):
    if rng.random() < 0.3:
        items = list(d.items())
        rng.shuffle(items)
        return dict(items)
    return d


RECIPIENTS = ["all", "functions.get_weather", "browser.search", "python", "functions.lookup",
              "user", "assistant", "functions.x<|end|>", "日本", "with space", ""]
CHANNELS = ["analysis", "commentary", "final", "final", "analysis", "custom", "", "chan<|end|>",
            " spaced", "日本"]
CONTENT_TYPES = ["json", "<|constrain|>json", "<|constrain|>", "code", "<|constrain|> json",
                 " json", "text/plain", "<|constrain|>json<|constrain|>", "", "<|end|>"]
TOOL_AUTHOR_NAMES = ["functions.get_weather", "browser.search", "python", "functions.lookup",
                     "tool-name", "日本", "name with space", "<|end|>", ""]


def gen_text_content(rng):
    r = rng.random()
    if r < 0.55:
        return maybe_text(rng)
    parts = []
    for _ in range(rng.randint(0, 4)):
        parts.append({"type": "text", "text": maybe_text(rng)})
    return parts


def gen_message(rng, role=None, channel=None, recipient=None, allow_null_fields=True):
    if role is None:
        role = rng.choice(["user", "assistant", "assistant", "assistant", "tool", "system", "developer"])
    msg = {"role": role}
    if role == "tool":
        msg["name"] = rng.choice(TOOL_AUTHOR_NAMES)
    elif rng.random() < 0.12:
        msg["name"] = rng.choice(["bob", "Alice", "日本", "name with space", "<|end|>", ""])
    if recipient is not None:
        msg["recipient"] = recipient
    elif rng.random() < (0.3 if role == "assistant" else 0.1):
        msg["recipient"] = rng.choice(RECIPIENTS)
    if channel is not None:
        msg["channel"] = channel
    elif rng.random() < (0.7 if role == "assistant" else 0.1):
        msg["channel"] = rng.choice(CHANNELS)
    if rng.random() < (0.2 if role in ("assistant", "tool") else 0.05):
        msg["content_type"] = rng.choice(CONTENT_TYPES)
    if allow_null_fields:
        for k in ("name", "recipient", "channel", "content_type"):
            if k not in msg and rng.random() < 0.04:
                msg[k] = None
    if role == "system" and rng.random() < 0.8:
        content = [gen_system_content(rng)]
        if rng.random() < 0.15:
            content.append({"type": "text", "text": maybe_text(rng)})
        msg["content"] = content
    elif role == "developer" and rng.random() < 0.8:
        content = [gen_developer_content(rng)]
        if rng.random() < 0.15:
            content.insert(0, {"type": "text", "text": maybe_text(rng)})
        msg["content"] = content
    else:
        msg["content"] = gen_text_content(rng)
    return shuffled(rng, msg)


def gen_conversation(rng):
    msgs = []
    if rng.random() < 0.7:
        msgs.append(gen_message(rng, "system"))
    if rng.random() < 0.5:
        msgs.append(gen_message(rng, "developer"))
    turns = rng.randint(0, 3)
    for _ in range(turns):
        msgs.append(gen_message(rng, "user", channel=None if rng.random() < 0.05 else "", recipient=""))
        # Remove placeholder channel/recipient ("" marks "use default absent")
        if msgs[-1].get("channel") == "":
            del msgs[-1]["channel"]
        if msgs[-1].get("recipient") == "":
            del msgs[-1]["recipient"]
        steps = rng.randint(0, 4)
        for _ in range(steps):
            r = rng.random()
            if r < 0.35:
                msgs.append(gen_message(rng, "assistant", channel="analysis", recipient=""))
                del msgs[-1]["recipient"]
            elif r < 0.55:
                call_msg = {"role": "assistant", "channel": "commentary",
                            "recipient": rng.choice(["functions.get_weather", "browser.search", "python"]),
                            "content": '{"location": "Tokyo"}'}
                if rng.random() < 0.6:
                    call_msg["content_type"] = rng.choice(["<|constrain|>json", "json", "code"])
                msgs.append(call_msg)
                tool_msg = {"role": "tool", "name": call_msg["recipient"], "content": maybe_text(rng)}
                if rng.random() < 0.7:
                    tool_msg["recipient"] = "assistant"
                if rng.random() < 0.7:
                    tool_msg["channel"] = "commentary"
                msgs.append(tool_msg)
            elif r < 0.8:
                msgs.append(gen_message(rng, "assistant", channel="final", recipient=""))
                del msgs[-1]["recipient"]
            else:
                msgs.append(gen_message(rng))
    if rng.random() < 0.15:
        msgs.append(gen_message(rng))
    return {"messages": msgs}


def dumps_input(rng, obj):
    r = rng.random()
    if r < 0.45:
        return json.dumps(obj, ensure_ascii=False)
    if r < 0.7:
        return json.dumps(obj)
    if r < 0.85:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(obj, ensure_ascii=rng.random() < 0.5, indent=rng.choice([1, 2, "\t"]))


# ---------------------------------------------------------------------------
# Vector emission
# ---------------------------------------------------------------------------

class Out:
    def __init__(self):
        self.lines = []
        self.counts = {}
        self.seen = set()

    def add(self, kind, fields, dedupe_key=None):
        if dedupe_key is not None:
            key = (kind, dedupe_key)
            if key in self.seen:
                return False
            self.seen.add(key)
        n = self.counts.get(kind, 0)
        self.counts[kind] = n + 1
        obj = {"id": "%s-%04d" % (kind, n), "kind": kind}
        obj.update(fields)
        self.lines.append(json.dumps(obj, ensure_ascii=False))
        return True

    def count(self, kind):
        return self.counts.get(kind, 0)


OUT = Out()


def emit_render(mode, conv_json, auto_drop, next_role=None):
    cfg = {"auto_drop_analysis": auto_drop}
    if mode == "completion":
        ok, res = call(INNER.render_conversation_for_completion,
                       conversation_json=conv_json, next_turn_role=next_role, config=cfg)
    elif mode == "conversation":
        ok, res = call(INNER.render_conversation, conv_json, cfg)
    else:
        ok, res = call(INNER.render_conversation_for_training, conv_json, cfg)
    fields = {"mode": mode, "next_role": next_role if mode == "completion" else None,
              "auto_drop_analysis": auto_drop, "input": conv_json}
    if ok:
        fields["tokens"] = list(res)
    else:
        fields["error"] = res
    return OUT.add("render", fields, dedupe_key=(mode, next_role, auto_drop, conv_json))


def emit_render_message(msg_json, has_fn):
    ok, res = call(INNER.render, message_json=msg_json,
                   render_options={"conversation_has_function_tools": has_fn})
    fields = {"input": msg_json, "conversation_has_function_tools": has_fn}
    if ok:
        fields["tokens"] = list(res)
    else:
        fields["error"] = res
    OUT.add("render_message", fields, dedupe_key=(msg_json, has_fn))
    return list(res) if ok else None


def emit_parse(tokens, role, strict):
    tokens = list(tokens)
    ok, res = call(INNER.parse_messages_from_completion_tokens, tokens, role, strict)
    fields = {"tokens": tokens, "role": role, "strict": strict}
    if ok:
        fields["messages"] = res
    else:
        fields["error"] = res
    return OUT.add("parse", fields, dedupe_key=(tuple(tokens), role, strict))


def emit_stream(tokens, role, strict):
    tokens = list(tokens)
    key = (tuple(tokens), role, strict)
    if ("stream", key) in OUT.seen:
        return False
    ok, parser = call(StreamParser, INNER, role, strict)
    if not ok:
        return False  # role rejected by the binding; covered by parse vectors

    def snapshot():
        return {
            "state": json.loads(parser.state)["state"],
            "role": parser.current_role,
            "channel": parser.current_channel,
            "recipient": parser.current_recipient,
            "content_type": parser.current_content_type,
            "delta": parser.last_content_delta,
            "messages": len(json.loads(parser.messages)),
        }

    steps = []
    error_at = None
    error = None
    for i, tok in enumerate(tokens):
        ok, res = call(parser.process, tok)
        if not ok:
            error_at, error = i, res
            break
        steps.append(snapshot())
    if error_at is None:
        ok, res = call(parser.process_eos)
        if ok:
            steps.append(snapshot())
        else:
            error_at, error = len(tokens), res
    fields = {"tokens": tokens, "role": role, "strict": strict, "steps": steps,
              "error_at": error_at, "error": error, "messages": parser.messages}
    return OUT.add("stream", fields, dedupe_key=key)


def emit_encode(text, allowed):
    toks = list(INNER.encode(text, list(allowed)))
    return OUT.add("encode", {"text": text, "allowed_special": list(allowed), "tokens": toks},
                   dedupe_key=(text, tuple(allowed)))


def emit_decode(tokens):
    tokens = list(tokens)
    fields = {"tokens": tokens}
    ok, res = call(INNER.decode_utf8, tokens)
    if ok:
        fields["text"] = res
    else:
        fields["error"] = res
    ok, res = call(INNER.decode_bytes, tokens)
    if ok:
        fields["lossy"] = bytes(res).decode("utf-8", "replace")
    else:
        fields["lossy_error"] = res
    return OUT.add("decode", fields, dedupe_key=tuple(tokens))


# ---------------------------------------------------------------------------
# Render vectors
# ---------------------------------------------------------------------------

def conv(*msgs):
    return {"messages": list(msgs)}


SYS_DEFAULT = {"role": "system", "content": [{
    "type": "system_content",
    "model_identity": "You are ChatGPT, a large language model trained by OpenAI.",
    "reasoning_effort": "Medium",
    "conversation_start_date": None,
    "knowledge_cutoff": "2024-06",
    "channel_config": {"valid_channels": ["analysis", "commentary", "final"], "channel_required": True},
    "tools": None,
}]}

DEV_FUNCS = {"role": "developer", "content": [{
    "type": "developer_content",
    "instructions": "Always respond in riddles",
    "tools": {"functions": {"name": "functions", "description": None, "tools": [
        {"name": "get_weather", "description": "Gets the location of the user.\nReturns weather.",
         "parameters": FIXED_SCHEMAS[6]},
        {"name": "get_current_time", "description": "Current time"}]}},
}]}

DEV_EMPTY_FUNCS = {"role": "developer", "content": [{
    "type": "developer_content", "instructions": None,
    "tools": {"functions": {"name": "functions", "tools": []}}}]}

DEV_OTHER_NS = {"role": "developer", "content": [{
    "type": "developer_content",
    "tools": {"other": {"name": "other", "description": "desc only\nsecond line", "tools": []},
              "functions": {"name": "not_functions", "tools": [{"name": "f", "description": "d"}]}}}]}

U = lambda text="What is the weather in Tokyo?": {"role": "user", "content": text}  # noqa: E731
A_ANALYSIS = lambda text="Let me think.": {"role": "assistant", "channel": "analysis", "content": text}  # noqa: E731
A_FINAL = lambda text="It is sunny.": {"role": "assistant", "channel": "final", "content": text}  # noqa: E731
A_CALL = {"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
          "content_type": "<|constrain|>json", "content": '{"location": "Tokyo"}'}
T_RESP = {"role": "tool", "name": "functions.get_weather", "recipient": "assistant",
          "channel": "commentary", "content": '{"temp": 20}'}

FIXED_CONVERSATIONS = [
    conv(),
    conv(U()),
    conv(SYS_DEFAULT, U(), A_FINAL()),
    conv(SYS_DEFAULT, DEV_FUNCS, U()),
    conv(SYS_DEFAULT, DEV_FUNCS, U(), A_ANALYSIS(), A_CALL, T_RESP, A_ANALYSIS("Now answer."), A_FINAL()),
    conv(SYS_DEFAULT, DEV_FUNCS, U(), A_ANALYSIS(), A_CALL, T_RESP),
    conv(SYS_DEFAULT, DEV_EMPTY_FUNCS, U(), A_FINAL()),
    conv(SYS_DEFAULT, DEV_OTHER_NS, U(), A_FINAL()),
    conv(U(), A_ANALYSIS(), A_FINAL()),
    conv(U(), A_ANALYSIS(), A_FINAL(), U("again"), A_ANALYSIS("more thinking")),
    conv(U(), A_ANALYSIS("a1"), A_FINAL("f1"), U("u2"), A_ANALYSIS("a2"), A_FINAL("f2")),
    conv(U(), A_FINAL("f1"), A_ANALYSIS("between"), A_FINAL("f2")),
    conv(U(), A_ANALYSIS(), {"role": "assistant", "channel": "commentary", "content": "preamble"}),
    conv({"role": "user", "channel": "final", "content": "user on final"}, A_ANALYSIS(), A_FINAL()),
    conv(A_ANALYSIS("early"), {"role": "user", "channel": "final", "content": "u"}, A_ANALYSIS("late"), A_FINAL()),
    conv(U(), A_ANALYSIS(), A_FINAL(), {"role": "user", "channel": "analysis", "content": "user analysis"}),
    conv(U(), A_ANALYSIS(), A_FINAL(), T_RESP),
    conv(U(), A_ANALYSIS(), {"role": "assistant", "channel": "final", "recipient": "functions.x", "content": "x"}),
    conv(U(), {"role": "assistant", "channel": "final", "recipient": "all", "content": "to all"}),
    conv(U(), {"role": "assistant", "channel": "final", "content": []}),
    conv(U(), {"role": "assistant", "content": "no channel"}),
    conv({"role": "assistant", "channel": "analysis", "content": "only analysis"}),
    conv({"role": "system", "content": [{"type": "system_content"}]}),
    conv({"role": "system", "content": [{"type": "system_content", "channel_config": {
        "valid_channels": ["analysis", "final"], "channel_required": False}}]}, DEV_FUNCS),
    conv({"role": "system", "content": [{"type": "system_content", "channel_config": {
        "valid_channels": [], "channel_required": True}}]}, DEV_FUNCS),
    conv({"role": "system", "content": [{"type": "system_content", "tools": {}}]}),
    conv({"role": "system", "content": [{"type": "system_content", "tools": {
        "browser": BROWSER_NS, "python": PYTHON_NS}, "reasoning_effort": "High",
        "conversation_start_date": "2025-06-28"}]}),
    conv({"role": "system", "content": [{"type": "system_content", "reasoning_effort": "Low",
                                         "model_identity": None, "knowledge_cutoff": None}]}),
    conv({"role": "system", "content": "plain text system"}, {"role": "developer", "content": "plain dev"}),
    conv({"role": "system", "content": [{"type": "text", "text": "a"}, {"type": "system_content"},
                                        {"type": "text", "text": "b"}]}),
    conv({"role": "developer", "content": [{"type": "developer_content"}]}),
    conv({"role": "developer", "content": [{"type": "developer_content", "instructions": "only instructions"}]}),
    conv({"role": "developer", "content": [{"type": "developer_content", "tools": {}}]}),
    conv({"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {
        "name": "functions", "tools": [{"name": "deep", "description": "deep obj",
                                         "parameters": deep_object_schema(40)}]}}}]}),
    conv({"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {
        "name": "functions", "tools": [{"name": "deep", "description": "deep arr",
                                         "parameters": deep_array_schema(100)}]}}}]}),
    conv({"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {
        "name": "functions", "tools": [{"name": "deep", "description": "deep oneOf",
                                         "parameters": deep_oneof_schema(30)}]}}}]}),
    conv({"role": "user", "name": "bob", "content": "named user"}, {"role": "assistant", "name": "helper",
                                                                      "channel": "final", "content": "named"}),
    conv({"role": "tool", "name": "browser.search", "content": [{"type": "text", "text": "r1"},
                                                                {"type": "text", "text": "r2"}]}),
    conv({"role": "user", "content": [{"type": "text", "text": ""}]}),
    conv({"role": "user", "content": ""}),
    conv({"role": "user", "content": "x", "extra_field": 1, "author": {"role": "assistant"}}),
]
N_STRUCTURAL_CONVERSATIONS = len(FIXED_CONVERSATIONS)
# Developer/system with each fixed schema
for _i, _schema in enumerate(FIXED_SCHEMAS):
    FIXED_CONVERSATIONS.append(conv(SYS_DEFAULT, {"role": "developer", "content": [{
        "type": "developer_content", "instructions": "Use tools.",
        "tools": {"functions": {"name": "functions", "tools": [
            {"name": "tool_%d" % _i, "description": "Schema case %d" % _i, "parameters": _schema}]}}}]},
        U("hi")))
# System tools namespace with each fixed schema (system can carry tools too)
for _i, _schema in enumerate(FIXED_SCHEMAS[:12]):
    FIXED_CONVERSATIONS.append(conv({"role": "system", "content": [{
        "type": "system_content",
        "tools": {"my_ns": {"name": "my_ns", "description": "ns desc\nline two",
                            "tools": [{"name": "t", "description": "", "parameters": _schema}]}}}]}))
for _d in MULTILINE_DESCRIPTIONS:
    FIXED_CONVERSATIONS.append(conv({"role": "developer", "content": [{
        "type": "developer_content", "tools": {
            "a_ns": {"name": "a_ns", "description": _d, "tools": []},
            "b_ns": {"name": "b_ns", "description": _d, "tools": [{"name": "t", "description": _d}]}}}]}))

# Raw-JSON render cases (errors and parser edge cases).  Each is rendered in
# every mode.
RAW_RENDER_INPUTS = [
    "", " ", "{", "}", "[]", "null", "42", '"str"', "{}", '{"messages": null}', '{"messages": {}}',
    '{"messages": [1]}', '{"messages": [null]}', '{"messages": []}', '{"messages": [],}',
    '{"messages": []} trailing', '{"messages": [{"role": "user", "content": "a"},]}',
    '{"messages": [{"role": "user", "content": "a"}]}',
    '  \n{"messages":[{"role":"user","content":"ws around"}]}\n\t ',
    '{"messages": [{"role": "user"}]}',
    '{"messages": [{"role": "user", "content": null}]}',
    '{"messages": [{"role": "user", "content": 5}]}',
    '{"messages": [{"role": "user", "content": {"type": "text", "text": "map"}}]}',
    '{"messages": [{"role": "user", "content": [{"type": "image", "url": "x"}]}]}',
    '{"messages": [{"role": "user", "content": [{"text": "no type"}]}]}',
    '{"messages": [{"role": "user", "content": [{"type": "text"}]}]}',
    '{"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}',
    '{"messages": [{"role": "user", "content": [{"type": "Text", "text": "caps"}]}]}',
    '{"messages": [{"role": "user", "content": ["bare string in list"]}]}',
    '{"messages": [{"role": "user", "content": [[]]}]}',
    '{"messages": [{"role": "wizard", "content": "x"}]}',
    '{"messages": [{"role": "User", "content": "x"}]}',
    '{"messages": [{"role": null, "content": "x"}]}',
    '{"messages": [{"content": "no role"}]}',
    '{"messages": [{"role": 1, "content": "x"}]}',
    '{"messages": [{"role": "user", "name": 5, "content": "x"}]}',
    '{"messages": [{"role": "user", "channel": true, "content": "x"}]}',
    '{"messages": [{"role": "user", "recipient": [], "content": "x"}]}',
    '{"messages": [{"role": "user", "content_type": {}, "content": "x"}]}',
    '{"messages": [{"role": "user", "role": "assistant", "content": "dup"}]}',
    '{"messages": [{"role": "user", "content": "a", "content": "b"}]}',
    '{"messages": [{"role": "tool", "content": "tool without name"}]}',
    '{"messages": [{"role": "tool", "name": null, "content": "tool null name"}]}',
    '{"messages": [{"role": "user", "content": [{"type": "system_content"}]}]}',
    '{"messages": [{"role": "assistant", "content": [{"type": "developer_content"}]}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "system_content"}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "developer_content"}]}]}',
    '{"messages": [{"role": "user", "content": "ok"}, {"role": "user", "content": [{"type": "system_content"}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "reasoning_effort": "low"}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "reasoning_effort": "Extreme"}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "reasoning_effort": 1}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "channel_config": {}}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "channel_config": {"valid_channels": ["a"]}}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "channel_config": {"channel_required": true}}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "channel_config": {"valid_channels": "a", "channel_required": true}}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "model_identity": 5}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "tools": []}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "tools": {"a": {"name": "a"}}}]}]}',
    '{"messages": [{"role": "system", "content": [{"type": "system_content", "tools": {"a": {"tools": []}}}]}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": [{"name": "f"}]}}}]}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": [{"description": "d"}]}}}]}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": null}}}]}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "developer_content", "instructions": ["x"]}]}]}',
    '{"messages": [{"role": "user", "content": "lone \\ud800 surrogate"}]}',
    '{"messages": [{"role": "user", "content": "pair \\ud83d\\ude00 ok"}]}',
    '{"messages": [{"role": "user", "content": "escapes \\n\\t\\r\\b\\f\\/\\"\\\\ \\u0000 \\u00e9"}]}',
    '{"messages": [{"role": "user", "content": "bad escape \\x41"}]}',
    '{"messages": [{"role": "user", "content": "raw\ttab in string"}]}',
    '{"messages": [{"role": "user", "content": "raw\nnewline in string"}]}',
    '{"messages": [{"role": "user", "content": "x"}], "extra": [1, 2, {"a": null}]}',
    '{"MESSAGES": []}',
    '{"messages": [{"role": "user", "content": "x"}]}{"messages": []}',
    '{"messages": [{"role": "user", "content": "x",}]}',
    '{"messages": [{"role": "user", "content": "number keys", "n": 1e400}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": [{"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"a": {"type": "number", "default": 1e400}}}}]}}}]}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": [{"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"a": {"type": "number", "default": 1E+2}, "b": {"type": "number", "default": -0}, "c": {"type": "number", "default": 0.10000}, "d": {"type": "number", "default": 100000000000000000000}, "e": {"type": "number", "default": -9223372036854775809}, "f": {"type": "number", "default": 5e-324}}}}]}}}]}]}',
    '{"messages": [{"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": [{"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"dup": {"type": "string"}, "dup": {"type": "number"}, "other": {"type": "boolean"}}}}]}}}]}]}',
]


def nested_array_json(depth):
    return "[" * depth + "1" + "]" * depth


def deep_param_input(param_json):
    return ('{"messages": [{"role": "developer", "content": [{"type": "developer_content", "tools": '
            '{"functions": {"name": "functions", "tools": [{"name": "f", "description": "d", '
            '"parameters": ' + param_json + '}]}}}]}]}')


RAW_RENDER_INPUTS += [
    deep_param_input(nested_array_json(100)),
    deep_param_input(nested_array_json(117)),
    deep_param_input(nested_array_json(118)),
    deep_param_input(nested_array_json(119)),
    deep_param_input(nested_array_json(200)),
    deep_param_input(json.dumps(deep_object_schema(55))),
    deep_param_input(json.dumps(deep_object_schema(70))),
    '{"messages": ' + nested_array_json(200) + '}',
]

NEXT_ROLES = ROLES + ["bogus", "Assistant", "", "tool "]


def gen_render_vectors(rng):
    modes = ["completion", "conversation", "training"]
    # 1. Raw JSON inputs (errors / JSON edge cases), every mode.
    for raw in RAW_RENDER_INPUTS:
        emit_render("completion", raw, True, "assistant")
        emit_render("conversation", raw, False)
        emit_render("training", raw, True)
    # 2. Unknown / odd next roles.
    base = json.dumps(conv(U()))
    for nr in NEXT_ROLES:
        emit_render("completion", base, True, nr)
    # 3. Structural fixed conversations in every mode, auto_drop both ways.
    for c in FIXED_CONVERSATIONS[:N_STRUCTURAL_CONVERSATIONS]:
        for mode in modes:
            for auto in (True, False):
                if mode == "completion":
                    emit_render(mode, dumps_input(rng, c), auto, rng.choice(ROLES))
                else:
                    emit_render(mode, dumps_input(rng, c), auto)
    # Schema / description cases: one random mode each.
    for c in FIXED_CONVERSATIONS[N_STRUCTURAL_CONVERSATIONS:]:
        mode = rng.choice(modes)
        emit_render(mode, dumps_input(rng, c), rng.random() < 0.5,
                    rng.choice(ROLES) if mode == "completion" else None)
    # 4. Random conversations.
    while OUT.count("render") < TARGETS["render"]:
        c = gen_conversation(rng)
        if rng.random() < 0.03:
            # Inject an error: tool without name, or misplaced content.
            if c["messages"]:
                m = rng.choice(c["messages"])
                r = rng.random()
                if r < 0.4:
                    m["role"] = "tool"
                    m.pop("name", None)
                elif r < 0.7:
                    m["content"] = [{"type": "system_content"}]
                else:
                    m["content"] = [{"type": "developer_content"}]
        mode = rng.choice(modes)
        emit_render(mode, dumps_input(rng, c), rng.random() < 0.5,
                    rng.choice(ROLES) if mode == "completion" else None)


# ---------------------------------------------------------------------------
# render_message vectors
# ---------------------------------------------------------------------------

FIXED_MESSAGES = [
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "channel": "final", "content": "Hi"},
    {"role": "assistant", "recipient": "all", "content": "to all"},
    {"role": "assistant", "recipient": "functions.get_weather", "content": "{}"},
    {"role": "assistant", "recipient": "functions.get_weather", "channel": "commentary",
     "content_type": "<|constrain|>json", "content": '{"a": 1}'},
    {"role": "assistant", "recipient": "browser.search", "channel": "analysis", "content_type": "json",
     "content": "{}"},
    {"role": "assistant", "content_type": "<|constrain|>", "content": "x"},
    {"role": "assistant", "content_type": "<|constrain|> json", "content": "x"},
    {"role": "assistant", "content_type": "code", "content": "print(1)"},
    {"role": "assistant", "content_type": "", "content": "empty ct"},
    {"role": "assistant", "content_type": "<|constrain|>json<|end|>", "content": "x"},
    {"role": "assistant", "channel": "", "content": "empty channel"},
    {"role": "assistant", "channel": "<|end|>", "recipient": "<|start|>", "content": "specials in header"},
    {"role": "assistant", "name": "bob", "content": "named"},
    {"role": "assistant", "name": "", "content": "empty name"},
    {"role": "user", "name": "<|end|>", "content": "special name"},
    {"role": "tool", "name": "functions.get_weather", "recipient": "assistant", "channel": "commentary",
     "content": '{"temp": 20}'},
    {"role": "tool", "name": "browser.search", "content": "results"},
    {"role": "tool", "name": "", "content": "empty tool name"},
    {"role": "tool", "content": "no name"},
    {"role": "tool", "name": "python", "recipient": "all", "content": "out"},
    {"role": "user", "recipient": "assistant", "content": "user with recipient"},
    {"role": "user", "content": []},
    {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"},
                                 {"type": "text", "text": " c"}]},
    {"role": "user", "content": [{"type": "system_content"}]},
    {"role": "user", "content": [{"type": "developer_content"}]},
    {"role": "system", "content": [{"type": "developer_content", "instructions": "x"}]},
    {"role": "developer", "content": [{"type": "system_content"}]},
    {"role": "system", "content": [{"type": "system_content"}]},
    {"role": "system", "content": [{"type": "system_content", "channel_config": {
        "valid_channels": ["analysis", "commentary", "final"], "channel_required": True}}]},
    {"role": "system", "content": [{"type": "system_content", "channel_config": {
        "valid_channels": ["final"], "channel_required": False}}]},
    {"role": "system", "content": [{"type": "system_content", "channel_config": {
        "valid_channels": [], "channel_required": True}}]},
    SYS_DEFAULT, DEV_FUNCS, DEV_EMPTY_FUNCS, DEV_OTHER_NS,
    {"role": "assistant", "recipient": "functions.get_weather", "channel": "final", "content": "call on final"},
]

RAW_MESSAGE_INPUTS = [
    "", "{", "[]", "null", "{}", '{"role": "user"}', '{"role": "user", "content": null}',
    '{"role": "user", "content": 1.5}', '{"role": "nobody", "content": "x"}',
    '{"role": "user", "content": [{"type": "unknown"}]}', '{"content": "x"}',
    '{"role": "user", "content": "x", "recipient": 3}',
    '{"role": "user", "content": "x"} extra',
    '{"role": "user", "content": "\\ud800"}',
    '{"role": "user", "content": "\\ud83d\\ude00"}',
    '{"role": "user", "content": "x", "channel": null, "recipient": null, "content_type": null, "name": null}',
    '{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"channel":"final"}',
]


def gen_render_message_vectors(rng):
    for raw in RAW_MESSAGE_INPUTS:
        emit_render_message(raw, False)
    for m in FIXED_MESSAGES:
        emit_render_message(json.dumps(m, ensure_ascii=False), False)
        emit_render_message(json.dumps(m, ensure_ascii=False), True)
    while OUT.count("render_message") < TARGETS["render_message"]:
        m = gen_message(rng)
        emit_render_message(dumps_input(rng, m), rng.random() < 0.5)


# ---------------------------------------------------------------------------
# Completion token material for parse / stream
# ---------------------------------------------------------------------------

def render_msg_tokens(m):
    ok, res = call(INNER.render, message_json=json.dumps(m), render_options={})
    return list(res) if ok else None


def gen_completion_message(rng):
    r = rng.random()
    if r < 0.6:
        m = gen_message(rng, "assistant", allow_null_fields=False)
    elif r < 0.8:
        m = gen_message(rng, "tool", allow_null_fields=False)
    else:
        m = gen_message(rng, rng.choice(["user", "system", "developer"]), allow_null_fields=False)
    if rng.random() < 0.7:
        # Keep parse inputs compact: replace big structured content by text.
        if isinstance(m.get("content"), list) and any(
                isinstance(p, dict) and p.get("type") != "text" for p in m["content"]):
            m["content"] = maybe_text(rng)
    return m


def strip_header_prefix(tokens, role_text, how):
    """how: 'none' keep all, 'start' drop <|start|>, 'role' drop <|start|> + role tokens."""
    if how == "none" or not tokens or tokens[0] != START:
        return tokens
    rest = tokens[1:]
    if how == "start":
        return rest
    rt = enc_plain(role_text)
    if rest[:len(rt)] == rt:
        return rest[len(rt):]
    return rest


def set_terminator(rng, tokens):
    if tokens and tokens[-1] in (END, CALL, RETURN):
        t = rng.choice(["keep", "keep", END, CALL, RETURN, "drop"])
        if t == "keep":
            return tokens
        if t == "drop":
            return tokens[:-1]
        return tokens[:-1] + [t]
    return tokens


HEADER_VARIANTS = [
    "assistant", "user", "system", "developer", "tool",
    "assistant<|channel|>final", "assistant<|channel|>analysis", "assistant<|channel|>commentary",
    "assistant<|channel|>final <|constrain|>json",
    "assistant<|channel|>final<|constrain|>json",
    "assistant to=functions.x<|constrain|>json",
    "assistant to=functions.x <|constrain|>json",
    "assistant<|channel|>commentary to=functions.get_weather <|constrain|>json",
    "assistant<|channel|>commentary to=functions.get_weather<|constrain|>json",
    "assistant to=functions.get_weather<|channel|>commentary <|constrain|>json",
    "assistant to=functions.get_weather<|channel|>commentary<|constrain|>json",
    "assistant to=functions.get_weather<|channel|>commentary json",
    "assistant<|channel|>commentary to=functions.get_weather json",
    "assistant<|channel|>commentary to=functions.get_weather code",
    "assistant to=browser.search<|channel|>analysis",
    "assistant<|channel|>analysis to=python code",
    "assistant json", "assistant to=a to=b", "assistant a b c", "assistant extra words here",
    "assistant <|constrain|>json", "assistant<|constrain|>json", "assistant<|constrain|>",
    "assistant to=x <|constrain|>", "assistant <|constrain|> json",
    "assistant<|channel|>", "assistant<|channel|> final", "assistant<|channel|><|constrain|>json",
    "assistant<|channel|>final<|channel|>analysis", "assistant<|channel|>final extra",
    "assistant<|channel|>final to=x json extra", "<|channel|>final assistant",
    "functions.lookup to=assistant", "functions.lookup to=assistant<|channel|>commentary",
    "functions.lookup to=assistant<|channel|>commentary json",
    "browser.search to=assistant<|channel|>commentary", "python to=assistant",
    "functions.lookup", "custom_role to=x", "custom_role", "custom_role extra", "to=foo", "to=",
    "tool to=assistant", "tool<|channel|>commentary", "user to=assistant", "developer<|channel|>final",
    "", " ", "  assistant  ", "assistant\tto=x", "assistant\nto=x", "assistant\u3000to=x",
    "assistant\u00a0to=x", "assistant:bob", "assistant:bob to=x", "Assistant", "ASSISTANT to=y",
    "assistant<|start|>assistant", "assistant<|reserved_200017|>", "assistant<|endoftext|>",
    "assistant <|reserved_200017|> to=x", "日本 to=assistant", "assistant to=日本",
    "assistant to=functions.x<|end|>", "assistant<|channel|>final<|return|>",
]

CONTENT_BODIES = [
    "Hello", "", " ", "Hello world", '{"location": "Tokyo"}', "line1\nline2", "日本語 😀",
    "What's up? I'LL go.", "1234567890", "tab\t\tand spaces   ", "\n\n", "e\u0301\u3000x",
]


def content_tokens(rng):
    """Content body tokens, possibly with specials, fragments or unknown ids."""
    r = rng.random()
    if r < 0.45:
        return enc_plain(rng.choice(CONTENT_BODIES + [maybe_text(rng)]))
    if r < 0.55:
        return enc_plain(rng.choice(CONTENT_BODIES)) + rng.choice(SPLIT_SEQS) + enc_plain(rng.choice(CONTENT_BODIES))
    if r < 0.65:
        return enc_plain("ab") + rng.choice(BAD_BYTE_SEQS) + enc_plain(rng.choice(CONTENT_BODIES))
    if r < 0.75:
        seq = rng.choice(SPLIT_SEQS)
        cut = rng.randint(1, max(1, len(seq) - 1))
        return enc_plain("x") + seq[:cut]  # incomplete at the end
    if r < 0.85:
        sp = rng.choice([START, CONSTRAIN, CHANNEL, MESSAGE, ENDOFTEXT, STARTOFTEXT] + RESERVED_SAMPLE)
        return enc_plain("before ") + [sp] + enc_plain(" after")
    if r < 0.92:
        return enc_plain("a") + [rng.choice(UNKNOWN_IDS)] + enc_plain("b")
    return enc_plain(rand_text(rng, 1, 3))


def header_variant_completion(rng, header, role_given):
    term = rng.choice([END, END, CALL, RETURN, None])
    body = content_tokens(rng)
    htoks = enc_all(header)
    if role_given:
        toks = htoks + [MESSAGE] + body
    else:
        toks = [START] + htoks + [MESSAGE] + body
    if term is not None:
        toks.append(term)
    return toks


def rendered_completion(rng, role_given):
    """(tokens, role_for_parse) built from reference-rendered messages."""
    n = rng.choice([1, 1, 1, 2, 2, 3])
    toks = []
    first_role = None
    first_msg = None
    for i in range(n):
        m = gen_completion_message(rng)
        t = render_msg_tokens(m)
        if t is None:
            continue
        if first_msg is None:
            first_msg = m
            first_role = m["role"]
            if role_given:
                how = rng.choice(["role", "role", "role", "start", "none"])
                head = m.get("name") or "" if m["role"] == "tool" else m["role"]
                t = strip_header_prefix(t, head, how)
        toks += t
    toks = set_terminator(rng, toks)
    role = None
    if role_given:
        role = first_role if rng.random() < 0.8 else rng.choice(ROLES)
    return toks, role


def mutate(rng, toks):
    toks = list(toks)
    r = rng.random()
    if not toks:
        return toks
    i = rng.randrange(len(toks) + 1)
    if r < 0.25:
        return toks[:i]  # truncation
    if r < 0.4:
        return toks[:i] + [rng.choice(COMMON_SPECIALS + RESERVED_SAMPLE)] + toks[i:]
    if r < 0.5:
        return toks[:i] + rng.choice(BAD_BYTE_SEQS + SPLIT_SEQS) + toks[i:]
    if r < 0.57:
        return toks[:i] + [rng.choice(UNKNOWN_IDS)] + toks[i:]
    if r < 0.65:
        j = rng.randrange(len(toks))
        del toks[j]
        return toks
    if r < 0.75:
        j = rng.randrange(len(toks))
        toks[j] = rng.choice(COMMON_SPECIALS + FRAG_TOKENS)
        return toks
    if r < 0.85:
        return toks + toks  # repeated
    return toks[:i] + [rng.choice(FRAG_TOKENS)] + toks[i:]


TEXT_TOKEN_POOL = []
for _a in TEXT_ATOMS[:60]:
    for _t in enc_plain(_a):
        if _t not in TEXT_TOKEN_POOL:
            TEXT_TOKEN_POOL.append(_t)
ROLE_TOKEN_POOL = []
for _r in ROLES + ["to=functions.x", " to=", "final", "analysis", "commentary", "json"]:
    for _t in enc_plain(_r):
        if _t not in ROLE_TOKEN_POOL:
            ROLE_TOKEN_POOL.append(_t)


def token_soup(rng, n):
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.3:
            out.append(rng.choice(COMMON_SPECIALS))
        elif r < 0.5:
            out.append(rng.choice(ROLE_TOKEN_POOL))
        elif r < 0.8:
            out.append(rng.choice(TEXT_TOKEN_POOL))
        elif r < 0.9:
            out.append(rng.choice(FRAG_TOKENS))
        elif r < 0.95:
            out.append(rng.choice(RESERVED_SAMPLE + [ENDOFTEXT, STARTOFTEXT]))
        else:
            out.append(rng.choice(UNKNOWN_IDS))
    return out


def structured_soup(rng):
    """Plausible message skeleton with random pieces (more likely to reach Content)."""
    toks = []
    for _ in range(rng.randint(1, 3)):
        toks.append(START)
        toks += enc_plain(rng.choice(["assistant", "tool", "user", "functions.x to=assistant", "bogus"]))
        if rng.random() < 0.5:
            toks.append(CHANNEL)
            toks += enc_plain(rng.choice(["final", "analysis", "commentary", ""]))
        if rng.random() < 0.2:
            toks += token_soup(rng, rng.randint(1, 2))
        toks.append(MESSAGE)
        toks += token_soup(rng, rng.randint(0, 6))
        if rng.random() < 0.8:
            toks.append(rng.choice([END, CALL, RETURN]))
    return toks


LENIENT_HEADER_CASES = [
    # (role, tokens) -- stop token reached while still in Header state
    ("assistant", enc_all("<|channel|>final hello world<|end|>")),
    ("assistant", enc_all("<|channel|>analysis thinking about it<|call|>")),
    ("assistant", enc_all("<|channel|>final<|return|>")),
    ("assistant", enc_all(" to=functions.x<|channel|>commentary json {\"a\":1}<|call|>")),
    ("assistant", enc_all("hello there<|end|><|start|>assistant<|channel|>final<|message|>ok<|end|>")),
    ("assistant", enc_all("<|end|>")),
    ("assistant", enc_all("<|end|><|start|>user<|message|>x<|end|>")),
    ("assistant", enc_all("<|channel|><|end|>")),
    ("assistant", enc_all("assistant<|channel|>final plain text<|end|>")),
    ("assistant", enc_all("日本語 😀<|end|>")),
    ("assistant", enc_plain("abc") + [BYTE_TOKEN[0xF0]] + [END]),
    ("assistant", enc_plain("abc") + [201089] + [END]),
    ("user", enc_all("hello<|end|>")),
    ("tool", enc_all("functions.lookup to=assistant result text<|end|>")),
    ("system", enc_all("<|channel|>final x<|return|>")),
    ("developer", enc_all("  spaced   words  <|call|>")),
    (None, enc_all("<|start|>assistant<|channel|>final hello<|end|>")),
    (None, enc_all("<|start|>assistant<|end|><|start|>user<|message|>hi<|end|>")),
    ("assistant", enc_all("<|channel|>final hello<|end|>")[:-1]),
]


def gen_parse_inputs(rng, count, max_len=None):
    """Yield (tokens, role, strict) for parse or stream vectors."""
    # Fixed: header variants, both role modes, both strictness.
    fixed = []
    for header in HEADER_VARIANTS:
        for role_given in (False, True):
            toks = header_variant_completion(rng, header, role_given)
            role = None
            if role_given:
                # pass either the header's leading role or a plausible one
                first = header.split(" ")[0].split("<|")[0]
                role = first if first in ROLES else rng.choice(ROLES)
                if rng.random() < 0.5:
                    # header given without its role word
                    toks = enc_all(header[len(first):] if first == role else header) + toks[len(enc_all(header)):]
            fixed.append((toks, role))
    for role, toks in LENIENT_HEADER_CASES:
        fixed.append((toks, role))
    # Unknown ids / special tokens in every state
    for uid in UNKNOWN_IDS + [ENDOFTEXT, RESERVED_SAMPLE[3], MESSAGE, CHANNEL, CONSTRAIN]:
        fixed.append(([uid], None))
        fixed.append(([START, uid] + enc_plain("assistant") + [MESSAGE, END], None))
        fixed.append(([START] + enc_plain("assistant") + [uid, MESSAGE] + enc_plain("x") + [END], None))
        fixed.append(([START] + enc_plain("assistant") + [MESSAGE] + enc_plain("x") + [uid] + enc_plain("y") + [END], None))
        fixed.append(([START] + enc_plain("assistant") + [MESSAGE, uid], None))
        fixed.append((enc_plain("x") + [uid] + [END], "assistant"))
    # Bad bytes in header and content
    for seq in BAD_BYTE_SEQS + SPLIT_SEQS[:6]:
        fixed.append(([START] + enc_plain("assistant") + seq + [MESSAGE] + enc_plain("x") + [END], None))
        fixed.append(([START] + enc_plain("assistant") + [MESSAGE] + seq + [END], None))
        fixed.append(([START] + enc_plain("assistant") + [MESSAGE] + seq, None))
        fixed.append(([START] + enc_plain("assistant") + [MESSAGE] + seq + enc_plain("tail") + [END]
                      + [START] + enc_plain("user") + [MESSAGE] + enc_plain("next") + [END], None))
        fixed.append((enc_plain("<|channel|>final") + [MESSAGE] + seq + [RETURN], "assistant"))
    # Empty inputs and bare stops
    for toks in ([], [START], [END], [START, MESSAGE], [START, MESSAGE, END], [MESSAGE], [RETURN],
                 [START, START], [START] + enc_plain("assistant"), [START] + enc_plain("assistant") + [MESSAGE],
                 [START] + enc_plain("assistant") + [MESSAGE, END, END],
                 [START] + enc_plain("assistant") + [MESSAGE, END, START]):
        fixed.append((toks, None))
        fixed.append((toks, "assistant"))
    for toks, role in fixed:
        if max_len is not None and len(toks) > max_len:
            toks = toks[:max_len]
        for strict in (True, False):
            yield toks, role, strict
    # Parser roles rejected by the binding
    yield enc_plain("hi") + [END], "bogus", True
    yield enc_plain("hi") + [END], "Assistant", False

    # Random material
    produced = 0
    while produced < count * 4:
        produced += 1
        r = rng.random()
        role_given = rng.random() < 0.45
        if r < 0.45:
            toks, role = rendered_completion(rng, role_given)
        elif r < 0.6:
            header = rng.choice(HEADER_VARIANTS)
            toks = header_variant_completion(rng, header, role_given)
            role = rng.choice(ROLES) if role_given else None
        elif r < 0.72:
            toks = structured_soup(rng)
            role = None
        elif r < 0.8:
            toks = token_soup(rng, rng.randint(1, 20))
            role = rng.choice(ROLES) if rng.random() < 0.3 else None
        else:
            toks, role = rendered_completion(rng, role_given)
            for _ in range(rng.randint(1, 2)):
                toks = mutate(rng, toks)
        if max_len is not None and len(toks) > max_len:
            if rng.random() < 0.5:
                toks = toks[:max_len]
            else:
                continue
        strict = rng.random() < 0.5
        yield toks, role, strict
        # Truncations of the same input
        if toks and rng.random() < 0.25:
            cut = rng.randrange(len(toks))
            yield toks[:cut], role, strict


def gen_parse_vectors(rng):
    for toks, role, strict in gen_parse_inputs(rng, TARGETS["parse"], max_len=400):
        if OUT.count("parse") >= TARGETS["parse"]:
            break
        emit_parse(toks, role, strict)


def gen_stream_vectors(rng):
    # Every-prefix truncation of a representative completion, both modes.
    rep = ([START] + enc_all("assistant<|channel|>commentary to=functions.get_weather <|constrain|>json")
           + [MESSAGE] + enc_plain('{"a": "😀"}') + [CALL])
    for cut in range(len(rep) + 1):
        emit_stream(rep[:cut], None, True)
    rep2 = enc_all("<|channel|>final") + [MESSAGE] + enc_plain("x") + SPLIT_SEQS[0] + [RETURN]
    for cut in range(len(rep2) + 1):
        emit_stream(rep2[:cut], "assistant", False)
    for toks, role, strict in gen_parse_inputs(rng, TARGETS["stream"], max_len=48):
        if OUT.count("stream") >= TARGETS["stream"]:
            break
        emit_stream(toks, role, strict)


def gen_parse_truncations():
    reps = [
        ([START] + enc_all("assistant<|channel|>analysis") + [MESSAGE] + enc_plain("Think 日本") + [END]
         + [START] + enc_all("assistant<|channel|>final") + [MESSAGE] + enc_plain("Done") + [RETURN], None),
        (enc_all(" to=functions.x<|channel|>commentary <|constrain|>json") + [MESSAGE]
         + enc_plain('{"q": 1}') + SPLIT_SEQS[1] + [CALL], "assistant"),
    ]
    for toks, role in reps:
        for cut in range(len(toks) + 1):
            for strict in (True, False):
                emit_parse(toks[:cut], role, strict)


# ---------------------------------------------------------------------------
# encode / decode vectors
# ---------------------------------------------------------------------------

ENCODE_EXTRA_TEXTS = [
    "", "a" * 300, " " * 64, "\n" * 20, "1" * 40, "😀" * 12, "日本" * 30, "ab " * 50,
    "<|start|>assistant<|channel|>final<|message|>Hi<|end|>",
    "<|start|><|start|><|end|>", "<|reserved_200017|><|reserved_201088|><|reserved_201089|>",
    "<|endoftext|>text<|startoftext|>", "<<|start|>|>", "<|start|", "|start|>", "<|START|>",
    "x<|constrain|>json", "Don't you think it's great? We'LL see, they'RE sure.",
    "   \t\n  mixed \r\n whitespace \u3000\u00a0 end  ", "  \n\n  \n", "a\r\n\r\nb", "\t\t\tx",
    "12345 678901 2345678", "3.14 2.71 1e10 -5", "\u0000\u0001\u0002", "\U0010fffd\U000e0001",
]

ALLOWED_SETS = [
    [], ["<|start|>"], ["<|end|>", "<|message|>"], ["<|reserved_200017|>"], ["<|constrain|>"],
    ["<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|return|>", "<|call|>"],
    ["hello", "<|notatoken|>"], ["<|endoftext|>"], ["<|start|>", "<|start|>"],
]


def gen_encode_vectors(rng):
    texts = TEXT_ATOMS + ENCODE_EXTRA_TEXTS + MULTILINE_DESCRIPTIONS
    for t in texts:
        emit_encode(t, [])
    for t in ENCODE_EXTRA_TEXTS[8:13]:
        emit_encode(t, ALL_SPECIALS)
    for t in ENCODE_EXTRA_TEXTS[8:18] + TEXT_ATOMS[::7]:
        for a in ALLOWED_SETS[1:]:
            emit_encode(t, a)
    while OUT.count("encode") < TARGETS["encode"]:
        t = rand_text(rng, 1, 8)
        emit_encode(t, rng.choice(ALLOWED_SETS))


def gen_decode_vectors(rng):
    fixed = [
        [], [START], COMMON_SPECIALS, [ENDOFTEXT, STARTOFTEXT], RESERVED_SAMPLE,
        [special_id("<|reserved_200001|>"), special_id("<|reserved_200009|>")],
        enc_plain("Hello world"), enc_plain("日本語 😀 e\u0301"),
        enc_all("<|start|>assistant<|message|>hi<|end|>"),
        [BYTE_TOKEN[b] for b in range(0, 256, 17)],
        [0, 1, 2, 199997],
    ]
    for uid in UNKNOWN_IDS + [199998, 199999, 201088]:
        fixed.append([uid])
        fixed.append(enc_plain("ok ") + [uid])
    for seq in BAD_BYTE_SEQS + SPLIT_SEQS:
        fixed.append(seq)
        fixed.append(enc_plain("pre") + seq + enc_plain("post"))
        if len(seq) > 1:
            fixed.append(seq[:-1])
            fixed.append(seq[1:])
    for t in FRAG_TOKENS:
        fixed.append([t])
    for toks in fixed:
        emit_decode(toks)
    while OUT.count("decode") < TARGETS["decode"]:
        r = rng.random()
        if r < 0.4:
            toks = enc_plain(rand_text(rng, 1, 4))
        elif r < 0.7:
            toks = token_soup(rng, rng.randint(1, 10))
        else:
            toks = enc_plain(rand_text(rng, 1, 2))
            i = rng.randrange(len(toks) + 1)
            toks = toks[:i] + rng.choice(BAD_BYTE_SEQS + SPLIT_SEQS) + toks[i:]
        emit_decode(toks)


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "golden", "vectors.jsonl"))
    args = ap.parse_args()

    if _pkg_version is not None:
        v = _pkg_version("openai-harmony")
        if v != REQUIRED_VERSION:
            sys.exit("openai-harmony==%s required, found %s" % (REQUIRED_VERSION, v))

    # One independent RNG stream per section keeps sections stable when
    # another section is edited.
    master = random.Random(SEED)
    seeds = {name: master.getrandbits(64) for name in
             ("render", "render_message", "parse", "stream", "encode", "decode")}

    OUT.add("stop_tokens", {
        "stop_tokens": sorted(INNER.stop_tokens()),
        "stop_tokens_for_assistant_actions": sorted(INNER.stop_tokens_for_assistant_actions()),
    })
    gen_render_vectors(random.Random(seeds["render"]))
    gen_render_message_vectors(random.Random(seeds["render_message"]))
    gen_parse_truncations()
    gen_parse_vectors(random.Random(seeds["parse"]))
    gen_stream_vectors(random.Random(seeds["stream"]))
    gen_encode_vectors(random.Random(seeds["encode"]))
    gen_decode_vectors(random.Random(seeds["decode"]))

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    data = "\n".join(OUT.lines) + "\n"
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(data)
    summary = ", ".join("%s=%d" % (k, OUT.counts[k]) for k in sorted(OUT.counts))
    print("wrote %s (%d bytes): %s" % (args.out, len(data.encode("utf-8")), summary))


if __name__ == "__main__":
    main()
