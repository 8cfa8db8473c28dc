//! What the bridges (Chat Completions today, Responses next) make of model output: which
//! recipient is a function call, which channel is reasoning ([`route`]), and a parse of
//! completion tokens that never fails on model output ([`OutputParser`]).
//!
//! Both decisions live here, once, so that sibling bridges share them (STYLE.md: "bridges
//! are siblings").
//!
//! Routing (documented in the README's bridge section):
//! - a recipient `functions.NAME` is a call of function NAME, on any channel;
//! - any other recipient — the built-in tools gpt-oss was trained on (`browser.*`, `python`,
//!   `container.*`) and garbage (`functions.` with no name, `to=` plus special-token
//!   spellings) — is not something a client can execute: its text is reasoning, as vLLM
//!   routes built-in tool calls;
//! - a "recipient" that starts with `<|constrain|>` (0.0.8 reads
//!   `<|channel|>final <|constrain|>json` that way, openai/harmony PR #144) is a content type,
//!   so the message routes by its channel;
//! - without a recipient, `analysis` is reasoning and everything else (final, commentary
//!   preambles, no or unknown channel) is content for the user.

use crate::parse::{ParseOptions, StreamParser, StreamState};
use crate::tokenizer::{SpecialToken, STOP_TOKENS};
use crate::{Content, Message, Role};

/// Where the text of one Harmony message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Hidden chain of thought (`reasoning_content`).
    Reasoning,
    /// Text for the user (`content`).
    Content,
    /// A call of the function with this name; the text is its arguments.
    FunctionCall(String),
}

/// The route of a message with this channel and recipient (see the module docs).
pub fn route(channel: Option<&str>, recipient: Option<&str>) -> Route {
    let recipient = recipient
        .map(|r| r.trim().trim_start_matches("to="))
        .filter(|r| !r.is_empty() && !r.starts_with(SpecialToken::Constrain.as_str()));
    match recipient {
        Some(r) => function_name(r).map_or(Route::Reasoning, |n| Route::FunctionCall(n.to_string())),
        None if channel == Some("analysis") => Route::Reasoning,
        None => Route::Content,
    }
}

/// NAME of a `functions.NAME` recipient, cut at whitespace or a special-token spelling
/// (`functions.bash<|channel|>commentary` is a call of `bash`); `None` for other recipients.
pub fn function_name(recipient: &str) -> Option<&str> {
    let rest = recipient.strip_prefix("functions.")?;
    let end = rest.find(|c: char| c.is_whitespace() || c == '<').unwrap_or(rest.len());
    Some(&rest[..end]).filter(|n| !n.is_empty())
}

/// Whether `recipient` names one of gpt-oss's built-in tools (`browser.*`, `python`,
/// `container.*`).
pub fn is_builtin_tool(recipient: &str) -> bool {
    recipient == "python" || recipient.starts_with("browser.") || recipient.starts_with("container.")
}

/// The parse options of the bridges. This is the one place their parse mode is chosen.
#[allow(clippy::needless_update)]
pub fn bridge_parse_options() -> ParseOptions {
    ParseOptions { strict: false, fix_constrain_recipient: true, ..ParseOptions::default() }
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// By this stop token (`<|end|>`, `<|return|>` or `<|call|>`).
    Stop(u32),
    /// By the end of the tokens.
    Eos,
}

/// What one token did: a message started (its route is [`OutputParser::route`]), text was
/// added to it, it ended — any of these, in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    pub started: bool,
    pub delta: &'a str,
    pub ended: Option<Ending>,
    /// Route of the current (or just ended) message.
    pub route: &'a Route,
    /// Its content so far.
    pub text: &'a str,
}

