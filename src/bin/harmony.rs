//! `harmony` — render conversations to gpt-oss tokens and parse completions back, from the
//! command line. See README.md ("The CLI contract") for the exact input and output formats.
//!
//! Input is FILE, or standard input when FILE is absent or `-`; a leading UTF-8 byte order mark
//! is skipped. A closed output pipe (`harmony ... | head -c1`) ends the run quietly with status 0.

use clap::{Parser, Subcommand, ValueEnum};
use harmony::chat_completions::{self, ChatOptions};
use harmony::responses::{self, ResponsesOptions};
use harmony::{
    chat::messages_to_json, AllowedSpecial, Conversation, ParseOptions, RenderOptions, Role, StreamParser,
};
use std::io::{Read, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "harmony",
    version,
    about = "OpenAI Harmony (gpt-oss) renderer and parser",
    after_help = "Every command reads FILE, or standard input when FILE is absent or `-`."
)]
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
    /// One message (the input is a message JSON object, not a conversation).
    Message,
}

/// A message author role, as the CLI spells it.
#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    User,
    Assistant,
    System,
    Developer,
    Tool,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::User => Role::User,
            RoleArg::Assistant => Role::Assistant,
            RoleArg::System => Role::System,
            RoleArg::Developer => Role::Developer,
            RoleArg::Tool => Role::Tool,
        }
    }
}

/// The role `parse` assumes for the first message; `none` when the tokens start at `<|start|>`.
#[derive(Clone, Copy, ValueEnum)]
enum ParseRoleArg {
    User,
    Assistant,
    System,
    Developer,
    Tool,
    /// The tokens start with `<|start|>` (a whole message, header included).
    None,
}

impl ParseRoleArg {
    fn role(self) -> Option<Role> {
        match self {
            ParseRoleArg::User => Some(Role::User),
            ParseRoleArg::Assistant => Some(Role::Assistant),
            ParseRoleArg::System => Some(Role::System),
            ParseRoleArg::Developer => Some(Role::Developer),
            ParseRoleArg::Tool => Some(Role::Tool),
            ParseRoleArg::None => None,
        }
    }
}

/// Help text of every FILE argument.
const FILE_HELP: &str = "Input file; standard input when absent or `-`";
/// Help text of every --jsonl flag.
const JSONL_HELP: &str = "One input document per line, one answer per line (a failing line is answered with {\"error\":...})";

/// Parses `--date`: a calendar date written YYYY-MM-DD.
fn date_arg(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(format!("`{s}` is not a date written YYYY-MM-DD"));
    }
    let (y, m, d): (u32, u32, u32) = (s[0..4].parse().unwrap(), s[5..7].parse().unwrap(), s[8..10].parse().unwrap());
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("`{s}`: month {m} is not 01..12")),
    };
    if d == 0 || d > days {
        return Err(format!("`{s}`: day {d} is not in 01..{days}"));
    }
    Ok(s.to_string())
}

