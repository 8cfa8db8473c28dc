//! `harmony` — render conversations to gpt-oss tokens and parse completions back, from the
//! command line. See README.md ("The CLI contract") for the exact input and output formats.

use clap::{Parser, Subcommand, ValueEnum};
use harmony::chat_completions::{self, ChatOptions};
use harmony::{
    chat::messages_to_json, AllowedSpecial, Conversation, ParseOptions, RenderOptions, Role, StreamParser,
};
use std::io::{Read, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "harmony", version, about = "OpenAI Harmony (gpt-oss) renderer and parser")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// The conversation then `<|start|>` + the next role, ready for sampling.
    Completion,
    /// The conversation only.
    Conversation,
    /// The conversation for training (a trailing final answer ends in `<|return|>`).
    Training,
}

#[derive(Subcommand)]
enum ChatCommand {
    /// Render an OpenAI Chat Completions request into a JSON array of prompt tokens.
    Render {
        /// `Current date:` of the system message (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        #[arg(long)]
        jsonl: bool,
        file: Option<std::path::PathBuf>,
    },
    /// Parse a JSON array of completion tokens into a chat.completion response
    /// (with --stream: a JSON array of chat.completion.chunk objects).
    Parse {
        #[arg(long)]
        stream: bool,
        /// `model` of the response.
        #[arg(long, default_value = "gpt-oss")]
        model: String,
        /// `id` of the response.
        #[arg(long, default_value = "chatcmpl-harmony")]
        id: String,
        /// `created` of the response (seconds since the epoch).
        #[arg(long, default_value_t = 0)]
        created: u64,
        /// The engine's own finish reason (stop, length, content_filter).
        #[arg(long, value_name = "REASON")]
        finish_reason: Option<String>,
        /// Reproducible tool-call ids from this seed (default: random ids).
        #[arg(long, value_name = "N")]
        id_seed: Option<u64>,
        /// Tool-call ids PREFIX0, PREFIX1, ...
        #[arg(long, value_name = "PREFIX")]
        id_prefix: Option<String>,
        /// Field of the reasoning text: reasoning_content (default) or reasoning.
        #[arg(long, value_name = "FIELD")]
        reasoning_field: Option<String>,
        /// The request the completion answers: its tool_choice and parallel_tool_calls are
        /// honoured.
        #[arg(long, value_name = "FILE")]
        request: Option<std::path::PathBuf>,
        #[arg(long)]
        jsonl: bool,
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// OpenAI Chat Completions bridge (request → tokens, tokens → response).
    #[command(subcommand)]
    Chat(ChatCommand),
    /// Render a conversation JSON into a JSON array of tokens.
    Render {
        #[arg(long, value_enum, default_value = "completion")]
        mode: Mode,
        /// Role of the message to be sampled (completion mode).
        #[arg(long, default_value = "assistant", value_name = "ROLE")]
        next_role: String,
        /// Keep analysis messages that gpt-oss would otherwise drop between turns.
        #[arg(long)]
        keep_analysis: bool,
        /// One input document per line, one answer per line.
        #[arg(long)]
        jsonl: bool,
        /// Input file (default: standard input).
        file: Option<std::path::PathBuf>,
    },
    /// Parse a JSON array of completion tokens into {"messages":[...]}.
    Parse {
        /// Role of the first message when the tokens start inside its header.
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
        /// Recover from a stop token inside the first header instead of failing.
        #[arg(long)]
        lenient: bool,
        /// Feed the tokens one at a time through the streaming parser.
        #[arg(long)]
        stream: bool,
        /// Read `<|channel|>final <|constrain|>json` as a content type, not a recipient
        /// (openai/harmony PR #144; differs from openai-harmony 0.0.8).
        #[arg(long)]
        fix_constrain_recipient: bool,
        #[arg(long)]
        jsonl: bool,
        file: Option<std::path::PathBuf>,
    },
    /// Encode text (special-token spellings stay text) into a JSON array of tokens.
    /// With --jsonl each line is a JSON string.
    Encode {
        /// Encode special-token spellings such as `<|start|>` as special tokens.
        #[arg(long)]
        allow_special: bool,
        #[arg(long)]
        jsonl: bool,
        file: Option<std::path::PathBuf>,
    },
    /// Decode a JSON array of tokens to text. With --jsonl the answer is a JSON string.
    Decode {
        /// Replace invalid UTF-8 with U+FFFD instead of failing.
        #[arg(long)]
        lossy: bool,
        #[arg(long)]
        jsonl: bool,
        file: Option<std::path::PathBuf>,
    },
}

type Answer = Result<String, String>;

fn tokens_json(tokens: &[u32]) -> String {
    serde_json::to_string(tokens).expect("token arrays serialise")
}

fn utf8(input: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(input).map_err(|e| format!("input is not valid UTF-8: {e}"))
}

fn read_tokens(input: &[u8]) -> Result<Vec<u32>, String> {
    serde_json::from_slice(input).map_err(|e| format!("expected a JSON array of token ids (0..4294967295): {e}"))
}

fn role_arg(name: &str) -> Result<Role, String> {
    Role::parse(name).map_err(|e| e.to_string())
}

impl Command {
    fn jsonl(&self) -> bool {
        match self {
            Command::Render { jsonl, .. }
            | Command::Parse { jsonl, .. }
            | Command::Encode { jsonl, .. }
            | Command::Decode { jsonl, .. }
            | Command::Chat(ChatCommand::Render { jsonl, .. })
            | Command::Chat(ChatCommand::Parse { jsonl, .. }) => *jsonl,
        }
    }

