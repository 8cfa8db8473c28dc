//! Property tests of the invariants the format promises:
//!
//! - a message rendered with `render_message` parses back to the same message, for every
//!   message the header syntax can express (see [`expressible`] for the exact rules and
//!   `header_quirks_that_do_not_round_trip` for the cases that cannot, each pinned);
//! - parsing token by token (`StreamParser`, the C parser handle) gives what parsing the whole
//!   completion gives — the same messages, or the same error at the same token;
//! - `decode(encode(s)) == s` for every string, with and without special tokens allowed;
//! - the library gives identical results from 8 threads at once, including on first use.

mod common;

use harmony::chat::messages_to_json;
use harmony::ffi::error::harmony_status::{self, *};
use harmony::ffi::parser::*;
use harmony::ffi::*;
use harmony::tokenizer::{self, special_name, AllowedSpecial, FIRST_SPECIAL, VOCAB_SIZE};
use harmony::{Author, Content, Conversation, Message, ParseOptions, RenderOptions, Role, StreamParser};
use proptest::prelude::*;
use std::ptr::{null, null_mut};

// ---------------------------------------------------------------------------------------------
// Generators

const SPELLINGS: &[&str] = &[
    "<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|return|>", "<|call|>",
    "<|endoftext|>", "<|startoftext|>", "<|reserved_200017|>", "<|reserved_201088|>", "<|", "|>",
];

/// Text of any kind: arbitrary Unicode, special-token spellings, whitespace runs, long runs.
fn text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        4 => any::<String>(),
        2 => prop::sample::select(SPELLINGS).prop_map(String::from),
        1 => "[ \t\r\n\u{a0}\u{3000}]{1,6}",
        1 => "[a-zA-Z0-9 ']{0,20}",
        1 => (prop::sample::select(vec!["a", " ", "\n", "日", "🎉", "!"]), 1..300usize).prop_map(|(c, n)| c.repeat(n)),
        1 => "\\PC{0,12}",
    ];
    prop::collection::vec(fragment, 0..5).prop_map(|v| v.concat())
}

/// A header word: no whitespace, may contain dots, `=`, punctuation, non-ASCII and special
/// spellings other than the two the header parser looks for.
fn header_word() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        3 => "[a-zA-Z0-9_.:/@-]{1,10}",
        1 => "\\S{1,6}",
        1 => prop::sample::select(vec!["functions.get_weather", "browser.search", "python", "to=", "=", "日本", "🎉", "<|start|>", "<|end|>", "<|message|>", "<|reserved_200017|>", "<|", "|>"]).prop_map(String::from),
    ];
    prop::collection::vec(part, 1..3).prop_map(|v| v.concat())
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![Role::Assistant, Role::Tool, Role::User])
}

/// Whether `render_message` followed by `parse_completion` can give `m` back. The header is
/// text split on whitespace, so:
/// 1. header fields (name, recipient, channel, content type) contain no whitespace (Unicode:
///    the parser trims with `str::trim` and ends the channel at `char::is_whitespace`), and no
///    spelling of `<|channel|>` or `<|constrain|>` (the parser searches the decoded header for
///    them) — except that a content type may *start* with `<|constrain|>`, which renders as the
///    real token;
/// 2. the channel is non-empty and has no `<` (a channel name ends at `<`);
/// 3. the recipient is not `all` (not rendered: `all` means everyone);
/// 4. only tool messages have an author name (other roles render `role:name`, which parses
///    as a tool named `role:name`); a tool's name is not a role word and does not start with
///    `to=`, and a tool message has a recipient (its header needs a second word for the first
///    one to be read as a name);
/// 5. a content type needs a recipient before it (a lone last word is read as the recipient,
///    openai-harmony 0.0.8's behaviour), is non-empty, and does not start with `to=` (which
///    marks a recipient);
/// 6. content is one text part (parts are concatenated).
fn expressible(m: &Message) -> bool {
    let clean = |s: &str| !s.chars().any(char::is_whitespace) && !s.contains("<|channel|>") && !s.contains("<|constrain|>");
    let name_ok = match (&m.author.role, &m.author.name) {
        (Role::Tool, Some(n)) => {
            !n.is_empty() && clean(n) && Role::parse(n).is_err() && !n.starts_with("to=") && m.recipient.is_some()
        }
        (Role::Tool, None) => false,
        (_, name) => name.is_none(),
    };
    let recipient_ok = m.recipient.as_deref().map_or(true, |r| clean(r) && r != "all");
    let channel_ok = m.channel.as_deref().map_or(true, |c| !c.is_empty() && !c.contains('<') && clean(c));
    let content_type_ok = m.content_type.as_deref().map_or(true, |ct| {
        let rest = ct.strip_prefix("<|constrain|>").unwrap_or(ct);
        !ct.is_empty() && clean(rest) && !ct.starts_with("to=") && m.recipient.is_some()
    });
    name_ok && recipient_ok && channel_ok && content_type_ok && matches!(m.content.as_slice(), [Content::Text(_)])
}