/// Completion tokens (after a prompt rendered for completion by the assistant) → message
/// events, never an error for any sequence of vocabulary ids.
///
/// Until the parser's recover mode lands, recovery happens here, on the public `StreamParser`
/// API: a stray stop token or `<|constrain|>` between messages is skipped; any other token where `<|start|>`
/// belongs opens an assistant message as if `<|start|>assistant` had preceded it; a
/// `<|start|>` inside a header restarts the header; a header that does not parse makes its
/// message a header-less one (content); a header cut by a stop token or by the end of the
/// tokens becomes a message of its words (lenient parsing). Deltas are cut from the current
/// content, not taken from the parser's last delta, so the deltas of a message always join to
/// its content.
#[derive(Debug, Clone)]
pub struct OutputParser {
    parser: StreamParser,
    route: Route,
    /// Bytes of the current message's content already given out as deltas.
    streamed: usize,
    /// Recoveries made so far (a count, for logging and tests).
    repairs: usize,
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
            streamed: 0,
            repairs: 0,
            finished: false,
        }
    }

    /// Route of the current (or last) message.
    pub fn route(&self) -> &Route {
        &self.route
    }

    /// How many times the parser recovered from malformed output.
    pub fn repairs(&self) -> usize {
        self.repairs
    }

    /// Content of the current message so far, or of the message that just ended.
    pub fn message_text(&self) -> &str {
        match self.parser.state() {
            StreamState::Content => self.parser.current_content(),
            _ => self.parser.messages().last().map(text_of).unwrap_or(""),
        }
    }

    fn idle(&self) -> Step<'_> {
        Step { started: false, delta: "", ended: None, route: &self.route, text: "" }
    }

    fn restart(&mut self, role: Option<Role>) {
        self.parser = StreamParser::new(role, bridge_parse_options());
        self.repairs += 1;
    }

    /// Consumes one token (ids outside the vocabulary are the caller's to reject).
    pub fn process(&mut self, token: u32) -> Step<'_> {
        let start = SpecialToken::Start.id();
        let message = SpecialToken::Message.id();
        let is_stop = STOP_TOKENS.contains(&token);
        if self.finished {
            return self.idle();
        }
        match self.parser.state() {
            StreamState::ExpectStart if token != start => {
                if token == SpecialToken::Constrain.id() {
                    // A stray `<|constrain|>` after a message (issue 11) starts nothing.
                    self.repairs += 1;
                    return self.idle();
                }
                if is_stop {
                    // A stray stop token after a finished message: nothing to parse, but
                    // it still says how the model stopped.
                    self.repairs += 1;
                    return Step { ended: Some(Ending::Stop(token)), ..self.idle() };
                }
                self.restart(Some(Role::Assistant));
            }
            StreamState::Header if token == start => self.restart(None),
            _ => {}
        }
        let before = self.parser.state();
        let count = self.parser.messages().len();
        if self.parser.process(token).is_err() {
            if before == StreamState::Header && token == message {
                // An unparsable header: keep the text as a header-less message.
                self.restart(Some(Role::Assistant));
                let _ = self.parser.process(message);
            } else {
                self.restart(None);
                return self.idle();
            }
        }
        let after = self.parser.state();
        match (before, after) {
            (StreamState::Content, StreamState::Content) => {
                let text = self.parser.current_content();
                let delta = text.get(self.streamed..).unwrap_or("");
                self.streamed = text.len();
                Step { started: false, delta, ended: None, route: &self.route, text }
            }
            (_, StreamState::Content) => {
                self.route = route(self.parser.current_channel(), self.parser.current_recipient());
                self.streamed = 0;
                Step { started: true, delta: "", ended: None, route: &self.route, text: "" }
            }
            (StreamState::Content, _) => {
                let text = self.parser.messages().last().map(text_of).unwrap_or("");
                let delta = text.get(self.streamed..).unwrap_or("");
                self.streamed = text.len();
                Step { started: false, delta, ended: Some(Ending::Stop(token)), route: &self.route, text }
            }
            (StreamState::Header, _) if self.parser.messages().len() > count => {
                // A header cut short by a stop token became a message of its words.
                self.repairs += 1;
                let m = self.parser.messages().last().expect("a message was added");
                self.route = route(m.channel.as_deref(), m.recipient.as_deref());
                let delta = text_of(m);
                self.streamed = delta.len();
                Step { started: true, delta, ended: Some(Ending::Stop(token)), route: &self.route, text: delta }
            }
            _ => self.idle(),
        }
    }

    /// Ends the tokens. `ended` is `Some(Ending::Eos)` when they ended inside a message or
    /// its header (`started` too when a cut header became a message). Later calls do nothing.
    pub fn finish(&mut self) -> Step<'_> {
        if self.finished {
            return self.idle();
        }
        self.finished = true;
        match self.parser.state() {
            StreamState::ExpectStart => self.idle(),
            StreamState::Content => {
                let _ = self.parser.process_eos();
                let text = self.parser.messages().last().map(text_of).unwrap_or("");
                let delta = text.get(self.streamed..).unwrap_or("");
                self.streamed = text.len();
                Step { started: false, delta, ended: Some(Ending::Eos), route: &self.route, text }
            }
            StreamState::Header => {
                // As if the header had been cut by a stop token: its words are the message.
                let count = self.parser.messages().len();
                let ok = self.parser.process(SpecialToken::End.id()).is_ok();
                if ok && self.parser.messages().len() > count {
                    self.repairs += 1;
                    let m = self.parser.messages().last().expect("a message was added");
                    self.route = route(m.channel.as_deref(), m.recipient.as_deref());
                    let delta = text_of(m);
                    self.streamed = delta.len();
                    return Step { started: true, delta, ended: Some(Ending::Eos), route: &self.route, text: delta };
                }
                Step { started: false, delta: "", ended: Some(Ending::Eos), route: &self.route, text: "" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(Some("commentary"), Some("functions.get_weather")), Route::FunctionCall("get_weather".into()));
        assert_eq!(route(Some("analysis"), Some("functions.get_weather")), Route::FunctionCall("get_weather".into()));
        assert_eq!(route(Some("commentary"), Some("functions.bash<|channel|>commentary")), Route::FunctionCall("bash".into()));
        for builtin in ["browser.search", "python", "container.exec"] {
            assert!(is_builtin_tool(builtin));
            assert_eq!(route(Some("analysis"), Some(builtin)), Route::Reasoning);
        }
        assert_eq!(route(Some("commentary"), Some("functions.")), Route::Reasoning);
        assert_eq!(route(Some("final"), Some("<|constrain|>json")), Route::Content);
        assert_eq!(route(Some("analysis"), None), Route::Reasoning);
        assert_eq!(route(Some("final"), None), Route::Content);
        assert_eq!(route(Some("commentary"), None), Route::Content);
        assert_eq!(route(None, None), Route::Content);
    }
}
