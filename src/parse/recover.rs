//! Recover mode: parsing real model output, which is often not well-formed Harmony.
//!
//! Selected with [`ParseOptions::recover`](super::ParseOptions::recover) (C:
//! `HARMONY_PARSE_RECOVER`, CLI `harmony parse --recover`). It never fails on a sequence of
//! valid token ids (nor on ids outside the vocabulary), yields the messages the model evidently
//! meant, and lists what it repaired in each message's [`Message::repairs`](crate::Message)
//! (JSON `"repairs": [...]`, absent when empty). Well-formed completions give exactly the
//! messages of strict parsing with the PR #144 constrain fix, and no repairs. Strict and
//! lenient parsing do not go through this module.
//!
//! Each repair is listed once per message, in the order first met. A repair found between
//! messages (a stray token after a message, a header dropped) is recorded on the next message,
//! or, when the stream ends first, on the last message. The repairs are these strings:
//!
//! | repair | shape | what recover mode does |
//! | --- | --- | --- |
//! | `stray token after message` | `<\|return\|>`, `<\|end\|>`, `<\|call\|>`, `<\|constrain\|>`, another special token, whitespace or punctuation between messages; text after `<\|return\|>` or `<\|call\|>` (the completion had ended) | dropped |
//! | `text without header` | text where a header belongs (a refusal right after the prompt, JSON after `<\|end\|>`) | an assistant message with that text, on channel `analysis` when `<\|end\|>` or `<\|start\|>` follows it, `final` otherwise |
//! | `missing <\|start\|>` | a header (`<\|channel\|>…`, `commentary to=…`) right after a message | a new message (role assistant unless the header names one) |
//! | `missing header` | `<\|message\|>` right after a message | an assistant message on channel `final` |
//! | `repeated <\|start\|>` | `<\|start\|><\|start\|>assistant…`, or the prompt's `<\|start\|>assistant` again | the last header counts |
//! | `repeated role` | role `assistantassistant`, or the role word repeated | the role |
//! | `unknown role` | a header whose first word is no role (and no tool name) | role assistant |
//! | `missing role` | `<\|start\|><\|channel\|>…` with no role and none expected | role assistant |
//! | `header without <\|message\|>` | a header ended by a stop token, `<\|start\|>` or the end of the stream | the words after the header fields become the content; a header with neither content nor a tool recipient is dropped |
//! | `channel marker without a value` | `<\|channel\|><\|message\|>` | no channel |
//! | `channel without <\|channel\|>` | `commentary to=functions.f …` (a channel name with no marker) | that channel |
//! | `repeated channel marker` | a second `<\|channel\|>` (e.g. glued to a recipient: `to=functions.bash<\|channel\|>commentary`) | the first channel |
//! | `special token in recipient` | a recipient with another special-token spelling glued on | the recipient up to it |
//! | `special token in header` | another special token inside a header | dropped |
//! | `unexpected words in header` | words that are no role, recipient, channel or content type | dropped |
//! | `invalid UTF-8 in header` | header bytes that are not UTF-8 | decoded with U+FFFD |
//! | `function call on the analysis channel` | `<\|channel\|>analysis to=functions.f` | channel `commentary` (built-in tools stay) |
//! | `message not ended` | `<\|start\|>` or `<\|channel\|>` inside content (no `<\|end\|>` before the next message) | the message ends there and the next begins |
//! | `special token in content` | `<\|message\|>`, `<\|constrain\|>` or another special token inside content | dropped |
//! | `tool call ended by <\|end\|>` / `tool call ended by <\|return\|>` | an assistant message with a recipient ended by that token instead of `<\|call\|>` | a tool call as usual |
//! | `invalid UTF-8` | content bytes that are not UTF-8, or a character cut short by the end of the message | U+FFFD, and the text after it at once |
//! | `unknown token id` | an id outside the vocabulary (≥ 201088) | U+FFFD in content, dropped elsewhere |
//!
//! Not repairs: `<|constrain|>json` without a recipient is the content type (PR #144); a tool
//! call ended by the end of the stream is a tool call (engines strip `<|call|>`); `to=` before
//! or after `<|channel|>` are both well-formed.
//!
//! Text that may be a header is held until it ends, so a message recovered from a header (or
//! text without one) arrives as one delta on the token that ends it. In recover mode
//! [`StreamParser::last_content_delta`] is the loss-free [`StreamParser::content_delta`], and
//! streaming gives the same messages as a whole parse.

