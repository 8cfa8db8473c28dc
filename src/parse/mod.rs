//! Completion tokens → messages, all at once or one token at a time.
//!
//! [`StreamParser`] is a state machine with the same observable state as openai-harmony
//! 0.0.8's `StreamableParser` after every token, and the same errors (strict and lenient
//! modes). Unlike 0.0.8 it keeps the message text as text: each token costs the same however
//! long the message is. [`ParseOptions::recover`] selects the recovering mode of
//! [`recover`], which never fails on valid token ids and records what it
//! repaired in [`Message::repairs`].
//!
//! Two delta accessors: [`StreamParser::last_content_delta`] is 0.0.8's (golden-checked), which
//! after an invalid UTF-8 sequence holds text back and never delivers the U+FFFD that ends a
//! message cut inside a character; [`StreamParser::content_delta`] never loses text: for every
//! message, the content deltas of the tokens from its `<|message|>` through the token that
//! completed it, joined, are exactly its content. In recover mode both are the same.

mod force;
mod header;
pub mod event;
pub mod recover;
mod utf8;

pub use force::Answer;
pub use header::Header;

use crate::chat::{Author, Content, Message, Role, TextContent};
use crate::error::{Error, Result};
use crate::tokenizer::{decode_utf8, token_bytes, SpecialToken, STOP_TOKENS};
use utf8::Utf8Stream;

/// Options for parsing completions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Strict (default): as openai-harmony 0.0.8's strict mode. A stop token inside a header
    /// is *not* rejected: like 0.0.8 it is kept as header text (so
    /// `<|channel|>final<|end|><|start|>assistant<|channel|>final<|message|>` gives recipient
    /// `<|end|><|start|>assistant<|channel|>final`), and the parse fails only if the stream
    /// then ends before `<|message|>`. Lenient: a header cut short by a stop token (only for
    /// the first message, when a role was given) becomes a message whose content is the
    /// header's leftover words. Ignored in recover mode.
    pub strict: bool,
    /// Read a lone `<|constrain|>…` header word as the content type rather than as the
    /// recipient (the fix of openai/harmony PR #144). Off by default for parity with 0.0.8;
    /// always on in recover mode.
    pub fix_constrain_recipient: bool,
    /// Recover mode ([`recover`]): never fail on a sequence of valid token
    /// ids, yield the messages the model evidently meant and list the repairs in each
    /// message's [`Message::repairs`]. Not 0.0.8's behaviour; off by default.
    pub recover: bool,
    /// Keep each message's exact tokens in [`Message::tokens`](crate::Message) (C:
    /// `HARMONY_PARSE_KEEP_TOKENS`), so that rendering it again reproduces them verbatim.
    pub keep_tokens: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { strict: true, fix_constrain_recipient: false, recover: false, keep_tokens: false }
    }
}

impl ParseOptions {
    /// Lenient parsing, otherwise default.
    pub fn lenient() -> Self {
        ParseOptions { strict: false, ..Default::default() }
    }

