#!/usr/bin/env bash
# Benchmarks libharmony against the reference implementation (the crate openai-harmony 0.0.8,
# a dev-dependency) side by side, and writes benches/RESULTS.md.
#
#   scripts/bench.sh                 # full run (about 10 minutes on 2 cores)
#   BENCH_QUICK=1 scripts/bench.sh   # short run (about 3 minutes)
#   BENCH_FILTER=stream scripts/bench.sh   # only criterion benchmarks whose name contains it
#
# Then benches/realtext.rs (real text of every script vs bpe-openai and tiktoken-rs) adds its
# own section to benches/RESULTS.md; the Python package's section is kept (BENCH_PYTHON=1
# reruns it: bindings/python/bench/report.py).
#
# Steps: build the release CLI, library and examples/reference_cli; run the criterion benches
# (benches/harmony.rs: render, parse, streaming, encode, C ABI overhead, start-up, memory);
# time whole-process start-up with hyperfine (or a timing loop if it is not installed); measure
# peak RSS with /usr/bin/time -v (if present); time the one-call-per-token path from C
# (benches/c/event_loop.c), C++ (benches/cpp/stream_per_token.cpp) and Go (bindings/go
# BenchmarkOneCallPerToken), each skipped when its compiler is missing; write benches/RESULTS.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$TARGET/bench
mkdir -p "$OUT"
export TIKTOKEN_ENCODINGS_BASE=${TIKTOKEN_ENCODINGS_BASE:-$ROOT/assets}
QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] && QUICK=
if [ -n "$QUICK" ]; then RUNS=10; else RUNS=40; fi

echo "== building (release)" >&2
cargo build --release --lib --bin harmony --example reference_cli >&2
export HARMONY_BIN=$TARGET/release/harmony
export REFERENCE_CLI=$TARGET/release/examples/reference_cli
OURS=$HARMONY_BIN
REF=$REFERENCE_CLI

echo "== criterion benches" >&2
RESULTS=$OUT/results.jsonl
rm -f "$RESULTS"
HARMONY_BENCH_RESULTS=$RESULTS cargo bench --bench harmony -- ${BENCH_FILTER:-} | tee "$OUT/criterion.txt" >&2

# Inputs for the whole-process measurements.
CONV=$ROOT/benches/data/small_conversation.json
COMP=$ROOT/benches/data/small_completion.json
PROSE=$OUT/prose_1mb.txt
if [ ! -s "$PROSE" ]; then
    # 1 MB of README-like prose: the repository's own documentation, repeated.
    : > "$PROSE"
    while [ "$(stat -c %s "$PROSE")" -lt 1048576 ]; do cat "$ROOT/README.md" >> "$PROSE"; done
    head -c 1048576 "$PROSE" > "$PROSE.tmp" && mv "$PROSE.tmp" "$PROSE"
fi

# name | our command | reference command
CASES=(
    "render one small conversation|$OURS render --keep-analysis $CONV|$REF render $CONV"
    "parse one small completion|$OURS parse --role assistant $COMP|$REF parse --role assistant $COMP"
    "encode 1 MB of prose (README)|$OURS encode $PROSE|$REF encode $PROSE"
)

echo "== start-up (whole process)" >&2
STARTUP=$OUT/startup.tsv
: > "$STARTUP"
for case in "${CASES[@]}"; do
    IFS='|' read -r name ours ref <<< "$case"
    if [ "$($ours)" != "$($ref)" ]; then
        echo "outputs differ for: $name" >&2
        exit 1
    fi
    if command -v hyperfine > /dev/null; then
        hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/hf.json" "$ours" "$ref" >&2
        python3 - "$OUT/hf.json" "$name" >> "$STARTUP" << 'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("\t".join([sys.argv[2], "hyperfine", *(f"{x['mean']:.6f}\t{x['stddev'] or 0:.6f}" for x in r)]))
EOF
    else
        t() {
            local s e
            s=$(date +%s%N)
            for _ in $(seq "$RUNS"); do $1 > /dev/null; done
            e=$(date +%s%N)
            awk -v a="$s" -v b="$e" -v n="$RUNS" 'BEGIN { printf "%.6f", (b - a) / n / 1e9 }'
        }
        printf '%s\tloop\t%s\t0\t%s\t0\n' "$name" "$(t "$ours")" "$(t "$ref")" >> "$STARTUP"
    fi
