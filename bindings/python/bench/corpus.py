"""Deterministic inputs of the Python benchmarks: the generator of the Rust benchmarks
(``benches/support/corpus.rs``: SplitMix64, the same word list, prose, conversation and
completion), transcribed, so that both measure the same kind of input; and real text taken from
this machine's gettext catalogues (``/usr/share/locale``), as ``benches/support/realtext.rs``
does for the Rust real-text benchmarks.

Everything is returned as plain data (JSON text, strings, token lists) and turned into each
package's objects by the caller, so that both packages get identical inputs.
"""

from __future__ import annotations

import glob
import json
import os
import struct
from typing import Any, Dict, Iterator, List, Optional, Sequence

_MASK = (1 << 64) - 1


class Rng:
    """SplitMix64 (``corpus::Rng``): every run benchmarks the same bytes."""

    def __init__(self, seed: int) -> None:
        self.state = (seed ^ 0x9E3779B97F4A7C15) & _MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n

    def pick(self, xs: Sequence[Any]) -> Any:
        return xs[self.below(len(xs))]


WORDS = """the of and to a in is it you that he was for on are with as I his they be at one have this
from or had by not word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make thing
see him two has look more day could go come did number sound no most people my over know water than call
first who may down side been now find any new work part take get place made live where after back little
only round man year came show every good me give our under name very through just form sentence great
think say help low line differ turn cause much mean before move right boy old too same tell does set
three want air well also play small end put home read hand port large spell add even land here must big
high such follow act why ask men change went light kind off need house picture try us again animal point
mother world near build self earth father weather forecast temperature function request response
parameter location degrees Celsius Tokyo Paris tomorrow analysis however because therefore result user
question answer don't it's we're they'll I'm can't model value string object list""".split()


def prose(r: Rng, words: int) -> str:
    """About ``words`` words of English-like prose (``corpus::prose``)."""
    out: List[str] = []
    in_sentence = 0
    sentence_len = 8 + r.below(14)
    for i in range(words):
        w = r.pick(WORDS)
        if r.below(40) == 0:
            w = str(r.below(2030))
        if in_sentence == 0:
            w = w[:1].upper() + w[1:]
            if i > 0 and not (out and out[-1].endswith("\n")):
                out.append(" ")
        else:
            out.append(" ")
        out.append(w)
        in_sentence += 1
        if in_sentence == sentence_len:
            out.append(r.pick([".", ".", ".", "?", "!"]))
            in_sentence = 0
            sentence_len = 8 + r.below(14)
            if r.below(6) == 0:
                out.append("\n\n")
        elif r.below(9) == 0:
            out.append(",")
    if in_sentence > 0:
        out.append(".")
    return "".join(out)


def _tool(name: str, description: str, params: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"name": name, "description": description}
    if params is not None:
        out["parameters"] = params
    return out


def tools() -> Dict[str, Any]:
    return {
        "functions": {
            "name": "functions",
            "tools": [
                _tool("get_weather", "Gets the current weather for a location.", {
                    "type": "object",
                    "properties": {
                        "location": {"type": "string", "description": "City and country, e.g. Paris, France"},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                    },
                    "required": ["location"],
                }),
                _tool("search_documents", "Full-text search over the user's documents.\nReturns the best matches first.", {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for"},
                        "limit": {"type": "integer", "default": 10},
                        "filters": {"type": "object", "properties": {
                            "author": {"type": "string"},
                            "after": {"type": "string", "description": "ISO date"},
                            "tags": {"type": "array", "items": {"type": "string"}},
                        }},
                    },
                    "required": ["query"],
                }),
                _tool("create_event", "Creates a calendar event.", {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string"},
                        "start": {"type": "string", "description": "Start time, RFC 3339"},
                        "duration_minutes": {"type": "number"},
                        "attendees": {"type": "array", "items": {"type": "string"}},
                        "visibility": {"oneOf": [{"type": "string", "enum": ["public", "private"]}, {"type": "null"}]},
                    },
                    "required": ["title", "start"],
                }),
                _tool("get_time", "Current time in UTC.", None),
            ],
        }
    }


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def conversation_json(turns: int) -> str:
    """A gpt-oss conversation with ``turns`` user turns, each answered with analysis, a tool
    call, the tool's answer and a final answer (``corpus::conversation``), as JSON."""
    r = Rng(42 + turns)
    msgs: List[Dict[str, Any]] = [
        {"role": "system", "content": [{
            "type": "system_content",
            "model_identity": "You are ChatGPT, a large language model trained by OpenAI.",
            "reasoning_effort": "High",
            "conversation_start_date": "2025-06-28",
            "knowledge_cutoff": "2024-06",
            "channel_config": {"valid_channels": ["analysis", "commentary", "final"], "channel_required": True},
        }]},
        {"role": "developer", "content": [{
            "type": "developer_content",
            "instructions": prose(r, 80),
            "tools": tools(),
        }]},
    ]
    for t in range(turns):
        city = r.pick(["Tokyo", "Paris", "Lima", "Oslo", "Cairo"])
        u, a, f = 30 + r.below(50), 60 + r.below(90), 50 + r.below(70)
        msgs.append({"role": "user", "content": [{"type": "text", "text": prose(r, u)}]})
        msgs.append({"role": "assistant", "channel": "analysis", "content": [{"type": "text", "text": prose(r, a)}]})
        msgs.append({
            "role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
            "content_type": "<|constrain|>json",
            "content": [{"type": "text", "text": _compact({"location": f"{city}, somewhere", "unit": "celsius"})}],
        })
        msgs.append({
            "role": "tool", "name": "functions.get_weather", "channel": "commentary", "recipient": "assistant",
            "content": [{"type": "text", "text": _compact(
                {"temperature": 10 + t % 20, "conditions": "partly cloudy", "humidity": 0.61})}],
        })
        msgs.append({"role": "assistant", "channel": "final", "content": [{"type": "text", "text": prose(r, f)}]})
    msgs.append({"role": "user", "content": [{"type": "text", "text": prose(r, 40)}]})
    return json.dumps({"messages": msgs})


