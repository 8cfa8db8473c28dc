//! libharmony vs the reference (openai-harmony 0.0.8), side by side on the same inputs in the
//! same run: render, parse, streaming, encode, C ABI overhead, whole-process start-up, memory.
//!
//! ```sh
//! cargo bench --bench harmony                 # everything
//! cargo bench --bench harmony -- stream       # only benchmarks whose name contains "stream"
//! BENCH_QUICK=1 cargo bench --bench harmony   # short run (fewer samples, smaller slow cases)
//! ```
//!
//! At the end a table of ratios is printed; with `HARMONY_BENCH_RESULTS=FILE` the rows are also
//! appended to FILE as JSON lines (`scripts/bench.sh` builds `benches/RESULTS.md` from them).
//! Start-up spawns `target/release/harmony` and `target/release/examples/reference_cli`
//! (override with `HARMONY_BIN` / `REFERENCE_CLI`); it is skipped if they are not built.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/record.rs"]
mod record;

use criterion::{black_box, BenchmarkId, Criterion, SamplingMode, Throughput};
use harmony::{Conversation, ParseOptions, RenderOptions, Role, StreamParser};
use openai_harmony::chat::Role as RefRole;
use openai_harmony::{HarmonyEncoding as RefEncoding, StreamableParser};
use record::{measure, Kind, Row};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Allocation counting (only while COUNTING is on), to check the per-token C ABI path.

struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            ALLOC_BYTES.fetch_add(l.size() as u64, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            ALLOC_BYTES.fetch_add(n.saturating_sub(l.size()) as u64, Ordering::Relaxed);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes) made by `f`.
fn count_allocs<R>(f: impl FnOnce() -> R) -> (u64, u64, R) {
    ALLOCS.store(0, Ordering::SeqCst);
    ALLOC_BYTES.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let r = f();
    COUNTING.store(false, Ordering::SeqCst);
    (ALLOCS.load(Ordering::SeqCst), ALLOC_BYTES.load(Ordering::SeqCst), r)
}

// ---------------------------------------------------------------------------------------------

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The reference encoding, loaded offline from the committed vocabulary.
fn reference() -> &'static RefEncoding {
    static REF: OnceLock<RefEncoding> = OnceLock::new();
    REF.get_or_init(load_reference)
}

fn load_reference() -> RefEncoding {
    if std::env::var_os("TIKTOKEN_ENCODINGS_BASE").is_none() {
        std::env::set_var("TIKTOKEN_ENCODINGS_BASE", manifest().join("assets"));
    }
    openai_harmony::load_harmony_encoding(openai_harmony::HarmonyEncodingName::HarmonyGptOss).expect("reference loads")
}

const NO_DROP: RenderOptions = RenderOptions { auto_drop_analysis: false };

fn human_tokens(n: usize) -> String {
    if n >= 1000 {
        format!("{:.1}k", n as f64 / 1000.0).replace(".0k", "k")
    } else {
        n.to_string()
    }
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{} MB", n >> 20)
    } else if n >= 1024 {
        format!("{} KB", n >> 10)
    } else {
        format!("{n} B")
    }
}

// ---------------------------------------------------------------------------------------------
// Render

