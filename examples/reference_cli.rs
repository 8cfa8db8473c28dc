//! A tiny CLI over the reference implementation (the `openai-harmony = "=0.0.8"`
//! dev-dependency), with the same input and output shapes as `harmony render` / `harmony
//! parse` / `harmony encode`, so that whole-process start-up and per-call cost can be compared
//! side by side (`scripts/bench.sh`). Not part of the library.
//!
//! ```sh
//! cargo build --release --example reference_cli
//! target/release/examples/reference_cli render [--keep-analysis] FILE   # JSON array of tokens
//! target/release/examples/reference_cli parse [--role ROLE] [--stream] FILE   # {"messages":[...]}
//! target/release/examples/reference_cli encode FILE                      # JSON array of tokens
//! ```
//!
//! The vocabulary is read from `$TIKTOKEN_ENCODINGS_BASE` (default: this repository's
//! `assets/`), so nothing is downloaded. The crate cannot drop analysis messages (its config
//! type is private), so `render` always keeps them, like `harmony render --keep-analysis`.

use openai_harmony::chat::{Conversation, Role};
use openai_harmony::{load_harmony_encoding, HarmonyEncodingName, StreamableParser};
use std::io::{Read, Write};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: reference_cli render|parse|encode [--role ROLE] [--stream] [--keep-analysis] [FILE]");
    ExitCode::from(2)
}

fn run(args: &[String]) -> Result<String, String> {
    let cmd = args.first().ok_or("no command")?.as_str();
    let mut role: Option<Role> = None;
    let mut stream = false;
    let mut file = None;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--role" => {
                let r = it.next().ok_or("--role needs a value")?;
                role = Some(Role::try_from(r.as_str()).map_err(|_| format!("unknown role {r}"))?);
            }
            "--stream" => stream = true,
            "--keep-analysis" => {}
            f => file = Some(f.to_string()),
        }
    }
    let mut input = Vec::new();
    match &file {
        Some(f) => input = std::fs::read(f).map_err(|e| format!("cannot read {f}: {e}"))?,
        None => {
            std::io::stdin().read_to_end(&mut input).map_err(|e| e.to_string())?;
        }
    }
    if std::env::var_os("TIKTOKEN_ENCODINGS_BASE").is_none() {
        std::env::set_var("TIKTOKEN_ENCODINGS_BASE", concat!(env!("CARGO_MANIFEST_DIR"), "/assets"));
    }
    let enc = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss).map_err(|e| e.to_string())?;
    match cmd {
        "render" => {
            let conv: Conversation = serde_json::from_slice(&input).map_err(|e| e.to_string())?;
            let tokens = enc
                .render_conversation_for_completion(&conv, Role::Assistant, None)
                .map_err(|e| e.to_string())?;
            Ok(serde_json::to_string(&tokens).unwrap())
        }
        "parse" => {
            let tokens: Vec<u32> = serde_json::from_slice(&input).map_err(|e| e.to_string())?;
            let messages = if stream {
                let mut p = StreamableParser::new(enc, role).map_err(|e| e.to_string())?;
                for t in tokens {
                    p.process(t).map_err(|e| e.to_string())?;
                }
                p.process_eos().map_err(|e| e.to_string())?;
                p.into_messages()
            } else {
                enc.parse_messages_from_completion_tokens(tokens, role).map_err(|e| e.to_string())?
            };
            Ok(format!("{{\"messages\":{}}}", serde_json::to_string(&messages).unwrap()))
        }
        "encode" => {
            let text = std::str::from_utf8(&input).map_err(|e| e.to_string())?;
            Ok(serde_json::to_string(&enc.tokenizer().encode_ordinary(text)).unwrap())
        }
        _ => Err(format!("unknown command {cmd}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        return usage();
    }
    match run(&args) {
        Ok(out) => {
            let mut so = std::io::stdout().lock();
            let _ = writeln!(so, "{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("reference_cli: error: {e}");
            ExitCode::from(1)
        }
    }
}
