//! What the bridges (Chat Completions and Responses) make of model output: which recipient is
//! a function call, which channel is reasoning ([`route`]), and a parse of completion tokens
//! that never fails on model output ([`OutputParser`], over the parser's recover mode).
//!
//! Both decisions live here, once, so that sibling bridges share them (STYLE.md: "bridges
//! are siblings").
//!
//! Routing (documented in the README's bridge section):
//! - a recipient `functions.NAME` is a call of function NAME, on any channel;
//! - a recipient naming a built-in tool gpt-oss was trained on (`browser.*`, `python`,
//!   `container.*`) is [`Route::Builtin`]: nothing a Chat client can execute, so its text is
//!   reasoning there, as vLLM routes built-in tool calls; Responses shows `browser.*` calls
//!   as `web_search_call` items;
//! - any other recipient (garbage: `functions.` with no name, `to=` plus special-token
//!   spellings) is reasoning;
//! - a "recipient" that starts with `<|constrain|>` (0.0.8 reads
//!   `<|channel|>final <|constrain|>json` that way, openai/harmony PR #144) is a content type,
//!   and `all` addresses everyone, so such messages route by their channel;
//! - without a recipient, `analysis` is reasoning, `commentary` is a preamble for the user,
//!   and everything else (final, no or unknown channel) is content for the user.

use crate::parse::{ParseOptions, StreamParser, StreamState};
use crate::tokenizer::{SpecialToken, STOP_TOKENS};
use crate::{Content, Message, Role};
use serde::Deserialize;
use serde_json::Value;

/// Where the text of one Harmony message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Hidden chain of thought (`analysis`; Chat: `reasoning_content`).
    Reasoning,
    /// Text for the user: a final answer, or a message with no or an unknown channel.
    Content,
    /// A `commentary` message with no recipient: a preamble the model shows the user before
    /// its tool calls (Chat: content; Responses: a message item with phase `commentary`).
    Preamble,
    /// A call of the function with this name; the text is its arguments.
    FunctionCall(String),
    /// A call of one of gpt-oss's built-in tools (`browser.*`, `python`, `container.*`), with
    /// the recipient as written: nothing a Chat client can execute, so its text is reasoning
    /// there; the Responses bridge shows `browser.*` calls as `web_search_call` items.
    Builtin(String),
}

impl Route {
    /// Whether the text goes to the user (content or a preamble).
    pub fn is_content(&self) -> bool {
        matches!(self, Route::Content | Route::Preamble)
    }
}

/// The route of a message with this channel and recipient (see the module docs).
pub fn route(channel: Option<&str>, recipient: Option<&str>) -> Route {
    let recipient = recipient
        .map(|r| r.trim().trim_start_matches("to="))
        .filter(|r| !r.is_empty() && *r != "all" && !r.starts_with(SpecialToken::Constrain.as_str()));
    match recipient {
        Some(r) => match function_name(r) {
            Some(n) => Route::FunctionCall(n.to_string()),
            None if is_builtin_tool(r) => Route::Builtin(r.to_string()),
            None => Route::Reasoning,
        },
        None => match channel {
            Some("analysis") => Route::Reasoning,
            Some("commentary") => Route::Preamble,
            _ => Route::Content,
        },
    }
}

/// The recipient of a call of function `name`: `functions.NAME`, as the bridges render calls
/// and tool results and the grammars constrain the header; [`function_name`] reads it back.
pub fn function_recipient(name: &str) -> String {
    format!("functions.{name}")
}

/// NAME of a `functions.NAME` recipient, cut at whitespace or a special-token spelling
/// (`functions.bash<|channel|>commentary` is a call of `bash`); `None` for other recipients.
pub fn function_name(recipient: &str) -> Option<&str> {
    let rest = recipient.strip_prefix("functions.")?;
    let end = rest.find(|c: char| c.is_whitespace() || c == '<').unwrap_or(rest.len());
    Some(&rest[..end]).filter(|n| !n.is_empty())
}

