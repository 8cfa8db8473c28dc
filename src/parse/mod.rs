//! Completion tokens → messages, all at once or one token at a time.
//!
//! [`StreamParser`] is a state machine with the same observable state as openai-harmony
//! 0.0.8's `StreamableParser` after every token, and the same errors. Unlike 0.0.8 it keeps
//! the message text as text: each token costs the same however long the message is.

mod header;
pub mod event;

pub use header::Header;

use crate::chat::{Content, Message, Role, TextContent};
use crate::error::{Error, Result};
use crate::tokenizer::{decode_utf8, token_bytes, SpecialToken, STOP_TOKENS};

/// Options for parsing completions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Strict (default): a stop token inside a header is an error. Lenient: a header cut
    /// short by a stop token (only for the first message, when a role was given) becomes a
    /// message whose content is the header's leftover words.
    pub strict: bool,
    /// Read a lone `<|constrain|>…` header word as the content type rather than as the
    /// recipient (the fix of openai/harmony PR #144). Off by default for parity with 0.0.8.
    pub fix_constrain_recipient: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { strict: true, fix_constrain_recipient: false }
    }
}

impl ParseOptions {
    /// Lenient parsing, otherwise default.
    pub fn lenient() -> Self {
        ParseOptions { strict: false, ..Default::default() }
    }
}

/// Where the parser is within the current message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    /// Waiting for `<|start|>`.
    ExpectStart,
    /// Reading the header, up to `<|message|>`.
    Header,
    /// Reading the content, up to a stop token or the end of the stream.
    Content,
}

impl StreamState {
    /// `"ExpectStart"`, `"Header"` or `"Content"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::ExpectStart => "ExpectStart",
            StreamState::Header => "Header",
            StreamState::Content => "Content",
        }
    }
}

#[derive(Debug, Clone)]
enum State {
    ExpectStart,
    Header { tokens: Vec<u32> },
    Content { header: Header, text: String },
}

/// Incremental parser: feed tokens with [`process`](Self::process), end with
/// [`process_eos`](Self::process_eos), read messages and deltas at any point.
#[derive(Debug, Clone)]
pub struct StreamParser {
    options: ParseOptions,
    next_role: Option<Role>,
    state: State,
    messages: Vec<Message>,
    /// Length of the last content delta, which is always the tail of the current text
    /// (kept as a length so that streaming allocates nothing per token).
    last_delta: Option<usize>,
    /// Bytes of a UTF-8 character not yet complete.
    pending_bytes: Vec<u8>,
    /// Start of the pending bytes within `pending_bytes` (consumed bytes are dropped in bulk,
    /// so tokens that each leave invalid bytes behind cost O(1), not O(backlog)).
    pending_start: usize,
    /// Tokens held after an unknown id poisoned the current message (as 0.0.8 does).
    undecodable: Vec<u32>,
    tokens: Vec<u32>,
}

