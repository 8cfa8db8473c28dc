//! `libharmony._libharmony`: the Python extension over libharmony's Rust core.
//!
//! Like the other wrappers this layer translates only: Python values in, core calls, Python
//! values (or JSON text in the core's wire format) out, core errors as one `HarmonyError`
//! carrying a `status`. Every Harmony decision is made by the `harmony` crate. Calls whose cost
//! grows with their input (render, parse, encode, decode, batches) release the GIL.

use harmony::chat_completions::{self, ChatOptions, ChatStream as CoreChatStream, Delta};
use harmony::grammar::{self, GrammarFormat, GrammarOptions};
use harmony::responses::{self, ResponsesOptions, ResponsesStream as CoreResponsesStream};
use harmony::tokenizer::{self, special_id, special_name, FIRST_SPECIAL, VOCAB_SIZE};
use harmony::{
    AllowedSpecial, Author, ChannelConfig, Content, Conversation, DeveloperContent, Error, ErrorKind, HarmonyEncoding,
    Message, ParseOptions, ReasoningEffort, RenderOptions, Role, StreamParser as CoreStreamParser, StreamState,
    SystemContent, TextContent, ToolDescription, ToolNamespaceConfig,
};
use std::collections::BTreeMap;
mod pyjson;

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

create_exception!(
    libharmony,
    HarmonyError,
    PyRuntimeError,
    "An error of libharmony's core; `status` names its kind (e.g. \"parse\", \"unknown_token\")."
);

/// The stable name of an error kind (the `status` of `HarmonyError`).
fn status_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "invalid_argument",
        ErrorKind::InvalidJson => "invalid_json",
        ErrorKind::InvalidUtf8 => "invalid_utf8",
        ErrorKind::Render => "render",
        ErrorKind::Parse => "parse",
        ErrorKind::UnknownToken => "unknown_token",
        ErrorKind::LimitExceeded => "limit_exceeded",
    }
}

fn raise(py: Python<'_>, status: &str, message: String) -> PyErr {
    let err = HarmonyError::new_err(message);
    // Setting an attribute on a fresh exception instance cannot fail in practice; if it did,
    // the error itself is still the right one to raise.
    let _ = err.value(py).setattr("status", status);
    err
}

fn to_py(e: Error) -> PyErr {
    Python::with_gil(|py| raise(py, status_name(e.kind()), reference_wording(&e)))
}

/// The message of `e`, in 0.0.8's words where 0.0.8's own test suite matches on them (the
/// strict-parse header errors); the core's words otherwise.
fn reference_wording(e: &Error) -> String {
    if let Error::Parse(message) = e {
        if let Some(words) = message.strip_prefix("unexpected words in message header: ") {
            return format!("unexpected tokens remaining in message header: Some({words})");
        }
        if message == "unexpected end of stream inside a message header" {
            return "Unexpected EOS while waiting for message header to complete".into();
        }
    }
    e.to_string()
}

/// Decoding errors keep 0.0.8's wording in front (its test suite matches on it), ours after.
fn decode_err(e: Error) -> PyErr {
    let message = match &e {
        Error::UnknownToken(t) => format!("Invalid token for decoding: {t} ({e})"),
        Error::InvalidUtf8 { .. } => format!("Invalid utf-8 sequence: {e}"),
        _ => e.to_string(),
    };
    Python::with_gil(|py| raise(py, status_name(e.kind()), message))
}

fn role(name: Option<&str>) -> PyResult<Option<Role>> {
    name.map(Role::parse).transpose().map_err(to_py)
}

/// THE single place where the Python flags become parse options: `recover` selects the core's
/// recover mode (never fails on model output; implies the PR #144 constrain fix).
fn parse_options(strict: bool, recover: bool) -> PyResult<ParseOptions> {
    if recover {
        return Ok(ParseOptions::recover());
    }
    Ok(ParseOptions { strict, ..ParseOptions::default() })
}

fn conversation(py: Python<'_>, json: &str) -> PyResult<Conversation> {
    py.allow_threads(|| Conversation::from_json(json)).map_err(to_py)
}

// --- Python objects → core values ---------------------------------------------------------
//
// The renderers read libharmony's own data classes attribute by attribute (no JSON round trip).
// Anything else — or an object whose attributes were replaced by values of other types — is
// refused with `None`, and the Python layer then takes the JSON path, which is exactly 0.0.8's.

type Conv<T> = Option<T>;

fn attr<'py>(obj: &Bound<'py, PyAny>, name: &str) -> Conv<Bound<'py, PyAny>> {
    obj.getattr(name).ok()
}

fn opt_string(obj: &Bound<'_, PyAny>, name: &str) -> Conv<Option<String>> {
    let v = attr(obj, name)?;
    if v.is_none() {
        return Some(None);
    }
    v.downcast::<PyString>().ok().map(|s| Some(s.to_string()))
}

fn string(obj: &Bound<'_, PyAny>, name: &str) -> Conv<String> {
    opt_string(obj, name)?
}

/// A str-valued enum member (`Role.USER`, `ReasoningEffort.LOW`) or a plain str.
fn enum_value(v: &Bound<'_, PyAny>) -> Conv<String> {
    if let Ok(s) = v.downcast::<PyString>() {
        if v.is_exact_instance_of::<PyString>() {
            return Some(s.to_string());
        }
    }
    attr(v, "value")?.downcast::<PyString>().ok().map(|s| s.to_string())
}

fn json_value(v: &Bound<'_, PyAny>, depth: usize) -> Conv<serde_json::Value> {
    use serde_json::Value;
    if depth > 128 {
        return None; // the JSON path reports it
    }
    if v.is_none() {
        return Some(Value::Null);
    }
    if let Ok(b) = v.downcast::<PyBool>() {
        return Some(Value::Bool(b.is_true()));
    }
    if v.is_exact_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Some(i.into());
        }
        return v.extract::<u64>().ok().map(Into::into);
    }
    if v.is_exact_instance_of::<PyFloat>() {
        return serde_json::Number::from_f64(v.extract::<f64>().ok()?).map(Value::Number);
    }
    if v.is_exact_instance_of::<PyString>() {
        return Some(Value::String(v.downcast::<PyString>().ok()?.to_string()));
    }
    if let Ok(list) = v.downcast::<PyList>() {
        return list.iter().map(|x| json_value(&x, depth + 1)).collect::<Option<Vec<_>>>().map(Value::Array);
    }
    if let Ok(t) = v.downcast::<PyTuple>() {
        return t.iter().map(|x| json_value(&x, depth + 1)).collect::<Option<Vec<_>>>().map(Value::Array);
    }
    if v.is_exact_instance_of::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, x) in v.downcast::<PyDict>().ok()?.iter() {
            if !k.is_exact_instance_of::<PyString>() {
                return None;
            }
            // json.dumps keeps the last of duplicate keys too (there are none in a dict).
            map.insert(k.downcast::<PyString>().ok()?.to_string(), json_value(&x, depth + 1)?);
        }
        return Some(Value::Object(map));
    }
    None
}

