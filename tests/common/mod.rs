//! Shared test support: the reference implementation (openai-harmony 0.0.8, dev-dependency
//! only) and a seeded generator of conversations and completions that covers the format.
#![allow(dead_code)]

use openai_harmony::{HarmonyEncoding as RefEncoding, HarmonyEncodingName};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The reference encoding, loaded offline from the committed vocabulary file.
pub fn reference() -> &'static RefEncoding {
    static REF: OnceLock<RefEncoding> = OnceLock::new();
    REF.get_or_init(|| {
        std::env::set_var("TIKTOKEN_ENCODINGS_BASE", concat!(env!("CARGO_MANIFEST_DIR"), "/assets"));
        openai_harmony::load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss).expect("reference loads")
    })
}

/// Small deterministic PRNG (SplitMix64) so generated cases are reproducible from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const FRAGMENTS: &[&str] = &[
    "hello", " world", "The", " QUICK", " brown", "fox's", " they'RE", " I'll", "don't", "12345", " 3.14159",
    "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u{3000}", "\u{a0}", "!", "?!", " ...", "//", "/*", "{}",
    "\"quoted\"", "`code`", "日本語", "テキスト", "中文", "한국어", "Ünïcødé", "naïve", "e\u{301}", "🎉", "👍🏽", "🧑‍💻",
    "مرحبا", "שלום", "Привет", "<|start|>", "<|channel|>", "<|end|>", "<|message|>", "<|call|>", "<|return|>",
    "<|constrain|>", "<|reserved_200017|>", "<|endoftext|>", "<|", "|>", " to=functions.x", "functions", ":", "—", "€",
    "x", "A", "a", "0", "’s", "\u{200b}", "\u{feff}", "ǅ", "ʰ", "\u{20dd}", "1️⃣", "𝔘𝔫𝔦", "\u{10ffff}",
];

pub fn text(r: &mut Rng) -> String {
    let n = r.below(9);
    (0..n).map(|_| *r.pick(FRAGMENTS)).collect()
}

pub fn nonempty_text(r: &mut Rng) -> String {
    let t = text(r);
    if t.is_empty() { "x".into() } else { t }
}

pub fn word(r: &mut Rng) -> String {
    r.pick(&["get_weather", "search", "lookup", "f", "run_code", "x1", "calc", "<|start|>", "name with space", "日本"])
        .to_string()
}

fn maybe_desc(r: &mut Rng, v: &mut Value) {
    if r.chance(0.4) {
        v["description"] = json!(text(r));
    }
}

pub fn schema(r: &mut Rng, depth: usize) -> Value {
    let kind = if depth > 3 { r.below(6) } else { r.below(12) };
    let mut v = match kind {
        0 => json!({"type": "string"}),
        1 => json!({"type": "string", "enum": [text(r), "b", 3]}),
        2 => json!({"type": r.pick(&["number", "integer", "boolean", "null", "weird"]).to_string()}),
        3 => json!({"type": ["number", "string", "integer"]}),
        4 => json!({"type": [1, 2]}),
        5 => json!({}),
        6 | 7 => {
            let mut props = serde_json::Map::new();
            let mut required = vec![];
            for _ in 0..r.below(5) {
                let key = format!("{}{}", word(r), r.below(3));
                if r.chance(0.5) {
                    required.push(json!(key.clone()));
                }
                props.insert(key, schema(r, depth + 1));
            }
            let mut o = json!({"type": "object", "properties": Value::Object(props)});
            if r.chance(0.7) {
                o["required"] = json!(required);
            }
            o
        }
        8 => {
            let mut o = json!({"type": "array"});
            if r.chance(0.7) {
                o["items"] = schema(r, depth + 1);
            }
            o
        }
        9 | 10 => {
            let variants: Vec<Value> = (0..1 + r.below(3)).map(|_| schema(r, depth + 1)).collect();
            json!({"oneOf": variants})
        }
        _ => json!({"anyOf": [{"type": "string"}, {"type": "number"}]}),
    };
    maybe_desc(r, &mut v);
    if r.chance(0.25) {
        v["default"] = r.pick(&[json!("dflt"), json!(3), json!(-1), json!(false), json!(null), json!([1, "a"]), json!({"k": 1}), json!(1.5)]).clone();
    }
    if r.chance(0.15) {
        v["nullable"] = json!(r.chance(0.7));
    }
    if r.chance(0.1) {
        v["title"] = json!(text(r));
    }
    if r.chance(0.1) {
        v["examples"] = json!([text(r), 5, "ex"]);
    }
    if r.chance(0.1) {
        v["enum"] = json!([]);
    }
    v
}

fn tools(r: &mut Rng, functions: bool) -> Value {
    let mut map = serde_json::Map::new();
    let names: &[&str] = if functions { &["functions", "browser", "python", "ns"] } else { &["browser", "python", "ns", "functions"] };
    for i in 0..1 + r.below(2) {
        let ns = if i == 0 { names[0] } else { *r.pick(names) };
        let ts: Vec<Value> = (0..r.below(3))
            .map(|_| {
                let mut t = json!({"name": word(r), "description": text(r)});
                match r.below(3) {
                    0 => {}
                    1 => t["parameters"] = Value::Null,
                    _ => t["parameters"] = schema(r, 0),
                }
                t
            })
            .collect();
        let mut cfg = json!({"name": ns, "tools": ts});
        if r.chance(0.6) {
            cfg["description"] = json!(text(r));
        }
        map.insert(ns.to_string(), cfg);
    }
    Value::Object(map)
}