use super::header::{self, Header};
use super::{message, Delta, StreamParser, StreamState};
use crate::chat::{Author, Role};
use crate::tokenizer::{is_special, token_bytes, SpecialToken};

/// The repair strings (stable; see the module documentation).
pub mod repair {
    pub const STRAY_TOKEN: &str = "stray token after message";
    pub const TEXT_WITHOUT_HEADER: &str = "text without header";
    pub const MISSING_START: &str = "missing <|start|>";
    pub const MISSING_HEADER: &str = "missing header";
    pub const REPEATED_START: &str = "repeated <|start|>";
    pub const REPEATED_ROLE: &str = "repeated role";
    pub const UNKNOWN_ROLE: &str = "unknown role";
    pub const MISSING_ROLE: &str = "missing role";
    pub const HEADER_WITHOUT_MESSAGE: &str = "header without <|message|>";
    pub const CHANNEL_WITHOUT_VALUE: &str = "channel marker without a value";
    pub const CHANNEL_WITHOUT_MARKER: &str = "channel without <|channel|>";
    pub const REPEATED_CHANNEL: &str = "repeated channel marker";
    pub const SPECIAL_IN_RECIPIENT: &str = "special token in recipient";
    pub const SPECIAL_IN_HEADER: &str = "special token in header";
    pub const UNEXPECTED_WORDS: &str = "unexpected words in header";
    pub const INVALID_UTF8_HEADER: &str = "invalid UTF-8 in header";
    pub const ANALYSIS_CALL: &str = "function call on the analysis channel";
    pub const NOT_ENDED: &str = "message not ended";
    pub const SPECIAL_IN_CONTENT: &str = "special token in content";
    pub const CALL_ENDED_BY_END: &str = "tool call ended by <|end|>";
    pub const CALL_ENDED_BY_RETURN: &str = "tool call ended by <|return|>";
    pub const INVALID_UTF8: &str = "invalid UTF-8";
    pub const UNKNOWN_ID: &str = "unknown token id";

    /// Every repair string.
    pub fn all() -> &'static [&'static str] {
        &ALL
    }

    // Private: cbindgen would export a public constant array into harmony.h.
    const ALL: [&str; 23] = [
        STRAY_TOKEN,
        TEXT_WITHOUT_HEADER,
        MISSING_START,
        MISSING_HEADER,
        REPEATED_START,
        REPEATED_ROLE,
        UNKNOWN_ROLE,
        MISSING_ROLE,
        HEADER_WITHOUT_MESSAGE,
        CHANNEL_WITHOUT_VALUE,
        CHANNEL_WITHOUT_MARKER,
        REPEATED_CHANNEL,
        SPECIAL_IN_RECIPIENT,
        SPECIAL_IN_HEADER,
        UNEXPECTED_WORDS,
        INVALID_UTF8_HEADER,
        ANALYSIS_CALL,
        NOT_ENDED,
        SPECIAL_IN_CONTENT,
        CALL_ENDED_BY_END,
        CALL_ENDED_BY_RETURN,
        INVALID_UTF8,
        UNKNOWN_ID,
    ];
}

use repair::*;

/// Recover mode's state beside the parser's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recovery {
    /// Repairs of the message being read.
    pub(crate) current: Vec<String>,
    /// Repairs found between messages, for the next message.
    between: Vec<String>,
    /// The header being read began without `<|start|>` (text or `<|channel|>` after a message).
    implicit: bool,
    /// Role of a header that names none (the message a `<|channel|>` interrupted).
    role_hint: Option<Role>,
    /// The last message ended the completion (`<|return|>` or `<|call|>`): text after it with
    /// no header is stray, not a message.
    after_terminal: bool,
}

fn push_unique(list: &mut Vec<String>, r: &str) {
    if !list.iter().any(|x| x == r) {
        list.push(r.to_string());
    }
}

