//! Harmony-aware grammars for constrained decoding: a Chat Completions or Responses request →
//! a grammar over the assistant's completion, for llguidance (Lark), llama.cpp (GBNF) and xgrammar
//! (structural tag).
//!
//! The completion starts where [`render_request`](crate::chat_completions::render_request)'s
//! prompt ends, inside the assistant header after `<|start|>assistant`:
//!
//! ```text
//! (<|channel|>analysis<|message|>TEXT<|end|><|start|>assistant)*      reasoning (optional/required/none)
//! then one of
//!   <|channel|>final<|message|>TEXT<|return|>                          text answer
//!   <|channel|>final <|constrain|>json<|message|>JSON<|return|>         response_format json_object/json_schema
//!   CALL (<|start|>assistant CALL)*                                     tool calls (one unless parallel_tool_calls)
//! CALL = <|channel|>commentary to=functions.NAME <|constrain|>json<|message|>ARGS<|call|>
//! ```
//!
//! `tool_choice`: `auto` allows the answer or calls, `none` only the answer, `required` only
//! calls, a named function only calls to it. NAME is the identifier the bridges render for
//! one of the declared tools ([`crate::routing::FunctionNames`]: `get weather` → `get_weather`)
//! and ARGS matches its `parameters` schema. Control tokens are token references, never text.
//!
//! Formats:
//! - [`GrammarFormat::Lark`]: llguidance's Lark dialect; tokens as `<|name|>` references,
//!   schemas inlined with `%json` (llguidance enforces them itself).
//! - [`GrammarFormat::Gbnf`]: llama.cpp's GBNF; tokens as `<[id]>` (src/llama-grammar.cpp,
//!   `parse_token`), schemas converted by this module (see [`gbnf_schema`] for the keywords it
//!   enforces). llama.cpp only lets an end-of-generation token through once the grammar is
//!   complete (`llama_grammar_apply_impl`), so the GBNF stops right before `<|return|>` /
//!   `<|call|>`, and it describes at most one call (llama.cpp stops at `<|call|>`). With
//!   [`GrammarOptions::lazy`] the grammar describes only the calls, to be armed by the trigger
//!   pattern [`GBNF_LAZY_TRIGGER`] (as llama.cpp's own gpt-oss handler does in common/chat.cpp).
//! - [`GrammarFormat::Xgrammar`]: an xgrammar structural tag (`{"type":"structural_tag",
//!   "format":...}`) built from `tag` (begin / content / end), `tags_with_separator`,
//!   `sequence`, `or`, `star` / `plus`, `any_text` and `json_schema`.

pub mod gbnf_schema;
mod plan;

pub use plan::Reasoning;

use crate::error::{Error, Result};
use crate::tokenizer::SpecialToken;
use plan::{Final, Plan};
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write;

/// The regex that arms a lazy GBNF grammar in llama.cpp (`grammar_triggers`, type pattern).
pub const GBNF_LAZY_TRIGGER: &str = r"<\|channel\|>commentary to=";

/// Output format of [`chat_grammar`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrammarFormat {
    /// llguidance Lark grammar.
    Lark,
    /// llama.cpp GBNF grammar (root rule `root`).
    Gbnf,
    /// xgrammar structural tag JSON.
    Xgrammar,
}

impl std::str::FromStr for GrammarFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "lark" => Ok(GrammarFormat::Lark),
            "gbnf" => Ok(GrammarFormat::Gbnf),
            "xgrammar" => Ok(GrammarFormat::Xgrammar),
            other => Err(Error::InvalidArgument(format!("grammar format `{other}` is not lark, gbnf or xgrammar"))),
        }
    }
}

/// Options of [`chat_grammar`] (also accepted as JSON by the C ABI and the CLI).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrammarOptions {
    /// Analysis before the answer: `optional` (default), `required` or `none`.
    pub reasoning: Reasoning,
    /// GBNF only: describe just the tool calls, for llama.cpp's lazy grammars armed by
    /// [`GBNF_LAZY_TRIGGER`] (text before the trigger is free).
    pub lazy: bool,
}

