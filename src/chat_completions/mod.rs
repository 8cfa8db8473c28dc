//! The OpenAI Chat Completions bridge: a request object → the Harmony tokens gpt-oss
//! expects, and completion tokens → a `chat.completion` response or `chat.completion.chunk`
//! stream — so servers keep their request and response types and never handle Harmony
//! messages themselves.
//!
//! Mapping (request): a system message with gpt-oss's defaults (reasoning effort from
//! `reasoning_effort`, default medium; the start date from [`ChatOptions`] or the request's
//! `conversation_start_date` extension field, never the clock); `system`/`developer` messages
//! joined into the developer instructions, `tools` (functions) as the `functions` namespace,
//! a JSON-schema `response_format` as a "# Response Formats" section; `user` messages as user
//! messages (text only); `assistant` reasoning (`reasoning_content` or `reasoning`) → an
//! analysis message, `tool_calls` → commentary calls to `functions.NAME` with content type
//! `<|constrain|>json` (content before tool calls is a commentary preamble, otherwise
//! content is the final answer); `tool` messages → `functions.NAME` speaking to the
//! assistant on commentary, NAME found through `tool_call_id`. The conversation is rendered
//! for completion by the assistant with earlier analysis dropped.
//!
//! Mapping (response): analysis → `reasoning_content`; messages with a recipient →
//! `tool_calls` (name without `functions.`, raw JSON arguments, id `call_` + a hash of the
//! tokens before the call, stable across runs); everything else → `content`. The finish
//! reason is `tool_calls` if any call was made, `length` if the tokens end inside a message,
//! else `stop`.

pub(crate) mod request;
pub(crate) mod response;

pub use request::request_to_conversation;
pub use response::{join_chunks, ChatStream};

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
    /// Parse `final <|constrain|>json` headers with the fix of openai/harmony PR #144.
    pub fix_constrain_recipient: bool,
}

impl Default for ChatOptions {
    fn default() -> Self {
        ChatOptions {
            conversation_start_date: None,
            model: "gpt-oss".into(),
            id: "chatcmpl-harmony".into(),
            created: 0,
            fix_constrain_recipient: false,
        }
    }
}

impl ChatOptions {
    /// Parses options from JSON; empty input gives the defaults.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let value: Value = serde_json::from_str(json).map_err(|e| Error::json("chat options", e))?;
        if !value.is_object() {
            return Err(Error::InvalidJson { what: "chat options", detail: "expected a JSON object".into() });
        }
        serde_json::from_value(value).map_err(|e| Error::json("chat options", e))
    }
}

/// Renders a Chat Completions request into the prompt tokens for the next assistant message.
pub fn render_request(request_json: &str, options: &ChatOptions) -> Result<Vec<u32>> {
    let conv = request_to_conversation(request_json, options)?;
    render_for_completion(&conv, Role::Assistant, &RenderOptions::default())
}

/// Parses completion tokens into the chunks a streaming client would receive.
pub fn stream_chunks(tokens: &[u32], options: &ChatOptions) -> Result<Vec<Value>> {
    let mut stream = ChatStream::new(options.clone());
    let mut chunks = Vec::new();
    for &t in tokens {
        chunks.extend(stream.process(t)?);
    }
    chunks.push(stream.finish()?);
    Ok(chunks)
}

/// Parses completion tokens into a `chat.completion` response.
pub fn parse_response(tokens: &[u32], options: &ChatOptions) -> Result<Value> {
    Ok(join_chunks(&stream_chunks(tokens, options)?, options))
}
