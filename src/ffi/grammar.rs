//! Harmony-aware grammars for constrained decoding over the C ABI.

use super::error::{boundary, harmony_error, harmony_status, FfiError};
use super::handle::*;
use super::{harmony_encoding, harmony_string, string_out, EMPTY_STRING};
use crate::grammar::{self, GrammarFormat, GrammarOptions};
use std::ffi::c_char;

/// Output format of `harmony_chat_grammar`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum harmony_grammar_format {
    /// llguidance Lark grammar (special tokens as `<|name|>` references, schemas as `%json`).
    HARMONY_GRAMMAR_LARK = 0,
    /// llama.cpp GBNF grammar, root rule `root` (special tokens as `<[id]>`).
    HARMONY_GRAMMAR_GBNF = 1,
    /// xgrammar structural tag JSON (`{"type":"structural_tag","format":...}`).
    HARMONY_GRAMMAR_XGRAMMAR = 2,
}

fn format_arg(format: i32) -> Result<GrammarFormat, FfiError> {
    Ok(match format {
        0 => GrammarFormat::Lark,
        1 => GrammarFormat::Gbnf,
        2 => GrammarFormat::Xgrammar,
        _ => return Err(FfiError::invalid(format!("`format` is {format}, not a harmony_grammar_format (0..=2)"))),
    })
}

/// Generates the grammar of the completion an OpenAI Chat Completions request (`request`,
/// `request_len` bytes of UTF-8 JSON) permits: its tools, `tool_choice`,
/// `parallel_tool_calls` and `response_format`. The grammar starts where the prompt of
/// `harmony_chat_render` ends (inside the assistant header). `format` is a
/// `harmony_grammar_format`. `options` (may be NULL with length 0) is a JSON object:
/// `reasoning` ("optional" (default), "required" or "none": analysis before the answer) and
/// `lazy` (GBNF only: just the tool calls, for a llama.cpp lazy grammar armed by the pattern
/// `<\|channel\|>commentary to=`). `*out` receives the grammar text, owned by the caller
/// (release with `harmony_string_free`).
#[no_mangle]
pub unsafe extern "C" fn harmony_chat_grammar(
    encoding: *const harmony_encoding,
    request: *const c_char,
    request_len: usize,
    format: i32,
    options: *const c_char,
    options_len: usize,
    out: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    unsafe { generate(grammar::chat_grammar, encoding, request, request_len, format, options, options_len, out, err) }
}

/// Generates the grammar of the completion an OpenAI Responses request permits: its function
/// `tools` (flat: `{"type":"function","name":…,"parameters":…}`), `tool_choice` (`"auto"`,
/// `"none"`, `"required"`, `{"type":"function","name":…}`), `parallel_tool_calls` and
/// `text.format`. The same request in either dialect gives the same grammar (see
/// `harmony_chat_grammar` for `format`, `options` and `out`). Hosted tools (`web_search`)
/// are `HARMONY_ERROR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn harmony_responses_grammar(
    encoding: *const harmony_encoding,
    request: *const c_char,
    request_len: usize,
    format: i32,
    options: *const c_char,
    options_len: usize,
    out: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    unsafe { generate(grammar::responses_grammar, encoding, request, request_len, format, options, options_len, out, err) }
}

type Generator = fn(&str, GrammarFormat, &GrammarOptions) -> crate::Result<String>;

/// The body of both grammar entry points (only the request dialect differs).
#[allow(clippy::too_many_arguments)]
unsafe fn generate(
    generator: Generator,
    encoding: *const harmony_encoding,
    request: *const c_char,
    request_len: usize,
    format: i32,
    options: *const c_char,
    options_len: usize,
    out: *mut harmony_string,
    err: *mut *mut harmony_error,
) -> harmony_status {
    boundary(err, || unsafe {
        write_opt(out, EMPTY_STRING);
        let out = out_slot(out, "out")?;
        borrow(encoding, "encoding")?;
        let format = format_arg(format)?;
        let opts = GrammarOptions::from_json(utf8(options, options_len, "options")?)?;
        out.write(string_out(generator(utf8(request, request_len, "request")?, format, &opts)?));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::error::{harmony_error_free, harmony_error_message, harmony_error_status};
    use crate::ffi::{harmony_encoding_free, harmony_encoding_new, harmony_string_free};

    fn call(format: i32, request: &str, options: &str) -> (harmony_status, String) {
        unsafe {
            let mut enc = std::ptr::null();
            assert_eq!(harmony_encoding_new(std::ptr::null(), &mut enc, std::ptr::null_mut()), harmony_status::HARMONY_OK);
            let mut out = harmony_string { data: std::ptr::null_mut(), len: 0 };
            let mut err = std::ptr::null_mut();
            let st = harmony_chat_grammar(enc, request.as_ptr().cast(), request.len(), format, options.as_ptr().cast(), options.len(), &mut out, &mut err);
            let text = if st == harmony_status::HARMONY_OK {
                assert!(err.is_null());
                let s = String::from_utf8(std::slice::from_raw_parts(out.data.cast::<u8>(), out.len).to_vec()).unwrap();
                harmony_string_free(&mut out);
                s
            } else {
                assert!(out.data.is_null() && out.len == 0);
                assert_eq!(harmony_error_status(err), st);
                let s = std::ffi::CStr::from_ptr(harmony_error_message(err)).to_str().unwrap().to_string();
                harmony_error_free(err);
                s
            };
            harmony_encoding_free(enc);
            (st, text)
        }
    }

    const REQ: &str = r#"{"messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}"#;

    #[test]
    fn each_format_matches_the_rust_api() {
        for (i, f) in [GrammarFormat::Lark, GrammarFormat::Gbnf, GrammarFormat::Xgrammar].into_iter().enumerate() {
            let (st, text) = call(i as i32, REQ, r#"{"reasoning":"required"}"#);
            assert_eq!(st, harmony_status::HARMONY_OK);
            let opts = GrammarOptions { reasoning: grammar::Reasoning::Required, lazy: false };
            assert_eq!(text, grammar::chat_grammar(REQ, f, &opts).unwrap());
        }
    }

    #[test]
    fn bad_arguments_are_errors_with_messages() {
        let (st, msg) = call(3, REQ, "");
        assert_eq!(st, harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        assert!(msg.contains("not a harmony_grammar_format"), "{msg}");
        let (st, msg) = call(0, REQ, r#"{"lazy":1}"#);
        assert_ne!(st, harmony_status::HARMONY_OK);
        assert!(msg.contains("grammar options"), "{msg}");
        let (st, msg) = call(1, r#"{"tools":[{"type":"function","function":{"name":"a b"}},{"type":"function","function":{"name":"a b"}}]}"#, "");
        assert_eq!(st, harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        assert!(msg.contains("declared twice"), "{msg}");
        unsafe {
            let mut out = harmony_string { data: std::ptr::null_mut(), len: 0 };
            let st = harmony_chat_grammar(std::ptr::null(), REQ.as_ptr().cast(), REQ.len(), 0, std::ptr::null(), 0, &mut out, std::ptr::null_mut());
            assert_eq!(st, harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        }
    }
}