enum Tok {
    Start,
    Message,
    Channel,
    Constrain,
    Stop(u32),
    OtherSpecial,
    Unknown,
    Text(&'static [u8]),
}

fn classify(t: u32) -> Tok {
    match t {
        _ if t == SpecialToken::Start.id() => Tok::Start,
        _ if t == SpecialToken::Message.id() => Tok::Message,
        _ if t == SpecialToken::Channel.id() => Tok::Channel,
        _ if t == SpecialToken::Constrain.id() => Tok::Constrain,
        _ if crate::tokenizer::STOP_TOKENS.contains(&t) => Tok::Stop(t),
        _ if is_special(t) => Tok::OtherSpecial,
        _ => token_bytes(t).map_or(Tok::Unknown, Tok::Text),
    }
}

impl StreamParser {
    fn note(&mut self, r: &str) {
        push_unique(&mut self.rec.current, r);
    }

    fn note_between(&mut self, r: &str) {
        push_unique(&mut self.rec.between, r);
    }

    /// Starts a header (the repairs found between messages go to it).
    fn enter_header(&mut self, first: Option<u32>) {
        self.rec.current = std::mem::take(&mut self.rec.between);
        self.rec.implicit = false;
        self.header_tokens.clear();
        self.header_tokens.extend(first);
        self.state = StreamState::Header;
    }

    pub(super) fn step_recover(&mut self, token: Option<u32>) {
        match self.state {
            StreamState::ExpectStart => self.recover_between(token),
            StreamState::Header => self.recover_header(token),
            StreamState::Content => self.recover_content(token),
        }
        if self.finished {
            // Repairs found after the last message belong to it.
            let between = std::mem::take(&mut self.rec.between);
            if let Some(m) = self.messages.last_mut() {
                for r in &between {
                    push_unique(&mut m.repairs, r);
                }
            }
        }
    }

    fn recover_between(&mut self, token: Option<u32>) {
        let Some(t) = token else { return };
        match classify(t) {
            Tok::Start => self.enter_header(None),
            Tok::Channel => {
                let role = self.implied_role();
                self.enter_header(Some(t));
                self.rec.implicit = true;
                self.rec.role_hint = Some(role);
                self.note(MISSING_START);
            }
            Tok::Message => {
                self.enter_header(None);
                self.note(MISSING_HEADER);
                self.begin_recovered_content(text_header(self.implied_role(), "final"));
            }
            Tok::Stop(_) | Tok::Constrain | Tok::OtherSpecial => self.note_between(STRAY_TOKEN),
            Tok::Unknown => self.note_between(UNKNOWN_ID),
            Tok::Text(_) => {
                // Text where `<|start|>` belongs: a header without it, or text without any
                // header; which one is known when it ends.
                let role = self.implied_role();
                self.enter_header(Some(t));
                self.rec.implicit = true;
                self.rec.role_hint = Some(role);
            }
        }
    }

    fn implied_role(&self) -> Role {
        self.next_role.or(self.rec.role_hint).unwrap_or(Role::Assistant)
    }

    fn recover_header(&mut self, token: Option<u32>) {
        let Some(t) = token else {
            self.header_without_message(None);
            return;
        };
        match classify(t) {
            Tok::Message => {
                if self.rec.implicit {
                    self.note(MISSING_START);
                }
                let h = self.recovered_header();
                self.begin_recovered_content(h);
            }
            Tok::Start => {
                let text = self.header_text();
                let items = items(&text);
                if items.is_empty() || (items.len() == 1 && role_word(&items, self.next_role).is_some()) {
                    // `<|start|>assistant<|start|>assistant…`: the last header counts.
                    self.header_tokens.clear();
                    self.note(REPEATED_START);
                } else {
                    self.header_without_message(Some(t));
                    self.enter_header(None);
                }
            }
            Tok::Stop(_) => self.header_without_message(Some(t)),
            Tok::Channel | Tok::Constrain | Tok::Text(_) => self.header_tokens.push(t),
            Tok::OtherSpecial => self.note(SPECIAL_IN_HEADER),
            Tok::Unknown => self.note(UNKNOWN_ID),
        }
    }