fn tools_of(obj: &Bound<'_, PyAny>) -> Conv<Option<BTreeMap<String, ToolNamespaceConfig>>> {
    let v = attr(obj, "tools")?;
    if v.is_none() {
        return Some(None);
    }
    let dict = v.downcast::<PyDict>().ok()?;
    let mut out = BTreeMap::new();
    for (key, ns) in dict.iter() {
        let key = key.downcast::<PyString>().ok()?.to_string();
        let tools = attr(&ns, "tools")?;
        let tools = tools.downcast::<PyList>().ok()?;
        let tools = tools
            .iter()
            .map(|t| {
                Some(ToolDescription {
                    name: string(&t, "name")?,
                    description: string(&t, "description")?,
                    parameters: {
                        let p = attr(&t, "parameters")?;
                        if p.is_none() { None } else { Some(json_value(&p, 0)?) }
                    },
                })
            })
            .collect::<Option<Vec<_>>>()?;
        out.insert(key, ToolNamespaceConfig { name: string(&ns, "name")?, description: opt_string(&ns, "description")?, tools });
    }
    Some(Some(out))
}

fn content_of(c: &Bound<'_, PyAny>) -> Conv<Content> {
    let kind = attr(c, "_kind")?;
    let kind = kind.downcast::<PyString>().ok()?.to_cow().ok()?;
    match kind.as_ref() {
        "text" => Some(Content::Text(TextContent { text: string(c, "text")? })),
        "system_content" => {
            let effort = attr(c, "reasoning_effort")?;
            let reasoning_effort = if effort.is_none() {
                None
            } else {
                Some(match enum_value(&effort)?.as_str() {
                    "Low" => ReasoningEffort::Low,
                    "Medium" => ReasoningEffort::Medium,
                    "High" => ReasoningEffort::High,
                    _ => return None,
                })
            };
            let cc = attr(c, "channel_config")?;
            let channel_config = if cc.is_none() {
                None
            } else {
                let chans = attr(&cc, "valid_channels")?;
                let valid_channels = chans
                    .downcast::<PyList>()
                    .ok()?
                    .iter()
                    .map(|x| x.downcast::<PyString>().ok().map(|s| s.to_string()))
                    .collect::<Option<Vec<_>>>()?;
                let required = attr(&cc, "channel_required")?;
                Some(ChannelConfig { valid_channels, channel_required: required.downcast::<PyBool>().ok()?.is_true() })
            };
            Some(Content::SystemContent(SystemContent {
                model_identity: opt_string(c, "model_identity")?,
                reasoning_effort,
                tools: tools_of(c)?,
                conversation_start_date: opt_string(c, "conversation_start_date")?,
                knowledge_cutoff: opt_string(c, "knowledge_cutoff")?,
                channel_config,
            }))
        }
        "developer_content" => Some(Content::DeveloperContent(DeveloperContent {
            instructions: opt_string(c, "instructions")?,
            tools: tools_of(c)?,
        })),
        _ => None,
    }
}

fn message_of(m: &Bound<'_, PyAny>) -> Conv<Message> {
    let author = attr(m, "author")?;
    let role = Role::parse(&enum_value(&attr(&author, "role")?)?).ok()?;
    let content = attr(m, "content")?;
    let content = content.downcast::<PyList>().ok()?.iter().map(|c| content_of(&c)).collect::<Option<Vec<_>>>()?;
    Some(Message {
        author: Author { role, name: opt_string(&author, "name")? },
        recipient: opt_string(m, "recipient")?,
        content,
        channel: opt_string(m, "channel")?,
        content_type: opt_string(m, "content_type")?,
        repairs: Vec::new(),
        tokens: None,
    })
}

fn conversation_of(conv: &Bound<'_, PyAny>) -> Conv<Conversation> {
    let messages = attr(conv, "messages")?;
    let messages = messages.downcast::<PyList>().ok()?.iter().map(|m| message_of(&m)).collect::<Option<Vec<_>>>()?;
    Some(Conversation { messages })
}

/// The gpt-oss encoding (`HarmonyGptOss`). Immutable, shareable between threads.
#[pyclass(module = "libharmony._libharmony", frozen)]
struct Encoding {
    inner: HarmonyEncoding,
}

#[pymethods]
impl Encoding {
    #[new]
    fn new(name: &str) -> PyResult<Self> {
        HarmonyEncoding::load(name).map(|inner| Encoding { inner }).map_err(to_py)
    }

    #[getter]
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn __repr__(&self) -> String {
        format!("<libharmony._libharmony.Encoding {:?}>", self.inner.name())
    }

    /// Every special token's spelling (named and reserved).
    fn special_tokens(&self) -> Vec<&'static str> {
        (FIRST_SPECIAL..VOCAB_SIZE).filter_map(special_name).collect()
    }

    #[pyo3(signature = (conversation_json, next_turn_role, auto_drop_analysis = true))]
    fn render_conversation_for_completion(
        &self,
        py: Python<'_>,
        conversation_json: &str,
        next_turn_role: &str,
        auto_drop_analysis: bool,
    ) -> PyResult<Vec<u32>> {
        let next = Role::parse(next_turn_role).map_err(to_py)?;
        let conv = conversation(py, conversation_json)?;
        let opts = RenderOptions { auto_drop_analysis };
        py.allow_threads(|| self.inner.render_for_completion(&conv, next, &opts)).map_err(to_py)
    }

    #[pyo3(signature = (conversation_json, auto_drop_analysis = true))]
    fn render_conversation(&self, py: Python<'_>, conversation_json: &str, auto_drop_analysis: bool) -> PyResult<Vec<u32>> {
        let conv = conversation(py, conversation_json)?;
        let opts = RenderOptions { auto_drop_analysis };
        py.allow_threads(|| self.inner.render_conversation(&conv, &opts)).map_err(to_py)
    }

    #[pyo3(signature = (conversation_json, auto_drop_analysis = true))]
    fn render_conversation_for_training(
        &self,
        py: Python<'_>,
        conversation_json: &str,
        auto_drop_analysis: bool,
    ) -> PyResult<Vec<u32>> {
        let conv = conversation(py, conversation_json)?;
        let opts = RenderOptions { auto_drop_analysis };
        py.allow_threads(|| self.inner.render_for_training(&conv, &opts)).map_err(to_py)
    }

    #[pyo3(signature = (message_json, conversation_has_function_tools = false))]
    fn render(&self, py: Python<'_>, message_json: &str, conversation_has_function_tools: bool) -> PyResult<Vec<u32>> {
        py.allow_threads(|| {
            let msg = Message::from_json(message_json)?;
            self.inner.render_message(&msg, conversation_has_function_tools)
        })
        .map_err(to_py)
    }

    /// Renders libharmony `Conversation` objects directly: `None` when the object is not one
    /// this reads (the caller then uses the JSON method).
    #[pyo3(signature = (conversation, mode, next_turn_role = None, auto_drop_analysis = true))]
    fn render_objects(
        &self,
        py: Python<'_>,
        conversation: &Bound<'_, PyAny>,
        mode: &str,
        next_turn_role: Option<&str>,
        auto_drop_analysis: bool,
    ) -> PyResult<Option<Vec<u32>>> {
        let Some(conv) = conversation_of(conversation) else { return Ok(None) };
        let opts = RenderOptions { auto_drop_analysis };
        let next = next_turn_role.map(Role::parse).transpose().map_err(to_py)?;
        let result = py.allow_threads(|| match (mode, next) {
            ("completion", Some(role)) => self.inner.render_for_completion(&conv, role, &opts),
            ("training", _) => self.inner.render_for_training(&conv, &opts),
            _ => self.inner.render_conversation(&conv, &opts),
        });
        result.map(Some).map_err(to_py)
    }

    /// Renders one libharmony `Message` object directly (`None`: use `render`).
    #[pyo3(signature = (message, conversation_has_function_tools = false))]
    fn render_message_object(
        &self,
        py: Python<'_>,
        message: &Bound<'_, PyAny>,
        conversation_has_function_tools: bool,
    ) -> PyResult<Option<Vec<u32>>> {
        let Some(msg) = message_of(message) else { return Ok(None) };
        py.allow_threads(|| self.inner.render_message(&msg, conversation_has_function_tools)).map(Some).map_err(to_py)
    }

    /// Parses completion tokens; returns the messages as JSON (the core's wire format).
    #[pyo3(signature = (tokens, role = None, strict = true, recover = false))]
    fn parse_messages_from_completion_tokens(
        &self,
        py: Python<'_>,
        tokens: Vec<u32>,
        role: Option<&str>,
        strict: bool,
        recover: bool,
    ) -> PyResult<String> {
        let role = self::role(role)?;
        let opts = parse_options(strict, recover)?;
        py.allow_threads(|| {
            self.inner.parse_completion(&tokens, role, opts).map(|m| harmony::chat::messages_to_json(&m))
        })
        .map_err(to_py)
    }

    fn decode_utf8(&self, py: Python<'_>, tokens: Vec<u32>) -> PyResult<String> {
        py.allow_threads(|| self.inner.decode_utf8(&tokens)).map_err(decode_err)
    }

    fn decode_bytes<'py>(&self, py: Python<'py>, tokens: Vec<u32>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = py.allow_threads(|| tokenizer::decode_bytes(&tokens)).map_err(decode_err)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Encodes `text`; the spellings in `allowed_special` become special tokens. With
    /// `disallowed_special`, the first occurrence of one of those spellings is an error.
    #[pyo3(signature = (text, allowed_special = Vec::new(), disallowed_special = None))]
    fn encode(
        &self,
        py: Python<'_>,
        text: &str,
        allowed_special: Vec<String>,
        disallowed_special: Option<Vec<String>>,
    ) -> PyResult<Vec<u32>> {
        if let Some(disallowed) = disallowed_special {
            if let Some(found) = first_special_spelling(text, &disallowed) {
                return Err(raise(py, "invalid_argument", disallowed_message(found)));
            }
        }
        let ids: Vec<u32> = allowed_special.iter().filter_map(|s| special_id(s)).collect();
        Ok(py.allow_threads(|| self.inner.encode(text, AllowedSpecial::Only(&ids))))
    }

    fn is_special_token(&self, token: u32) -> bool {
        self.inner.is_special_token(token)
    }

    fn stop_tokens(&self) -> Vec<u32> {
        self.inner.stop_tokens().to_vec()
    }

    fn stop_tokens_for_assistant_actions(&self) -> Vec<u32> {
        self.inner.stop_tokens_for_assistant_actions().to_vec()
    }
}

