//! Deterministic, realistic inputs for the benchmarks: English-like prose, a gpt-oss style
//! conversation (system + developer with function tools + multi-turn with analysis and tool
//! calls), and long completions.

use serde_json::{json, Value};

/// SplitMix64, so every run benchmarks the same bytes.
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
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const WORDS: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on", "are", "with", "as",
    "I", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "not", "word", "but", "what",
    "some", "we", "can", "out", "other", "were", "all", "there", "when", "up", "use", "your", "how", "said", "an",
    "each", "she", "which", "do", "their", "time", "if", "will", "way", "about", "many", "then", "them", "write",
    "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two", "has", "look", "more",
    "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people", "my", "over", "know", "water",
    "than", "call", "first", "who", "may", "down", "side", "been", "now", "find", "any", "new", "work", "part",
    "take", "get", "place", "made", "live", "where", "after", "back", "little", "only", "round", "man", "year",
    "came", "show", "every", "good", "me", "give", "our", "under", "name", "very", "through", "just", "form",
    "sentence", "great", "think", "say", "help", "low", "line", "differ", "turn", "cause", "much", "mean",
    "before", "move", "right", "boy", "old", "too", "same", "tell", "does", "set", "three", "want", "air",
    "well", "also", "play", "small", "end", "put", "home", "read", "hand", "port", "large", "spell", "add",
    "even", "land", "here", "must", "big", "high", "such", "follow", "act", "why", "ask", "men", "change",
    "went", "light", "kind", "off", "need", "house", "picture", "try", "us", "again", "animal", "point",
    "mother", "world", "near", "build", "self", "earth", "father", "weather", "forecast", "temperature",
    "function", "request", "response", "parameter", "location", "degrees", "Celsius", "Tokyo", "Paris",
    "tomorrow", "analysis", "however", "because", "therefore", "result", "user", "question", "answer",
    "don't", "it's", "we're", "they'll", "I'm", "can't", "model", "value", "string", "object", "list",
];

/// About `words` words of English-like prose: capitalised sentences, commas, numbers,
/// paragraphs.
pub fn prose(r: &mut Rng, words: usize) -> String {
    let mut s = String::with_capacity(words * 6);
    let mut in_sentence = 0;
    let mut sentence_len = 8 + r.below(14);
    for i in 0..words {
        let mut w = (*r.pick(WORDS)).to_string();
        if r.below(40) == 0 {
            w = format!("{}", r.below(2030));
        }
        if in_sentence == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                w = f.to_uppercase().chain(c).collect();
            }
            if i > 0 && !s.ends_with('\n') {
                s.push(' ');
            }
        } else {
            s.push(' ');
        }
        s.push_str(&w);
        in_sentence += 1;
        if in_sentence == sentence_len {
            s.push(*r.pick(&['.', '.', '.', '?', '!']));
            in_sentence = 0;
            sentence_len = 8 + r.below(14);
            if r.below(6) == 0 {
                s.push_str("\n\n");
            }
        } else if r.below(9) == 0 {
            s.push(',');
        }
    }
    if in_sentence > 0 {
        s.push('.');
    }
    s
}

fn tool(name: &str, description: &str, params: Value) -> Value {
    json!({"name": name, "description": description, "parameters": params})
}

fn tools() -> Value {
    json!({
        "functions": {
            "name": "functions",
            "tools": [
                tool("get_weather", "Gets the current weather for a location.", json!({
                    "type": "object",
                    "properties": {
                        "location": {"type": "string", "description": "City and country, e.g. Paris, France"},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"}
                    },
                    "required": ["location"]
                })),
                tool("search_documents", "Full-text search over the user's documents.\nReturns the best matches first.", json!({
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for"},
                        "limit": {"type": "integer", "default": 10},
                        "filters": {"type": "object", "properties": {
                            "author": {"type": "string"},
                            "after": {"type": "string", "description": "ISO date"},
                            "tags": {"type": "array", "items": {"type": "string"}}
                        }}
                    },
                    "required": ["query"]
                })),
                tool("create_event", "Creates a calendar event.", json!({
                    "type": "object",
                    "properties": {
                        "title": {"type": "string"},
                        "start": {"type": "string", "description": "Start time, RFC 3339"},
                        "duration_minutes": {"type": "number"},
                        "attendees": {"type": "array", "items": {"type": "string"}},
                        "visibility": {"oneOf": [{"type": "string", "enum": ["public", "private"]}, {"type": "null"}]}
                    },
                    "required": ["title", "start"]
                })),
                {"name": "get_time", "description": "Current time in UTC."}
            ]
        }
    })
}

/// A gpt-oss conversation with `turns` user turns, each answered with analysis, a tool call,
/// the tool's answer and a final answer.
pub fn conversation(turns: usize) -> Value {
    let mut r = Rng::new(42 + turns as u64);
    let mut msgs = vec![
        json!({"role": "system", "content": [{
            "type": "system_content",
            "model_identity": "You are ChatGPT, a large language model trained by OpenAI.",
            "reasoning_effort": "High",
            "conversation_start_date": "2025-06-28",
            "knowledge_cutoff": "2024-06",
            "channel_config": {"valid_channels": ["analysis", "commentary", "final"], "channel_required": true}
        }]}),
        json!({"role": "developer", "content": [{
            "type": "developer_content",
            "instructions": prose(&mut r, 80),
            "tools": tools()
        }]}),
    ];
    for t in 0..turns {
        let city = *r.pick(&["Tokyo", "Paris", "Lima", "Oslo", "Cairo"]);
        let (u, a, f) = (30 + r.below(50), 60 + r.below(90), 50 + r.below(70));
        msgs.push(json!({"role": "user", "content": prose(&mut r, u)}));
        msgs.push(json!({"role": "assistant", "channel": "analysis", "content": prose(&mut r, a)}));
        msgs.push(json!({
            "role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
            "content_type": "<|constrain|>json",
            "content": json!({"location": format!("{city}, somewhere"), "unit": "celsius"}).to_string()
        }));
        msgs.push(json!({
            "role": "tool", "name": "functions.get_weather", "channel": "commentary", "recipient": "assistant",
            "content": json!({"temperature": 10 + t % 20, "conditions": "partly cloudy", "humidity": 0.61}).to_string()
        }));
        msgs.push(json!({"role": "assistant", "channel": "final", "content": prose(&mut r, f)}));
    }
    msgs.push(json!({"role": "user", "content": prose(&mut r, 40)}));
    json!({ "messages": msgs })
}

/// The text of an assistant completion, as sampled after `<|start|>assistant`: one final
/// message whose content is about `content_words` words of prose.
pub fn completion_text(content_words: usize) -> String {
    let mut r = Rng::new(7);
    format!("<|channel|>final<|message|>{}<|return|>", prose(&mut r, content_words))
}
