//! One call per sampled token: [`StreamParser::process_event`] feeds a token and says what it did —
//! the text it added, whether a message started, its header completed or a message ended,
//! and the current message's role, channel, recipient and content type — so an inference
//! loop needs no state tracking of its own.
//!
//! The event is computed only from the parser's public accessors (`state`, `messages`,
//! `tokens`, `current_*`, `content_delta`), compared before and after the token, so it
//! describes strict, lenient and recover-mode parsers alike.

use super::{StreamParser, StreamState};
use crate::chat::Role;
use crate::error::Result;

/// What one token (or the end of the stream) did to a [`StreamParser`]. Borrowed from the
/// parser: valid until its next mutating call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepEvent<'a> {
    /// `StepEvent::*` bits.
    pub flags: u32,
    /// Where the parser is after the token.
    pub state: StreamState,
    /// Text the token added to the content ([`StreamParser::content_delta`], which never loses
    /// text; with `MESSAGE_ENDED` it belongs to the message that ended); `None` when it added none.
    pub delta: Option<&'a str>,
    /// Role of the message described below: the current message's, the expected role while
    /// its header is read, or the ended message's when `MESSAGE_ENDED` left no message open.
    pub role: Option<Role>,
    /// Channel of the described message (known once its header is complete).
    pub channel: Option<&'a str>,
    /// Recipient of the described message.
    pub recipient: Option<&'a str>,
    /// Content type of the described message.
    pub content_type: Option<&'a str>,
    /// Messages completed so far (`messages().len()`).
    pub message_count: usize,
}

impl StepEvent<'_> {
    /// The token began a message: `<|start|>`, or the first token of a parser created with
    /// a role (whose completion starts inside a header), or a token that ended one message
    /// and opened the next.
    pub const MESSAGE_STARTED: u32 = 1;
    /// The header is complete (`<|message|>`): channel, recipient and content type are known
    /// and content follows.
    pub const HEADER_COMPLETE: u32 = 2;
    /// One or more messages were completed (a stop token, or the end of the stream inside
    /// content); the views describe the last of them unless a new message is open.
    pub const MESSAGE_ENDED: u32 = 4;
    /// `delta` holds text (is not empty).
    pub const DELTA: u32 = 8;

    /// Whether all of `bits` are set.
    pub fn has(&self, bits: u32) -> bool {
        self.flags & bits == bits
    }
}

/// The parser's observable position before a step.
#[derive(Clone, Copy)]
struct Before {
    state: StreamState,
    messages: usize,
    tokens: usize,
}

impl StreamParser {
    fn before(&self) -> Before {
        Before { state: self.state(), messages: self.messages().len(), tokens: self.tokens().len() }
    }