/// Whether `name` can be shown to the model as it is: a TypeScript identifier (`$`, `_` or a
/// Unicode ID_Start character, then `$` or ID_Continue characters), so `type NAME = …` is
/// valid and `functions.NAME` reads back whole. Every `[A-Za-z_$][A-Za-z0-9_$]*` name is one.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '$' || c == '_' || unicode_ident::is_xid_start(c)) && chars.all(identifier_continue)
}

fn identifier_continue(c: char) -> bool {
    c == '$' || unicode_ident::is_xid_continue(c)
}

/// `name` squeezed into an identifier (not yet unique): each run of characters an identifier
/// cannot hold becomes one `_`, such runs at either end are dropped, a first character that
/// may not start an identifier (a digit) gets a `_` before it, and nothing left is `tool`.
fn to_identifier(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut replaced = false;
    for c in name.chars() {
        if !identifier_continue(c) {
            replaced = true;
            continue;
        }
        if replaced && !out.is_empty() {
            out.push('_');
        }
        replaced = false;
        out.push(c);
    }
    match out.chars().next() {
        None => "tool".into(),
        Some(c) if c == '$' || c == '_' || unicode_ident::is_xid_start(c) => out,
        Some(_) => format!("_{out}"),
    }
}

/// The names a request declares for its function tools and the identifiers the model sees
/// for them (issue 16): the one mapping both bridges, the grammars and the parse side use.
///
/// A declared name that is an identifier ([`is_identifier`]) is rendered unchanged, so every
/// request openai-harmony 0.0.8 renders correctly renders the same. Any other name is squeezed
/// into one (`get weather`, `get-weather`, `name.with.dots` → `get_weather`, …;
/// `123tool` → `_123tool`; `🫠` → `tool`) and made unique with `_2`, `_3`, …: against every
/// identifier declared as such (reserved first, so they never change) and every name mapped
/// before it, in declaration order. A name declared twice maps to one identifier.
///
/// Names the request does not declare pass through both ways unchanged: a call the model made
/// to an undeclared function is reported as it wrote it, and renders back the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionNames {
    /// (declared, rendered) for each declared name that is not an identifier.
    mapped: Vec<(String, String)>,
}

impl FunctionNames {
    /// The mapping of these declared names, in declaration order.
    pub fn new<'a>(declared: impl IntoIterator<Item = &'a str>) -> Self {
        let declared: Vec<&str> = declared.into_iter().collect();
        let mut taken: std::collections::HashSet<String> =
            declared.iter().filter(|n| is_identifier(n)).map(|n| n.to_string()).collect();
        let mut mapped: Vec<(String, String)> = Vec::new();
        for name in declared {
            if is_identifier(name) || mapped.iter().any(|(d, _)| d == name) {
                continue;
            }
            let base = to_identifier(name);
            let mut rendered = base.clone();
            let mut n = 2;
            while taken.contains(&rendered) {
                rendered = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(rendered.clone());
            mapped.push((name.to_string(), rendered));
        }
        FunctionNames { mapped }
    }

    /// The mapping of a request's `tools` array: the names of its function tools, in either
    /// dialect (Chat `{"type":"function","function":{"name":…}}`, Responses
    /// `{"type":"function","name":…}`). Other entries are skipped (the request side reports
    /// malformed ones).
    pub fn from_tools(tools: &[Value]) -> Self {
        Self::new(tools.iter().filter(|t| t.get("type").and_then(Value::as_str) == Some("function")).filter_map(|t| {
            t.get("function").and_then(|f| f.get("name")).or_else(|| t.get("name")).and_then(Value::as_str)
        }))
    }

    /// The mapping of the `tools` of a request object (none when it has no tools array).
    pub fn from_request(request: &Value) -> Self {
        request.get("tools").and_then(Value::as_array).map(|t| Self::from_tools(t)).unwrap_or_default()
    }

    /// The identifier the model sees for declared name `declared` (an undeclared name as is).
    pub fn rendered<'a>(&'a self, declared: &'a str) -> &'a str {
        self.mapped.iter().find(|(d, _)| d == declared).map_or(declared, |(_, r)| r)
    }

    /// The declared name of the function the model called as `rendered` (a name that is not
    /// the rendering of a declared one as the model wrote it).
    pub fn declared<'a>(&'a self, rendered: &'a str) -> &'a str {
        self.mapped.iter().find(|(_, r)| r == rendered).map_or(rendered, |(d, _)| d)
    }
}