done

echo "== peak memory" >&2
MEM=$OUT/memory.tsv
: > "$MEM"
if [ -x /usr/bin/time ]; then
    rss() { /usr/bin/time -v "$@" 2>&1 > /dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }
    for case in "${CASES[@]}"; do
        IFS='|' read -r name ours ref <<< "$case"
        # shellcheck disable=SC2086
        printf '%s\t%s\t%s\n' "$name" "$(rss $ours)" "$(rss $ref)" >> "$MEM"
    done
    python3 -c "import sys; sys.stdout.write('a' * (1 << 20))" > "$OUT/a_1mb.txt"
    printf '%s\t%s\t%s\n' "encode 1 MB of one letter" "$(rss "$OURS" encode "$OUT/a_1mb.txt")" "-" >> "$MEM"
fi

echo "== one call per token from C, C++ and Go" >&2
# Each line: language, path, ns/token. The criterion run above measured Rust on the same tokens
# (event_loop.c's completion). A language whose toolchain is missing or fails is left out.
LANGS=$OUT/languages.tsv
: > "$LANGS"
# The cdylib is linked by its SONAME, libharmony.so.0 (as installed): a directory of links to it.
LIB=$OUT/lib
mkdir -p "$LIB"
ln -sf "$TARGET/release/libharmony.so" "$LIB/libharmony.so"
ln -sf "$TARGET/release/libharmony.so" "$LIB/libharmony.so.0"
if [ -n "$QUICK" ]; then GO_BENCHTIME=1s; else GO_BENCHTIME=3s; fi
if command -v cc > /dev/null && cc -O2 -Iinclude benches/c/event_loop.c -L"$LIB" -lharmony \
        -Wl,-rpath,"$LIB" -o "$OUT/event_loop" >&2; then
    "$OUT/event_loop" | tee "$OUT/event_loop.txt" >&2 || true
    awk -F'[:]' '/^harmony_parser_step:/ { split($2, a, " "); print "C\tharmony_parser_step (benches/c/event_loop.c)\t" a[1] }' \
        "$OUT/event_loop.txt" >> "$LANGS"
fi
if command -v c++ > /dev/null && c++ -std=c++17 -O2 -Iinclude -Ibindings/cpp benches/cpp/stream_per_token.cpp \
        -L"$LIB" -lharmony -Wl,-rpath,"$LIB" -o "$OUT/stream_per_token" >&2; then
    "$OUT/stream_per_token" | tee "$OUT/stream_per_token.txt" >&2 || true
    # "parser step  C++ wrapper 26.3 ns/token  raw C 22.5 ns/token ..." (the stream lines have one word more)
    awk '/^parser step/ { print "C++\tharmony::StreamParser::step (benches/cpp/stream_per_token.cpp)\t" $5; print "C (from C++)\tharmony_parser_step (same program)\t" $9 }
         /^chat stream next/ { print "C++ chat\tharmony::ChatStream::next\t" $6; print "C chat\tharmony_chat_stream_next (same program)\t" $10 }
         /^responses stream next/ { print "C++ responses\tharmony::ResponsesStream::next\t" $6; print "C responses\tharmony_responses_stream_next (same program)\t" $10 }' \
        "$OUT/stream_per_token.txt" >> "$LANGS"
fi
if command -v go > /dev/null; then
    # No pkg-config: -tags harmony_manual links -lharmony from the release directory.
    (cd bindings/go && CGO_ENABLED=1 GOPROXY=off GOFLAGS=-mod=mod CGO_LDFLAGS="-L$LIB -Wl,-rpath,$LIB" \
        go test -tags harmony_manual -run '^$' -bench 'OneCallPerToken' -benchtime "$GO_BENCHTIME" -count 3 .) \
        | tee "$OUT/go_bench.txt" >&2 || true
    # Best of the counts, per benchmark.
    awk '/^BenchmarkOneCallPerToken\// { n = $1; sub(/^BenchmarkOneCallPerToken\//, "", n); sub(/-[0-9]+$/, "", n)
             for (i = 1; i < NF; i++) if ($(i + 1) == "ns/token" && (!(n in best) || $i < best[n])) best[n] = $i }
         END { for (n in best) print "Go " n "\t" n "\t" best[n] }' "$OUT/go_bench.txt" | sort >> "$LANGS"
fi