prop_compose! {
    fn expressible_message()(
        role in role(),
        name in header_word(),
        recipient in proptest::option::of(header_word()),
        channel in proptest::option::of(prop_oneof![header_word(), prop::sample::select(vec!["analysis", "commentary", "final"]).prop_map(String::from)]),
        content_type in proptest::option::of(prop_oneof![header_word(), header_word().prop_map(|w| format!("<|constrain|>{w}")), Just("<|constrain|>".to_string())]),
        text in text(),
    ) -> Message {
        let name = (role == Role::Tool).then_some(name);
        // Rule 4: tool messages get a recipient; rule 5: a content type gets one.
        let recipient = if role == Role::Tool || content_type.is_some() {
            Some(recipient.unwrap_or_else(|| "assistant".into()))
        } else {
            recipient
        };
        Message { author: Author { role, name }, recipient, channel, content_type, content: vec![Content::from(text)], repairs: vec![], tokens: None }
    }
}

fn expressible_message_filtered() -> impl Strategy<Value = Message> {
    expressible_message().prop_filter("header syntax cannot express it", expressible)
}

/// A token id biased towards the structure of completions.
fn token() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => prop::sample::select(vec![200006u32, 200008, 200005, 200003, 200007, 200002, 200012]),
        1 => FIRST_SPECIAL..VOCAB_SIZE,
        3 => prop::sample::select(header_tokens()),
        2 => 0..FIRST_SPECIAL,
        1 => prop::sample::select(vec![127u32, 102, 2203, 1857, 220, 198]),
        1 => prop::sample::select(vec![VOCAB_SIZE, 1 << 31, u32::MAX]),
    ]
}

fn header_tokens() -> Vec<u32> {
    ["assistant", "user", "tool", "functions.f", " to=functions.f", " to=", "analysis", "final", "commentary", " json", " ", "hi", "é"]
        .iter()
        .flat_map(|w| tokenizer::encode(w, AllowedSpecial::None))
        .collect()
}

/// Token sequences: random, or rendered messages with random edits.
fn completion() -> impl Strategy<Value = Vec<u32>> {
    let rendered = (prop::collection::vec(expressible_message_filtered(), 1..4), prop::collection::vec((any::<prop::sample::Index>(), token(), 0..3u8), 0..4), any::<bool>())
        .prop_map(|(msgs, edits, cut_start)| {
            let mut t: Vec<u32> = msgs.iter().flat_map(|m| harmony::render::render_message(m, false).unwrap()).collect();
            if cut_start {
                t.drain(..2);
            }
            for (at, tok, kind) in edits {
                let i = at.index(t.len() + 1);
                match kind {
                    0 => t.insert(i, tok),
                    1 if i < t.len() => t[i] = tok,
                    _ => t.truncate(i),
                }
            }
            t
        });
    prop_oneof![prop::collection::vec(token(), 0..40), rendered]
}

fn options() -> impl Strategy<Value = ParseOptions> {
    (any::<bool>(), any::<bool>()).prop_map(|(strict, fix)| ParseOptions { strict, fix_constrain_recipient: fix, recover: false, keep_tokens: false })
}

fn maybe_role() -> impl Strategy<Value = Option<Role>> {
    proptest::option::of(prop::sample::select(Role::ALL.to_vec()))
}

// ---------------------------------------------------------------------------------------------
// Render → parse