/// The leftmost special-token spelling in `text` that is one of `names` (special tokens are
/// all `<|...|>` without `|>` inside, so the candidate at each `<|` is unique).
fn first_special_spelling<'a>(text: &'a str, names: &[String]) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = text[from..].find("<|") {
        let start = from + i;
        if let Some(j) = text[start + 2..].find("|>") {
            let candidate = &text[start..start + 2 + j + 2];
            if names.iter().any(|n| n == candidate) {
                return Some(candidate);
            }
        } else {
            return None;
        }
        from = start + 2;
    }
    None
}

fn disallowed_message(token: &str) -> String {
    format!(
        "Encountered text corresponding to disallowed special token {token:?}.\n\
         If you want this text to be encoded as a special token, pass it to `allowed_special`, \
         e.g. `allowed_special={{'{token}', ...}}`.\n\
         If you want this text to be encoded as normal text, disable the check for this token by \
         passing `disallowed_special=(enc.special_tokens_set - {{'{token}'}})`.\n\
         To disable this check for all special tokens, pass `disallowed_special=()`.\n"
    )
}

/// The incremental parser. Besides the core parser it remembers where the current header and
/// content started in `tokens` (and which tokens were refused with an error), for
/// `state_json` (0.0.8's `state_data`).
///
/// It is the base class of `libharmony.StreamableParser` (subclassed, so that `process` and the
/// string properties are one call from Python, with no Python frame in between).
///
/// The class is `frozen` and keeps its state in a [`GilCell`] (a `RefCell` whose borrow flag
/// is a plain integer, not PyO3's atomic one): the two atomic read-modify-writes per call were
/// a fifth of the cost of a streamed token (see "The streaming hot path" below).
#[pyclass(module = "libharmony._libharmony", subclass, frozen)]
struct StreamParser {
    state: GilCell<ParserState>,
}

struct ParserState {
    inner: CoreStreamParser,
    header_start: usize,
    content_start: usize,
    refused: Vec<usize>,
}

/// A `RefCell` shared by reference with Python. Sound because every access holds the GIL: the
/// extension is built for CPython's GIL-ful stable ABI (abi3), so the GIL serialises all the
/// threads that can reach the cell, and a mutable borrow that lives on while the GIL is
/// released (`process_tokens`) keeps the flag set, so any access arriving meanwhile is refused
/// with PyO3's own words ("Already borrowed" / "Already mutably borrowed", RuntimeError).
struct GilCell<T>(std::cell::RefCell<T>);

// SAFETY: see above; the value itself moves between threads only as `&mut T` inside
// `allow_threads`, for which `T: Send` is required.
unsafe impl<T: Send> Sync for GilCell<T> {}

impl<T> GilCell<T> {
    fn new(value: T) -> Self {
        GilCell(std::cell::RefCell::new(value))
    }

    fn read(&self) -> PyResult<std::cell::Ref<'_, T>> {
        self.0.try_borrow().map_err(|_| PyRuntimeError::new_err("Already mutably borrowed"))
    }

    fn write(&self) -> PyResult<std::cell::RefMut<'_, T>> {
        self.0.try_borrow_mut().map_err(|_| PyRuntimeError::new_err("Already borrowed"))
    }
}

impl ParserState {
    fn track(&mut self, before: StreamState) {
        let after = self.inner.state();
        if after != before {
            let at = self.inner.tokens().len();
            match after {
                StreamState::Header => self.header_start = at,
                StreamState::Content => self.content_start = at,
                StreamState::ExpectStart => {}
            }
        }
    }

    fn step(&mut self, token: u32) -> harmony::Result<()> {
        let before = self.inner.state();
        if let Err(e) = self.inner.process(token) {
            // `tokens` keeps a refused token; the state it failed to enter does not.
            self.refused.push(self.inner.tokens().len() - 1);
            return Err(e);
        }
        self.track(before);
        Ok(())
    }

    fn tokens_from(&self, start: usize) -> Vec<u32> {
        let tokens = self.inner.tokens();
        (start.min(tokens.len())..tokens.len()).filter(|i| !self.refused.contains(i)).map(|i| tokens[i]).collect()
    }
}

#[pymethods]
impl StreamParser {
    /// `StreamParser(encoding, role, *, strict=True, recover=False)`: `encoding` is accepted for
    /// 0.0.8's signature (there is one encoding); `role` is None, a role name or a `Role`.
    #[new]
    #[pyo3(signature = (encoding = None, role = None, *, strict = true, recover = false))]
    fn new(encoding: Option<&Bound<'_, PyAny>>, role: Option<&Bound<'_, PyAny>>, strict: bool, recover: bool) -> PyResult<Self> {
        let _ = encoding;
        let role = match role {
            None => None,
            Some(r) if r.is_none() => None,
            Some(r) => {
                let name: String = match r.extract() {
                    Ok(name) => name,
                    Err(_) => r.getattr("value")?.extract()?,
                };
                Some(Role::parse(&name).map_err(to_py)?)
            }
        };
        let opts = parse_options(strict, recover)?;
        let state = ParserState { inner: CoreStreamParser::new(role, opts), header_start: 0, content_start: 0, refused: Vec::new() };
        Ok(StreamParser { state: GilCell::new(state) })
    }

