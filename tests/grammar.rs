//! harmony::grammar invariants (the engines' verdicts are in tests/python/test_grammar.py):
//! every permitted tool appears in every format exactly once and no other does; the
//! completion each grammar describes is what the Chat Completions bridge parses into the same
//! tool call; schema conversion never panics.

use harmony::chat_completions::{parse_response, ChatOptions};
use harmony::grammar::{chat_grammar, responses_grammar, GrammarFormat, GrammarOptions};
use harmony::{AllowedSpecial, HarmonyEncoding};
use proptest::prelude::*;
use serde_json::{json, Value};

const FORMATS: [GrammarFormat; 3] = [GrammarFormat::Lark, GrammarFormat::Gbnf, GrammarFormat::Xgrammar];

fn request(names: &[String], choice: &Value) -> String {
    let tools: Vec<Value> = names
        .iter()
        .map(|n| json!({"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}}))
        .collect();
    json!({"messages": [], "tools": tools, "tool_choice": choice}).to_string()
}

/// How often `functions.NAME` followed by the header's space occurs in the grammar.
fn mentions(grammar: &str, name: &str) -> usize {
    grammar.matches(&format!("functions.{name} ")).count() + grammar.matches(&format!("functions.{name}\" \" ")).count()
}

fn names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("[a-z][a-z0-9_]{0,6}", 1..6).prop_map(|s| s.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn each_permitted_tool_is_named_once_in_every_format(names in names(), pick in any::<prop::sample::Index>(), mode in 0usize..4) {
        let named = names[pick.index(names.len())].clone();
        let choice = match mode {
            0 => json!("auto"),
            1 => json!("required"),
            2 => json!("none"),
            _ => json!({"type": "function", "function": {"name": named}}),
        };
        let req = request(&names, &choice);
        for format in FORMATS {
            let g = chat_grammar(&req, format, &GrammarOptions::default()).unwrap();
            for n in &names {
                let want = match mode { 2 => 0, 3 => usize::from(*n == named), _ => 1 };
                prop_assert_eq!(mentions(&g, n), want, "{:?} {} in\n{}", format, n, g);
            }
            let final_rule = if format == GrammarFormat::Xgrammar { "<|channel|>final" } else { "\"final" };
            prop_assert_eq!(g.contains(final_rule), mode == 0 || mode == 2, "{:?}\n{}", format, g);
        }
    }

    /// The same request in the Responses dialect (flat tools, flat named choice) gives the
    /// same grammar.
    #[test]
    fn responses_requests_give_the_chat_grammar(names in names(), pick in any::<prop::sample::Index>(), mode in 0usize..4, parallel in any::<bool>()) {
        let named = names[pick.index(names.len())].clone();
        let (chat_choice, responses_choice) = match mode {
            0 => (json!("auto"), json!("auto")),
            1 => (json!("required"), json!("required")),
            2 => (json!("none"), json!("none")),
            _ => (json!({"type": "function", "function": {"name": named}}), json!({"type": "function", "name": named})),
        };
        let mut chat: Value = serde_json::from_str(&request(&names, &chat_choice)).unwrap();
        chat["parallel_tool_calls"] = json!(parallel);
        let tools: Vec<Value> = chat["tools"].as_array().unwrap().iter().map(|t| {
            let mut f = t["function"].clone();
            f["type"] = json!("function");
            f
        }).collect();
        let responses = json!({"input": "hi", "tools": tools, "tool_choice": responses_choice, "parallel_tool_calls": parallel});
        for format in FORMATS {
            let want = chat_grammar(&chat.to_string(), format, &GrammarOptions::default()).unwrap();
            prop_assert_eq!(responses_grammar(&responses.to_string(), format, &GrammarOptions::default()).unwrap(), want);
        }
    }

    #[test]
    fn schema_conversion_never_panics(schema in arb_schema()) {
        let req = json!({"messages": [], "tools": [{"type": "function", "function": {"name": "f", "parameters": schema}}]}).to_string();
        for format in FORMATS {
            match chat_grammar(&req, format, &GrammarOptions::default()) {
                Ok(g) => prop_assert!(!g.is_empty()),
                Err(e) => prop_assert_eq!(e.kind(), harmony::ErrorKind::InvalidArgument, "{}", e),
            }
        }
    }
}

fn arb_schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!({"type": "string"})),
        Just(json!({"type": "integer"})),
        Just(json!({"type": ["number", "null"]})),
        Just(json!({"enum": ["a", 1, null]})),
        Just(json!({"const": {"k": [1]}})),
        Just(json!({})),
        Just(json!(true)),
        Just(json!({"$ref": "#/x"})),
        Just(json!({"type": "boolean", "nullable": true})),
        Just(json!({"type": "wat"})),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (prop::collection::btree_map("[a-z]{1,3}", inner.clone(), 0..4), any::<bool>()).prop_map(|(props, req)| {
                let required: Vec<&String> = if req { props.keys().collect() } else { Vec::new() };
                json!({"type": "object", "properties": props, "required": required})
            }),
            (inner.clone(), 0u64..3, 0u64..3).prop_map(|(items, a, b)| json!({"type": "array", "items": items, "minItems": a, "maxItems": a + b})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({"oneOf": v})),
            prop::collection::vec(inner, 1..3).prop_map(|v| json!({"anyOf": v, "nullable": true})),
        ]
    })
}