/// `cases` per property, unless `PROPTEST_CASES` says otherwise (e.g. 100000 for a long run);
/// `PROPTEST_RNG_SEED` replays a run.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn rendered_messages_parse_back(m in expressible_message_filtered()) {
        let tokens = harmony::render::render_message(&m, false).unwrap();
        prop_assert_eq!(harmony::parse_completion(&tokens, None, ParseOptions::default()), Ok(vec![m.clone()]));
        // Lenient parsing and the PR #144 fix change nothing for an expressible message.
        prop_assert_eq!(harmony::parse_completion(&tokens, None, ParseOptions { strict: false, fix_constrain_recipient: true, recover: false, keep_tokens: false }), Ok(vec![m.clone()]));
        // As a completion: the prompt ends with `<|start|>` + role, the parser is told the role.
        if m.author.role != Role::Tool {
            prop_assert_eq!(harmony::parse_completion(&tokens[2..], Some(m.author.role), ParseOptions::default()), Ok(vec![m.clone()]));
        }
    }

    #[test]
    fn rendered_conversations_parse_back(msgs in prop::collection::vec(expressible_message_filtered(), 0..5)) {
        let conv = Conversation::new(msgs.clone());
        let tokens = harmony::render::render_conversation(&conv, &RenderOptions { auto_drop_analysis: false }).unwrap();
        prop_assert_eq!(harmony::parse_completion(&tokens, None, ParseOptions::default()), Ok(msgs.clone()));
        // The wire JSON round-trips too.
        prop_assert_eq!(Conversation::from_json(&conv.to_json()), Ok(conv));
    }

    /// Special-token spellings in content, in any mix, stay content.
    #[test]
    fn content_is_never_structure(role in role(), text in text()) {
        let mut m = Message::new(role, text.as_str());
        if role == Role::Tool {
            m = m.with_name("functions.f").with_recipient("assistant");
        }
        let tokens = harmony::render::render_message(&m, false).unwrap();
        let msgs = harmony::parse_completion(&tokens, None, ParseOptions::default()).unwrap();
        prop_assert_eq!(msgs.len(), 1);
        prop_assert_eq!(&msgs[0].content, &vec![Content::from(text)]);
    }
}

#[test]
fn header_quirks_that_do_not_round_trip() {
    // Each case is a message `expressible` rejects, with what it parses back as.
    let parse = |m: &Message| {
        let t = harmony::render::render_message(m, false).unwrap();
        harmony::parse_completion(&t, None, ParseOptions::default())
    };
    let a = || Message::new(Role::Assistant, "x");
    // Rule 3: recipient "all" is not rendered.
    assert_eq!(parse(&a().with_recipient("all")).unwrap(), vec![a()]);
    // Rule 1: whitespace in a header field splits it.
    let split = parse(&a().with_recipient("a b")).unwrap();
    assert_eq!((split[0].recipient.as_deref(), split[0].content_type.as_deref()), (Some("a"), Some("b")));
    assert_eq!(parse(&a().with_recipient("x\u{3000}")).unwrap()[0].recipient.as_deref(), Some("x"));
    let split = parse(&a().with_channel("fi nal")).unwrap();
    assert_eq!((split[0].channel.as_deref(), split[0].recipient.as_deref()), (Some("fi"), Some("nal")));
    // Rule 1: a `<|channel|>` spelling in the recipient is read as the channel marker.
    assert_eq!(parse(&a().with_recipient("a<|channel|>b")).unwrap()[0].channel.as_deref(), Some("b"));
    // Rule 2: an empty channel, or one with `<`, does not survive.
    assert!(parse(&a().with_channel("")).is_err());
    assert_eq!(parse(&a().with_channel("a<b")).unwrap_err().kind(), harmony::ErrorKind::Parse);
    // Rule 4: names on non-tool roles make a tool message; a tool needs a recipient.
    let named = parse(&Message::new(Role::User, "x").with_name("alice").with_recipient("bob")).unwrap();
    assert_eq!(named[0].author, Author { role: Role::Tool, name: Some("user:alice".into()) });
    assert!(parse(&Message::new(Role::Tool, "x").with_name("functions.f")).is_err());
    let as_user = parse(&Message::new(Role::Tool, "x").with_name("user").with_recipient("assistant")).unwrap();
    assert_eq!(as_user[0].author.role, Role::User);
    // Rule 5: a content type without a recipient is read as the recipient (0.0.8's quirk;
    // `fix_constrain_recipient` fixes it for `<|constrain|>` types only).
    let ct = parse(&a().with_content_type("json")).unwrap();
    assert_eq!((ct[0].recipient.as_deref(), ct[0].content_type.as_deref()), (Some("json"), None));
    let m = a().with_channel("final").with_content_type("<|constrain|>json");
    let t = harmony::render::render_message(&m, false).unwrap();
    let fixed = harmony::parse_completion(&t, None, ParseOptions { strict: true, fix_constrain_recipient: true, recover: false, keep_tokens: false }).unwrap();
    assert_eq!(fixed, vec![m]);
    assert_eq!(parse(&a().with_recipient("r").with_content_type("")).unwrap()[0].content_type, None);
    assert!(parse(&a().with_recipient("r").with_content_type("to=x")).is_err());
    // Rule 6: content parts are concatenated.
    let mut two = a();
    two.content.push(Content::from("y"));
    assert_eq!(parse(&two).unwrap()[0].content, vec![Content::from("xy")]);
}