    /// Consumes one token; returns the parser itself (for chaining, as 0.0.8 does).
    fn process(slf: &Bound<'_, Self>, token: u32) -> PyResult<Py<Self>> {
        slf.get().state.write()?.step(token).map_err(to_py)?;
        Ok(slf.clone().unbind())
    }

    /// Feeds a batch of tokens with the GIL released; stops at the first error. Returns the
    /// parser itself.
    fn process_tokens(slf: &Bound<'_, Self>, tokens: Vec<u32>) -> PyResult<Py<Self>> {
        let mut state = slf.get().state.write()?;
        let this = &mut *state;
        slf.py().allow_threads(|| tokens.iter().try_for_each(|&t| this.step(t))).map_err(to_py)?;
        drop(state);
        Ok(slf.clone().unbind())
    }

    /// Ends the stream, finishing a message in progress. Returns the parser itself.
    fn process_eos(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        {
            let mut this = slf.get().state.write()?;
            let before = this.inner.state();
            this.inner.process_eos().map_err(to_py)?;
            this.track(before);
        }
        Ok(slf.clone().unbind())
    }

    #[getter]
    fn current_content<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        Ok(PyString::new(py, self.state.read()?.inner.current_content()))
    }

    #[getter]
    fn current_role_name(&self) -> PyResult<Option<&'static str>> {
        Ok(self.state.read()?.inner.current_role().map(Role::as_str))
    }

    #[getter]
    fn current_content_type<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        let this = self.state.read()?;
        Ok(this.inner.current_content_type().map(|s| PyString::new(py, s)))
    }

    #[getter]
    fn current_recipient<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        let this = self.state.read()?;
        Ok(this.inner.current_recipient().map(|s| PyString::new(py, s)))
    }

    #[getter]
    fn current_channel<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        let this = self.state.read()?;
        Ok(this.inner.current_channel().map(|s| PyString::new(py, s)))
    }

    #[getter]
    fn last_content_delta<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        let this = self.state.read()?;
        Ok(this.inner.last_content_delta().map(|s| PyString::new(py, s)))
    }

    /// The completed messages as JSON (the core's wire format).
    #[getter]
    fn messages_json(&self) -> PyResult<String> {
        Ok(harmony::chat::messages_to_json(self.state.read()?.inner.messages()))
    }

    #[getter]
    fn message_count(&self) -> PyResult<usize> {
        Ok(self.state.read()?.inner.messages().len())
    }

    #[getter]
    fn tokens(&self) -> PyResult<Vec<u32>> {
        Ok(self.state.read()?.inner.tokens().to_vec())
    }

    #[getter]
    fn state_name(&self) -> PyResult<&'static str> {
        Ok(self.state.read()?.inner.state().as_str())
    }

    /// The state as 0.0.8's `state` JSON: `{"state": ...}` plus the header tokens (in a
    /// header) or the parsed header and content tokens (in content).
    fn state_json(&self) -> PyResult<String> {
        let this = self.state.read()?;
        let value = match this.inner.state() {
            StreamState::ExpectStart => serde_json::json!({ "state": "ExpectStart" }),
            StreamState::Header => serde_json::json!({
                "state": "Header",
                "header_tokens": this.tokens_from(this.header_start),
            }),
            StreamState::Content => {
                let mut author = serde_json::Map::new();
                author.insert("role".into(), this.inner.current_role().map(Role::as_str).into());
                serde_json::json!({
                    "state": "Content",
                    "header": {
                        "author": author,
                        "recipient": this.inner.current_recipient(),
                        "channel": this.inner.current_channel(),
                        "content_type": this.inner.current_content_type(),
                    },
                    "content_tokens": this.tokens_from(this.content_start),
                })
            }
        };
        Ok(value.to_string())
    }

    fn __repr__(&self) -> PyResult<String> {
        let this = self.state.read()?;
        Ok(format!(
            "<libharmony.StreamableParser state={} messages={} tokens={}>",
            this.inner.state().as_str(),
            this.inner.messages().len(),
            this.inner.tokens().len()
        ))
    }
}

// --- The streaming hot path without PyO3's call machinery ------------------------------------
//
// `process(token)` and `last_content_delta` run once per sampled token, so their fixed cost per
// call is the cost per token through the package. Through PyO3 (built for abi3-py39, which has
// no vectorcall methods) each call packs its argument into a tuple, parses it against the
// signature, enters PyO3's trampoline (GIL bookkeeping, panic guard), checks the instance's
// type again (a subclass: a walk of its MRO) and takes an atomic borrow flag: about 60 ns of a
// call whose parser step costs ~15 ns. The two entries below are installed over PyO3's in the
// type's dict at import time and do only what the call needs: a `METH_FASTCALL |
// METH_KEYWORDS` method (CPython has called methods this way since 3.7; the limited API only
// *names* the flag from 3.10) and a getter. The type check is CPython's (a method or getset
// descriptor refuses other instances before calling); the borrow check is the `GilCell`'s.
// Anything else — keywords, a token that is not an exact int or not a u32, a parser already
// borrowed (a `process_tokens` running without the GIL) — goes to PyO3's original entry, saved
// here, so every error and message is the one it raises.
//
// `ChatStream.process_object(token)` (bound straight to `chat_completions.ChatStream.process`)
// has such an entry too: `fast_chat_process`, over a `frozen` class whose state is a
// `GilCell`, with the same hand-off to PyO3's entry.

static ORIGINAL_PROCESS: std::sync::OnceLock<Py<PyAny>> = std::sync::OnceLock::new();
static ORIGINAL_DELTA: std::sync::OnceLock<Py<PyAny>> = std::sync::OnceLock::new();
static ORIGINAL_CHAT_PROCESS: std::sync::OnceLock<Py<PyAny>> = std::sync::OnceLock::new();

const METH_FASTCALL: std::os::raw::c_int = 0x0080;

