//! `libharmony._libharmony`: the Python extension over libharmony's Rust core.
//!
//! Like the other wrappers this layer translates only: Python values in, core calls, Python
//! values (or JSON text in the core's wire format) out, core errors as one `HarmonyError`
//! carrying a `status`. Every Harmony decision is made by the `harmony` crate. Calls whose cost
//! grows with their input (render, parse, encode, decode, batches) release the GIL.

use harmony::chat_completions::{self, ChatOptions, ChatStream as CoreChatStream};
use harmony::grammar::{self, GrammarFormat, GrammarOptions};
use harmony::responses::{self, ResponsesOptions, ResponsesStream as CoreResponsesStream};
use harmony::tokenizer::{self, special_id, special_name, FIRST_SPECIAL, VOCAB_SIZE};
use harmony::{
    AllowedSpecial, Author, ChannelConfig, Content, Conversation, DeveloperContent, Error, ErrorKind, HarmonyEncoding,
    Message, ParseOptions, ReasoningEffort, RenderOptions, Role, StreamParser as CoreStreamParser, StreamState,
    SystemContent, TextContent, ToolDescription, ToolNamespaceConfig,
};
use std::collections::BTreeMap;
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
#[pyclass(module = "libharmony._libharmony", subclass)]
struct StreamParser {
    inner: CoreStreamParser,
    header_start: usize,
    content_start: usize,
    refused: Vec<usize>,
}

impl StreamParser {
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
        Ok(StreamParser { inner: CoreStreamParser::new(role, opts), header_start: 0, content_start: 0, refused: Vec::new() })
    }

    /// Consumes one token; returns the parser itself (for chaining, as 0.0.8 does).
    fn process(mut slf: PyRefMut<'_, Self>, token: u32) -> PyResult<PyRefMut<'_, Self>> {
        slf.step(token).map_err(to_py)?;
        Ok(slf)
    }

    /// Feeds a batch of tokens with the GIL released; stops at the first error. Returns the
    /// parser itself.
    fn process_tokens<'py>(mut slf: PyRefMut<'py, Self>, py: Python<'py>, tokens: Vec<u32>) -> PyResult<PyRefMut<'py, Self>> {
        let this = &mut *slf;
        py.allow_threads(|| tokens.iter().try_for_each(|&t| this.step(t))).map_err(to_py)?;
        Ok(slf)
    }

    /// Ends the stream, finishing a message in progress. Returns the parser itself.
    fn process_eos(mut slf: PyRefMut<'_, Self>) -> PyResult<PyRefMut<'_, Self>> {
        let before = slf.inner.state();
        slf.inner.process_eos().map_err(to_py)?;
        slf.track(before);
        Ok(slf)
    }

    #[getter]
    fn current_content(&self) -> &str {
        self.inner.current_content()
    }

    #[getter]
    fn current_role_name(&self) -> Option<&'static str> {
        self.inner.current_role().map(Role::as_str)
    }

    #[getter]
    fn current_content_type(&self) -> Option<&str> {
        self.inner.current_content_type()
    }

    #[getter]
    fn current_recipient(&self) -> Option<&str> {
        self.inner.current_recipient()
    }

    #[getter]
    fn current_channel(&self) -> Option<&str> {
        self.inner.current_channel()
    }

    #[getter]
    fn last_content_delta(&self) -> Option<&str> {
        self.inner.last_content_delta()
    }

    /// The completed messages as JSON (the core's wire format).
    #[getter]
    fn messages_json(&self) -> String {
        harmony::chat::messages_to_json(self.inner.messages())
    }

    #[getter]
    fn message_count(&self) -> usize {
        self.inner.messages().len()
    }

    #[getter]
    fn tokens(&self) -> Vec<u32> {
        self.inner.tokens().to_vec()
    }

    #[getter]
    fn state_name(&self) -> &'static str {
        self.inner.state().as_str()
    }

    /// The state as 0.0.8's `state` JSON: `{"state": ...}` plus the header tokens (in a
    /// header) or the parsed header and content tokens (in content).
    fn state_json(&self) -> String {
        let value = match self.inner.state() {
            StreamState::ExpectStart => serde_json::json!({ "state": "ExpectStart" }),
            StreamState::Header => serde_json::json!({
                "state": "Header",
                "header_tokens": self.tokens_from(self.header_start),
            }),
            StreamState::Content => {
                let mut author = serde_json::Map::new();
                author.insert("role".into(), self.inner.current_role().map(Role::as_str).into());
                serde_json::json!({
                    "state": "Content",
                    "header": {
                        "author": author,
                        "recipient": self.inner.current_recipient(),
                        "channel": self.inner.current_channel(),
                        "content_type": self.inner.current_content_type(),
                    },
                    "content_tokens": self.tokens_from(self.content_start),
                })
            }
        };
        value.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<libharmony.StreamableParser state={} messages={} tokens={}>",
            self.inner.state().as_str(),
            self.inner.messages().len(),
            self.inner.tokens().len()
        )
    }
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
#[pyclass(module = "libharmony._libharmony")]
struct ChatStream {
    inner: CoreChatStream,
}

#[pymethods]
impl ChatStream {
    #[new]
    #[pyo3(signature = (options_json = ""))]
    fn new(options_json: &str) -> PyResult<Self> {
        Ok(ChatStream { inner: CoreChatStream::new(chat_options(options_json)?) })
    }

    /// The chunk this token produces (JSON), if any.
    fn process(&mut self, token: u32) -> PyResult<Option<String>> {
        self.inner.process(token).map(|c| c.map(|v| v.to_string())).map_err(to_py)
    }

    /// The final chunk with the finish reason (JSON).
    fn finish(&mut self) -> PyResult<String> {
        self.inner.finish().map(|v| v.to_string()).map_err(to_py)
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
    m.add_class::<ChatStream>()?;
    m.add_function(wrap_pyfunction!(chat_render_request, m)?)?;
    m.add_function(wrap_pyfunction!(chat_parse_response, m)?)?;
    m.add_function(wrap_pyfunction!(chat_grammar, m)?)?;
    m.add_class::<ResponsesStream>()?;
    m.add_function(wrap_pyfunction!(responses_render_request, m)?)?;
    m.add_function(wrap_pyfunction!(responses_parse_response, m)?)?;
    m.add_function(wrap_pyfunction!(responses_stream_events, m)?)?;
    m.add_function(wrap_pyfunction!(tool_namespace_config, m)?)?;
    m.add_function(wrap_pyfunction!(warm_up, m)?)?;
    Ok(())
}
