//! Hostile input. Every malformed, truncated, mistyped, huge, deep or adversarial input ends in
//! a clean error or a correct result:
//!
//! - through the CLI binary: exit status 0 or 1, never a panic's 101 or a signal, and in
//!   `--jsonl` mode a good line after bad ones still gets its answer;
//! - through the C ABI (called from Rust as a C caller would): a status, never an abort and
//!   never `HARMONY_ERROR_PANIC`.
//!
//! Also: no spelling of any of the 1,091 special tokens, placed anywhere text can go in a
//! conversation, renders as a control token; and inputs that could drive deep recursion or
//! super-linear work are bounded (see `resource_*` tests).
#![allow(clippy::missing_safety_doc)]

mod common;

use common::Rng;
use harmony::chat::messages_to_json;
use harmony::ffi::error::{
    harmony_error, harmony_error_free, harmony_error_message, harmony_error_status, harmony_status, harmony_status_name,
};
use harmony::ffi::parser::*;
use harmony::ffi::*;
use harmony::tokenizer::{self, special_name, AllowedSpecial, FIRST_SPECIAL, VOCAB_SIZE};
use harmony::{Conversation, Message, ParseOptions, RenderOptions, Role, StreamParser};
use serde_json::{json, Map, Value};
use std::ffi::c_char;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::ptr::{null, null_mut};

use harmony_status::*;

// ---------------------------------------------------------------------------------------------
// CLI support

fn cli(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harmony"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn harmony");
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Asserts the CLI ended cleanly (0 or 1, no signal) and returns the status.
fn clean(o: &Output, what: &str) -> i32 {
    let code = o.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{what}: exit {:?} (must be 0 or 1), stderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    if code == Some(1) && o.stdout.is_empty() {
        assert!(String::from_utf8_lossy(&o.stderr).contains("error"), "{what}: exit 1 without an error message");
    }
    code.unwrap()
}

/// Runs a `--jsonl` command over `lines` and returns one answer per line: `Ok(text)` or
/// `Err(error message)`.
fn jsonl(args: &[&str], lines: &[Vec<u8>]) -> Vec<Result<String, String>> {
    let mut input = Vec::new();
    for l in lines {
        assert!(!l.contains(&b'\n'), "a JSONL line must not contain a newline");
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    let mut all = args.to_vec();
    all.push("--jsonl");
    let o = cli(&all, &input);
    let code = clean(&o, &format!("{args:?} --jsonl"));
    let out = String::from_utf8(o.stdout).expect("--jsonl output is UTF-8");
    let answers: Vec<Result<String, String>> = out
        .lines()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(m)) if m.contains_key("error") => Err(m["error"].as_str().unwrap().to_string()),
            _ => Ok(l.to_string()),
        })
        .collect();
    assert_eq!(answers.len(), lines.len(), "{args:?}: one answer per line");
    assert_eq!(code == 0, answers.iter().all(Result::is_ok), "{args:?}: exit status 1 iff a line failed");
    answers
}

fn tokens_json(t: &[u32]) -> String {
    serde_json::to_string(t).unwrap()
}

// ---------------------------------------------------------------------------------------------
// C ABI support

struct Enc(*const harmony_encoding);

impl Drop for Enc {
    fn drop(&mut self) {
        unsafe { harmony_encoding_free(self.0) }
    }
}

fn enc() -> Enc {
    let mut e = null();
    assert_eq!(unsafe { harmony_encoding_new(null(), &mut e, null_mut()) }, HARMONY_OK);
    Enc(e)
}

type CResult<T> = Result<T, (harmony_status, String)>;

/// Checks a status/error pair, frees the error, and never accepts a caught panic.
unsafe fn outcome(st: harmony_status, err: *mut harmony_error) -> CResult<()> {
    assert_ne!(st, HARMONY_ERROR_PANIC, "a panic reached the C boundary: {}", unsafe { msg(err) });
    if st == HARMONY_OK {
        assert!(err.is_null(), "success leaves *err NULL");
        return Ok(());
    }
    assert!(!err.is_null(), "failure fills *err");
    assert_eq!(unsafe { harmony_error_status(err) }, st);
    let m = unsafe { msg(err) };
    assert!(!m.is_empty(), "{st:?} has an empty message");
    unsafe { harmony_error_free(err) };
    Err((st, m))
}

unsafe fn msg(err: *const harmony_error) -> String {
    unsafe { std::ffi::CStr::from_ptr(harmony_error_message(err)) }.to_string_lossy().into_owned()
}

unsafe fn take_tokens(t: &mut harmony_tokens) -> Vec<u32> {
    let v = if t.len == 0 { vec![] } else { unsafe { std::slice::from_raw_parts(t.data, t.len) }.to_vec() };
    unsafe { harmony_tokens_free(t) };
    v
}

unsafe fn take_string(s: &mut harmony_string) -> String {
    assert!(!s.data.is_null());
    let bytes = unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) };
    assert_eq!(unsafe { *s.data.add(s.len) }, 0, "strings are NUL-terminated");
    let v = String::from_utf8(bytes.to_vec()).expect("library strings are UTF-8");
    unsafe { harmony_string_free(s) };
    v
}

fn c_render(e: &Enc, mode: i32, json: &[u8], role: i32, flags: u32) -> CResult<Vec<u32>> {
    unsafe {
        let mut out = harmony_tokens { data: 7 as *mut u32, len: 3 };
        let mut err = 1 as *mut harmony_error;
        let st = harmony_render(e.0, mode, json.as_ptr().cast(), json.len(), role, flags, &mut out, &mut err);
        outcome(st, err)?;
        Ok(take_tokens(&mut out))
    }
}

fn c_parse(e: &Enc, tokens: &[u32], role: i32, flags: u32) -> CResult<String> {
    unsafe {
        let mut out = harmony_string { data: null_mut(), len: 0 };
        let mut err = null_mut();
        let st = harmony_parse(e.0, tokens.as_ptr(), tokens.len(), role, flags, &mut out, &mut err);
        if st != HARMONY_OK {
            assert!(out.data.is_null() && out.len == 0, "failure leaves *out empty");
        }
        outcome(st, err)?;
        Ok(take_string(&mut out))
    }
}

/// Streams `tokens` through a C parser one at a time; an error carries the token index
/// (`tokens.len()` for end of stream).
fn c_stream(e: &Enc, tokens: &[u32], role: i32, flags: u32) -> Result<String, (usize, String)> {
    unsafe {
        let mut p = null_mut();
        outcome(harmony_parser_new(e.0, role, flags, &mut p, null_mut()), null_mut()).unwrap();
        let mut result = Ok(());
        for (i, &t) in tokens.iter().enumerate() {
            let mut err = null_mut();
            if let Err((_, m)) = outcome(harmony_parser_process(p, t, &mut err), err) {
                result = Err((i, m));
                break;
            }
            check_c_accessors(p);
        }
        if result.is_ok() {
            let mut err = null_mut();
            result = outcome(harmony_parser_process_eos(p, &mut err), err).map_err(|(_, m)| (tokens.len(), m));
        }
        let mut s = harmony_string { data: null_mut(), len: 0 };
        outcome(harmony_parser_messages_json(p, &mut s, null_mut()), null_mut()).unwrap();
        let json = take_string(&mut s);
        harmony_parser_free(p);
        result.map(|()| json)
    }
}

unsafe fn check_c_accessors(p: *const harmony_parser) {
    type Accessor = unsafe extern "C" fn(*const harmony_parser, *mut *const c_char, *mut usize) -> harmony_status;
    let accessors: [Accessor; 5] = [
        harmony_parser_last_delta,
        harmony_parser_current_content,
        harmony_parser_current_channel,
        harmony_parser_current_recipient,
        harmony_parser_current_content_type,
    ];
    for f in accessors {
        let (mut d, mut n) = (1 as *const c_char, 99usize);
        assert_eq!(unsafe { f(p, &mut d, &mut n) }, HARMONY_OK);
        if d.is_null() {
            assert_eq!(n, 0);
        } else {
            let bytes = unsafe { std::slice::from_raw_parts(d.cast::<u8>(), n) };
            assert!(std::str::from_utf8(bytes).is_ok(), "borrowed parser text is UTF-8");
        }
    }
    assert!((0..=2).contains(&unsafe { harmony_parser_state(p) }));
    assert!((-1..=4).contains(&unsafe { harmony_parser_current_role(p) }));
}

// ---------------------------------------------------------------------------------------------
// Library support