fn bench_render(c: &mut Criterion, rows: &mut Vec<Row>) {
    let enc = reference();
    let mut g = c.benchmark_group("render");
    for turns in [1usize, 8, 32] {
        let json = corpus::conversation(turns).to_string();
        let ours = Conversation::from_json(&json).unwrap();
        let theirs: openai_harmony::chat::Conversation = serde_json::from_str(&json).unwrap();
        let a = harmony::render::render_for_completion(&ours, Role::Assistant, &NO_DROP).unwrap();
        let b = enc.render_conversation_for_completion(&theirs, RefRole::Assistant, None).unwrap();
        assert_eq!(a, b, "render differs from the reference");
        let n = a.len();
        let label = format!("{turns} turn{}, {} tokens", if turns == 1 { "" } else { "s" }, human_tokens(n));
        g.throughput(Throughput::Elements(n as u64));
        let (ko, kr) = (format!("render/ours/{turns}"), format!("render/ref/{turns}"));
        g.bench_function(BenchmarkId::new("ours", &label), |bch| {
            measure(bch, &ko, || harmony::render::render_for_completion(&ours, Role::Assistant, &NO_DROP).unwrap())
        });
        g.bench_function(BenchmarkId::new("reference", &label), |bch| {
            measure(bch, &kr, || enc.render_conversation_for_completion(&theirs, RefRole::Assistant, None).unwrap())
        });
        rows.push(Row {
            op: "render",
            input: format!("conversation, {label}"),
            ours_key: ko,
            other_key: kr,
            ours_units: n as f64,
            other_units: n as f64,
            unit: "token",
            ours_tokens: Some(n as f64),
            kind: Kind::Speedup,
            note: "render_for_completion on parsed conversations".into(),
        });
        if turns == 8 {
            // JSON in, tokens out (the CLI / C ABI path).
            let (ko, kr) = (format!("render_json/ours/{turns}"), format!("render_json/ref/{turns}"));
            g.bench_function(BenchmarkId::new("ours json", &label), |bch| {
                measure(bch, &ko, || {
                    let c = Conversation::from_json(&json).unwrap();
                    harmony::render::render_for_completion(&c, Role::Assistant, &NO_DROP).unwrap()
                })
            });
            g.bench_function(BenchmarkId::new("reference json", &label), |bch| {
                measure(bch, &kr, || {
                    let c: openai_harmony::chat::Conversation = serde_json::from_str(&json).unwrap();
                    enc.render_conversation_for_completion(&c, RefRole::Assistant, None).unwrap()
                })
            });
            rows.push(Row {
                op: "render (JSON in)",
                input: format!("conversation, {label}"),
                ours_key: ko,
                other_key: kr,
                ours_units: n as f64,
                other_units: n as f64,
                unit: "token",
                ours_tokens: Some(n as f64),
                kind: Kind::Speedup,
                note: "JSON parse + render".into(),
            });
        }
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Parse and streaming

/// Completion tokens (as sampled after `<|start|>assistant`) with `n` content tokens.
fn completion(n: usize) -> Vec<u32> {
    let text = corpus::completion_text(n); // ~1.2 tokens per word: enough content tokens
    let mut all = harmony::tokenizer::encode(&text, harmony::AllowedSpecial::All);
    let msg = all.iter().position(|&t| t == 200008).unwrap();
    all.truncate(msg + 1 + n);
    all.push(200002); // <|return|>
    all
}

fn bench_parse(c: &mut Criterion, rows: &mut Vec<Row>) {
    let enc = reference();
    let sizes: &[usize] = &[2048, 8192, 32768];
    let mut g = c.benchmark_group("parse");
    for &n in sizes {
        let tokens = completion(n);
        let ours = harmony::parse_completion(&tokens, Some(Role::Assistant), ParseOptions::default()).unwrap();
        let theirs = enc.parse_messages_from_completion_tokens(tokens.iter().copied(), Some(RefRole::Assistant)).unwrap();
        assert_eq!(harmony::chat::messages_to_json(&ours), serde_json::to_string(&theirs).unwrap());
        let label = format!("{} tokens", human_tokens(tokens.len()));
        g.throughput(Throughput::Elements(tokens.len() as u64));
        let (ko, kr) = (format!("parse/ours/{n}"), format!("parse/ref/{n}"));
        g.bench_function(BenchmarkId::new("ours", &label), |b| {
            measure(b, &ko, || harmony::parse_completion(&tokens, Some(Role::Assistant), ParseOptions::default()).unwrap())
        });
        g.bench_function(BenchmarkId::new("reference", &label), |b| {
            measure(b, &kr, || {
                enc.parse_messages_from_completion_tokens(tokens.iter().copied(), Some(RefRole::Assistant)).unwrap()
            })
        });
        rows.push(Row {
            op: "parse",
            input: format!("one message, {label}"),
            ours_key: ko,
            other_key: kr,
            ours_units: tokens.len() as f64,
            other_units: tokens.len() as f64,
            unit: "token",
            ours_tokens: Some(tokens.len() as f64),
            kind: Kind::Speedup,
            note: "parse_completion".into(),
        });
    }
    g.finish();

    let mut g = c.benchmark_group("stream");
    // The three sizes, then the 2k message's content repeated to 32k tokens: same vocabulary
    // working set as 2k, so any difference is the message length alone.
    let mut cases: Vec<(String, Vec<u32>)> = sizes.iter().map(|&n| (n.to_string(), completion(n))).collect();
    let short = completion(2048);
    let mut repeated = short[..short.len() - 1].to_vec();
    let msg = short.iter().position(|&t| t == 200008).unwrap(); // <|message|>
    let content = &short[msg + 1..short.len() - 1];
    for _ in 1..16 {
        repeated.extend_from_slice(content);
    }
    repeated.push(200002);
    cases.push(("2048x16".into(), repeated));
    for (n, tokens) in &cases {
        let tokens = tokens.clone();
        let label = if n.contains('x') {
            format!("{} tokens (2k repeated)", human_tokens(tokens.len()))
        } else {
            format!("{} tokens", human_tokens(tokens.len()))
        };
        g.throughput(Throughput::Elements(tokens.len() as u64));
        let (ko, kr) = (format!("stream/ours/{n}"), format!("stream/ref/{n}"));
        g.bench_function(BenchmarkId::new("ours", &label), |b| {
            measure(b, &ko, || {
                let mut p = StreamParser::new(Some(Role::Assistant), ParseOptions::default());
                let mut bytes = 0;
                for &t in &tokens {
                    p.process(t).unwrap();
                    bytes += p.last_content_delta().map_or(0, str::len);
                }
                p.process_eos().unwrap();
                bytes
            })
        });
        g.bench_function(BenchmarkId::new("reference", &label), |b| {
            measure(b, &kr, || {
                let mut p = StreamableParser::new(enc.clone(), Some(RefRole::Assistant)).unwrap();
                let mut bytes = 0;
                for &t in &tokens {
                    p.process(t).unwrap();
                    bytes += p.last_content_delta().unwrap().map_or(0, |s| s.len());
                }
                p.process_eos().unwrap();
                bytes
            })
        });
        rows.push(Row {
            op: "stream",
            input: format!("one message, {label}"),
            ours_key: ko,
            other_key: kr,
            ours_units: tokens.len() as f64,
            other_units: tokens.len() as f64,
            unit: "token",
            ours_tokens: Some(tokens.len() as f64),
            kind: Kind::Speedup,
            note: "process + last_content_delta per token".into(),
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Encode

fn prose_bytes(len: usize) -> String {
    let mut r = corpus::Rng::new(99);
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&corpus::prose(&mut r, 2000));
        s.push_str("\n\n");
    }
    s.truncate(len);
    s
}

/// Prose with other scripts, accents and emoji mixed in (exercises the full Unicode path).
fn mixed_bytes(len: usize) -> String {
    let extra = ["日本語のテキスト", " Ünïcødé", " naïve café", " Привет мир", " 🎉👍🏽", " مرحبا", " 中文字符"];
    let mut r = corpus::Rng::new(5);
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&corpus::prose(&mut r, 12));
        s.push_str(extra[r.below(extra.len())]);
    }
    while !s.is_char_boundary(len) {
        s.pop();
    }
    s.truncate(len);
    s
}

fn bench_encode(c: &mut Criterion, rows: &mut Vec<Row>) {
    let enc = reference();
    let tok = enc.tokenizer();
    let mb = 1 << 20;
    let mut g = c.benchmark_group("encode");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);

    let mut seen = std::collections::HashSet::new();
    let mut pair = |g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
                    rows: &mut Vec<Row>,
                    what: &str,
                    ours_text: &str,
                    ref_text: &str,
                    note: &str| {
        let ours_tokens = harmony::tokenizer::encode_ordinary(ours_text);
        let ref_check = tok.encode_ordinary(ref_text);
        assert_eq!(harmony::tokenizer::encode_ordinary(ref_text), ref_check, "encode differs on {what}");
        let ko = format!("encode/ours/{what}/{}", ours_text.len());
        let kr = format!("encode/ref/{what}/{}", ref_text.len());
        // A size measured before (same key) is not measured again.
        if seen.insert(ko.clone()) {
            g.throughput(Throughput::Bytes(ours_text.len() as u64));
            g.bench_function(BenchmarkId::new("ours", format!("{what} {}", human_bytes(ours_text.len()))), |b| {
                measure(b, &ko, || harmony::tokenizer::encode_ordinary(ours_text))
            });
        }
        if seen.insert(kr.clone()) {
            g.throughput(Throughput::Bytes(ref_text.len() as u64));
            g.bench_function(BenchmarkId::new("reference", format!("{what} {}", human_bytes(ref_text.len()))), |b| {
                measure(b, &kr, || tok.encode_ordinary(ref_text))
            });
        }
        let input = if ours_text.len() == ref_text.len() {
            format!("{what}, {}", human_bytes(ours_text.len()))
        } else {
            format!("{what}, ours {} / ref {}", human_bytes(ours_text.len()), human_bytes(ref_text.len()))
        };
        rows.push(Row {
            op: "encode",
            input,
            ours_key: ko,
            other_key: kr,
            ours_units: ours_text.len() as f64 / (1 << 20) as f64,
            other_units: ref_text.len() as f64 / (1 << 20) as f64,
            unit: "MB",
            ours_tokens: Some(ours_tokens.len() as f64),
            kind: Kind::Speedup,
            note: note.into(),
        });
    };

    let prose = prose_bytes(mb);
    pair(&mut g, rows, "prose", &prose, &prose, "English prose");
    let mixed = mixed_bytes(mb);
    pair(&mut g, rows, "mixed scripts", &mixed, &mixed, "prose with CJK, Cyrillic, Arabic, accents, emoji");
    let ref_sizes: &[usize] = if quick() { &[10 << 10] } else { &[10 << 10, 40 << 10] };
    for (what, ch) in [("repeated 'a'", "a"), ("spaces", " ")] {
        let big = ch.repeat(mb);
        for &s in ref_sizes {
            let small = ch.repeat(s);
            pair(&mut g, rows, what, &small, &small, "same input");
        }
        // Ours at 1 MB, compared per byte with the reference at its largest feasible size.
        let largest = ch.repeat(*ref_sizes.last().unwrap());
        pair(&mut g, rows, what, &big, &largest, "per byte; the reference is quadratic (1 MB panics in 0.0.8)");
    }
    // One long piece that is not periodic: random lowercase letters (no window repeats).
    let mut r = corpus::Rng::new(11);
    let letters: String = (0..mb).map(|_| (b'a' + r.below(26) as u8) as char).collect();
    for &s in ref_sizes {
        pair(&mut g, rows, "random letters", &letters[..s], &letters[..s], "same input");
    }
    pair(&mut g, rows, "random letters", &letters, &letters[..*ref_sizes.last().unwrap()], "per byte; one 1 MB piece");
    g.finish();
    rows.push(Row {
        op: "long-piece cost",
        input: "ours: 1 MB random letters (one piece) vs 1 MB prose".into(),
        ours_key: format!("encode/ours/random letters/{mb}"),
        other_key: format!("encode/ours/prose/{mb}"),
        ours_units: 1.0,
        other_units: 1.0,
        unit: "MB",
        ours_tokens: None,
        kind: Kind::Relative,
        note: "a 1 MB piece that no window repeats: every window is merged (linear, but ~20× prose per byte)".into(),
    });
    // Linear time: 1 MB of one character vs 1 MB of prose, ours.
    for what in ["repeated 'a'", "spaces"] {
        rows.push(Row {
            op: "linear-time check",
            input: format!("ours: 1 MB {what} vs 1 MB prose"),
            ours_key: format!("encode/ours/{what}/{mb}"),
            other_key: format!("encode/ours/prose/{mb}"),
            ours_units: 1.0,
            other_units: 1.0,
            unit: "MB",
            ours_tokens: None,
            kind: Kind::Relative,
            note: "time of 1 MB of one character / time of 1 MB of prose (goal: at most 3×)".into(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// C ABI overhead per streamed token

fn bench_ffi(c: &mut Criterion, rows: &mut Vec<Row>) {
    use harmony::ffi::parser::{harmony_parser, harmony_parser_free, harmony_parser_last_delta, harmony_parser_new, harmony_parser_process};
    use harmony::ffi::{harmony_encoding, harmony_encoding_free, harmony_encoding_new, harmony_status};
    use std::ffi::c_char;
    use std::ptr::{null, null_mut};

    let tokens = completion(32768);
    let mut enc: *const harmony_encoding = null();
    // SAFETY: valid out-pointers; NULL error pointer is allowed.
    assert!(unsafe { harmony_encoding_new(null(), &mut enc, null_mut()) } == harmony_status::HARMONY_OK);
    let new_parser = || {
        let mut p: *mut harmony_parser = null_mut();
        // SAFETY: `enc` is a live handle.
        assert!(unsafe { harmony_parser_new(enc, 1, 0, &mut p, null_mut()) } == harmony_status::HARMONY_OK);
        p
    };
    // The C caller's loop: feed a token, read the borrowed delta.
    let stream_ffi = |p: *mut harmony_parser| {
        let mut bytes = 0usize;
        for &t in &tokens {
            let (mut data, mut len): (*const c_char, usize) = (null(), 0);
            // SAFETY: `p` is a live parser used by this thread only.
            unsafe {
                if harmony_parser_process(p, t, null_mut()) != harmony_status::HARMONY_OK {
                    panic!("ffi process failed");
                }
                harmony_parser_last_delta(p, &mut data, &mut len);
            }
            bytes += len;
        }
        bytes
    };
    let stream_direct = |p: &mut StreamParser| {
        let mut bytes = 0usize;
        for &t in &tokens {
            p.process(t).unwrap();
            bytes += p.last_content_delta().map_or(0, str::len);
        }
        bytes
    };

    // Allocations in the per-token path (parser created beforehand, as a server would).
    let p = new_parser();
    let (allocs, bytes, _) = count_allocs(|| stream_ffi(p));
    // SAFETY: created above, freed once.
    unsafe { harmony_parser_free(p) };
    record::fact(
        "allocations while streaming 32k tokens through the C ABI",
        format!(
            "{allocs} allocations ({bytes} bytes) for {} tokens = {:.5} per token (amortised growth of the parser's token and text buffers; none per token)",
            tokens.len(),
            allocs as f64 / tokens.len() as f64
        ),
    );

    let label = format!("{} tokens", human_tokens(tokens.len()));
    let mut g = c.benchmark_group("ffi");
    g.throughput(Throughput::Elements(tokens.len() as u64));
    g.bench_function(BenchmarkId::new("C ABI", &label), |b| {
        measure(b, "ffi/c", || {
            let p = new_parser();
            let n = stream_ffi(p);
            // SAFETY: created just above.
            unsafe { harmony_parser_free(p) };
            n
        })
    });
    g.bench_function(BenchmarkId::new("Rust", &label), |b| {
        measure(b, "ffi/rust", || {
            let mut p = StreamParser::new(Some(Role::Assistant), ParseOptions::default());
            black_box(stream_direct(&mut p))
        })
    });
    g.finish();
    // SAFETY: created above, freed once.
    unsafe { harmony_encoding_free(enc) };
    rows.push(Row {
        op: "C ABI overhead",
        input: format!("stream one message, {label}"),
        ours_key: "ffi/c".into(),
        other_key: "ffi/rust".into(),
        ours_units: tokens.len() as f64,
        other_units: tokens.len() as f64,
        unit: "token",
        ours_tokens: Some(tokens.len() as f64),
        kind: Kind::Overhead,
        note: "harmony_parser_process + harmony_parser_last_delta vs StreamParser::process + last_content_delta".into(),
    });
}

/// benches/c/event_loop.c's completion, token for token (the one benches/cpp/stream_per_token.cpp
/// and the Go BenchmarkOneCallPerToken feed too): `<|channel|>final<|message|>`, one English
/// sentence repeated, `<|return|>`, 32,768 tokens in all. Few distinct tokens (warm caches),
/// unlike `completion(32768)`.
fn event_loop_tokens() -> Vec<u32> {
    const N: usize = 32768;
    let unit = "The quick brown fox jumps over the lazy dog, and then it rests in the shade. ";
    let body = harmony::tokenizer::encode(&unit.repeat(4000), harmony::AllowedSpecial::None);
    assert!(body.len() >= N);
    let mut t = vec![200005, 17196, 200008]; // <|channel|>final<|message|>
    t.extend_from_slice(&body[..N - 4]);
    t.push(200002); // <|return|>
    t
}

/// The per-token event path (issue 14): `StreamParser::process_event` in Rust and one
/// `harmony_parser_step` per token through the C ABI, on the same 32k-token completion (and on
/// event_loop.c's, for the per-language table of benches/RESULTS.md).
fn bench_event(c: &mut Criterion, rows: &mut Vec<Row>) {
    use harmony::ffi::parser::{harmony_parser, harmony_parser_event, harmony_parser_free, harmony_parser_new, harmony_parser_step};
    use harmony::ffi::{harmony_encoding, harmony_encoding_free, harmony_encoding_new, harmony_status};
    use std::ptr::{null, null_mut};

    let mut enc: *const harmony_encoding = null();
    // SAFETY: valid out-pointers; NULL error pointer is allowed.
    assert!(unsafe { harmony_encoding_new(null(), &mut enc, null_mut()) } == harmony_status::HARMONY_OK);
    let stream_c = |tokens: &[u32]| {
        let mut p: *mut harmony_parser = null_mut();
        // SAFETY: `enc` is a live handle; `p` is used by this thread only and freed once.
        unsafe {
            assert!(harmony_parser_new(enc, 1, 0, &mut p, null_mut()) == harmony_status::HARMONY_OK);
            let mut ev = std::mem::MaybeUninit::<harmony_parser_event>::uninit();
            let mut bytes = 0usize;
            for &t in tokens {
                if harmony_parser_step(p, t, ev.as_mut_ptr(), null_mut()) != harmony_status::HARMONY_OK {
                    panic!("harmony_parser_step failed");
                }
                bytes += (*ev.as_ptr()).delta.len;
            }
            harmony_parser_free(p);
            bytes
        }
    };
    let stream_rust = |tokens: &[u32]| {
        let mut p = StreamParser::new(Some(Role::Assistant), ParseOptions::default());
        let mut bytes = 0usize;
        for &t in tokens {
            bytes += p.process_event(t).unwrap().delta.map_or(0, str::len);
        }
        bytes
    };
    let prose = completion(32768);
    let fox = event_loop_tokens();
    let label = format!("{} tokens", human_tokens(prose.len()));
    let fox_label = format!("{} tokens (event_loop.c)", human_tokens(fox.len()));
    let mut g = c.benchmark_group("event");
    g.throughput(Throughput::Elements(prose.len() as u64));
    g.bench_function(BenchmarkId::new("Rust process_event", &label), |b| measure(b, "event/rust", || stream_rust(&prose)));
    g.bench_function(BenchmarkId::new("C harmony_parser_step", &label), |b| measure(b, "event/c", || stream_c(&prose)));
    g.throughput(Throughput::Elements(fox.len() as u64));
    g.bench_function(BenchmarkId::new("Rust process_event", &fox_label), |b| measure(b, "event/rust_fox", || stream_rust(&fox)));
    g.bench_function(BenchmarkId::new("C harmony_parser_step", &fox_label), |b| measure(b, "event/c_fox", || stream_c(&fox)));
    g.finish();
    // SAFETY: created above, freed once.
    unsafe { harmony_encoding_free(enc) };
    rows.push(Row {
        op: "event per token, Rust",
        input: format!("stream one message, {label}"),
        ours_key: "event/rust".into(),
        other_key: "ffi/rust".into(),
        ours_units: prose.len() as f64,
        other_units: prose.len() as f64,
        unit: "token",
        ours_tokens: Some(prose.len() as f64),
        kind: Kind::Overhead,
        note: "StreamParser::process_event (delta + flags + header views) vs process + last_content_delta".into(),
    });
    for (input, ours, other, n) in [(&label, "event/c", "event/rust", prose.len()), (&fox_label, "event/c_fox", "event/rust_fox", fox.len())] {
        rows.push(Row {
            op: "event per token, C ABI",
            input: format!("stream one message, {input}"),
            ours_key: ours.into(),
            other_key: other.into(),
            ours_units: n as f64,
            other_units: n as f64,
            unit: "token",
            ours_tokens: Some(n as f64),
            kind: Kind::Overhead,
            note: "one harmony_parser_step per token (fills harmony_parser_event) vs StreamParser::process_event".into(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Chat Completions stream through the C ABI (issues 14 and 18: one reused buffer per stream,
// a chunk only when a delta exists; goal <= 300 ns per token)

/// A realistic completion: reasoning, a preamble, a function call, after the tool answer
/// more reasoning and a final answer (the two sampling turns of a tool loop, back to back).
fn chat_completion_tokens() -> Vec<u32> {
    let mut r = corpus::Rng::new(18);
    let text = format!(
        "<|channel|>analysis<|message|>{}<|end|><|start|>assistant<|channel|>commentary<|message|>{}<|end|>\
         <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>\
         {{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\", \"days\": 3}}<|call|>\
         <|start|>assistant<|channel|>analysis<|message|>{}<|end|><|start|>assistant<|channel|>final<|message|>{}<|return|>",
        corpus::prose(&mut r, 300),
        corpus::prose(&mut r, 30),
        corpus::prose(&mut r, 200),
        corpus::prose(&mut r, 400),
    );
    // The prompt ends with `<|start|>assistant`: the completion starts at `<|channel|>`.
    harmony::tokenizer::encode(&text, harmony::AllowedSpecial::All)
}

fn bench_chat_stream(c: &mut Criterion, rows: &mut Vec<Row>) {
    use harmony::ffi::chat::{harmony_chat_stream, harmony_chat_stream_finish, harmony_chat_stream_free, harmony_chat_stream_new, harmony_chat_stream_next, harmony_chat_stream_process};
    use harmony::ffi::{harmony_encoding, harmony_encoding_free, harmony_encoding_new, harmony_status, harmony_string, harmony_string_free};
    use std::ffi::c_char;
    use std::ptr::{null, null_mut};

    let tokens = chat_completion_tokens();
    let mut enc: *const harmony_encoding = null();
    // SAFETY: valid out-pointers; NULL error pointer is allowed.
    assert!(unsafe { harmony_encoding_new(null(), &mut enc, null_mut()) } == harmony_status::HARMONY_OK);
    let opts = br#"{"model":"gpt-oss-120b","id":"chatcmpl-bench","created":1764547200}"#;
    let new_stream = || {
        let mut s: *mut harmony_chat_stream = null_mut();
        // SAFETY: `enc` is live; the options are `opts.len()` bytes of UTF-8.
        let st = unsafe { harmony_chat_stream_new(enc, opts.as_ptr().cast(), opts.len(), &mut s, null_mut()) };
        assert!(st == harmony_status::HARMONY_OK);
        s
    };
    // The server's loop: feed a token, forward the borrowed chunk if there is one.
    let run_next = |s: *mut harmony_chat_stream| {
        let mut bytes = 0usize;
        for &t in &tokens {
            let (mut data, mut len): (*const c_char, usize) = (null(), 0);
            // SAFETY: `s` is a live stream used by this thread only.
            if unsafe { harmony_chat_stream_next(s, t, &mut data, &mut len, null_mut()) } != harmony_status::HARMONY_OK {
                panic!("chat stream failed");
            }
            bytes += len;
        }
        let mut last = harmony_string { data: null_mut(), len: 0 };
        // SAFETY: as above; `last` is released right after.
        unsafe {
            harmony_chat_stream_finish(s, &mut last, null_mut());
            bytes += last.len;
            harmony_string_free(&mut last);
        }
        bytes
    };
    // The copying call of 0.1.0 (one caller-owned string per chunk).
    let run_process = |s: *mut harmony_chat_stream| {
        let mut bytes = 0usize;
        for &t in &tokens {
            let mut chunk = harmony_string { data: null_mut(), len: 0 };
            // SAFETY: as above; every chunk is released.
            unsafe {
                if harmony_chat_stream_process(s, t, &mut chunk, null_mut()) != harmony_status::HARMONY_OK {
                    panic!("chat stream failed");
                }
                bytes += chunk.len;
                harmony_string_free(&mut chunk);
            }
        }
        bytes
    };
    let s = new_stream();
    let (allocs, abytes, chunk_bytes) = count_allocs(|| run_next(s));
    // SAFETY: created above, freed once.
    unsafe { harmony_chat_stream_free(s) };
    record::fact(
        "allocations while streaming a chat completion through harmony_chat_stream_next",
        format!(
            "{allocs} allocations ({abytes} bytes) for {} tokens = {:.4} per token, {chunk_bytes} bytes of chunks (amortised buffer growth, the ids and the last chunk; none per token)",
            tokens.len(),
            allocs as f64 / tokens.len() as f64
        ),
    );
    let reference_stream = || {
        let mut p = StreamableParser::new(reference().clone(), Some(RefRole::Assistant)).unwrap();
        let mut bytes = 0usize;
        for &t in &tokens {
            p.process(t).unwrap();
            bytes += p.last_content_delta().unwrap().map_or(0, |d| d.len());
        }
        bytes
    };

    let label = format!("{} tokens (reasoning, preamble, call, reasoning, answer)", tokens.len());
    let mut g = c.benchmark_group("chat_stream");
    g.throughput(Throughput::Elements(tokens.len() as u64));
    g.bench_function(BenchmarkId::new("harmony_chat_stream_next", &label), |b| {
        measure(b, "chat/next", || {
            let s = new_stream();
            let n = run_next(s);
            // SAFETY: created just above.
            unsafe { harmony_chat_stream_free(s) };
            n
        })
    });
    g.bench_function(BenchmarkId::new("harmony_chat_stream_process", &label), |b| {
        measure(b, "chat/process", || {
            let s = new_stream();
            let n = run_process(s);
            // SAFETY: created just above.
            unsafe { harmony_chat_stream_free(s) };
            n
        })
    });
    g.bench_function(BenchmarkId::new("reference StreamableParser", &label), |b| {
        measure(b, "chat/ref", || black_box(reference_stream()))
    });
    g.finish();
    // SAFETY: created above, freed once.
    unsafe { harmony_encoding_free(enc) };
    rows.push(Row {
        op: "chat stream (C ABI)",
        input: label.clone(),
        ours_key: "chat/next".into(),
        other_key: "chat/ref".into(),
        ours_units: tokens.len() as f64,
        other_units: tokens.len() as f64,
        unit: "token",
        ours_tokens: Some(tokens.len() as f64),
        kind: Kind::Speedup,
        note: "harmony_chat_stream_next (chunk JSON per delta) vs the reference's StreamableParser::process + last_content_delta alone (no chunk at all)".into(),
    });
    rows.push(Row {
        op: "chat stream, copying call",
        input: label,
        ours_key: "chat/next".into(),
        other_key: "chat/process".into(),
        ours_units: tokens.len() as f64,
        other_units: tokens.len() as f64,
        unit: "token",
        ours_tokens: Some(tokens.len() as f64),
        kind: Kind::Speedup,
        note: "harmony_chat_stream_next (borrowed chunk) vs harmony_chat_stream_process (a caller-owned copy per chunk)".into(),
    });
}

// ---------------------------------------------------------------------------------------------
// Responses stream through the C ABI (issue 18: the same completion as the chat stream, one
// token per call, the stream created beforehand as a server would; goal <= 300 ns per token)

fn bench_responses_stream(c: &mut Criterion, rows: &mut Vec<Row>) {
    use harmony::ffi::responses::{harmony_responses_stream, harmony_responses_stream_finish, harmony_responses_stream_free, harmony_responses_stream_new, harmony_responses_stream_next, harmony_responses_stream_process};
    use harmony::ffi::{harmony_encoding, harmony_encoding_free, harmony_encoding_new, harmony_status, harmony_string, harmony_string_free};
    use std::ffi::c_char;
    use std::ptr::{null, null_mut};

    let tokens = chat_completion_tokens();
    let mut enc: *const harmony_encoding = null();
    // SAFETY: valid out-pointers; NULL error pointer is allowed.
    assert!(unsafe { harmony_encoding_new(null(), &mut enc, null_mut()) } == harmony_status::HARMONY_OK);
    let opts = br#"{"model":"gpt-oss-120b","id":"resp_bench","created_at":1764547200}"#;
    let new_stream = || {
        let mut s: *mut harmony_responses_stream = null_mut();
        // SAFETY: `enc` is live; the options are `opts.len()` bytes of UTF-8.
        let st = unsafe { harmony_responses_stream_new(enc, opts.as_ptr().cast(), opts.len(), &mut s, null_mut()) };
        assert!(st == harmony_status::HARMONY_OK);
        s
    };
    let finish = |s: *mut harmony_responses_stream| {
        let mut last = harmony_string { data: null_mut(), len: 0 };
        // SAFETY: `s` is live; `last` is released right after.
        unsafe {
            assert!(harmony_responses_stream_finish(s, &mut last, null_mut()) == harmony_status::HARMONY_OK);
            let n = last.len;
            harmony_string_free(&mut last);
            n
        }
    };
    // The server's loop: feed a token, forward the borrowed events if there are any.
    let run_next = |s: *mut harmony_responses_stream| {
        let mut bytes = 0usize;
        for &t in &tokens {
            let (mut data, mut len): (*const c_char, usize) = (null(), 0);
            // SAFETY: `s` is a live stream used by this thread only.
            if unsafe { harmony_responses_stream_next(s, t, &mut data, &mut len, null_mut()) } != harmony_status::HARMONY_OK {
                panic!("responses stream failed");
            }
            bytes += len;
        }
        bytes + finish(s)
    };
    // The copying call (one caller-owned JSON array per token, `[]` when none).
    let run_process = |s: *mut harmony_responses_stream| {
        let mut bytes = 0usize;
        for &t in &tokens {
            let mut events = harmony_string { data: null_mut(), len: 0 };
            // SAFETY: `s` is a live stream used by this thread only; every array is released.
            unsafe {
                if harmony_responses_stream_process(s, t, &mut events, null_mut()) != harmony_status::HARMONY_OK {
                    panic!("responses stream failed");
                }
                bytes += events.len;
                harmony_string_free(&mut events);
            }
        }
        bytes + finish(s)
    };
    // Allocations token by token: which tokens allocate at all.
    let s = new_stream();
    let (mut allocs, mut abytes, mut allocating, mut event_bytes) = (0, 0, 0, 0);
    for &t in &tokens {
        let (mut data, mut len): (*const c_char, usize) = (null(), 0);
        // SAFETY: `s` is a live stream used by this thread only.
        let (a, b, st) = count_allocs(|| unsafe { harmony_responses_stream_next(s, t, &mut data, &mut len, null_mut()) });
        assert!(st == harmony_status::HARMONY_OK);
        (allocs, abytes, event_bytes) = (allocs + a, abytes + b, event_bytes + len);
        allocating += usize::from(a > 0);
    }
    let (finish_allocs, _, _) = count_allocs(|| finish(s));
    // SAFETY: created above, freed once.
    unsafe { harmony_responses_stream_free(s) };
    record::fact(
        "allocations while streaming a Responses completion through harmony_responses_stream_next",
        format!(
            "{allocs} allocations ({abytes} bytes) for {} tokens = {:.4} per token, {event_bytes} bytes of events; only {allocating} tokens allocate (those that start the response, open or close an output item, or grow a buffer), none of the other {} (each delta event is written as text into the reused buffer); finish: {finish_allocs} (the response object)",
            tokens.len(),
            allocs as f64 / tokens.len() as f64,
            tokens.len() - allocating
        ),
    );
    let s = new_stream();
    let (allocs, _, _) = count_allocs(|| run_process(s));
    // SAFETY: created above, freed once.
    unsafe { harmony_responses_stream_free(s) };
    record::fact(
        "the copying harmony_responses_stream_process",
        format!("{allocs} allocations for {} tokens = {:.4} per token (one caller-owned array per token)", tokens.len(), allocs as f64 / tokens.len() as f64),
    );
    let reference_stream = || {
        let mut p = StreamableParser::new(reference().clone(), Some(RefRole::Assistant)).unwrap();
        let mut bytes = 0usize;
        for &t in &tokens {
            p.process(t).unwrap();
            bytes += p.last_content_delta().unwrap().map_or(0, |d| d.len());
        }
        bytes
    };

    let label = format!("{} tokens (reasoning, preamble, call, reasoning, answer)", tokens.len());
    let mut g = c.benchmark_group("responses_stream");
    g.throughput(Throughput::Elements(tokens.len() as u64));
    g.bench_function(BenchmarkId::new("harmony_responses_stream_next", &label), |b| {
        measure(b, "responses/next", || {
            let s = new_stream();
            let n = run_next(s);
            // SAFETY: created just above.
            unsafe { harmony_responses_stream_free(s) };
            n
        })
    });
    g.bench_function(BenchmarkId::new("harmony_responses_stream_process", &label), |b| {
        measure(b, "responses/process", || {
            let s = new_stream();
            let n = run_process(s);
            // SAFETY: created just above.
            unsafe { harmony_responses_stream_free(s) };
            n
        })
    });
    g.bench_function(BenchmarkId::new("reference StreamableParser", &label), |b| {
        measure(b, "responses/ref", || black_box(reference_stream()))
    });
    g.finish();
    // SAFETY: created above, freed once.
    unsafe { harmony_encoding_free(enc) };
    rows.push(Row {
        op: "responses stream (C ABI)",
        input: label.clone(),
        ours_key: "responses/next".into(),
        other_key: "responses/ref".into(),
        ours_units: tokens.len() as f64,
        other_units: tokens.len() as f64,
        unit: "token",
        ours_tokens: Some(tokens.len() as f64),
        kind: Kind::Speedup,
        note: "harmony_responses_stream_next (events JSON per delta) vs the reference's StreamableParser::process + last_content_delta alone (no events at all)".into(),
    });
    rows.push(Row {
        op: "responses stream, copying call",
        input: label,
        ours_key: "responses/next".into(),
        other_key: "responses/process".into(),
        ours_units: tokens.len() as f64,
        other_units: tokens.len() as f64,
        unit: "token",
        ours_tokens: Some(tokens.len() as f64),
        kind: Kind::Speedup,
        note: "harmony_responses_stream_next (borrowed array) vs harmony_responses_stream_process (a caller-owned copy per token)".into(),
    });
}

// ---------------------------------------------------------------------------------------------
// Whole-process start-up

fn bin(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| manifest().join(default))
}

fn bench_startup(c: &mut Criterion, rows: &mut Vec<Row>) {
    let ours = bin("HARMONY_BIN", "target/release/harmony");
    let theirs = bin("REFERENCE_CLI", "target/release/examples/reference_cli");
    if !ours.exists() || !theirs.exists() {
        println!(
            "startup: skipped ({} or {} missing; run `cargo build --release --bin harmony --example reference_cli`)",
            ours.display(),
            theirs.display()
        );
        return;
    }
    let data = manifest().join("benches/data");
    let conv = data.join("small_conversation.json");
    let comp = data.join("small_completion.json");
    let cases: [(&str, &str, Vec<&str>, Vec<&str>, &Path); 2] = [
        ("render", "render one small conversation", vec!["render", "--keep-analysis"], vec!["render"], &conv),
        ("parse", "parse one small completion", vec!["parse", "--role", "assistant"], vec!["parse", "--role", "assistant"], &comp),
    ];
    let run = |exe: &Path, args: &[&str], file: &Path| {
        let out = std::process::Command::new(exe).args(args).arg(file).output().expect("spawn");
        assert!(out.status.success(), "{} failed: {}", exe.display(), String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let mut g = c.benchmark_group("startup");
    g.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(if quick() { 2 } else { 5 }));
    for (name, input, ours_args, ref_args, file) in cases {
        assert_eq!(run(&ours, &ours_args, file), run(&theirs, &ref_args, file), "{name}: outputs differ");
        let (ko, kr) = (format!("startup/ours/{name}"), format!("startup/ref/{name}"));
        g.bench_function(BenchmarkId::new("ours", name), |b| measure(b, &ko, || run(&ours, &ours_args, file)));
        g.bench_function(BenchmarkId::new("reference", name), |b| measure(b, &kr, || run(&theirs, &ref_args, file)));
        rows.push(Row {
            op: "start-up (process)",
            input: input.into(),
            ours_key: ko,
            other_key: kr,
            ours_units: 1.0,
            other_units: 1.0,
            unit: "process",
            ours_tokens: None,
            kind: Kind::Speedup,
            note: "spawn, read, answer, exit".into(),
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Memory: one vocabulary per process however many handles

fn rss_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn memory_probe() {
    use harmony::ffi::{harmony_encoding, harmony_encoding_free, harmony_encoding_new};
    use std::ptr::{null, null_mut};
    let base = rss_kb("VmRSS:");
    let _ = harmony::tokenizer::encode_ordinary("warm up the encoder");
    let one = rss_kb("VmRSS:");
    let one_anon = rss_kb("RssAnon:");
    let (allocs, bytes, handles) = count_allocs(|| {
        (0..1000)
            .map(|_| {
                let mut e: *const harmony_encoding = null();
                // SAFETY: valid out-pointer.
                unsafe { harmony_encoding_new(null(), &mut e, null_mut()) };
                let _ = harmony::tokenizer::encode_ordinary("each handle encodes something");
                e
            })
            .collect::<Vec<_>>()
    });
    let thousand = rss_kb("VmRSS:");
    let thousand_anon = rss_kb("RssAnon:");
    for e in handles {
        // SAFETY: each created above, freed once.
        unsafe { harmony_encoding_free(e) };
    }
    record::fact("ours: RSS growth for the encoder tables (first encode)", format!("{} KB", one.saturating_sub(base)));
    record::fact(
        "ours: 1000 more encoding handles",
        // Anonymous memory is what the handles cost; VmRSS also counts the pages of the
        // embedded tables that the new text's lookups fault in (file-backed, 64 KiB at a time).
        format!(
            "+{} KB of anonymous memory (+{} KB RSS with the embedded tables' pages the new text touched), \
             {allocs} allocations totalling {bytes} bytes",
            thousand_anon.saturating_sub(one_anon),
            thousand.saturating_sub(one)
        ),
    );
    let before = rss_kb("VmRSS:");
    let r1 = load_reference();
    let after1 = rss_kb("VmRSS:");
    let r2 = load_reference();
    let after2 = rss_kb("VmRSS:");
    drop((r1, r2));
    record::fact(
        "reference: RSS growth per load_harmony_encoding",
        format!("{} KB first, {} KB second (each load builds its own vocabulary)", after1 - before, after2.saturating_sub(after1)),
    );
}


// ---------------------------------------------------------------------------------------------
// Grammar generation (harmony::grammar): a request with 20 tools, each format, against
// rendering the same request's prompt (target: < 1 ms per grammar).

fn grammar_request(tools: usize) -> String {
    let tools: Vec<serde_json::Value> = (0..tools)
        .map(|i| {
            serde_json::json!({"type": "function", "function": {
                "name": format!("tool_{i}"),
                "description": "A tool with a typical parameter schema",
                "parameters": {"type": "object", "properties": {
                    "query": {"type": "string", "description": "what to look for"},
                    "limit": {"type": "integer"},
                    "mode": {"type": "string", "enum": ["fast", "deep", "exact"]},
                    "filters": {"type": "object", "properties": {
                        "lang": {"type": ["string", "null"]},
                        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                        "since": {"type": "number", "nullable": true}}},
                    "choice": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}]}},
                    "required": ["query"]}}})
        })
        .collect();
    serde_json::json!({"messages": [{"role": "user", "content": "hi"}], "tools": tools}).to_string()
}

fn bench_grammar(c: &mut Criterion, rows: &mut Vec<Row>) {
    use harmony::grammar::{chat_grammar, GrammarFormat, GrammarOptions};
    let request = grammar_request(20);
    let opts = GrammarOptions::default();
    let chat = harmony::chat_completions::ChatOptions::default();
    let prompt = harmony::chat_completions::render_request(&request, &chat).unwrap().len();
    let mut g = c.benchmark_group("grammar");
    let label = "20 tools";
    g.bench_function(BenchmarkId::new("chat render (prompt)", label), |b| {
        measure(b, "grammar/render", || harmony::chat_completions::render_request(&request, &chat).unwrap())
    });
    for (name, format) in [("lark", GrammarFormat::Lark), ("gbnf", GrammarFormat::Gbnf), ("xgrammar", GrammarFormat::Xgrammar)] {
        let key = format!("grammar/{name}");
        let len = chat_grammar(&request, format, &opts).unwrap().len();
        g.bench_function(BenchmarkId::new(name, label), |b| measure(b, &key, || chat_grammar(&request, format, &opts).unwrap()));
        rows.push(Row {
            op: "grammar",
            input: format!("{name}, request with 20 tools ({len} bytes of grammar)"),
            ours_key: key.clone(),
            other_key: "grammar/render".into(),
            ours_units: 1.0,
            other_units: 1.0,
            unit: "request",
            ours_tokens: None,
            kind: Kind::Relative,
            note: format!("chat_grammar vs render_request of the same request ({prompt} prompt tokens)"),
        });
        if let Some(ns) = record::typical_ns(&key) {
            record::fact(&format!("ours: {name} grammar for 20 tools"), format!("{:.1} µs (target < 1000 µs)", ns / 1000.0));
        }
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let mut c = Criterion::default()
        .sample_size(if quick() { 10 } else { 30 })
        .warm_up_time(Duration::from_millis(if quick() { 200 } else { 1000 }))
        .measurement_time(Duration::from_millis(if quick() { 700 } else { 3000 }))
        .configure_from_args();
    memory_probe();
    // Load both sides before measuring anything.
    let _ = reference();
    harmony::tokenizer::warm_up();
    let mut rows = Vec::new();
    bench_render(&mut c, &mut rows);
    bench_parse(&mut c, &mut rows);
    bench_encode(&mut c, &mut rows);
    bench_ffi(&mut c, &mut rows);
    bench_event(&mut c, &mut rows);
    bench_chat_stream(&mut c, &mut rows);
    bench_responses_stream(&mut c, &mut rows);
    bench_startup(&mut c, &mut rows);
    bench_grammar(&mut c, &mut rows);
    c.final_summary();
    record::report(&rows);
}
