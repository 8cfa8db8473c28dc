//! JSON Schema → GBNF rules (llama.cpp grammar syntax).
//!
//! Enforced: `type` (one or a list), `properties` (in declared order; optional ones may be
//! left out; no undeclared property is generated), `required`, `enum`, `const`, `oneOf` /
//! `anyOf` (as alternatives; `oneOf` exclusivity is not checked), `nullable`, `items`,
//! `minItems` / `maxItems`, boolean schemas and `{}` (any JSON value). Annotations
//! (`description`, `title`, `default`, `examples`, `$schema`, `$id`, ...) are ignored, as are
//! the value checks GBNF cannot express cheaply (`minimum`, `maximum`, `pattern`, `format`,
//! `minLength`, `maxLength`, `multipleOf`, `uniqueItems`, `additionalProperties` when
//! `properties` is given). Keywords that change which documents are valid in ways that would
//! be silently lost (`$ref`, `allOf`, `not`, `if`, `patternProperties`, `prefixItems`, ...) are
//! an error naming the keyword and where it is.
//!
//! Strings never contain `<|` (so a special token's text can never be taken for string
//! characters by llama.cpp's character matcher).

use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write;

/// Deepest schema nesting converted (serde_json input stops at 128 anyway).
const MAX_DEPTH: usize = 64;

/// Keywords that would change the accepted language if ignored.
const UNSUPPORTED: [&str; 12] = [
    "$ref",
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "prefixItems",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "contains",
];