fn system_content(r: &mut Rng) -> Value {
    let mut s = json!({"type": "system_content"});
    if r.chance(0.8) {
        s["model_identity"] = json!(r.pick(&["You are ChatGPT, a large language model trained by OpenAI.", "Bot"]).to_string());
    }
    if r.chance(0.8) {
        s["reasoning_effort"] = json!(r.pick(&["Low", "Medium", "High"]).to_string());
    }
    if r.chance(0.5) {
        s["conversation_start_date"] = json!("2025-06-28");
    }
    if r.chance(0.7) {
        s["knowledge_cutoff"] = json!("2024-06");
    }
    if r.chance(0.7) {
        let chans: Vec<&str> = ["analysis", "commentary", "final"].into_iter().filter(|_| r.chance(0.8)).collect();
        s["channel_config"] = json!({"valid_channels": chans, "channel_required": r.chance(0.7)});
    }
    if r.chance(0.3) {
        s["tools"] = tools(r, false);
    }
    s
}

fn developer_content(r: &mut Rng) -> Value {
    let mut d = json!({"type": "developer_content"});
    if r.chance(0.7) {
        d["instructions"] = json!(text(r));
    }
    if r.chance(0.7) {
        d["tools"] = tools(r, true);
    }
    d
}

/// A random message as JSON. Only valid messages (those the reference renders) unless
/// `allow_invalid`.
pub fn message(r: &mut Rng, allow_invalid: bool) -> Value {
    let role = *r.pick(&["user", "assistant", "assistant", "assistant", "tool", "system", "developer"]);
    let mut m = json!({"role": role});
    if role == "tool" || r.chance(0.1) {
        if !(allow_invalid && r.chance(0.1)) {
            m["name"] = json!(r.pick(&["functions.get_weather", "browser.search", "python", "alice", "x y"]).to_string());
        }
    }
    if r.chance(0.3) {
        m["recipient"] = json!(r.pick(&["functions.get_weather", "all", "assistant", "browser.open", "python"]).to_string());
    }
    if r.chance(0.7) {
        m["channel"] = json!(r.pick(&["analysis", "commentary", "final", "final", "custom"]).to_string());
    }
    if r.chance(0.2) {
        m["content_type"] = json!(r.pick(&["json", "<|constrain|>json", "<|constrain|>", "code", "<|constrain|> json"]).to_string());
    }
    let special = match role {
        "system" if r.chance(0.8) => Some(system_content(r)),
        "developer" if r.chance(0.8) => Some(developer_content(r)),
        _ if allow_invalid && r.chance(0.05) => Some(if r.chance(0.5) { system_content(r) } else { developer_content(r) }),
        _ => None,
    };
    m["content"] = match special {
        Some(s) => json!([s]),
        None if r.chance(0.6) => json!(text(r)),
        None => Value::Array((0..r.below(3)).map(|_| json!({"type": "text", "text": text(r)})).collect()),
    };
    m
}

pub fn conversation(r: &mut Rng, allow_invalid: bool) -> Value {
    let msgs: Vec<Value> = (0..r.below(7)).map(|_| message(r, allow_invalid)).collect();
    json!({ "messages": msgs })
}

/// Token ids that exercise the parser: specials, fragments of multi-byte characters,
/// unknown ids.
pub const INTERESTING_TOKENS: &[u32] = &[
    200006, 200008, 200005, 200003, 200007, 200002, 200012, 199999, 200017, 201088, 201089, 300000, u32::MAX, 0, 220,
    198, 9468, 236, 5, 174, 3392, 73,
];

/// A random completion: rendered assistant/tool messages, possibly mutated.
pub fn completion(r: &mut Rng) -> (Vec<u32>, Option<&'static str>) {
    let enc = reference();
    let mut tokens = vec![];
    for _ in 0..1 + r.below(3) {
        let mut m = message(r, false);
        if m["role"] == "system" || m["role"] == "developer" {
            m["role"] = json!("assistant");
            m["content"] = json!(text(r));
        }
        let msg: openai_harmony::chat::Message = serde_json::from_value(m).unwrap();
        if let Ok(t) = enc.render(&msg, None) {
            tokens.extend(t);
        }
    }
    let mut role = None;
    if r.chance(0.4) && tokens.len() > 2 {
        // Start inside the first header, as after render_for_completion.
        let first = tokens.iter().position(|&t| t == 200005 || t == 200008).unwrap_or(2).min(2);
        tokens.drain(..first);
        role = Some(*r.pick(&["assistant", "assistant", "tool", "user"]));
    }
    for _ in 0..r.below(4) {
        if tokens.is_empty() {
            break;
        }
        let at = r.below(tokens.len() + 1);
        match r.below(5) {
            0 => tokens.truncate(at),
            1 => tokens.insert(at, *r.pick(INTERESTING_TOKENS)),
            2 if at < tokens.len() => {
                tokens.remove(at);
            }
            3 => tokens.insert(at, r.below(200_000) as u32),
            _ => {
                let extra: Vec<u32> = enc.tokenizer().encode_ordinary(&text(r));
                tokens.splice(at..at, extra);
            }
        }
    }
    (tokens, role)
}
