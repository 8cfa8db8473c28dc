//! Drives every `extern "C"` function with arbitrary arguments, as a program of calls read
//! from the input: any role, mode and flag values, NULL for any out-parameter or error slot,
//! pointers with any length they really have (NULL only with length 0, as the contract
//! requires), parser handles used in any order. Each call must return a status (never
//! `HARMONY_ERROR_PANIC`), keep its output contract, and leak nothing (LeakSanitizer).
#![no_main]

mod common;

use harmony::ffi::error::{harmony_error, harmony_error_free, harmony_error_message, harmony_error_status, harmony_status, harmony_status_name};
use harmony::ffi::parser::*;
use harmony::ffi::*;
use harmony_status::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    /// A length-prefixed slice (length byte, then up to that many bytes).
    fn bytes(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte());
        let n = if n == 255 { usize::from(self.byte()) * 64 } else { n };
        let start = self.pos.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.pos = end;
        &self.data[start..end]
    }
    /// A pointer and length for `b`: NULL when empty and the input says so.
    fn ptr_len<T>(&mut self, b: &[T]) -> (*const T, usize) {
        if b.is_empty() && self.byte() & 1 == 1 {
            (null(), 0)
        } else {
            (b.as_ptr(), b.len())
        }
    }
}

unsafe fn check_tokens(t: &mut harmony_tokens) {
    if t.len > 0 {
        assert!(!t.data.is_null());
        let s = unsafe { std::slice::from_raw_parts(t.data, t.len) };
        assert!(s.iter().all(|&x| x < 201_089));
    } else {
        assert!(t.data.is_null());
    }
    unsafe { harmony_tokens_free(t) };
    assert!(t.data.is_null() && t.len == 0);
}

unsafe fn check_string(s: &mut harmony_string, json: bool) {
    assert!(!s.data.is_null());
    let bytes = unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len + 1) };
    assert_eq!(bytes[s.len], 0);
    let text = std::str::from_utf8(&bytes[..s.len]).expect("UTF-8 out");
    if json {
        let v: serde_json::Value = serde_json::from_str(text).expect("JSON out");
        assert!(v.is_array());
    }
    unsafe { harmony_string_free(s) };
}