    /// Consumes one token, like [`process`](Self::process), and describes what it did.
    pub fn process_event(&mut self, token: u32) -> Result<StepEvent<'_>> {
        let before = self.before();
        self.process(token)?;
        Ok(self.event(before, false))
    }

    /// Signals the end of the stream, like [`process_eos`](Self::process_eos), and describes
    /// what it did (`MESSAGE_ENDED` when a message in progress was completed).
    pub fn process_eos_event(&mut self) -> Result<StepEvent<'_>> {
        let before = self.before();
        self.process_eos()?;
        Ok(self.event(before, true))
    }

    fn event(&self, before: Before, eos: bool) -> StepEvent<'_> {
        let state = self.state();
        let messages = self.messages();
        let ended = messages.len().saturating_sub(before.messages);
        let open = state != StreamState::ExpectStart;
        let first_of_implicit = !eos && before.tokens == 0 && before.state == StreamState::Header;
        let started = first_of_implicit || (!eos && open && (before.state == StreamState::ExpectStart || ended > 0));
        let mut flags = 0;
        if started {
            flags |= StepEvent::MESSAGE_STARTED;
        }
        if state == StreamState::Content && (started || ended > 0 || before.state != StreamState::Content) {
            flags |= StepEvent::HEADER_COMPLETE;
        }
        if ended > 0 {
            flags |= StepEvent::MESSAGE_ENDED;
        }
        // The loss-free delta: joined over a message (MESSAGE_ENDED's delta belongs to the
        // message that ended), the event deltas are exactly its content.
        let delta = self.content_delta();
        if delta.is_some_and(|d| !d.is_empty()) {
            flags |= StepEvent::DELTA;
        }
        let mut ev = StepEvent {
            flags,
            state,
            delta,
            role: None,
            channel: None,
            recipient: None,
            content_type: None,
            message_count: messages.len(),
        };
        match (state, messages.last()) {
            (StreamState::Content, _) => {
                ev.role = self.current_role();
                ev.channel = self.current_channel();
                ev.recipient = self.current_recipient();
                ev.content_type = self.current_content_type();
            }
            (StreamState::Header, _) => ev.role = self.current_role(),
            (StreamState::ExpectStart, Some(m)) if ended > 0 => {
                ev.role = Some(m.author.role);
                ev.channel = m.channel.as_deref();
                ev.recipient = m.recipient.as_deref();
                ev.content_type = m.content_type.as_deref();
            }
            (StreamState::ExpectStart, _) => {}
        }
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ParseOptions;
    use crate::tokenizer::{encode, AllowedSpecial};

    fn tokens(text: &str) -> Vec<u32> {
        encode(text, AllowedSpecial::All)
    }

    #[test]
    fn a_tool_call_then_a_final_answer() {
        let mut p = StreamParser::new(Some(Role::Assistant), ParseOptions::default());
        let toks = tokens(
            "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"x\":1}<|call|>\
             <|start|>assistant<|channel|>final<|message|>Hi there<|end|>",
        );
        let mut log = Vec::new();
        let mut text = String::new();
        for &t in &toks {
            let ev = p.process_event(t).unwrap();
            text.push_str(ev.delta.unwrap_or(""));
            log.push((ev.flags, ev.channel.map(str::to_owned), ev.recipient.map(str::to_owned), ev.message_count));
        }
        let flags: Vec<u32> = log.iter().map(|l| l.0).collect();
        const S: u32 = StepEvent::MESSAGE_STARTED;
        const H: u32 = StepEvent::HEADER_COMPLETE;
        const E: u32 = StepEvent::MESSAGE_ENDED;
        assert_eq!(flags[0], S, "the first token of a role-started parser begins the message");
        assert_eq!(flags.iter().filter(|f| *f & S != 0).count(), 2);
        assert_eq!(flags.iter().filter(|f| *f & H != 0).count(), 2);
        assert_eq!(flags.iter().filter(|f| *f & E != 0).count(), 2);
        let call_end = flags.iter().position(|f| f & E != 0).unwrap();
        assert_eq!(toks[call_end], 200012);
        assert_eq!(log[call_end].1.as_deref(), Some("commentary"), "the ended message is described");
        assert_eq!(log[call_end].2.as_deref(), Some("functions.get_weather"));
        assert_eq!(log[call_end].3, 1);
        let header = flags.iter().position(|f| f & H != 0).unwrap();
        assert_eq!(log[header].2.as_deref(), Some("functions.get_weather"));
        assert_eq!(text, "{\"x\":1}Hi there");
        let ev = p.process_eos_event().unwrap();
        assert_eq!(ev.flags, 0, "nothing was open at the end");
        assert_eq!(ev.message_count, 2);
    }

    #[test]
    fn eos_inside_content_ends_the_message() {
        let mut p = StreamParser::new(None, ParseOptions::default());
        for t in tokens("<|start|>assistant<|message|>abc") {
            p.process_event(t).unwrap();
        }
        let ev = p.process_eos_event().unwrap();
        assert!(ev.has(StepEvent::MESSAGE_ENDED));
        assert!(!ev.has(StepEvent::MESSAGE_STARTED));
        assert_eq!((ev.state, ev.role, ev.message_count), (StreamState::ExpectStart, Some(Role::Assistant), 1));
    }

    #[test]
    fn header_state_has_no_views() {
        let mut p = StreamParser::new(None, ParseOptions::default());
        let ev = p.process_event(200006).unwrap();
        assert_eq!((ev.flags, ev.state, ev.channel, ev.delta), (StepEvent::MESSAGE_STARTED, StreamState::Header, None, None));
        assert!(p.process_event(5).is_ok());
        assert!(StreamParser::new(None, ParseOptions::default()).process_event(5).is_err());
    }

    /// Issue 14, defects 1 and 2: the event's deltas never lose text, even after a token that is
    /// not valid UTF-8 on its own and when a stop token cuts a character.
    #[test]
    fn event_deltas_join_to_the_content_after_broken_utf8() {
        let cjk = tokens("\u{2070E}");
        assert!(cjk.len() > 1, "the test needs a character split over several tokens");
        let mut seqs = Vec::new();
        let mut a = tokens("<|channel|>final<|message|>x");
        a.push(cjk[0]);
        a.extend(tokens("abc"));
        a.extend(tokens("<|end|>"));
        seqs.push(a);
        let mut b = tokens("<|channel|>final<|message|>x");
        b.push(cjk[0]);
        b.extend(tokens("<|end|>"));
        seqs.push(b);
        for toks in seqs {
            for opts in [ParseOptions::default(), ParseOptions::lenient(), ParseOptions::recover()] {
                let mut p = StreamParser::new(Some(Role::Assistant), opts);
                let mut text = String::new();
                for &t in &toks {
                    text.push_str(p.process_event(t).unwrap().delta.unwrap_or(""));
                }
                let content = match p.messages()[0].content.as_slice() {
                    [crate::chat::Content::Text(t)] => t.text.clone(),
                    _ => unreachable!(),
                };
                assert_eq!(text, content, "{opts:?}");
                assert!(content.contains('\u{FFFD}'));
            }
        }
    }
}