type FastCall = unsafe extern "C" fn(
    *mut pyo3::ffi::PyObject,
    *const *mut pyo3::ffi::PyObject,
    pyo3::ffi::Py_ssize_t,
    *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject;

/// Raises an error from outside PyO3's trampoline; returns NULL.
fn restore(err: impl FnOnce() -> PyErr) -> *mut pyo3::ffi::PyObject {
    Python::with_gil(|py| err().restore(py));
    std::ptr::null_mut()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic in libharmony".into())
}

/// PyO3's own entry, for the cases the fast path leaves to it.
fn call_original(
    original: &std::sync::OnceLock<Py<PyAny>>,
    slf: *mut pyo3::ffi::PyObject,
    f: impl FnOnce(&Bound<'_, PyAny>, &Bound<'_, PyAny>) -> PyResult<Py<PyAny>>,
) -> *mut pyo3::ffi::PyObject {
    Python::with_gil(|py| {
        // SAFETY: `slf` is a live object the caller holds a reference to.
        let obj = unsafe { Bound::from_borrowed_ptr(py, slf) };
        let result = match original.get() {
            Some(orig) => f(orig.bind(py), &obj),
            None => Err(PyRuntimeError::new_err("libharmony: the extension is not initialised")),
        };
        match result {
            Ok(v) => v.into_ptr(),
            Err(e) => {
                e.restore(py);
                std::ptr::null_mut()
            }
        }
    })
}

/// The token of a fastcall `(token)`: one positional argument, an exact int that fits a u32;
/// `None` for anything else (PyO3's entry then takes the call and raises its own errors).
/// Caller: holds the GIL; `args` holds `nargs` arguments.
unsafe fn token_arg(args: *const *mut pyo3::ffi::PyObject, nargs: pyo3::ffi::Py_ssize_t, kwnames: *mut pyo3::ffi::PyObject) -> Option<u32> {
    use pyo3::ffi;
    if nargs != 1 || !kwnames.is_null() {
        return None;
    }
    let arg = *args;
    if ffi::PyLong_CheckExact(arg) == 0 {
        return None;
    }
    let v = ffi::PyLong_AsUnsignedLong(arg);
    if v == std::os::raw::c_ulong::MAX && !ffi::PyErr_Occurred().is_null() {
        ffi::PyErr_Clear(); // negative or too large: PyO3's entry raises its error
        return None;
    }
    u32::try_from(v).ok()
}

/// A fastcall's arguments passed on to PyO3's own entry (`original`).
unsafe fn call_original_fastcall(
    original: &std::sync::OnceLock<Py<PyAny>>,
    slf: *mut pyo3::ffi::PyObject,
    args: *const *mut pyo3::ffi::PyObject,
    nargs: pyo3::ffi::Py_ssize_t,
    kwnames: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    call_original(original, slf, |orig, obj| {
        let py = obj.py();
        let n = usize::try_from(nargs).unwrap_or(0);
        let names = if kwnames.is_null() { None } else { Some(unsafe { Bound::from_borrowed_ptr(py, kwnames) }) };
        let k = match &names {
            Some(names) => names.len()?,
            None => 0,
        };
        // SAFETY: CPython passes `nargs` positional arguments, then one value per keyword name.
        let values = if n + k == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(args, n + k) } };
        let mut positional: Vec<Bound<'_, PyAny>> = vec![obj.clone()];
        positional.extend(values[..n].iter().map(|&p| unsafe { Bound::from_borrowed_ptr(py, p) }));
        let kwargs = PyDict::new(py);
        if let Some(names) = names {
            for (i, name) in names.try_iter()?.enumerate() {
                kwargs.set_item(name?, unsafe { Bound::from_borrowed_ptr(py, values[n + i]) })?;
            }
        }
        Ok(orig.call(PyTuple::new(py, positional)?, Some(&kwargs))?.unbind())
    })
}

/// A panic caught at a fast entry, raised as PyO3 raises one (`PanicException`); NULL.
fn raise_panic(payload: Box<dyn std::any::Any + Send>) -> *mut pyo3::ffi::PyObject {
    let message = panic_message(&*payload);
    restore(|| pyo3::panic::PanicException::new_err(message))
}

/// `StreamParser.process(token)`.
unsafe extern "C" fn fast_process(
    slf: *mut pyo3::ffi::PyObject,
    args: *const *mut pyo3::ffi::PyObject,
    nargs: pyo3::ffi::Py_ssize_t,
    kwnames: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    use pyo3::ffi;
    if let Some(token) = token_arg(args, nargs, kwnames) {
        // SAFETY: the GIL is held (CPython is calling us); the method descriptor has checked
        // that `slf` is a StreamParser.
        let py = Python::assume_gil_acquired();
        let obj = pyo3::Borrowed::from_ptr(py, slf);
        let parser: &StreamParser = obj.downcast_unchecked::<StreamParser>().get();
        let step = match parser.state.0.try_borrow_mut() {
            Ok(mut this) => Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| this.step(token)))),
            Err(_) => None,
        };
        if let Some(step) = step {
            return match step {
                Ok(Ok(())) => {
                    ffi::Py_IncRef(slf);
                    slf
                }
                Ok(Err(e)) => restore(|| to_py(e)),
                Err(payload) => raise_panic(payload),
            };
        }
    }
    call_original_fastcall(&ORIGINAL_PROCESS, slf, args, nargs, kwnames)
}

/// `ChatStream.process_object(token)` (what `chat_completions.ChatStream.process` is bound to).
unsafe extern "C" fn fast_chat_process(
    slf: *mut pyo3::ffi::PyObject,
    args: *const *mut pyo3::ffi::PyObject,
    nargs: pyo3::ffi::Py_ssize_t,
    kwnames: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    if let Some(token) = token_arg(args, nargs, kwnames) {
        // SAFETY: as in `fast_process` (the descriptor has checked that `slf` is a ChatStream).
        let py = Python::assume_gil_acquired();
        let obj = pyo3::Borrowed::from_ptr(py, slf);
        let stream: &ChatStream = obj.downcast_unchecked::<ChatStream>().get();
        let result = match stream.state.0.try_borrow_mut() {
            Ok(mut this) => Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| this.process_object(py, token)))),
            Err(_) => None,
        };
        if let Some(result) = result {
            return match result {
                Ok(Ok(chunk)) => chunk,
                Ok(Err(e)) => {
                    e.restore(py);
                    std::ptr::null_mut()
                }
                Err(payload) => raise_panic(payload),
            };
        }
    }
    call_original_fastcall(&ORIGINAL_CHAT_PROCESS, slf, args, nargs, kwnames)
}

/// Recently returned content deltas as Python strings, so that the delta of a frequent token
/// is not decoded into a new string at every call: 2048 direct-mapped slots keyed by the
/// delta's bytes (deltas of up to 16 bytes; longer ones are made each time). About 64 KiB of
/// slots plus the strings they hold. Python strings are immutable, so handing the same one out
/// again is only visible to `is`.
struct DeltaCache(std::cell::UnsafeCell<Vec<DeltaSlot>>);

#[derive(Clone, Copy)]
struct DeltaSlot {
    key: [u64; 2],
    len: usize,
    string: *mut pyo3::ffi::PyObject,
}

// SAFETY: used only from `fast_delta` and `ChunkObjects::delta_object`, which run with the GIL
// held (abi3: the GIL serialises every caller), never while it is released, and never one
// inside the other.
unsafe impl Sync for DeltaCache {}

static DELTAS: DeltaCache = DeltaCache(std::cell::UnsafeCell::new(Vec::new()));

const DELTA_SLOTS: usize = 2048;

