//! The OpenAI Chat Completions bridge over the C ABI.

use super::error::{boundary, guard, harmony_error, harmony_status, FfiError};
use super::handle::*;
use super::{harmony_encoding, harmony_string, harmony_tokens, string_out, EMPTY_STRING, EMPTY_TOKENS};
use crate::chat_completions::{self, ChatOptions, ChatStream};
use std::ffi::c_char;
use std::sync::Arc;

/// A streaming Chat Completions response: feed completion tokens, get
/// `chat.completion.chunk` JSON objects. Created by `harmony_chat_stream_new`, released by
/// `harmony_chat_stream_free`; one thread at a time.
pub struct harmony_chat_stream {
    inner: ChatStream,
    /// The last chunk lent by `harmony_chat_stream_next`, NUL-terminated (reused).
    view: Vec<u8>,
    _encoding: Arc<harmony_encoding>,
}

unsafe fn options(json: *const c_char, len: usize) -> Result<ChatOptions, FfiError> {
    // SAFETY: forwarded contract (`len` bytes at `json`, NULL allowed with 0).
    Ok(ChatOptions::from_json(unsafe { utf8(json, len, "options") }?)?)
}

/// Renders an OpenAI Chat Completions request (`request`, `request_len` bytes of UTF-8 JSON)
/// into the prompt for the next assistant message. `options` (may be NULL with length 0) is
/// a JSON object: `conversation_start_date` ("YYYY-MM-DD"), `model`, `id`, `created`; for
/// parsing also `finish_reason` (the engine's: "stop", "length", "content_filter"),
/// `tool_call_id_seed` (an integer: reproducible ids), `tool_call_id_prefix`,
/// `reasoning_field` ("reasoning_content" or "reasoning"), `tool_choice` and
/// `parallel_tool_calls` (the request's, honoured on the output side);
/// `fix_constrain_recipient` is accepted and ignored. `*out` receives caller-owned tokens.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_render(
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
        let tokens = chat_completions::render_request(utf8(request, request_len, "request")?, &opts)?;
        let (data, len) = vec_into_raw(tokens);
        out.write(harmony_tokens { data, len });
        Ok(())
    })
}

/// Parses completion tokens (the model's output after a `harmony_chat_render` prompt) into a
/// `chat.completion` response JSON object. `*out` receives a caller-owned string.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_parse(
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
        let response = chat_completions::parse_response(slice(tokens, n, "tokens")?, &opts)?;
        out.write(string_out(response.to_string()));
        Ok(())
    })
}

/// Creates a streaming response (options as in `harmony_chat_render`). `*out` receives a
/// caller-owned stream.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_stream_new(
    encoding: *const harmony_encoding,
    options: *const c_char,
    options_len: usize,
    out: *mut *mut harmony_chat_stream,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, std::ptr::null_mut());
        let out = out_slot(out, "out")?;
        let enc = clone_arc(encoding, "encoding")?;
        let inner = ChatStream::new(self::options(options, options_len)?);
        out.write(into_box(harmony_chat_stream { inner, view: Vec::with_capacity(256), _encoding: enc }));
        Ok(())
    })
}

/// Feeds one completion token. `*chunk` receives the `chat.completion.chunk` JSON object it
/// produces (caller-owned), or `{NULL, 0}` when the token produces none (header tokens,
/// incomplete UTF-8). `harmony_chat_stream_next` is the same without a copy.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_stream_process(
    stream: *mut harmony_chat_stream,
    token: u32,
    chunk: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(chunk, EMPTY_STRING);
        let chunk = out_slot(chunk, "chunk")?;
        let produced = borrow_mut(stream, "stream")?.inner.process(token)?;
        chunk.write(produced.map_or(EMPTY_STRING, |c| string_out(c.to_string())));
        Ok(())
    })
}

/// Ends the stream. `*chunk` receives the last chunk (caller-owned), carrying the
/// `finish_reason`: `stop`, `tool_calls`, or `length` when the tokens ended inside a message.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_stream_finish(
    stream: *mut harmony_chat_stream,
    chunk: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(chunk, EMPTY_STRING);
        let chunk = out_slot(chunk, "chunk")?;
        let last = borrow_mut(stream, "stream")?.inner.finish()?;
        chunk.write(string_out(last.to_string()));
        Ok(())
    })
}

/// The tokens that end the reasoning now and open a final answer (`function` NULL) or a call
/// of `function`, as `harmony_parser_force_answer` describes; feed them to
/// `harmony_chat_stream_process`/`_next` as if sampled (the reasoning so far stays
/// `reasoning_content`, the model's next tokens are the answer). `*out` is caller-owned.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_stream_force_answer(
    stream: *const harmony_chat_stream,
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

/// Feeds one completion token, like `harmony_chat_stream_process`, but lends the chunk:
/// `*data` points into the stream's one reused buffer (NUL-terminated, `*len` bytes) and stays
/// valid until the next call on the stream; it is NULL with `*len` 0 when the token produced
/// no chunk. The per-token hot path: no allocation per token.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_stream_next(
    stream: *mut harmony_chat_stream,
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
        let produced = s.inner.process(token)?;
        super::lend(&mut s.view, produced.as_deref(), data, len);
        Ok(())
    })
}

/// Releases a stream. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_stream_free(stream: *mut harmony_chat_stream) {
    guard((), || unsafe { free_box(stream) })
}
