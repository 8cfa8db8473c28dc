//! The C ABI (`include/harmony.h` is generated from this module by cbindgen).
//!
//! This is the only module with `unsafe` code and `extern "C"` functions. It converts
//! pointers (through `handle`), catches panics and maps errors (through `error`), and calls
//! the safe core — nothing else.
#![allow(non_camel_case_types, clippy::missing_safety_doc)]

pub mod error;
mod handle;
pub mod chat;
pub mod responses;
pub mod grammar;
pub mod parser;

pub use error::{harmony_error, harmony_status};

use crate::chat::{messages_to_json, Conversation, Message, Role};
use crate::parse::ParseOptions;
use crate::render::{self, RenderOptions};
use crate::tokenizer::{self, AllowedSpecial};
use crate::HarmonyEncoding;
use error::{boundary, guard, FfiError};
use handle::*;
use std::ffi::c_char;
use std::sync::Arc;

/// Major version of the library (also in `harmony_version()`).
pub const HARMONY_VERSION_MAJOR: u32 = 0;
/// Minor version of the library.
pub const HARMONY_VERSION_MINOR: u32 = 1;
/// Patch version of the library.
pub const HARMONY_VERSION_PATCH: u32 = 0;

/// Message author roles. Functions take roles as `int32_t` so that any value is safe to pass.
#[repr(C)]
pub enum harmony_role {
    /// No role: the tokens start with `<|start|>` (parsing) / not applicable.
    HARMONY_ROLE_NONE = -1,
    HARMONY_ROLE_USER = 0,
    HARMONY_ROLE_ASSISTANT = 1,
    HARMONY_ROLE_SYSTEM = 2,
    HARMONY_ROLE_DEVELOPER = 3,
    HARMONY_ROLE_TOOL = 4,
}

/// What `harmony_render` renders (`int32_t mode`).
#[repr(C)]
pub enum harmony_render_mode {
    /// The conversation, then `<|start|>` + `next_role`: the prompt for sampling.
    HARMONY_RENDER_COMPLETION = 0,
    /// The conversation only.
    HARMONY_RENDER_CONVERSATION = 1,
    /// The conversation for training: a trailing final assistant message ends in `<|return|>`.
    HARMONY_RENDER_TRAINING = 2,
    /// One message (`json` is a message object, not a conversation).
    HARMONY_RENDER_MESSAGE = 3,
}

/// Render flag: keep analysis messages that gpt-oss would otherwise drop between turns
/// (turns `auto_drop_analysis` off).
pub const HARMONY_RENDER_KEEP_ANALYSIS: u32 = 1;
/// Render flag (message mode): the conversation declares function tools, which adds the
/// `functions` routing line to a system message's channel section.
pub const HARMONY_RENDER_HAS_FUNCTION_TOOLS: u32 = 2;
/// Parse flag: lenient parsing (a header cut short by a stop token, in the first message when
/// a role is given, becomes a message). Without it (strict, 0.0.8's default) a stop token
/// inside a header is not rejected: it is kept as header text, and parsing fails only if the
/// tokens end before `<|message|>`.
pub const HARMONY_PARSE_LENIENT: u32 = 1;
/// Parse flag: read `<|channel|>final <|constrain|>json` as a content type, not a recipient
/// (the fix of openai/harmony PR #144; differs from openai-harmony 0.0.8).
pub const HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT: u32 = 2;
/// Parse flag: recover mode. Parsing never fails on model output: stray tokens, missing or
/// repeated headers, malformed recipients, invalid UTF-8 and ids outside the vocabulary are
/// repaired, and each message of the messages JSON lists its repairs in `"repairs"` (absent
/// when none; the strings are listed in the README). Implies
/// `HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT`; overrides `HARMONY_PARSE_LENIENT`. Not 0.0.8's
/// behaviour. Without it, an id outside the vocabulary inside content is accepted as 0.0.8
/// accepts it (the rest of that message is held back and ends as one U+FFFD).
pub const HARMONY_PARSE_RECOVER: u32 = 4;
/// Parse flag: keep each message's exact tokens (`"tokens"` in the messages JSON); rendering a
/// message that has them writes them verbatim, so the next prompt starts with the previous
/// prompt plus the sampled tokens (KV-cache reuse). Combines with the other parse flags.
pub const HARMONY_PARSE_KEEP_TOKENS: u32 = 8;
/// Encode flag: spellings of special tokens in the text become special tokens.
pub const HARMONY_ENCODE_ALLOW_SPECIAL: u32 = 1;
/// Decode flag: replace invalid UTF-8 with U+FFFD instead of failing.
pub const HARMONY_DECODE_LOSSY: u32 = 1;

