//! The streaming parser handle.

use super::error::{boundary, guard, harmony_error, harmony_status, FfiError};
use super::handle::*;
use super::{harmony_encoding, harmony_string, parse_flags, role_arg, string_out, EMPTY_STRING};
use crate::chat::{messages_to_json, Role};
use crate::parse::event::StepEvent;
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

/// Creates a parser that continues an assistant message already open (prefill: the prompt
/// was rendered with that message left open, e.g. by `harmony_chat_render` for a last
/// assistant message with `"prefix": true`). `header` (`header_len` bytes of JSON) is the open
/// message's header: `{"channel":"final"}`, or with `"recipient"` and `"content_type"` for a
/// tool call (the shape of the chat options' `continuation`). The tokens start inside its
/// content. `flags` and `*out` as in `harmony_parser_new`.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_new_continuing(
    encoding: *const harmony_encoding,
    header: *const c_char,
    header_len: usize,
    flags: u32,
    out: *mut *mut harmony_parser,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, std::ptr::null_mut());
        let out = out_slot(out, "out")?;
        let enc = clone_arc(encoding, "encoding")?;
        let header = crate::chat_completions::Continuation::from_json(utf8(header, header_len, "header")?)?;
        let inner = StreamParser::continuing(header.header(), parse_flags(flags)?);
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

/// A borrowed run of UTF-8 bytes inside a library object (not NUL-terminated): `data` is
/// NULL when there is no value, and the bytes stay valid until the owner's next mutating call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct harmony_view {
    /// The bytes, or NULL for "absent" (an empty value is non-NULL with `len` 0).
    pub data: *const c_char,
    /// Number of bytes.
    pub len: usize,
}

const NO_VIEW: harmony_view = harmony_view { data: std::ptr::null(), len: 0 };

fn view(text: Option<&str>) -> harmony_view {
    text.map_or(NO_VIEW, |t| harmony_view { data: t.as_ptr().cast(), len: t.len() })
}

fn role_code(role: Option<Role>) -> i32 {
    role.map_or(-1, |r| r as i32)
}

/// Event flag: the token began a message (`<|start|>`, the first token of a parser created
/// with a role, or a token that ended one message and opened the next).
pub const HARMONY_EVENT_MESSAGE_STARTED: u32 = 1;
/// Event flag: the header is complete (`<|message|>`); channel, recipient and content type
/// are known and content follows.
pub const HARMONY_EVENT_HEADER_COMPLETE: u32 = 2;
/// Event flag: a message was completed (a stop token, or the end of the stream inside
/// content); it is `harmony_parser_message(parser, message_count - 1, ...)`.
pub const HARMONY_EVENT_MESSAGE_ENDED: u32 = 4;
/// Event flag: `delta` holds text.
pub const HARMONY_EVENT_DELTA: u32 = 8;

/// What one token did, filled by `harmony_parser_step` into a caller-owned struct. The views
/// borrow the parser's memory and stay valid until its next mutating call (`step`,
/// `process*`, `free`).
#[repr(C)]
pub struct harmony_parser_event {
    /// `HARMONY_EVENT_*` bits.
    pub flags: u32,
    /// `harmony_stream_state` after the token.
    pub state: i32,
    /// `harmony_role` of the message the views describe, or `HARMONY_ROLE_NONE`.
    pub role: i32,
    /// Text the token added to the content (NULL when none: header tokens, or a UTF-8
    /// character still incomplete).
    pub delta: harmony_view,
    /// Channel of the current message once its header is complete; after
    /// `HARMONY_EVENT_MESSAGE_ENDED` with no new message open, of the message that ended.
    pub channel: harmony_view,
    /// Recipient of the same message (e.g. `functions.get_weather` for a tool call).
    pub recipient: harmony_view,
    /// Content type of the same message (e.g. `<|constrain|>json`).
    pub content_type: harmony_view,
    /// Number of completed messages (as `harmony_parser_message_count`).
    pub message_count: usize,
}

const EMPTY_EVENT: harmony_parser_event = harmony_parser_event {
    flags: 0,
    state: 0,
    role: -1,
    delta: NO_VIEW,
    channel: NO_VIEW,
    recipient: NO_VIEW,
    content_type: NO_VIEW,
    message_count: 0,
};

fn event_out(ev: StepEvent<'_>) -> harmony_parser_event {
    harmony_parser_event {
        flags: ev.flags,
        state: ev.state as i32,
        role: role_code(ev.role),
        delta: view(ev.delta),
        channel: view(ev.channel),
        recipient: view(ev.recipient),
        content_type: view(ev.content_type),
        message_count: ev.message_count,
    }
}

/// Feeds one token and fills `*event` with what it did: one call per sampled token, no state
/// tracking in the caller. Fails exactly where `harmony_parser_process` fails (then `*event`
/// is zeroed with `role` `HARMONY_ROLE_NONE`); `event` must not be NULL (checked before the
/// token is consumed). The event's views are valid until the parser's next mutating call.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_step(
    parser: *mut harmony_parser,
    token: u32,
    event: *mut harmony_parser_event,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(event, EMPTY_EVENT);
        let event = out_slot(event, "event")?;
        event.write(event_out(borrow_mut(parser, "parser")?.inner.process_event(token)?));
        Ok(())
    })
}

