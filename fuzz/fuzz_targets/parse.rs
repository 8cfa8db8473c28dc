//! Arbitrary bytes as completion tokens (see `common::tokens`), parsed whole and streamed in
//! every role/strictness combination the first byte selects. Whole and streaming parses must
//! agree: the same messages, or the same error at the same token.
#![no_main]

mod common;

use harmony::chat::{messages_from_json, messages_to_json};
use harmony::parse_completion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let tokens = common::tokens(rest);
    let (role, opts) = common::options(sel);
    let whole = parse_completion(&tokens, role, opts);
    let streamed = common::stream_checked(&tokens, role, opts);
    match (&whole, &streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b);
            assert_eq!(messages_from_json(&messages_to_json(a)).as_ref(), Ok(a), "wire JSON round-trips");
        }
        (Err(a), Err((at, b))) => {
            assert_eq!(a, b);
            let upto = (*at + 1).min(tokens.len());
            assert_eq!(parse_completion(&tokens[..upto], role, opts).as_ref().err(), Some(b), "same position");
        }
        _ => panic!("whole {whole:?} != streamed {streamed:?}"),
    }
});
