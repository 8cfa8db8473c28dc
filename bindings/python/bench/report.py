"""Runs the pytest-benchmark suite of this folder and reports it as Markdown: both packages'
times per call and per token, the ratios (reference time / libharmony time) and the goals of
issue 18; optionally writes the section "Python package (pytest-benchmark)" of
benches/RESULTS.md (between ``<!-- python:begin -->`` and ``<!-- python:end -->``).

    python bindings/python/bench/report.py                 # 3 runs, print the table
    python bindings/python/bench/report.py --runs 5 --update benches/RESULTS.md
    python bindings/python/bench/report.py --json a.json b.json   # report saved runs
    python bindings/python/bench/report.py -- -k stream    # arguments after -- go to pytest

Runs alternate which package of each case goes first. Per case and package the figure is the
lowest of the runs' medians (load from other processes only adds time); the "min" ratio uses
the lowest single round.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
REFERENCE, OURS = "openai_harmony", "libharmony"
BEGIN, END = "<!-- python:begin -->", "<!-- python:end -->"
CHAT_GOAL_NS = 300.0


def rows(runs: Sequence[Sequence[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """One row per case: per package the best median and the best round over the runs."""
    cases: Dict[str, Dict[str, Any]] = {}
    for run in runs:
        for b in run:
            info = b.get("extra_info") or {}
            case, pkg = info.get("case"), info.get("package")
            if not case or not pkg:
                continue
            row = cases.setdefault(case, {"case": case, "units": info.get("units") or 1, "unit": info.get("unit", "token")})
            side = row.setdefault(pkg, {"median": float("inf"), "min": float("inf"), "rounds": 0})
            side["median"] = min(side["median"], b["stats"]["median"])
            side["min"] = min(side["min"], b["stats"]["min"])
            side["rounds"] += b["stats"]["rounds"]
    return list(cases.values())


def fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def kind(case: str) -> str:
    if "text" in case and case.startswith("render"):
        return "realtext"
    return case.split(",")[0].split(" (")[0]


def cell(side: Optional[Dict[str, Any]], row: Dict[str, Any]) -> str:
    if side is None:
        return "–"
    per_unit = side["median"] / row["units"]
    if kind(row["case"]) in ("render", "realtext"):
        return f"{fmt(side['median'])} ({fmt(per_unit)}/{row['unit']})"
    return f"{fmt(per_unit)}/{row['unit']}"


def ratio(row: Dict[str, Any], stat: str) -> Optional[float]:
    ref, ours = row.get(REFERENCE), row.get(OURS)
    if not ref or not ours:
        return None
    return float(ref[stat] / ours[stat])


def markdown(table: List[Dict[str, Any]], goals: bool = True) -> str:
    out = [
        "| operation | input | openai-harmony 0.0.8 | libharmony | ratio (medians) | ratio (best rounds) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in table:
        r, rm = ratio(row, "median"), ratio(row, "min")
        units = f"{row['units']} {row['unit']}s"
        out.append(
            f"| {row['case']} | {units} | {cell(row.get(REFERENCE), row)} | {cell(row.get(OURS), row)} | "
            + (f"**{r:.1f}×** | {rm:.1f}× |" if r is not None and rm is not None else "– | – |")
        )
    if goals:
        out.append("")
        out.extend(goal_lines(table))
    return "\n".join(out)


def goal_lines(table: List[Dict[str, Any]]) -> List[str]:
    lines = []

    def goal(name: str, ok: bool, detail: str) -> None:
        lines.append(f"- {'✅' if ok else '❌'} {name}: {detail}")

    for k, name in (("render", "render ≥ 10×"), ("parse", "parse ≥ 10×"), ("stream", "stream ≥ 10×")):
        rs = [(ratio(row, "median"), row["case"]) for row in table if kind(row["case"]) == k and ratio(row, "median")]
        if rs:
            low, case = min(rs)
            goal(f"{name} through the package", low >= 10, f"lowest ratio {low:.1f}× ({case})")
    for row in table:
        if kind(row["case"]) == "realtext" and ratio(row, "median"):
            r = ratio(row, "median")
            goal(f"{row['case']} ≥ 10× (the real-text goal)", r >= 10, f"{r:.1f}×")  # type: ignore[operator]
    for row in table:
        if kind(row["case"]) == "chat stream" and row.get(OURS):
            ns = row[OURS]["median"] / row["units"] * 1e9
            if "JSON" in row["case"]:  # the extension type, not the package's API: for comparison
                lines.append(f"- {row['case']}: {ns:.0f} ns per token (`_libharmony.ChatStream.process`: each chunk's "
                             "JSON text through PyO3's entry, no dict built; for comparison)")
            else:
                goal(f"{row['case']} ≤ {CHAT_GOAL_NS:.0f} ns per token", ns <= CHAT_GOAL_NS, f"{ns:.0f} ns per token")
    return lines


def versions(python: str) -> str:
    code = (
        "import importlib.metadata as m, platform; "
        "print(platform.python_version(), m.version('openai-harmony'), m.version('libharmony'), m.version('pytest-benchmark'))"
    )
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        return f"Python {out[0]}, openai-harmony {out[1]}, libharmony {out[2]}, pytest-benchmark {out[3]}"
    except (OSError, subprocess.CalledProcessError, IndexError):
        return f"Python {platform.python_version()}"


def section(table: List[Dict[str, Any]], runs: int, python: str) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    return "\n".join([
        BEGIN,
        "## Python package (pytest-benchmark)",
        "",
        "`bindings/python/bench/test_bench.py`, reported by `python bindings/python/bench/report.py "
        f"--runs {runs} --update benches/RESULTS.md`: the package `libharmony` against the PyPI package "
        "`openai-harmony==0.0.8` through their public Python APIs, same inputs (the generator of the Rust "
        "benchmarks, `bench/corpus.py`; real text from this machine's gettext catalogues), same outputs "
        "(checked by each benchmark), in the same run. CPU time (`time.process_time`) per call; per case and "
        f"package the lowest median of {runs} runs, which alternate the package measured first. "
        "`render` is `render_conversation_for_completion` on the packages' `Conversation` objects; `parse` is "
        "`parse_messages_from_completion_tokens`; `stream` is `StreamableParser.process` + "
        "`last_content_delta` per token; `chat stream` is libharmony's `chat_completions.ChatStream` "
        "(no equivalent in 0.0.8).",
        "",
        f"- {now}; {versions(python)}; {platform.system()} {platform.release()}, {os.cpu_count()} cores, "
        f"shared with other builds (load average {load:.1f} at the end): compare the ratios, not absolute times "
        "across runs.",
        "",
        markdown(table),
        "",
        NOTES,
        END,
    ])


NOTES = """What the binding does per call, and what was changed for these figures (issue 18):