    /// Recover mode (which implies the PR #144 constrain fix).
    pub fn recover() -> Self {
        ParseOptions { strict: false, fix_constrain_recipient: true, recover: true, keep_tokens: false }
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

/// The delta of the last token, as [`StreamParser::content_delta`] returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delta {
    None,
    /// The last `n` bytes of the current content.
    Current(usize),
    /// The text in `delta_buf`.
    Buffered,
    /// The last `n` bytes of the content of the message just completed.
    Completed(usize),
}

/// Incremental parser: feed tokens with [`process`](Self::process), end with
/// [`process_eos`](Self::process_eos), read messages and deltas at any point.
///
/// After `process_eos` the parser is finished: `process` and `process_eos` fail with
/// [`Error::InvalidArgument`] ("the parser is already finished"); the accessors keep working.
#[derive(Debug, Clone)]
pub struct StreamParser {
    options: ParseOptions,
    next_role: Option<Role>,
    /// Where the parser is. The header, header tokens and text below are plain fields, always
    /// initialised, so that no accessor reads memory of an inactive enum variant.
    state: StreamState,
    /// Tokens of the header being read (state `Header`).
    header_tokens: Vec<u32>,
    /// Header of the current message (meaningful in state `Content` only).
    header: Header,
    /// Content of the current message so far (0.0.8's view in strict and lenient modes).
    text: String,
    messages: Vec<Message>,
    /// Length of 0.0.8's last content delta, which is always the tail of `text` (kept as a
    /// length so that streaming allocates nothing per token).
    last_delta: Option<usize>,
    /// The loss-free delta of the last token ([`Self::content_delta`]).
    delta: Delta,
    delta_buf: String,
    /// Bytes of content delivered through `content_delta` for the current message.
    streamed: usize,
    /// The loss-free decoder behind `content_delta` (strict/lenient) or `text` (recover).
    decoder: Utf8Stream,
    /// Bytes of a UTF-8 character not yet complete (0.0.8's decoder).
    pending_bytes: Vec<u8>,
    /// Start of the pending bytes within `pending_bytes` (consumed bytes are dropped in bulk,
    /// so tokens that each leave invalid bytes behind cost O(1), not O(backlog)).
    pending_start: usize,
    /// Tokens held after an unknown id poisoned the current message (as 0.0.8 does).
    undecodable: Vec<u32>,
    tokens: Vec<u32>,
    finished: bool,
    /// Recover mode's bookkeeping.
    rec: recover::Recovery,
    /// Where the next message's tokens start in `tokens` (for `keep_tokens`).
    message_start: usize,
    /// The role a parser created with one expects first: its `<|start|>ROLE` was rendered in
    /// the prompt, so the first message's kept tokens begin with them.
    implicit_role: Option<Role>,
}

impl StreamParser {
    /// A parser at the start of a completion. With `role`, the completion is expected to
    /// begin inside the header of a message by that role (as after rendering for completion).
    pub fn new(role: Option<Role>, options: ParseOptions) -> Self {
        let options = if options.recover { ParseOptions { keep_tokens: options.keep_tokens, ..ParseOptions::recover() } } else { options };
        StreamParser {
            options,
            next_role: role,
            state: if role.is_some() { StreamState::Header } else { StreamState::ExpectStart },
            header_tokens: Vec::new(),
            header: Header::empty(),
            text: String::new(),
            messages: Vec::new(),
            last_delta: None,
            delta: Delta::None,
            delta_buf: String::new(),
            streamed: 0,
            decoder: Utf8Stream::default(),
            pending_bytes: Vec::new(),
            pending_start: 0,
            undecodable: Vec::new(),
            tokens: Vec::new(),
            finished: false,
            rec: recover::Recovery::default(),
            message_start: 0,
            implicit_role: role,
        }
    }

    /// A parser that continues a message already open: the completion of a prompt rendered by
    /// [`render_for_continuation`](crate::render::render_for_continuation), whose last message
    /// has `header`. The tokens start inside its content (their deltas are the continuation's
    /// text) and the message ends at its stop token, as if the parser had read its header.
    pub fn continuing(header: Header, options: ParseOptions) -> Self {
        let mut p = Self::new(None, options);
        p.begin_content(header);
        p
    }

    /// The options this parser runs with.
    pub fn options(&self) -> ParseOptions {
        self.options
    }

