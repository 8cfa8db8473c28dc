//! The streaming parser handle.

use super::error::{boundary, guard, harmony_error, harmony_status, FfiError};
use super::handle::*;
use super::{harmony_encoding, harmony_string, parse_flags, role_arg, string_out, EMPTY_STRING};
use crate::chat::messages_to_json;
use crate::parse::StreamParser;
use std::ffi::c_char;
use std::sync::Arc;

/// A streaming parser: feed completion tokens one at a time and read deltas and messages.
/// Created by `harmony_parser_new`, released by `harmony_parser_free`. A parser may move
/// between threads but must not be used by two threads at once.
pub struct harmony_parser {
    inner: StreamParser,
    _encoding: Arc<harmony_encoding>,
}

/// State of a streaming parser (`harmony_parser_state`).
#[repr(C)]
pub enum harmony_stream_state {
    /// Waiting for `<|start|>`.
    HARMONY_STREAM_EXPECT_START = 0,
    /// Inside a header, before `<|message|>`.
    HARMONY_STREAM_HEADER = 1,
    /// Inside content, before a stop token.
    HARMONY_STREAM_CONTENT = 2,
}

/// Creates a streaming parser. `role` is the role of the first message when the completion
/// starts inside its header, or `HARMONY_ROLE_NONE`; `flags` are `HARMONY_PARSE_*` bits.
/// `*out` receives a parser owned by the caller. It holds its own reference to the encoding,
/// which may be freed first.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_new(
    encoding: *const harmony_encoding,
    role: i32,
    flags: u32,
    out: *mut *mut harmony_parser,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, std::ptr::null_mut());
        let out = out_slot(out, "out")?;
        let enc = clone_arc(encoding, "encoding")?;
        let inner = StreamParser::new(role_arg(role, "role")?, parse_flags(flags)?);
        out.write(into_box(harmony_parser { inner, _encoding: enc }));
        Ok(())
    })
}

/// Releases a parser. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_free(parser: *mut harmony_parser) {
    guard((), || unsafe { free_box(parser) })
}

/// Feeds one token. Fails with `HARMONY_ERROR_PARSE` exactly where openai-harmony 0.0.8
/// fails; after a failure the parser should be discarded. With `HARMONY_PARSE_RECOVER` it
/// never fails on model output. An id outside the vocabulary inside content is accepted, as
/// 0.0.8 accepts it (the rest of that message is held back and ends as one U+FFFD), unlike
/// `harmony_decode` and the chat stream, which reject it; with `HARMONY_PARSE_RECOVER` it is
/// a U+FFFD at once and a repair. After `harmony_parser_process_eos` the parser is finished:
/// this fails with `HARMONY_ERROR_INVALID_ARGUMENT` ("the parser is already finished").
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_process(
    parser: *mut harmony_parser,
    token: u32,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        borrow_mut(parser, "parser")?.inner.process(token)?;
        Ok(())
    })
}

/// Feeds `n` tokens (borrowed), stopping at the first failure (as `harmony_parser_process`).
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_process_tokens(
    parser: *mut harmony_parser,
    tokens: *const u32,
    n: usize,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        let p = &mut borrow_mut(parser, "parser")?.inner;
        for (i, &t) in slice(tokens, n, "tokens")?.iter().enumerate() {
            p.process(t).map_err(|e| FfiError::from(e).prefixed(&format!("tokens[{i}] ({t})")))?;
        }
        Ok(())
    })
}

/// Signals the end of the stream, completing a message in progress. The parser is then
/// finished: a second call, or `harmony_parser_process`, fails with
/// `HARMONY_ERROR_INVALID_ARGUMENT` ("the parser is already finished"); the accessors keep
/// working.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_process_eos(parser: *mut harmony_parser, err: *mut *mut harmony_error) -> harmony_status {
    boundary(err, || unsafe {
        borrow_mut(parser, "parser")?.inner.process_eos()?;
        Ok(())
    })
}

/// Current `harmony_stream_state`, or -1 for a NULL parser.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_state(parser: *const harmony_parser) -> i32 {
    guard(-1, || unsafe { parser.as_ref() }.map_or(-1, |p| p.inner.state() as i32))
}

/// Role of the current message (or the expected next role) as a `harmony_role`;
/// `HARMONY_ROLE_NONE` when unknown or for a NULL parser.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_current_role(parser: *const harmony_parser) -> i32 {
    guard(-1, || {
        let role = unsafe { parser.as_ref() }.and_then(|p| p.inner.current_role());
        role.map_or(-1, |r| crate::chat::Role::ALL.iter().position(|x| *x == r).unwrap_or(0) as i32)
    })
}

