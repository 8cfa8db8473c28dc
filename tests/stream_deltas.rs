//! Issue 14's parser defects: streamed text lost after a broken UTF-8 sequence, the U+FFFD of a
//! character cut short by a stop token or the end of the stream arriving with no delta, out of
//! vocabulary ids, a stop token inside a strict header, and the finished state. The invariant,
//! as a property over arbitrary token sequences: for every message, the content deltas joined
//! are exactly its content, in every mode; and the contents stay 0.0.8's (checked against the
//! reference crate here and by the golden and differential suites).

mod common;

use harmony::tokenizer::{encode, token_bytes, FIRST_SPECIAL, VOCAB_SIZE};
use harmony::{AllowedSpecial, Content, ErrorKind, Message, ParseOptions, Role, StreamParser};
use openai_harmony::chat::Role as RefRole;
use proptest::prelude::*;

fn enc(s: &str) -> Vec<u32> {
    encode(s, AllowedSpecial::All)
}

fn text(m: &Message) -> &str {
    match m.content.as_slice() {
        [Content::Text(t)] => &t.text,
        _ => panic!("one text part"),
    }
}

/// The first token of "𠜎": not UTF-8 on its own.
fn half_char() -> u32 {
    let t = enc("𠜎")[0];
    assert!(std::str::from_utf8(token_bytes(t).unwrap()).is_err());
    t
}

/// Streams `tokens` (then the end of the stream); returns per token the pair
/// (`content_delta`, `last_content_delta`) and the parser.
fn stream(tokens: &[u32], opts: ParseOptions) -> (Vec<(Option<String>, Option<String>)>, StreamParser) {
    let mut p = StreamParser::new(Some(Role::Assistant), opts);
    let mut seen = Vec::new();
    for &t in tokens {
        p.process(t).unwrap();
        seen.push((p.content_delta().map(str::to_string), p.last_content_delta().map(str::to_string)));
    }
    p.process_eos().unwrap();
    seen.push((p.content_delta().map(str::to_string), p.last_content_delta().map(str::to_string)));
    (seen, p)
}

/// 0.0.8's messages for the same tokens (strict, role assistant), as JSON.
fn reference_json(tokens: &[u32]) -> String {
    let msgs = common::reference()
        .parse_messages_from_completion_tokens(tokens.iter().copied(), Some(RefRole::Assistant))
        .unwrap();
    serde_json::to_string(&msgs).unwrap()
}

#[test]
fn text_after_a_broken_character_arrives_with_its_token() {
    // Issue 14 defect 1: x, the first half of "𠜎", "abc", <|end|>.
    let mut tokens = enc("<|channel|>final<|message|>x");
    tokens.push(half_char());
    tokens.extend(enc("abc<|end|>"));
    let (seen, p) = stream(&tokens, ParseOptions::default());
    let n = tokens.len();
    let deltas: Vec<Option<&str>> = seen[n - 4..].iter().map(|(d, _)| d.as_deref()).collect();
    assert_eq!(deltas, [Some("x"), None, Some("\u{FFFD}abc"), None, None]);
    // 0.0.8's delta (kept by last_content_delta for parity) holds "abc" back.
    assert_eq!(seen[n - 2].1.as_deref(), Some("\u{FFFD}"));
    // The content is 0.0.8's, byte for byte.
    assert_eq!(text(&p.messages()[0]), "x\u{FFFD}abc");
    assert_eq!(harmony::chat::messages_to_json(p.messages()), reference_json(&tokens));

    // With two "abc" tokens the text no longer arrives one token late.
    let mut two = enc("<|channel|>final<|message|>x");
    two.push(half_char());
    two.extend(enc("abc"));
    two.extend(enc("abc"));
    let (seen, _) = stream(&two, ParseOptions::default());
    assert_eq!(seen[two.len() - 2].0.as_deref(), Some("\u{FFFD}abc"));
    assert_eq!(seen[two.len() - 1].0.as_deref(), Some("abc"));
}

