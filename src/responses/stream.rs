//! Completion tokens → Responses streaming events and the `response` object.
//!
//! One output item per Harmony message, in model order. The stream owns the response being
//! built; the terminal event (`response.completed` or `response.incomplete`) carries it, and
//! the non-streamed response is that object — folding the events gives it by construction.

use super::ResponsesOptions;
use crate::chat_completions::response::fnv1a;
use crate::chat::push_json_str;
use crate::error::{Error, Result};
use crate::parse::StreamState;
use crate::routing::{allows_call, Ending, FunctionNames, OutputParser, Route, Step, ToolChoice};
use crate::tokenizer::SpecialToken;
use serde_json::{json, Map, Value};
use std::fmt::Write;

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

/// The output item a message of this route becomes ([`crate::routing`] decides the route,
/// as for the Chat bridge).
fn kind(route: &Route) -> Kind {
    match route {
        Route::FunctionCall(_) => Kind::FunctionCall,
        Route::Builtin(r) if r.starts_with("browser.") => Kind::WebSearch,
        // Built-in tools we do not bridge (python, container.*) and garbage recipients: the
        // model's own working, so reasoning (vLLM routes built-ins to reasoning too).
        Route::Builtin(_) | Route::Reasoning => Kind::Reasoning,
        Route::Preamble => Kind::Message { commentary: true },
        Route::Content => Kind::Message { commentary: false },
    }
}

#[derive(Debug)]
struct Current {
    kind: Kind,
    output_index: usize,
    item: Value,
    /// What its delta events say of the item (no map lookup, no escaping per token).
    ids: DeltaIds,
    text: String,
    /// The recipient (`browser.*` for a web search call).
    recipient: String,
}

/// Streams completion tokens into Responses API events (`response.created`, …,
/// `response.completed`).
#[derive(Debug)]
pub struct ResponsesStream {
    parser: OutputParser,
    w: Items,
    /// The events of the last token as JSON text ([`process_json`](Self::process_json); reused).
    buf: String,
}

/// The response being built from the parser's steps.
#[derive(Debug)]
struct Items {
    options: ResponsesOptions,
    /// Identifiers the model saw → the declared names (from `response_fields.tools`).
    names: FunctionNames,
    tool_choice: ToolChoice,
    parallel_tool_calls: bool,
    sequence: u64,
    started: bool,
    finished: bool,
    output: Vec<Value>,
    current: Option<Current>,
    last_token: Option<u32>,
    calls: usize,
}

impl ResponsesStream {
    /// A stream for the completion of an assistant message rendered by
    /// [`render_request`](super::render_request) (the tokens start inside its header). The
    /// `tool_choice` and `parallel_tool_calls` of `options.response_fields` (copy them from the
    /// request) are honoured on the output side, as by the Chat bridge: `none` shows no call, a
    /// named function only one call of it, `parallel_tool_calls: false` only the first call.
    /// With the request's `tools` there (as servers echo them), a call of a function whose
    /// declared name is not an identifier (rendered as one, [`FunctionNames`]) is reported
    /// under the declared name.
    pub fn new(options: ResponsesOptions) -> Self {
        let fields = &options.response_fields;
        let names = fields.get("tools").and_then(Value::as_array).map(|t| FunctionNames::from_tools(t)).unwrap_or_default();
        let tool_choice = fields.get("tool_choice").map(ToolChoice::from_responses_value).unwrap_or_default();
        let parallel_tool_calls = fields.get("parallel_tool_calls") != Some(&Value::Bool(false));
        let w = Items {
            options,
            names,
            tool_choice,
            parallel_tool_calls,
            sequence: 0,
            started: false,
            finished: false,
            output: Vec::new(),
            current: None,
            last_token: None,
            calls: 0,
        };
        ResponsesStream { parser: OutputParser::new(), w, buf: String::with_capacity(256) }
    }

    /// The tokens that end the reasoning now and open `answer`, as for the Chat bridge
    /// ([`ChatStream::force_answer_tokens`](crate::chat_completions::ChatStream::force_answer_tokens)).
    pub fn force_answer_tokens(&self, answer: crate::parse::Answer<'_>) -> Vec<u32> {
        self.parser.force_answer_tokens(answer)
    }

    /// How many repairs the parse has made to malformed model output so far.
    pub fn repairs(&self) -> usize {
        self.parser.repairs()
    }

