//! Completion tokens → Chat Completions response and `chat.completion.chunk` stream.
//!
//! The non-streaming response is built by folding the stream's deltas, so joining the chunks
//! always gives the same message as the response.

use super::ChatOptions;
use crate::error::{Error, Result};
use crate::parse::{ParseOptions, StreamParser, StreamState};
use crate::Role;
use serde_json::{json, Map, Value};

/// Deterministic 64-bit FNV-1a, used for tool-call ids.
pub(crate) fn fnv1a(tokens: &[u32], extra: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in tokens.iter().flat_map(|t| t.to_le_bytes()).chain(extra.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// What the current message's content goes to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Reasoning,
    Content,
    ToolCall(usize),
}

/// Streams completion tokens into `chat.completion.chunk` objects.
#[derive(Debug)]
pub struct ChatStream {
    options: ChatOptions,
    parser: StreamParser,
    target: Option<Target>,
    tool_calls: usize,
    role_sent: bool,
    finished: bool,
}

impl ChatStream {
    /// A stream for the completion of an assistant message rendered by
    /// [`render_request`](super::render_request) (the tokens start inside its header).
    pub fn new(options: ChatOptions) -> Self {
        let parse = ParseOptions { strict: false, fix_constrain_recipient: options.fix_constrain_recipient, recover: false };
        ChatStream { options, parser: StreamParser::new(Some(Role::Assistant), parse), target: None, tool_calls: 0, role_sent: false, finished: false }
    }

    fn chunk(&mut self, fields: Map<String, Value>, finish: Option<&str>) -> Value {
        let mut delta = Map::new();
        if !self.role_sent {
            delta.insert("role".into(), json!("assistant"));
            self.role_sent = true;
        }
        delta.extend(fields);
        json!({
            "id": self.options.id,
            "object": "chat.completion.chunk",
            "created": self.options.created,
            "model": self.options.model,
            "choices": [{"index": 0, "delta": Value::Object(delta), "finish_reason": finish}],
        })
    }

    /// Feeds one token; returns the chunk it produces, if any.
    pub fn process(&mut self, token: u32) -> Result<Option<Value>> {
        if self.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        // Unlike the Harmony parser (which keeps 0.0.8's silent U+FFFD), the bridge reports a
        // token the vocabulary does not have.
        if token >= crate::tokenizer::VOCAB_SIZE {
            return Err(Error::UnknownToken(token));
        }
        let before = self.parser.state();
        self.parser.process(token)?;
        let after = self.parser.state();
        if before != StreamState::Content && after == StreamState::Content {
            return Ok(self.start_message());
        }
        if after != StreamState::Content {
            self.target = None;
            return Ok(None);
        }
        let Some(delta) = self.parser.last_content_delta().map(str::to_string) else { return Ok(None) };
        let d = match self.target {
            Some(Target::Reasoning) => json!({ "reasoning_content": delta }),
            Some(Target::Content) | None => json!({ "content": delta }),
            Some(Target::ToolCall(i)) => json!({ "tool_calls": [{"index": i, "function": {"arguments": delta}}] }),
        };
        let Value::Object(d) = d else { unreachable!("json! object") };
        Ok(Some(self.chunk(d, None)))
    }

    /// A message header just completed: route its content, announcing tool calls.
    fn start_message(&mut self) -> Option<Value> {
        let recipient = self.parser.current_recipient().map(str::to_string);
        let channel = self.parser.current_channel();
        self.target = Some(match (&recipient, channel) {
            (Some(_), _) => Target::ToolCall(self.tool_calls),
            (None, Some("analysis")) => Target::Reasoning,
            _ => Target::Content,
        });
        let recipient = recipient?;
        let index = self.tool_calls;
        self.tool_calls += 1;
        let name = recipient.strip_prefix("functions.").unwrap_or(&recipient).to_string();
        let id = format!("call_{:016x}", fnv1a(self.parser.tokens(), index as u64));
        let d = json!({ "tool_calls": [{
            "index": index, "id": id, "type": "function",
            "function": {"name": name, "arguments": ""},
        }]});
        let Value::Object(d) = d else { unreachable!("json! object") };
        Some(self.chunk(d, None))
    }

    /// Ends the stream: returns the final chunk with the finish reason (`stop`,
    /// `tool_calls`, or `length` when the tokens ended inside a message).
    pub fn finish(&mut self) -> Result<Value> {
        if self.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        self.finished = true;
        let reason = match self.parser.state() {
            StreamState::Content | StreamState::Header => "length",
            StreamState::ExpectStart if self.tool_calls > 0 => "tool_calls",
            StreamState::ExpectStart => "stop",
        };
        if self.parser.state() == StreamState::Content {
            self.parser.process_eos()?;
        }
        Ok(self.chunk(Map::new(), Some(reason)))
    }
}

/// Folds chunks into the non-streaming `chat.completion` response.
pub fn join_chunks(chunks: &[Value], options: &ChatOptions) -> Value {
    let mut content: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut calls: Vec<Value> = Vec::new();
    let mut finish = Value::Null;
    for c in chunks {
        let choice = &c["choices"][0];
        if !choice["finish_reason"].is_null() {
            finish = choice["finish_reason"].clone();
        }
        let d = &choice["delta"];
        if let Some(s) = d["content"].as_str() {
            content.get_or_insert_with(String::new).push_str(s);
        }
        if let Some(s) = d["reasoning_content"].as_str() {
            reasoning.get_or_insert_with(String::new).push_str(s);
        }
        for tc in d["tool_calls"].as_array().into_iter().flatten() {
            let i = tc["index"].as_u64().unwrap_or(0) as usize;
            if i >= calls.len() {
                calls.push(json!({"id": tc["id"], "type": "function", "function": {"name": tc["function"]["name"], "arguments": ""}}));
            }
            if let Some(a) = tc["function"]["arguments"].as_str() {
                let cur = calls[i]["function"]["arguments"].as_str().unwrap_or_default().to_string();
                calls[i]["function"]["arguments"] = json!(cur + a);
            }
        }
    }
    let mut message = json!({"role": "assistant", "content": content});
    if let Some(r) = reasoning {
        message["reasoning_content"] = json!(r);
    }
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    json!({
        "id": options.id,
        "object": "chat.completion",
        "created": options.created,
        "model": options.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    })
}