#[test]
fn a_character_cut_short_gets_its_delta_when_the_message_ends() {
    // Issue 14 defect 2: x, half a character, then <|end|> or the end of the stream.
    for end in ["<|end|>", ""] {
        let mut tokens = enc("<|channel|>final<|message|>x");
        tokens.push(half_char());
        tokens.extend(enc(end));
        for opts in [ParseOptions::default(), ParseOptions::lenient(), ParseOptions::recover()] {
            let (seen, p) = stream(&tokens, opts);
            let ending = if end.is_empty() { seen.len() - 1 } else { seen.len() - 2 };
            assert_eq!(seen[ending].0.as_deref(), Some("\u{FFFD}"), "{end:?} {opts:?}");
            assert_eq!(text(&p.messages()[0]), "x\u{FFFD}");
            // The delta belongs to the message just completed.
            assert_eq!(p.messages().len(), 1);
            if opts.recover {
                assert_eq!(seen[ending].1.as_deref(), Some("\u{FFFD}"), "recover mode: last_content_delta is content_delta");
                assert_eq!(p.messages()[0].repairs, vec!["invalid UTF-8".to_string()]);
            } else {
                assert_eq!(seen[ending].1, None, "0.0.8's delta is None there");
            }
        }
        assert_eq!(harmony::chat::messages_to_json(&stream(&tokens, ParseOptions::default()).1.messages().to_vec()), reference_json(&tokens));
    }
}

#[test]
fn out_of_vocabulary_ids_in_content() {
    // Issue 14 defect 5. Strict keeps 0.0.8's behaviour: the id is accepted, the rest of the
    // message is held and ends as one U+FFFD. Recover mode: U+FFFD at once, and a repair.
    for oov in [VOCAB_SIZE, 1 << 31, u32::MAX] {
        let mut tokens = enc("<|channel|>final<|message|>x");
        tokens.push(oov);
        tokens.extend(enc("abc<|end|>"));
        let (_, strict) = stream(&tokens, ParseOptions::default());
        assert_eq!(text(&strict.messages()[0]), "x\u{FFFD}");
        assert_eq!(harmony::chat::messages_to_json(strict.messages()), reference_json(&tokens));
        let (seen, rec) = stream(&tokens, ParseOptions::recover());
        let n = tokens.len();
        assert_eq!(seen[n - 3].0.as_deref(), Some("\u{FFFD}"), "no silent stall");
        assert_eq!(seen[n - 2].0.as_deref(), Some("abc"));
        assert_eq!(text(&rec.messages()[0]), "x\u{FFFD}abc");
        assert_eq!(rec.messages()[0].repairs, vec!["unknown token id".to_string()]);
    }
}

#[test]
fn strict_parsing_keeps_a_stop_token_inside_a_header() {
    // Issue 14 defect 6: the docs said strict parsing rejects this; like 0.0.8 it does not.
    let tokens = enc("<|channel|>final<|end|><|start|>assistant<|channel|>final<|message|>hi<|end|>");
    let strict = harmony::parse_completion(&tokens, Some(Role::Assistant), ParseOptions::default()).unwrap();
    assert_eq!(strict[0].recipient.as_deref(), Some("<|end|><|start|>assistant<|channel|>final"));
    assert_eq!(harmony::chat::messages_to_json(&strict), reference_json(&tokens));
    // It fails only when the tokens end before <|message|>.
    let cut = enc("<|channel|>final<|end|>");
    assert_eq!(harmony::parse_completion(&cut, Some(Role::Assistant), ParseOptions::default()).unwrap_err().kind(), ErrorKind::Parse);
    // Recover mode reads what the model meant.
    let rec = harmony::parse_completion(&tokens, Some(Role::Assistant), ParseOptions::recover()).unwrap();
    let want = Message::new(Role::Assistant, "hi").with_channel("final");
    assert_eq!(rec.len(), 1);
    assert_eq!((rec[0].recipient.as_deref(), rec[0].channel.as_deref(), text(&rec[0])), (None, Some("final"), "hi"));
    assert_eq!(rec[0].repairs, vec!["header without <|message|>".to_string()]);
    assert_eq!(Message { repairs: vec![], ..rec[0].clone() }, want);
}

#[test]
fn a_finished_parser_rejects_more_input() {
    // Issue 14 defect 8.
    for opts in [ParseOptions::default(), ParseOptions::lenient(), ParseOptions::recover()] {
        let mut p = StreamParser::new(Some(Role::Assistant), opts);
        for t in enc("<|channel|>final<|message|>hi<|return|>") {
            p.process(t).unwrap();
        }
        assert!(!p.is_finished());
        p.process_eos().unwrap();
        assert!(p.is_finished());
        let before = (p.tokens().len(), p.messages().to_vec());
        for e in [p.process(200006).map(|_| ()).unwrap_err(), p.process_eos().map(|_| ()).unwrap_err()] {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.to_string().contains("the parser is already finished"), "{e}");
        }
        assert_eq!((p.tokens().len(), p.messages().to_vec()), before, "nothing changed");
    }
}

