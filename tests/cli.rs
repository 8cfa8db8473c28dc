//! The `harmony` CLI contract: outputs, exit statuses, --jsonl behaviour.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn harmony(args: &[&str], stdin: &[u8]) -> Output {
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

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const EXAMPLE: &str = include_str!("../examples/conversation.json");

#[test]
fn render_example_matches_reference() {
    let o = harmony(&["render", concat!(env!("CARGO_MANIFEST_DIR"), "/examples/conversation.json")], b"");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let ours: Vec<u32> = serde_json::from_str(&stdout(&o)).unwrap();
    let conv: openai_harmony::chat::Conversation = serde_json::from_str(EXAMPLE).unwrap();
    let theirs = common::reference()
        .render_conversation_for_completion(&conv, openai_harmony::chat::Role::Assistant, None)
        .unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn render_modes_and_roles() {
    let conv = br#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","channel":"final","content":"yo"}]}"#;
    let training = harmony(&["render", "--mode", "training"], conv);
    assert!(stdout(&training).trim_end().ends_with(",200002]"), "{}", stdout(&training));
    let completion = harmony(&["render", "--next-role", "user"], conv);
    assert!(stdout(&completion).trim_end().ends_with(",200006,1428]"));
    // A role that does not exist is bad usage (exit 2 with usage), not a failed render.
    let bad_role = harmony(&["render", "--next-role", "robot"], conv);
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("robot"));
}

#[test]
fn parse_and_stream_agree() {
    let reply = harmony(&["encode", "--allow-special"], "<|channel|>analysis<|message|>Think 日本.<|end|><|start|>assistant<|channel|>final<|message|>Done 🎉<|return|>".as_bytes());
    assert_eq!(reply.status.code(), Some(0));
    let tokens = reply.stdout;
    let whole = harmony(&["parse", "--role", "assistant"], &tokens);
    let streamed = harmony(&["parse", "--role", "assistant", "--stream"], &tokens);
    assert_eq!(whole.status.code(), Some(0));
    assert_eq!(stdout(&whole), stdout(&streamed));
    let v: serde_json::Value = serde_json::from_str(&stdout(&whole)).unwrap();
    assert_eq!(v["messages"][1]["content"], "Done 🎉");
    assert_eq!(v["messages"][0]["channel"], "analysis");
}

#[test]
fn encode_keeps_special_spellings_as_text_and_decode_round_trips() {
    let o = harmony(&["encode"], b"<|start|>hi");
    let tokens: Vec<u32> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(!tokens.contains(&200006));
    let d = harmony(&["decode"], &o.stdout);
    assert_eq!(stdout(&d), "<|start|>hi\n");
    let bad = harmony(&["decode"], b"[4294967295]");
    assert_eq!(bad.status.code(), Some(1));
    let split = harmony(&["decode"], b"[94]");
    assert_eq!(split.status.code(), Some(1), "a lone byte fragment is not UTF-8");
    let lossy = harmony(&["decode", "--lossy"], b"[94]");
    assert_eq!(lossy.status.code(), Some(0));
}

