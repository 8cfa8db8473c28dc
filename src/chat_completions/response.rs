//! Completion tokens → `chat.completion.chunk` stream and `chat.completion` response.
//!
//! Each chunk is written into one buffer that the stream reuses, and only when a token
//! produced something to send (a delta or the start of a tool call), so streaming costs no
//! allocation per token. The non-streaming response accumulates exactly what the chunks
//! carry, so joining the chunks always gives the response.

use super::{ChatOptions, EngineFinish, ToolChoice};
use crate::chat::push_json_str;
use crate::error::{Error, Result};
use crate::routing::{allows_call, Ending, FunctionNames, OutputParser, Route, Step};
use crate::tokenizer::SpecialToken;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Deterministic 64-bit FNV-1a, used for tool-call ids.
pub(crate) fn fnv1a(tokens: &[u32], extra: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in tokens.iter().flat_map(|t| t.to_le_bytes()).chain(extra.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Where the current message's text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Idle,
    Content,
    Reasoning,
    Call(usize),
    /// A call dropped by `tool_choice` / `parallel_tool_calls`.
    Dropped,
}

/// Tool-call ids: `PREFIX<n>`, or `call_` + 24 base-62 characters from a seed.
#[derive(Debug, Clone)]
struct Ids {
    prefix: Option<String>,
    seed: u64,
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState's keys come from the OS once per thread and are advanced per instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish()
}

impl Ids {
    fn new(options: &ChatOptions) -> Self {
        Ids { prefix: options.tool_call_id_prefix.clone(), seed: options.tool_call_id_seed.unwrap_or_else(random_seed) }
    }

    fn write(&self, index: usize, out: &mut String) {
        if let Some(p) = &self.prefix {
            out.push_str(p);
            let _ = write!(out, "{index}");
            return;
        }
        const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut state = self.seed ^ (index as u64).wrapping_mul(0xd6e8_feb8_6659_fd93);
        out.push_str("call_");
        for _ in 0..3 {
            let mut r = splitmix(&mut state);
            for _ in 0..8 {
                out.push(ALPHABET[(r % 62) as usize] as char);
                r /= 62;
            }
        }
    }
}


/// What the non-streaming response collects.
#[derive(Debug, Clone, Default)]
struct Accumulated {
    content: Option<String>,
    reasoning: Option<String>,
    /// (id, name, arguments) of each call.
    calls: Vec<(String, String, String)>,
}

/// What one token gives a [`ChatStream::process_delta`] caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delta<'a> {
    /// No chunk.
    None,
    /// A chunk whose delta is `{"content": text}` and nothing else.
    Content(&'a str),
    /// A chunk whose delta is `{<reasoning_field>: text}` and nothing else.
    Reasoning(&'a str),
    /// Any other chunk, as JSON text (what [`ChatStream::process`] returns).
    Json(&'a str),
}

/// Streams completion tokens into `chat.completion.chunk` objects.
///
/// Finish reason (in the last chunk): `tool_calls` when a function call completed — ended
/// by a stop token, or by the end of the tokens when the engine reports `stop` (it stripped
/// `<|call|>`) or, with no engine reason, when its arguments are complete JSON; `stop` for
/// such a call forced by a named `tool_choice` (as OpenAI reports it), on an engine-reported
/// `stop`, or when the tokens end with `<|return|>` or `<|call|>`; `length` when they end
/// inside a message, after an `<|end|>` (no final `<|return|>`), or with nothing at all. An
/// engine-reported `length` or `content_filter` is passed through unless a call completed.
#[derive(Debug)]
pub struct ChatStream {
    parser: OutputParser,
    w: Writer,
}

#[derive(Debug)]
struct Writer {
    options: ChatOptions,
    /// Identifiers the model saw → the declared names (from `options.tools`).
    names: FunctionNames,
    ids: Ids,
    /// `{"id":…,"object":"chat.completion.chunk",…,"delta":{` written once.
    prefix: String,
    /// The chunk last written (reused for every chunk).
    buf: String,
    /// What the current token gave each field of the chunk's delta (content and reasoning
    /// text; `tool_calls` array items as JSON): one token can end one message and start
    /// another, and a chunk holds each field once.
    pending_content: String,
    pending_reasoning: String,
    pending_calls: String,
    /// The text `process_delta` last handed out (a pending field's buffer, swapped).
    lent: String,
    role_sent: bool,
    target: Target,
    /// The current message has given out text (so a later message of its kind needs "\n").
    has_content: bool,
    has_reasoning: bool,
    /// The current message has not given out text yet.
    message_fresh: bool,
    calls: usize,
    call_completed: bool,
    /// The last stop token that ended a message, or `None` when the tokens ended inside one.
    last_stop: Option<u32>,
    acc: Option<Accumulated>,
    finished: bool,
}

impl ChatStream {
    /// A stream for the completion of an assistant message rendered by
    /// [`render_request`](super::render_request) (the tokens start inside its header).
    pub fn new(options: ChatOptions) -> Self {
        let mut prefix = String::with_capacity(128);
        prefix.push_str("{\"id\":");
        push_json_str(&mut prefix, &options.id);
        let _ = write!(prefix, ",\"object\":\"chat.completion.chunk\",\"created\":{},\"model\":", options.created);
        push_json_str(&mut prefix, &options.model);
        prefix.push_str(",\"choices\":[{\"index\":0,\"delta\":{");
        let w = Writer {
            ids: Ids::new(&options),
            names: FunctionNames::from_tools(&options.tools),
            options,
            prefix,
            buf: String::with_capacity(256),
            pending_content: String::new(),
            pending_reasoning: String::new(),
            pending_calls: String::new(),
            lent: String::new(),
            role_sent: false,
            target: Target::Idle,
            has_content: false,
            has_reasoning: false,
            message_fresh: true,
            calls: 0,
            call_completed: false,
            last_stop: None,
            acc: None,
            finished: false,
        };
        let parser = match &w.options.continuation {
            Some(c) => OutputParser::continuing(c.header()),
            None => OutputParser::new(),
        };
        ChatStream { parser, w }
    }

    /// Also collect the non-streaming response (read it with [`response`](Self::response)).
    pub fn accumulate(&mut self) {
        self.w.acc.get_or_insert_with(Accumulated::default);
    }

    /// The tokens that end the reasoning now and open `answer` (a final answer, or a call of
    /// a function), for an engine whose thinking budget ran out: inject them into the model's
    /// context and feed them to [`process`](Self::process) as if sampled; the reasoning so far
    /// stays reasoning and the model's next tokens are the answer
    /// ([`StreamParser::force_answer_tokens`](crate::StreamParser::force_answer_tokens)).
    pub fn force_answer_tokens(&self, answer: crate::parse::Answer<'_>) -> Vec<u32> {
        self.parser.force_answer_tokens(answer)
    }

    /// How many times the parse recovered from malformed model output.
    pub fn repairs(&self) -> usize {
        self.parser.repairs()
    }

    /// Feeds one token; returns the chunk it produces, if any (borrowed from the stream's
    /// buffer until the next call).
    pub fn process(&mut self, token: u32) -> Result<Option<&str>> {
        self.feed(token)?;
        Ok(if self.w.write_chunk(false) { Some(self.w.close_chunk()) } else { None })
    }

    /// [`process`](Self::process) for a caller that builds the chunk itself: the common
    /// chunk — the role already sent, no tool call, only content or only reasoning text —
    /// comes back as that text ([`Delta::Content`], [`Delta::Reasoning`]), with nothing
    /// written; every other chunk as the JSON text `process` returns ([`Delta::Json`]). The
    /// chunk of a `Content(text)` is the JSON [`chunk_prefix`](Self::chunk_prefix) +
    /// `"content":` + `text` as a JSON string + `},"finish_reason":null}]}` (for `Reasoning`
    /// the key is the `reasoning_field`). The stream's state after either call is the same,
    /// so the two may be mixed.
    pub fn process_delta(&mut self, token: u32) -> Result<Delta<'_>> {
        self.feed(token)?;
        let w = &mut self.w;
        if w.role_sent && w.pending_calls.is_empty() {
            match (w.pending_content.is_empty(), w.pending_reasoning.is_empty()) {
                (true, true) => return Ok(Delta::None),
                // What `write_chunk` would write it from, then clear: the text moves to `lent`
                // (its buffer swapped in, not copied) and the pending field is emptied.
                (false, true) => return Ok(Delta::Content(w.lend(true))),
                (true, false) => return Ok(Delta::Reasoning(w.lend(false))),
                (false, false) => {}
            }
        }
        Ok(if w.write_chunk(false) { Delta::Json(w.close_chunk()) } else { Delta::None })
    }

    /// The text every chunk starts with, up to and including the `{` that opens its delta:
    /// `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":{`.
    pub fn chunk_prefix(&self) -> &str {
        &self.w.prefix
    }

    /// The checks of a token and its parse into the pending fields.
    fn feed(&mut self, token: u32) -> Result<()> {
        if self.w.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        // Unlike the Harmony parser (which keeps 0.0.8's silent U+FFFD), the bridge reports a
        // token the vocabulary does not have.
        if token >= crate::tokenizer::VOCAB_SIZE {
            return Err(Error::UnknownToken(token));
        }
        let w = &mut self.w;
        self.parser.process(token, |step| w.emit(step));
        Ok(())
    }

    /// Ends the stream: returns the last chunk, which carries the finish reason (and any
    /// text left at the end: a cut header's words, a character cut short).
    pub fn finish(&mut self) -> Result<&str> {
        if self.w.finished {
            return Err(Error::InvalidArgument("the stream is already finished".into()));
        }
        self.w.finished = true;
        let w = &mut self.w;
        self.parser.finish(|step| w.emit(step));
        w.write_chunk(true);
        let reason = self.w.finish_reason();
        let _ = write!(self.w.buf, "}},\"finish_reason\":\"{reason}\"}}]}}");
        Ok(self.w.buf.as_str())
    }

    /// The `chat.completion` response, once the stream is finished with
    /// [`accumulate`](Self::accumulate) on; `None` otherwise.
    pub fn response(&self) -> Option<Value> {
        let w = &self.w;
        let acc = w.acc.as_ref().filter(|_| w.finished)?;
        let mut message = json!({"role": "assistant", "content": acc.content});
        if let Some(r) = &acc.reasoning {
            message[w.options.reasoning_field.as_str()] = json!(r);
        }
        if !acc.calls.is_empty() {
            let calls: Vec<Value> = acc
                .calls
                .iter()
                .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
                .collect();
            message["tool_calls"] = Value::Array(calls);
        }
        Some(json!({
            "id": w.options.id,
            "object": "chat.completion",
            "created": w.options.created,
            "model": w.options.model,
            "choices": [{"index": 0, "message": message, "finish_reason": w.finish_reason()}],
        }))
    }
}

impl Writer {
    /// Ends a chunk of `process` in `buf` (not the last one) and returns it.
    fn close_chunk(&mut self) -> &str {
        self.buf.push_str("},\"finish_reason\":null}]}");
        &self.buf
    }

    /// The pending content (`content`) or reasoning text, taken as `write_chunk` takes it:
    /// moved into `lent` (the two buffers swapped, so neither allocates again) and returned.
    fn lend(&mut self, content: bool) -> &str {
        let pending = if content { &mut self.pending_content } else { &mut self.pending_reasoning };
        std::mem::swap(pending, &mut self.lent);
        pending.clear();
        &self.lent
    }

    /// Writes the chunk for what the token gave (`always`: even when it gave nothing) into
    /// `buf`, without the closing `},"finish_reason":…}]}`; returns whether it wrote one.
    fn write_chunk(&mut self, always: bool) -> bool {
        let empty = self.pending_content.is_empty() && self.pending_reasoning.is_empty() && self.pending_calls.is_empty();
        if empty && !always {
            return false;
        }
        self.buf.clear();
        self.buf.push_str(&self.prefix);
        let mut sep = "";
        if !self.role_sent {
            self.role_sent = true;
            self.buf.push_str("\"role\":\"assistant\"");
            sep = ",";
        }
        if !self.pending_content.is_empty() {
            self.buf.push_str(sep);
            self.buf.push_str("\"content\":");
            push_json_str(&mut self.buf, &self.pending_content);
            self.pending_content.clear();
            sep = ",";
        }
        if !self.pending_reasoning.is_empty() {
            self.buf.push_str(sep);
            self.buf.push('"');
            self.buf.push_str(self.options.reasoning_field.as_str());
            self.buf.push_str("\":");
            push_json_str(&mut self.buf, &self.pending_reasoning);
            self.pending_reasoning.clear();
            sep = ",";
        }
        if !self.pending_calls.is_empty() {
            self.buf.push_str(sep);
            self.buf.push_str("\"tool_calls\":[");
            self.buf.push_str(&self.pending_calls);
            self.buf.push(']');
            self.pending_calls.clear();
        }
        true
    }

    fn finish_reason(&self) -> &'static str {
        if self.call_completed {
            return if matches!(self.options.tool_choice, ToolChoice::Function(_)) { "stop" } else { "tool_calls" };
        }
        match self.options.finish_reason {
            Some(EngineFinish::Stop) => "stop",
            Some(EngineFinish::Length) => "length",
            Some(EngineFinish::ContentFilter) => "content_filter",
            None => match self.last_stop {
                Some(t) if t == SpecialToken::Return.id() || t == SpecialToken::Call.id() => "stop",
                _ => "length",
            },
        }
    }

    /// Whether the stream may announce a call of `name` now.
    fn allows_call(&self, name: &str) -> bool {
        allows_call(&self.options.tool_choice, self.options.parallel_tool_calls, self.calls, name)
    }

    /// Writes the chunk announcing call `index` of `name` (the declared name, with its first
    /// argument text).
    fn announce_call(&mut self, index: usize, name: &str, args: &str) {
        let out = &mut self.pending_calls;
        if !out.is_empty() {
            out.push(',');
        }
        let _ = write!(out, "{{\"index\":{index},\"id\":");
        let mut id = String::with_capacity(32);
        self.ids.write(index, &mut id);
        push_json_str(out, &id);
        out.push_str(",\"type\":\"function\",\"function\":{\"name\":");
        push_json_str(out, name);
        out.push_str(",\"arguments\":");
        push_json_str(out, args);
        out.push_str("}}");
        if let Some(acc) = &mut self.acc {
            acc.calls.push((id, name.to_string(), args.to_string()));
        }
    }

    /// Applies one parser step: what it gives the client goes into the pending fields.
    fn emit(&mut self, step: Step<'_>) {
        let delta = step.delta;
        let mut announced = false;
        if step.started {
            self.message_fresh = true;
            self.target = match step.route {
                Route::Content | Route::Preamble => Target::Content,
                Route::Reasoning | Route::Builtin(_) => Target::Reasoning,
                Route::FunctionCall(rendered) if self.allows_call(self.names.declared(rendered)) => {
                    let index = self.calls;
                    self.calls += 1;
                    // Once per call, not per token.
                    let name = self.names.declared(rendered).to_string();
                    self.announce_call(index, &name, delta);
                    announced = true;
                    Target::Call(index)
                }
                Route::FunctionCall(_) => Target::Dropped,
            };
        }
        if !announced && !delta.is_empty() {
            match self.target {
                Target::Content | Target::Reasoning => {
                    let content = self.target == Target::Content;
                    let sep = self.message_fresh && if content { self.has_content } else { self.has_reasoning };
                    // (Two messages' text in one chunk joins into one string.)
                    let out = if content { &mut self.pending_content } else { &mut self.pending_reasoning };
                    if sep {
                        out.push('\n');
                    }
                    out.push_str(delta);
                    if let Some(acc) = &mut self.acc {
                        let slot = if content { &mut acc.content } else { &mut acc.reasoning };
                        let text = slot.get_or_insert_with(String::new);
                        if sep {
                            text.push('\n');
                        }
                        text.push_str(delta);
                    }
                    if content {
                        self.has_content = true;
                    } else {
                        self.has_reasoning = true;
                    }
                    self.message_fresh = false;
                }
                Target::Call(index) => {
                    let out = &mut self.pending_calls;
                    if !out.is_empty() {
                        out.push(',');
                    }
                    let _ = write!(out, "{{\"index\":{index},\"function\":{{\"arguments\":");
                    push_json_str(out, delta);
                    out.push_str("}}");
                    if let Some(acc) = &mut self.acc {
                        acc.calls[index].2.push_str(delta);
                    }
                }
                Target::Idle | Target::Dropped => {}
            }
        }
        if let Some(end) = step.ended {
            let in_call = matches!(self.target, Target::Call(_));
            match end {
                Ending::Stop(t) => {
                    self.last_stop = Some(t);
                    self.call_completed |= in_call;
                }
                Ending::Eos => {
                    self.last_stop = None;
                    self.call_completed |= in_call
                        && match self.options.finish_reason {
                            Some(EngineFinish::Stop) => true,
                            Some(_) => false,
                            // The engine may have stripped `<|call|>`: complete JSON is a call.
                            None => serde_json::from_str::<serde::de::IgnoredAny>(step.text).is_ok(),
                        };
                }
            }
            self.target = Target::Idle;
        }
    }
}

/// Folds chunks into the non-streaming `chat.completion` response (what a client that
/// concatenates deltas gets; equal to [`parse_response`](super::parse_response)).
pub fn join_chunks(chunks: &[Value], options: &ChatOptions) -> Value {
    let field = options.reasoning_field.as_str();
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
        if let Some(s) = d[field].as_str() {
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
        message[field] = json!(r);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        for s in ["", "plain", "q\"b\\s", "nl\nt\tr\r", "\u{1}\u{1f}", "日本 🎉", "</script>\u{2028}"] {
            let mut out = String::new();
            push_json_str(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s, "{out}");
        }
    }

    #[test]
    fn ids_have_the_openai_shape_and_follow_the_seed() {
        let o = ChatOptions { tool_call_id_seed: Some(7), ..ChatOptions::default() };
        let (a, b) = (Ids::new(&o), Ids::new(&o));
        let (mut x, mut y, mut z) = (String::new(), String::new(), String::new());
        a.write(0, &mut x);
        b.write(0, &mut y);
        a.write(1, &mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_eq!(x.len(), 29);
        assert!(x.starts_with("call_") && x[5..].bytes().all(|c| c.is_ascii_alphanumeric()), "{x}");
        let (r1, r2) = (Ids::new(&ChatOptions::default()), Ids::new(&ChatOptions::default()));
        let (mut p, mut q) = (String::new(), String::new());
        r1.write(0, &mut p);
        r2.write(0, &mut q);
        assert_ne!(p, q, "random ids differ between streams");
    }
}