/// Token ids of every kind a completion is made of: structure, special tokens, text, tokens
/// that are not UTF-8 on their own, and (`with_oov`) ids outside the vocabulary.
fn token(with_oov: bool) -> BoxedStrategy<u32> {
    let halves: Vec<u32> = (0..FIRST_SPECIAL).filter(|&t| token_bytes(t).is_some_and(|b| std::str::from_utf8(b).is_err())).collect();
    let words: Vec<u32> = ["assistant", "final", "analysis", "commentary", " to=functions.f", " json", "x", " ", "é", "𠜎", "abc"]
        .iter()
        .flat_map(|w| encode(w, AllowedSpecial::None))
        .collect();
    let structure = vec![200006u32, 200008, 200005, 200003, 200007, 200002, 200012];
    let base = prop_oneof![
        4 => prop::sample::select(structure),
        1 => FIRST_SPECIAL..VOCAB_SIZE,
        4 => prop::sample::select(words),
        3 => prop::sample::select(halves),
        2 => 0..FIRST_SPECIAL,
    ];
    if with_oov {
        prop_oneof![10 => base, 1 => prop::sample::select(vec![VOCAB_SIZE, 1 << 31, u32::MAX])].boxed()
    } else {
        base.boxed()
    }
}

/// A completion: the assistant header and content, then arbitrary tokens.
fn completion(with_oov: bool) -> impl Strategy<Value = Vec<u32>> {
    (any::<bool>(), prop::collection::vec(token(with_oov), 0..40)).prop_map(|(prefix, rest)| {
        let mut t = if prefix { enc("<|channel|>final<|message|>") } else { vec![] };
        t.extend(rest);
        t
    })
}

/// Streams and joins the content deltas per message: a delta on a token that completed a
/// message belongs to it (`messages().last()`), any other to the message being read.
/// Returns the joined deltas and the messages (up to the first error).
fn joined_deltas(tokens: &[u32], role: Option<Role>, opts: ParseOptions) -> (Vec<String>, Vec<Message>, String) {
    let mut p = StreamParser::new(role, opts);
    let mut joined: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut step = |p: &mut StreamParser, r: harmony::Result<()>, joined: &mut Vec<String>, current: &mut String| -> bool {
        let before = joined.len();
        if r.is_err() {
            return false;
        }
        let completed = p.messages().len() > before;
        if completed {
            // The message just completed gets what was streamed for it plus this delta.
            let mut text = std::mem::take(current);
            text.push_str(p.content_delta().unwrap_or(""));
            joined.push(text);
        } else if let Some(d) = p.content_delta() {
            current.push_str(d);
        }
        assert_eq!(p.messages().len(), joined.len(), "one message completes per token at most");
        true
    };
    for &t in tokens {
        let r = p.process(t).map(|_| ());
        if !step(&mut p, r, &mut joined, &mut current) {
            return (joined, p.messages().to_vec(), current);
        }
    }
    let r = p.process_eos().map(|_| ());
    step(&mut p, r, &mut joined, &mut current);
    (joined, p.messages().to_vec(), current)
}

fn all_modes() -> [ParseOptions; 3] {
    [ParseOptions::default(), ParseOptions::lenient(), ParseOptions::recover()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// For every message, the deltas joined are exactly its final content — strict, lenient
    /// and recover mode, valid ids (incl. tokens that are half a character, and stop tokens).
    #[test]
    fn deltas_join_to_the_content(tokens in completion(false), role_given in any::<bool>()) {
        let role = role_given.then_some(Role::Assistant);
        for opts in all_modes() {
            let (joined, msgs, _) = joined_deltas(&tokens, role, opts);
            let contents: Vec<&str> = msgs.iter().map(text).collect();
            prop_assert_eq!(joined.iter().map(String::as_str).collect::<Vec<_>>(), contents, "{:?}", opts);
        }
    }

    /// In recover mode the invariant holds for ids outside the vocabulary too.
    #[test]
    fn recover_deltas_join_to_the_content_with_unknown_ids(tokens in completion(true), role_given in any::<bool>()) {
        let (joined, msgs, _) = joined_deltas(&tokens, role_given.then_some(Role::Assistant), ParseOptions::recover());
        prop_assert_eq!(joined.iter().map(String::as_str).collect::<Vec<_>>(), msgs.iter().map(text).collect::<Vec<_>>());
    }
}