    fn recover_content(&mut self, token: Option<u32>) {
        let Some(t) = token else {
            self.finish_recovered();
            return;
        };
        match classify(t) {
            Tok::Text(b) => self.push_recovered(b),
            Tok::Unknown => {
                let before = self.text.len();
                if self.decoder.finish(&mut self.text) {
                    self.note(INVALID_UTF8);
                }
                self.text.push('\u{FFFD}');
                self.note(UNKNOWN_ID);
                self.delta = Delta::Current(self.text.len() - before);
            }
            Tok::Stop(s) => {
                if self.header.author.role == Role::Assistant && self.header.recipient.is_some() {
                    if s == SpecialToken::End.id() {
                        self.note(CALL_ENDED_BY_END);
                    } else if s == SpecialToken::Return.id() {
                        self.note(CALL_ENDED_BY_RETURN);
                    }
                }
                self.finish_recovered();
                self.rec.after_terminal = s != SpecialToken::End.id();
            }
            Tok::Start => {
                self.note(NOT_ENDED);
                self.finish_recovered();
                self.enter_header(None);
            }
            Tok::Channel => {
                self.note(NOT_ENDED);
                let role = self.header.author.role;
                self.finish_recovered();
                self.enter_header(Some(t));
                self.rec.role_hint = Some(role);
            }
            Tok::Message | Tok::Constrain | Tok::OtherSpecial => self.note(SPECIAL_IN_CONTENT),
        }
    }

    fn begin_recovered_content(&mut self, header: Header) {
        self.next_role = None;
        self.rec.role_hint = None;
        self.header_tokens.clear();
        self.begin_content(header);
    }

    fn push_recovered(&mut self, bytes: &[u8]) {
        let before = self.text.len();
        if self.decoder.push(bytes, &mut self.text) {
            self.note(INVALID_UTF8);
        }
        let n = self.text.len() - before;
        if n > 0 {
            self.delta = Delta::Current(n);
        }
    }

    fn finish_recovered(&mut self) {
        self.rec.after_terminal = false;
        let before = self.text.len();
        if self.decoder.finish(&mut self.text) {
            self.note(INVALID_UTF8);
        }
        let n = self.text.len() - before;
        let header = std::mem::replace(&mut self.header, Header::empty());
        let text = std::mem::take(&mut self.text);
        let repairs = std::mem::take(&mut self.rec.current);
        self.messages.push(message(header, text, repairs));
        self.delta = if n > 0 { Delta::Completed(n) } else { Delta::None };
        self.state = StreamState::ExpectStart;
    }

    /// The header text so far, decoded (lossily, with a repair).
    fn header_text(&mut self) -> String {
        let mut bytes = Vec::new();
        for &t in &self.header_tokens {
            bytes.extend_from_slice(token_bytes(t).unwrap_or_default());
        }
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                self.note(INVALID_UTF8_HEADER);
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        }
    }

    /// The header of the tokens before `<|message|>`: strict parsing's (with the PR #144 fix)
    /// when that succeeds and looks sane, otherwise the repairing reading.
    fn recovered_header(&mut self) -> Header {
        let text = self.header_text();
        let role = self.next_role;
        let given = role.or(self.rec.role_hint);
        let strict = header::parse_header(&text, given, true, true).ok().filter(|(h, rest)| rest.is_none() && sane(h, given));
        let mut h = match strict {
            Some((h, _)) => h,
            None => {
                let items = items(&text);
                let mut repairs = Vec::new();
                let (h, _) = read_header(&items, &text, role, self.rec.role_hint, false, &mut repairs);
                for r in repairs {
                    self.note(r);
                }
                h
            }
        };
        if h.author.role == Role::Assistant
            && h.channel.as_deref() == Some("analysis")
            && h.recipient.as_deref().is_some_and(|r| r.starts_with("functions."))
        {
            h.channel = Some("commentary".into());
            self.note(ANALYSIS_CALL);
        }
        h
    }

