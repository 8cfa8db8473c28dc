//! The OpenAI Responses API bridge over the C ABI.

use super::error::{boundary, guard, harmony_error, harmony_status, FfiError};
use super::handle::*;
use super::{harmony_encoding, harmony_string, harmony_tokens, string_out, EMPTY_STRING, EMPTY_TOKENS};
use crate::responses::{self, ResponsesOptions, ResponsesStream};
use std::ffi::c_char;
use std::sync::Arc;

/// A streaming Responses API response: feed completion tokens, get the streaming events
/// (`response.created`, `response.output_text.delta`, …) as JSON arrays. Created by
/// `harmony_responses_stream_new`, released by `harmony_responses_stream_free`; one thread at
/// a time.
pub struct harmony_responses_stream {
    inner: ResponsesStream,
    /// The last events lent by `harmony_responses_stream_next`, NUL-terminated (reused).
    view: Vec<u8>,
    _encoding: Arc<harmony_encoding>,
}

unsafe fn options(json: *const c_char, len: usize) -> Result<ResponsesOptions, FfiError> {
    // SAFETY: forwarded contract (`len` bytes at `json`, NULL allowed with 0).
    Ok(ResponsesOptions::from_json(unsafe { utf8(json, len, "options") }?)?)
}

fn events_out(events: Vec<serde_json::Value>) -> harmony_string {
    string_out(serde_json::Value::Array(events).to_string())
}

/// Renders an OpenAI Responses API request (`request`, `request_len` bytes of UTF-8 JSON:
/// `input`, `instructions`, `tools`, `tool_choice`, `reasoning`, `text`) into the prompt for
/// the next assistant message. `options` (may be NULL with length 0) is a JSON object:
/// `conversation_start_date` ("YYYY-MM-DD"), `model`, `id`, `created_at`, `response_fields`.
/// A bad request fails with `HARMONY_ERROR_INVALID_ARGUMENT` and a message naming the item
/// (`request.input[2].content[0]: unsupported content part type ...`). `*out` receives
/// caller-owned tokens.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_render(
    encoding: *const harmony_encoding,
    request: *const c_char,
    request_len: usize,
    options: *const c_char,
    options_len: usize,
    out: *mut harmony_tokens,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_TOKENS);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        let opts = self::options(options, options_len)?;
        let tokens = responses::render_request(utf8(request, request_len, "request")?, &opts)?;
        let (data, len) = vec_into_raw(tokens);
        out.write(harmony_tokens { data, len });
        Ok(())
    })
}

/// Parses completion tokens (the model's output after a `harmony_responses_render` prompt)
/// into a `response` JSON object (options as in `harmony_responses_render`). Any valid token
/// ids succeed; an id outside the vocabulary is `HARMONY_ERROR_UNKNOWN_TOKEN`. `*out` receives
/// a caller-owned string.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_parse(
    encoding: *const harmony_encoding,
    tokens: *const u32,
    n: usize,
    options: *const c_char,
    options_len: usize,
    out: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_STRING);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        let opts = self::options(options, options_len)?;
        let response = responses::parse_response(slice(tokens, n, "tokens")?, &opts)?;
        out.write(string_out(response.to_string()));
        Ok(())
    })
}

/// Creates a streaming response (options as in `harmony_responses_render`). `*out` receives a
/// caller-owned stream.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_stream_new(
    encoding: *const harmony_encoding,
    options: *const c_char,
    options_len: usize,
    out: *mut *mut harmony_responses_stream,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, std::ptr::null_mut());
        let out = out_slot(out, "out")?;
        let enc = clone_arc(encoding, "encoding")?;
        let inner = ResponsesStream::new(self::options(options, options_len)?);
        out.write(into_box(harmony_responses_stream { inner, view: Vec::with_capacity(256), _encoding: enc }));
        Ok(())
    })
}

/// Feeds one completion token. `*events` receives a caller-owned JSON array of the events it
/// produces, in order (`[]` when none: header tokens, an incomplete UTF-8 character). The
/// first call also carries `response.created` and `response.in_progress`.
/// `harmony_responses_stream_next` is the same without a copy.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_stream_process(
    stream: *mut harmony_responses_stream,
    token: u32,
    events: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(events, EMPTY_STRING);
        let events = out_slot(events, "events")?;
        let produced = borrow_mut(stream, "stream")?.inner.process_json(token)?;
        events.write(string_out(produced.unwrap_or("[]").to_owned()));
        Ok(())
    })
}

/// Feeds one completion token, like `harmony_responses_stream_process`, but lends the events:
/// `*data` points into the stream's one reused buffer (a NUL-terminated JSON array of `*len`
/// bytes) and stays valid until the next call on the stream; it is NULL with `*len` 0 when the
/// token produced no event (where `_process` gives `[]`). The per-token hot path: no
/// allocation per token.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_stream_next(
    stream: *mut harmony_responses_stream,
    token: u32,
    data: *mut *const c_char,
    len: *mut usize,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(data, std::ptr::null());
        write_opt(len, 0);
        let (data, len) = (out_slot(data, "data")?, out_slot(len, "len")?);
        let s = borrow_mut(stream, "stream")?;
        let produced = s.inner.process_json(token)?;
        super::lend(&mut s.view, produced.as_deref(), data, len);
        Ok(())
    })
}

/// The tokens that end the reasoning now and open a final answer (`function` NULL) or a call
/// of `function`, as `harmony_parser_force_answer` describes; feed them to
/// `harmony_responses_stream_process`/`_next` as if sampled. `*out` is caller-owned.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_stream_force_answer(
    stream: *const harmony_responses_stream,
    function: *const c_char,
    function_len: usize,
    out: *mut harmony_tokens,
    err: *mut *mut harmony_error,
) -> harmony_status {
    unsafe {
        super::parser::force_answer_out(function, function_len, out, err, |answer| {
            Ok(borrow(stream, "stream")?.inner.force_answer_tokens(answer))
        })
    }
}

/// Ends the stream. `*events` receives a caller-owned JSON array of the last events, ending
/// with `response.completed`, or `response.incomplete` when the tokens ended inside a message.
/// A second call fails with `HARMONY_ERROR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_stream_finish(
    stream: *mut harmony_responses_stream,
    events: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(events, EMPTY_STRING);
        let events = out_slot(events, "events")?;
        let last = borrow_mut(stream, "stream")?.inner.finish()?;
        events.write(events_out(last));
        Ok(())
    })
}

/// Releases a stream. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_stream_free(stream: *mut harmony_responses_stream) {
    guard((), || unsafe { free_box(stream) })
}