/// Streams `tokens` through [`StreamParser`], checking its invariants after every token: the
/// deltas of a message add up to its current content, and completed messages never change.
fn stream(tokens: &[u32], role: Option<Role>, opts: ParseOptions) -> Result<Vec<Message>, (usize, String)> {
    let mut p = StreamParser::new(role, opts);
    let mut deltas = String::new();
    let mut done: Vec<Message> = vec![];
    for (i, &t) in tokens.iter().enumerate() {
        if let Err(e) = p.process(t) {
            return Err((i, e.to_string()));
        }
        assert_eq!(&p.messages()[..done.len()], &done[..], "completed messages never change");
        if p.messages().len() != done.len() {
            deltas.clear();
            done = p.messages().to_vec();
        }
        if let Some(d) = p.last_content_delta() {
            deltas.push_str(d);
        }
        if p.state() == harmony::StreamState::Content {
            assert_eq!(deltas, p.current_content(), "deltas add up to the content");
        } else {
            deltas.clear();
            assert!(p.last_content_delta().is_none());
        }
    }
    p.process_eos().map_err(|e| (tokens.len(), e.to_string()))?;
    Ok(p.into_messages())
}

const OPTIONS: [ParseOptions; 4] = [
    ParseOptions { strict: true, fix_constrain_recipient: false, recover: false, keep_tokens: false },
    ParseOptions { strict: false, fix_constrain_recipient: false, recover: false, keep_tokens: false },
    ParseOptions { strict: true, fix_constrain_recipient: true, recover: false, keep_tokens: false },
    ParseOptions { strict: false, fix_constrain_recipient: true, recover: false, keep_tokens: false },
];

fn flags_of(o: ParseOptions) -> u32 {
    (if o.strict { 0 } else { HARMONY_PARSE_LENIENT }) | (if o.fix_constrain_recipient { HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT } else { 0 })
}

fn role_code(r: Option<Role>) -> i32 {
    r.map_or(-1, |r| Role::ALL.iter().position(|x| *x == r).unwrap() as i32)
}

/// A conversation that uses every field of the wire format.
fn full_conversation() -> Value {
    json!({"messages": [
        {"role": "system", "content": [{"type": "system_content", "model_identity": "You are a bot.",
            "reasoning_effort": "High", "conversation_start_date": "2025-01-01", "knowledge_cutoff": "2024-06",
            "channel_config": {"valid_channels": ["analysis", "commentary", "final"], "channel_required": true},
            "tools": {"browser": {"name": "browser", "description": "Browse.", "tools": [
                {"name": "search", "description": "Search the web.", "parameters": {"type": "object",
                    "properties": {"q": {"type": "string", "description": "query", "default": "x"},
                                   "n": {"oneOf": [{"type": "integer"}, {"type": "null"}]}},
                    "required": ["q"]}}]}}}]},
        {"role": "developer", "content": [{"type": "developer_content", "instructions": "Be brief.",
            "tools": {"functions": {"name": "functions", "description": null, "tools": [
                {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object",
                    "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]}}}},
                {"name": "now", "description": "Time.", "parameters": null}]}}}]},
        {"role": "user", "name": "alice", "content": "Weather in Paris?"},
        {"role": "assistant", "channel": "analysis", "content": [{"type": "text", "text": "Call the tool."}]},
        {"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
            "content_type": "<|constrain|>json", "content": "{\"city\":\"Paris\"}"},
        {"role": "tool", "name": "functions.get_weather", "recipient": "assistant", "channel": "commentary",
            "content": "{\"temp\":20}"},
        {"role": "assistant", "channel": "final", "content": [{"type": "text", "text": "20 C"}, {"type": "text", "text": "."}]}
    ]})
}

fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

// ---------------------------------------------------------------------------------------------
// Malformed documents

const MALFORMED: &[&[u8]] = &[
    b"", b" ", b"\n\n", b"\0", b"{", b"[", b"}", b"]", b"null", b"true", b"0", b"-1", b"1e999", b"\"x\"", b"[]",
    b"{}", b"[1,", b"[1,]", b"[,1]", b"{\"messages\":", b"{\"messages\":null}", b"{\"messages\":[null]}",
    b"{\"messages\":{}}", b"{\"messages\":[{}]}", b"{\"messages\":[{\"role\":\"user\"}]}",
    b"{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", b"{\"messages\":[{\"role\":\"user\",\"content\":null}]}",
    b"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"}]}]}", b"[-1]", b"[1.5]", b"[1e3]",
    b"[4294967296]", b"[18446744073709551616]", b"[\"1\"]", b"[null]", b"[[1]]", b"[200006", b"\xff\xfe",
    b"\xef\xbb\xbf[]", b"[1]garbage", b"[1] [2]", b"\"\\ud800\"", b"{\"a\":1,\"a\":2}",
];

#[test]
fn cli_malformed_documents_exit_cleanly() {
    let commands: &[&[&str]] = &[
        &["render"],
        &["render", "--mode", "training", "--keep-analysis"],
        &["parse"],
        &["parse", "--role", "assistant", "--lenient", "--stream"],
        &["encode", "--allow-special"],
        &["decode"],
        &["decode", "--lossy"],
    ];
    for args in commands {
        for input in MALFORMED {
            let o = cli(args, input);
            let what = format!("{args:?} {:?}", String::from_utf8_lossy(input));
            if clean(&o, &what) == 0 && args[0] != "decode" {
                let _: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{what}: bad JSON output: {e}"));
            }
        }
        // The same documents as --jsonl lines (those without a newline), all in one process.
        let lines: Vec<Vec<u8>> = MALFORMED.iter().filter(|l| !l.contains(&b'\n')).map(|l| l.to_vec()).collect();
        jsonl(args, &lines);
    }
}

#[test]
fn cli_truncated_documents_fail_cleanly_and_the_whole_succeeds() {
    let e = enc();
    let full = full_conversation().to_string();
    let bytes = full.as_bytes();
    let mut lines: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
    lines.push(bytes.to_vec());
    let answers = jsonl(&["render"], &lines);
    let want = harmony::render::render_for_completion(&Conversation::from_json(&full).unwrap(), Role::Assistant, &RenderOptions::default()).unwrap();
    for (n, a) in answers.iter().enumerate().take(bytes.len()) {
        assert!(a.is_err(), "prefix of {n} bytes rendered: {a:?}");
    }
    assert_eq!(answers.last().unwrap().as_deref(), Ok(tokens_json(&want).as_str()));
    // Every prefix through the C ABI too (all four modes): an error status, never a crash.
    for n in 0..bytes.len() {
        for mode in 0..4 {
            assert!(c_render(&e, mode, &bytes[..n], 1, 0).is_err(), "prefix {n} mode {mode}");
        }
    }
    // Truncated token arrays.
    let array = tokens_json(&want);
    let lines: Vec<Vec<u8>> = (0..=array.len()).map(|n| array.as_bytes()[..n].to_vec()).collect();
    for args in [&["parse", "--lenient"][..], &["decode", "--lossy"], &["parse", "--stream"]] {
        let answers = jsonl(args, &lines);
        assert!(answers[..array.len()].iter().all(Result::is_err), "{args:?}");
    }
}