impl StreamParser {
    /// A parser at the start of a completion. With `role`, the completion is expected to
    /// begin inside the header of a message by that role (as after rendering for completion).
    pub fn new(role: Option<Role>, options: ParseOptions) -> Self {
        StreamParser {
            options,
            next_role: role,
            state: if role.is_some() { State::Header { tokens: Vec::new() } } else { State::ExpectStart },
            messages: Vec::new(),
            last_delta: None,
            pending_bytes: Vec::new(),
            pending_start: 0,
            undecodable: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// Consumes one token.
    pub fn process(&mut self, token: u32) -> Result<&mut Self> {
        self.tokens.push(token);
        self.step(Some(token))?;
        Ok(self)
    }

    /// Signals the end of the stream, finishing a message in progress.
    pub fn process_eos(&mut self) -> Result<&mut Self> {
        self.step(None)?;
        Ok(self)
    }

    fn step(&mut self, token: Option<u32>) -> Result<()> {
        match &mut self.state {
            State::ExpectStart => match token {
                Some(t) if t == SpecialToken::Start.id() => self.state = State::Header { tokens: Vec::new() },
                Some(t) => {
                    return Err(Error::Parse(format!(
                        "unexpected token {t} while expecting <|start|> ({})",
                        SpecialToken::Start.id()
                    )))
                }
                None => {}
            },
            State::Header { tokens } => match token {
                Some(t) if t == SpecialToken::Message.id() => {
                    let header_tokens = std::mem::take(tokens);
                    self.state = State::ExpectStart;
                    let text = decode_utf8(&header_tokens)
                        .map_err(|e| Error::Parse(format!("could not decode message header: {e}")))?;
                    let (header, rest) =
                        header::parse_header(&text, self.next_role, true, self.options.fix_constrain_recipient)
                            .map_err(Error::Parse)?;
                    if let Some(rest) = rest {
                        return Err(Error::Parse(format!("unexpected words in message header: {rest:?}")));
                    }
                    self.next_role = None;
                    self.state = State::Content { header, text: String::new() };
                }
                Some(t) if !self.options.strict && STOP_TOKENS.contains(&t) => {
                    if let Some(role) = self.next_role {
                        if !tokens.is_empty() {
                            let text = decode_utf8(tokens)
                                .map_err(|e| Error::Parse(format!("could not decode message header: {e}")))?;
                            let (header, rest) = header::parse_header(&text, Some(role), false, false)
                                .map_err(Error::Parse)?;
                            self.messages.push(message(header, rest.unwrap_or_default()));
                        }
                    }
                    self.state = State::ExpectStart;
                    self.next_role = None;
                }
                Some(t) => tokens.push(t),
                None => return Err(Error::Parse("unexpected end of stream inside a message header".into())),
            },
            State::Content { .. } => match token {
                Some(t) if !STOP_TOKENS.contains(&t) => self.push_content(t),
                _ => self.finish_message(),
            },
        }
        Ok(())
    }

    fn push_content(&mut self, token: u32) {
        let State::Content { text, .. } = &mut self.state else { return };
        let bytes = match token_bytes(token) {
            Some(b) if self.undecodable.is_empty() => b,
            _ => {
                // 0.0.8 holds every token from an unknown id on and never decodes them.
                self.undecodable.push(token);
                self.last_delta = None;
                return;
            }
        };
        // Fast path: nothing pending and the token is whole UTF-8 (nearly every token).
        if self.pending_start == self.pending_bytes.len() {
            self.pending_bytes.clear();
            self.pending_start = 0;
            if let Ok(s) = std::str::from_utf8(bytes) {
                text.push_str(s);
                self.last_delta = Some(s.len());
                return;
            }
        }
        self.pending_bytes.extend_from_slice(bytes);
        match std::str::from_utf8(&self.pending_bytes[self.pending_start..]) {
            Ok(s) => {
                text.push_str(s);
                self.last_delta = Some(s.len());
                self.pending_bytes.clear();
                self.pending_start = 0;
            }
            Err(e) => {
                let before = text.len();
                let valid = e.valid_up_to();
                if valid > 0 {
                    let start = self.pending_start;
                    text.push_str(std::str::from_utf8(&self.pending_bytes[start..start + valid]).expect("valid prefix"));
                    self.pending_start += valid;
                }
                match e.error_len() {
                    Some(bad) => {
                        text.push('\u{FFFD}');
                        self.pending_start += bad;
                    }
                    None => self.last_delta = None,
                }
                if text.len() > before {
                    self.last_delta = Some(text.len() - before);
                }
                // Drop consumed bytes once they are at least half the buffer: amortised O(1).
                if self.pending_start * 2 >= self.pending_bytes.len() {
                    self.pending_bytes.drain(..self.pending_start);
                    self.pending_start = 0;
                }
            }
        }
    }

    fn finish_message(&mut self) {
        let State::Content { header, mut text } = std::mem::replace(&mut self.state, State::ExpectStart) else {
            return;
        };
        if !self.undecodable.is_empty() {
            text.push('\u{FFFD}');
        }
        text.push_str(&String::from_utf8_lossy(&self.pending_bytes[self.pending_start..]));
        self.messages.push(message(header, text));
        self.last_delta = None;
        self.undecodable.clear();
        self.pending_bytes.clear();
        self.pending_start = 0;
    }

    /// Where the parser is.
    pub fn state(&self) -> StreamState {
        match self.state {
            State::ExpectStart => StreamState::ExpectStart,
            State::Header { .. } => StreamState::Header,
            State::Content { .. } => StreamState::Content,
        }
    }

    /// Messages completed so far.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Takes the parser apart, returning its completed messages.
    pub fn into_messages(self) -> Vec<Message> {
        self.messages
    }

    /// Every token processed so far.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Text of the current message so far (empty outside content).
    pub fn current_content(&self) -> &str {
        match &self.state {
            State::Content { text, .. } => text,
            _ => "",
        }
    }

    fn header(&self) -> Option<&Header> {
        match &self.state {
            State::Content { header, .. } => Some(header),
            _ => None,
        }
    }

    /// Role of the current message: from its header, or the role the parser expects next.
    pub fn current_role(&self) -> Option<Role> {
        self.header().map(|h| h.author.role).or(self.next_role)
    }

    /// Channel of the current message, once its header is complete.
    pub fn current_channel(&self) -> Option<&str> {
        self.header().and_then(|h| h.channel.as_deref())
    }

    /// Recipient of the current message, once its header is complete.
    pub fn current_recipient(&self) -> Option<&str> {
        self.header().and_then(|h| h.recipient.as_deref())
    }

    /// Content type of the current message, once its header is complete.
    pub fn current_content_type(&self) -> Option<&str> {
        self.header().and_then(|h| h.content_type.as_deref())
    }

    /// Text added to the content by the last token, if any (`None` while a UTF-8 character
    /// is incomplete, outside content, and after a message ends).
    pub fn last_content_delta(&self) -> Option<&str> {
        let text = self.current_content();
        self.last_delta.map(|n| &text[text.len() - n..])
    }
}

fn message(h: Header, text: String) -> Message {
    Message {
        author: h.author,
        recipient: h.recipient,
        content: vec![Content::Text(TextContent { text })],
        channel: h.channel,
        content_type: h.content_type,
    }
}

/// Parses a whole completion into messages.
pub fn parse_completion(tokens: &[u32], role: Option<Role>, options: ParseOptions) -> Result<Vec<Message>> {
    let mut p = StreamParser::new(role, options);
    for &t in tokens {
        p.process(t)?;
    }
    p.process_eos()?;
    Ok(p.into_messages())
}
