//! The streaming parser driven by a program of operations: feed a token, end the stream,
//! clone the parser, read every accessor — including after an error and after the end, which
//! the API allows (feeding a finished parser fails). A clone must behave exactly like the
//! original; nothing may panic; recover mode never fails before the end.
#![no_main]

mod common;

use harmony::{StreamParser, StreamState};
use libfuzzer_sys::fuzz_target;

fn snapshot(p: &StreamParser) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
        p.state(),
        p.current_role(),
        p.current_channel(),
        p.current_recipient(),
        p.current_content_type(),
        p.current_content(),
        p.last_content_delta(),
        p.content_delta(),
        p.current_repairs(),
        p.messages(),
        p.tokens().len()
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let (role, opts) = common::options(sel);
    let mut p = StreamParser::new(role, opts);
    let mut twin: Option<StreamParser> = None;
    let mut failed = false;
    let mut i = 0;
    while i < rest.len() {
        let op = rest[i];
        i += 1;
        let mut fed = 0;
        let result = match op {
            0xF0 => p.process_eos().map(|_| ()),
            0xF1 => {
                twin = Some(p.clone());
                Ok(())
            }
            0xF2 => {
                p = StreamParser::new(role, opts);
                twin = None;
                failed = false;
                Ok(())
            }
            _ => {
                // The rest of this token's bytes, as `common::tokens` reads them.
                let len = match op >> 6 { 0 | 1 => 0, 2 => 2, _ if op & 1 == 0 => 3, _ => 4 };
                let end = (i + len).min(rest.len());
                let mut bytes = vec![op];
                bytes.extend_from_slice(&rest[i..end]);
                i = end;
                let t = common::tokens(&bytes)[0];
                fed = t;
                p.process(t).map(|_| ())
            }
        };
        let before = snapshot(&p);
        if let Some(t) = twin.as_mut() {
            // Replay the same operation on the clone: it must end up in the same place.
            let r = match op {
                0xF0 => t.process_eos().map(|_| ()),
                0xF1 | 0xF2 => Ok(()),
                // The token just fed (not `p.tokens().last()`: a finished parser keeps none).
                _ => t.process(fed).map(|_| ()),
            };
            if op != 0xF1 && op != 0xF2 {
                assert_eq!(r.is_ok(), result.is_ok());
                assert_eq!(snapshot(t), before, "a clone diverged");
            }
        }
        if opts.recover && !p.is_finished() {
            assert!(result.is_ok(), "recover mode failed: {result:?}");
        }
        if result.is_err() && p.is_finished() && op != 0xF0 {
            assert_eq!(result.as_ref().unwrap_err().kind(), harmony::ErrorKind::InvalidArgument, "finished");
        }
        failed |= result.is_err();
        if p.state() != StreamState::Content && !opts.recover {
            assert!(p.last_content_delta().is_none());
        }
        if let Some(d) = p.last_content_delta() {
            // The delta is the tail of the current content, or (the loss-free delta of recover
            // mode, on the token that completed a message) of the message that just ended.
            let ended_with = |m: &harmony::Message| match m.content.as_slice() {
                [harmony::Content::Text(t)] => t.text.ends_with(d),
                _ => false,
            };
            assert!(p.current_content().ends_with(d) || p.messages().last().is_some_and(ended_with));
        }
    }
    // Without a failure the stream equals the whole parse of what was fed, when it was fed at
    // once (only if no end of stream was signalled in the middle).
    if !failed && !rest.contains(&0xF0) && !rest.contains(&0xF2) {
        let tokens = p.tokens().to_vec();
        let r = p.process_eos().map(|p| p.messages().to_vec());
        assert_eq!(r, harmony::parse_completion(&tokens, role, opts));
    }
});