    fn check_not_finished(&self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidArgument("the parser is already finished (process_eos was called)".into()));
        }
        Ok(())
    }

    /// Consumes one token. Fails on a finished parser (after [`process_eos`](Self::process_eos)).
    pub fn process(&mut self, token: u32) -> Result<&mut Self> {
        self.check_not_finished()?;
        self.tokens.push(token);
        self.last_delta = None;
        self.delta = Delta::None;
        let count = self.messages.len();
        if self.options.recover {
            self.step_recover(Some(token));
        } else {
            self.step(Some(token))?;
        }
        if self.options.keep_tokens && self.messages.len() > count {
            self.keep_tokens(Some(token));
        }
        Ok(self)
    }

    /// Signals the end of the stream, finishing a message in progress. The parser is then
    /// finished: a second call, or a call to [`process`](Self::process), fails with
    /// [`Error::InvalidArgument`].
    pub fn process_eos(&mut self) -> Result<&mut Self> {
        self.check_not_finished()?;
        self.finished = true;
        self.last_delta = None;
        self.delta = Delta::None;
        let count = self.messages.len();
        if self.options.recover {
            self.step_recover(None);
        } else {
            self.step(None)?;
        }
        if self.options.keep_tokens && self.messages.len() > count {
            self.keep_tokens(None);
        }
        Ok(self)
    }

    /// Gives the message just completed the tokens it came from: from where the last one
    /// ended through `token`, which completed it (not a `<|start|>` or `<|channel|>` that
    /// began the next message: recover mode's "message not ended"); all of them at the end
    /// of the stream. A message completed by no token of its own (several in one step)
    /// keeps none.
    fn keep_tokens(&mut self, token: Option<u32>) {
        let mut end = self.tokens.len();
        if token.is_some_and(|t| !STOP_TOKENS.contains(&t)) && self.state != StreamState::ExpectStart {
            end -= 1; // the token began the next message
        }
        let mut span = Vec::with_capacity(end.saturating_sub(self.message_start) + 2);
        if self.message_start == 0 {
            if let Some(role) = self.implicit_role {
                // The prompt rendered `<|start|>ROLE` for this message.
                span.push(SpecialToken::Start.id());
                crate::tokenizer::encode_ordinary_into(role.as_str(), &mut span);
            }
        }
        span.extend_from_slice(&self.tokens[self.message_start.min(end)..end]);
        self.message_start = end;
        if let Some(m) = self.messages.last_mut() {
            m.tokens = Some(span);
        }
    }

    /// Whether [`process_eos`](Self::process_eos) was called.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn step(&mut self, token: Option<u32>) -> Result<()> {
        match self.state {
            StreamState::ExpectStart => match token {
                Some(t) if t == SpecialToken::Start.id() => {
                    self.header_tokens.clear();
                    self.state = StreamState::Header;
                }
                Some(t) => {
                    return Err(Error::Parse(format!(
                        "unexpected token {t} while expecting <|start|> ({})",
                        SpecialToken::Start.id()
                    )))
                }
                None => {}
            },
            StreamState::Header => match token {
                Some(t) if t == SpecialToken::Message.id() => {
                    let header_tokens = std::mem::take(&mut self.header_tokens);
                    self.state = StreamState::ExpectStart;
                    let text = decode_utf8(&header_tokens)
                        .map_err(|e| Error::Parse(format!("could not decode message header: {e}")))?;
                    let (header, rest) =
                        header::parse_header(&text, self.next_role, true, self.options.fix_constrain_recipient)
                            .map_err(Error::Parse)?;
                    if let Some(rest) = rest {
                        return Err(Error::Parse(format!("unexpected words in message header: {rest:?}")));
                    }
                    self.next_role = None;
                    self.begin_content(header);
                }
                Some(t) if !self.options.strict && STOP_TOKENS.contains(&t) => {
                    if let Some(role) = self.next_role {
                        if !self.header_tokens.is_empty() {
                            let text = decode_utf8(&self.header_tokens)
                                .map_err(|e| Error::Parse(format!("could not decode message header: {e}")))?;
                            let (header, rest) = header::parse_header(&text, Some(role), false, false)
                                .map_err(Error::Parse)?;
                            let content = rest.unwrap_or_default();
                            let n = content.len();
                            self.messages.push(message(header, content, Vec::new()));
                            if n > 0 {
                                self.delta = Delta::Completed(n);
                            }
                        }
                    }
                    self.header_tokens.clear();
                    self.state = StreamState::ExpectStart;
                    self.next_role = None;
                }
                Some(t) => self.header_tokens.push(t),
                None => return Err(Error::Parse("unexpected end of stream inside a message header".into())),
            },
            StreamState::Content => match token {
                Some(t) if !STOP_TOKENS.contains(&t) => self.push_content(t),
                _ => self.finish_message(),
            },
        }
        Ok(())
    }

    /// Enters the content of a message with `header`.
    fn begin_content(&mut self, header: Header) {
        self.header = header;
        self.text.clear();
        self.streamed = 0;
        self.decoder.reset();
        self.state = StreamState::Content;
    }

    fn push_content(&mut self, token: u32) {
        let bytes = match token_bytes(token) {
            Some(b) if self.undecodable.is_empty() => b,
            _ => {
                // 0.0.8 holds every token from an unknown id on and never decodes them.
                self.undecodable.push(token);
                return;
            }
        };
        // Fast path: nothing pending and the token is whole UTF-8 (nearly every token).
        if self.pending_start == self.pending_bytes.len() {
            self.pending_bytes.clear();
            self.pending_start = 0;
            if let Ok(s) = std::str::from_utf8(bytes) {
                self.text.push_str(s);
                self.last_delta = Some(s.len());
                if !self.decoder.is_holding() {
                    self.delta = Delta::Current(s.len());
                    self.streamed += s.len();
                    return;
                }
                self.stream_slow(bytes);
                return;
            }
        }
        self.stream_slow(bytes);
        let text = &mut self.text;
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

    /// The loss-free delta when 0.0.8's decoder holds bytes back or a character is incomplete.
    fn stream_slow(&mut self, bytes: &[u8]) {
        self.delta_buf.clear();
        self.decoder.push(bytes, &mut self.delta_buf);
        if !self.delta_buf.is_empty() {
            self.streamed += self.delta_buf.len();
            self.delta = Delta::Buffered;
        }
    }

    fn finish_message(&mut self) {
        let header = std::mem::replace(&mut self.header, Header::empty());
        let mut text = std::mem::take(&mut self.text);
        self.state = StreamState::ExpectStart;
        // Everything streamed so far is a prefix of 0.0.8's final text unless an unknown id
        // stalled the message while 0.0.8 still held text back (then nothing more is sent).
        let consistent = self.undecodable.is_empty() || self.streamed <= text.len();
        if !self.undecodable.is_empty() {
            text.push('\u{FFFD}');
        }
        text.push_str(&String::from_utf8_lossy(&self.pending_bytes[self.pending_start..]));
        if consistent && text.len() > self.streamed {
            self.delta = Delta::Completed(text.len() - self.streamed);
        }
        self.messages.push(message(header, text, Vec::new()));
        self.last_delta = None;
        self.undecodable.clear();
        self.pending_bytes.clear();
        self.pending_start = 0;
        self.decoder.reset();
        self.streamed = 0;
    }

    /// Where the parser is.
    pub fn state(&self) -> StreamState {
        self.state
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
        if self.state == StreamState::Content {
            &self.text
        } else {
            ""
        }
    }

    fn header(&self) -> Option<&Header> {
        (self.state == StreamState::Content).then_some(&self.header)
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

    /// Repairs recorded so far for the current message (recover mode; empty otherwise).
    pub fn current_repairs(&self) -> &[String] {
        &self.rec.current
    }

    /// Text added to the content by the last token, if any, exactly as openai-harmony 0.0.8
    /// reports it in strict and lenient modes: `None` while a UTF-8 character is incomplete,
    /// outside content and on the token that ends a message; after an invalid UTF-8 sequence
    /// the text that follows it in the same token is held until a later token (0.0.8's
    /// behaviour, kept for parity). In recover mode this is [`content_delta`](Self::content_delta).
    pub fn last_content_delta(&self) -> Option<&str> {
        if self.options.recover {
            return self.content_delta();
        }
        self.last_delta.map(|n| &self.text[self.text.len() - n..])
    }

    /// Text added to a message's content by the last token, never losing any: for every
    /// message, the deltas from the token after its `<|message|>` through the token that
    /// completed it, joined, are exactly its final content. `None` when the token added no
    /// text (a character still incomplete, a header token). On the token that completes a
    /// message (a stop token, `process_eos`, or in recover mode a token that starts the next
    /// message) the delta belongs to that message, now [`messages`](Self::messages)`.last()`:
    /// it is the U+FFFD of a character cut short, the content of a message recovered from a
    /// header, or whatever 0.0.8 had held back. Exception (strict and lenient modes only): an
    /// id outside the vocabulary stalls the message as in 0.0.8, whose final content may then
    /// not extend what was streamed; use recover mode.
    pub fn content_delta(&self) -> Option<&str> {
        match self.delta {
            Delta::None => None,
            Delta::Current(n) => Some(&self.text[self.text.len() - n..]),
            Delta::Buffered => Some(&self.delta_buf),
            Delta::Completed(n) => self.messages.last().and_then(|m| match m.content.as_slice() {
                [Content::Text(t)] => Some(&t.text[t.text.len() - n..]),
                _ => None,
            }),
        }
    }
}

fn message(h: Header, text: String, repairs: Vec<String>) -> Message {
    Message {
        author: h.author,
        recipient: h.recipient,
        content: vec![Content::Text(TextContent { text })],
        channel: h.channel,
        content_type: h.content_type,
        repairs,
        tokens: None,
    }
}

impl Header {
    /// A header with no fields (the placeholder outside content).
    pub(crate) fn empty() -> Header {
        Header { author: Author { role: Role::Assistant, name: None }, recipient: None, channel: None, content_type: None }
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