/// `<|start|>`
pub const HARMONY_TOKEN_START: u32 = 200006;
/// `<|end|>`
pub const HARMONY_TOKEN_END: u32 = 200007;
/// `<|message|>`
pub const HARMONY_TOKEN_MESSAGE: u32 = 200008;
/// `<|channel|>`
pub const HARMONY_TOKEN_CHANNEL: u32 = 200005;
/// `<|constrain|>`
pub const HARMONY_TOKEN_CONSTRAIN: u32 = 200003;
/// `<|return|>`
pub const HARMONY_TOKEN_RETURN: u32 = 200002;
/// `<|call|>`
pub const HARMONY_TOKEN_CALL: u32 = 200012;
/// Number of token ids (valid ids are `0 .. HARMONY_VOCAB_SIZE - 1`).
pub const HARMONY_VOCAB_SIZE: u32 = 201089;

/// An encoding: immutable, shareable by any number of threads, created by
/// `harmony_encoding_new` and released by `harmony_encoding_free`.
pub struct harmony_encoding {
    inner: HarmonyEncoding,
}

/// Tokens returned by the library. Owned by the caller; release with `harmony_tokens_free`.
#[repr(C)]
pub struct harmony_tokens {
    /// The token ids (NULL when `len` is 0).
    pub data: *mut u32,
    /// Number of tokens.
    pub len: usize,
}

/// UTF-8 text returned by the library, NUL-terminated for convenience (`len` excludes the
/// NUL). Owned by the caller; release with `harmony_string_free`.
#[repr(C)]
pub struct harmony_string {
    /// The bytes followed by a NUL (never NULL after a successful call).
    pub data: *mut c_char,
    /// Number of bytes before the NUL.
    pub len: usize,
}

const EMPTY_TOKENS: harmony_tokens = harmony_tokens { data: std::ptr::null_mut(), len: 0 };
const EMPTY_STRING: harmony_string = harmony_string { data: std::ptr::null_mut(), len: 0 };

fn role_arg(role: i32, what: &str) -> Result<Option<Role>, FfiError> {
    match role {
        -1 => Ok(None),
        0..=4 => Ok(Some(Role::ALL[role as usize])),
        _ => Err(FfiError::invalid(format!("`{what}` is {role}, not a harmony_role (-1..=4)"))),
    }
}

fn check_flags(flags: u32, known: u32) -> Result<(), FfiError> {
    if flags & !known != 0 {
        return Err(FfiError::invalid(format!("unknown flag bits {:#x}", flags & !known)));
    }
    Ok(())
}

fn string_out(s: String) -> harmony_string {
    let mut bytes = s.into_bytes();
    let len = bytes.len();
    bytes.push(0);
    let (data, _) = vec_into_raw(bytes);
    harmony_string { data: data.cast(), len }
}

/// Renders per `mode` (see `harmony_render`).
fn render_json(mode: i32, json: &str, next_role: i32, flags: u32) -> Result<Vec<u32>, FfiError> {
    check_flags(flags, HARMONY_RENDER_KEEP_ANALYSIS | HARMONY_RENDER_HAS_FUNCTION_TOOLS)?;
    let opts = RenderOptions { auto_drop_analysis: flags & HARMONY_RENDER_KEEP_ANALYSIS == 0 };
    if mode == harmony_render_mode::HARMONY_RENDER_MESSAGE as i32 {
        let msg = Message::from_json(json)?;
        return Ok(render::render_message(&msg, flags & HARMONY_RENDER_HAS_FUNCTION_TOOLS != 0)?);
    }
    let conv = Conversation::from_json(json)?;
    Ok(match mode {
        0 => {
            let role = role_arg(next_role, "next_role")?.ok_or_else(|| FfiError::invalid("`next_role` must be a role"))?;
            render::render_for_completion(&conv, role, &opts)?
        }
        1 => render::render_conversation(&conv, &opts)?,
        2 => render::render_for_training(&conv, &opts)?,
        _ => return Err(FfiError::invalid(format!("`mode` is {mode}, not a harmony_render_mode (0..=3)"))),
    })
}

