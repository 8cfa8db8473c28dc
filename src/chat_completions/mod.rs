//! The OpenAI Chat Completions bridge: a request object → the Harmony tokens gpt-oss
//! expects, and completion tokens → a `chat.completion` response or `chat.completion.chunk`
//! stream — so servers keep their request and response types and never handle Harmony
//! messages themselves.
//!
//! Mapping (request): a system message with gpt-oss's defaults (reasoning effort from
//! `reasoning_effort`, default medium; the start date from [`ChatOptions`] or the request's
//! `conversation_start_date` extension field, never the clock); non-empty `system`/`developer`
//! messages joined into the developer instructions, `tools` (functions) as the `functions`
//! namespace, a JSON-schema `response_format` as a "# Response Formats" section at the end of
//! the developer message (the format guide's place); `user` messages as user messages (text
//! parts joined); `assistant` reasoning (`reasoning_content` or `reasoning`) → an analysis
//! message, `tool_calls` → commentary calls to `functions.NAME` with content type
//! `<|constrain|>json` (content before tool calls is a commentary preamble, otherwise content
//! is the final answer); `tool` messages → `functions.NAME` speaking to the assistant on
//! commentary, NAME found through `tool_call_id`. Analysis that precedes a later final answer
//! is dropped (the format guide's rule for every earlier turn).
//!
//! Function names: a declared name that is not a TypeScript identifier is rendered as one
//! (`get weather` → `get_weather`, made unique; [`crate::routing::FunctionNames`]) in the
//! tool declarations, earlier calls and tool results; with the request's `tools` in
//! [`ChatOptions`] a call is reported under its declared name again.
//!
//! Mapping (response): each message is routed by [`crate::routing::route`] (function calls →
//! `tool_calls`, reasoning → `reasoning_content` or `reasoning`, the rest → `content`; several
//! messages of one kind joined with "\n"); see [`ChatStream`] for ids and finish reasons.

pub(crate) mod request;
pub(crate) mod response;

pub use crate::routing::ToolChoice;
pub use request::request_to_conversation;
pub use response::{join_chunks, ChatStream, Delta};

use crate::error::{Error, Result};
use crate::render::{render_for_completion, RenderOptions};
use crate::Role;
use serde::Deserialize;
use serde_json::Value;

/// Options of the bridge (also accepted as JSON by the C ABI and the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatOptions {
    /// `Current date:` of the system message (`YYYY-MM-DD`).
    pub conversation_start_date: Option<String>,
    /// `model` of responses and chunks.
    pub model: String,
    /// `id` of responses and chunks.
    pub id: String,
    /// `created` of responses and chunks (seconds since the epoch).
    pub created: u64,
    /// Accepted for compatibility and ignored: the bridge always reads
    /// `final <|constrain|>json` as a content type (openai/harmony PR #144).
    pub fix_constrain_recipient: bool,
    /// The engine's own finish reason (`stop`, `length` or `content_filter`), as vLLM
    /// passes it: `stop` means the engine stopped on a stop token it may have stripped.
    pub finish_reason: Option<EngineFinish>,
    /// Tool-call ids derived from this seed (`call_` + 24 characters), reproducible; without
    /// a seed or prefix they are random.
    pub tool_call_id_seed: Option<u64>,
    /// Tool-call ids `PREFIX0`, `PREFIX1`, … (takes precedence over the seed).
    pub tool_call_id_prefix: Option<String>,
    /// Field of the reasoning text in messages and deltas.
    pub reasoning_field: ReasoningField,
    /// The request's `tool_choice`, honoured on the output side: `none` drops every call,
    /// a named function drops calls of other functions and reports the forced call with
    /// finish reason `stop` (as OpenAI does).
    pub tool_choice: ToolChoice,
    /// The request's `parallel_tool_calls`: `false` keeps only the first call.
    pub parallel_tool_calls: bool,
    /// The completion continues an open assistant message with this header (prefill: the
    /// request's last message is the assistant's with `"prefix": true`, which
    /// [`with_request`](Self::with_request) reads): the tokens start inside its content.
    pub continuation: Option<Continuation>,
    /// The request's `tools`: calls of a function whose declared name is not an identifier
    /// (rendered as one, [`crate::routing::FunctionNames`]) are reported under the declared
    /// name. Without them, calls are reported under the name the model wrote.
    pub tools: Vec<Value>,
}

/// The header of the assistant message a completion continues (JSON: `{"channel":"final"}`,
/// `{"channel":"commentary","recipient":"functions.f","content_type":"<|constrain|>json"}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Continuation {
    pub channel: Option<String>,
    pub recipient: Option<String>,
    pub content_type: Option<String>,
}

impl Continuation {
    /// Parses a continuation header from JSON (`{"channel":"final"}`).
    pub fn from_json(json: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(json).map_err(|e| Error::json("continuation header", e))?;
        if !value.is_object() {
            return Err(Error::InvalidJson { what: "continuation header", detail: "expected a JSON object".into() });
        }
        serde_json::from_value(value).map_err(|e| Error::json("continuation header", e))
    }