// ---------------------------------------------------------------------------------------------
// Streaming = whole

/// Streams tokens through `StreamParser`; an error carries the index of the failing token
/// (`tokens.len()` for the end of the stream).
fn stream(tokens: &[u32], role: Option<Role>, opts: ParseOptions) -> Result<Vec<Message>, (usize, harmony::Error)> {
    let mut p = StreamParser::new(role, opts);
    let mut deltas = String::new();
    let mut done = 0;
    for (i, &t) in tokens.iter().enumerate() {
        p.process(t).map_err(|e| (i, e))?;
        if p.messages().len() != done {
            done = p.messages().len();
            deltas.clear();
        }
        if let Some(d) = p.last_content_delta() {
            deltas.push_str(d);
        }
        assert_eq!(deltas, p.current_content(), "deltas add up to the current content");
        if p.state() != harmony::StreamState::Content {
            deltas.clear();
        }
    }
    p.process_eos().map_err(|e| (tokens.len(), e))?;
    Ok(p.into_messages())
}

struct Enc(*const harmony_encoding);
impl Drop for Enc {
    fn drop(&mut self) {
        unsafe { harmony_encoding_free(self.0) }
    }
}
fn enc() -> Enc {
    let mut e = null();
    assert_eq!(unsafe { harmony_encoding_new(null(), &mut e, null_mut()) }, HARMONY_OK);
    Enc(e)
}

fn c_flags(o: ParseOptions) -> u32 {
    (if o.strict { 0 } else { HARMONY_PARSE_LENIENT }) | (if o.fix_constrain_recipient { HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT } else { 0 })
}

fn c_role(r: Option<Role>) -> i32 {
    r.map_or(-1, |r| Role::ALL.iter().position(|x| *x == r).unwrap() as i32)
}