    /// Feeds one token; returns the events it produces (often none).
    pub fn process(&mut self, token: u32) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        self.feed(token, &mut out)?;
        Ok(out)
    }

    /// Feeds one token, like [`process`](Self::process), but returns its events as the text
    /// of a JSON array (the same bytes as serialising `process`'s events), borrowed from the
    /// stream's one reused buffer until the next call; `None` when the token produced no
    /// event. The per-token hot path: the delta events are written as text, no JSON value is
    /// built for them, no allocation per token.
    pub fn process_json(&mut self, token: u32) -> Result<Option<&str>> {
        self.buf.clear();
        let mut out = JsonArray { buf: &mut self.buf, empty: true };
        // (Split borrows: the parser and the items are fed, the buffer is written.)
        let (parser, w) = (&mut self.parser, &mut self.w);
        Self::feed_parts(parser, w, token, &mut out)?;
        if out.empty {
            return Ok(None);
        }
        self.buf.push(']');
        Ok(Some(self.buf.as_str()))
    }

    fn feed(&mut self, token: u32, out: &mut impl Sink) -> Result<()> {
        Self::feed_parts(&mut self.parser, &mut self.w, token, out)
    }

    fn feed_parts(parser: &mut OutputParser, w: &mut Items, token: u32, out: &mut impl Sink) -> Result<()> {
        if w.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        // A token the vocabulary does not have is bad input (the engine's bug), not model output.
        if token >= crate::tokenizer::VOCAB_SIZE {
            return Err(Error::UnknownToken(token));
        }
        w.start(out);
        w.last_token = Some(token);
        parser.process(token, |step| w.step(step, out));
        Ok(())
    }

    /// Ends the stream: closes a message left open and returns the last events, ending with
    /// `response.completed`, or `response.incomplete` (`incomplete_details.reason`
    /// `max_output_tokens`) when the tokens ended inside a message, inside a header, or after
    /// an `<|end|>` with neither a final answer nor a call.
    pub fn finish(&mut self) -> Result<Vec<Value>> {
        if self.w.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        let w = &mut self.w;
        w.finished = true;
        let mut out = Vec::new();
        w.start(&mut out);
        let state = self.parser.state();
        let in_call = w.current.as_ref().is_some_and(|c| matches!(c.kind, Kind::FunctionCall | Kind::Dropped));
        self.parser.finish(|step| w.step(step, &mut out));
        let ended_by_end = w.last_token == Some(SpecialToken::End.id());
        let answered = w.output.iter().any(|i| i["type"] == "function_call" || (i["type"] == "message" && i["phase"] == "final_answer"));
        let incomplete = match state {
            StreamState::Content => !in_call,
            StreamState::Header => true,
            StreamState::ExpectStart => ended_by_end && !answered,
        };
        let (status, kind) = if incomplete { ("incomplete", "response.incomplete") } else { ("completed", "response.completed") };
        let r = w.response(status, incomplete);
        out.push(w.event(kind, json!({ "response": r })));
        Ok(out)
    }
}

/// Where the events of a token go: JSON values ([`ResponsesStream::process`]) or JSON text
/// ([`ResponsesStream::process_json`]).
trait Sink {
    fn push(&mut self, event: Value);
    /// A delta event (what most tokens produce): `{"type", "sequence_number", "item_id",
    /// "output_index", "delta"}` and the fields of its kind, in that order.
    fn push_delta(&mut self, kind: DeltaKind, sequence: u64, item: &DeltaIds, delta: &str);
}

/// The item fields of a delta event: `item_id` and `output_index`, also as the JSON text
/// between `sequence_number` and `delta` (written once per item).
#[derive(Debug, Default)]
struct DeltaIds {
    id: String,
    output_index: usize,
    /// `,"item_id":"…","output_index":N,"delta":`
    json: String,
}

impl DeltaIds {
    fn new(id: &str, output_index: usize) -> Self {
        let mut json = String::with_capacity(id.len() + 40);
        json.push_str(",\"item_id\":");
        push_json_str(&mut json, id);
        json.push_str(",\"output_index\":");
        push_u64(&mut json, output_index as u64);
        json.push_str(",\"delta\":");
        DeltaIds { id: id.to_string(), output_index, json }
    }
}

#[derive(Clone, Copy)]
enum DeltaKind {
    Reasoning,
    Text,
    Arguments,
}

impl DeltaKind {
    fn event_type(self) -> &'static str {
        match self {
            DeltaKind::Reasoning => "response.reasoning_text.delta",
            DeltaKind::Text => "response.output_text.delta",
            DeltaKind::Arguments => "response.function_call_arguments.delta",
        }
    }
}

impl Sink for Vec<Value> {
    fn push(&mut self, event: Value) {
        Vec::push(self, event);
    }

