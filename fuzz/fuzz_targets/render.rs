//! Arbitrary bytes as a conversation (and as a single message) in the JSON wire format,
//! rendered in every mode. Checks the modes agree with each other and that rendering is
//! deterministic; a panic or a stack overflow is a finding.
#![no_main]

use harmony::render::{render_conversation, render_for_completion, render_for_training, render_message};
use harmony::tokenizer::{decode_utf8, encode_ordinary, SpecialToken};
use harmony::{Conversation, Message, RenderOptions, Role};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(conv) = Conversation::from_json(text) {
        // The wire format round-trips.
        assert_eq!(Conversation::from_json(&conv.to_json()).as_ref(), Ok(&conv));
        let role = Role::ALL[data.len() % 5];
        // Messages with kept tokens render as those tokens, which need not be UTF-8.
        let verbatim = conv.messages.iter().any(|m| m.tokens.is_some());
        for auto_drop_analysis in [true, false] {
            let opts = RenderOptions { auto_drop_analysis };
            let plain = render_conversation(&conv, &opts);
            let completion = render_for_completion(&conv, role, &opts);
            let training = render_for_training(&conv, &opts);
            match &plain {
                Ok(tokens) => {
                    assert_eq!(render_conversation(&conv, &opts).as_ref(), Ok(tokens), "deterministic");
                    let mut want = tokens.clone();
                    want.push(SpecialToken::Start.id());
                    want.extend(encode_ordinary(role.as_str()));
                    assert_eq!(completion.as_ref(), Ok(&want));
                    let training = training.unwrap();
                    assert_eq!(training.len(), tokens.len());
                    assert_eq!(training[..tokens.len().saturating_sub(1)], tokens[..tokens.len().saturating_sub(1)]);
                    // Rendered tokens always decode (texts are UTF-8, specials are spellings).
                    if !verbatim {
                        decode_utf8(tokens).unwrap();
                    }
                }
                Err(e) => {
                    assert_eq!(completion.as_ref().unwrap_err(), e);
                    assert_eq!(training.as_ref().unwrap_err(), e);
                }
            }
        }
    }
    if let Ok(msg) = Message::from_json(text) {
        for tools in [false, true] {
            if let Ok(tokens) = render_message(&msg, tools) {
                assert_eq!(tokens.first(), Some(&SpecialToken::Start.id()));
                if msg.tokens.is_none() {
                    decode_utf8(&tokens).unwrap();
                }
            }
        }
    }
});