/// The C ABI: whole parse, batch feed and one-by-one feed. Returns the whole-parse result and
/// checks the parser handle agrees with it.
fn c_parse_both_ways(e: &Enc, tokens: &[u32], role: Option<Role>, opts: ParseOptions) -> Result<String, harmony_status> {
    unsafe {
        let mut s = harmony_string { data: null_mut(), len: 0 };
        let st = harmony_parse(e.0, tokens.as_ptr(), tokens.len(), c_role(role), c_flags(opts), &mut s, null_mut());
        let whole = if st == HARMONY_OK {
            let v = std::str::from_utf8(std::slice::from_raw_parts(s.data.cast::<u8>(), s.len)).unwrap().to_string();
            harmony_string_free(&mut s);
            Ok(v)
        } else {
            Err(st)
        };
        for batch in [true, false] {
            let mut p = null_mut();
            assert_eq!(harmony_parser_new(e.0, c_role(role), c_flags(opts), &mut p, null_mut()), HARMONY_OK);
            let mut st = if batch {
                harmony_parser_process_tokens(p, tokens.as_ptr(), tokens.len(), null_mut())
            } else {
                tokens.iter().map(|&t| harmony_parser_process(p, t, null_mut())).find(|s| *s != HARMONY_OK).unwrap_or(HARMONY_OK)
            };
            if st == HARMONY_OK {
                st = harmony_parser_process_eos(p, null_mut());
            }
            let got = if st == HARMONY_OK {
                let mut s = harmony_string { data: null_mut(), len: 0 };
                assert_eq!(harmony_parser_messages_json(p, &mut s, null_mut()), HARMONY_OK);
                let v = std::str::from_utf8(std::slice::from_raw_parts(s.data.cast::<u8>(), s.len)).unwrap().to_string();
                harmony_string_free(&mut s);
                Ok(v)
            } else {
                Err(st)
            };
            harmony_parser_free(p);
            assert_eq!(got, whole, "C parser handle (batch: {batch}) vs harmony_parse");
        }
        whole
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn streaming_equals_whole_parse(tokens in completion(), role in maybe_role(), opts in options()) {
        let whole = harmony::parse_completion(&tokens, role, opts);
        let streamed = stream(&tokens, role, opts);
        match (&whole, &streamed) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err((at, b))) => {
                prop_assert_eq!(a, b);
                // Same position: the prefix ending at the failing token fails the same way,
                // and the prefix before it does not fail on a token.
                let upto = (*at + 1).min(tokens.len());
                prop_assert_eq!(harmony::parse_completion(&tokens[..upto], role, opts).err(), Some(b.clone()));
                let before = stream(&tokens[..*at], role, opts);
                prop_assert!(before.as_ref().map_or_else(|(i, _)| *i == *at, |_| true), "failed earlier: {:?}", before);
            }
            _ => prop_assert!(false, "whole {:?} vs streamed {:?}", whole, streamed),
        }
    }

    #[test]
    fn c_parser_equals_whole_parse(tokens in completion(), role in maybe_role(), opts in options()) {
        let e = enc();
        let whole = harmony::parse_completion(&tokens, role, opts);
        let c = c_parse_both_ways(&e, &tokens, role, opts);
        match whole {
            Ok(m) => prop_assert_eq!(c, Ok(messages_to_json(&m))),
            Err(_) => prop_assert_eq!(c, Err(HARMONY_ERROR_PARSE)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encode → decode

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn decode_inverts_encode(s in text()) {
        let plain = tokenizer::encode(&s, AllowedSpecial::None);
        prop_assert!(plain.iter().all(|&t| t < FIRST_SPECIAL), "ordinary encoding has no special token");
        prop_assert_eq!(tokenizer::decode_utf8(&plain), Ok(s.clone()));
        prop_assert_eq!(&tokenizer::encode_ordinary(&s), &plain);
        let special = tokenizer::encode(&s, AllowedSpecial::All);
        prop_assert_eq!(tokenizer::decode_utf8(&special), Ok(s.clone()));
        // Specials appear exactly where their spellings are.
        let spelled = SPELLINGS.iter().filter(|sp| sp.len() > 2).map(|sp| s.matches(sp).count()).sum::<usize>();
        let found = special.iter().filter(|&&t| t >= FIRST_SPECIAL).count();
        prop_assert_eq!(found, spelled);
    }

    #[test]
    fn decode_inverts_encode_for_any_string(s in any::<String>()) {
        prop_assert_eq!(tokenizer::decode_utf8(&tokenizer::encode(&s, AllowedSpecial::None)), Ok(s.clone()));
        prop_assert_eq!(tokenizer::decode_utf8(&tokenizer::encode(&s, AllowedSpecial::All)), Ok(s.clone()));
    }

    /// Lossy decoding of any token sequence is the lossy view of its bytes.
    #[test]
    fn lossy_decode_matches_bytes(tokens in prop::collection::vec(0..VOCAB_SIZE, 0..50)) {
        let bytes = tokenizer::decode_bytes(&tokens).unwrap();
        prop_assert_eq!(tokenizer::decode_lossy(&tokens).unwrap(), String::from_utf8_lossy(&bytes).into_owned());
        prop_assert_eq!(tokenizer::decode_utf8(&tokens).ok(), String::from_utf8(bytes).ok());
    }
}

#[test]
fn every_special_spelling_round_trips() {
    for id in FIRST_SPECIAL..VOCAB_SIZE {
        let s = special_name(id).unwrap();
        assert_eq!(tokenizer::encode(s, AllowedSpecial::All), vec![id]);
        let plain = tokenizer::encode(s, AllowedSpecial::None);
        assert!(plain.iter().all(|&t| t < FIRST_SPECIAL));
        assert_eq!(tokenizer::decode_utf8(&plain).unwrap(), s);
        assert_eq!(tokenizer::decode_utf8(&[id]).unwrap(), s);
    }
}

// ---------------------------------------------------------------------------------------------
// Threads

/// Everything the library computes for a fixed set of inputs, as comparable values.
fn workload() -> Vec<String> {
    let mut r = common::Rng::new(88);
    let mut out = vec![];
    for _ in 0..40 {
        let conv_json = common::conversation(&mut r, true).to_string();
        let r1 = Conversation::from_json(&conv_json).and_then(|c| {
            let a = harmony::render::render_for_completion(&c, Role::Assistant, &RenderOptions::default())?;
            let b = harmony::render::render_for_training(&c, &RenderOptions { auto_drop_analysis: false })?;
            Ok((a, b))
        });
        out.push(format!("{r1:?}"));
        let text = common::text(&mut r).repeat(1 + r.below(20));
        let t = tokenizer::encode(&text, AllowedSpecial::All);
        out.push(format!("{t:?} {:?}", tokenizer::decode_utf8(&t)));
    }
    for seq in common::INTERESTING_TOKENS.chunks(3).chain([&[200006u32, 173781, 200005, 17196, 200008, 24912, 200002][..]]) {
        for opts in [ParseOptions::default(), ParseOptions::lenient()] {
            out.push(format!("{:?}", harmony::parse_completion(seq, Some(Role::Assistant), opts)));
            out.push(format!("{:?}", harmony::parse_completion(seq, None, opts)));
        }
    }
    out
}

fn run_threads() {
    let barrier = std::sync::Barrier::new(8);
    let results: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait(); // all threads hit the lazily built tables at once
                    (0..3).map(|_| workload()).collect::<Vec<_>>().concat()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let single = [workload(), workload(), workload()].concat();
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r, &single, "thread {i} disagrees with the single-threaded run");
    }
}