/// Whether `recipient` names one of gpt-oss's built-in tools (`browser.*`, `python`,
/// `container.*`).
pub fn is_builtin_tool(recipient: &str) -> bool {
    recipient == "python" || recipient.starts_with("browser.") || recipient.starts_with("container.")
}

/// A request's `tool_choice`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ToolChoice {
    #[default]
    Auto,
    None,
    Required,
    /// `{"type":"function","function":{"name":NAME}}`.
    Function(String),
}

impl ToolChoice {
    /// Reads a `tool_choice` value (`"auto"`, `"none"`, `"required"` or a named function).
    pub fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(ToolChoice::Auto),
            Value::String(s) => match s.as_str() {
                "auto" => Ok(ToolChoice::Auto),
                "none" => Ok(ToolChoice::None),
                "required" => Ok(ToolChoice::Required),
                other => Err(format!("tool_choice `{other}` is not auto, none, required or a named function")),
            },
            Value::Object(o) => match o.get("function").and_then(|f| f.get("name")).and_then(Value::as_str) {
                Some(name) => Ok(ToolChoice::Function(name.to_string())),
                None => Err("tool_choice object needs function.name".into()),
            },
            _ => Err("tool_choice must be a string or an object".into()),
        }
    }

    /// Reads a Responses request's `tool_choice`: `"auto"`, `"none"`, `"required"`,
    /// `{"type":"function","name":NAME}`; anything else (a hosted tool, `allowed_tools`) is
    /// `auto` on the output side.
    pub fn from_responses_value(v: &Value) -> Self {
        match v {
            Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("function") => match o.get("name").and_then(Value::as_str) {
                Some(name) => ToolChoice::Function(name.to_string()),
                None => ToolChoice::Auto,
            },
            Value::String(_) => Self::from_value(v).unwrap_or_default(),
            _ => ToolChoice::Auto,
        }
    }
}

