//! The C ABI gives the same results as the reference on every golden vector: render through
//! `harmony_render` and `harmony_render_into`, parse through `harmony_parse`, and streaming
//! through the parser handle, comparing deltas after each token.
#![allow(clippy::missing_safety_doc)]

use harmony::ffi::error::harmony_status;
use harmony::ffi::parser::*;
use harmony::ffi::*;
use serde_json::Value;
use std::ptr::{null, null_mut};

fn vectors() -> Vec<Value> {
    include_str!("golden/vectors.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn tokens(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|t| t.as_u64().unwrap() as u32).collect()
}

fn role_code(v: &Value) -> i32 {
    match v.as_str() {
        None => -1,
        Some(r) => ["user", "assistant", "system", "developer", "tool"].iter().position(|x| *x == r).map_or(99, |i| i as i32),
    }
}

struct Enc(*const harmony_encoding);
impl Drop for Enc {
    fn drop(&mut self) {
        unsafe { harmony_encoding_free(self.0) }
    }
}

fn borrowed(f: impl FnOnce(*mut *const std::ffi::c_char, *mut usize) -> harmony_status) -> Option<String> {
    let (mut d, mut n) = (null(), 0usize);
    assert_eq!(f(&mut d, &mut n), harmony_status::HARMONY_OK);
    (!d.is_null()).then(|| unsafe { std::str::from_utf8(std::slice::from_raw_parts(d.cast::<u8>(), n)).unwrap().to_string() })
}

#[test]
fn c_abi_matches_golden_vectors() {
    let mut enc = null();
    assert_eq!(unsafe { harmony_encoding_new(null(), &mut enc, null_mut()) }, harmony_status::HARMONY_OK);
    let enc = Enc(enc);
    let mut checked = 0;
    for v in vectors() {
        let id = v["id"].as_str().unwrap();
        match v["kind"].as_str().unwrap() {
            "render" => unsafe {
                let input = v["input"].as_str().unwrap();
                let mode = ["completion", "conversation", "training"].iter().position(|m| *m == v["mode"]).unwrap() as i32;
                let flags = if v["auto_drop_analysis"].as_bool().unwrap() { 0 } else { HARMONY_RENDER_KEEP_ANALYSIS };
                let role = if mode == 0 { role_code(&v["next_role"]) } else { -1 };
                let mut out = harmony_tokens { data: null_mut(), len: 0 };
                let st = harmony_render(enc.0, mode, input.as_ptr().cast(), input.len(), role, flags, &mut out, null_mut());
                let mut buf = vec![0u32; 1 << 16];
                let mut n = 0usize;
                let st2 = harmony_render_into(enc.0, mode, input.as_ptr().cast(), input.len(), role, flags, buf.as_mut_ptr(), buf.len(), &mut n, null_mut());
                match v.get("tokens") {
                    Some(want) => {
                        assert_eq!(st, harmony_status::HARMONY_OK, "{id}");
                        let got: &[u32] = if out.len == 0 { &[] } else { std::slice::from_raw_parts(out.data, out.len) };
                        assert_eq!(got, tokens(want).as_slice(), "{id}");
                        assert_eq!(st2, harmony_status::HARMONY_OK, "{id}");
                        assert_eq!(&buf[..n], got, "{id}");
                    }
                    None => assert!(st != harmony_status::HARMONY_OK && st2 != harmony_status::HARMONY_OK, "{id}"),
                }
                harmony_tokens_free(&mut out);
            },
            "parse" => unsafe {
                let toks = tokens(&v["tokens"]);
                let flags = if v["strict"].as_bool().unwrap() { 0 } else { HARMONY_PARSE_LENIENT };
                let mut out = harmony_string { data: null_mut(), len: 0 };
                let st = harmony_parse(enc.0, toks.as_ptr(), toks.len(), role_code(&v["role"]), flags, &mut out, null_mut());
                match v.get("messages") {
                    Some(want) => {
                        assert_eq!(st, harmony_status::HARMONY_OK, "{id}");
                        let got = std::str::from_utf8(std::slice::from_raw_parts(out.data.cast::<u8>(), out.len)).unwrap();
                        assert_eq!(got, want.as_str().unwrap(), "{id}");
                    }
                    None => assert_ne!(st, harmony_status::HARMONY_OK, "{id}"),
                }
                harmony_string_free(&mut out);
            },
            "stream" => unsafe {
                let toks = tokens(&v["tokens"]);
                let flags = if v["strict"].as_bool().unwrap() { 0 } else { HARMONY_PARSE_LENIENT };
                let mut p = null_mut();
                assert_eq!(harmony_parser_new(enc.0, role_code(&v["role"]), flags, &mut p, null_mut()), harmony_status::HARMONY_OK);
                let steps = v["steps"].as_array().unwrap();
                let error_at = v["error_at"].as_u64().map(|i| i as usize);
                for i in 0..=toks.len() {
                    let st = if i < toks.len() { harmony_parser_process(p, toks[i], null_mut()) } else { harmony_parser_process_eos(p, null_mut()) };
                    if error_at == Some(i) {
                        assert_eq!(st, harmony_status::HARMONY_ERROR_PARSE, "{id} step {i}");
                        break;
                    }
                    assert_eq!(st, harmony_status::HARMONY_OK, "{id} step {i}");
                    let s = &steps[i];
                    assert_eq!(borrowed(|d, n| harmony_parser_last_delta(p, d, n)).as_deref(), s["delta"].as_str(), "{id} step {i}");
                    assert_eq!(borrowed(|d, n| harmony_parser_current_channel(p, d, n)).as_deref(), s["channel"].as_str(), "{id} step {i}");
                    assert_eq!(borrowed(|d, n| harmony_parser_current_recipient(p, d, n)).as_deref(), s["recipient"].as_str(), "{id} step {i}");
                    assert_eq!(borrowed(|d, n| harmony_parser_current_content_type(p, d, n)).as_deref(), s["content_type"].as_str(), "{id} step {i}");
                    assert_eq!(harmony_parser_current_role(p), role_code(&s["role"]), "{id} step {i}");
                    let state = ["ExpectStart", "Header", "Content"][harmony_parser_state(p) as usize];
                    assert_eq!(state, s["state"], "{id} step {i}");
                    assert_eq!(harmony_parser_message_count(p) as u64, s["messages"].as_u64().unwrap(), "{id} step {i}");
                }
                let mut out = harmony_string { data: null_mut(), len: 0 };
                assert_eq!(harmony_parser_messages_json(p, &mut out, null_mut()), harmony_status::HARMONY_OK);
                let got = std::str::from_utf8(std::slice::from_raw_parts(out.data.cast::<u8>(), out.len)).unwrap();
                assert_eq!(got, v["messages"].as_str().unwrap(), "{id}");
                harmony_string_free(&mut out);
                harmony_parser_free(p);
            },
            _ => continue,
        }
        checked += 1;
    }
    assert!(checked > 3000, "only {checked} vectors checked");
}