    /// The parser's header of the continued message.
    pub fn header(&self) -> crate::parse::Header {
        crate::parse::Header {
            author: crate::Author { role: Role::Assistant, name: None },
            recipient: self.recipient.clone(),
            channel: self.channel.clone(),
            content_type: self.content_type.clone(),
        }
    }
}

impl Default for ChatOptions {
    fn default() -> Self {
        ChatOptions {
            conversation_start_date: None,
            model: "gpt-oss".into(),
            id: "chatcmpl-harmony".into(),
            created: 0,
            fix_constrain_recipient: false,
            finish_reason: None,
            tool_call_id_seed: None,
            tool_call_id_prefix: None,
            reasoning_field: ReasoningField::ReasoningContent,
            tool_choice: ToolChoice::Auto,
            parallel_tool_calls: true,
            continuation: None,
            tools: Vec::new(),
        }
    }
}

/// A finish reason reported by the inference engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineFinish {
    Stop,
    Length,
    ContentFilter,
}

/// Name of the reasoning field of responses and chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningField {
    /// `reasoning_content` (DeepSeek's and vLLM's name; the default).
    ReasoningContent,
    /// `reasoning` (OpenRouter's and newer vLLM's name).
    Reasoning,
}

impl ReasoningField {
    /// The JSON field name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningField::ReasoningContent => "reasoning_content",
            ReasoningField::Reasoning => "reasoning",
        }
    }
}

impl ChatOptions {
    /// Parses options from JSON; empty input gives the defaults.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let mut value: Value = serde_json::from_str(json).map_err(|e| Error::json("chat options", e))?;
        let Some(obj) = value.as_object_mut() else {
            return Err(Error::InvalidJson { what: "chat options", detail: "expected a JSON object".into() });
        };
        // `request`: the request the completion answers, applied as by `with_request` (its
        // output-side fields), so C and wrapper callers pass it as they have it.
        let request = obj.remove("request");
        let options: ChatOptions = serde_json::from_value(value).map_err(|e| Error::json("chat options", e))?;
        match request {
            None | Some(Value::Null) => Ok(options),
            Some(r @ Value::Object(_)) => options.with_request(&r.to_string()),
            Some(_) => Err(Error::InvalidJson { what: "chat options", detail: "request: expected the request object".into() }),
        }
    }

    /// Copies the output-side fields of a request (`tool_choice`, `parallel_tool_calls`,
    /// `tools`) into these options, so that parsing honours them.
    pub fn with_request(mut self, request_json: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(request_json).map_err(|e| Error::json("chat completions request", e))?;
        if let Some(tc) = v.get("tool_choice") {
            self.tool_choice = ToolChoice::from_value(tc).map_err(|e| Error::InvalidArgument(format!("request.tool_choice: {e}")))?;
        }
        match v.get("parallel_tool_calls") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => self.parallel_tool_calls = *b,
            Some(_) => return Err(Error::InvalidArgument("request.parallel_tool_calls: expected a boolean".into())),
        }
        if let Some(m) = request::continued_message(&v)? {
            self.continuation = Some(request::continuation_of(m, &crate::routing::FunctionNames::from_request(&v)));
        }
        match v.get("tools") {
            None | Some(Value::Null) => {}
            Some(Value::Array(t)) => self.tools = t.clone(),
            Some(_) => return Err(Error::InvalidArgument("request.tools: expected an array".into())),
        }
        Ok(self)
    }
}

/// Renders a Chat Completions request into the prompt tokens for the next assistant message.
pub fn render_request(request_json: &str, options: &ChatOptions) -> Result<Vec<u32>> {
    let conv = request_to_conversation(request_json, options)?;
    // The conversation has its earlier analysis dropped already (the format guide's rule);
    // the raw renderer's 0.0.8 rule would drop less.
    let opts = RenderOptions { auto_drop_analysis: false };
    let value: Value = serde_json::from_str(request_json).map_err(|e| Error::json("chat completions request", e))?;
    if request::continued_message(&value)?.is_some() {
        // Prefill: the last assistant message stays open for the model to continue.
        return crate::render::render_for_continuation(&conv, &opts);
    }
    render_for_completion(&conv, Role::Assistant, &opts)
}

/// Parses completion tokens into the chunks a streaming client would receive.
pub fn stream_chunks(tokens: &[u32], options: &ChatOptions) -> Result<Vec<Value>> {
    let mut stream = ChatStream::new(options.clone());
    let mut chunks = Vec::new();
    for &t in tokens {
        if let Some(c) = stream.process(t)? {
            chunks.push(serde_json::from_str(c).expect("chunks are JSON"));
        }
    }
    chunks.push(serde_json::from_str(stream.finish()?).expect("chunks are JSON"));
    Ok(chunks)
}

/// Parses completion tokens into a `chat.completion` response (the fold of the chunks
/// [`stream_chunks`] gives).
pub fn parse_response(tokens: &[u32], options: &ChatOptions) -> Result<Value> {
    let mut stream = ChatStream::new(options.clone());
    stream.accumulate();
    for &t in tokens {
        stream.process(t)?;
    }
    stream.finish()?;
    Ok(stream.response().expect("accumulated and finished"))
}