/// Library version as a static NUL-terminated string such as 0.1.0.
#[no_mangle]
pub extern "C" fn harmony_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Creates an encoding handle. `name` is a NUL-terminated encoding name: HarmonyGptOss, the
/// gpt-oss encoding, which NULL also selects. On success `*out` receives a handle owned by the caller, to be
/// released with `harmony_encoding_free`. All handles share the process's one embedded
/// vocabulary, so creating one is cheap.
#[no_mangle]
pub unsafe extern "C" fn harmony_encoding_new(
    name: *const c_char,
    out: *mut *const harmony_encoding,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, std::ptr::null());
        let out = out_slot(out, "out")?;
        let name = c_str(name, "name")?.unwrap_or(HarmonyEncoding::NAME);
        let enc = Arc::new(harmony_encoding { inner: HarmonyEncoding::load(name)? });
        out.write(into_arc(enc));
        Ok(())
    })
}

/// Releases an encoding handle. NULL is a no-op. Parsers created from it stay valid.
#[no_mangle]
pub unsafe extern "C" fn harmony_encoding_free(encoding: *const harmony_encoding) {
    guard((), || unsafe { free_arc(encoding) })
}

/// Renders `json` (UTF-8, `json_len` bytes, borrowed for the call) per `mode`
/// (`harmony_render_mode`); `next_role` is used by `HARMONY_RENDER_COMPLETION` only; `flags`
/// are `HARMONY_RENDER_*` bits. On success `*out` receives tokens owned by the caller
/// (release with `harmony_tokens_free`); on failure `*out` is `{NULL, 0}`.
#[no_mangle]
pub unsafe extern "C" fn harmony_render(
    encoding: *const harmony_encoding,
    mode: i32,
    json: *const c_char,
    json_len: usize,
    next_role: i32,
    flags: u32,
    out: *mut harmony_tokens,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_TOKENS);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        let (data, len) = vec_into_raw(render_json(mode, utf8(json, json_len, "json")?, next_role, flags)?);
        out.write(harmony_tokens { data, len });
        Ok(())
    })
}

/// Like `harmony_render`, but writes into the caller's array `buf` of `cap` tokens and the
/// token count to `*out_len`. If `cap` is too small (pass NULL and 0 to ask), returns
/// `HARMONY_ERROR_BUFFER_TOO_SMALL` with the needed count in `*out_len` and writes nothing.
#[no_mangle]
pub unsafe extern "C" fn harmony_render_into(
    encoding: *const harmony_encoding,
    mode: i32,
    json: *const c_char,
    json_len: usize,
    next_role: i32,
    flags: u32,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out_len, 0);
        borrow(encoding, "encoding")?;
        let tokens = render_json(mode, utf8(json, json_len, "json")?, next_role, flags)?;
        copy_to_caller(&tokens, buf, cap, out_len, "tokens")
    })
}