/// The call the grammars describe, parsed by the bridge, is a tool call of that name with
/// those arguments (SHARED-ROUTING: grammar and bridge agree on the recipient and header).
#[test]
fn the_described_call_is_what_the_bridge_parses() {
    let enc = HarmonyEncoding::gpt_oss();
    let req = request(&["get_weather".into(), "get".into()], &json!("auto"));
    let g = chat_grammar(&req, GrammarFormat::Lark, &GrammarOptions::default()).unwrap();
    assert!(g.contains("<|channel|> \"commentary to=\"") && g.contains("\"functions.get_weather\" \" \" <|constrain|> \"json\" <|message|>"), "{g}");
    let text = "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"x\":1}<|call|>";
    let tokens = enc.encode(text, AllowedSpecial::All);
    let response = parse_response(&tokens, &ChatOptions::default()).unwrap();
    let msg = &response["choices"][0]["message"];
    assert_eq!(msg["reasoning_content"], "Need weather.");
    assert_eq!(msg["tool_calls"][0]["function"]["name"], "get_weather");
    assert_eq!(msg["tool_calls"][0]["function"]["arguments"], "{\"x\":1}");
    assert_eq!(response["choices"][0]["finish_reason"], "tool_calls");

    // A JSON final answer (`final <|constrain|>json`) needs the openai/harmony PR #144 reading:
    // 0.0.8's (the default) takes `<|constrain|>json` for a recipient.
    let json_final = "<|channel|>final <|constrain|>json<|message|>{\"a\":1}<|return|>";
    let fixed = ChatOptions { fix_constrain_recipient: true, ..ChatOptions::default() };
    let response = parse_response(&enc.encode(json_final, AllowedSpecial::All), &fixed).unwrap();
    assert_eq!(response["choices"][0]["message"]["content"], "{\"a\":1}");
    assert!(response["choices"][0]["message"]["tool_calls"].is_null());
}

#[test]
fn cli_prints_each_format() {
    let req = request(&["f".into()], &json!("required"));
    let dir = std::env::temp_dir().join(format!("harmony-grammar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("req.json");
    std::fs::write(&file, &req).unwrap();
    for (flag, format) in [("lark", GrammarFormat::Lark), ("gbnf", GrammarFormat::Gbnf), ("xgrammar", GrammarFormat::Xgrammar)] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_harmony"))
            .args(["chat", "grammar", "--format", flag, "--reasoning", "none"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let want = chat_grammar(&req, format, &GrammarOptions { reasoning: harmony::grammar::Reasoning::None, lazy: false }).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), want.trim_end());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Names that are not identifiers (issue 16 §1): every grammar calls the identifier the
/// bridge renders, a named `tool_choice` names the declared function, and the described call
/// parses back under the declared name.
#[test]
fn tool_names_that_are_not_identifiers_are_called_by_their_identifier() {
    let enc = HarmonyEncoding::gpt_oss();
    let declared: Vec<String> = ["get weather", "get_weather", "a<b", "say \"hi\"", "123tool", "𝓸𝓵𝓵𝓪𝓶𝓪"].map(String::from).to_vec();
    let idents = ["get_weather_2", "get_weather", "a_b", "say_hi", "_123tool", "𝓸𝓵𝓵𝓪𝓶𝓪"];
    let req = request(&declared, &json!("auto"));
    for format in FORMATS {
        let g = chat_grammar(&req, format, &GrammarOptions::default()).unwrap();
        for i in idents {
            assert_eq!(mentions(&g, i), 1, "{format:?} {i}\n{g}");
        }
        assert!(!g.contains("get weather") && !g.contains("functions.123tool") && !g.contains("a<b"), "{format:?}\n{g}");
        let flat: Vec<Value> = declared.iter().map(|n| json!({"type": "function", "name": n, "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}})).collect();
        let responses_req = json!({"input": [], "tools": flat, "tool_choice": "auto"}).to_string();
        assert_eq!(responses_grammar(&responses_req, format, &GrammarOptions::default()).unwrap(), g);
    }
    let named = request(&declared, &json!({"type": "function", "function": {"name": "get weather"}}));
    let g = chat_grammar(&named, GrammarFormat::Lark, &GrammarOptions::default()).unwrap();
    assert_eq!((mentions(&g, "get_weather_2"), mentions(&g, "get_weather")), (1, 0), "{g}");
    let text = "<|channel|>commentary to=functions.get_weather_2 <|constrain|>json<|message|>{\"x\":1}<|call|>";
    let o = ChatOptions::default().with_request(&named).unwrap();
    let response = parse_response(&enc.encode(text, AllowedSpecial::All), &o).unwrap();
    assert_eq!(response["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get weather");
}