/// Replaces the value at `path` in a copy of `doc`.
fn replaced(doc: &Value, path: &[PathStep], with: Option<Value>) -> Value {
    let mut out = doc.clone();
    let mut at = &mut out;
    for step in &path[..path.len() - 1] {
        at = match step {
            PathStep::Key(k) => &mut at[k.as_str()],
            PathStep::Index(i) => &mut at[*i],
        };
    }
    match (path.last().unwrap(), with) {
        (PathStep::Key(k), Some(v)) => at[k.as_str()] = v,
        (PathStep::Index(i), Some(v)) => at[*i] = v,
        (PathStep::Key(k), None) => {
            at.as_object_mut().unwrap().shift_remove(k);
        }
        (PathStep::Index(i), None) => {
            at.as_array_mut().unwrap().remove(*i);
        }
    }
    out
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn all_paths(v: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match v {
        Value::Object(m) => {
            for (k, item) in m {
                prefix.push(PathStep::Key(k.clone()));
                out.push(prefix.clone());
                all_paths(item, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                prefix.push(PathStep::Index(i));
                out.push(prefix.clone());
                all_paths(item, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[test]
fn wrong_types_in_every_field() {
    let e = enc();
    let doc = full_conversation();
    let mut paths = vec![];
    all_paths(&doc, &mut vec![], &mut paths);
    let wrong = [
        json!(null), json!(true), json!(0), json!(-1), json!(1.5), json!(u64::MAX), json!(""), json!("user"),
        json!([]), json!([null]), json!({}), json!({"type": "text"}),
    ];
    let mut docs = vec![];
    for path in &paths {
        for w in &wrong {
            docs.push((replaced(&doc, path, Some(w.clone())), path.clone()));
        }
        docs.push((replaced(&doc, path, None), path.clone()));
    }
    let (mut accepted, mut rejected) = (0, 0);
    let lines: Vec<Vec<u8>> = docs.iter().map(|(d, _)| d.to_string().into_bytes()).collect();
    let answers = jsonl(&["render", "--mode", "conversation"], &lines);
    for ((d, path), answer) in docs.iter().zip(&answers) {
        let text = d.to_string();
        let lib = Conversation::from_json(&text).and_then(|c| harmony::render::render_conversation(&c, &RenderOptions::default()));
        match &lib {
            Ok(t) => {
                accepted += 1;
                assert_eq!(answer.as_deref(), Ok(tokens_json(t).as_str()), "{path:?}");
                assert_eq!(c_render(&e, 1, text.as_bytes(), -1, 0).as_ref(), Ok(t), "{path:?}");
            }
            Err(err) => {
                rejected += 1;
                assert_eq!(answer.as_ref().unwrap_err(), &err.to_string(), "{path:?}");
                let (st, m) = c_render(&e, 1, text.as_bytes(), -1, 0).unwrap_err();
                assert!(matches!(st, HARMONY_ERROR_INVALID_JSON | HARMONY_ERROR_RENDER), "{path:?}: {st:?}");
                assert_eq!(m, err.to_string());
            }
        }
        for mode in [0, 2] {
            let _ = c_render(&e, mode, text.as_bytes(), 1, HARMONY_RENDER_KEEP_ANALYSIS);
        }
        // The mutated message alone, in message mode.
        if let (Some(PathStep::Key(k)), Some(PathStep::Index(i))) = (path.first(), path.get(1)) {
            if k == "messages" {
                if let Some(m) = d["messages"].get(*i) {
                    let r = c_render(&e, 3, m.to_string().as_bytes(), -1, HARMONY_RENDER_HAS_FUNCTION_TOOLS);
                    let lib = Message::from_json(&m.to_string()).and_then(|m| harmony::render::render_message(&m, true));
                    assert_eq!(r.is_ok(), lib.is_ok(), "{path:?}");
                }
            }
        }
    }
    assert!(accepted > 100 && rejected > 300, "accepted {accepted}, rejected {rejected}");
}

// ---------------------------------------------------------------------------------------------
// Depth and size

#[test]
fn resource_deep_nesting_is_an_error_not_a_stack_overflow() {
    let e = enc();
    let arrays = nested_arrays(100_000);
    let objects = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let unclosed = "[".repeat(100_000);
    let in_content = format!("{{\"messages\":[{{\"role\":\"user\",\"content\":{arrays}}}]}}");
    let in_params = format!(
        "{{\"messages\":[{{\"role\":\"developer\",\"content\":[{{\"type\":\"developer_content\",\"tools\":{{\"functions\":\
         {{\"name\":\"functions\",\"tools\":[{{\"name\":\"f\",\"description\":\"\",\"parameters\":{objects}}}]}}}}}}]}}]}}"
    );
    for doc in [&arrays, &objects, &unclosed, &in_content, &in_params] {
        let err = Conversation::from_json(doc).unwrap_err();
        assert_eq!(err.kind(), harmony::ErrorKind::InvalidJson);
        assert!(Message::from_json(doc).is_err() && harmony::chat::messages_from_json(doc).is_err());
        for mode in 0..4 {
            let (st, _) = c_render(&e, mode, doc.as_bytes(), 1, 0).unwrap_err();
            assert_eq!(st, HARMONY_ERROR_INVALID_JSON);
        }
        for args in [&["render"][..], &["parse"], &["decode"], &["encode", "--jsonl"]] {
            let o = cli(args, doc.as_bytes());
            assert_eq!(clean(&o, &format!("{args:?} deep")), 1);
        }
    }
    let o = cli(&["render"], in_params.as_bytes());
    assert!(String::from_utf8_lossy(&o.stderr).contains("recursion limit"), "the error says why");
}

/// A JSON Schema nested `depth` levels, built without recursion (and without `json!`, which
/// copies its arguments recursively).
fn deep_schema(kind: &str, depth: usize) -> Value {
    let mut v = Value::Object(Map::from_iter([("type".to_string(), json!("string"))]));
    for _ in 0..depth {
        let mut m = Map::new();
        match kind {
            "properties" => {
                m.insert("type".into(), json!("object"));
                m.insert("properties".into(), Value::Object(Map::from_iter([("a".to_string(), v)])));
                m.insert("required".into(), json!(["a"]));
            }
            "items" => {
                m.insert("type".into(), json!("array"));
                m.insert("items".into(), v);
            }
            _ => {
                m.insert("oneOf".into(), Value::Array(vec![v, json!({"type": "null"})]));
            }
        }
        v = Value::Object(m);
    }
    v
}

/// The JSON text of a conversation whose tool parameters nest `depth` levels (a string, so that
/// no recursive serialiser is involved).
fn deep_schema_conversation_json(kind: &str, depth: usize) -> String {
    let (open, close) = match kind {
        "properties" => (r#"{"type":"object","required":["a"],"properties":{"a":"#, "}}"),
        "items" => (r#"{"type":"array","items":"#, "}"),
        _ => (r#"{"oneOf":[{"type":"null"},"#, "]}"),
    };
    let schema = format!("{}{{\"type\":\"string\"}}{}", open.repeat(depth), close.repeat(depth));
    format!(
        r#"{{"messages":[{{"role":"developer","content":[{{"type":"developer_content","tools":{{"functions":{{"name":"functions","tools":[{{"name":"f","description":"d","parameters":{schema}}}]}}}}}}]}}]}}"#
    )
}

fn tool_conversation(parameters: Value) -> Conversation {
    let tool = harmony::ToolDescription { name: "f".into(), description: "d".into(), parameters: Some(parameters) };
    let ns = harmony::ToolNamespaceConfig { name: "functions".into(), description: None, tools: vec![tool] };
    let dev = harmony::DeveloperContent { instructions: None, tools: Some([("functions".to_string(), ns)].into()) };
    Conversation::new([Message::new(Role::Developer, harmony::Content::DeveloperContent(dev))])
}

#[test]
fn resource_deep_json_schemas_are_bounded() {
    let e = enc();
    for kind in ["properties", "items", "oneOf"] {
        // From JSON (CLI and C ABI), serde_json's recursion limit rejects 3,000 levels.
        let text = deep_schema_conversation_json(kind, 3000);
        let (st, m) = c_render(&e, 1, text.as_bytes(), -1, 0).unwrap_err();
        assert_eq!(st, HARMONY_ERROR_INVALID_JSON, "{kind}");
        assert!(m.contains("recursion limit"), "{kind}: {m}");
        let o = cli(&["render"], text.as_bytes());
        assert_eq!(clean(&o, kind), 1);
        // From the Rust API, which has no JSON parser in the way, the renderer's own limit.
        let conv = tool_conversation(deep_schema(kind, 3000));
        let err = harmony::render::render_conversation(&conv, &RenderOptions::default()).unwrap_err();
        assert!(err.to_string().contains("limit exceeded"), "{kind}: {err}");
        std::mem::forget(conv); // serde_json's recursive Drop is not what is tested here
        // 256 levels is the documented maximum, and fits a test thread's 2 MiB stack in debug.
        let ok = tool_conversation(deep_schema(kind, 256));
        assert!(harmony::render::render_conversation(&ok, &RenderOptions::default()).is_ok(), "{kind}");
        let too_deep = tool_conversation(deep_schema(kind, 257));
        let err = harmony::render::render_conversation(&too_deep, &RenderOptions::default()).unwrap_err();
        assert!(matches!(&err, harmony::Error::Render { reason, .. } if reason.contains("256")), "{kind}: {err}");
        // The deepest schema JSON input can carry renders.
        let mut depth = 0;
        while Conversation::from_json(&tool_conversation(deep_schema(kind, depth + 1)).to_json()).is_ok() {
            depth += 1;
        }
        assert!(depth > 20, "{kind}: {depth}");
        let c = Conversation::from_json(&tool_conversation(deep_schema(kind, depth)).to_json()).unwrap();
        assert!(harmony::render::render_conversation(&c, &RenderOptions::default()).is_ok(), "{kind}");
    }
}

/// Values under `default` are printed as JSON by the schema renderer. From JSON input they are
/// at most ~120 levels deep (serde_json's limit), but the Rust API accepts any `Value`: the
/// renderer must bound that recursion as it bounds schema nesting (`MAX_DEPTH`), not overflow
/// the stack. Runs in a child process so that a stack overflow fails this test, not the suite.
#[test]
fn resource_deep_default_value_is_bounded() {
    let o = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "deep_default_value_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("HARMONY_HOSTILE_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "rendering a schema whose `default` is 1,000,000 levels deep crashed ({:?}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr).lines().filter(|l| l.contains("overflow")).collect::<Vec<_>>().join("; ")
    );
}

#[test]
#[ignore = "run by resource_deep_default_value_is_bounded in a child process"]
fn deep_default_value_child() {
    if std::env::var_os("HARMONY_HOSTILE_CHILD").is_none() {
        return;
    }
    for one_of in [false, true] {
        let mut v = json!(1);
        for _ in 0..1_000_000 {
            v = Value::Array(vec![v]);
        }
        let mut prop = Map::from_iter([("type".to_string(), json!("string")), ("default".to_string(), v)]);
        if one_of {
            prop = Map::from_iter([("oneOf".to_string(), Value::Array(vec![Value::Object(prop)]))]);
        }
        let schema = json!({"type": "object", "properties": {}});
        let mut schema = schema;
        schema["properties"]["a"] = Value::Object(prop);
        let conv = tool_conversation(schema);
        let r = harmony::render::render_conversation(&conv, &RenderOptions::default());
        let err = r.expect_err("a 1,000,000-deep default is beyond any limit");
        assert!(err.to_string().contains("limit exceeded"), "{err}");
        std::mem::forget(conv); // dropping it would overflow in serde_json's own Drop
    }
}

#[test]
fn resource_huge_texts_round_trip() {
    // 5 MB of mixed text (multi-byte, emoji, spellings of special tokens) through the CLI.
    let mut r = Rng::new(5);
    let pieces = ["hello", " world", "日本語", "🎉", " ", "\n", "<|start|>", "<|end|>", "abc", "123456", "  x", "\t", "é"];
    let mut text = String::with_capacity(5 << 20);
    while text.len() < 5 << 20 {
        text.push_str(pieces[r.below(pieces.len())]);
    }
    let enc_out = cli(&["encode"], text.as_bytes());
    assert_eq!(clean(&enc_out, "encode 5 MB"), 0);
    let tokens: Vec<u32> = serde_json::from_slice(&enc_out.stdout).unwrap();
    assert!(tokens.iter().all(|&t| t < FIRST_SPECIAL));
    let dec = cli(&["decode"], &enc_out.stdout);
    assert_eq!(clean(&dec, "decode 5 MB"), 0);
    assert_eq!(dec.stdout.len(), text.len() + 1);
    assert!(dec.stdout.starts_with(text.as_bytes()));

    // 1 MB of one character: render as content through the CLI, parse back with the library.
    let one = "a".repeat(1 << 20);
    let conv = Conversation::new([Message::new(Role::Assistant, one.as_str()).with_channel("final")]);
    let o = cli(&["render", "--mode", "conversation"], conv.to_json().as_bytes());
    assert_eq!(clean(&o, "render 1 MB"), 0);
    let tokens: Vec<u32> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(tokens.len() < one.len() / 4, "long runs merge into long tokens");
    let msgs = harmony::parse_completion(&tokens, None, ParseOptions::default()).unwrap();
    assert_eq!(msgs, conv.messages);

    // 1 MB of spaces through the C ABI: encode, decode, and the `_into` sizing protocol.
    let e = enc();
    let spaces = " ".repeat(1 << 20);
    unsafe {
        let mut t = harmony_tokens { data: null_mut(), len: 0 };
        outcome(harmony_encode(e.0, spaces.as_ptr().cast(), spaces.len(), 0, &mut t, null_mut()), null_mut()).unwrap();
        let tokens = take_tokens(&mut t);
        assert!(tokens.len() < spaces.len() / 64, "long runs merge into long tokens");
        let mut needed = 0usize;
        let mut s = harmony_string { data: null_mut(), len: 0 };
        outcome(harmony_decode(e.0, tokens.as_ptr(), tokens.len(), 0, &mut s, null_mut()), null_mut()).unwrap();
        assert!(take_string(&mut s) == spaces);
        let mut buf = vec![0u8; spaces.len()];
        let st = harmony_decode_into(e.0, tokens.as_ptr(), tokens.len(), 0, buf.as_mut_ptr().cast(), buf.len(), &mut needed, null_mut());
        assert_eq!(st, HARMONY_OK);
        assert!(needed == spaces.len() && buf == spaces.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid UTF-8 and out-of-range values

const BAD_UTF8: &[&[u8]] = &[
    b"\xff", b"\xfe\xff", b"\x80", b"\xbf\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
    b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xe6\x97", b"\xf0\x9f\x8e", b"\xc3",
];

#[test]
fn invalid_utf8_is_rejected_cleanly() {
    let e = enc();
    for bad in BAD_UTF8 {
        let mut doc = b"{\"messages\":[{\"role\":\"user\",\"content\":\"ok ".to_vec();
        doc.extend_from_slice(bad);
        doc.extend_from_slice(b" ok\"}]}");
        let mut msg = b"{\"role\":\"user\",\"content\":\"".to_vec();
        msg.extend_from_slice(bad);
        msg.extend_from_slice(b"\"}");
        let mut text = b"hello ".to_vec();
        text.extend_from_slice(bad);
        let what = format!("{bad:?}");
        // CLI: every command, whole-input and --jsonl.
        for (args, input) in [
            (&["render"][..], &doc),
            (&["render", "--mode", "training"], &doc),
            (&["encode"], &text),
            (&["encode", "--allow-special"], &text),
            (&["parse"], &text),
            (&["decode"], &text),
        ] {
            let o = cli(args, input);
            assert_eq!(clean(&o, &what), 1, "{args:?} {what}");
            let answers = jsonl(args, &[input.clone(), b"[]".to_vec()]);
            assert!(answers[0].is_err(), "{args:?} {what}");
        }
        let mut quoted = b"\"".to_vec();
        quoted.extend_from_slice(&text);
        quoted.push(b'"');
        assert!(jsonl(&["encode"], &[quoted])[0].is_err());
        // C ABI: every function that takes text.
        for mode in 0..3 {
            assert_eq!(c_render(&e, mode, &doc, 1, 0).unwrap_err().0, HARMONY_ERROR_INVALID_UTF8, "{what}");
        }
        assert_eq!(c_render(&e, 3, &msg, -1, 0).unwrap_err().0, HARMONY_ERROR_INVALID_UTF8, "{what}");
        unsafe {
            let mut t = harmony_tokens { data: null_mut(), len: 0 };
            for flags in [0, HARMONY_ENCODE_ALLOW_SPECIAL] {
                let mut err = null_mut();
                let st = harmony_encode(e.0, text.as_ptr().cast(), text.len(), flags, &mut t, &mut err);
                assert_eq!(outcome(st, err).unwrap_err().0, HARMONY_ERROR_INVALID_UTF8);
                assert!(t.data.is_null() && t.len == 0);
                let mut n = 5usize;
                let mut buf = [0u32; 64];
                let st = harmony_encode_into(e.0, text.as_ptr().cast(), text.len(), flags, buf.as_mut_ptr(), 64, &mut n, null_mut());
                assert_eq!(st, HARMONY_ERROR_INVALID_UTF8);
                assert_eq!(n, 0);
            }
            let mut n = 0usize;
            let st = harmony_render_into(e.0, 0, doc.as_ptr().cast(), doc.len(), 1, 0, null_mut(), 0, &mut n, null_mut());
            assert_eq!(st, HARMONY_ERROR_INVALID_UTF8);
            let mut id = 0u32;
            assert_eq!(harmony_special_token_id(bad.as_ptr().cast(), bad.len(), &mut id), HARMONY_ERROR_INVALID_UTF8);
            let name = std::ffi::CString::new(*bad).unwrap();
            let mut h = null();
            assert_eq!(harmony_encoding_new(name.as_ptr(), &mut h, null_mut()), HARMONY_ERROR_INVALID_UTF8);
            assert!(h.is_null());
        }
    }
}

#[test]
fn out_of_range_token_ids_are_clean_errors() {
    let e = enc();
    let ids = [VOCAB_SIZE, 300_000, 1 << 31, u32::MAX - 1, u32::MAX];
    for &id in &ids {
        // Decode: an unknown-token error, lossy or not.
        for lossy in [false, true] {
            let r = if lossy { tokenizer::decode_lossy(&[24912, id]) } else { tokenizer::decode_utf8(&[24912, id]) };
            assert_eq!(r.unwrap_err(), harmony::Error::UnknownToken(id));
            unsafe {
                let toks = [24912, id];
                let mut s = harmony_string { data: null_mut(), len: 0 };
                let mut err = null_mut();
                let st = harmony_decode(e.0, toks.as_ptr(), 2, lossy as u32, &mut s, &mut err);
                let (st, m) = outcome(st, err).unwrap_err();
                assert_eq!(st, HARMONY_ERROR_UNKNOWN_TOKEN);
                assert!(m.contains(&id.to_string()));
                let mut n = 0usize;
                let mut buf = [0u8; 64];
                let st = harmony_decode_into(e.0, toks.as_ptr(), 2, lossy as u32, buf.as_mut_ptr().cast(), 64, &mut n, null_mut());
                assert_eq!(st, HARMONY_ERROR_UNKNOWN_TOKEN);
            }
            let args: &[&str] = if lossy { &["decode", "--lossy"] } else { &["decode"] };
            let o = cli(args, format!("[24912,{id}]").as_bytes());
            assert_eq!(clean(&o, "decode unknown"), 1);
            assert!(String::from_utf8_lossy(&o.stderr).contains(&id.to_string()));
        }
        assert!(harmony_token_is_special(id) == 0);
        unsafe {
            let (mut name, mut len) = (null(), 0usize);
            assert_eq!(harmony_special_token_name(id, &mut name, &mut len), HARMONY_ERROR_INVALID_ARGUMENT);
        }
        // Parse: in a header it is an error; in content the message keeps a U+FFFD, as 0.0.8 does.
        let in_header = [200006, id, 200008, 24912, 200007];
        let in_content = [200006, 173781, 200008, 24912, id, 2375, 200007];
        for opts in OPTIONS {
            assert!(harmony::parse_completion(&in_header, None, opts).is_err());
            let msgs = harmony::parse_completion(&in_content, None, opts).unwrap();
            assert_eq!(msgs[0].content, vec!["hello\u{FFFD}".into()]);
            for toks in [&in_header[..], &in_content[..]] {
                let whole = harmony::parse_completion(toks, None, opts);
                assert_eq!(stream(toks, None, opts).map_err(|e| e.1), whole.clone().map_err(|e| e.to_string()));
                assert_eq!(c_parse(&e, toks, -1, flags_of(opts)).map_err(|e| e.1), whole.as_ref().map(|m| messages_to_json(m)).map_err(|e| e.to_string()));
                assert_eq!(c_stream(&e, toks, -1, flags_of(opts)).is_ok(), whole.is_ok());
            }
        }
        for args in [&["parse"][..], &["parse", "--stream"], &["parse", "--lenient"]] {
            let o = cli(args, tokens_json(&in_header).as_bytes());
            assert_eq!(clean(&o, "parse unknown id in header"), 1);
            let o = cli(args, tokens_json(&in_content).as_bytes());
            assert_eq!(clean(&o, "parse unknown id in content"), 0);
        }
    }
    // Beyond u32 and negative ids are JSON errors in the CLI.
    for doc in ["[4294967296]", "[-1]", "[99999999999999999999]", "[1.0]"] {
        for args in [&["parse"][..], &["decode"]] {
            let o = cli(args, doc.as_bytes());
            assert_eq!(clean(&o, doc), 1);
            assert!(String::from_utf8_lossy(&o.stderr).contains("token ids"), "{doc}");
        }
    }
}

#[test]
fn c_abi_out_of_range_enums_and_flags() {
    let e = enc();
    let conv = br#"{"messages":[{"role":"user","content":"hi"}]}"#;
    for mode in [-1, 4, 5, 100, i32::MIN, i32::MAX] {
        assert_eq!(c_render(&e, mode, conv, 1, 0).unwrap_err().0, HARMONY_ERROR_INVALID_ARGUMENT, "mode {mode}");
    }
    for role in [-2, 5, 99, i32::MIN, i32::MAX] {
        let (st, m) = c_render(&e, 0, conv, role, 0).unwrap_err();
        assert_eq!(st, HARMONY_ERROR_INVALID_ARGUMENT);
        assert!(m.contains("next_role"));
        // next_role is documented as used by completion mode only.
        assert!(c_render(&e, 1, conv, role, 0).is_ok());
        assert_eq!(c_parse(&e, &[], role, 0).unwrap_err().0, HARMONY_ERROR_INVALID_ARGUMENT);
        let mut p = null_mut();
        assert_eq!(unsafe { harmony_parser_new(e.0, role, 0, &mut p, null_mut()) }, HARMONY_ERROR_INVALID_ARGUMENT);
        assert!(p.is_null());
    }
    assert_eq!(c_render(&e, 0, conv, -1, 0).unwrap_err().0, HARMONY_ERROR_INVALID_ARGUMENT);
    for bit in 0..32 {
        let flag = 1u32 << bit;
        let render_ok = flag & (HARMONY_RENDER_KEEP_ANALYSIS | HARMONY_RENDER_HAS_FUNCTION_TOOLS) != 0;
        assert_eq!(c_render(&e, 0, conv, 1, flag).is_ok(), render_ok, "render flag {flag:#x}");
        let parse_ok = flag & (HARMONY_PARSE_LENIENT | HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT | HARMONY_PARSE_RECOVER | HARMONY_PARSE_KEEP_TOKENS) != 0;
        assert_eq!(c_parse(&e, &[], -1, flag).is_ok(), parse_ok, "parse flag {flag:#x}");
        unsafe {
            let mut t = harmony_tokens { data: null_mut(), len: 0 };
            let st = harmony_encode(e.0, c"x".as_ptr(), 1, flag, &mut t, null_mut());
            assert_eq!(st == HARMONY_OK, flag == HARMONY_ENCODE_ALLOW_SPECIAL);
            take_tokens(&mut t);
            let mut s = harmony_string { data: null_mut(), len: 0 };
            let st = harmony_decode(e.0, [0u32].as_ptr(), 1, flag, &mut s, null_mut());
            assert_eq!(st == HARMONY_OK, flag == HARMONY_DECODE_LOSSY);
            if st == HARMONY_OK {
                take_string(&mut s);
            }
        }
    }
    assert!(c_render(&e, 0, conv, 1, u32::MAX).is_err());
    unsafe {
        for actions in [i32::MIN, -1, 2, i32::MAX] {
            let (mut t, mut n) = (null(), 0usize);
            assert_eq!(harmony_stop_tokens(e.0, actions, &mut t, &mut n), HARMONY_OK);
            assert_eq!(std::slice::from_raw_parts(t, n), &[200002, 200012]);
        }
        for status in [-1, 10, 1000, i32::MIN, i32::MAX] {
            assert_eq!(std::ffi::CStr::from_ptr(harmony_status_name(status)).to_str().unwrap(), "HARMONY_UNKNOWN_STATUS");
        }
    }
}

#[test]
fn c_abi_null_pointers_and_valid_length_combinations() {
    let e = enc();
    let conv = br#"{"messages":[{"role":"user","content":"hi"}]}"#;
    unsafe {
        // Every required pointer NULL in turn.
        let mut t = harmony_tokens { data: null_mut(), len: 0 };
        let mut s = harmony_string { data: null_mut(), len: 0 };
        let mut n = 0usize;
        let cj = conv.as_ptr().cast::<c_char>();
        let st = [
            harmony_encoding_new(null(), null_mut(), null_mut()),
            harmony_render(null(), 0, cj, conv.len(), 1, 0, &mut t, null_mut()),
            harmony_render(e.0, 0, null(), conv.len(), 1, 0, &mut t, null_mut()),
            harmony_render(e.0, 0, cj, conv.len(), 1, 0, null_mut(), null_mut()),
            harmony_render_into(null(), 0, cj, conv.len(), 1, 0, null_mut(), 0, &mut n, null_mut()),
            harmony_render_into(e.0, 0, cj, conv.len(), 1, 0, null_mut(), 100, &mut n, null_mut()),
            harmony_render_into(e.0, 0, cj, conv.len(), 1, 0, null_mut(), 0, null_mut(), null_mut()),
            harmony_parse(null(), null(), 0, -1, 0, &mut s, null_mut()),
            harmony_parse(e.0, null(), 1, -1, 0, &mut s, null_mut()),
            harmony_parse(e.0, null(), 0, -1, 0, null_mut(), null_mut()),
            harmony_encode(null(), cj, 1, 0, &mut t, null_mut()),
            harmony_encode(e.0, null(), 1, 0, &mut t, null_mut()),
            harmony_encode(e.0, cj, 1, 0, null_mut(), null_mut()),
            harmony_encode_into(e.0, cj, 1, 0, null_mut(), 10, &mut n, null_mut()),
            harmony_encode_into(e.0, cj, 1, 0, null_mut(), 0, null_mut(), null_mut()),
            harmony_decode(null(), null(), 0, 0, &mut s, null_mut()),
            harmony_decode(e.0, null(), 2, 0, &mut s, null_mut()),
            harmony_decode(e.0, null(), 0, 0, null_mut(), null_mut()),
            harmony_decode_into(e.0, [0u32].as_ptr(), 1, 0, null_mut(), 10, &mut n, null_mut()),
            harmony_stop_tokens(null(), 0, &mut null(), &mut n),
            harmony_stop_tokens(e.0, 0, null_mut(), &mut n),
            harmony_stop_tokens(e.0, 0, &mut null(), null_mut()),
            harmony_special_token_id(null(), 9, &mut 0),
            harmony_special_token_id(c"<|end|>".as_ptr(), 7, null_mut()),
            harmony_special_token_name(200006, null_mut(), &mut n),
            harmony_special_token_name(200006, &mut null(), null_mut()),
            harmony_parser_new(null(), -1, 0, &mut null_mut(), null_mut()),
            harmony_parser_new(e.0, -1, 0, null_mut(), null_mut()),
            harmony_parser_process(null_mut(), 1, null_mut()),
            harmony_parser_process_tokens(null_mut(), null(), 0, null_mut()),
            harmony_parser_process_eos(null_mut(), null_mut()),
            harmony_parser_last_delta(null(), &mut null(), &mut n),
            harmony_parser_current_content(null(), &mut null(), &mut n),
            harmony_parser_current_channel(null(), &mut null(), &mut n),
            harmony_parser_current_recipient(null(), &mut null(), &mut n),
            harmony_parser_current_content_type(null(), &mut null(), &mut n),
            harmony_parser_messages_json(null(), &mut s, null_mut()),
        ];
        for (i, st) in st.iter().enumerate() {
            assert_eq!(*st, HARMONY_ERROR_INVALID_ARGUMENT, "call #{i}");
        }
        // The same with an error object: it names the argument.
        let mut err = null_mut();
        let st = harmony_render(e.0, 0, null(), 3, 1, 0, &mut t, &mut err);
        assert!(outcome(st, err).unwrap_err().1.contains("json"));
        // Infallible functions with NULL.
        harmony_encoding_free(null());
        harmony_tokens_free(null_mut());
        harmony_string_free(null_mut());
        harmony_error_free(null_mut());
        harmony_parser_free(null_mut());
        assert_eq!(harmony_parser_state(null()), -1);
        assert_eq!(harmony_parser_current_role(null()), -1);
        assert_eq!(harmony_parser_message_count(null()), 0);
        assert_eq!(harmony_error_status(null()), HARMONY_ERROR_INVALID_ARGUMENT);
        assert_eq!(*harmony_error_message(null()), 0);

        // Valid length combinations: NULL with 0, a pointer with 0, a pointer with a shorter length.
        assert_eq!(c_render(&e, 1, &conv[..0], -1, 0).unwrap_err().0, HARMONY_ERROR_INVALID_JSON);
        assert_eq!(c_render(&e, 1, &conv[..conv.len() - 1], -1, 0).unwrap_err().0, HARMONY_ERROR_INVALID_JSON);
        let mut padded = conv.to_vec();
        padded.extend_from_slice(b"garbage that is not passed");
        assert_eq!(c_render(&e, 1, &padded[..conv.len()], -1, 0), c_render(&e, 1, conv, -1, 0));
        for (p, len) in [(null::<c_char>(), 0usize), (cj, 0)] {
            let st = harmony_render(e.0, 1, p, len, -1, 0, &mut t, null_mut());
            assert_eq!(st, HARMONY_ERROR_INVALID_JSON);
            assert_eq!(harmony_encode(e.0, p, len, 0, &mut t, null_mut()), HARMONY_OK);
            assert!(t.data.is_null() && t.len == 0);
            let mut n = 9usize;
            assert_eq!(harmony_encode_into(e.0, p, len, 0, null_mut(), 0, &mut n, null_mut()), HARMONY_OK);
            assert_eq!(n, 0);
        }
        for p in [null(), [1u32].as_ptr()] {
            assert_eq!(harmony_decode(e.0, p, 0, 0, &mut s, null_mut()), HARMONY_OK);
            assert_eq!(take_string(&mut s), "");
            assert_eq!(harmony_decode_into(e.0, p, 0, 0, null_mut(), 0, &mut n, null_mut()), HARMONY_OK);
            assert_eq!(harmony_parse(e.0, p, 0, -1, 0, &mut s, null_mut()), HARMONY_OK);
            assert_eq!(take_string(&mut s), "[]");
        }
        // A token array passed with a shorter length is read only up to it.
        let reply = [200005u32, 17196, 200008, 19, 200002, 4294967295];
        let r5 = c_parse(&e, &reply[..5], 1, 0).unwrap();
        assert!(r5.contains("\"content\":\"4\""));
        // Freeing twice is a no-op because free resets the struct.
        let mut t = harmony_tokens { data: null_mut(), len: 0 };
        assert_eq!(harmony_encode(e.0, c"hello".as_ptr(), 5, 0, &mut t, null_mut()), HARMONY_OK);
        harmony_tokens_free(&mut t);
        harmony_tokens_free(&mut t);
        assert_eq!(harmony_decode(e.0, [24912u32].as_ptr(), 1, 0, &mut s, null_mut()), HARMONY_OK);
        harmony_string_free(&mut s);
        harmony_string_free(&mut s);
        // NUL bytes travel inside lengths: "a\0b" encodes, decodes, and the string's len says 3.
        assert_eq!(harmony_encode(e.0, b"a\0b".as_ptr().cast(), 3, 0, &mut t, null_mut()), HARMONY_OK);
        let toks = take_tokens(&mut t);
        assert_eq!(harmony_decode(e.0, toks.as_ptr(), toks.len(), 0, &mut s, null_mut()), HARMONY_OK);
        assert_eq!(take_string(&mut s), "a\0b");
        // An error message that would contain a NUL still comes back as a C string.
        let mut err = null_mut();
        let st = harmony_special_token_id(b"<|a\0b|>".as_ptr().cast(), 7, &mut 0, );
        assert_eq!(st, HARMONY_ERROR_INVALID_ARGUMENT);
        let st = harmony_encoding_new(c"bad\x01name".as_ptr(), &mut null(), &mut err);
        assert!(outcome(st, err).unwrap_err().1.contains("bad"));
    }
}

#[test]
fn c_abi_parser_misuse() {
    let e = enc();
    unsafe {
        let mut p = null_mut();
        assert_eq!(harmony_parser_new(e.0, -1, 0, &mut p, null_mut()), HARMONY_OK);
        // An error, then more tokens, accessors, EOS twice, more tokens after EOS.
        let mut err = null_mut();
        assert_eq!(outcome(harmony_parser_process(p, 5, &mut err), err).unwrap_err().0, HARMONY_ERROR_PARSE);
        check_c_accessors(p);
        for t in [5, 200006, 200008, u32::MAX, 200006, 173781, 200008, 24912, 200007, 200007, 201088] {
            let mut err = null_mut();
            let _ = outcome(harmony_parser_process(p, t, &mut err), err);
            check_c_accessors(p);
        }
        for _ in 0..3 {
            let mut err = null_mut();
            let _ = outcome(harmony_parser_process_eos(p, &mut err), err);
            check_c_accessors(p);
        }
        let mut err = null_mut();
        let _ = outcome(harmony_parser_process_tokens(p, [200006, 1, 2, 3].as_ptr(), 4, &mut err), err);
        let mut s = harmony_string { data: null_mut(), len: 0 };
        assert_eq!(harmony_parser_messages_json(p, &mut s, null_mut()), HARMONY_OK);
        let msgs: Value = serde_json::from_str(&take_string(&mut s)).unwrap();
        assert!(msgs.is_array());
        harmony_parser_free(p);

        // EOS inside a header fails; the parser stays usable and consistent.
        for role in -1..=4 {
            assert_eq!(harmony_parser_new(e.0, role, HARMONY_PARSE_LENIENT, &mut p, null_mut()), HARMONY_OK);
            for _ in 0..2 {
                let mut err = null_mut();
                let _ = outcome(harmony_parser_process_eos(p, &mut err), err);
                check_c_accessors(p);
            }
            harmony_parser_free(p);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random special-token soup

/// A random token sequence biased towards what confuses a parser: structural specials,
/// reserved specials, header words, byte fragments of multi-byte characters, unknown ids.
fn soup(r: &mut Rng, words: &[u32]) -> Vec<u32> {
    const STRUCTURAL: [u32; 9] = [200006, 200008, 200005, 200003, 200007, 200002, 200012, 199998, 199999];
    const ODD: [u32; 9] = [127, 102, 2203, 1857, 220, 198, 201089, 1 << 31, u32::MAX];
    let n = r.below(40);
    (0..n)
        .map(|_| match r.below(12) {
            0..=4 => *r.pick(&STRUCTURAL),
            5 => FIRST_SPECIAL + r.below((VOCAB_SIZE - FIRST_SPECIAL) as usize) as u32,
            6..=8 => *r.pick(words),
            9 => r.below(FIRST_SPECIAL as usize) as u32,
            _ => *r.pick(&ODD),
        })
        .collect()
}

/// A plausible completion (messages with headers, channels, recipients and content) with a
/// few tokens replaced, inserted or dropped, so that parsers get deep into messages.
fn mangled_completion(r: &mut Rng, words: &[u32]) -> Vec<u32> {
    let mut t = vec![];
    for _ in 0..1 + r.below(3) {
        t.push(200006);
        t.extend(tokenizer::encode(r.pick::<&str>(&["assistant", "user", "tool", "functions.f", "system"]), AllowedSpecial::None));
        if r.chance(0.4) {
            t.extend(tokenizer::encode(r.pick::<&str>(&[" to=functions.f", " to=assistant", " to=all"]), AllowedSpecial::None));
        }
        if r.chance(0.7) {
            t.push(200005);
            t.extend(tokenizer::encode(r.pick::<&str>(&["analysis", "final", "commentary"]), AllowedSpecial::None));
        }
        if r.chance(0.2) {
            t.extend([220, 200003]);
            t.extend(tokenizer::encode("json", AllowedSpecial::None));
        }
        t.push(200008);
        for _ in 0..r.below(6) {
            t.push(*r.pick(words));
        }
        t.push(*r.pick(&[200007, 200002, 200012]));
    }
    if r.chance(0.5) {
        t.drain(..2.min(t.len()));
    }
    for _ in 0..r.below(3) {
        let at = r.below(t.len() + 1);
        let soup = soup(r, words);
        match r.below(3) {
            0 => t.insert(at, soup.first().copied().unwrap_or(200006)),
            1 if at < t.len() => t[at] = soup.first().copied().unwrap_or(0),
            _ => t.truncate(at),
        }
    }
    t
}

fn header_words() -> Vec<u32> {
    let words = [
        "assistant", "user", "tool", "system", "developer", "functions.f", " to=functions.f", "to=", " to=", "analysis",
        "final", "commentary", " json", "json", " ", "  ", "\n", "hello", " <|constrain|>", "<|channel|>", "é", "🎉",
    ];
    words.iter().flat_map(|w| tokenizer::encode(w, AllowedSpecial::None)).collect()
}

#[test]
fn special_token_soup_strict_lenient_and_streaming_agree() {
    let words = header_words();
    let mut r = Rng::new(0x5eed);
    let roles = [None, Some(Role::User), Some(Role::Assistant), Some(Role::System), Some(Role::Developer), Some(Role::Tool)];
    let (mut ok, mut failed) = (0usize, 0usize);
    let e = enc();
    let mut cli_cases = vec![];
    for case in 0..3000 {
        let tokens = if case % 2 == 0 { soup(&mut r, &words) } else { mangled_completion(&mut r, &words) };
        for role in roles {
            for opts in OPTIONS {
                let whole = harmony::parse_completion(&tokens, role, opts);
                let streamed = stream(&tokens, role, opts);
                match (&whole, &streamed) {
                    (Ok(a), Ok(b)) => {
                        ok += 1;
                        assert_eq!(a, b, "{tokens:?} {role:?} {opts:?}");
                    }
                    (Err(a), Err((at, b))) => {
                        failed += 1;
                        assert_eq!(&a.to_string(), b, "{tokens:?} {role:?} {opts:?}");
                        // The error is where streaming saw it: the prefix up to it fails the same way.
                        let prefix = &tokens[..(*at + 1).min(tokens.len())];
                        let again = harmony::parse_completion(prefix, role, opts).unwrap_err();
                        assert_eq!(again.to_string(), *b);
                        assert_eq!(again.kind(), harmony::ErrorKind::Parse);
                    }
                    _ => panic!("whole {whole:?} vs streamed {streamed:?} for {tokens:?} {role:?} {opts:?}"),
                }
                if case % 10 == 0 {
                    let c = c_parse(&e, &tokens, role_code(role), flags_of(opts));
                    assert_eq!(c.clone().map_err(|e| e.1), whole.as_ref().map(|m| messages_to_json(m)).map_err(|e| e.to_string()));
                    if let Err((st, _)) = c {
                        assert_eq!(st, HARMONY_ERROR_PARSE);
                    }
                    let s = c_stream(&e, &tokens, role_code(role), flags_of(opts));
                    assert_eq!(s.map_err(|e| e.0), streamed.as_ref().map(|m| messages_to_json(m)).map_err(|e| e.0));
                }
            }
        }
        if case < 400 {
            cli_cases.push(tokens);
        }
    }
    assert!(ok > 10_000 && failed > 10_000, "ok {ok}, failed {failed}");

    // Through the CLI, a few hundred sequences per mode in one process each.
    let lines: Vec<Vec<u8>> = cli_cases.iter().map(|t| tokens_json(t).into_bytes()).collect();
    for role in [None, Some("assistant")] {
        for lenient in [false, true] {
            // `--role none` for tokens that start at <|start|> (the CLI's default is assistant).
            let mut args = vec!["parse", "--role", role.unwrap_or("none")];
            if lenient {
                args.push("--lenient");
            }
            let whole = jsonl(&args, &lines);
            args.push("--stream");
            let streamed = jsonl(&args, &lines);
            let opts = ParseOptions { strict: !lenient, fix_constrain_recipient: false, recover: false, keep_tokens: false };
            for ((w, s), tokens) in whole.iter().zip(&streamed).zip(&cli_cases) {
                let lib = harmony::parse_completion(tokens, role.map(|r| Role::parse(r).unwrap()), opts);
                match lib {
                    Ok(m) => {
                        let want = format!("{{\"messages\":{}}}", messages_to_json(&m));
                        assert_eq!(w.as_deref(), Ok(want.as_str()));
                        assert_eq!(s.as_deref(), Ok(want.as_str()));
                    }
                    Err(err) => {
                        assert_eq!(w.as_ref().unwrap_err(), &err.to_string());
                        assert!(s.as_ref().unwrap_err().ends_with(&err.to_string()), "{s:?} vs {err}");
                    }
                }
            }
        }
    }
}

#[test]
fn jsonl_good_lines_after_bad_ones_still_succeed() {
    let deep = nested_arrays(100_000).into_bytes();
    let conv = br#"{"messages":[{"role":"user","content":"hi"}]}"#.to_vec();
    // (command, bad lines, good line, its answer)
    type Case = (Vec<&'static str>, Vec<Vec<u8>>, Vec<u8>, String);
    let cases: Vec<Case> = vec![
        (
            vec!["render"],
            vec![b"{".to_vec(), b"\xff\xfe".to_vec(), deep.clone(), b"null".to_vec(), b"\0".to_vec(), b" \r".to_vec(),
                 br#"{"messages":[{"role":"tool","content":"x"}]}"#.to_vec()],
            conv.clone(),
            "[200006,1428,200008,3686,200007,200006,173781]".into(),
        ),
        (
            vec!["parse", "--role", "assistant"],
            vec![b"[".to_vec(), b"[-1]".to_vec(), b"[4294967296]".to_vec(), deep.clone(), b"[200005]".to_vec(),
                 b"[200005,200008]".to_vec(), b"\xff".to_vec()],
            b"[200005,17196,200008,3686,200002]".to_vec(),
            r#"{"messages":[{"role":"assistant","content":"hi","channel":"final"}]}"#.into(),
        ),
        (
            vec!["encode"],
            vec![b"not json".to_vec(), b"123".to_vec(), b"\"\\ud800\"".to_vec(), b"\"\xff\"".to_vec(), deep.clone()],
            b"\"hello world\"".to_vec(),
            "[24912,2375]".into(),
        ),
        (
            vec!["decode"],
            vec![b"[201089]".to_vec(), b"[127]".to_vec(), b"[-1]".to_vec(), deep.clone(), b"{}".to_vec()],
            b"[24912,2375]".to_vec(),
            "\"hello world\"".into(),
        ),
    ];
    for (args, bad, good, want) in cases {
        let mut lines = vec![good.clone()];
        for b in &bad {
            lines.push(b.clone());
            lines.push(good.clone());
        }
        let answers = jsonl(&args, &lines);
        for (i, a) in answers.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(a.as_deref(), Ok(want.as_str()), "{args:?} line {i}");
            } else {
                assert!(a.is_err(), "{args:?} line {i}: {a:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Special-token injection

/// A conversation with `s` in every place text can go.
fn injection_conversation(s: &str) -> Value {
    let exact_content_type = if s == "<|constrain|>" { "x" } else { s };
    let schema = json!({
        "type": "object", "description": s, "title": s,
        "properties": {
            s: {"type": "string", "description": s, "title": s, "enum": [s, "b"], "default": s, "examples": [s]},
            "p2": {"type": "string", "default": s, "nullable": true},
            "p3": {"description": s, "default": s, "oneOf": [
                {"type": "string", "description": s, "default": s, "enum": [s]},
                {"type": "number", "default": {"k": s, s: [s]}},
                {"type": "object", "properties": {s: {"type": s}}, "description": s}]},
            "p4": {"type": ["string", s]},
            "p5": {"type": "array", "items": {"type": s, "description": s}},
            "p6": {"type": s, "default": [s, 1]}
        },
        "required": [s, "p2"]
    });
    let tools = |ns: &str| json!({
        ns: {"name": ns, "description": s, "tools": [{"name": s, "description": s, "parameters": schema.clone()},
                                                    {"name": "g", "description": format!("line\n{s}\n"), "parameters": null}]},
        s: {"name": s, "description": format!("{s}\n{s}"), "tools": [{"name": s, "description": s, "parameters": {"type": s}}]},
        format!("{s}-empty"): {"name": s, "description": s, "tools": []}
    });
    json!({"messages": [
        {"role": "system", "content": [{"type": "system_content", "model_identity": s, "reasoning_effort": "High",
            "conversation_start_date": s, "knowledge_cutoff": s,
            "channel_config": {"valid_channels": [s, "final"], "channel_required": true}, "tools": tools("browser")}]},
        {"role": "developer", "content": [{"type": "developer_content", "instructions": s, "tools": tools("functions")}]},
        {"role": "user", "name": s, "content": s},
        {"role": "user", "content": [{"type": "text", "text": s}, {"type": "text", "text": s}]},
        {"role": "assistant", "name": s, "channel": s, "recipient": s, "content_type": exact_content_type, "content": s},
        {"role": "assistant", "channel": "commentary", "recipient": format!("functions.{s}"), "content_type": format!("<|constrain|>{s}"), "content": s},
        {"role": "assistant", "channel": "analysis", "content_type": format!("json{s}"), "content": s},
        {"role": "tool", "name": s, "recipient": s, "channel": s, "content": s},
        {"role": "tool", "name": format!("functions.{s}"), "recipient": "assistant", "content": s},
        {"role": s, "content": s},
        {"role": "assistant", "channel": "final", "content": s}
    ]})
}

fn specials(tokens: &[u32]) -> Vec<u32> {
    tokens.iter().copied().filter(|&t| harmony::tokenizer::is_special(t)).collect()
}

#[test]
fn special_token_injection_is_impossible() {
    let e = enc();
    let baseline_doc = injection_conversation("x");
    // `role` is not free text: a message whose role is a spelling is rejected; drop it.
    let strip_role = |mut v: Value| {
        v["messages"].as_array_mut().unwrap().retain(|m| m["role"] != "x" && Role::parse(m["role"].as_str().unwrap()).is_ok());
        v
    };
    let baseline = Conversation::from_json(&strip_role(baseline_doc.clone()).to_string()).unwrap();
    let base_msgs: Vec<Vec<u32>> = baseline.messages.iter().map(|m| specials(&harmony::render::render_message(m, true).unwrap())).collect();
    let base_all = specials(&harmony::render::render_for_completion(&baseline, Role::Assistant, &RenderOptions::default()).unwrap());
    assert!(base_all.len() > 30);
    for id in FIRST_SPECIAL..VOCAB_SIZE {
        let s = special_name(id).unwrap();
        let doc = injection_conversation(s);
        // A spelling is not a role.
        let text = doc.to_string();
        assert_eq!(Conversation::from_json(&text).unwrap_err().kind(), harmony::ErrorKind::InvalidJson, "{s}");
        let doc = strip_role(doc);
        let text = doc.to_string();
        let conv = Conversation::from_json(&text).unwrap();
        for (i, (m, want)) in conv.messages.iter().zip(&base_msgs).enumerate() {
            let got = specials(&harmony::render::render_message(m, true).unwrap());
            assert_eq!(&got, want, "{s} injected a control token in message {i}");
        }
        // The whole conversation through the C ABI, every mode.
        let got = c_render(&e, 0, text.as_bytes(), 1, 0).unwrap();
        assert_eq!(specials(&got), base_all, "{s} (completion)");
        let got = c_render(&e, 2, text.as_bytes(), 1, HARMONY_RENDER_KEEP_ANALYSIS).unwrap();
        let base = specials(&harmony::render::render_for_training(&baseline, &RenderOptions { auto_drop_analysis: false }).unwrap());
        assert_eq!(specials(&got), base, "{s} (training)");
        // Plain encoding never produces it either, nor does encoding with a different allowed id.
        assert!(specials(&tokenizer::encode(&format!("a{s}b{s}"), AllowedSpecial::None)).is_empty());
        let other = if id == 200006 { 200007 } else { 200006 };
        assert!(specials(&tokenizer::encode(s, AllowedSpecial::Only(&[other]))).is_empty());
        assert_eq!(tokenizer::encode(s, AllowedSpecial::All), vec![id]);
    }
}

// ---------------------------------------------------------------------------------------------
// Super-linear work

#[test]
fn resource_special_spelling_scan_is_linear() {
    // 250,000 "<|" with no close nearby: the scan for spellings used to look for "|>" from
    // every "<|" to the end of the text (quadratic: minutes for 1 MB).
    let open = "<|x ".repeat(250_000) + "|>";
    assert_eq!(tokenizer::encode(&open, AllowedSpecial::All), tokenizer::encode(&open, AllowedSpecial::None));
    let near_misses = "<|start|<|end|<|reserved_0|><|reserved_2000000|>".repeat(5_000) + "<|end|>";
    let t = tokenizer::encode(&near_misses, AllowedSpecial::All);
    assert_eq!(specials(&t), vec![200007]);
    assert_eq!(tokenizer::decode_utf8(&t).unwrap(), near_misses);
    let o = cli(&["encode", "--allow-special"], open.as_bytes());
    assert_eq!(clean(&o, "allow-special 1 MB"), 0);
}

#[test]
fn resource_wide_schemas_render() {
    // 20,000 required properties: `required` used to be searched linearly for each property.
    let n = 20_000;
    let mut props = Map::new();
    for i in 0..n {
        props.insert(format!("p{i}"), json!({"type": "string"}));
    }
    let required: Vec<Value> = (0..n).map(|i| json!(format!("p{i}"))).collect();
    let conv = tool_conversation(json!({"type": "object", "properties": props, "required": required}));
    let tokens = harmony::render::render_conversation(&conv, &RenderOptions::default()).unwrap();
    let text = tokenizer::decode_utf8(&tokens).unwrap();
    assert!(text.contains("p0: string,\np1: string,") && text.contains(&format!("p{}: string,\n}}", n - 1)));
    assert!(!text.contains('?'), "every property is required");
}

#[test]
fn resource_long_headers_and_invalid_byte_streams() {
    // A header of 200,000 tokens before <|message|>: parsed, or rejected with an error.
    let mut t = vec![200006, 173781];
    t.extend(vec![220; 100_000]); // spaces
    t.extend(tokenizer::encode(" to=functions.f", AllowedSpecial::None));
    t.extend(vec![220; 100_000]);
    t.extend([200005, 17196, 200008, 24912, 200012]);
    let m = harmony::parse_completion(&t, None, ParseOptions::default()).unwrap();
    assert_eq!(m[0].recipient.as_deref(), Some("functions.f"));
    // 100,000 tokens of two stray continuation bytes each: every byte becomes U+FFFD.
    let bad = 2203; // b"\x82\xac"
    assert_eq!(tokenizer::token_bytes(bad), Some(&b"\x82\xac"[..]));
    let mut t = vec![200006, 173781, 200008];
    t.extend(vec![bad; 100_000]);
    t.push(200007);
    let whole = harmony::parse_completion(&t, None, ParseOptions::default()).unwrap();
    assert_eq!(whole[0].content, vec!["\u{FFFD}".repeat(200_000).into()]);
    assert_eq!(stream(&t, None, ParseOptions::default()).unwrap(), whole);
}