    /// A header ended without `<|message|>` by `end` (a stop token, `<|start|>`, or `None`
    /// for the end of the stream): its leftover words are the content, or it is dropped. Text
    /// with no header at all is a message of its own: on channel `analysis` when `<|end|>` or
    /// `<|start|>` follows it (the completion goes on, as after gpt-oss's reasoning), `final`
    /// otherwise.
    fn header_without_message(&mut self, end: Option<u32>) {
        let text = self.header_text();
        let implicit = self.rec.implicit;
        let goes_on = end.is_some_and(|t| t == SpecialToken::End.id() || t == SpecialToken::Start.id());
        let channel = if goes_on { "analysis" } else { "final" };
        let role = self.next_role;
        let hint = self.rec.role_hint;
        self.header_tokens.clear();
        self.state = StreamState::ExpectStart;
        self.next_role = None;
        self.rec.role_hint = None;
        let items = items(&text);
        let mut repairs = Vec::new();
        let author = role.or(hint).unwrap_or(Role::Assistant);
        let looks_like_header = items.iter().any(|i| i.kind.is_field())
            || role_word(&items, role).is_some()
            || matches!(items.first(), Some(Item { kind: Kind::Word(w), .. }) if KNOWN_CHANNELS.contains(w));
        let (header, content) = if looks_like_header {
            if implicit {
                repairs.push(MISSING_START);
            }
            let (h, rest) = read_header(&items, &text, role, hint, true, &mut repairs);
            repairs.push(HEADER_WITHOUT_MESSAGE);
            (h, rest)
        } else if !text.chars().any(char::is_alphanumeric) || (implicit && self.rec.after_terminal) {
            // Whitespace or punctuation where a message belongs, or text after the completion
            // ended.
            if !text.is_empty() {
                self.note_between(STRAY_TOKEN);
            }
            (text_header(author, channel), String::new())
        } else {
            repairs.push(TEXT_WITHOUT_HEADER);
            (text_header(author, channel), text.trim().to_string())
        };
        for r in repairs {
            self.note(r);
        }
        let addressed = header.recipient.as_deref().is_some_and(|r| Role::from_wire(r).is_none());
        if content.is_empty() && !addressed {
            // Nothing the model said: the repairs go to the next message.
            let current = std::mem::take(&mut self.rec.current);
            for r in current {
                self.note_between(&r);
            }
            if looks_like_header {
                self.note_between(HEADER_WITHOUT_MESSAGE);
            }
            return;
        }
        let n = content.len();
        let repairs = std::mem::take(&mut self.rec.current);
        self.messages.push(message(header, content, repairs));
        self.rec.after_terminal = end.is_some_and(|t| t == SpecialToken::Return.id() || t == SpecialToken::Call.id());
        if n > 0 {
            self.delta = Delta::Completed(n);
        }
    }
}

fn text_header(role: Role, channel: &str) -> Header {
    Header { author: Author { role, name: None }, recipient: None, channel: Some(channel.into()), content_type: None }
}

/// Whether a header strict parsing accepted needs no repair.
fn sane(h: &Header, role: Option<Role>) -> bool {
    let fields = [h.recipient.as_deref(), h.channel.as_deref(), h.author.name.as_deref()];
    let content_type = h.content_type.as_deref().map(|c| c.strip_prefix("<|constrain|>").unwrap_or(c));
    let marker_free = fields.iter().chain([&content_type]).flatten().all(|f| !f.contains("<|"));
    let repeated = fields.iter().flatten().any(|f| repeated_role(f).is_some() || role.is_some_and(|r| *f == r.as_str()));
    marker_free && !repeated
}

