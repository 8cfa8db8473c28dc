//! Completion tokens → Responses streaming events and the `response` object.
//!
//! One output item per Harmony message, in model order. The stream owns the response being
//! built; the terminal event (`response.completed` or `response.incomplete`) carries it, and
//! the non-streamed response is that object — folding the events gives it by construction.

use super::{parse_options, ResponsesOptions};
use crate::chat_completions::response::fnv1a;
use crate::error::{Error, Result};
use crate::parse::{StreamParser, StreamState};
use crate::tokenizer::SpecialToken;
use crate::{Message, Role};
use serde_json::{json, Map, Value};

/// What kind of output item the current Harmony message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Analysis (and calls to recipients that are neither functions nor the browser).
    Reasoning,
    /// A final answer (`phase: "final_answer"`) or a commentary preamble (`"commentary"`).
    Message { commentary: bool },
    /// A call to `functions.NAME`, on any channel.
    FunctionCall,
    /// A call to `browser.*` (gpt-oss's built-in browser) → `web_search_call`.
    WebSearch,
    /// A second function call when `parallel_tool_calls` is false: not shown.
    Dropped,
}

// SHARED-ROUTING: which recipient is a function call (only `functions.*`), which is the
// browser, which channel is reasoning. Mirrors issue 11's rules for the Chat bridge.
fn route(recipient: Option<&str>, channel: Option<&str>) -> Kind {
    match recipient.filter(|r| *r != "all") {
        Some(r) if r.starts_with("functions.") => Kind::FunctionCall,
        Some(r) if r.starts_with("browser.") => Kind::WebSearch,
        // Built-in tools we do not bridge (python, container.*) and garbage recipients: the
        // model's own working, so reasoning (vLLM routes built-ins to reasoning too).
        Some(_) => Kind::Reasoning,
        None => match channel {
            Some("analysis") => Kind::Reasoning,
            Some("commentary") => Kind::Message { commentary: true },
            _ => Kind::Message { commentary: false },
        },
    }
}

#[derive(Debug)]
struct Current {
    kind: Kind,
    output_index: usize,
    item: Value,
    text: String,
    recipient: String,
    /// Whether the parser's message is the authority on the text when the item closes (false
    /// for an item made from a headerless message, whose text is the bridge's own decoding).
    from_parser: bool,
}

/// Streams completion tokens into Responses API events (`response.created`, …,
/// `response.completed`).
#[derive(Debug)]
pub struct ResponsesStream {
    options: ResponsesOptions,
    parser: StreamParser,
    sequence: u64,
    started: bool,
    finished: bool,
    output: Vec<Value>,
    current: Option<Current>,
    last_token: Option<u32>,
    calls: usize,
    /// Messages of the parser already turned into items.
    seen: usize,
    /// Index in the parser's tokens where the current header starts.
    header_start: usize,
}

impl ResponsesStream {
    /// A stream for the completion of an assistant message rendered by
    /// [`render_request`](super::render_request) (the tokens start inside its header).
    pub fn new(options: ResponsesOptions) -> Self {
        ResponsesStream {
            options,
            parser: StreamParser::new(Some(Role::Assistant), parse_options()),
            sequence: 0,
            started: false,
            finished: false,
            output: Vec::new(),
            current: None,
            last_token: None,
            calls: 0,
            seen: 0,
            header_start: 0,
        }
    }

    fn event(&mut self, kind: &str, fields: Value) -> Value {
        let mut e = Map::new();
        e.insert("type".into(), json!(kind));
        e.insert("sequence_number".into(), json!(self.sequence));
        self.sequence += 1;
        if let Value::Object(f) = fields {
            e.extend(f);
        }
        Value::Object(e)
    }

    /// The response object in its current state.
    fn response(&self, status: &str, incomplete: bool) -> Value {
        let mut r = json!({
            "id": self.options.id,
            "object": "response",
            "created_at": self.options.created_at,
            "model": self.options.model,
            "status": status,
            "error": null,
            "incomplete_details": if incomplete { json!({"reason": "max_output_tokens"}) } else { Value::Null },
            "instructions": null,
            "output": if status == "in_progress" { json!([]) } else { json!(self.output) },
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "tools": [],
        });
        let obj = r.as_object_mut().expect("json! object");
        for (k, v) in &self.options.response_fields {
            if !matches!(k.as_str(), "id" | "object" | "status" | "output" | "incomplete_details") {
                obj.insert(k.clone(), v.clone());
            }
        }
        r
    }