#[derive(Subcommand)]
enum ChatCommand {
    /// Render an OpenAI Chat Completions request into a JSON array of prompt tokens.
    Render {
        /// `Current date:` of the system message (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
        date: Option<String>,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Parse a JSON array of completion tokens into a chat.completion response
    /// (with --stream: a JSON array of chat.completion.chunk objects).
    Parse {
        /// Answer with the chat.completion.chunk objects a streaming server would send.
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
        /// honoured, and calls are reported under the tool names it declares.
        #[arg(long, value_name = "FILE")]
        request: Option<std::path::PathBuf>,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Print the grammar of the completion a Chat Completions request permits (for
    /// constrained decoding; with --jsonl each grammar is one JSON string per line).
    Grammar {
        /// Grammar syntax: llguidance Lark, llama.cpp GBNF or an xgrammar structural tag.
        #[arg(long, value_enum)]
        format: GrammarFormatArg,
        /// Analysis messages before the answer.
        #[arg(long, value_enum, default_value = "optional")]
        reasoning: ReasoningArg,
        /// GBNF only: just the tool calls, for llama.cpp's lazy grammars.
        #[arg(long)]
        lazy: bool,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum ResponsesCommand {
    /// Render an OpenAI Responses request into a JSON array of prompt tokens.
    Render {
        /// `Current date:` of the system message (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
        date: Option<String>,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Parse a JSON array of completion tokens into a `response` object
    /// (with --stream: a JSON array of the streaming events).
    Parse {
        /// Answer with the streaming events (one JSON array per input).
        #[arg(long)]
        stream: bool,
        /// Bridge options as a JSON object (`model`, `id`, `created_at`, `response_fields`).
        #[arg(long, value_name = "JSON")]
        options: Option<String>,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Print the grammar of the completion a Responses request permits (the same grammar as
    /// `chat grammar` for the same request in Chat Completions form).
    Grammar {
        /// Grammar syntax: llguidance Lark, llama.cpp GBNF or an xgrammar structural tag.
        #[arg(long, value_enum)]
        format: GrammarFormatArg,
        /// Analysis messages before the answer.
        #[arg(long, value_enum, default_value = "optional")]
        reasoning: ReasoningArg,
        /// GBNF only: just the tool calls, for llama.cpp's lazy grammars.
        #[arg(long)]
        lazy: bool,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GrammarFormatArg {
    Lark,
    Gbnf,
    Xgrammar,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReasoningArg {
    Optional,
    Required,
    None,
}

#[derive(Subcommand)]
enum Command {
    /// OpenAI Chat Completions bridge (request → tokens, tokens → response).
    #[command(subcommand)]
    Chat(ChatCommand),
    /// OpenAI Responses API bridge (request → tokens, tokens → response or events).
    #[command(subcommand)]
    Responses(ResponsesCommand),
    /// Render a conversation JSON (with --mode message: one message JSON) into a JSON array of tokens.
    Render {
        /// What to render.
        #[arg(long, value_enum, default_value = "completion")]
        mode: Mode,
        /// Role of the message to be sampled (completion mode).
        #[arg(long, value_enum, default_value = "assistant", value_name = "ROLE")]
        next_role: RoleArg,
        /// Keep analysis messages that gpt-oss would otherwise drop between turns.
        #[arg(long)]
        keep_analysis: bool,
        /// Message mode: a system message routes `functions` calls to the commentary channel.
        #[arg(long)]
        has_function_tools: bool,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Parse a JSON array of completion tokens into {"messages":[...]}.
    Parse {
        /// Role of the first message, whose header the tokens start inside (after
        /// `<|start|>ROLE`, as sampled); `none` when they start at `<|start|>`.
        #[arg(long, value_enum, default_value = "assistant", value_name = "ROLE")]
        role: ParseRoleArg,
        /// Lenient: a header cut short by a stop token (first message, with a role) becomes a
        /// message instead of failing.
        #[arg(long)]
        lenient: bool,
        /// Recover mode: never fail on model output; repaired messages list their repairs in
        /// "repairs" (implies --fix-constrain-recipient; not openai-harmony 0.0.8's behaviour).
        #[arg(long)]
        recover: bool,
        /// Keep each message's exact tokens ("tokens"): rendering the messages again writes
        /// them verbatim (KV-cache reuse).
        #[arg(long)]
        keep_tokens: bool,
        /// Feed the tokens one at a time through the streaming parser.
        #[arg(long)]
        stream: bool,
        /// Read `<|channel|>final <|constrain|>json` as a content type, not a recipient
        /// (openai/harmony PR #144; differs from openai-harmony 0.0.8).
        #[arg(long)]
        fix_constrain_recipient: bool,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Encode text (special-token spellings stay text) into a JSON array of tokens.
    /// With --jsonl each line is a JSON string.
    Encode {
        /// Encode special-token spellings such as `<|start|>` as special tokens.
        #[arg(long, conflicts_with = "allowed")]
        allow_special: bool,
        /// Encode only these special tokens (comma-separated spellings, e.g.
        /// `<|start|>,<|end|>`) as special tokens; other spellings stay text.
        #[arg(long, value_name = "TOKENS", value_delimiter = ',')]
        allowed: Option<Vec<String>>,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Decode a JSON array of tokens to text, printed followed by one newline (added by the
    /// CLI, not part of the text). With --jsonl the answer is a JSON string per line.
    Decode {
        /// Replace invalid UTF-8 with U+FFFD instead of failing.
        #[arg(long)]
        lossy: bool,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
        file: Option<std::path::PathBuf>,
    },
    /// Given the completion tokens so far (a JSON array, sampled after `<|start|>assistant`),
    /// print the tokens that end the reasoning now and open the final answer (or, with
    /// --function, a call of that function), to inject when a thinking budget runs out.
    ForceAnswer {
        /// Open a call of this function instead of the final answer.
        #[arg(long, value_name = "NAME")]
        function: Option<String>,
        #[arg(long, help = JSONL_HELP)]
        jsonl: bool,
        #[arg(help = FILE_HELP)]
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

impl Command {
    fn jsonl(&self) -> bool {
        match self {
            Command::Render { jsonl, .. }
            | Command::Parse { jsonl, .. }
            | Command::Encode { jsonl, .. }
            | Command::Decode { jsonl, .. }
            | Command::ForceAnswer { jsonl, .. }
            | Command::Chat(ChatCommand::Render { jsonl, .. })
            | Command::Chat(ChatCommand::Parse { jsonl, .. })
            | Command::Responses(ResponsesCommand::Render { jsonl, .. })
            | Command::Responses(ResponsesCommand::Parse { jsonl, .. })
            | Command::Responses(ResponsesCommand::Grammar { jsonl, .. })
            | Command::Chat(ChatCommand::Grammar { jsonl, .. }) => *jsonl,
        }
    }

    fn file(&self) -> Option<&std::path::Path> {
        match self {
            Command::Render { file, .. }
            | Command::Parse { file, .. }
            | Command::Encode { file, .. }
            | Command::Decode { file, .. }
            | Command::ForceAnswer { file, .. }
            | Command::Chat(ChatCommand::Render { file, .. })
            | Command::Chat(ChatCommand::Parse { file, .. })
            | Command::Responses(ResponsesCommand::Render { file, .. })
            | Command::Responses(ResponsesCommand::Parse { file, .. })
            | Command::Responses(ResponsesCommand::Grammar { file, .. })
            | Command::Chat(ChatCommand::Grammar { file, .. }) => file.as_deref(),
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
            Command::Chat(ChatCommand::Grammar { format, reasoning, lazy, jsonl, .. })
            | Command::Responses(ResponsesCommand::Grammar { format, reasoning, lazy, jsonl, .. }) => {
                use harmony::grammar::{self, GrammarFormat, GrammarOptions, Reasoning};
                let format = match format {
                    GrammarFormatArg::Lark => GrammarFormat::Lark,
                    GrammarFormatArg::Gbnf => GrammarFormat::Gbnf,
                    GrammarFormatArg::Xgrammar => GrammarFormat::Xgrammar,
                };
                let reasoning = match reasoning {
                    ReasoningArg::Optional => Reasoning::Optional,
                    ReasoningArg::Required => Reasoning::Required,
                    ReasoningArg::None => Reasoning::None,
                };
                let opts = GrammarOptions { reasoning, lazy: *lazy };
                let generate = if matches!(self, Command::Chat(_)) { grammar::chat_grammar } else { grammar::responses_grammar };
                let g = generate(utf8(input)?, format, &opts).map_err(|e| e.to_string())?;
                Ok(if *jsonl { serde_json::Value::String(g).to_string() } else { g.trim_end().to_string() })
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
            Command::Render { mode: Mode::Message, has_function_tools, .. } => {
                let msg = harmony::Message::from_json(utf8(input)?).map_err(|e| e.to_string())?;
                let tokens = harmony::render::render_message(&msg, *has_function_tools).map_err(|e| e.to_string())?;
                Ok(tokens_json(&tokens))
            }
            Command::Responses(ResponsesCommand::Render { date, .. }) => {
                let opts = ResponsesOptions { conversation_start_date: date.clone(), ..ResponsesOptions::default() };
                let tokens = responses::render_request(utf8(input)?, &opts).map_err(|e| e.to_string())?;
                Ok(tokens_json(&tokens))
            }
            Command::Responses(ResponsesCommand::Parse { stream, options, .. }) => {
                let tokens = read_tokens(input)?;
                let opts = ResponsesOptions::from_json(options.as_deref().unwrap_or("")).map_err(|e| e.to_string())?;
                let answer = if *stream {
                    serde_json::Value::Array(responses::stream_events(&tokens, &opts).map_err(|e| e.to_string())?)
                } else {
                    responses::parse_response(&tokens, &opts).map_err(|e| e.to_string())?
                };
                Ok(answer.to_string())
            }
            Command::Render { mode, next_role, keep_analysis, .. } => {
                let conv = Conversation::from_json(utf8(input)?).map_err(|e| e.to_string())?;
                let opts = RenderOptions { auto_drop_analysis: !keep_analysis };
                let tokens = match mode {
                    Mode::Completion => harmony::render::render_for_completion(&conv, (*next_role).into(), &opts),
                    Mode::Conversation => harmony::render::render_conversation(&conv, &opts),
                    Mode::Training => harmony::render::render_for_training(&conv, &opts),
                    Mode::Message => unreachable!("handled above"),
                }
                .map_err(|e| e.to_string())?;
                Ok(tokens_json(&tokens))
            }
            Command::Parse { role, lenient, stream, fix_constrain_recipient, recover, keep_tokens, .. } => {
                let tokens = read_tokens(input)?;
                let role = role.role();
                let opts = if *recover {
                    ParseOptions { keep_tokens: *keep_tokens, ..ParseOptions::recover() }
                } else {
                    ParseOptions { strict: !lenient, fix_constrain_recipient: *fix_constrain_recipient, recover: false, keep_tokens: *keep_tokens }
                };
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
            Command::Encode { allow_special, allowed, jsonl, .. } => {
                let owned;
                let text = if *jsonl {
                    owned = serde_json::from_slice::<String>(input)
                        .map_err(|e| format!("expected a JSON string per line: {e}"))?;
                    owned.as_str()
                } else {
                    utf8(input)?
                };
                let ids = match allowed {
                    Some(names) => names
                        .iter()
                        .map(|n| harmony::tokenizer::special_id(n).ok_or_else(|| format!("--allowed: `{n}` is not a special token")))
                        .collect::<Result<Vec<u32>, String>>()?,
                    None => Vec::new(),
                };
                let allowed = if *allow_special {
                    AllowedSpecial::All
                } else if ids.is_empty() {
                    AllowedSpecial::None
                } else {
                    AllowedSpecial::Only(&ids)
                };
                Ok(tokens_json(&harmony::tokenizer::encode(text, allowed)))
            }
            Command::ForceAnswer { function, .. } => {
                let tokens = read_tokens(input)?;
                let answer = harmony::parse::Answer::of(function.as_deref()).map_err(|e| format!("--function: {e}"))?;
                // The parser reads what was sampled as the bridges do (recover mode: any ids).
                let mut p = StreamParser::new(Some(harmony::Role::Assistant), ParseOptions::recover());
                for &t in &tokens {
                    let _ = p.process(t);
                }
                Ok(tokens_json(&p.force_answer_tokens(answer)))
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

/// Reads FILE (standard input for none or `-`), without a leading UTF-8 byte order mark.
fn read_input(file: Option<&std::path::Path>) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    match file.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            buf = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        None => {
            std::io::stdin().lock().read_to_end(&mut buf).map_err(|e| format!("cannot read standard input: {e}"))?;
        }
    }
    if buf.starts_with(b"\xEF\xBB\xBF") {
        buf.drain(..3);
    }
    Ok(buf)
}

/// The error of a write into a pipe whose reader has gone: not an error, the run ends quietly
/// with status 0 (Rust programs ignore SIGPIPE, so the write fails instead of killing us).
const CLOSED_PIPE: &str = "\0closed pipe";

/// Runs a command over its input and writes answers; returns whether everything succeeded.
fn run(cmd: &Command) -> Result<bool, String> {
    let input = read_input(cmd.file())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_err = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CLOSED_PIPE.to_string()
        } else {
            format!("cannot write output: {e}")
        }
    };
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

/// Prints a command-line error (or --help / --version) the way clap does, and for bad usage adds
/// the usage line of the (sub)command, so every exit 2 shows how to call it.
fn usage_error(e: clap::Error) -> ! {
    use clap::CommandFactory;
    let _ = e.print();
    if !e.use_stderr() {
        std::process::exit(0);
    }
    if !e.render().to_string().contains("Usage:") {
        let mut cmd = Cli::command();
        cmd.build();
        let mut current = &mut cmd;
        for arg in std::env::args().skip(1).filter(|a| !a.starts_with('-')) {
            if current.find_subcommand(&arg).is_none() {
                break;
            }
            current = current.find_subcommand_mut(&arg).expect("just found");
        }
        eprintln!("\n{}", current.render_usage());
    }
    std::process::exit(2);
}

fn main() -> ExitCode {
    // Bugs must surface as errors, not as a panic message plus exit status 101.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    match guarded(|| run(&cli.command)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e == CLOSED_PIPE => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("harmony: error: {e}");
            ExitCode::from(1)
        }
    }
}
