//! Recover mode (issue 11 §1): a corpus of real malformed gpt-oss completions from public
//! reports (tests/recover/corpus.jsonl, each case citing its report), parsed batch, streaming
//! and through the C ABI to the messages checked by hand; and properties: recover mode never
//! fails, streaming gives the same messages as a whole parse token by token, well-formed
//! completions parse exactly as in strict mode with no repairs.

use harmony::chat::messages_to_json;
use harmony::ffi::error::harmony_status::HARMONY_OK;
use harmony::ffi::parser::*;
use harmony::ffi::*;
use harmony::parse::recover::repair;
use harmony::tokenizer::{encode, FIRST_SPECIAL, VOCAB_SIZE};
use harmony::{AllowedSpecial, Content, Message, ParseOptions, Role, StreamParser, StreamState};
use proptest::prelude::*;
use serde_json::Value;
use std::ptr::{null, null_mut};

struct Case {
    id: String,
    role: Option<Role>,
    tokens: Vec<u32>,
    want: Value,
}

fn corpus() -> Vec<(Case, Value)> {
    let text = include_str!("recover/corpus.jsonl");
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let tokens = v["parts"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|p| match p {
                    Value::String(s) => encode(s, AllowedSpecial::All),
                    n => vec![n.as_u64().unwrap() as u32],
                })
                .collect();
            let role = v["role"].as_str().map(|r| Role::parse(r).unwrap());
            let case = Case { id: v["id"].as_str().unwrap().into(), role, tokens, want: v["messages"].clone() };
            (case, v)
        })
        .collect()
}

fn json(msgs: &[Message]) -> Value {
    serde_json::from_str(&messages_to_json(msgs)).unwrap()
}

fn stream(tokens: &[u32], role: Option<Role>) -> Vec<Message> {
    let mut p = StreamParser::new(role, ParseOptions::recover());
    for &t in tokens {
        p.process(t).unwrap();
    }
    p.process_eos().unwrap();
    p.into_messages()
}

fn c_parse(tokens: &[u32], role: Option<Role>) -> Value {
    let role = role.map_or(-1, |r| Role::ALL.iter().position(|x| *x == r).unwrap() as i32);
    unsafe {
        let mut e = null();
        assert_eq!(harmony_encoding_new(null(), &mut e, null_mut()), HARMONY_OK);
        let mut s = harmony_string { data: null_mut(), len: 0 };
        assert_eq!(harmony_parse(e, tokens.as_ptr(), tokens.len(), role, HARMONY_PARSE_RECOVER, &mut s, null_mut()), HARMONY_OK);
        let out = std::str::from_utf8(std::slice::from_raw_parts(s.data.cast::<u8>(), s.len)).unwrap().to_string();
        harmony_string_free(&mut s);
        // The parser handle, token by token.
        let mut p = null_mut();
        assert_eq!(harmony_parser_new(e, role, HARMONY_PARSE_RECOVER, &mut p, null_mut()), HARMONY_OK);
        for &t in tokens {
            assert_eq!(harmony_parser_process(p, t, null_mut()), HARMONY_OK);
        }
        assert_eq!(harmony_parser_process_eos(p, null_mut()), HARMONY_OK);
        let mut s = harmony_string { data: null_mut(), len: 0 };
        assert_eq!(harmony_parser_messages_json(p, &mut s, null_mut()), HARMONY_OK);
        let streamed = std::str::from_utf8(std::slice::from_raw_parts(s.data.cast::<u8>(), s.len)).unwrap().to_string();
        harmony_string_free(&mut s);
        assert_eq!(streamed, out, "C: harmony_parse and the parser handle agree");
        harmony_parser_free(p);
        harmony_encoding_free(e);
        serde_json::from_str(&out).unwrap()
    }
}