#[test]
fn errors_exit_one_usage_exits_two() {
    for (args, input) in [
        (vec!["render"], &b""[..]),
        (vec!["render"], b"null"),
        (vec!["render"], b"{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"),
        (vec!["parse"], b"[1,2,3]"),
        (vec!["parse"], b"[-1]"),
        (vec!["encode"], b"\xff\xfe"),
        (vec!["decode"], b"{}"),
    ] {
        let o = harmony(&args, input);
        assert_eq!(o.status.code(), Some(1), "{args:?} {input:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("error"), "{args:?}");
    }
    assert_eq!(harmony(&["render", "--bogus"], b"").status.code(), Some(2));
    assert_eq!(harmony(&["frobnicate"], b"").status.code(), Some(2));
    assert_eq!(harmony(&["--help"], b"").status.code(), Some(0));
    let v = harmony(&["--version"], b"");
    assert!(stdout(&v).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn jsonl_answers_every_line_in_order() {
    let input = b"{\"messages\":[]}\nnot json\n\xff\n\n{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n";
    let o = harmony(&["render", "--jsonl"], input);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0], "[200006,173781]");
    assert!(lines[1].starts_with("{\"error\":"));
    assert!(lines[2].contains("UTF-8"));
    assert!(lines[3].starts_with("{\"error\":"));
    assert_eq!(lines[4], "[200006,1428,200008,3686,200007,200006,173781]");
    let ok = harmony(&["parse", "--jsonl", "--role", "assistant"], b"[200005,17196,200008,3686,200002]\n[200005,17196,200008,3686]\n");
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout(&ok).lines().count(), 2);
    let enc = harmony(&["encode", "--jsonl"], b"\"a\\nb\"\n\"<|end|>\"\n");
    assert_eq!(stdout(&enc).lines().count(), 2);
}

// ---- CLI hygiene (issue 15) ----

const REPLY: &str = "<|channel|>final<|message|>4<|return|>";

fn tokens_of(text: &str) -> Vec<u8> {
    let o = harmony(&["encode", "--allow-special"], text.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    o.stdout
}

#[test]
fn parse_defaults_to_the_assistant_role_like_the_wrappers() {
    let tokens = tokens_of(REPLY);
    let default = harmony(&["parse"], &tokens);
    assert_eq!(default.status.code(), Some(0), "{}", String::from_utf8_lossy(&default.stderr));
    assert_eq!(stdout(&default), stdout(&harmony(&["parse", "--role", "assistant"], &tokens)));
    let v: serde_json::Value = serde_json::from_str(&stdout(&default)).unwrap();
    assert_eq!(v["messages"][0]["role"], "assistant");
    assert_eq!(v["messages"][0]["content"], "4");
    // `--role none`: the tokens start at <|start|> (what --role absent meant before).
    let whole = tokens_of(&format!("<|start|>assistant{REPLY}"));
    let none = harmony(&["parse", "--role", "none"], &whole);
    assert_eq!(none.status.code(), Some(0), "{}", String::from_utf8_lossy(&none.stderr));
    assert_eq!(stdout(&none), stdout(&default));
    assert_eq!(harmony(&["parse", "--role", "none"], &tokens).status.code(), Some(1));
}

#[test]
fn bad_role_values_are_usage_errors() {
    for args in [
        &["parse", "--role", "robot"][..],
        &["parse", "--role", "Assistant"],
        &["render", "--next-role", "none"],
        &["render", "--next-role", ""],
        &["render", "--mode", "chat"],
    ] {
        let o = harmony(args, b"[]");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("Usage: harmony ") && err.contains("possible values"), "{args:?}: {err}");
    }
}

#[test]
fn chat_render_validates_the_date() {
    let req = br#"{"messages":[{"role":"user","content":"hi"}]}"#;
    let ok = harmony(&["chat", "render", "--date", "2024-02-29"], req);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let text = stdout(&harmony(&["decode"], &ok.stdout));
    assert!(text.contains("Current date: 2024-02-29"), "{text}");
    for bad in ["2025-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "2025-6-1", "June 1", "2025-06-01x", "２０２５-06-01", ""] {
        let o = harmony(&["chat", "render", "--date", bad], req);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("Usage: harmony chat render"), "{bad:?}: {err}");
    }
}