    fn file(&self) -> Option<&std::path::Path> {
        match self {
            Command::Render { file, .. }
            | Command::Parse { file, .. }
            | Command::Encode { file, .. }
            | Command::Decode { file, .. }
            | Command::Chat(ChatCommand::Render { file, .. })
            | Command::Chat(ChatCommand::Parse { file, .. }) => file.as_deref(),
        }
    }

    /// Answers one input document.
    fn answer(&self, input: &[u8]) -> Answer {
        match self {
            Command::Chat(ChatCommand::Render { date, .. }) => {
                let opts = ChatOptions { conversation_start_date: date.clone(), ..ChatOptions::default() };
                let tokens = chat_completions::render_request(utf8(input)?, &opts).map_err(|e| e.to_string())?;
                Ok(tokens_json(&tokens))
            }
            Command::Chat(ChatCommand::Parse {
                stream, model, id, created, finish_reason, id_seed, id_prefix, reasoning_field, request, ..
            }) => {
                let tokens = read_tokens(input)?;
                let mut opts = serde_json::json!({"model": model, "id": id, "created": created,
                    "finish_reason": finish_reason, "tool_call_id_seed": id_seed, "tool_call_id_prefix": id_prefix});
                if let Some(f) = reasoning_field {
                    opts["reasoning_field"] = serde_json::json!(f);
                }
                let mut opts = ChatOptions::from_json(&opts.to_string()).map_err(|e| e.to_string())?;
                if let Some(path) = request {
                    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    opts = opts.with_request(&text).map_err(|e| e.to_string())?;
                }
                let answer = if *stream {
                    serde_json::Value::Array(chat_completions::stream_chunks(&tokens, &opts).map_err(|e| e.to_string())?)
                } else {
                    chat_completions::parse_response(&tokens, &opts).map_err(|e| e.to_string())?
                };
                Ok(answer.to_string())
            }
            Command::Render { mode, next_role, keep_analysis, .. } => {
                let conv = Conversation::from_json(utf8(input)?).map_err(|e| e.to_string())?;
                let opts = RenderOptions { auto_drop_analysis: !keep_analysis };
                let tokens = match mode {
                    Mode::Completion => harmony::render::render_for_completion(&conv, role_arg(next_role)?, &opts),
                    Mode::Conversation => harmony::render::render_conversation(&conv, &opts),
                    Mode::Training => harmony::render::render_for_training(&conv, &opts),
                }
                .map_err(|e| e.to_string())?;
                Ok(tokens_json(&tokens))
            }
            Command::Parse { role, lenient, stream, fix_constrain_recipient, .. } => {
                let tokens = read_tokens(input)?;
                let role = role.as_deref().map(role_arg).transpose()?;
                let opts = ParseOptions { strict: !lenient, fix_constrain_recipient: *fix_constrain_recipient };
                let messages = if *stream {
                    let mut p = StreamParser::new(role, opts);
                    for (i, &t) in tokens.iter().enumerate() {
                        p.process(t).map_err(|e| format!("token #{i} ({t}): {e}"))?;
                    }
                    p.process_eos().map_err(|e| format!("end of stream: {e}"))?;
                    p.into_messages()
                } else {
                    harmony::parse_completion(&tokens, role, opts).map_err(|e| e.to_string())?
                };
                Ok(format!("{{\"messages\":{}}}", messages_to_json(&messages)))
            }
            Command::Encode { allow_special, jsonl, .. } => {
                let owned;
                let text = if *jsonl {
                    owned = serde_json::from_slice::<String>(input)
                        .map_err(|e| format!("expected a JSON string per line: {e}"))?;
                    owned.as_str()
                } else {
                    utf8(input)?
                };
                let allowed = if *allow_special { AllowedSpecial::All } else { AllowedSpecial::None };
                Ok(tokens_json(&harmony::tokenizer::encode(text, allowed)))
            }
            Command::Decode { lossy, jsonl, .. } => {
                let tokens = read_tokens(input)?;
                let text = if *lossy {
                    harmony::tokenizer::decode_lossy(&tokens)
                } else {
                    harmony::tokenizer::decode_utf8(&tokens)
                }
                .map_err(|e| e.to_string())?;
                Ok(if *jsonl { serde_json::to_string(&text).expect("strings serialise") } else { text })
            }
        }
    }
}

fn read_input(file: Option<&std::path::Path>) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    match file {
        Some(path) => {
            buf = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        None => {
            std::io::stdin().lock().read_to_end(&mut buf).map_err(|e| format!("cannot read standard input: {e}"))?;
        }
    }
    Ok(buf)
}

/// Runs a command over its input and writes answers; returns whether everything succeeded.
fn run(cmd: &Command) -> Result<bool, String> {
    let input = read_input(cmd.file())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_err = |e: std::io::Error| format!("cannot write output: {e}");
    if !cmd.jsonl() {
        let answer = cmd.answer(&input)?;
        writeln!(out, "{answer}").map_err(write_err)?;
        out.flush().map_err(write_err)?;
        return Ok(true);
    }
    let mut all_ok = true;
    let body = input.strip_suffix(b"\n").unwrap_or(&input);
    if !input.is_empty() {
        for line in body.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let answer = if line.iter().all(u8::is_ascii_whitespace) {
                Err("empty input line".to_string())
            } else {
                guarded(|| cmd.answer(line))
            };
            match answer {
                Ok(a) => writeln!(out, "{a}").map_err(write_err)?,
                Err(e) => {
                    all_ok = false;
                    let obj = serde_json::json!({ "error": e });
                    writeln!(out, "{obj}").map_err(write_err)?;
                }
            }
        }
    }
    out.flush().map_err(write_err)?;
    Ok(all_ok)
}

/// Runs `f`, turning a panic (a bug) into an error answer instead of exit status 101.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("internal error (please report): the operation panicked".into()))
}

fn main() -> ExitCode {
    // Bugs must surface as errors, not as a panic message plus exit status 101.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = Cli::parse();
    match guarded(|| run(&cli.command)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("harmony: error: {e}");
            ExitCode::from(1)
        }
    }
}