impl GrammarOptions {
    /// Parses options from JSON; empty input gives the defaults.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let value: Value = serde_json::from_str(json).map_err(|e| Error::json("grammar options", e))?;
        if !value.is_object() {
            return Err(Error::InvalidJson { what: "grammar options", detail: "expected a JSON object".into() });
        }
        serde_json::from_value(value).map_err(|e| Error::json("grammar options", e))
    }
}

/// The grammar of the completion a Chat Completions request (`request_json`) permits.
pub fn chat_grammar(request_json: &str, format: GrammarFormat, options: &GrammarOptions) -> Result<String> {
    grammar(plan::plan(request_json, options.reasoning, plan::Dialect::Chat)?, format, options)
}

/// The grammar of the completion a Responses request permits: its function `tools`,
/// `tool_choice` (`{"type":"function","name":…}` names one), `parallel_tool_calls` and
/// `text.format`, read as [`chat_grammar`] reads their Chat Completions spelling — the same
/// request in either dialect gives the same grammar. Hosted tools (`web_search`) are an error.
pub fn responses_grammar(request_json: &str, format: GrammarFormat, options: &GrammarOptions) -> Result<String> {
    grammar(plan::plan(request_json, options.reasoning, plan::Dialect::Responses)?, format, options)
}

fn grammar(plan: Plan, format: GrammarFormat, options: &GrammarOptions) -> Result<String> {
    if options.lazy && format != GrammarFormat::Gbnf {
        return Err(Error::InvalidArgument("grammar options: `lazy` applies to the gbnf format only".into()));
    }
    match format {
        GrammarFormat::Lark => Ok(lark(&plan)),
        GrammarFormat::Gbnf => gbnf(&plan, options.lazy),
        GrammarFormat::Xgrammar => Ok(xgrammar(&plan).to_string()),
    }
}

use crate::routing::function_recipient as recipient;

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

// ---------------------------------------------------------------------------------------
// llguidance Lark

fn lark(plan: &Plan) -> String {
    let mut g = String::from("%llguidance {}\n\n");
    let reasoning = match plan.reasoning {
        Reasoning::Optional => "analysis* ",
        Reasoning::Required => "analysis+ ",
        Reasoning::None => "",
    };
    let mut answers = Vec::new();
    if plan.final_allowed {
        answers.push("final");
    }
    if !plan.tools.is_empty() {
        answers.push("calls");
    }
    let _ = writeln!(g, "start: {reasoning}({})", answers.join(" | "));
    g.push_str("analysis: <|channel|> \"analysis\" <|message|> TEXT <|end|> <|start|> \"assistant\"\n");
    g.push_str("TEXT: /(?s:.*)/\n");
    if plan.final_allowed {
        match &plan.final_format {
            Final::Text => g.push_str("final: <|channel|> \"final\" <|message|> TEXT <|return|>\n"),
            Final::Json(schema) => {
                g.push_str("final: <|channel|> \"final \" <|constrain|> \"json\" <|message|> final_json <|return|>\n");
                let _ = writeln!(g, "final_json: %json {schema}");
            }
        }
    }
    if !plan.tools.is_empty() {
        if plan.parallel {
            g.push_str("calls: call (<|start|> \"assistant\" call)*\n");
        } else {
            g.push_str("calls: call\n");
        }
        let alts: Vec<String> = (0..plan.tools.len()).map(|i| format!("call_{i}")).collect();
        let _ = writeln!(g, "call: <|channel|> \"commentary to=\" ({})", alts.join(" | "));
        for (i, tool) in plan.tools.iter().enumerate() {
            let _ = writeln!(
                g,
                "call_{i}: {} \" \" <|constrain|> \"json\" <|message|> args_{i} <|call|>\nargs_{i}: %json {}",
                json_str(&recipient(&tool.ident)),
                tool.schema
            );
        }
    }
    g
}

// ---------------------------------------------------------------------------------------
// llama.cpp GBNF

fn tok(t: SpecialToken) -> String {
    format!("<[{}]>", t.id())
}