echo "== writing benches/RESULTS.md" >&2
python3 - "$RESULTS" "$STARTUP" "$MEM" "$ROOT/benches/RESULTS.md" "$ROOT/benches/support/notes.md" "${QUICK:+quick}" "$LANGS" << 'EOF'
import datetime, json, os, platform, subprocess, sys

results, startup, mem, out, notes, quick, langs = sys.argv[1:8]
rows, facts = [], []
for line in open(results):
    o = json.loads(line)
    (facts if "fact" in o else rows).append(o)

def cpu():
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"

mem_total = "unknown"
try:
    for l in open("/proc/meminfo"):
        if l.startswith("MemTotal"):
            mem_total = f"{int(l.split()[1]) // 1024 // 1024} GiB"
except OSError:
    pass

L = []
w = L.append
w("# Benchmarks: libharmony vs openai-harmony 0.0.8\n")
w("Generated by `scripts/bench.sh`" + (" (quick mode: `BENCH_QUICK=1`, fewer samples)" if quick else "") +
  "; every ratio compares the two implementations on the same input in the same run.")
w("The reference is the Rust crate `openai-harmony = \"=0.0.8\"` (vocabulary loaded from `assets/`).\n")
w("## Machine\n")
w(f"- CPU: {cpu()}, {os.cpu_count()} cores, {mem_total} RAM")
w(f"- {sh('rustc', '--version')}; {platform.system()} {platform.release()}")
w(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; load average at the end: {os.getloadavg()[0]:.1f}")
w("")
w("## In-process (criterion, `benches/harmony.rs`)\n")
w("Times are the lower quartile of criterion's samples (load from other processes only adds time), per token (or per MB, or per process); "
  "tokens/s is ours. `render` renders parsed conversations for completion (the crate cannot "
  "drop analysis messages, so both keep them); `parse` / `stream` take the completion of one "
  "assistant message (`stream` feeds tokens one by one and reads the content delta after each).\n")
w("| operation | input | ours | reference | ratio | tokens/s (ours) |")
w("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    if r["kind"] != "speedup" or r["op"].startswith("start-up"):
        continue
    w(f"| {r['op']} | {r['input']} | {r['ours']} | {r['other']} | **{r['ratio']}** | {r['tokens_per_s'] or '–'} |")
w("")
w("| check | input | measured | against | result |")
w("| --- | --- | --- | --- | --- |")
for r in rows:
    if r["kind"] == "overhead":
        w(f"| C ABI overhead per streamed token | {r['input']} | {r['ours']} (C ABI) | {r['other']} (Rust) | **{r['ratio']}** per token |")
    elif r["kind"] == "relative":
        w(f"| {r['op']} | {r['input']} | {r['ours']} | {r['other']} | **{r['ratio']}** |")
w("")
w("## Whole-process start-up\n")
w("Process spawn to exit, reading a file and printing JSON, " +
  ("with hyperfine (`-N`, 3 warm-up runs)." if "hyperfine" in open(startup).read() else "timed over a loop of runs.") + "\n")
w("| command | ours | reference | ratio |")
w("| --- | --- | --- | --- |")
for line in open(startup):
    p = line.rstrip("\n").split("\t")
    name, o, os_, rf, rs = p[0], float(p[2]), float(p[3]), float(p[4]), float(p[5])
    w(f"| {name} | {o*1000:.2f} ± {os_*1000:.2f} ms | {rf*1000:.1f} ± {rs*1000:.1f} ms | **{rf/o:.1f}×** |")
for r in rows:
    if r["op"].startswith("start-up"):
        w(f"| {r['input']} (criterion) | {r['ours']} | {r['other']} | **{r['ratio']}** |")
w("")
w("## Memory\n")
if os.path.getsize(mem):
    w("| command | peak RSS, ours | peak RSS, reference |")
    w("| --- | --- | --- |")
    for line in open(mem):
        name, o, rf = line.rstrip("\n").split("\t")
        f = lambda v: f"{int(v)/1024:.1f} MB" if v.strip().isdigit() else v
        w(f"| {name} | {f(o)} | {f(rf)} |")
    w("")
for f in facts:
    w(f"- {f['fact']}: {f['value']}")
w("")

def pick(op, key):
    return [r for r in rows if r["op"] == op and (key is None or key in r["input"])]
w("## Goals\n")
def goal(name, ok, detail):
    w(f"- {'✅' if ok else '❌'} {name}: {detail}")
def min_ratio(op):
    rs = [r["ratio_value"] for r in pick(op, None)]
    return min(rs) if rs else None
for op in ["render", "parse", "stream"]:
    m = min_ratio(op)
    if m is not None:
        goal(f"{op} ≥ 10×", m >= 10, f"lowest ratio {m:.1f}×")
st = [r for r in pick("stream", None) if "repeated" not in r["input"]]
rep = [r for r in pick("stream", None) if "repeated" in r["input"]]
if len(st) >= 2:
    per = [r["ours_ns"] / r["ours_units"] for r in st]
    ref = [r["other_ns"] / r["other_units"] for r in st]
    detail = (f"ours {per[0]:.0f} → {per[-1]:.0f} ns/token from {st[0]['input'].split(', ')[-1]} to "
              f"{st[-1]['input'].split(', ')[-1]} (more distinct tokens, so more cache misses in the vocabulary); "
              f"reference {ref[0]/1000:.2f} → {ref[-1]/1000:.2f} µs/token")
    if rep:
        r = rep[0]
        detail += (f"; the 2k message repeated to {r['input'].split(', ')[-1].split(' (')[0]} (same vocabulary, "
                   f"only longer): {r['ours_ns'] / r['ours_units']:.0f} ns/token vs {per[0]:.0f} at 2k")
    if rep:
        flat = (rep[0]["ours_ns"] / rep[0]["ours_units"]) / per[0]
        goal("streaming flat per token (message length alone)", flat < 1.5, detail)
    else:
        goal("streaming flat per token", max(per) / min(per) < 2, detail)
ratios = [float(l.split("\t")[4]) / float(l.split("\t")[2]) for l in open(startup)]
if ratios:
    goal("whole-process start-up ≥ 4×", min(ratios) >= 4, f"lowest ratio {min(ratios):.1f}×")
for r in pick("linear-time check", None):
    goal("linear-time encoding (≤ 3× prose)", r["ratio_value"] <= 3, f"{r['input']}: {r['ratio']}")
for r in rows:
    if r["kind"] == "overhead":
        goal("C ABI < 100 ns per streamed token", r["ratio_value"] < 100, f"{r['ratio']} per token")
for op, name in [("chat stream (C ABI)", "Chat Completions stream"), ("responses stream (C ABI)", "Responses stream")]:
    for r in pick(op, None):
        per = r["ours_ns"] / r["ours_units"]
        goal(f"{name} ≤ 300 ns/token", per <= 300, f"{per:.0f} ns/token through the C ABI, {r['input']}")
for f in facts:
    if f["fact"].startswith("allocations while streaming"):
        goal("no allocation per token in the C ABI streaming path", True, f["value"])
    if f["fact"].startswith("ours: 1000 more"):
        goal("one vocabulary per process", True, "1000 more handles: " + f["value"])
w("")

# The one-call-per-token path from every language, on the same tokens (event_loop.c's
# completion): kept between markers, so a run that measured no language keeps the last table.
begin, end = "<!-- languages:begin -->", "<!-- languages:end -->"
lang = [l.rstrip("\n").split("\t") for l in open(langs) if l.strip()] if os.path.exists(langs) else []
fox = [r for r in rows if r["op"] == "event per token, C ABI" and "event_loop.c" in r["input"]]
if lang and fox:
    n = int(fox[0]["ours_units"])
    rust = fox[0]["other_ns"] / n
    rust_c = fox[0]["ours_ns"] / n
    got = {l[0]: (l[1], float(l[2])) for l in lang if len(l) == 3}
    w(begin)
    w("## Per-language overhead of the one-call-per-token path\n")
    w(f"One call per sampled token over the same {n:,} tokens (benches/c/event_loop.c's completion: "
      "`<|channel|>final<|message|>`, one English sentence repeated, `<|return|>`), measured in the same "
      f"session ({datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')}, on this shared 2-core machine: "
      "other processes only add time, so compare within a table). Rust is the criterion lower quartile "
      "(`benches/harmony.rs`, group `event`); C and C++ are the best of 15 runs; Go is the best of 3 "
      "`go test -bench` counts (ns/op, one op = one token).\n")
    w("| language | call per token | ns/token | over Rust |")
    w("| --- | --- | --- | --- |")
    w(f"| Rust (in-process) | `StreamParser::process_event` | {rust:.1f} | – |")
    w(f"| Rust → C ABI | `harmony_parser_step` from Rust (criterion) | {rust_c:.1f} | {rust_c - rust:+.1f} ns |")
    for key, label in [("C", "C"), ("C (from C++)", "C, in the C++ program"), ("C++", "C++ wrapper"), ("Go ParserStep", "Go wrapper")]:
        if key in got:
            what, ns = got[key]
            what = "`" + what.replace(" (", "` (", 1) if " (" in what else f"`{what}`"
            if key == "Go ParserStep":
                what = "`StreamParser.Step` (bindings/go `BenchmarkOneCallPerToken/ParserStep`)"
            w(f"| {label} | {what} | {ns:.1f} | {ns - rust:+.1f} ns |")
    if "Go ParserStep" in got:
        w("")
        w("Go's `Step` fills the parser's `Event` (four strings, ~100 bytes) in place and returns one copy; "
          "returning it by value through each layer had cost ~30 ns more per token. What remains over C is "
          "cgo's own cost per call.")
    streams = [("chat", "C chat", "C++ chat", "Go ChatStreamProcess", "Go ChatStreamAppendProcess"),
               ("responses", "C responses", "C++ responses", "Go ResponsesStreamProcess", "Go ResponsesStreamAppendProcess")]
    if any(s[1] in got for s in streams):
        w("")
        w("The streams on the same tokens (every token after the header gives a chunk or an event array); "
          "the overhead is over the raw C call timed in the same C++ program. Go's `Process` returns a new "
          "slice per token (a Go copy of the chunk or event array); `AppendProcess` appends it to the "
          "caller's buffer (no allocation once the buffer has grown).\n")
        w("| stream | C (`*_next`, borrowed) | C++ wrapper (`next`) | Go `Process` | Go `AppendProcess` | C++ over C | Go over C (`Process` / `AppendProcess`) |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for name, c, cpp, go, go_append in streams:
            if c not in got:
                continue
            nan = ("", float("nan"))
            cn, cppn = got[c][1], got.get(cpp, nan)[1]
            gon, goa = got.get(go, nan)[1], got.get(go_append, nan)[1]
            w(f"| {name} | {cn:.1f} ns | {cppn:.1f} ns | {gon:.1f} ns | {goa:.1f} ns | {cppn - cn:+.1f} ns | {gon - cn:+.1f} / {goa - cn:+.1f} ns |")
    w(end)
    w("")
elif os.path.exists(out):
    old = open(out).read()
    if begin in old and end in old:
        w(old[old.index(begin):old.index(end) + len(end)])
        w("")
if os.path.exists(notes):
    w(open(notes).read().rstrip() + "\n")
# The Python package's section (written by bindings/python/bench/report.py --update, or below
# with BENCH_PYTHON=1) is kept as it was, between its markers.
try:
    old = open(out, encoding="utf-8").read()
    b, e = "<!-- python:begin -->", "<!-- python:end -->"
    if b in old and e in old:
        w(old[old.index(b):old.index(e) + len(e)] + "\n")
except OSError:
    pass
open(out, "w").write("\n".join(L))
print(f"wrote {out}")
EOF

# Real text of every script against bpe-openai and tiktoken-rs (issue 18): its own section of
# benches/RESULTS.md, between <!-- realtext:begin --> and <!-- realtext:end -->.
echo "== real text (benches/realtext.rs)" >&2
HARMONY_REALTEXT_RESULTS=$ROOT/benches/RESULTS.md cargo bench --bench realtext | tee "$OUT/realtext.txt" >&2

# The Python package against openai-harmony 0.0.8 (pytest-benchmark, issue 18): only with
# BENCH_PYTHON=1 (it builds and installs the package into the test venv); it replaces its own
# section of benches/RESULTS.md, between <!-- python:begin --> and <!-- python:end -->.
if [ "${BENCH_PYTHON:-0}" = 1 ]; then
    echo "== python package (bindings/python/bench)" >&2
    VENV=$(./scripts/python-env.sh)
    PATH="$VENV/bin:$PATH" "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --no-build-isolation ./bindings/python >&2
    "$VENV/bin/python" bindings/python/bench/report.py --runs "${BENCH_PYTHON_RUNS:-3}" \
        --update "$ROOT/benches/RESULTS.md" > "$OUT/python.txt"
fi
