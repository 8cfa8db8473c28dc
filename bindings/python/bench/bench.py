"""Benchmarks of the Python packages: openai-harmony 0.0.8 and libharmony, same calls, same run.

    python bindings/python/bench/bench.py [--quick]

Prints a Markdown table (CPU time per call, median of runs alternating between the packages;
ratio = reference time / libharmony time).
Import + load runs in fresh interpreters (best of N): `import`, `load_harmony_encoding`, and
the first `encode` (libharmony builds its encoder tables on first use; 0.0.8 builds them in
load, reading the vocabulary from TIKTOKEN_ENCODINGS_BASE — its fastest, offline case).
"""

from __future__ import annotations

import importlib
import os
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path
from typing import Any, Callable, List, Tuple

REPO = Path(__file__).resolve().parents[3]
os.environ.setdefault("TIKTOKEN_ENCODINGS_BASE", str(REPO / "assets"))
QUICK = "--quick" in sys.argv
PACKAGES = ["openai_harmony", "libharmony"]


def conversation(h: Any, turns: int) -> Any:
    weather = h.ToolDescription.new(
        "get_weather",
        "Gets the current weather in the provided location.",
        parameters={
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                "format": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
            },
            "required": ["location"],
        },
    )
    msgs = [
        h.Message.from_role_and_content(h.Role.SYSTEM, h.SystemContent.new().with_conversation_start_date("2025-06-28")),
        h.Message.from_role_and_content(
            h.Role.DEVELOPER, h.DeveloperContent.new().with_instructions("Answer briefly.").with_function_tools([weather])
        ),
    ]
    for i in range(turns):
        msgs += [
            h.Message.from_role_and_content(h.Role.USER, f"What is the weather in city number {i}? " * 3),
            h.Message.from_role_and_content(h.Role.ASSISTANT, "The user asks about the weather. " * 8).with_channel(
                "analysis"
            ),
            h.Message.from_role_and_content(h.Role.ASSISTANT, '{"location": "Paris"}')
            .with_channel("commentary")
            .with_recipient("functions.get_weather")
            .with_content_type("<|constrain|>json"),
            h.Message.from_author_and_content(h.Author.new(h.Role.TOOL, "functions.get_weather"), '{"temp": 20}')
            .with_channel("commentary")
            .with_recipient("assistant"),
            h.Message.from_role_and_content(h.Role.ASSISTANT, "It is 20 degrees and sunny. " * 4).with_channel("final"),
        ]
    return h.Conversation.from_messages(msgs)


def completion(enc: Any, words: int) -> List[int]:
    text = (
        "<|channel|>analysis<|message|>" + "Let me think about the weather in Paris today. " * (words // 20)
        + "<|end|><|start|>assistant<|channel|>final<|message|>"
        + "It is sunny and 20 degrees Celsius in Paris right now. " * (words // 20) + "<|return|>"
    )
    return list(enc.encode(text, allowed_special="all"))


def median_seconds(f: Callable[[], Any], number: int, repeat: int) -> float:
    """Median CPU time per call (CPU time, so that other load on the machine inflates it far
    less than wall time)."""
    return statistics.median(timeit.repeat(f, number=number, repeat=repeat, timer=time.process_time)) / number


def side_by_side(fs: List[Callable[[], Any]], number: int, repeat: int) -> List[float]:
    """Both packages' medians, measured alternately so that drifting load hits both alike."""
    samples: List[List[float]] = [[] for _ in fs]
    for _ in range(repeat):
        for i, f in enumerate(fs):
            samples[i].append(median_seconds(f, number, 1))
    return [statistics.median(s) for s in samples]


def import_and_load(pkg: str, runs: int) -> Tuple[float, float]:
    """Best wall time and best CPU time of import + load + first encode, fresh interpreters."""
    code = (
        "import time; t = time.perf_counter(); c = time.process_time(); import {p} as h; "
        "e = h.load_harmony_encoding(h.HarmonyEncodingName.HARMONY_GPT_OSS); e.encode('hi'); "
        "print(time.perf_counter() - t, time.process_time() - c)"
    ).format(p=pkg)
    wall, cpu = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        w, c = out.stdout.split()
        wall.append(float(w))
        cpu.append(float(c))
    return min(wall), min(cpu)


def main() -> None:
    rows: List[Tuple[str, float, float, str]] = []
    runs = 3 if QUICK else 7
    loads = [import_and_load(p, runs) for p in PACKAGES]
    rows.append(("import + load + first encode (wall)", loads[0][0], loads[1][0], "s"))
    rows.append(("import + load + first encode (CPU time)", loads[0][1], loads[1][1], "s"))
    mods = [importlib.import_module(p) for p in PACKAGES]
    encs = [m.load_harmony_encoding(m.HarmonyEncodingName.HARMONY_GPT_OSS) for m in mods]
    repeat = 3 if QUICK else 7

    for turns in (1, 8):
        convs = [conversation(m, turns) for m in mods]
        n_tokens = len(encs[1].render_conversation_for_completion(convs[1], mods[1].Role.ASSISTANT))
        number = 20 if turns == 1 else 5
        times = side_by_side(
            [lambda e=e, c=c, m=m: e.render_conversation_for_completion(c, m.Role.ASSISTANT) for m, e, c in zip(mods, encs, convs)],
            number, repeat,
        )
        rows.append((f"render_conversation_for_completion ({len(convs[1].messages)} messages, {n_tokens} tokens)", *times, "s"))  # type: ignore[arg-type]

    for words in (100, 1000):
        toks = completion(encs[1], words)
        number = 20 if words == 100 else 5
        times = side_by_side(
            [lambda e=e, m=m: e.parse_messages_from_completion_tokens(toks, m.Role.ASSISTANT) for m, e in zip(mods, encs)],
            number, repeat,
        )
        rows.append((f"parse_messages_from_completion_tokens ({len(toks)} tokens)", *times, "s"))  # type: ignore[arg-type]

    for words in (100, 1000):
        toks = completion(encs[1], words)

        def stream(m: Any, e: Any) -> None:
            p = m.StreamableParser(e, m.Role.ASSISTANT)
            for t in toks:
                p.process(t)

        def stream_with_delta(m: Any, e: Any) -> None:
            p = m.StreamableParser(e, m.Role.ASSISTANT)
            for t in toks:
                p.process(t)
                p.last_content_delta

        times = [t / len(toks) for t in side_by_side([lambda m=m, e=e: stream(m, e) for m, e in zip(mods, encs)], 3, repeat)]
        rows.append((f"StreamableParser.process per token ({len(toks)}-token completion)", *times, "s"))  # type: ignore[arg-type]
        times = [
            t / len(toks) for t in side_by_side([lambda m=m, e=e: stream_with_delta(m, e) for m, e in zip(mods, encs)], 3, repeat)
        ]
        rows.append((f"process + last_content_delta per token ({len(toks)} tokens)", *times, "s"))  # type: ignore[arg-type]

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; CPU time, median of {repeat} alternating runs (import: best of {runs})\n")
    print("| operation | openai-harmony 0.0.8 | libharmony | speed-up |")
    print("|---|---:|---:|---:|")
    for name, ref_t, lib_t, _ in rows:
        print(f"| {name} | {fmt(ref_t)} | {fmt(lib_t)} | {ref_t / lib_t:.1f}× |")


def fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


if __name__ == "__main__":
    main()