#[test]
fn corpus_of_real_malformed_outputs() {
    let cases = corpus();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (c, raw) in &cases {
        let source = raw["source"].as_str().unwrap();
        assert!(source.starts_with("https://github.com/"), "{}: cite the public report", c.id);
        let batch = harmony::parse_completion(&c.tokens, c.role, ParseOptions::recover()).unwrap();
        let got = json(&batch);
        if got != c.want {
            failures.push(format!("{} ({source}):\n  got  {got}\n  want {}", c.id, c.want));
            continue;
        }
        assert_eq!(json(&stream(&c.tokens, c.role)), c.want, "{}: streaming", c.id);
        assert_eq!(c_parse(&c.tokens, c.role), c.want, "{}: C ABI", c.id);
        for m in &batch {
            for r in &m.repairs {
                assert!(repair::all().contains(&r.as_str()), "{}: undocumented repair {r:?}", c.id);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn the_corpus_fails_or_differs_in_strict_mode() {
    // Every malformed case is one strict parsing rejects or reads differently (else it would
    // not belong in the corpus), except the cases marked as well-formed.
    for (c, raw) in corpus() {
        let strict = harmony::parse_completion(&c.tokens, c.role, ParseOptions { fix_constrain_recipient: true, ..Default::default() });
        let same = strict.as_ref().map(|m| json(m) == c.want).unwrap_or(false);
        let well_formed = [
            "well-formed",
            "to-before-channel",
            "to-before-channel-json",
            "lmstudio-call-eos",
            "constrain-without-recipient",
            "constrain-without-recipient-analysis-first",
            "call-ended-by-eos",
            "call-ended-by-eos-stripped",
            "split-emoji",
            "analysis-builtin-browser",
        ]
        .contains(&c.id.as_str());
        assert_eq!(same, well_formed, "{} ({})", c.id, raw["shape"]);
    }
}

/// The Chat Completions bridge over the corpus (issue 11 §2: its parse side is recover mode):
/// each case's hand-checked messages, routed (`harmony::routing::route`), are exactly the
/// response's content, reasoning and tool calls, and the streamed chunks fold to it.
#[test]
fn the_chat_bridge_answers_the_corpus_with_its_messages() {
    use harmony::chat_completions::{join_chunks, parse_response, stream_chunks, ChatOptions};
    use harmony::routing::{route, Route};
    let mut checked = 0;
    for (c, raw) in corpus() {
        if c.role != Some(Role::Assistant) || c.tokens.iter().any(|&t| t >= VOCAB_SIZE) {
            continue; // the bridge parses completions of an assistant prompt, and rejects unknown ids
        }
        let (mut content, mut reasoning, mut calls) = (Vec::new(), Vec::new(), Vec::new());
        for m in c.want.as_array().unwrap() {
            let text = m["content"].as_str().unwrap_or_default();
            match route(m["channel"].as_str(), m["recipient"].as_str()) {
                Route::Content | Route::Preamble => content.push(text),
                Route::Reasoning | Route::Builtin(_) => reasoning.push(text),
                Route::FunctionCall(name) => calls.push((name, text.to_string())),
            }
        }
        let o = ChatOptions { tool_call_id_seed: Some(1), ..ChatOptions::default() };
        let r = parse_response(&c.tokens, &o).unwrap_or_else(|e| panic!("{}: {e}", c.id));
        let m = &r["choices"][0]["message"];
        let what = format!("{} ({}): {r}", c.id, raw["source"]);
        let joined = |v: &Vec<&str>| {
            if v.is_empty() {
                Value::Null
            } else {
                Value::from(v.join("\n"))
            }
        };
        assert_eq!(m["content"], joined(&content), "content of {what}");
        assert_eq!(m["reasoning_content"], joined(&reasoning), "reasoning of {what}");
        let got: Vec<(String, String)> = m["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| (t["function"]["name"].as_str().unwrap().to_string(), t["function"]["arguments"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, calls, "tool calls of {what}");
        assert_eq!(join_chunks(&stream_chunks(&c.tokens, &o).unwrap(), &o), r, "streamed {what}");
        checked += 1;
    }
    assert!(checked >= 40, "{checked} assistant cases");
}

/// The Responses bridge over the corpus: one output item per hand-checked message, of the
/// type its route gives, with its text; streaming events end in the same response.
#[test]
fn the_responses_bridge_answers_the_corpus_with_its_messages() {
    use harmony::responses::{parse_response, stream_events, ResponsesOptions};
    use harmony::routing::{route, Route};
    let mut checked = 0;
    for (c, raw) in corpus() {
        if c.role != Some(Role::Assistant) || c.tokens.iter().any(|&t| t >= VOCAB_SIZE) {
            continue;
        }
        let want: Vec<(&str, String)> = c
            .want
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let text = m["content"].as_str().unwrap_or_default().to_string();
                let kind = match route(m["channel"].as_str(), m["recipient"].as_str()) {
                    Route::Content | Route::Preamble => "message",
                    Route::FunctionCall(_) => "function_call",
                    Route::Builtin(r) if r.starts_with("browser.") => "web_search_call",
                    Route::Builtin(_) | Route::Reasoning => "reasoning",
                };
                (kind, text)
            })
            .collect();
        let o = ResponsesOptions::default();
        let r = parse_response(&c.tokens, &o).unwrap_or_else(|e| panic!("{}: {e}", c.id));
        let got: Vec<(&str, String)> = r["output"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let kind = i["type"].as_str().unwrap();
                let text = match kind {
                    "function_call" => i["arguments"].as_str().unwrap().to_string(),
                    "web_search_call" => String::new(),
                    _ => i["content"][0]["text"].as_str().unwrap_or_default().to_string(),
                };
                (kind, text)
            })
            .collect();
        let want: Vec<(&str, String)> =
            want.into_iter().map(|(k, t)| if k == "web_search_call" { (k, String::new()) } else { (k, t) }).collect();
        assert_eq!(got, want, "{} ({})", c.id, raw["source"]);
        let events = stream_events(&c.tokens, &o).unwrap();
        assert_eq!(events.last().unwrap()["response"], r, "{}: streamed", c.id);
        checked += 1;
    }
    assert!(checked >= 40, "{checked} assistant cases");
}

fn text(m: &Message) -> &str {
    match m.content.as_slice() {
        [Content::Text(t)] => &t.text,
        _ => panic!("one text part"),
    }
}

fn without_repairs(m: &Message) -> Message {
    Message { repairs: vec![], ..m.clone() }
}

/// Any ids: structure, special tokens, text, halves of characters, unknown ids.
fn token() -> impl Strategy<Value = u32> {
    let words: Vec<u32> = ["assistant", "final", "analysis", "commentary", " to=functions.f", " json", "x", " ", "\n", "é", "abc", "?"]
        .iter()
        .flat_map(|w| encode(w, AllowedSpecial::None))
        .collect();
    prop_oneof![
        5 => prop::sample::select(vec![200006u32, 200008, 200005, 200003, 200007, 200002, 200012]),
        1 => FIRST_SPECIAL..VOCAB_SIZE,
        5 => prop::sample::select(words),
        1 => prop::sample::select(vec![172u32, 4103, 104, 254, 127]),
        2 => 0..FIRST_SPECIAL,
        1 => prop::sample::select(vec![VOCAB_SIZE, 1 << 31, u32::MAX]),
    ]
}

fn any_role() -> impl Strategy<Value = Option<Role>> {
    proptest::option::of(prop::sample::select(Role::ALL.to_vec()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Recover mode never fails, and every repair it reports is a documented one.
    #[test]
    fn recover_never_fails(tokens in prop::collection::vec(token(), 0..60), role in any_role()) {
        let msgs = harmony::parse_completion(&tokens, role, ParseOptions::recover());
        prop_assert!(msgs.is_ok(), "{:?}", msgs);
        for m in msgs.unwrap() {
            for r in &m.repairs {
                prop_assert!(repair::all().contains(&r.as_str()), "{r:?}");
            }
        }
    }

    /// Streaming recover mode gives the messages of a whole parse, token by token: after each
    /// token, the completed messages are those of a whole parse of the tokens so far (which
    /// ends them), the message being read is a prefix of the whole parse's next one, and at
    /// the end the two are identical.
    #[test]
    fn streaming_matches_whole_parse_token_by_token(tokens in prop::collection::vec(token(), 0..40), role in any_role()) {
        let mut p = StreamParser::new(role, ParseOptions::recover());
        for i in 0..tokens.len() {
            p.process(tokens[i]).unwrap();
            let whole = harmony::parse_completion(&tokens[..=i], role, ParseOptions::recover()).unwrap();
            let n = p.messages().len();
            prop_assert!(whole.len() >= n);
            let done: Vec<Message> = p.messages().iter().map(without_repairs).collect();
            let head: Vec<Message> = whole[..n].iter().map(without_repairs).collect();
            prop_assert_eq!(done, head, "after token {}", i);
            if p.state() == StreamState::Content {
                prop_assert!(whole.len() > n);
                prop_assert!(text(&whole[n]).starts_with(p.current_content()));
                prop_assert_eq!(p.current_channel(), whole[n].channel.as_deref());
                prop_assert_eq!(p.current_recipient(), whole[n].recipient.as_deref());
            }
        }
        p.process_eos().unwrap();
        prop_assert_eq!(p.messages(), &harmony::parse_completion(&tokens, role, ParseOptions::recover()).unwrap()[..]);
    }

    /// Well-formed completions (rendered messages) parse exactly as strict parsing with the
    /// PR #144 fix reads them, with no repairs.
    #[test]
    fn well_formed_completions_need_no_repair(
        msgs in prop::collection::vec((prop::sample::select(vec!["analysis", "commentary", "final"]), "[a-zA-Z0-9 .,!?\n]{0,30}", proptest::option::of(prop::sample::select(vec!["functions.get_weather", "browser.search", "python"])), any::<bool>()), 1..4),
    ) {
        let conv: Vec<Message> = msgs
            .into_iter()
            .map(|(channel, text, recipient, constrain)| {
                let mut m = Message::new(Role::Assistant, text.as_str()).with_channel(channel);
                if let Some(r) = recipient {
                    m = m.with_recipient(r).with_channel("commentary");
                    if constrain {
                        m = m.with_content_type("<|constrain|>json");
                    }
                }
                m
            })
            .collect();
        let tokens = harmony::render::render_conversation(&harmony::Conversation::new(conv.clone()), &harmony::RenderOptions { auto_drop_analysis: false }).unwrap();
        let strict = harmony::parse_completion(&tokens, None, ParseOptions { fix_constrain_recipient: true, ..Default::default() }).unwrap();
        prop_assert_eq!(&strict, &conv);
        prop_assert_eq!(harmony::parse_completion(&tokens, None, ParseOptions::recover()).unwrap(), conv.clone());
        // As a completion after `<|start|>assistant`.
        prop_assert_eq!(harmony::parse_completion(&tokens[2..], Some(Role::Assistant), ParseOptions::recover()).unwrap(), conv);
    }
}