/// `assistantassistant` (a role name written twice or more) → the role.
fn repeated_role(word: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|r| {
        let n = r.as_str();
        word.len() >= 2 * n.len() && word.len() % n.len() == 0 && word.as_bytes().chunks(n.len()).all(|c| c == n.as_bytes())
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    Word(&'a str),
    Channel(&'a str),
    Constrain(&'a str),
    To(&'a str),
    Marker,
}

impl Kind<'_> {
    fn is_field(&self) -> bool {
        matches!(self, Kind::Channel(_) | Kind::Constrain(_) | Kind::To(_))
    }
}

#[derive(Debug, Clone, Copy)]
struct Item<'a> {
    kind: Kind<'a>,
    /// Byte offset where the item starts.
    at: usize,
    /// Whether a special-token spelling follows with no space.
    glued: bool,
}

const KNOWN_CHANNELS: [&str; 3] = ["analysis", "commentary", "final"];

/// Splits header text into words, `to=` recipients, `<|channel|>`/`<|constrain|>` values and
/// other special-token spellings.
fn items(text: &str) -> Vec<Item<'_>> {
    let mut out: Vec<Item> = Vec::new();
    let mut i = 0;
    let end_of_value = |from: usize| text[from..].find(|c: char| c.is_whitespace() || c == '<').map_or(text.len(), |n| from + n);
    while i < text.len() {
        let c = text[i..].chars().next().expect("in bounds");
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let glue_previous = |out: &mut Vec<Item>, i: usize| {
            if let Some(last) = out.last_mut() {
                if i > 0 && !text[..i].ends_with(char::is_whitespace) {
                    last.glued = true;
                }
            }
        };
        if text[i..].starts_with("<|") {
            if let Some(close) = text[i + 2..].find("|>") {
                let marker = &text[i..i + 2 + close + 2];
                glue_previous(&mut out, i);
                let after = i + marker.len();
                if marker == "<|channel|>" || marker == "<|constrain|>" {
                    let mut vend = end_of_value(after);
                    let mut value = &text[after..vend];
                    if value.is_empty() && marker == "<|channel|>" {
                        // `<|channel|> final`: the next word, if it is a channel name.
                        let start = text[after..].find(|c: char| !c.is_whitespace()).map_or(text.len(), |n| after + n);
                        let e = end_of_value(start);
                        if KNOWN_CHANNELS.contains(&&text[start..e]) {
                            value = &text[start..e];
                            vend = e;
                        }
                    }
                    let kind = if marker == "<|channel|>" { Kind::Channel(value) } else { Kind::Constrain(value) };
                    out.push(Item { kind, at: i, glued: false });
                    i = vend;
                } else {
                    out.push(Item { kind: Kind::Marker, at: i, glued: false });
                    i = after;
                }
                continue;
            }
        }
        // A word: up to whitespace or a special-token spelling.
        let mut e = i;
        while e < text.len() {
            let c = text[e..].chars().next().expect("in bounds");
            if c.is_whitespace() || (e > i && text[e..].starts_with("<|") && text[e + 2..].contains("|>")) {
                break;
            }
            e += c.len_utf8();
        }
        let word = &text[i..e];
        let kind = match word.strip_prefix("to=") {
            Some(r) => Kind::To(r),
            None => Kind::Word(word),
        };
        out.push(Item { kind, at: i, glued: false });
        i = e;
    }
    out
}

/// The role the first item names, if it is a role word (or a repeated one).
fn role_word(items: &[Item], given: Option<Role>) -> Option<(Role, bool)> {
    let Some(Item { kind: Kind::Word(w), .. }) = items.first() else { return None };
    if let Some(r) = Role::from_wire(w) {
        return (given.is_none() || given == Some(r)).then_some((r, false));
    }
    repeated_role(w).filter(|r| given.is_none() || given == Some(*r)).map(|r| (r, true))
}

/// Reads a header from its items, repairing what does not fit. With `content_after`, the
/// header ends at the first item that is no header field and the text from there is returned
/// as content (a header whose `<|message|>` is missing); otherwise stray words are dropped.
fn read_header(
    items: &[Item],
    text: &str,
    given: Option<Role>,
    hint: Option<Role>,
    content_after: bool,
    repairs: &mut Vec<&'static str>,
) -> (Header, String) {
    let mut rest = items;
    let mut name = None;
    let first_is_channel = matches!(rest.first(), Some(Item { kind: Kind::Word(w), .. }) if KNOWN_CHANNELS.contains(w));
    let role = match role_word(rest, given).filter(|_| !first_is_channel) {
        Some((r, repeated)) => {
            if repeated {
                repairs.push(REPEATED_ROLE);
            }
            rest = &rest[1..];
            r
        }
        None => match (given, rest.first().map(|i| i.kind)) {
            (Some(r), _) => r,
            // An unknown author followed by header fields is a tool speaking (as in strict).
            (None, Some(Kind::Word(w))) if !first_is_channel && !content_after && (w.contains('.') || rest.len() > 1) => {
                name = Some(w.to_string());
                rest = &rest[1..];
                Role::Tool
            }
            (None, Some(Kind::Word(_))) if !first_is_channel && !content_after => {
                repairs.push(UNKNOWN_ROLE);
                rest = &rest[1..];
                hint.unwrap_or(Role::Assistant)
            }
            (None, _) => {
                if hint.is_none() {
                    repairs.push(MISSING_ROLE);
                }
                hint.unwrap_or(Role::Assistant)
            }
        },
    };
    // The role word written again (`assistant assistant<|channel|>…`).
    while let Some(Item { kind: Kind::Word(w), .. }) = rest.first() {
        if *w == role.as_str() || repeated_role(w) == Some(role) {
            repairs.push(REPEATED_ROLE);
            rest = &rest[1..];
        } else {
            break;
        }
    }
    let mut channel: Option<String> = None;
    let mut recipient: Option<String> = None;
    let mut content_type: Option<String> = None;
    let mut words: Vec<&str> = Vec::new();
    let mut content = String::new();
    for (k, item) in rest.iter().enumerate() {
        match item.kind {
            Kind::Channel("") => repairs.push(CHANNEL_WITHOUT_VALUE),
            Kind::Channel(c) => {
                if channel.is_some() {
                    repairs.push(REPEATED_CHANNEL);
                } else {
                    channel = Some(c.to_string());
                }
            }
            Kind::Constrain(c) => {
                if content_type.is_none() {
                    content_type = Some(format!("<|constrain|>{c}"));
                }
            }
            Kind::To("") => repairs.push(UNEXPECTED_WORDS),
            Kind::To(r) => {
                if item.glued && !matches!(rest.get(k + 1).map(|i| i.kind), Some(Kind::Channel(_) | Kind::Constrain(_))) {
                    repairs.push(SPECIAL_IN_RECIPIENT);
                }
                if recipient.is_none() {
                    recipient = Some(r.to_string());
                } else {
                    repairs.push(UNEXPECTED_WORDS);
                }
            }
            Kind::Marker => repairs.push(SPECIAL_IN_HEADER),
            // `commentary to=…`: a channel name with no `<|channel|>` before it.
            Kind::Word(w) if channel.is_none() && words.is_empty() && content.is_empty() && KNOWN_CHANNELS.contains(&w) => {
                channel = Some(w.to_string());
                repairs.push(CHANNEL_WITHOUT_MARKER);
            }
            Kind::Word(w) if content_after => {
                // `<|channel|>commentary json` keeps its content type; anything else begins the content.
                let is_type = content_type.is_none() && words.is_empty() && matches!(w, "json" | "code" | "text");
                if is_type && rest.get(k + 1).is_none_or(|n| n.kind.is_field()) {
                    words.push(w);
                    continue;
                }
                content = text[item.at..].trim_end().to_string();
                break;
            }
            Kind::Word(w) => words.push(w),
        }
    }
    // Plain words: the last is the content type, the one before it the recipient (as strict
    // parsing reads them); a lone word is the recipient only if it looks like one.
    if content_type.is_none() {
        if let Some(w) = words.pop() {
            if recipient.is_none() && words.is_empty() && (w.contains('.') || w == "python") {
                recipient = Some(w.to_string());
            } else {
                content_type = Some(w.to_string());
            }
        }
    }
    if recipient.is_none() {
        if let Some(w) = words.pop() {
            recipient = Some(w.to_string());
        }
    }
    if !words.is_empty() {
        repairs.push(UNEXPECTED_WORDS);
    }
    (Header { author: Author { role, name }, recipient, channel, content_type }, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, role: Option<Role>) -> (Header, Vec<&'static str>) {
        let mut repairs = Vec::new();
        let (h, _) = read_header(&items(text), text, role, None, false, &mut repairs);
        (h, repairs)
    }

    #[test]
    fn glued_second_channel_and_repeated_role() {
        let (h, r) = read("assistant<|channel|>commentary to=functions.bash<|channel|>commentary json", None);
        assert_eq!(h.recipient.as_deref(), Some("functions.bash"));
        assert_eq!(h.channel.as_deref(), Some("commentary"));
        assert_eq!(h.content_type.as_deref(), Some("json"));
        assert_eq!(r, vec![REPEATED_CHANNEL]);
        let (h, r) = read("assistantassistant<|channel|>final", None);
        assert_eq!((h.author.role, h.recipient), (Role::Assistant, None));
        assert_eq!(r, vec![REPEATED_ROLE]);
        assert_eq!(repeated_role("useruser"), Some(Role::User));
        assert_eq!(repeated_role("assistan"), None);
    }

    #[test]
    fn every_repair_string_is_distinct() {
        let mut all = repair::all().to_vec();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), repair::all().len());
    }
}