fn gbnf(plan: &Plan, lazy: bool) -> Result<String> {
    use gbnf_schema::{literal, Rules};
    use SpecialToken::*;
    let mut rules = Rules::new();
    let mut head = String::from("# Harmony completion grammar for llama.cpp; special tokens as <[id]>:\n");
    for t in [Channel, Message, End, Start, Constrain, Return, Call] {
        let _ = writeln!(head, "#   <[{}]> = {}", t.id(), t.as_str());
    }
    if lazy {
        if plan.tools.is_empty() {
            return Err(Error::InvalidArgument("grammar options: `lazy` needs a request that allows tool calls".into()));
        }
        let _ = writeln!(head, "# Lazy: arm with the trigger pattern {GBNF_LAZY_TRIGGER} (text before it is free).");
    }
    head.push_str("# Ends before the final <|return|> / <|call|>: llama.cpp samples that end-of-generation\n# token once the grammar is complete.\n");

    let mut root_alts = Vec::new();
    if plan.final_allowed && !lazy {
        let body = match &plan.final_format {
            Final::Text => format!("{} \"final\" {} text", tok(Channel), tok(Message)),
            Final::Json(schema) => {
                let s = rules.schema(schema, "response_format.json_schema.schema")?;
                format!("{} \"final \" {} \"json\" {} {s}", tok(Channel), tok(Constrain), tok(Message))
            }
        };
        root_alts.push(rules.add("final".into(), body));
    }
    if !plan.tools.is_empty() {
        let mut calls = Vec::new();
        for (i, tool) in plan.tools.iter().enumerate() {
            let args = rules.schema(&tool.schema, &format!("tools[{i}].function.parameters"))?;
            calls.push(format!("{} \" \" {} \"json\" {} {args}", literal(&recipient(&tool.ident)), tok(Constrain), tok(Message)));
        }
        let body = format!("{} \"commentary to=\" ({})", tok(Channel), calls.join(" | "));
        root_alts.push(rules.add("call".into(), body));
    }
    let reasoning = match (plan.reasoning, lazy) {
        (_, true) | (Reasoning::None, _) => "",
        (Reasoning::Optional, _) => "analysis* ",
        (Reasoning::Required, _) => "analysis+ ",
    };
    let mut g = head;
    let _ = writeln!(g, "root ::= {reasoning}({})", root_alts.join(" | "));
    let _ = writeln!(g, "analysis ::= {} \"analysis\" {} text {} {} \"assistant\"", tok(Channel), tok(Message), tok(End), tok(Start));
    g.push_str("text ::= ([^<] | \"<\"+ [^<|])* \"<\"*\n");
    for (name, body) in &rules.rules {
        let _ = writeln!(g, "{name} ::= {body}");
    }
    g.push_str(gbnf_schema::JSON_RULES);
    Ok(g)
}

// ---------------------------------------------------------------------------------------
// xgrammar structural tag

/// A JSON object from its fields, moving the values in (`json!` would re-serialise every
/// interpolated value through `to_value`, copying each schema once more per level).
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

/// `{"type":"tag","begin":…,"content":…,"end":…}`.
fn tag(begin: String, content: Value, end: &str) -> Value {
    object([("type", text("tag")), ("begin", Value::String(begin)), ("content", content), ("end", text(end))])
}

fn schema_tag(begin: String, schema: &Value, end: &str) -> Value {
    tag(begin, object([("type", text("json_schema")), ("json_schema", schema.clone())]), end)
}