def completion_text(content_words: int) -> str:
    """One final assistant message as sampled after ``<|start|>assistant`` (``corpus::completion_text``)."""
    return f"<|channel|>final<|message|>{prose(Rng(7), content_words)}<|return|>"


MESSAGE, RETURN = 200008, 200002


def completion(encode: Any, n: int) -> List[int]:
    """``n`` content tokens of one final message, then ``<|return|>`` (``benches/harmony.rs``'s
    ``completion``); ``encode`` is a package's ``encode(text, allowed_special="all")``."""
    tokens = list(encode(completion_text(n), allowed_special="all"))
    start = tokens.index(MESSAGE)
    return tokens[: start + 1 + n] + [RETURN]


def chat_completion_text() -> str:
    """A tool loop's two sampling turns back to back: reasoning, a preamble, a function call,
    more reasoning and a final answer (``benches/harmony.rs``'s ``chat_completion_tokens``)."""
    r = Rng(18)
    parts = [prose(r, 300), prose(r, 30), prose(r, 200), prose(r, 400)]
    return (
        f"<|channel|>analysis<|message|>{parts[0]}<|end|><|start|>assistant<|channel|>commentary<|message|>{parts[1]}<|end|>"
        "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
        '{"location": "San Francisco, CA", "unit": "celsius", "days": 3}<|call|>'
        f"<|start|>assistant<|channel|>analysis<|message|>{parts[2]}<|end|><|start|>assistant<|channel|>final<|message|>{parts[3]}<|return|>"
    )


# --- Real text --------------------------------------------------------------------------------

LOCALES = "/usr/share/locale"
REALTEXT = {
    # class: (locales whose translations are read, or None for the English msgids)
    "English": None,
    "CJK": ["zh_CN", "zh_TW", "ja", "ko"],
}


def _catalogues(locale: str) -> List[str]:
    return sorted(glob.glob(os.path.join(LOCALES, locale, "LC_MESSAGES", "*.mo")))


def _mo_strings(path: str, translations: bool) -> Iterator[str]:
    """The strings of one side of a ``.mo`` catalogue, plural forms split, the header and
    context prefixes left out (as ``benches/support/realtext.rs`` reads them)."""
    try:
        with open(path, "rb") as f:
            b = f.read()
    except OSError:
        return
    if len(b) < 20:
        return
    magic = struct.unpack("<I", b[:4])[0]
    order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if order is None:
        return
    n, orig, trans = struct.unpack(order + "III", b[8:20])
    table = trans if translations else orig
    for i in range(n):
        try:
            length, offset = struct.unpack(order + "II", b[table + 8 * i : table + 8 * i + 8])
            if struct.unpack(order + "I", b[orig + 8 * i : orig + 8 * i + 4])[0] == 0:
                continue  # the header entry describes the catalogue
        except struct.error:
            return
        for form in b[offset : offset + length].split(b"\0"):
            try:
                s = form.decode("utf-8").rsplit("\x04", 1)[-1]
            except UnicodeDecodeError:
                continue
            if s.strip():
                yield s


def real_text(kind: str, size: int = 100_000) -> Optional[str]:
    """About ``size`` bytes (UTF-8) of real text of ``kind`` from the gettext catalogues: the
    translations of the class's locales (taken in turn, one string each), or for English the
    original strings of every catalogue; each distinct string once, one per line. ``None``
    when the machine has too little of it."""
    locales = REALTEXT[kind]
    if locales is None:
        sources = [(s for p in _catalogues("*") for s in _mo_strings(p, False))]
    else:
        sources = [(s for p in _catalogues(loc) for s in _mo_strings(p, True)) for loc in locales]
    seen = set()
    out: List[str] = []
    total = 0
    while total < size and sources:
        for it in list(sources):
            for s in it:
                if s not in seen:
                    seen.add(s)
                    out.append(s)
                    total += len(s.encode("utf-8")) + 1
                    break
            else:
                sources.remove(it)
            if total >= size:
                break
    return "\n".join(out) if total >= size else None


def real_text_conversation_json(text: str) -> str:
    """A conversation carrying ``text``: a system message, the text as a user message in chunks
    of ~4 KB (as pasted documents would be), and a short assistant answer."""
    chunks: List[str] = []
    lines = text.split("\n")
    cur: List[str] = []
    n = 0
    for line in lines:
        cur.append(line)
        n += len(line.encode("utf-8")) + 1
        if n >= 4096:
            chunks.append("\n".join(cur))
            cur, n = [], 0
    if cur:
        chunks.append("\n".join(cur))
    msgs: List[Dict[str, Any]] = [
        {"role": "system", "content": [{
            "type": "system_content",
            "model_identity": "You are ChatGPT, a large language model trained by OpenAI.",
            "reasoning_effort": "Medium",
            "conversation_start_date": "2025-06-28",
            "knowledge_cutoff": "2024-06",
            "channel_config": {"valid_channels": ["analysis", "commentary", "final"], "channel_required": True},
        }]},
    ]
    for chunk in chunks:
        msgs.append({"role": "user", "content": [{"type": "text", "text": chunk}]})
        msgs.append({"role": "assistant", "channel": "final", "content": [{"type": "text", "text": "Noted."}]})
    return json.dumps({"messages": msgs})