/// The options and arguments listed by `--help`: every one has a description.
#[test]
fn every_option_and_argument_has_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["render"],
        &["parse"],
        &["encode"],
        &["decode"],
        &["chat"],
        &["chat", "render"],
        &["chat", "parse"],
    ];
    let entry =
        regex::Regex::new(r"^ +(?:-\w, )?(?:--[\w-]+(?: <[^>]+>)?|\[\w+\]|<\w+>|\w[\w-]*)(\s{2,}\S.*)?$").unwrap();
    let mut seen = 0;
    for cmd in commands {
        let mut args = cmd.to_vec();
        args.push("-h");
        let o = harmony(&args, b"");
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        // The short help (-h): one line per entry, `  ENTRY  description`.
        let help = stdout(&o);
        let mut section = "";
        for line in help.lines() {
            if !line.starts_with(' ') {
                section = if line.ends_with(':') { line } else { "" };
                continue;
            }
            if !matches!(section, "Options:" | "Arguments:" | "Commands:") {
                continue;
            }
            let caps = entry.captures(line).unwrap_or_else(|| panic!("{args:?}: unexpected help line {line:?}"));
            assert!(caps.get(1).is_some(), "{args:?}: `{}` has no help text", line.trim());
            seen += 1;
        }
    }
    assert!(seen >= 45, "only {seen} entries checked");
    let decode = stdout(&harmony(&["decode", "--help"], b""));
    assert!(decode.contains("newline"), "decode documents its trailing newline: {decode}");
}

#[test]
fn dash_means_standard_input() {
    let from_stdin = harmony(&["render"], EXAMPLE.as_bytes());
    let dash = harmony(&["render", "-"], EXAMPLE.as_bytes());
    assert_eq!(dash.status.code(), Some(0), "{}", String::from_utf8_lossy(&dash.stderr));
    assert_eq!(stdout(&dash), stdout(&from_stdin));
    let tokens = tokens_of(REPLY);
    assert_eq!(stdout(&harmony(&["decode", "-"], &tokens)), format!("{REPLY}\n"));
}

#[test]
fn a_utf8_byte_order_mark_is_accepted() {
    let plain = harmony(&["render"], EXAMPLE.as_bytes());
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(EXAMPLE.as_bytes());
    let bom = harmony(&["render"], &with_bom);
    assert_eq!(bom.status.code(), Some(0), "{}", String::from_utf8_lossy(&bom.stderr));
    assert_eq!(stdout(&bom), stdout(&plain));
    // From a file too, and before the first line of --jsonl input.
    let path = std::env::temp_dir().join(format!("harmony-cli-bom-{}.json", std::process::id()));
    std::fs::write(&path, &with_bom).unwrap();
    let file = harmony(&["render", path.to_str().unwrap()], b"");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(stdout(&file), stdout(&plain));
    let jsonl = harmony(&["encode", "--jsonl"], b"\xEF\xBB\xBF\"hi\"\n\"hi\"\n");
    assert_eq!(jsonl.status.code(), Some(0), "{}", stdout(&jsonl));
    let lines: Vec<&str> = std::str::from_utf8(&jsonl.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], lines[1]);
    // Only a leading mark: one in the middle of the text is text.
    let mid = harmony(&["encode"], "a\u{feff}".as_bytes());
    let decoded = harmony(&["decode"], &mid.stdout);
    assert_eq!(stdout(&decoded), "a\u{feff}\n");
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    for args in [&["encode"][..], &["encode", "--jsonl"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_harmony"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before anything is written
        let line = if args.len() > 1 { "\"hello world\"\n" } else { "hello world " };
        let input = line.repeat(20_000);
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn render_message_mode_matches_reference() {
    let msgs = [
        r#"{"role":"user","content":"What is 2+2?"}"#,
        r#"{"role":"assistant","channel":"commentary","recipient":"functions.get_weather","content_type":"<|constrain|>json","content":"{\"city\":\"Tokyo\"}"}"#,
        r#"{"role":"tool","name":"functions.get_weather","channel":"commentary","content":"{\"temp\":21}"}"#,
    ];
    for m in msgs {
        let o = harmony(&["render", "--mode", "message"], m.as_bytes());
        assert_eq!(o.status.code(), Some(0), "{m}: {}", String::from_utf8_lossy(&o.stderr));
        let ours: Vec<u32> = serde_json::from_str(&stdout(&o)).unwrap();
        let msg: openai_harmony::chat::Message = serde_json::from_str(m).unwrap();
        assert_eq!(ours, common::reference().render(&msg, None).unwrap(), "{m}");
    }
    // A conversation is not a message.
    assert_eq!(harmony(&["render", "--mode", "message"], EXAMPLE.as_bytes()).status.code(), Some(1));
}
#[test]
fn parse_recover_repairs_what_strict_parsing_rejects() {
    // vLLM #50690: a stray <|return|> after a complete final message.
    let tokens = b"[200005, 17196, 200008, 17045, 200007, 200002]";
    let strict = harmony(&["parse", "--role", "assistant"], tokens);
    assert_eq!(strict.status.code(), Some(1));
    for extra in [&[][..], &["--stream"][..]] {
        let args: Vec<&str> = ["parse", "--role", "assistant", "--recover"].iter().chain(extra).copied().collect();
        let o = harmony(&args, tokens);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            stdout(&o).trim(),
            r#"{"messages":[{"role":"assistant","content":"Answer","channel":"final","repairs":["stray token after message"]}]}"#
        );
    }
}

/// `encode --allowed` reads only the named special tokens as special (openai_harmony's
/// `allowed_special={...}`): the golden vectors with a subset of special tokens.
#[test]
fn encode_with_an_allowed_subset_matches_the_golden_vectors() {
    let mut checked = 0;
    for line in include_str!("golden/vectors.jsonl").lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] != "encode" {
            continue;
        }
        let names: Vec<&str> = v["allowed_special"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
        if names.is_empty() || names.len() > 20 || names.iter().any(|n| harmony::tokenizer::special_id(n).is_none()) {
            continue;
        }
        let text = serde_json::to_string(&v["text"]).unwrap();
        let out = harmony(&["encode", "--jsonl", "--allowed", &names.join(",")], format!("{text}\n").as_bytes());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let got: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(got, v["tokens"], "{}", v["id"]);
        checked += 1;
    }
    assert!(checked >= 10, "{checked} vectors with an allowed subset");
    let out = harmony(&["encode", "--allowed", "<|start|>,<|nope|>"], b"x");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`<|nope|>` is not a special token"), "{:?}", out);
}

