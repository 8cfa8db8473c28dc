//! Differential tests against the reference crate openai-harmony 0.0.8: generated
//! conversations and completions must give identical tokens, messages, stream states and
//! errors. The crate cannot enable auto_drop_analysis (its config type is private), so these
//! compare with it off; the golden vectors (from the Python package) cover it on.

mod common;

use common::{reference, Rng};
use harmony::{Conversation, ParseOptions, RenderOptions, Role, StreamParser};
use openai_harmony::chat::Role as RefRole;
use proptest::prelude::*;

const NO_DROP: RenderOptions = RenderOptions { auto_drop_analysis: false };

fn ref_role(r: Role) -> RefRole {
    RefRole::try_from(r.as_str()).unwrap()
}

fn check_render(seed: u64) {
    let mut r = Rng::new(seed);
    let json = common::conversation(&mut r, true).to_string();
    let ours = Conversation::from_json(&json).expect("generated JSON is well-formed");
    let theirs: openai_harmony::chat::Conversation = serde_json::from_str(&json).unwrap();
    let enc = reference();
    let next = *r.pick(&Role::ALL);
    let cases: [(&str, Result<Vec<u32>, String>, Result<Vec<u32>, String>); 3] = [
        (
            "completion",
            harmony::render::render_for_completion(&ours, next, &NO_DROP).map_err(|e| e.to_string()),
            enc.render_conversation_for_completion(&theirs, ref_role(next), None).map_err(|e| e.to_string()),
        ),
        (
            "conversation",
            harmony::render::render_conversation(&ours, &NO_DROP).map_err(|e| e.to_string()),
            enc.render_conversation(&theirs, None).map_err(|e| e.to_string()),
        ),
        (
            "training",
            harmony::render::render_for_training(&ours, &NO_DROP).map_err(|e| e.to_string()),
            enc.render_conversation_for_training(&theirs, None).map_err(|e| e.to_string()),
        ),
    ];
    for (mode, a, b) in cases {
        match (&a, &b) {
            (Ok(x), Ok(y)) => assert_eq!(x, y, "{mode} tokens differ for seed {seed}: {json}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{mode}: ours {a:?} vs reference {b:?} for seed {seed}: {json}"),
        }
    }
}

fn check_parse(seed: u64) {
    let mut r = Rng::new(seed);
    let (tokens, role) = common::completion(&mut r);
    let enc = reference();
    for strict in [true, false] {
        let ours = harmony::parse_completion(&tokens, role.map(|x| Role::parse(x).unwrap()), ParseOptions { strict, ..Default::default() });
        let theirs = enc.parse_messages_from_completion_tokens_with_options(
            tokens.iter().copied(),
            role.map(|x| RefRole::try_from(x).unwrap()),
            openai_harmony::ParseOptions { strict },
        );
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(
                harmony::chat::messages_to_json(a),
                serde_json::to_string(b).unwrap(),
                "strict={strict} role={role:?} tokens={tokens:?}"
            ),
            (Err(_), Err(_)) => {}
            _ => panic!("strict={strict} role={role:?} tokens={tokens:?}: ours {ours:?} vs reference {theirs:?}"),
        }
    }
}

fn check_stream(seed: u64) {
    let mut r = Rng::new(seed);
    let (tokens, role) = common::completion(&mut r);
    let strict = r.chance(0.5);
    let ours_role = role.map(|x| Role::parse(x).unwrap());
    let mut ours = StreamParser::new(ours_role, ParseOptions { strict, ..Default::default() });
    let mut theirs = openai_harmony::StreamableParser::new_with_options(
        reference().clone(),
        role.map(|x| RefRole::try_from(x).unwrap()),
        openai_harmony::ParseOptions { strict },
    )
    .unwrap();
    for (i, &t) in tokens.iter().chain(std::iter::once(&u32::MAX)).enumerate() {
        let eos = i == tokens.len();
        let (a, b) = if eos {
            (ours.process_eos().map(|_| ()), theirs.process_eos().map(|_| ()))
        } else {
            (ours.process(t).map(|_| ()), theirs.process(t).map(|_| ()))
        };
        let ctx = format!("token #{i} of {tokens:?} (role {role:?}, strict {strict})");
        assert_eq!(a.is_ok(), b.is_ok(), "{ctx}: ours {a:?} vs reference {b:?}");
        if a.is_err() {
            return;
        }
        let state: serde_json::Value = serde_json::from_str(&theirs.state_json().unwrap()).unwrap();
        assert_eq!(ours.state().as_str(), state["state"], "{ctx}");
        assert_eq!(ours.current_role().map(|r| r.as_str().to_string()), theirs.current_role().map(|r| r.as_str().to_string()), "{ctx}");
        assert_eq!(ours.current_channel().map(str::to_string), theirs.current_channel(), "{ctx}");
        assert_eq!(ours.current_recipient().map(str::to_string), theirs.current_recipient(), "{ctx}");
        assert_eq!(ours.current_content_type().map(str::to_string), theirs.current_content_type(), "{ctx}");
        assert_eq!(ours.last_content_delta().map(str::to_string), theirs.last_content_delta().unwrap(), "{ctx}");
        assert_eq!(ours.current_content(), theirs.current_content().unwrap(), "{ctx}");
        assert_eq!(
            harmony::chat::messages_to_json(ours.messages()),
            serde_json::to_string(theirs.messages()).unwrap(),
            "{ctx}"
        );
    }
}

fn check_encode(seed: u64) {
    let mut r = Rng::new(seed);
    let s: String = (0..r.below(40)).map(|_| common::text(&mut r)).collect();
    let theirs = reference().tokenizer().encode_ordinary(&s);
    assert_eq!(harmony::tokenizer::encode_ordinary(&s), theirs, "{s:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn render_matches_reference(seed in any::<u64>()) { check_render(seed) }
    #[test]
    fn parse_matches_reference(seed in any::<u64>()) { check_parse(seed) }
    #[test]
    fn stream_matches_reference(seed in any::<u64>()) { check_stream(seed) }
    #[test]
    fn encode_matches_reference(seed in any::<u64>()) { check_encode(seed) }
}