impl DeltaCache {
    /// A new reference to a Python string equal to `s` (NULL with an exception set if it
    /// cannot be made). Caller: holds the GIL.
    unsafe fn string(&self, s: &str) -> *mut pyo3::ffi::PyObject {
        use pyo3::ffi;
        let bytes = s.as_bytes();
        if bytes.len() > 16 {
            return ffi::PyUnicode_FromStringAndSize(bytes.as_ptr().cast(), bytes.len() as ffi::Py_ssize_t);
        }
        let mut buf = [0u8; 16];
        buf[..bytes.len()].copy_from_slice(bytes);
        let (lo, hi) = buf.split_at(8);
        let key = [u64::from_le_bytes(lo.try_into().unwrap()), u64::from_le_bytes(hi.try_into().unwrap())];
        let h = (key[0] ^ key[1].rotate_left(29) ^ bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slots = &mut *self.0.get();
        if slots.is_empty() {
            slots.resize(DELTA_SLOTS, DeltaSlot { key: [0; 2], len: usize::MAX, string: std::ptr::null_mut() });
        }
        let slot = &mut slots[(h >> 32) as usize % DELTA_SLOTS];
        if slot.len == bytes.len() && slot.key == key {
            ffi::Py_IncRef(slot.string);
            return slot.string;
        }
        let string = ffi::PyUnicode_FromStringAndSize(bytes.as_ptr().cast(), bytes.len() as ffi::Py_ssize_t);
        if !string.is_null() {
            let old = slot.string;
            ffi::Py_IncRef(string);
            *slot = DeltaSlot { key, len: bytes.len(), string };
            if !old.is_null() {
                ffi::Py_DecRef(old); // a str: its deallocation runs no Python code
            }
        }
        string
    }
}

/// `StreamParser.last_content_delta`.
unsafe extern "C" fn fast_delta(slf: *mut pyo3::ffi::PyObject, _closure: *mut std::ffi::c_void) -> *mut pyo3::ffi::PyObject {
    use pyo3::ffi;
    // SAFETY: as in `fast_process` (the getset descriptor has checked the type).
    let py = Python::assume_gil_acquired();
    let obj = pyo3::Borrowed::from_ptr(py, slf);
    let parser: &StreamParser = obj.downcast_unchecked::<StreamParser>().get();
    let delta = match parser.state.0.try_borrow() {
        Ok(this) => Some(match this.inner.last_content_delta() {
            Some(s) => DELTAS.string(s),
            None => {
                let none = ffi::Py_None();
                ffi::Py_IncRef(none);
                none
            }
        }),
        Err(_) => None,
    };
    if let Some(delta) = delta {
        return delta;
    }
    call_original(&ORIGINAL_DELTA, slf, |orig, obj| Ok(orig.call_method1("__get__", (obj,))?.unbind()))
}

/// Installs `fast_process` and `fast_delta` over PyO3's `process` and `last_content_delta`
/// in the dict of `ty`: StreamParser at import, then `libharmony.StreamableParser`. In the
/// subclass's own dict the descriptors name the subclass, so CPython's specialised call of a
/// method descriptor (which wants the instance's exact type) calls `fast_process` directly and
/// neither descriptor walks the MRO to check the instance's type.
#[pyfunction]
fn install_fast_paths(ty: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    use pyo3::ffi;
    if !ty.is_subclass_of::<StreamParser>()? {
        return Err(pyo3::exceptions::PyTypeError::new_err("install_fast_paths: not a StreamParser type"));
    }
    let (process, method) = fast_method(ty, "process", fast_process)?;
    let delta = ty.getattr("last_content_delta")?;
    let delta_doc: Option<String> = delta.getattr("__doc__")?.extract().ok();
    let getset = Box::leak(Box::new(ffi::PyGetSetDef {
        name: leak("last_content_delta".into())?,
        get: Some(fast_delta),
        set: None,
        doc: match delta_doc {
            Some(d) => leak(d)?,
            None => std::ptr::null(),
        },
        closure: std::ptr::null_mut(),
    }));
    let py = ty.py();
    // SAFETY: the definition is leaked ('static), as CPython requires.
    let getter = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyDescr_NewGetSet(ty.as_type_ptr(), getset))? };
    let _ = ORIGINAL_PROCESS.set(process.unbind());
    let _ = ORIGINAL_DELTA.set(delta.unbind());
    ty.setattr("process", method)?;
    ty.setattr("last_content_delta", getter)?;
    Ok(())
}

fn leak(s: String) -> PyResult<*const std::os::raw::c_char> {
    Ok(std::ffi::CString::new(s).map_err(|e| PyValueError::new_err(e.to_string()))?.into_raw())
}

/// PyO3's method `name` of `ty` and a `METH_FASTCALL` method descriptor of `ty` calling `f`,
/// with the same name, signature and doc (to be set over it).
fn fast_method<'py>(ty: &Bound<'py, pyo3::types::PyType>, name: &str, f: FastCall) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    use pyo3::ffi;
    let original = ty.getattr(name)?;
    let doc: String = original.getattr("__doc__")?.extract().unwrap_or_default();
    let signature: String = original.getattr("__text_signature__")?.extract().unwrap_or_else(|_| "($self, token)".into());
    let def = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: leak(name.into())?,
        // SAFETY: the flags below tell CPython to call it with the fastcall signature.
        ml_meth: ffi::PyMethodDefPointer { PyCFunction: unsafe { std::mem::transmute::<FastCall, ffi::PyCFunction>(f) } },
        ml_flags: METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: leak(format!("{name}{signature}\n--\n\n{doc}"))?,
    }));
    // SAFETY: the definition is leaked ('static), as CPython requires.
    let method = unsafe { Bound::from_owned_ptr_or_err(ty.py(), ffi::PyDescr_NewMethod(ty.as_type_ptr(), def))? };
    Ok((original, method))
}

/// Installs `fast_chat_process` over PyO3's `ChatStream.process_object` (at import, before any
/// instance: `chat_completions.ChatStream` binds an instance's method once).
fn install_chat_fast_path(ty: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    let (original, method) = fast_method(ty, "process_object", fast_chat_process)?;
    let _ = ORIGINAL_CHAT_PROCESS.set(original.unbind());
    ty.setattr("process_object", method)
}

/// What `force_answer` opens: the final answer, or a call of `function`.
fn answer_arg(function: Option<&str>) -> PyResult<harmony::parse::Answer<'_>> {
    harmony::parse::Answer::of(function).map_err(to_py)
}

fn chat_options(options_json: &str) -> PyResult<ChatOptions> {
    ChatOptions::from_json(options_json).map_err(to_py)
}

/// Chat Completions request (JSON) → prompt tokens.
#[pyfunction]
#[pyo3(signature = (request_json, options_json = ""))]
fn chat_render_request(py: Python<'_>, request_json: &str, options_json: &str) -> PyResult<Vec<u32>> {
    let options = chat_options(options_json)?;
    py.allow_threads(|| chat_completions::render_request(request_json, &options)).map_err(to_py)
}

/// Completion tokens → `chat.completion` response (JSON).
#[pyfunction]
#[pyo3(signature = (tokens, options_json = ""))]
fn chat_parse_response(py: Python<'_>, tokens: Vec<u32>, options_json: &str) -> PyResult<String> {
    let options = chat_options(options_json)?;
    py.allow_threads(|| chat_completions::parse_response(&tokens, &options).map(|v| v.to_string())).map_err(to_py)
}

/// Completion tokens → `chat.completion.chunk` objects (JSON), one token at a time.
///
/// `frozen`, its state in a [`GilCell`] like [`StreamParser`]'s, so that `process_object` can
/// be reached without PyO3's call machinery (see "The streaming hot path" below).
#[pyclass(module = "libharmony._libharmony", frozen)]
struct ChatStream {
    state: GilCell<ChatState>,
}

struct ChatState {
    inner: CoreChatStream,
    chunks: ChunkObjects,
}

/// Chunks → the dicts `json.loads` makes of their JSON, for `process_object`. Every chunk of a
/// stream but the last starts with the same text up to its delta (id, object, created, model,
/// `"choices":[{"index":0,"delta":`) and ends with `,"finish_reason":null}]}`: once a chunk
/// of that shape has been parsed whole, later ones copy its two outer dicts (kept as
/// templates) and get a delta of their own. A plain content or reasoning delta (the core's
/// [`Delta::Content`] / [`Delta::Reasoning`], most chunks) is a fresh `{key: text}` dict and
/// no JSON at all; any other chunk's delta is parsed from its JSON by [`pyjson::loads`], and
/// what that leaves (and every chunk not of that shape) by `json.loads`.
struct ChunkObjects {
    keys: pyjson::Keys,
    /// The text up to and including the `{` that opens the delta, and the chunk and choice
    /// dicts of that text (their `choices` and `delta` values to be replaced).
    template: Option<(String, Py<PyDict>, Py<PyDict>)>,
    /// The stream's `chunk_prefix`.
    prefix: String,
    /// Interned keys: `content`, the reasoning field, `delta`, `choices` (the last two then
    /// the templates' own).
    content_key: Py<PyString>,
    reasoning_key: Py<PyString>,
    delta_key: Py<PyString>,
    choices_key: Py<PyString>,
}