fn xgrammar(plan: &Plan) -> Value {
    let any_text = || object([("type", text("any_text"))]);
    let mut answers = Vec::new();
    if plan.final_allowed {
        answers.push(match &plan.final_format {
            Final::Text => tag("<|channel|>final<|message|>".into(), any_text(), "<|return|>"),
            Final::Json(schema) => schema_tag("<|channel|>final <|constrain|>json<|message|>".into(), schema, "<|return|>"),
        });
    }
    if !plan.tools.is_empty() {
        let tags: Vec<Value> = plan
            .tools
            .iter()
            .map(|t| schema_tag(format!("<|channel|>commentary to={} <|constrain|>json<|message|>", recipient(&t.ident)), &t.schema, "<|call|>"))
            .collect();
        answers.push(object([
            ("type", text("tags_with_separator")),
            ("tags", Value::Array(tags)),
            ("separator", text("<|start|>assistant")),
            ("at_least_one", Value::Bool(true)),
            ("stop_after_first", Value::Bool(!plan.parallel)),
        ]));
    }
    let answer = if answers.len() == 1 { answers.pop().expect("one answer") } else { object([("type", text("or")), ("elements", Value::Array(answers))]) };
    let analysis = tag("<|channel|>analysis<|message|>".into(), any_text(), "<|end|><|start|>assistant");
    let repeat = |kind: &str| object([("type", text(kind)), ("content", analysis.clone())]);
    let format = match plan.reasoning {
        Reasoning::None => answer,
        Reasoning::Optional => object([("type", text("sequence")), ("elements", Value::Array(vec![repeat("star"), answer]))]),
        Reasoning::Required => object([("type", text("sequence")), ("elements", Value::Array(vec![repeat("plus"), answer]))]),
    };
    object([("type", text("structural_tag")), ("format", format)])
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEATHER: &str = r#"{"messages":[],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}}]}"#;

    #[test]
    fn lark_names_every_tool_and_its_schema() {
        let g = chat_grammar(WEATHER, GrammarFormat::Lark, &GrammarOptions::default()).unwrap();
        assert!(g.contains("call_0: \"functions.get_weather\" \" \" <|constrain|> \"json\" <|message|> args_0 <|call|>"), "{g}");
        assert!(g.contains("start: analysis* (final | calls)"), "{g}");
    }

    #[test]
    fn tool_choice_decides_the_answers() {
        let req = |choice: &str| WEATHER.replacen("{\"messages\":[]", &format!("{{\"messages\":[],\"tool_choice\":{choice}"), 1);
        let g = chat_grammar(&req("\"required\""), GrammarFormat::Lark, &GrammarOptions::default()).unwrap();
        assert!(g.contains("start: analysis* (calls)") && !g.contains("final:"), "{g}");
        let g = chat_grammar(&req("\"none\""), GrammarFormat::Lark, &GrammarOptions::default()).unwrap();
        assert!(g.contains("start: analysis* (final)") && !g.contains("call"), "{g}");
        let err = chat_grammar(&req(r#"{"type":"function","function":{"name":"nope"}}"#), GrammarFormat::Lark, &GrammarOptions::default()).unwrap_err();
        assert!(err.to_string().contains("`nope` is not one of the request's tools"), "{err}");
    }

    #[test]
    fn gbnf_uses_token_ids_and_never_the_stop_tokens() {
        let g = chat_grammar(WEATHER, GrammarFormat::Gbnf, &GrammarOptions::default()).unwrap();
        assert!(g.contains("call ::= <[200005]> \"commentary to=\" (\"functions.get_weather\" \" \" <[200003]> \"json\" <[200008]> schema-"), "{g}");
        let rules: String = g.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(!rules.contains("<[200012]>") && !rules.contains("<[200002]>"), "{g}");
    }

    #[test]
    fn unsupported_schema_keywords_are_named() {
        let req = WEATHER.replace(r#"{"type":"string"}"#, r##"{"$ref":"#/$defs/city"}"##);
        let err = chat_grammar(&req, GrammarFormat::Gbnf, &GrammarOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid argument: tools[0].function.parameters.properties.city: JSON Schema keyword `$ref` is not supported in GBNF grammars"
        );
    }

    #[test]
    fn options_are_checked() {
        assert!(GrammarOptions::from_json(r#"{"reasoning":"sometimes"}"#).is_err());
        assert_eq!(GrammarOptions::from_json(r#"{"reasoning":"none","lazy":true}"#).unwrap(), GrammarOptions { reasoning: Reasoning::None, lazy: true });
        let err = chat_grammar(WEATHER, GrammarFormat::Lark, &GrammarOptions { lazy: true, ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("gbnf format only"));
    }
}