    fn push_delta(&mut self, kind: DeltaKind, sequence: u64, item: &DeltaIds, delta: &str) {
        let mut e = json!({
            "type": kind.event_type(), "sequence_number": sequence,
            "item_id": item.id, "output_index": item.output_index, "delta": delta,
        });
        match kind {
            DeltaKind::Reasoning => e["content_index"] = json!(0),
            DeltaKind::Text => {
                e["content_index"] = json!(0);
                e["logprobs"] = json!([]);
            }
            DeltaKind::Arguments => {}
        }
        Vec::push(self, e);
    }
}

/// A JSON array written as text, `[` before the first event (the caller closes it).
struct JsonArray<'a> {
    buf: &'a mut String,
    empty: bool,
}

impl JsonArray<'_> {
    fn separate(&mut self) {
        self.buf.push(if self.empty { '[' } else { ',' });
        self.empty = false;
    }
}

impl Sink for JsonArray<'_> {
    fn push(&mut self, event: Value) {
        self.separate();
        // `Value`'s Display is serde_json's compact serialisation.
        let _ = write!(self.buf, "{event}");
    }

    fn push_delta(&mut self, kind: DeltaKind, sequence: u64, item: &DeltaIds, delta: &str) {
        self.separate();
        let b = &mut *self.buf;
        b.push_str("{\"type\":\"");
        b.push_str(kind.event_type());
        b.push_str("\",\"sequence_number\":");
        push_u64(b, sequence);
        b.push_str(&item.json);
        push_json_str(b, delta);
        b.push_str(match kind {
            DeltaKind::Reasoning => ",\"content_index\":0}",
            DeltaKind::Text => ",\"content_index\":0,\"logprobs\":[]}",
            DeltaKind::Arguments => "}",
        });
    }
}

/// `n` in decimal (without `fmt`'s machinery: this runs for every token).
fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}


impl Items {
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

    fn start(&mut self, out: &mut impl Sink) {
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

    /// Applies one step of the output parser.
    fn step(&mut self, step: Step<'_>, out: &mut impl Sink) {
        if step.started {
            self.open(step.route, out);
        }
        if !step.delta.is_empty() {
            self.delta(step.delta, out);
        }
        if let Some(ending) = step.ended {
            // A call cut off by the end of the stream is a call whose `<|call|>` the engine
            // stripped; any other message was cut short.
            let in_call = self.current.as_ref().is_some_and(|c| matches!(c.kind, Kind::FunctionCall | Kind::Dropped));
            self.close(ending == Ending::Eos && !in_call, out);
        }
    }

    /// A message started: open its output item.
    fn open(&mut self, route: &Route, out: &mut impl Sink) {
        let mut kind = kind(route);
        if let Route::FunctionCall(rendered) = route {
            if !allows_call(&self.tool_choice, self.parallel_tool_calls, self.calls, self.names.declared(rendered)) {
                kind = Kind::Dropped;
            }
        }
        let recipient = match route {
            // The name the request declared (the model saw its identifier).
            Route::FunctionCall(rendered) => self.names.declared(rendered).to_string(),
            Route::Builtin(r) => r.clone(),
            _ => String::new(),
        };
        let output_index = self.output.len();
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
                    "name": recipient, "arguments": "",
                })
            }
            Kind::WebSearch => json!({
                "id": self.id("ws", output_index, 0), "type": "web_search_call", "status": "in_progress",
                "action": {"type": "search"},
            }),
            Kind::Dropped => {
                self.current = Some(Current { kind, output_index, item: Value::Null, ids: DeltaIds::default(), text: String::new(), recipient });
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
        let ids = DeltaIds::new(item_id.as_str().unwrap_or_default(), output_index);
        self.current = Some(Current { kind, output_index, item, ids, text: String::new(), recipient });
    }

    fn delta(&mut self, delta: &str, out: &mut impl Sink) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        cur.text.push_str(delta);
        let kind = match cur.kind {
            Kind::Reasoning => DeltaKind::Reasoning,
            Kind::Message { .. } => DeltaKind::Text,
            Kind::FunctionCall => DeltaKind::Arguments,
            Kind::WebSearch | Kind::Dropped => return,
        };
        let sequence = self.sequence;
        self.sequence += 1;
        out.push_delta(kind, sequence, &cur.ids, delta);
    }

    /// The current message ended (`incomplete`: the tokens ended inside it).
    fn close(&mut self, incomplete: bool, out: &mut impl Sink) {
        let Some(Current { kind, output_index, mut item, text, recipient, .. }) = self.current.take() else {
            return;
        };
        if kind == Kind::Dropped {
            return;
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
        "find" => {
            json!({"type": "find_in_page", "pattern": s("pattern").unwrap_or_default(), "url": s("url").unwrap_or_default()})
        }
        _ => match s("query") {
            Some(q) => json!({"type": "search", "query": q}),
            None => json!({"type": "search"}),
        },
    }
}
