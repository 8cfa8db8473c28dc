//! Shared by the fuzz targets: turning bytes into token ids and parse options, and a streaming
//! parse that checks the parser's invariants after every token.
#![allow(dead_code)]

use harmony::tokenizer::{FIRST_SPECIAL, VOCAB_SIZE};
use harmony::{Error, Message, ParseOptions, Role, StreamParser, StreamState};

/// The tokens a Harmony completion is made of, so that one byte can pick one.
pub const STRUCTURAL: [u32; 16] = [
    200006, 200008, 200005, 200003, 200007, 200002, 200012, // start message channel constrain end return call
    173781, 1428, 17196, 12606, 35644, 220, 4108, 127, 102, // assistant user final "comment" analysis " " json, UTF-8 halves
];

/// Reads token ids from bytes: the top two bits of a byte choose a structural token (one
/// byte), any special token (two more bytes), any ordinary token (three more bytes), or a raw
/// 32-bit id that is usually out of range (four more bytes).
pub fn tokens(data: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    let take = |n: usize, i: &mut usize| -> u32 {
        let mut v = 0u32;
        for k in 0..n {
            v = (v << 8) | u32::from(*data.get(*i + k).unwrap_or(&0));
        }
        *i += n;
        v
    };
    while i < data.len() {
        let b = data[i];
        i += 1;
        out.push(match b >> 6 {
            0 | 1 => STRUCTURAL[usize::from(b & 0x7f) % STRUCTURAL.len()],
            2 => FIRST_SPECIAL + take(2, &mut i) % (VOCAB_SIZE - FIRST_SPECIAL),
            _ if b & 1 == 0 => take(3, &mut i) % FIRST_SPECIAL,
            _ => take(4, &mut i),
        });
    }
    out
}

/// The role a completion starts in and the parse options, from one byte.
pub fn options(sel: u8) -> (Option<Role>, ParseOptions) {
    let role = match sel % 6 {
        0 => None,
        n => Some(Role::ALL[usize::from(n) - 1]),
    };
    let opts = ParseOptions { strict: sel & 0x40 == 0, fix_constrain_recipient: sel & 0x80 != 0, recover: sel & 0x20 != 0, keep_tokens: sel & 0x10 != 0 };
    (role, opts)
}

/// Streams `tokens`, checking after every token that completed messages never change, that
/// 0.0.8's deltas (`last_content_delta`) add up to the current content, that the loss-free
/// deltas (`content_delta`) add up to each message's final content (in recover mode, or when
/// every id is in the vocabulary), and that the accessors agree with the state. An error
/// carries the index of the failing token (`tokens.len()` at the end). Recover mode must
/// never fail.
pub fn stream_checked(tokens: &[u32], role: Option<Role>, opts: ParseOptions) -> Result<Vec<Message>, (usize, Error)> {
    let result = stream_checked_inner(tokens, role, opts);
    assert!(!opts.recover || result.is_ok(), "recover mode failed: {result:?}");
    result
}

fn stream_checked_inner(tokens: &[u32], role: Option<Role>, opts: ParseOptions) -> Result<Vec<Message>, (usize, Error)> {
    let mut p = StreamParser::new(role, opts);
    let mut done: Vec<Message> = Vec::new();
    let mut deltas = String::new();
    let mut streamed = String::new();
    let mut joined: Vec<String> = Vec::new();
    let loss_free = opts.recover || tokens.iter().all(|&t| t < VOCAB_SIZE);
    let track = |p: &StreamParser, joined: &mut Vec<String>, streamed: &mut String| {
        if p.messages().len() > joined.len() {
            let mut m = std::mem::take(streamed);
            m.push_str(p.content_delta().unwrap_or(""));
            joined.push(m);
        } else if let Some(d) = p.content_delta() {
            streamed.push_str(d);
        }
        assert_eq!(joined.len(), p.messages().len());
    };
    for (i, &t) in tokens.iter().enumerate() {
        p.process(t).map_err(|e| (i, e))?;
        track(&p, &mut joined, &mut streamed);
        assert_eq!(&p.messages()[..done.len()], &done[..], "a completed message changed");
        let completed = p.messages().len() != done.len();
        if completed {
            done = p.messages().to_vec();
            deltas.clear();
        }
        if let Some(d) = p.last_content_delta() {
            if p.state() == StreamState::Content {
                deltas.push_str(d);
            }
        }
        match p.state() {
            StreamState::Content => assert_eq!(deltas, p.current_content(), "deltas do not add up"),
            _ => {
                deltas.clear();
                assert!(p.current_content().is_empty());
                // Only recover mode reports a delta on the token that completed a message.
                assert!(p.last_content_delta().is_none() || (opts.recover && completed));
                assert!(p.current_channel().is_none() && p.current_recipient().is_none());
            }
        }
        assert_eq!(p.tokens(), &tokens[..=i]);
    }
    p.process_eos().map_err(|e| (tokens.len(), e))?;
    track(&p, &mut joined, &mut streamed);
    assert!(p.process_eos().is_err() && p.process(0).is_err(), "a finished parser rejects more input");
    if loss_free {
        for (j, m) in joined.iter().zip(p.messages()) {
            assert_eq!(Some(j.as_str()), m.content.first().map(|c| match c {
                harmony::Content::Text(t) => t.text.as_str(),
                _ => "",
            }), "content deltas do not add up to the message");
        }
    }
    Ok(p.into_messages())
}