    fn start(&mut self, out: &mut Vec<Value>) {
        if !self.started {
            self.started = true;
            let r = self.response("in_progress", false);
            out.push(self.event("response.created", json!({ "response": r })));
            out.push(self.event("response.in_progress", json!({ "response": r })));
        }
    }

    /// An id for the item at `index`: a hash of the response id, stable across runs.
    fn id(&self, prefix: &str, index: usize, salt: u64) -> String {
        let seed: Vec<u32> = self.options.id.bytes().map(u32::from).collect();
        let a = fnv1a(&seed, ((index as u64) << 8) | salt);
        let b = fnv1a(&seed, ((index as u64) << 8) | (salt + 1));
        format!("{prefix}_{a:016x}{:08x}", b as u32)
    }

    /// Feeds one token; returns the events it produces (often none).
    pub fn process(&mut self, token: u32) -> Result<Vec<Value>> {
        if self.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        // A token the vocabulary does not have is bad input (the engine's bug), not model output.
        if token >= crate::tokenizer::VOCAB_SIZE {
            return Err(Error::UnknownToken(token));
        }
        let mut out = Vec::new();
        self.start(&mut out);
        self.last_token = Some(token);
        let before = self.parser.state();
        // Model output is never an error: until the recover mode lands, a token the strict
        // grammar rejects (a stray token after a message, a garbled header) is dropped and
        // parsing goes on from the parser's state, which is back at a message boundary.
        let _ = self.parser.process(token);
        let after = self.parser.state();
        if before == StreamState::Content && after != StreamState::Content {
            self.close(false, &mut out);
            self.seen = self.parser.messages().len();
        }
        if before != StreamState::Content && after == StreamState::Content {
            let recipient = self.parser.current_recipient().map(str::to_string);
            let channel = self.parser.current_channel().map(str::to_string);
            self.open(recipient, channel.as_deref(), true, &mut out);
        } else if after == StreamState::Content {
            if let Some(delta) = self.parser.last_content_delta().map(str::to_string) {
                self.delta(&delta, &mut out);
            }
        }
        if after == StreamState::Header && before != StreamState::Header {
            self.header_start = self.parser.tokens().len();
        }
        // A message that never reached content: the lenient parser's reading of a first header
        // cut short by a stop token, e.g. a refusal with no header at all.
        if self.parser.messages().len() > self.seen && self.current.is_none() {
            let tokens = self.parser.tokens();
            let header = tokens.get(self.header_start..tokens.len().saturating_sub(1)).unwrap_or(&[]);
            let exact = headerless_text(header).filter(|_| self.parser.messages().len() == self.seen + 1);
            let fresh: Vec<Message> = self.parser.messages()[self.seen..].to_vec();
            self.seen = self.parser.messages().len();
            for m in fresh {
                let text = exact.clone().unwrap_or_else(|| match m.content.first() {
                    Some(crate::chat::Content::Text(t)) => t.text.clone(),
                    _ => String::new(),
                });
                self.whole(m.recipient, m.channel.as_deref(), &text, false, &mut out);
            }
        }
        Ok(out)
    }

    /// An item for a whole message at once.
    fn whole(&mut self, recipient: Option<String>, channel: Option<&str>, text: &str, incomplete: bool, out: &mut Vec<Value>) {
        self.open(recipient, channel, false, out);
        if !text.is_empty() {
            self.delta(text, out);
        }
        self.close(incomplete, out);
    }