/// Signals the end of the stream like `harmony_parser_process_eos` and fills `*event`
/// (`HARMONY_EVENT_MESSAGE_ENDED` when a message in progress was completed).
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_step_eos(
    parser: *mut harmony_parser,
    event: *mut harmony_parser_event,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(event, EMPTY_EVENT);
        let event = out_slot(event, "event")?;
        event.write(event_out(borrow_mut(parser, "parser")?.inner.process_eos_event()?));
        Ok(())
    })
}

/// A completed message of a parser, as borrowed views (no JSON), filled by
/// `harmony_parser_message`. Valid until the parser's next mutating call.
#[repr(C)]
pub struct harmony_message_view {
    /// `harmony_role` of the author.
    pub role: i32,
    /// Author name (tool messages, e.g. `functions.get_weather`), NULL if none.
    pub name: harmony_view,
    /// Channel, NULL if none.
    pub channel: harmony_view,
    /// Recipient, NULL if none.
    pub recipient: harmony_view,
    /// Content type, NULL if none.
    pub content_type: harmony_view,
    /// The message text (a parsed message has exactly one text part).
    pub content: harmony_view,
}

const EMPTY_MESSAGE: harmony_message_view = harmony_message_view {
    role: -1,
    name: NO_VIEW,
    channel: NO_VIEW,
    recipient: NO_VIEW,
    content_type: NO_VIEW,
    content: NO_VIEW,
};

/// Fills `*out` with completed message `index` (0-based, below
/// `harmony_parser_message_count`) as borrowed views. An index out of range is
/// `HARMONY_ERROR_INVALID_ARGUMENT` and `*out` is zeroed with `role` `HARMONY_ROLE_NONE`.
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_message(
    parser: *const harmony_parser,
    index: usize,
    out: *mut harmony_message_view,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_MESSAGE);
        let out = out_slot(out, "out")?;
        let messages = borrow(parser, "parser")?.inner.messages();
        let m = messages
            .get(index)
            .ok_or_else(|| FfiError::invalid(format!("message index {index} is out of range ({} messages)", messages.len())))?;
        out.write(harmony_message_view {
            role: role_code(Some(m.author.role)),
            name: view(m.author.name.as_deref()),
            channel: view(m.channel.as_deref()),
            recipient: view(m.recipient.as_deref()),
            content_type: view(m.content_type.as_deref()),
            content: view(m.text()),
        });
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
        role_code(unsafe { parser.as_ref() }.and_then(|p| p.inner.current_role()))
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

/// The answer `harmony_*_force_answer` opens: a final answer when `function` is NULL (length
/// 0), else a call of that function.
pub(crate) unsafe fn answer_arg<'a>(function: *const c_char, function_len: usize) -> Result<crate::parse::Answer<'a>, FfiError> {
    if function.is_null() && function_len == 0 {
        return Ok(crate::parse::Answer::Final);
    }
    let name = unsafe { utf8(function, function_len, "function")? };
    crate::parse::Answer::of(Some(name)).map_err(|e| FfiError::from(e).prefixed("`function`"))
}

/// The tokens that end the current message now and open a final answer (`function` NULL with
/// length 0) or a call of `function` (UTF-8, `function_len` bytes), as the model would have
/// sampled them: for an engine whose reasoning budget ran out. Inject them into the model's
/// context and feed them to `harmony_parser_process` as if sampled; the model's next token
/// is the answer's. `*out` receives caller-owned tokens (empty when the parser is already in
/// such a message). Inside content they are `<|end|><|start|>assistant<|channel|>final<|message|>`
/// (a call: `…<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>`).
#[no_mangle]
pub unsafe extern "C" fn harmony_parser_force_answer(
    parser: *const harmony_parser,
    function: *const c_char,
    function_len: usize,
    out: *mut super::harmony_tokens,
    err: *mut *mut harmony_error,
) -> harmony_status {
    unsafe { force_answer_out(function, function_len, out, err, |answer| Ok(borrow(parser, "parser")?.inner.force_answer_tokens(answer))) }
}

/// The body of the `harmony_*_force_answer` entry points: `tokens` gives the handle's tokens.
pub(crate) unsafe fn force_answer_out(
    function: *const c_char,
    function_len: usize,
    out: *mut super::harmony_tokens,
    err: *mut *mut harmony_error,
    tokens: impl FnOnce(crate::parse::Answer<'_>) -> Result<Vec<u32>, FfiError>,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, super::EMPTY_TOKENS);
        let out = out_slot(out, "out")?;
        let answer = answer_arg(function, function_len)?;
        let (data, len) = vec_into_raw(tokens(answer)?);
        out.write(super::harmony_tokens { data, len });
        Ok(())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_constants_match_the_core() {
        assert_eq!(HARMONY_EVENT_MESSAGE_STARTED, StepEvent::MESSAGE_STARTED);
        assert_eq!(HARMONY_EVENT_HEADER_COMPLETE, StepEvent::HEADER_COMPLETE);
        assert_eq!(HARMONY_EVENT_MESSAGE_ENDED, StepEvent::MESSAGE_ENDED);
        assert_eq!(HARMONY_EVENT_DELTA, StepEvent::DELTA);
        for (i, r) in Role::ALL.iter().enumerate() {
            assert_eq!(role_code(Some(*r)), i as i32, "harmony_role values follow Role::ALL");
        }
    }
}
