//! Prefix-stable prompts (issue 16 §4): with `ParseOptions::keep_tokens` a parsed message
//! carries the tokens it came from and renders as them, so in a tool-calling loop each new
//! prompt starts with the previous prompt plus the sampled tokens and an engine's KV cache
//! stays valid; without it the re-rendered call header (`to=` before `<|channel|>`, 0.0.8's
//! order) differs from what the model sampled.

use harmony::chat::{Content, Conversation, Message, Role, SystemContent};
use harmony::render::{common_prefix_len, render_for_completion, RenderOptions};
use harmony::tokenizer::{encode, AllowedSpecial};
use harmony::{ParseOptions, StreamParser};

/// What gpt-oss samples after `<|start|>assistant` at step `i`: reasoning, then a call in its
/// own header order (`<|channel|>commentary to=functions.NAME <|constrain|>json`).
fn sampled(i: usize) -> Vec<u32> {
    encode(
        &format!(
            "<|channel|>analysis<|message|>Step {i}: I need the weather in city {i}.<|end|>\
             <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{{\"city\":\"C{i}\"}}<|call|>"
        ),
        AllowedSpecial::All,
    )
}

fn parse(tokens: &[u32], keep_tokens: bool, recover: bool) -> Vec<Message> {
    let base = if recover { ParseOptions::recover() } else { ParseOptions::default() };
    let mut p = StreamParser::new(Some(Role::Assistant), ParseOptions { keep_tokens, ..base });
    for &t in tokens {
        p.process(t).unwrap();
    }
    p.process_eos().unwrap();
    p.into_messages()
}

/// Runs a 6-step loop; returns the tokens prefilled again in total (the cached prompt plus
/// sampled tokens that the next prompt does not start with).
fn loop_reprefill(keep_tokens: bool, recover: bool) -> usize {
    let system = Message { content: vec![Content::SystemContent(SystemContent::default())], ..Message::new(Role::System, "") };
    let mut conv = Conversation::new([system, Message::new(Role::User, "What is the weather in six cities?")]);
    let opts = RenderOptions::default();
    let mut reprefilled = 0;
    let mut cached = Vec::new();
    for i in 0..6 {
        let prompt = render_for_completion(&conv, Role::Assistant, &opts).unwrap();
        if i > 0 {
            reprefilled += cached.len() - common_prefix_len(&cached, &prompt);
        }
        let completion = sampled(i);
        let messages = parse(&completion, keep_tokens, recover);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1].recipient.as_deref(), Some("functions.get_weather"));
        if keep_tokens {
            // The kept tokens are the message as it stands in the full sequence.
            let joined: Vec<u32> = messages.iter().flat_map(|m| m.tokens.clone().unwrap()).collect();
            let mut whole = encode("<|start|>assistant", AllowedSpecial::All);
            whole.extend(&completion);
            assert_eq!(joined, whole);
        } else {
            assert!(messages.iter().all(|m| m.tokens.is_none()));
        }
        cached = prompt;
        cached.extend(&completion);
        conv.messages.extend(messages);
        conv.messages.push(
            Message::new(Role::Tool, format!("{{\"temperature\": {i}}}"))
                .with_name("functions.get_weather")
                .with_recipient("assistant")
                .with_channel("commentary"),
        );
    }
    reprefilled
}

#[test]
fn a_tool_calling_loop_reprefills_nothing_with_kept_tokens() {
    for recover in [false, true] {
        let without = loop_reprefill(false, recover);
        let with = loop_reprefill(true, recover);
        eprintln!("6-step tool-calling loop (recover {recover}): {without} tokens prefilled again without kept tokens, {with} with");
        assert_eq!(with, 0);
        assert!(without >= 5 * 10, "the re-rendered call header diverges every step ({without})");
    }
}

#[test]
fn kept_tokens_round_trip_through_json_and_are_checked() {
    let messages = parse(&sampled(0), true, false);
    let json = harmony::chat::messages_to_json(&messages);
    assert!(json.contains("\"tokens\":[200006,"), "{json}");
    let back: Vec<Message> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, messages);
    // Without the option the JSON is unchanged (parity with 0.0.8).
    assert!(!harmony::chat::messages_to_json(&parse(&sampled(0), false, false)).contains("tokens"));
    // Tokens outside the vocabulary are an error naming the message.
    let mut bad = messages[0].clone();
    bad.tokens = Some(vec![200006, 999_999]);
    let e = harmony::render::render_conversation(&Conversation::new([bad.clone()]), &RenderOptions::default()).unwrap_err().to_string();
    assert!(e.contains("999999"), "{e}");
    bad.tokens = Some(vec![200005, 1]);
    let e = harmony::render::render_conversation(&Conversation::new([bad.clone()]), &RenderOptions::default()).unwrap_err().to_string();
    assert!(e.contains("<|start|>"), "{e}");
    assert_eq!(common_prefix_len(&[1, 2, 3], &[1, 2, 4]), 2);
    assert_eq!(common_prefix_len(&[1, 2], &[1, 2, 3]), 2);
}