/// Parses completion tokens (`n` ids at `tokens`, borrowed) into messages. `role` is the
/// role of the first message when the tokens start inside its header (as after
/// `HARMONY_RENDER_COMPLETION`), or `HARMONY_ROLE_NONE` when they start with `<|start|>`;
/// `flags` are `HARMONY_PARSE_*` bits. On success `*out` receives a JSON array of messages
/// (wire format; with `HARMONY_PARSE_RECOVER` a message may carry `"repairs"`) owned by the
/// caller; release with `harmony_string_free`. Ids outside the vocabulary inside content are
/// accepted as openai-harmony 0.0.8 accepts them (see `harmony_parser_process`).
#[no_mangle]
pub unsafe extern "C" fn harmony_parse(
    encoding: *const harmony_encoding,
    tokens: *const u32,
    n: usize,
    role: i32,
    flags: u32,
    out: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_STRING);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        let opts = parse_flags(flags)?;
        let msgs = crate::parse::parse_completion(slice(tokens, n, "tokens")?, role_arg(role, "role")?, opts)?;
        out.write(string_out(messages_to_json(&msgs)));
        Ok(())
    })
}

pub(crate) fn parse_flags(flags: u32) -> Result<ParseOptions, FfiError> {
    check_flags(flags, HARMONY_PARSE_LENIENT | HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT | HARMONY_PARSE_RECOVER | HARMONY_PARSE_KEEP_TOKENS)?;
    let keep_tokens = flags & HARMONY_PARSE_KEEP_TOKENS != 0;
    if flags & HARMONY_PARSE_RECOVER != 0 {
        return Ok(ParseOptions { keep_tokens, ..ParseOptions::recover() });
    }
    Ok(ParseOptions {
        strict: flags & HARMONY_PARSE_LENIENT == 0,
        fix_constrain_recipient: flags & HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT != 0,
        recover: false,
        keep_tokens,
    })
}

fn encode_text(text: &str, flags: u32) -> Result<Vec<u32>, FfiError> {
    check_flags(flags, HARMONY_ENCODE_ALLOW_SPECIAL)?;
    let allowed = if flags & HARMONY_ENCODE_ALLOW_SPECIAL != 0 { AllowedSpecial::All } else { AllowedSpecial::None };
    Ok(tokenizer::encode(text, allowed))
}

/// Encodes `text` (`len` bytes of UTF-8, borrowed). Special-token spellings are ordinary text
/// unless `flags` has `HARMONY_ENCODE_ALLOW_SPECIAL`. `*out` receives caller-owned tokens.
#[no_mangle]
pub unsafe extern "C" fn harmony_encode(
    encoding: *const harmony_encoding,
    text: *const c_char,
    len: usize,
    flags: u32,
    out: *mut harmony_tokens,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_TOKENS);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        let (data, len) = vec_into_raw(encode_text(utf8(text, len, "text")?, flags)?);
        out.write(harmony_tokens { data, len });
        Ok(())
    })
}

/// How many tokens two renderings share from the start (`*out`): how much of an engine's KV
/// cache for `cached` (`cached_len` tokens) stays valid for the new prompt `next`. With
/// `HARMONY_PARSE_KEEP_TOKENS` on the parse side, a tool-calling loop's next prompt starts
/// with the previous prompt plus the sampled tokens.
#[no_mangle]
pub unsafe extern "C" fn harmony_common_prefix_len(
    cached: *const u32,
    cached_len: usize,
    next: *const u32,
    next_len: usize,
    out: *mut usize,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, 0);
        let out = out_slot(out, "out")?;
        let n = crate::render::common_prefix_len(slice(cached, cached_len, "cached")?, slice(next, next_len, "next")?);
        out.write(n);
        Ok(())
    })
}

/// The allow list of `harmony_encode_allowed`: every id must be a special token.
fn allowed_ids(ids: &[u32]) -> Result<&[u32], FfiError> {
    if let Some((i, t)) = ids.iter().enumerate().find(|(_, &t)| !tokenizer::is_special(t)) {
        return Err(FfiError::invalid(format!("`allowed[{i}]` ({t}) is not a special token id")));
    }
    Ok(ids)
}