    /// A message header just completed: open its output item.
    fn open(&mut self, recipient: Option<String>, channel: Option<&str>, from_parser: bool, out: &mut Vec<Value>) {
        let mut kind = route(recipient.as_deref(), channel);
        let parallel = self.options.response_fields.get("parallel_tool_calls") != Some(&Value::Bool(false));
        if kind == Kind::FunctionCall && self.calls > 0 && !parallel {
            kind = Kind::Dropped;
        }
        let output_index = self.output.len();
        let recipient = recipient.unwrap_or_default();
        let item = match kind {
            Kind::Reasoning => json!({
                "id": self.id("rs", output_index, 0), "type": "reasoning", "summary": [],
                "content": [], "status": "in_progress",
            }),
            Kind::Message { commentary } => json!({
                "id": self.id("msg", output_index, 0), "type": "message", "role": "assistant",
                "status": "in_progress", "content": [],
                "phase": if commentary { "commentary" } else { "final_answer" },
            }),
            Kind::FunctionCall => {
                self.calls += 1;
                json!({
                    "id": self.id("fc", output_index, 0), "type": "function_call", "status": "in_progress",
                    "call_id": self.id("call", output_index, 2),
                    "name": recipient.strip_prefix("functions.").unwrap_or(&recipient), "arguments": "",
                })
            }
            Kind::WebSearch => json!({
                "id": self.id("ws", output_index, 0), "type": "web_search_call", "status": "in_progress",
                "action": {"type": "search"},
            }),
            Kind::Dropped => {
                self.current = Some(Current { kind, output_index, item: Value::Null, text: String::new(), recipient, from_parser });
                return;
            }
        };
        let item_id = item["id"].clone();
        out.push(self.event("response.output_item.added", json!({"output_index": output_index, "item": item})));
        match kind {
            Kind::Reasoning | Kind::Message { .. } => {
                let part = part(kind, "");
                out.push(self.event(
                    "response.content_part.added",
                    json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "part": part}),
                ));
            }
            Kind::WebSearch => {
                out.push(self.event("response.web_search_call.in_progress", json!({"item_id": item_id, "output_index": output_index})));
            }
            Kind::FunctionCall | Kind::Dropped => {}
        }
        self.current = Some(Current { kind, output_index, item, text: String::new(), recipient, from_parser });
    }

    fn delta(&mut self, delta: &str, out: &mut Vec<Value>) {
        let Some(cur) = self.current.as_mut() else { return };
        cur.text.push_str(delta);
        let (kind, index, id) = (cur.kind, cur.output_index, cur.item["id"].clone());
        let base = json!({"item_id": id, "output_index": index, "delta": delta});
        let event = match kind {
            Kind::Reasoning => self.event("response.reasoning_text.delta", with(base, json!({"content_index": 0}))),
            Kind::Message { .. } => self.event("response.output_text.delta", with(base, json!({"content_index": 0, "logprobs": []}))),
            Kind::FunctionCall => self.event("response.function_call_arguments.delta", base),
            Kind::WebSearch | Kind::Dropped => return,
        };
        out.push(event);
    }

    /// The current message ended (`incomplete`: the tokens ended inside it).
    fn close(&mut self, incomplete: bool, out: &mut Vec<Value>) {
        let Some(Current { kind, output_index, mut item, mut text, recipient, from_parser }) = self.current.take() else { return };
        if kind == Kind::Dropped {
            return;
        }
        // The parser's message is the authority on the text (at the end it flushes an
        // incomplete UTF-8 character); what the deltas have not said yet goes out as one more.
        let full = match self.parser.messages().last().and_then(|m| m.content.first()) {
            Some(crate::chat::Content::Text(t)) if from_parser => Some(t.text.clone()),
            _ => None,
        };
        if let Some(rest) = full.as_deref().and_then(|f| f.strip_prefix(text.as_str())).filter(|r| !r.is_empty()) {
            let rest = rest.to_string();
            self.current =
                Some(Current { kind, output_index, item: item.clone(), text: text.clone(), recipient: recipient.clone(), from_parser });
            self.delta(&rest, out);
            self.current = None;
            text.push_str(&rest);
        }
        let id = item["id"].clone();
        let status = if incomplete && kind != Kind::FunctionCall { "incomplete" } else { "completed" };
        item["status"] = json!(status);
        let ids = json!({"item_id": id, "output_index": output_index});
        match kind {
            Kind::Reasoning | Kind::Message { .. } => {
                let done = if matches!(kind, Kind::Reasoning) { "response.reasoning_text.done" } else { "response.output_text.done" };
                let mut fields = with(ids.clone(), json!({"content_index": 0, "text": text}));
                if done == "response.output_text.done" {
                    fields["logprobs"] = json!([]);
                }
                out.push(self.event(done, fields));
                let p = part(kind, &text);
                out.push(self.event("response.content_part.done", with(ids, json!({"content_index": 0, "part": p.clone()}))));
                item["content"] = json!([p]);
            }
            Kind::FunctionCall => {
                out.push(self.event("response.function_call_arguments.done", with(ids, json!({"arguments": text}))));
                item["arguments"] = json!(text);
            }
            Kind::Dropped => unreachable!("dropped calls return early"),
            Kind::WebSearch => {
                item["action"] = browser_action(&recipient, &text);
                if incomplete {
                    item["status"] = json!("incomplete");
                } else {
                    out.push(self.event("response.web_search_call.searching", ids.clone()));
                    out.push(self.event("response.web_search_call.completed", ids));
                }
            }
        }
        out.push(self.event("response.output_item.done", json!({"output_index": output_index, "item": item})));
        self.output.push(item);
    }

    /// Ends the stream: closes a message left open and returns the last events, ending with
    /// `response.completed`, or `response.incomplete` (`incomplete_details.reason`
    /// `max_output_tokens`) when the tokens ended inside a message, inside a header, or after
    /// an `<|end|>` with neither a final answer nor a call.
    pub fn finish(&mut self) -> Result<Vec<Value>> {
        if self.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        self.finished = true;
        let mut out = Vec::new();
        self.start(&mut out);
        let state = self.parser.state();
        let in_call = self.current.as_ref().is_some_and(|c| matches!(c.kind, Kind::FunctionCall | Kind::Dropped));
        let _ = self.parser.process_eos();
        if state == StreamState::Content {
            // A call cut off by the end of the stream is a call whose `<|call|>` the engine
            // stripped; any other message was cut short.
            self.close(!in_call, &mut out);
        }
        if state == StreamState::Header && self.seen == 0 && self.output.is_empty() {
            // Text with no header at all, then the end: the model's answer, unformatted.
            if let Some(text) = headerless_text(self.parser.tokens().get(self.header_start..).unwrap_or(&[])) {
                self.whole(None, None, &text, true, &mut out);
            }
        }
        let ended_by_end = self.last_token == Some(SpecialToken::End.id());
        let answered = self.output.iter().any(|i| {
            i["type"] == "function_call" || (i["type"] == "message" && i["phase"] == "final_answer")
        });
        let incomplete = match state {
            StreamState::Content => !in_call,
            StreamState::Header => true,
            StreamState::ExpectStart => ended_by_end && !answered,
        };
        let (status, kind) = if incomplete { ("incomplete", "response.incomplete") } else { ("completed", "response.completed") };
        let r = self.response(status, incomplete);
        out.push(self.event(kind, json!({ "response": r })));
        Ok(out)
    }
}