const CHUNK_CHOICES: &str = ",\"choices\":[{\"index\":0,\"delta\":{";
const CHUNK_END: &str = ",\"finish_reason\":null}]}";

impl ChunkObjects {
    fn new(py: Python<'_>, reasoning_field: &str, prefix: &str) -> Self {
        ChunkObjects {
            keys: pyjson::Keys::default(),
            template: None,
            prefix: prefix.to_string(),
            content_key: PyString::intern(py, "content").unbind(),
            reasoning_key: PyString::intern(py, reasoning_field).unbind(),
            delta_key: PyString::intern(py, "delta").unbind(),
            choices_key: PyString::intern(py, "choices").unbind(),
        }
    }

    /// The dict of the chunk `delta` stands for (`None` for no chunk), as a new reference
    /// (NULL never: errors are `Err`).
    fn delta_object(&mut self, py: Python<'_>, delta: Delta<'_>) -> PyResult<*mut pyo3::ffi::PyObject> {
        let (text, content) = match delta {
            Delta::None => {
                // SAFETY: the GIL is held.
                return Ok(unsafe {
                    let none = pyo3::ffi::Py_None();
                    pyo3::ffi::Py_IncRef(none);
                    none
                });
            }
            Delta::Json(text) => return Ok(self.object(py, text)?.into_ptr()),
            Delta::Content(text) => (text, true),
            Delta::Reasoning(text) => (text, false),
        };
        if self.template.is_none() {
            // Never in practice (the role's chunk, always first, is JSON and makes the
            // templates); made from an empty delta otherwise.
            let empty = format!("{}}}{CHUNK_END}", self.prefix);
            self.object(py, &empty)?;
        }
        let key = if content { &self.content_key } else { &self.reasoning_key };
        let Some((_, chunk, choice)) = &self.template else {
            let json = serde_json::to_string(text).map_err(|e| PyValueError::new_err(e.to_string()))?;
            let key: String = key.bind(py).extract()?;
            let key = serde_json::to_string(&key).map_err(|e| PyValueError::new_err(e.to_string()))?;
            let text = format!("{}{key}:{json}}}{CHUNK_END}", self.prefix);
            return Ok(self.object(py, &text)?.into_ptr());
        };
        use pyo3::ffi;
        // SAFETY: the GIL is held; every pointer is checked for NULL (the error is then set)
        // and owned by a `Bound`, which releases it on every path; `PyList_SetItem` steals.
        unsafe {
            let string = Bound::from_owned_ptr_or_err(py, DELTAS.string(text))?;
            let delta = Bound::from_owned_ptr_or_err(py, ffi::PyDict_New())?;
            if ffi::PyDict_SetItem(delta.as_ptr(), key.as_ptr(), string.as_ptr()) != 0 {
                return Err(PyErr::fetch(py));
            }
            let choice = Bound::from_owned_ptr_or_err(py, ffi::PyDict_Copy(choice.as_ptr()))?;
            if ffi::PyDict_SetItem(choice.as_ptr(), self.delta_key.as_ptr(), delta.as_ptr()) != 0 {
                return Err(PyErr::fetch(py));
            }
            let list = Bound::from_owned_ptr_or_err(py, ffi::PyList_New(1))?;
            if ffi::PyList_SetItem(list.as_ptr(), 0, choice.into_ptr()) != 0 {
                return Err(PyErr::fetch(py));
            }
            let chunk = Bound::from_owned_ptr_or_err(py, ffi::PyDict_Copy(chunk.as_ptr()))?;
            if ffi::PyDict_SetItem(chunk.as_ptr(), self.choices_key.as_ptr(), list.as_ptr()) != 0 {
                return Err(PyErr::fetch(py));
            }
            Ok(chunk.into_ptr())
        }
    }

    fn object<'py>(&mut self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
        if let Some((prefix, chunk, choice)) = &self.template {
            if text.len() >= prefix.len() + CHUNK_END.len() && text.starts_with(prefix.as_str()) && text.ends_with(CHUNK_END) {
                let delta_text = &text[prefix.len() - 1..text.len() - CHUNK_END.len()];
                if let Some(delta) = pyjson::loads(py, delta_text, &mut self.keys, false) {
                    let choice = choice.bind(py).copy()?;
                    choice.set_item(self.delta_key.bind(py), delta)?;
                    let chunk = chunk.bind(py).copy()?;
                    chunk.set_item(self.choices_key.bind(py), PyList::new(py, [choice])?)?;
                    return Ok(chunk.into_any());
                }
            }
        }
        let value = match pyjson::loads(py, text, &mut self.keys, true) {
            Some(v) => v,
            None => return py.import("json")?.call_method1("loads", (text,)),
        };
        if self.template.is_none() && text.ends_with(CHUNK_END) {
            if let Some((template, choices_key, delta_key)) = Self::template_of(text, &value) {
                // The templates' own key objects: a lookup that finds its key by identity
                // compares no text.
                self.template = Some(template);
                self.choices_key = choices_key;
                self.delta_key = delta_key;
            }
        }
        Ok(value)
    }

    /// The template of a chunk of the usual shape (keys id, object, created, model, choices;
    /// one choice with keys index, delta, finish_reason = None), copied from its dicts; and
    /// their keys `choices` and `delta`.
    #[allow(clippy::type_complexity)]
    fn template_of(text: &str, value: &Bound<'_, PyAny>) -> Option<((String, Py<PyDict>, Py<PyDict>), Py<PyString>, Py<PyString>)> {
        let at = text.find(CHUNK_CHOICES)?; // the first: the values before it are strings and ints
        let chunk = value.downcast::<PyDict>().ok()?;
        let keys: Vec<String> = chunk.keys().iter().map(|k| k.extract::<String>()).collect::<PyResult<_>>().ok()?;
        if keys != ["id", "object", "created", "model", "choices"] {
            return None;
        }
        let choices = chunk.get_item("choices").ok()??;
        let choices = choices.downcast::<PyList>().ok()?;
        if choices.len() != 1 {
            return None;
        }
        let choice = choices.get_item(0).ok()?;
        let choice = choice.downcast::<PyDict>().ok()?;
        let keys: Vec<String> = choice.keys().iter().map(|k| k.extract::<String>()).collect::<PyResult<_>>().ok()?;
        if keys != ["index", "delta", "finish_reason"] || !choice.get_item("finish_reason").ok()??.is_none() {
            return None;
        }
        let choices_key = chunk.keys().get_item(4).ok()?.downcast_into::<PyString>().ok()?.unbind();
        let delta_key = choice.keys().get_item(1).ok()?.downcast_into::<PyString>().ok()?.unbind();
        let template = (text[..at + CHUNK_CHOICES.len()].to_string(), chunk.copy().ok()?.unbind(), choice.copy().ok()?.unbind());
        Some((template, choices_key, delta_key))
    }
}

impl ChatState {
    /// `process_object(token)` as a new reference (the chunk dict or None).
    fn process_object(&mut self, py: Python<'_>, token: u32) -> PyResult<*mut pyo3::ffi::PyObject> {
        let delta = self.inner.process_delta(token).map_err(to_py)?;
        self.chunks.delta_object(py, delta)
    }
}