/// Encodes `text` (`len` bytes of UTF-8) with only the special tokens in `allowed`
/// (`allowed_len` ids, each a special token's id; NULL with length 0 allows none) read as
/// special tokens; the spellings of all others are ordinary text (openai_harmony's
/// `encode(text, allowed_special={...})`). An id that is not a special token is
/// `HARMONY_ERROR_INVALID_ARGUMENT` naming its index. `*out` receives caller-owned tokens.
#[no_mangle]
pub unsafe extern "C" fn harmony_encode_allowed(
    encoding: *const harmony_encoding,
    text: *const c_char,
    len: usize,
    allowed: *const u32,
    allowed_len: usize,
    out: *mut harmony_tokens,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_TOKENS);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        let allowed = allowed_ids(slice(allowed, allowed_len, "allowed")?)?;
        let text = utf8(text, len, "text")?;
        let tokens = if allowed.is_empty() { tokenizer::encode(text, AllowedSpecial::None) } else { tokenizer::encode(text, AllowedSpecial::Only(allowed)) };
        let (data, len) = vec_into_raw(tokens);
        out.write(harmony_tokens { data, len });
        Ok(())
    })
}

/// Like `harmony_encode`, into the caller's array (sizing as in `harmony_render_into`).
#[no_mangle]
pub unsafe extern "C" fn harmony_encode_into(
    encoding: *const harmony_encoding,
    text: *const c_char,
    len: usize,
    flags: u32,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out_len, 0);
        borrow(encoding, "encoding")?;
        copy_to_caller(&encode_text(utf8(text, len, "text")?, flags)?, buf, cap, out_len, "tokens")
    })
}

fn decode_tokens(tokens: &[u32], flags: u32) -> Result<String, FfiError> {
    check_flags(flags, HARMONY_DECODE_LOSSY)?;
    // The buffer grows with the bytes actually decoded, never reserved from the caller's
    // count (a bogus count must not become a huge allocation and an abort).
    let mut bytes = Vec::new();
    tokenizer::decode_bytes_into(tokens, &mut bytes)?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if flags & HARMONY_DECODE_LOSSY != 0 => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        Err(e) => {
            let detail = e.utf8_error().to_string();
            return Err(crate::Error::InvalidUtf8 { context: "decoded tokens".into(), detail }.into());
        }
    })
}

/// Decodes `n` tokens (borrowed) to UTF-8 text. Fails with `HARMONY_ERROR_UNKNOWN_TOKEN` on
/// ids outside the vocabulary and with `HARMONY_ERROR_INVALID_UTF8` on bytes that are not
/// UTF-8, unless `flags` has `HARMONY_DECODE_LOSSY`. `*out` receives a caller-owned string.
#[no_mangle]
pub unsafe extern "C" fn harmony_decode(
    encoding: *const harmony_encoding,
    tokens: *const u32,
    n: usize,
    flags: u32,
    out: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_STRING);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        out.write(string_out(decode_tokens(slice(tokens, n, "tokens")?, flags)?));
        Ok(())
    })
}

/// Like `harmony_decode`, into the caller's byte buffer (no NUL is written; sizing as in
/// `harmony_render_into`, counted in bytes).
#[no_mangle]
pub unsafe extern "C" fn harmony_decode_into(
    encoding: *const harmony_encoding,
    tokens: *const u32,
    n: usize,
    flags: u32,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out_len, 0);
        borrow(encoding, "encoding")?;
        let text = decode_tokens(slice(tokens, n, "tokens")?, flags)?;
        copy_to_caller(text.as_bytes(), buf.cast::<u8>(), cap, out_len, "bytes")
    })
}

/// Checks that `json` (`len` bytes of UTF-8, borrowed) is exactly one JSON value, surrounding
/// whitespace allowed: `HARMONY_OK`, or `HARMONY_ERROR_INVALID_JSON` (`INVALID_UTF8`) naming
/// what is wrong. The C++, Go and C# wrappers call it before they place caller-supplied raw
/// JSON (a tool's parameter schema) into the JSON they build, so that such text can never
/// close the value early and add fields or tools of its own.
#[no_mangle]
pub unsafe extern "C" fn harmony_json_validate(json: *const c_char, len: usize, err: *mut *mut harmony_error) -> harmony_status {
    boundary(err, || unsafe { Ok(crate::chat::validate_json_value(utf8(json, len, "json")?)?) })
}