| change (bindings/python) | what it bought |
| --- | --- |
| `StreamableParser.process` and `last_content_delta` reach the parser without PyO3's call machinery: a `METH_FASTCALL` method and a getter installed over PyO3's (also on the Python subclass itself, so that CPython's specialised call of a method descriptor, which wants the exact type, applies), the parser's state in a `RefCell` guarded by the GIL instead of PyO3's atomic borrow flag (a `frozen` class), PyO3's entries kept for keywords, odd arguments and every error | `process` 96 → 39 ns per call, `process` + `last_content_delta` 154 → 67 ns per token; stream 6.5× → 12× the reference |
| the strings of recent content deltas reused (2048 slots keyed by the delta's bytes, ≤ 16 bytes) | ~15 ns per token less (no new string for a frequent token's text) |
| `chat_completions.ChatStream`: the chunk dicts built in the extension (the part before the delta copied from the first chunk's dicts, the delta read by a JSON reader that builds the Python objects directly; `json.loads` for anything it leaves) and `process` bound straight to it | 2.2 µs → 0.45 µs per token |
| `ChatStream.process_object` without JSON for the common chunk: the core's `ChatStream::process_delta` hands back a plain content or reasoning delta as its text (1115 of the benchmark's 1139 chunks; the role's and the tool call's chunks stay JSON), put into copies of the two template dicts (`PyDict_Copy`; `choices` and `delta` set with the templates' own key objects, so the lookups compare no text) around a fresh `{field: text}` (interned key, the delta-string cache above); and a `METH_FASTCALL` entry installed over PyO3's as for `StreamableParser.process` (a `frozen` class, its state in a GIL-guarded `RefCell`, PyO3's entry kept for keywords, odd arguments and every error) | 441 → 252–267 ns per token (two report runs, 3 runs each) |

Met: the Chat Completions stream through the package at ≤ 300 ns per token (the goal line
above; 250–275 ns per token over the runs of this change on this shared machine, 440 before it
in the same session). What remains is mostly CPython's making and freeing three dicts and a
list per chunk: in a `perf` profile of the benchmark loop about 45% of the time is dict
key-table copies and frees, dict lookups and object allocation, ~8% the interpreter's own loop,
and 20% the extension with the core's step. The render of 100 KB of CJK text follows the
core's in-process ratio for CJK (that time is the tokenizer's, not the binding's): 7.9–8.5×
on 2026-12-02, when the Rust real-text section had 9.4–9.5×, and 10.1× (best rounds 10.8×)
on 2026-12-03 after the encoder rounds that took the core's to 12.0×: met, narrowly."""


def update(path: Path, text: str) -> None:
    """Replaces the section between the markers of ``path`` (appended if absent)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in old and END in old:
        a, b = old.index(BEGIN), old.index(END) + len(END)
        new = old[:a] + text + old[b:]
    elif "<!-- realtext:begin -->" in old:  # before the real-text section, where bench.sh keeps it
        a = old.index("<!-- realtext:begin -->")
        new = old[:a] + text + "\n" + old[a:]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


def run_suite(runs: int, pytest_args: List[str], python: str) -> List[List[Dict[str, Any]]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            out = Path(tmp) / f"run{i}.json"
            order = "ref-first" if i % 2 == 0 else "ours-first"
            cmd = [python, "-m", "pytest", "-q", str(HERE), f"--bench-order={order}", f"--benchmark-json={out}",
                   *pytest_args]
            print(f"== run {i + 1}/{runs} ({order})", file=sys.stderr, flush=True)
            subprocess.run(cmd, check=True, cwd=HERE, stdout=sys.stderr)
            results.append(json.loads(out.read_text())["benchmarks"])
    return results


def main() -> None:
    argv = sys.argv[1:]
    extra: List[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", nargs="+", help="report these pytest-benchmark JSON files instead of running")
    ap.add_argument("--update", type=Path, help="write the section into this Markdown file (benches/RESULTS.md)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter that has both packages")
    args = ap.parse_args(argv)
    if args.json:
        runs = [json.loads(Path(p).read_text())["benchmarks"] for p in args.json]
    else:
        runs = run_suite(args.runs, extra, args.python)
    table = rows(runs)
    text = section(table, len(runs), args.python)
    print(text)
    if args.update:
        update(args.update, text)
        print(f"wrote {args.update}", file=sys.stderr)


if __name__ == "__main__":
    main()
