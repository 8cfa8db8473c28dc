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
    let bad_role = harmony(&["render", "--next-role", "robot"], conv);
    assert_eq!(bad_role.status.code(), Some(1));
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
