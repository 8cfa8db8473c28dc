//! Arbitrary bytes as completion tokens of valid ids (see `common::tokens`; ids outside the
//! vocabulary are folded into it) through the Chat Completions bridge, with options the first
//! byte selects. Model output is not bad input: parsing never fails or panics, the streamed
//! chunks fold to the response, tool-call ids are unique, and the response appended to its
//! request renders again.
#![no_main]

mod common;

use harmony::chat_completions::{join_chunks, parse_response, render_request, stream_chunks, ChatOptions};
use harmony::tokenizer::VOCAB_SIZE;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let tokens: Vec<u32> = common::tokens(rest).into_iter().map(|t| t % VOCAB_SIZE).collect();
    let mut o = json!({"tool_call_id_seed": sel});
    match sel % 4 {
        1 => o["finish_reason"] = json!("stop"),
        2 => o["finish_reason"] = json!("length"),
        _ => {}
    }
    if sel & 0x10 != 0 {
        o["reasoning_field"] = json!("reasoning");
    }
    match (sel >> 5) % 4 {
        1 => o["tool_choice"] = json!("none"),
        2 => o["tool_choice"] = json!({"type": "function", "function": {"name": "f"}}),
        3 => o["parallel_tool_calls"] = json!(false),
        _ => {}
    }
    let opts = ChatOptions::from_json(&o.to_string()).expect("valid options");
    let response = parse_response(&tokens, &opts).expect("model output never fails");
    let chunks = stream_chunks(&tokens, &opts).expect("model output never fails");
    assert_eq!(join_chunks(&chunks, &opts), response, "the chunks fold to the response");
    let msg = response["choices"][0]["message"].clone();
    let ids: Vec<Value> = msg["tool_calls"].as_array().into_iter().flatten().map(|c| c["id"].clone()).collect();
    for (i, id) in ids.iter().enumerate() {
        assert!(!ids[..i].contains(id), "unique tool-call ids");
    }
    let mut request = json!({"messages": [{"role": "user", "content": "q"}, msg]});
    for id in ids {
        request["messages"].as_array_mut().unwrap().push(json!({"role": "tool", "tool_call_id": id, "content": "ok"}));
    }
    render_request(&request.to_string(), &ChatOptions::default()).expect("a response renders again");
});
