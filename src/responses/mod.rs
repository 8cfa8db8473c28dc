//! The OpenAI Responses API bridge: a `/v1/responses` request object → the Harmony tokens
//! gpt-oss expects, and completion tokens → a `response` object or the streaming events the
//! OpenAI SDK consumes — so servers keep the Responses types and never handle Harmony
//! messages themselves. The mapping, item by item, is in the README ("The Responses API
//! bridge").
//!
//! Request side ([`request_to_conversation`]): `instructions` and system/developer input
//! messages → developer instructions; `text.format` json_schema → a "# Response Formats"
//! section; function tools → the developer message's `functions` namespace; `web_search`
//! tools → the system message's `browser` namespace; `reasoning.effort` → `Reasoning:`;
//! `message` items → user / final (or, with `phase: "commentary"`, commentary) messages;
//! `reasoning` → analysis; `function_call` → commentary calls to `functions.NAME`;
//! `function_call_output` → `functions.NAME` speaking to the assistant; `web_search_call` →
//! an analysis call to `browser.search` / `browser.open` / `browser.find`. Analysis before
//! the last final answer is dropped (the format guide).
//!
//! Function names: a declared name that is not a TypeScript identifier is rendered as one
//! (`get weather` → `get_weather`, made unique; [`crate::routing::FunctionNames`]) in the
//! tool declarations, `function_call` and `function_call_output` items; with the request's
//! `tools` in `response_fields.tools` a call is reported under its declared name again.
//!
//! Response side ([`ResponsesStream`]): one output item per Harmony message, in model order.

mod request;
mod stream;

pub use request::request_to_conversation;
pub use stream::ResponsesStream;

use crate::error::{Error, Result};
use crate::render::{render_for_completion, RenderOptions};
use crate::Role;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Options of the bridge (also accepted as JSON by the C ABI and the CLI).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponsesOptions {
    /// `Current date:` of the system message (`YYYY-MM-DD`); else the request's
    /// `conversation_start_date` extension field; never the clock.
    pub conversation_start_date: Option<String>,
    /// `model` of the response.
    pub model: String,
    /// `id` of the response; item ids and call ids are derived from it, so a server that
    /// gives every response its own id gets ids unique across responses.
    pub id: String,
    /// `created_at` of the response (seconds since the epoch).
    pub created_at: u64,
    /// Extra fields of every response object (e.g. the request's `tools`, `tool_choice`,
    /// `instructions`, `metadata`), overriding the defaults.
    pub response_fields: Map<String, Value>,
}

impl Default for ResponsesOptions {
    fn default() -> Self {
        ResponsesOptions {
            conversation_start_date: None,
            model: "gpt-oss".into(),
            id: "resp_harmony".into(),
            created_at: 0,
            response_fields: Map::new(),
        }
    }
}

impl ResponsesOptions {
    /// Parses options from JSON; empty input gives the defaults.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let value: Value = serde_json::from_str(json).map_err(|e| Error::json("responses options", e))?;
        if !value.is_object() {
            return Err(Error::InvalidJson { what: "responses options", detail: "expected a JSON object".into() });
        }
        serde_json::from_value(value).map_err(|e| Error::json("responses options", e))
    }
}

/// Renders a Responses request into the prompt tokens for the next assistant message.
pub fn render_request(request_json: &str, options: &ResponsesOptions) -> Result<Vec<u32>> {
    let conv = request_to_conversation(request_json, options)?;
    render_for_completion(&conv, Role::Assistant, &RenderOptions { auto_drop_analysis: false })
}

/// Parses completion tokens into the streaming events a client would receive, in order.
pub fn stream_events(tokens: &[u32], options: &ResponsesOptions) -> Result<Vec<Value>> {
    let mut stream = ResponsesStream::new(options.clone());
    let mut events = Vec::new();
    for &t in tokens {
        events.extend(stream.process(t)?);
    }
    events.extend(stream.finish()?);
    Ok(events)
}

/// Parses completion tokens into a `response` object: the response of the last streaming
/// event, so the streamed and the non-streamed answer cannot differ.
pub fn parse_response(tokens: &[u32], options: &ResponsesOptions) -> Result<Value> {
    let mut events = stream_events(tokens, options)?;
    let last = events.pop().expect("the stream always ends with a terminal event");
    Ok(last["response"].clone())
}