#[test]
fn eight_threads_agree() {
    run_threads();
    // The C ABI from 8 threads sharing one encoding handle.
    struct Shared(*const harmony_encoding);
    unsafe impl Sync for Shared {}
    let e = enc();
    let shared = Shared(e.0);
    let conv = br#"{"messages":[{"role":"user","content":"Tell me about \u65e5\u672c and \ud83c\udf89."}]}"#;
    let one = |enc: &Shared| unsafe {
        let mut t = harmony_tokens { data: null_mut(), len: 0 };
        assert_eq!(harmony_render(enc.0, 0, conv.as_ptr().cast(), conv.len(), 1, 0, &mut t, null_mut()), HARMONY_OK);
        let v = std::slice::from_raw_parts(t.data, t.len).to_vec();
        harmony_tokens_free(&mut t);
        let mut s = harmony_string { data: null_mut(), len: 0 };
        assert_eq!(harmony_decode(enc.0, v.as_ptr(), v.len(), 0, &mut s, null_mut()), HARMONY_OK);
        let text = std::str::from_utf8(std::slice::from_raw_parts(s.data.cast::<u8>(), s.len)).unwrap().to_string();
        harmony_string_free(&mut s);
        (v, text)
    };
    let want = one(&shared);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    assert_eq!(one(&shared), want);
                }
            });
        }
    });
}

/// The lazily built encoder tables are first touched by 8 threads at once: runs
/// `cold_start_child` alone in a fresh process, where nothing has touched them yet.
#[test]
fn eight_threads_agree_on_first_use() {
    let o = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "cold_start_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("HARMONY_COLD_START_CHILD", "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.contains("1 passed"), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
#[ignore = "run by eight_threads_agree_on_first_use in a fresh process"]
fn cold_start_child() {
    if std::env::var_os("HARMONY_COLD_START_CHILD").is_some() {
        run_threads();
    }
}