/// Number of completed messages, 0 for a NULL parser.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_message_count(parser: *const harmony_parser) -> usize {
    guard(0, || unsafe { parser.as_ref() }.map_or(0, |p| p.inner.messages().len()))
}

/// Shared shape of the borrowed-text accessors below.
unsafe fn text_accessor(
    parser: *const harmony_parser,
    data: *mut *const c_char,
    len: *mut usize,
    get: fn(&StreamParser) -> Option<&str>,
) -> harmony_status {
    boundary(std::ptr::null_mut(), || unsafe {
        write_opt(data, std::ptr::null());
        write_opt(len, 0);
        let text = get(&borrow(parser, "parser")?.inner);
        write_out(data, text.map_or(std::ptr::null(), |t| t.as_ptr().cast()), "data")?;
        write_out(len, text.map_or(0, str::len), "len")
    })
}

/// Text added by the last token, borrowed: `*data` points into the parser (not
/// NUL-terminated) and stays valid until the next call that changes the parser. `*data` is
/// NULL when there is no delta (outside content, or a UTF-8 character still incomplete).
/// Copying no memory, this is the per-token hot path. Without `HARMONY_PARSE_RECOVER` this
/// is openai-harmony 0.0.8's delta, which after an invalid UTF-8 sequence holds the text
/// that follows back until a later token and never delivers the U+FFFD of a character cut
/// short by the end of a message; `harmony_parser_content_delta` does not lose text. With
/// `HARMONY_PARSE_RECOVER` the two are the same.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_last_delta(parser: *const harmony_parser, data: *mut *const c_char, len: *mut usize) -> harmony_status {
    unsafe { text_accessor(parser, data, len, |p| p.last_content_delta()) }
}

/// Text added to a message's content by the last token, borrowed as in
/// `harmony_parser_last_delta`, never losing any: for every message, the deltas from the
/// token after its `<|message|>` through the token that completed it, joined, are exactly
/// its content. On the token that completes a message (a stop token, EOS) the delta belongs
/// to the message just completed (the last of `harmony_parser_messages_json`): the U+FFFD of
/// a character cut short, or the content of a message recovered from a header. `*data` is
/// NULL when the token added no text. (Without `HARMONY_PARSE_RECOVER`, an id outside the
/// vocabulary stalls the message as in 0.0.8.)
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_content_delta(parser: *const harmony_parser, data: *mut *const c_char, len: *mut usize) -> harmony_status {
    unsafe { text_accessor(parser, data, len, |p| p.content_delta()) }
}

/// Content of the current message so far, borrowed as in `harmony_parser_last_delta`
/// (NULL outside content).
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_current_content(parser: *const harmony_parser, data: *mut *const c_char, len: *mut usize) -> harmony_status {
    unsafe { text_accessor(parser, data, len, |p| (p.state() == crate::StreamState::Content).then(|| p.current_content())) }
}

/// Channel of the current message, borrowed as in `harmony_parser_last_delta` (NULL if none).
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_current_channel(parser: *const harmony_parser, data: *mut *const c_char, len: *mut usize) -> harmony_status {
    unsafe { text_accessor(parser, data, len, |p| p.current_channel()) }
}

/// Recipient of the current message, borrowed as in `harmony_parser_last_delta` (NULL if none).
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_current_recipient(parser: *const harmony_parser, data: *mut *const c_char, len: *mut usize) -> harmony_status {
    unsafe { text_accessor(parser, data, len, |p| p.current_recipient()) }
}

/// Content type of the current message, borrowed as in `harmony_parser_last_delta` (NULL if
/// none).
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_current_content_type(parser: *const harmony_parser, data: *mut *const c_char, len: *mut usize) -> harmony_status {
    unsafe { text_accessor(parser, data, len, |p| p.current_content_type()) }
}

/// Completed messages as a JSON array (wire format; with `HARMONY_PARSE_RECOVER` a message
/// may carry `"repairs"`). `*out` receives a caller-owned string;
/// release with `harmony_string_free`.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_messages_json(
    parser: *const harmony_parser,
    out: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_STRING);
        let out = out_slot(out, "out")?;
        let p = &borrow(parser, "parser")?.inner;
        out.write(string_out(messages_to_json(p.messages())));
        Ok(())
    })
}