/// `chat parse --request FILE` takes the request's tools: a call of the identifier a
/// non-identifier name was rendered as comes back under the declared name (issue 16 §1); the
/// Responses bridge gets them through `--options` (`response_fields.tools`).
#[test]
fn parse_reports_the_declared_tool_name() {
    let dir = std::env::temp_dir().join(format!("harmony-cli-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("req.json");
    std::fs::write(&file, r#"{"messages":[],"tools":[{"type":"function","function":{"name":"get weather"}}]}"#).unwrap();
    let tokens = tokens_of("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{}<|call|>");
    let o = harmony(&["chat", "parse", "--request", file.to_str().unwrap()], &tokens);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get weather");
    let options = r#"{"response_fields":{"tools":[{"type":"function","name":"get weather"}]}}"#;
    let o = harmony(&["responses", "parse", "--options", options], &tokens);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["output"][0]["name"], "get weather");
    std::fs::remove_dir_all(&dir).ok();
}

/// `force-answer` prints the tokens that end the reasoning now (issue 16 §3).
#[test]
fn force_answer_prints_the_tokens_to_inject() {
    let so_far = harmony::tokenizer::encode("<|channel|>analysis<|message|>Let me think", harmony::AllowedSpecial::All);
    let input = serde_json::to_string(&so_far).unwrap();
    for (args, want) in [
        (vec!["force-answer"], "<|end|><|start|>assistant<|channel|>final<|message|>"),
        (vec!["force-answer", "--function", "f"], "<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>"),
    ] {
        let out = harmony(&args, input.as_bytes());
        assert!(out.status.success(), "{:?}", out);
        let tokens: Vec<u32> = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(harmony::tokenizer::decode_utf8(&tokens).unwrap(), want);
    }
    assert!(!harmony(&["force-answer", "--function", "a b"], input.as_bytes()).status.success());
}