/// The shared JSON rules every grammar with a schema uses.
pub(crate) const JSON_RULES: &str = r#"ws ::= [ \t\n]{0,16}
json-char ::= [^"\\<\x00-\x1f] | json-escape
json-char-np ::= [^"\\<|\x00-\x1f] | json-escape
json-escape ::= "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
json-string ::= "\"" (json-char | "<"+ json-char-np)* "<"* "\""
json-int ::= "-"? ("0" | [1-9] [0-9]*)
json-number ::= json-int ("." [0-9]+)? ([eE] [-+]? [0-9]+)?
json-bool ::= "true" | "false"
json-null ::= "null"
json-value ::= json-object | json-array | json-string | json-number | json-bool | json-null
json-object ::= "{" ws (json-string ws ":" ws json-value (ws "," ws json-string ws ":" ws json-value)*)? ws "}"
json-array ::= "[" ws (json-value (ws "," ws json-value)*)? ws "]"
"#;

/// A GBNF string literal for `s`.
pub(crate) fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Collects the rules of one grammar; identical schemas share a rule.
pub(crate) struct Rules {
    pub rules: Vec<(String, String)>,
    by_schema: HashMap<String, String>,
    next: usize,
}

fn unsupported(path: &str, what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("{path}: {what}"))
}

impl Rules {
    pub fn new() -> Self {
        Rules { rules: Vec::new(), by_schema: HashMap::new(), next: 0 }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}", self.next)
    }

    pub fn add(&mut self, name: String, body: String) -> String {
        self.rules.push((name.clone(), body));
        name
    }

    /// The rule name matching `schema` (at `path`, for error messages).
    pub fn schema(&mut self, schema: &Value, path: &str) -> Result<String> {
        self.schema_at(schema, path, 0)
    }

    fn schema_at(&mut self, schema: &Value, path: &str, depth: usize) -> Result<String> {
        if depth > MAX_DEPTH {
            return Err(Error::LimitExceeded(format!("{path}: schema nested deeper than {MAX_DEPTH} levels")));
        }
        let key = serde_json::to_string(schema).expect("values serialise");
        if let Some(name) = self.by_schema.get(&key) {
            return Ok(name.clone());
        }
        let body = self.body(schema, path, depth)?;
        // Plain references need no rule of their own.
        if !body.contains(' ') && !body.contains('"') && !body.contains('(') {
            return Ok(body);
        }
        let name = self.fresh("schema");
        self.add(name.clone(), body);
        self.by_schema.insert(key, name.clone());
        Ok(name)
    }

    fn body(&mut self, schema: &Value, path: &str, depth: usize) -> Result<String> {
        let obj = match schema {
            Value::Bool(true) => return Ok("json-value".into()),
            Value::Bool(false) => return Err(unsupported(path, "the schema `false` allows no value")),
            Value::Object(o) => o,
            _ => return Err(unsupported(path, "expected a JSON Schema object")),
        };
        if let Some(k) = UNSUPPORTED.iter().find(|k| obj.contains_key(**k)) {
            return Err(unsupported(path, format!("JSON Schema keyword `{k}` is not supported in GBNF grammars")));
        }
        let nullable = obj.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        let mut alts = self.alternatives(obj, path, depth)?;
        if nullable && !alts.iter().any(|a| a == "json-null") {
            alts.push("json-null".into());
        }
        Ok(alts.join(" | "))
    }

    fn alternatives(&mut self, obj: &serde_json::Map<String, Value>, path: &str, depth: usize) -> Result<Vec<String>> {
        if let Some(c) = obj.get("const") {
            return Ok(vec![literal(&serde_json::to_string(c).expect("values serialise"))]);
        }
        if let Some(e) = obj.get("enum") {
            let values = e.as_array().filter(|a| !a.is_empty()).ok_or_else(|| unsupported(&format!("{path}.enum"), "expected a non-empty array"))?;
            return Ok(values.iter().map(|v| literal(&serde_json::to_string(v).expect("values serialise"))).collect());
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(v) = obj.get(key) {
                let variants = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| unsupported(&format!("{path}.{key}"), "expected a non-empty array"))?;
                return variants
                    .iter()
                    .enumerate()
                    .map(|(i, s)| self.schema_at(s, &format!("{path}.{key}[{i}]"), depth + 1))
                    .collect();
            }
        }
        let types: Vec<&str> = match obj.get("type") {
            None => return Ok(vec![if obj.contains_key("properties") { self.object(obj, path, depth)? } else { "json-value".into() }]),
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().map(|t| t.as_str().ok_or_else(|| unsupported(&format!("{path}.type"), "expected strings"))).collect::<Result<_>>()?,
            Some(_) => return Err(unsupported(&format!("{path}.type"), "expected a string or an array of strings")),
        };
        types
            .into_iter()
            .map(|t| {
                Ok(match t {
                    "string" => "json-string".into(),
                    "number" => "json-number".into(),
                    "integer" => "json-int".into(),
                    "boolean" => "json-bool".into(),
                    "null" => "json-null".into(),
                    "object" => self.object(obj, path, depth)?,
                    "array" => self.array(obj, path, depth)?,
                    other => return Err(unsupported(&format!("{path}.type"), format!("unknown type `{other}`"))),
                })
            })
            .collect()
    }

    fn array(&mut self, obj: &serde_json::Map<String, Value>, path: &str, depth: usize) -> Result<String> {
        let item = match obj.get("items") {
            None => "json-value".to_string(),
            Some(items) => self.schema_at(items, &format!("{path}.items"), depth + 1)?,
        };
        let count = |k: &str| -> Result<Option<u64>> {
            match obj.get(k) {
                None => Ok(None),
                Some(v) => v.as_u64().map(Some).ok_or_else(|| unsupported(&format!("{path}.{k}"), "expected a non-negative integer")),
            }
        };
        let (min, max) = (count("minItems")?.unwrap_or(0), count("maxItems")?);
        if max.is_some_and(|m| m < min) {
            return Err(unsupported(path, "maxItems is less than minItems"));
        }
        let more = format!("(ws \",\" ws {item})");
        let rest = match (min, max) {
            (_, Some(0)) => return Ok("\"[\" ws \"]\"".into()),
            (0, None) | (1, None) => format!("{more}*"),
            (m, None) => format!("{more}{{{},}}", m - 1),
            (m, Some(x)) => format!("{more}{{{},{}}}", m.saturating_sub(1), x - 1),
        };
        let list = format!("{item} {rest}");
        let body = if min == 0 { format!("({list})?") } else { list };
        Ok(format!("(\"[\" ws {body} ws \"]\")"))
    }

    fn object(&mut self, obj: &serde_json::Map<String, Value>, path: &str, depth: usize) -> Result<String> {
        let Some(props) = obj.get("properties") else { return Ok("json-object".into()) };
        let props = props.as_object().ok_or_else(|| unsupported(&format!("{path}.properties"), "expected an object"))?;
        let required: Vec<&str> = match obj.get("required") {
            None => Vec::new(),
            Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
            Some(_) => return Err(unsupported(&format!("{path}.required"), "expected an array of names")),
        };
        if let Some(missing) = required.iter().find(|r| !props.contains_key(**r)) {
            return Err(unsupported(&format!("{path}.required"), format!("`{missing}` is required but not in `properties`")));
        }
        let mut items = Vec::with_capacity(props.len());
        for (key, prop) in props {
            let value = self.schema_at(prop, &format!("{path}.properties.{key}"), depth + 1)?;
            let kv = format!("{} ws \":\" ws {value}", literal(&serde_json::to_string(key).expect("strings serialise")));
            items.push((kv, required.contains(&key.as_str())));
        }
        // tail[i][first]: the properties from i on, `first` when none was written yet.
        let base = self.fresh("object");
        let mut tail: Vec<[String; 2]> = vec![[String::new(), String::new()]; items.len() + 1];
        for i in (0..items.len()).rev() {
            let (kv, req) = &items[i];
            for first in [0, 1] {
                let sep = if first == 1 { "" } else { "ws \",\" ws " };
                let after = &tail[i + 1][0];
                let this = format!("{sep}{kv}{}", if after.is_empty() { String::new() } else { format!(" {after}") });
                let skip = &tail[i + 1][first];
                let body = if *req {
                    this
                } else if skip.is_empty() {
                    format!("({this})?")
                } else {
                    format!("({this}) | {skip}")
                };
                tail[i][first] = self.add(format!("{base}-{i}-{}", if first == 1 { "a" } else { "b" }), body);
            }
        }
        let inner = &tail[0][1];
        Ok(if inner.is_empty() { "(\"{\" ws \"}\")".into() } else { format!("(\"{{\" ws {inner} ws \"}}\")") })
    }
}