/// The text of header tokens that hold no Harmony markup at all (the model wrote plain text
/// where a header belongs), exactly as written; `None` for a real (if cut short) header.
fn headerless_text(header: &[u32]) -> Option<String> {
    if header.iter().any(|&t| crate::tokenizer::is_special(t)) {
        return None;
    }
    let text = crate::tokenizer::decode_lossy(header).ok()?;
    let t = text.trim_start();
    let header_like = t.starts_with("to=") || t.is_empty() || ["analysis", "commentary", "final"].contains(&t);
    (!header_like).then_some(text)
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn part(kind: Kind, text: &str) -> Value {
    match kind {
        Kind::Reasoning => json!({"type": "reasoning_text", "text": text}),
        _ => json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []}),
    }
}

/// A `browser.*` call's arguments → the `web_search_call` action (the inverse of the request
/// side: `search {query}` ↔ search, `open {id}` ↔ open_page, `find {pattern}` ↔ find_in_page).
fn browser_action(recipient: &str, args: &str) -> Value {
    let args: Value = serde_json::from_str(args).unwrap_or(Value::Null);
    let s = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
    match recipient.strip_prefix("browser.").unwrap_or_default() {
        "open" => match s("id") {
            Some(url) => json!({"type": "open_page", "url": url}),
            None => json!({"type": "open_page"}),
        },
        "find" => json!({"type": "find_in_page", "pattern": s("pattern").unwrap_or_default(), "url": s("url").unwrap_or_default()}),
        _ => match s("query") {
            Some(q) => json!({"type": "search", "query": q}),
            None => json!({"type": "search"}),
        },
    }
}