#[pymethods]
impl ChatStream {
    #[new]
    #[pyo3(signature = (options_json = ""))]
    fn new(py: Python<'_>, options_json: &str) -> PyResult<Self> {
        let options = chat_options(options_json)?;
        let field = options.reasoning_field.as_str();
        let inner = CoreChatStream::new(options);
        let chunks = ChunkObjects::new(py, field, inner.chunk_prefix());
        Ok(ChatStream { state: GilCell::new(ChatState { inner, chunks }) })
    }

    /// The chunk this token produces, if any, as the dict `json.loads` makes of its JSON.
    fn process_object(&self, py: Python<'_>, token: u32) -> PyResult<PyObject> {
        let ptr = self.state.write()?.process_object(py, token)?;
        // SAFETY: a new reference, never NULL (errors are `Err`).
        Ok(unsafe { PyObject::from_owned_ptr(py, ptr) })
    }

    /// The final chunk, as a dict.
    fn finish_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut state = self.state.write()?;
        let ChatState { inner, chunks } = &mut *state;
        let text = inner.finish().map_err(to_py)?;
        chunks.object(py, text)
    }

    /// The chunk this token produces (JSON), if any.
    fn process(&self, token: u32) -> PyResult<Option<String>> {
        self.state.write()?.inner.process(token).map(|c| c.map(|v| v.to_string())).map_err(to_py)
    }

    /// The final chunk with the finish reason (JSON).
    fn finish(&self) -> PyResult<String> {
        self.state.write()?.inner.finish().map(|v| v.to_string()).map_err(to_py)
    }

    /// How many repairs the parse has made to malformed model output so far.
    #[getter]
    fn repairs(&self) -> PyResult<usize> {
        Ok(self.state.read()?.inner.repairs())
    }

    /// The tokens that end the reasoning now and open the final answer (`function` None) or
    /// a call of `function`; feed them to `process` as if sampled.
    #[pyo3(signature = (function = None))]
    fn force_answer(&self, function: Option<&str>) -> PyResult<Vec<u32>> {
        Ok(self.state.read()?.inner.force_answer_tokens(answer_arg(function)?))
    }

    fn __repr__(&self) -> &'static str {
        "<libharmony._libharmony.ChatStream>"
    }
}

/// The grammar of the completion a Chat Completions request (JSON) permits; `format` is
/// `lark`, `gbnf` or `xgrammar`, the options are `GrammarOptions` as JSON.
#[pyfunction]
#[pyo3(signature = (request_json, format = "lark", options_json = ""))]
fn chat_grammar(py: Python<'_>, request_json: &str, format: &str, options_json: &str) -> PyResult<String> {
    let format: GrammarFormat = format.parse().map_err(to_py)?;
    let options = GrammarOptions::from_json(options_json).map_err(to_py)?;
    py.allow_threads(|| grammar::chat_grammar(request_json, format, &options)).map_err(to_py)
}

fn responses_options(options_json: &str) -> PyResult<ResponsesOptions> {
    ResponsesOptions::from_json(options_json).map_err(to_py)
}

/// A JSON array of events.
fn events_json(events: Vec<serde_json::Value>) -> String {
    serde_json::Value::Array(events).to_string()
}

/// Responses API request (JSON) → prompt tokens.
#[pyfunction]
#[pyo3(signature = (request_json, options_json = ""))]
fn responses_render_request(py: Python<'_>, request_json: &str, options_json: &str) -> PyResult<Vec<u32>> {
    let options = responses_options(options_json)?;
    py.allow_threads(|| responses::render_request(request_json, &options)).map_err(to_py)
}

/// Completion tokens → `response` object (JSON).
#[pyfunction]
#[pyo3(signature = (tokens, options_json = ""))]
fn responses_parse_response(py: Python<'_>, tokens: Vec<u32>, options_json: &str) -> PyResult<String> {
    let options = responses_options(options_json)?;
    py.allow_threads(|| responses::parse_response(&tokens, &options).map(|v| v.to_string())).map_err(to_py)
}

/// Completion tokens → the streaming events, in order (a JSON array).
#[pyfunction]
#[pyo3(signature = (tokens, options_json = ""))]
fn responses_stream_events(py: Python<'_>, tokens: Vec<u32>, options_json: &str) -> PyResult<String> {
    let options = responses_options(options_json)?;
    py.allow_threads(|| responses::stream_events(&tokens, &options).map(events_json)).map_err(to_py)
}

/// Completion tokens → Responses API streaming events (JSON arrays), one token at a time.
#[pyclass(module = "libharmony._libharmony")]
struct ResponsesStream {
    inner: CoreResponsesStream,
}

#[pymethods]
impl ResponsesStream {
    #[new]
    #[pyo3(signature = (options_json = ""))]
    fn new(options_json: &str) -> PyResult<Self> {
        Ok(ResponsesStream { inner: CoreResponsesStream::new(responses_options(options_json)?) })
    }

    /// The events this token produces (a JSON array, often empty).
    fn process(&mut self, token: u32) -> PyResult<String> {
        self.inner.process(token).map(events_json).map_err(to_py)
    }

    /// The last events, ending with `response.completed` or `response.incomplete` (a JSON array).
    fn finish(&mut self) -> PyResult<String> {
        self.inner.finish().map(events_json).map_err(to_py)
    }

    /// How many repairs the parse has made to malformed model output so far.
    #[getter]
    fn repairs(&self) -> usize {
        self.inner.repairs()
    }

    /// The tokens that end the reasoning now and open the final answer (`function` None) or
    /// a call of `function`; feed them to `process` as if sampled.
    #[pyo3(signature = (function = None))]
    fn force_answer(&self, function: Option<&str>) -> PyResult<Vec<u32>> {
        Ok(self.inner.force_answer_tokens(answer_arg(function)?))
    }

    fn __repr__(&self) -> &'static str {
        "<libharmony._libharmony.ResponsesStream>"
    }
}

/// A built-in tool namespace (`browser`, `python`) as JSON.
#[pyfunction]
fn tool_namespace_config(name: &str) -> PyResult<String> {
    let cfg = ToolNamespaceConfig::builtin(name).map_err(to_py)?;
    serde_json::to_string(&cfg).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Builds the encoder tables now instead of on the first encode.
#[pyfunction]
fn warm_up(py: Python<'_>) {
    py.allow_threads(tokenizer::warm_up)
}

#[pymodule]
fn _libharmony(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("HarmonyError", m.py().get_type::<HarmonyError>())?;
    m.add("__version__", harmony::VERSION)?;
    m.add_class::<Encoding>()?;
    m.add_class::<StreamParser>()?;
    install_fast_paths(&m.py().get_type::<StreamParser>())?;
    m.add_class::<ChatStream>()?;
    install_chat_fast_path(&m.py().get_type::<ChatStream>())?;
    m.add_function(wrap_pyfunction!(chat_render_request, m)?)?;
    m.add_function(wrap_pyfunction!(chat_parse_response, m)?)?;
    m.add_function(wrap_pyfunction!(chat_grammar, m)?)?;
    m.add_class::<ResponsesStream>()?;
    m.add_function(wrap_pyfunction!(responses_render_request, m)?)?;
    m.add_function(wrap_pyfunction!(responses_parse_response, m)?)?;
    m.add_function(wrap_pyfunction!(responses_stream_events, m)?)?;
    m.add_function(wrap_pyfunction!(tool_namespace_config, m)?)?;
    m.add_function(wrap_pyfunction!(warm_up, m)?)?;
    m.add_function(wrap_pyfunction!(install_fast_paths, m)?)?;
    Ok(())
}