unsafe fn check_borrowed(p: *const harmony_parser) -> harmony_status {
    type Accessor = unsafe extern "C" fn(*const harmony_parser, *mut *const c_char, *mut usize) -> harmony_status;
    let accessors: [Accessor; 5] = [
        harmony_parser_last_delta,
        harmony_parser_current_content,
        harmony_parser_current_channel,
        harmony_parser_current_recipient,
        harmony_parser_current_content_type,
    ];
    let mut last = HARMONY_OK;
    for f in accessors {
        let (mut d, mut n) = (1 as *const c_char, 7usize);
        last = unsafe { f(p, &mut d, &mut n) };
        if d.is_null() {
            assert_eq!(n, 0);
        } else {
            std::str::from_utf8(unsafe { std::slice::from_raw_parts(d.cast::<u8>(), n) }).expect("UTF-8 borrowed text");
        }
        assert_eq!(last == HARMONY_OK, !p.is_null());
    }
    let _ = unsafe { (harmony_parser_state(p), harmony_parser_current_role(p), harmony_parser_message_count(p)) };
    last
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input { data, pos: 0 };
    let mut enc = null();
    unsafe {
        assert_eq!(harmony_encoding_new(null(), &mut enc, null_mut()), HARMONY_OK);
        let mut parsers: [*mut harmony_parser; 2] = [null_mut(); 2];
        let mut calls = 0;
        while !inp.done() && calls < 64 {
            calls += 1;
            let op = inp.byte();
            let mut err: *mut harmony_error = 1 as *mut harmony_error;
            let errp: *mut *mut harmony_error = if op & 0x80 != 0 { &mut err } else { null_mut() };
            let null_out = op & 0x40 != 0;
            let e = if op & 0x20 != 0 && inp.byte() == 0 { null() } else { enc };
            let st = match op & 0x1f {
                0 | 1 => {
                    let (mode, role, flags) = (i32::from(inp.byte() % 6) - 1, i32::from(inp.byte() % 8) - 2, u32::from(inp.byte() & 7));
                    let json = inp.bytes();
                    let (p, n) = inp.ptr_len(json);
                    if op & 1 == 0 {
                        let mut out = harmony_tokens { data: 8 as *mut u32, len: 99 };
                        let st = harmony_render(e, mode, p.cast(), n, role, flags, if null_out { null_mut() } else { &mut out }, errp);
                        if !null_out {
                            if st == HARMONY_OK {
                                check_tokens(&mut out);
                            } else {
                                assert!(out.data.is_null() && out.len == 0);
                            }
                        }
                        st
                    } else {
                        let cap = usize::from(inp.byte());
                        let mut buf = vec![7u32; cap];
                        let bufp = if cap == 0 && inp.byte() & 1 == 1 { null_mut() } else { buf.as_mut_ptr() };
                        let mut n_out = 12345usize;
                        let st = harmony_render_into(e, mode, p.cast(), n, role, flags, bufp, cap, if null_out { null_mut() } else { &mut n_out }, errp);
                        if st == HARMONY_OK {
                            assert!(n_out <= cap);
                        }
                        if st == HARMONY_ERROR_BUFFER_TOO_SMALL {
                            assert!(n_out > cap && buf.iter().all(|&x| x == 7), "nothing written");
                        }
                        st
                    }
                }
                2 => {
                    let sel = inp.byte();
                    let tokens = common::tokens(inp.bytes());
                    let (p, n) = inp.ptr_len(&tokens);
                    let role = i32::from(sel % 8) - 2;
                    let flags = u32::from(sel >> 5);
                    let mut out = harmony_string { data: 8 as *mut c_char, len: 99 };
                    let st = harmony_parse(e, p, n, role, flags, if null_out { null_mut() } else { &mut out }, errp);
                    if !null_out {
                        if st == HARMONY_OK {
                            check_string(&mut out, true);
                        } else {
                            assert!(out.data.is_null() && out.len == 0);
                        }
                    }
                    st
                }
                3 | 4 => {
                    let flags = u32::from(inp.byte() & 3);
                    let text = inp.bytes();
                    let (p, n) = inp.ptr_len(text);
                    if op & 0x1f == 3 {
                        let mut out = harmony_tokens { data: 8 as *mut u32, len: 99 };
                        let st = harmony_encode(e, p.cast(), n, flags, if null_out { null_mut() } else { &mut out }, errp);
                        if st == HARMONY_OK && !null_out {
                            check_tokens(&mut out);
                        }
                        st
                    } else {
                        let cap = usize::from(inp.byte());
                        let mut buf = vec![7u32; cap];
                        let mut n_out = 0usize;
                        let st = harmony_encode_into(e, p.cast(), n, flags, buf.as_mut_ptr(), cap, if null_out { null_mut() } else { &mut n_out }, errp);
                        if st == HARMONY_ERROR_BUFFER_TOO_SMALL {
                            assert!(n_out > cap && buf.iter().all(|&x| x == 7));
                        }
                        st
                    }
                }
                5 | 6 => {
                    let flags = u32::from(inp.byte() & 3);
                    let raw = inp.bytes();
                    let tokens: Vec<u32> = if inp.byte() & 1 == 0 {
                        common::tokens(raw)
                    } else {
                        raw.chunks(4).map(|c| c.iter().fold(0u32, |v, &b| v << 8 | u32::from(b))).collect()
                    };
                    let (p, n) = inp.ptr_len(&tokens);
                    if op & 0x1f == 5 {
                        let mut out = harmony_string { data: 8 as *mut c_char, len: 99 };
                        let st = harmony_decode(e, p, n, flags, if null_out { null_mut() } else { &mut out }, errp);
                        if st == HARMONY_OK && !null_out {
                            check_string(&mut out, false);
                        }
                        st
                    } else {
                        let cap = usize::from(inp.byte());
                        let mut buf = vec![7u8; cap];
                        let mut n_out = 0usize;
                        let st = harmony_decode_into(e, p, n, flags, buf.as_mut_ptr().cast(), cap, if null_out { null_mut() } else { &mut n_out }, errp);
                        if st == HARMONY_OK {
                            std::str::from_utf8(&buf[..n_out]).expect("UTF-8 out");
                        }
                        st
                    }
                }
                7 => {
                    let slot = usize::from(inp.byte() & 1);
                    let (role, flags) = (i32::from(inp.byte() % 8) - 2, u32::from(inp.byte() & 7));
                    harmony_parser_free(parsers[slot]);
                    parsers[slot] = 1 as *mut harmony_parser;
                    let st = harmony_parser_new(e, role, flags, if null_out { null_mut() } else { &mut parsers[slot] }, errp);
                    if null_out {
                        parsers[slot] = null_mut();
                    } else {
                        assert_eq!(st == HARMONY_OK, !parsers[slot].is_null());
                    }
                    st
                }
                8 => {
                    let p = parsers[usize::from(inp.byte() & 1)];
                    let t = common::tokens(&[inp.byte(), inp.byte(), inp.byte(), inp.byte(), inp.byte()])[0];
                    harmony_parser_process(p, t, errp)
                }
                9 => {
                    let p = parsers[usize::from(inp.byte() & 1)];
                    let tokens = common::tokens(inp.bytes());
                    let (tp, n) = inp.ptr_len(&tokens);
                    harmony_parser_process_tokens(p, tp, n, errp)
                }
                10 => harmony_parser_process_eos(parsers[usize::from(inp.byte() & 1)], errp),
                11 => {
                    let p = parsers[usize::from(inp.byte() & 1)];
                    check_borrowed(p);
                    let mut out = harmony_string { data: 8 as *mut c_char, len: 99 };
                    let st = harmony_parser_messages_json(p, if null_out { null_mut() } else { &mut out }, errp);
                    if st == HARMONY_OK {
                        check_string(&mut out, true);
                    }
                    st
                }
                12 => {
                    let slot = usize::from(inp.byte() & 1);
                    harmony_parser_free(parsers[slot]);
                    parsers[slot] = null_mut();
                    HARMONY_OK
                }
                13 => {
                    let name = inp.bytes();
                    let (p, n) = inp.ptr_len(name);
                    let mut id = 0u32;
                    let st = harmony_special_token_id(p.cast(), n, if null_out { null_mut() } else { &mut id });
                    if st == HARMONY_OK {
                        assert!(harmony_token_is_special(id) == 1);
                    }
                    let (mut s, mut len) = (null(), 0usize);
                    let t = inp.u32();
                    let st2 = harmony_special_token_name(t, &mut s, &mut len);
                    assert_eq!(st2 == HARMONY_OK, harmony_token_is_special(t) == 1);
                    assert_ne!(st2, HARMONY_ERROR_PANIC);
                    st
                }
                14 => {
                    let (mut t, mut n) = (null(), 0usize);
                    let actions = inp.u32() as i32;
                    let st = harmony_stop_tokens(e, actions, if null_out { null_mut() } else { &mut t }, &mut n);
                    if st == HARMONY_OK {
                        assert!(n == 2 || n == 3);
                    }
                    let name = CStr::from_ptr(harmony_status_name(inp.u32() as i32));
                    assert!(name.to_bytes().starts_with(b"HARMONY_"));
                    assert!(!CStr::from_ptr(harmony_version()).to_bytes().is_empty());
                    st
                }
                15 => {
                    let mut name = inp.bytes().to_vec();
                    name.retain(|&b| b != 0);
                    name.push(0);
                    let mut h = 1 as *const harmony_encoding;
                    let p = if name.len() == 1 && inp.byte() & 1 == 1 { null() } else { name.as_ptr().cast() };
                    let st = harmony_encoding_new(p, if null_out { null_mut() } else { &mut h }, errp);
                    if !null_out {
                        assert_eq!(st == HARMONY_OK, !h.is_null());
                        harmony_encoding_free(h);
                    }
                    st
                }
                _ => continue,
            };
            assert_ne!(st, HARMONY_ERROR_PANIC, "a panic reached the C boundary");
            // Operations 12, 13 and 14 call functions without an error slot.
            if !errp.is_null() && !matches!(op & 0x1f, 12..=14) {
                if st == HARMONY_OK {
                    assert!(err.is_null());
                } else {
                    assert!(!err.is_null());
                    assert_eq!(harmony_error_status(err), st);
                    assert!(!CStr::from_ptr(harmony_error_message(err)).to_bytes().is_empty());
                    harmony_error_free(err);
                }
            }
        }
        for p in parsers {
            harmony_parser_free(p);
        }
        harmony_encoding_free(enc);
    }
});