/// Whether a bridge shows a call of `name` (the declared name, [`FunctionNames::declared`],
/// as `tool_choice` names it) after `calls` shown calls: `tool_choice: "none"`
/// shows none, a named function only one call of it, and `parallel_tool_calls: false` only
/// the first call (the others are dropped, as OpenAI's API would never have sampled them).
pub fn allows_call(choice: &ToolChoice, parallel_tool_calls: bool, calls: usize, name: &str) -> bool {
    match choice {
        ToolChoice::None => false,
        ToolChoice::Function(f) => f == name && calls == 0,
        ToolChoice::Auto | ToolChoice::Required => parallel_tool_calls || calls == 0,
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        ToolChoice::from_value(&Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The parse options of the bridges: the parser's recover mode (issue 11), so that no model
/// output is an error. This is the one place their parse mode is chosen.
pub fn bridge_parse_options() -> ParseOptions {
    ParseOptions::recover()
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// By this token: a stop token (`<|end|>`, `<|return|>` or `<|call|>`), or a token that
    /// began the next message (`<|start|>`, `<|channel|>` in content: recover mode's
    /// "message not ended"). Also reported alone for a stray stop token between messages,
    /// which still says how the model stopped.
    Stop(u32),
    /// By the end of the tokens.
    Eos,
}

/// What one token did to one message: it started (its route is `route`), text was added to
/// it, it ended — any of these, in that order. One token can make several steps (end one
/// message and open the next; a whole recovered message at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    pub started: bool,
    pub delta: &'a str,
    pub ended: Option<Ending>,
    /// Route of the message.
    pub route: &'a Route,
    /// Its content so far (all of it when `ended`).
    pub text: &'a str,
}

/// Completion tokens (after a prompt rendered for completion by the assistant) → message
/// steps, never an error for any sequence of token ids: the parser runs in recover mode
/// ([`bridge_parse_options`]), which decides what malformed output meant; this type only
/// routes its messages and cuts deltas. Deltas are cut from the current content (the parser's
/// loss-free view), so the deltas of a message always join to its content, and a streamed
/// parse gives exactly the steps of a whole one.
#[derive(Debug, Clone)]
pub struct OutputParser {
    parser: StreamParser,
    route: Route,
    /// A message is open: its `started` step was given.
    open: bool,
    /// Bytes of the open message's content already given out as deltas.
    streamed: usize,
    /// Messages of the parser already given out as ended.
    done: usize,
    finished: bool,
}

impl Default for OutputParser {
    fn default() -> Self {
        Self::new()
    }
}

fn text_of(m: &Message) -> &str {
    match m.content.first() {
        Some(Content::Text(t)) => &t.text,
        _ => "",
    }
}

impl OutputParser {
    /// A parser at the start of an assistant completion (inside its header).
    pub fn new() -> Self {
        OutputParser {
            parser: StreamParser::new(Some(Role::Assistant), bridge_parse_options()),
            route: Route::Content,
            open: false,
            streamed: 0,
            done: 0,
            finished: false,
        }
    }

    /// A parser continuing an open assistant message with `header` (prefill / continuation:
    /// [`StreamParser::continuing`]): its first step starts that message, so the bridges route
    /// the continuation's text as the message's.
    pub fn continuing(header: crate::parse::Header) -> Self {
        OutputParser { parser: StreamParser::continuing(header, bridge_parse_options()), ..Self::new() }
    }

    /// Route of the current (or last) message.
    pub fn route(&self) -> &Route {
        &self.route
    }

    /// The messages completed so far, each with the repairs recover mode made to it.
    pub fn messages(&self) -> &[Message] {
        self.parser.messages()
    }

    /// The tokens an engine injects to end the reasoning now and open `answer`
    /// ([`StreamParser::force_answer_tokens`]); feed them to [`process`](Self::process) as if
    /// sampled.
    pub fn force_answer_tokens(&self, answer: crate::parse::Answer<'_>) -> Vec<u32> {
        self.parser.force_answer_tokens(answer)
    }

    /// Where the parser is (inside a message's header or content, or between messages).
    pub fn state(&self) -> StreamState {
        self.parser.state()
    }

    /// How many repairs the parse has made to malformed model output so far.
    pub fn repairs(&self) -> usize {
        self.parser.messages().iter().map(|m| m.repairs.len()).sum::<usize>() + self.parser.current_repairs().len()
    }

    /// Consumes one token and calls `f` with each step it made (often none).
    pub fn process(&mut self, token: u32, f: impl FnMut(Step<'_>)) {
        if self.finished {
            return;
        }
        // Recover mode fails on nothing but a finished parser, which `finished` rules out.
        let _ = self.parser.process(token);
        let stray = STOP_TOKENS.contains(&token) && self.parser.messages().len() == self.done;
        self.steps(Ending::Stop(token), f, stray);
    }

    /// Ends the tokens, calling `f` with the last steps (`ended` is `Ending::Eos` for a
    /// message the end cut short, or a header recovered as a message). Later calls do nothing.
    pub fn finish(&mut self, f: impl FnMut(Step<'_>)) {
        if self.finished {
            return;
        }
        self.finished = true;
        let _ = self.parser.process_eos();
        self.steps(Ending::Eos, f, false);
    }

    fn steps(&mut self, ending: Ending, mut f: impl FnMut(Step<'_>), stray: bool) {
        let messages = self.parser.messages();
        for (i, m) in messages.iter().enumerate().skip(self.done) {
            let text = text_of(m);
            if self.open && i == self.done {
                let delta = text.get(self.streamed..).unwrap_or("");
                f(Step { started: false, delta, ended: Some(ending), route: &self.route, text });
            } else {
                self.route = route(m.channel.as_deref(), m.recipient.as_deref());
                f(Step { started: true, delta: text, ended: Some(ending), route: &self.route, text });
            }
            self.open = false;
            self.streamed = 0;
        }
        self.done = messages.len();
        if stray {
            f(Step { started: false, delta: "", ended: Some(ending), route: &self.route, text: "" });
        }
        if self.parser.state() == StreamState::Content {
            let text = self.parser.current_content();
            let started = !self.open;
            if started {
                self.route = route(self.parser.current_channel(), self.parser.current_recipient());
                self.open = true;
                self.streamed = 0;
            }
            let delta = text.get(self.streamed..).unwrap_or("");
            if started || !delta.is_empty() {
                f(Step { started, delta, ended: None, route: &self.route, text });
            }
            self.streamed = text.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_recipients_read_back() {
        for name in ["get_weather", "f", "name.with.dots", "get-weather", "123tool", "𝓸𝓵𝓵𝓪𝓶𝓪"] {
            let r = function_recipient(name);
            assert_eq!(function_name(&r), Some(name));
            assert_eq!(route(Some("commentary"), Some(&r)), Route::FunctionCall(name.into()));
            assert_eq!(route(Some("analysis"), Some(&format!("{r}<|channel|>commentary"))), Route::FunctionCall(name.into()));
        }
    }

    /// The shapes of ollama's `TestFunctionConvertToValidChars` (harmony/harmonyparser_test.go)
    /// and the issue's, with our rule: a replaced run is one `_` (a word boundary, where ollama
    /// drops some characters), and nothing left is `tool` (ollama: `unnamed`).
    #[test]
    fn names_are_squeezed_into_identifiers() {
        let cases = [
            ("get weather", "get_weather"),
            ("get-weather", "get_weather"),
            ("get.weather", "get_weather"),
            ("get weather!", "get_weather"),
            ("name.with.dots", "name_with_dots"),
            ("a🫠bc", "a_bc"),
            ("🫠", "tool"),
            ("", "tool"),
            ("123", "_123"),
            ("123tool", "_123tool"),
            ("ⓞⓛⓛⓐⓜⓐ123", "_123"),
            ("  get -- weather  ", "get_weather"),
            ("_get-weather", "_get_weather"),
            ("get_-weather", "get__weather"),
            ("météo du jour", "météo_du_jour"),
            ("天気 予報", "天気_予報"),
            ("functions.bash<|call|>", "functions_bash_call"),
        ];
        for (name, want) in cases {
            assert!(!is_identifier(name), "{name:?}");
            assert_eq!(to_identifier(name), want, "{name:?}");
            assert!(is_identifier(want), "{want:?}");
            assert_eq!(FunctionNames::new([name]).rendered(name), want, "{name:?}");
        }
        // Identifiers stay as they are (0.0.8 renders them the same), Unicode letters included.
        for name in ["get_weather", "$", "_", "$x1", "a$b", "A1", "get__weather", "𝓸𝓵𝓵𝓪𝓶𝓪", "météo", "天気"] {
            assert!(is_identifier(name), "{name:?}");
            assert_eq!(FunctionNames::new([name]).rendered(name), name);
        }
    }

    /// The shapes of ollama's `TestFunctionConvertAndAdd`, with our rule: identifiers are
    /// reserved first and never change; a name declared twice is one function.
    #[test]
    fn mapped_names_are_unique() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["get weather", "get weather"], &["get_weather", "get_weather"]),
            (&["get weather", "get_weather", "get-weather"], &["get_weather_2", "get_weather", "get_weather_3"]),
            (
                &["get weather", "get_weather", "get-weather", "something-different"],
                &["get_weather_2", "get_weather", "get_weather_3", "something_different"],
            ),
            (&["a", "a", "b", "a", "a", "b", "a"], &["a", "a", "b", "a", "a", "b", "a"]),
            (&["get weather", "get_weather_2", "get_weather"], &["get_weather_3", "get_weather_2", "get_weather"]),
            (&["x y", "x-y", "x.y"], &["x_y", "x_y_2", "x_y_3"]),
            (&["🫠", "🎉", "tool"], &["tool_2", "tool_3", "tool"]),
            (&["1", "_1"], &["_1_2", "_1"]),
        ];
        for (declared, want) in cases {
            let names = FunctionNames::new(declared.iter().copied());
            let got: Vec<&str> = declared.iter().map(|d| names.rendered(d)).collect();
            assert_eq!(&got, want, "{declared:?}");
            for d in declared.iter() {
                assert_eq!(names.declared(names.rendered(d)), *d, "{declared:?}");
            }
        }
    }

    #[test]
    fn names_come_from_either_dialect_and_undeclared_ones_pass_through() {
        let tools = serde_json::json!([
            {"type": "function", "function": {"name": "get weather"}},
            {"type": "function", "name": "get-time"},
            {"type": "web_search"},
            {"type": "function"},
            "garbage",
        ]);
        let names = FunctionNames::from_tools(tools.as_array().unwrap());
        assert_eq!(names.rendered("get weather"), "get_weather");
        assert_eq!(names.rendered("get-time"), "get_time");
        assert_eq!(names.declared("get_weather"), "get weather");
        assert_eq!(names.declared("get_time"), "get-time");
        // A call the model made to a function nobody declared: reported as written.
        assert_eq!(names.declared("not_declared"), "not_declared");
        assert_eq!(names.rendered("not declared"), "not declared");
        assert_eq!(FunctionNames::from_request(&serde_json::json!({"tools": "x"})), FunctionNames::default());
    }

    proptest::proptest! {
        /// Every rendered name is an identifier, distinct declared names render distinctly,
        /// identifiers render as themselves, and the map reads back.
        #[test]
        fn the_mapping_is_an_injection_into_identifiers(declared in proptest::collection::vec("[a-c_$1 .-]{0,4}", 1..8)) {
            let names = FunctionNames::new(declared.iter().map(String::as_str));
            let mut seen = std::collections::HashMap::new();
            for d in &declared {
                let r = names.rendered(d);
                proptest::prop_assert!(is_identifier(r), "{:?} → {:?}", d, r);
                proptest::prop_assert!(!is_identifier(d) || r == d);
                proptest::prop_assert_eq!(names.declared(r), d.as_str());
                let recipient = function_recipient(r);
                proptest::prop_assert_eq!(function_name(&recipient), Some(r));
                if let Some(other) = seen.insert(r.to_string(), d.clone()) {
                    proptest::prop_assert_eq!(&other, d, "two names render as {:?}", r);
                }
            }
        }
    }

    #[test]
    fn routes() {
        assert_eq!(route(Some("commentary"), Some("functions.get_weather")), Route::FunctionCall("get_weather".into()));
        assert_eq!(route(Some("analysis"), Some("functions.get_weather")), Route::FunctionCall("get_weather".into()));
        assert_eq!(route(Some("commentary"), Some("functions.bash<|channel|>commentary")), Route::FunctionCall("bash".into()));
        for builtin in ["browser.search", "python", "container.exec"] {
            assert!(is_builtin_tool(builtin));
            assert_eq!(route(Some("analysis"), Some(builtin)), Route::Builtin(builtin.into()));
        }
        assert_eq!(route(Some("commentary"), Some("all")), Route::Preamble);
        assert_eq!(route(Some("commentary"), Some("functions.")), Route::Reasoning);
        assert_eq!(route(Some("final"), Some("<|constrain|>json")), Route::Content);
        assert_eq!(route(Some("analysis"), None), Route::Reasoning);
        assert_eq!(route(Some("final"), None), Route::Content);
        assert_eq!(route(Some("commentary"), None), Route::Preamble);
        assert_eq!(route(None, None), Route::Content);
    }
}