/// Points `*tokens` at the library's static array of stop tokens for completions
/// (`<|return|>`, `<|end|>`, `<|call|>`, ascending) and writes its length to `*len`.
/// With `for_assistant_actions` non-zero: `<|return|>`, `<|call|>` only. Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn harmony_stop_tokens(
    encoding: *const harmony_encoding,
    for_assistant_actions: i32,
    tokens: *mut *const u32,
    len: *mut usize,
) -> harmony_status {
    boundary(std::ptr::null_mut(), || unsafe {
        let enc = &borrow(encoding, "encoding")?.inner;
        let list = if for_assistant_actions != 0 { enc.stop_tokens_for_assistant_actions() } else { enc.stop_tokens() };
        write_out(tokens, list.as_ptr(), "tokens")?;
        write_out(len, list.len(), "len")
    })
}

/// Looks up a special token by its spelling (`name`, `len` bytes, e.g. `"<|start|>"`).
/// Returns `HARMONY_ERROR_INVALID_ARGUMENT` if it is not a special token.
#[no_mangle]
pub unsafe extern "C" fn harmony_special_token_id(name: *const c_char, len: usize, out: *mut u32) -> harmony_status {
    boundary(std::ptr::null_mut(), || unsafe {
        let name = utf8(name, len, "name")?;
        let id = tokenizer::special_id(name).ok_or_else(|| FfiError::invalid(format!("`{name}` is not a special token")))?;
        write_out(out, id, "out")
    })
}

/// Points `*name`/`*len` at the static spelling of special token `token`.
/// Returns `HARMONY_ERROR_INVALID_ARGUMENT` for ordinary and unknown ids.
#[no_mangle]
pub unsafe extern "C" fn harmony_special_token_name(token: u32, name: *mut *const c_char, len: *mut usize) -> harmony_status {
    boundary(std::ptr::null_mut(), || unsafe {
        let s = tokenizer::special_name(token).ok_or_else(|| FfiError::invalid(format!("{token} is not a special token")))?;
        write_out(name, s.as_ptr().cast(), "name")?;
        write_out(len, s.len(), "len")
    })
}

/// Non-zero if `token` is a special (control) token.
#[no_mangle]
pub extern "C" fn harmony_token_is_special(token: u32) -> i32 {
    tokenizer::is_special(token) as i32
}

/// Releases tokens returned by the library and resets `*tokens` to `{NULL, 0}`. NULL and
/// already-released (zeroed) structs are no-ops.
#[no_mangle]
pub unsafe extern "C" fn harmony_tokens_free(tokens: *mut harmony_tokens) {
    guard((), || unsafe {
        if let Some(t) = tokens.as_mut() {
            free_raw_vec(t.data, t.len);
            *t = EMPTY_TOKENS;
        }
    })
}

/// Releases a string returned by the library and resets `*string` to `{NULL, 0}`. NULL and
/// already-released (zeroed) structs are no-ops.
#[no_mangle]
pub unsafe extern "C" fn harmony_string_free(string: *mut harmony_string) {
    guard((), || unsafe {
        if let Some(s) = string.as_mut() {
            free_raw_vec(s.data.cast::<u8>(), s.len + usize::from(!s.data.is_null()));
            *s = EMPTY_STRING;
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_macros_match_the_crate_version() {
        let v = format!("{}.{}.{}", super::HARMONY_VERSION_MAJOR, super::HARMONY_VERSION_MINOR, super::HARMONY_VERSION_PATCH);
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
    }
}

/// Lends `produced` (a stream's chunk or events, if the token gave any) through `data` / `len`:
/// copied into the stream's one reused, NUL-terminated buffer `view`, or NULL and 0.
pub(crate) fn lend(
    view: &mut Vec<u8>,
    produced: Option<&str>,
    data: &mut std::mem::MaybeUninit<*const c_char>,
    len: &mut std::mem::MaybeUninit<usize>,
) {
    match produced {
        Some(text) => {
            view.clear();
            view.extend_from_slice(text.as_bytes());
            view.push(0);
            data.write(view.as_ptr().cast());
            len.write(text.len());
        }
        None => {
            data.write(std::ptr::null());
            len.write(0);
        }
    }
}
