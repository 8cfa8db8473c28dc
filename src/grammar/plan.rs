//! A Chat Completions or Responses request → what the completion may contain (the grammar's
//! plan). Both dialects say the same things (function tools, `tool_choice`,
//! `parallel_tool_calls`, a JSON answer format) in different shapes; the plan is the same.

use crate::error::{Error, Result};
use crate::routing::FunctionNames;
use serde_json::{Map, Value};

fn bad(path: &str, reason: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("{path}: {reason}"))
}

/// A function the completion may call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tool {
    /// The name as declared (what `tool_choice` names).
    pub name: String,
    /// The identifier the model sees for it (recipient `functions.IDENT`), as the bridges
    /// render it ([`FunctionNames`]).
    pub ident: String,
    /// The parameter schema; `{"type":"object"}` when the tool declares none.
    pub schema: Value,
}

/// What the final answer must look like.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Final {
    /// Free text on `<|channel|>final<|message|>`.
    Text,
    /// JSON matching the schema after `<|channel|>final <|constrain|>json<|message|>`.
    Json(Value),
}

/// Whether analysis messages come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reasoning {
    /// Zero or more analysis messages before the answer (the default).
    #[default]
    Optional,
    /// At least one analysis message before the answer.
    Required,
    /// No analysis message: the answer comes first.
    None,
}

/// The shape of the completion a request permits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Callable tools (empty when `tool_choice` is `none`; one when a function is named).
    pub tools: Vec<Tool>,
    /// A final answer is allowed (false for `required` and named tool choices).
    pub final_allowed: bool,
    /// Several calls in one completion (`parallel_tool_calls`, default true).
    pub parallel: bool,
    pub final_format: Final,
    pub reasoning: Reasoning,
}

fn tools(request: &Map<String, Value>) -> Result<Vec<Tool>> {
    let list = match request.get("tools") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(t)) => t,
        Some(_) => return Err(bad("request.tools", "expected an array")),
    };
    let mut out: Vec<Tool> = Vec::with_capacity(list.len());
    for (i, tool) in list.iter().enumerate() {
        let path = format!("tools[{i}]");
        let obj = tool.as_object().ok_or_else(|| bad(&path, "expected an object"))?;
        match obj.get("type").and_then(Value::as_str) {
            Some("function") => {}
            Some(other) => return Err(bad(&path, format!("unsupported tool type `{other}` (only function tools)"))),
            None => return Err(bad(&path, "tool has no `type`")),
        }
        let fpath = format!("{path}.function");
        let f = obj.get("function").and_then(Value::as_object).ok_or_else(|| bad(&fpath, "missing function object"))?;
        add_tool(&mut out, f, &fpath)?;
    }
    Ok(out)
}

/// Adds the function declared by `f` (its `name` and `parameters`; `path` names it in errors).
fn add_tool(out: &mut Vec<Tool>, f: &Map<String, Value>, path: &str) -> Result<()> {
    let name = f.get("name").and_then(Value::as_str).ok_or_else(|| bad(path, "function has no `name`"))?;
    if out.iter().any(|t| t.name == name) {
        return Err(bad(&format!("{path}.name"), format!("function `{name}` is declared twice")));
    }
    let mut schema = match f.get("parameters") {
        None | Some(Value::Null) => serde_json::json!({"type": "object"}),
        Some(p @ (Value::Object(_) | Value::Bool(true))) => p.clone(),
        Some(_) => return Err(bad(&format!("{path}.parameters"), "expected a JSON Schema object")),
    };
    normalize(&mut schema, 0);
    out.push(Tool { name: name.to_string(), ident: String::new(), schema });
    Ok(())
}

/// A Responses request's function tools (flat: `{"type":"function","name":…,"parameters":…}`).
/// The hosted tools (`web_search`, …) have no grammar here: an error names them.
fn responses_tools(request: &Map<String, Value>) -> Result<Vec<Tool>> {
    let list = match request.get("tools") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(t)) => t,
        Some(_) => return Err(bad("request.tools", "expected an array")),
    };
    let mut out: Vec<Tool> = Vec::with_capacity(list.len());
    for (i, tool) in list.iter().enumerate() {
        let path = format!("tools[{i}]");
        let obj = tool.as_object().ok_or_else(|| bad(&path, "expected an object"))?;
        match obj.get("type").and_then(Value::as_str) {
            Some("function") => add_tool(&mut out, obj, &path)?,
            Some(other) => return Err(bad(&path, format!("unsupported tool type `{other}` (grammars cover function tools only)"))),
            None => return Err(bad(&path, "tool has no `type`")),
        }
    }
    Ok(out)
}

/// The schema of a JSON answer (`path` names the schema's field in errors).
fn json_final(schema: Option<&Value>, path: &str) -> Result<Final> {
    match schema {
        Some(s @ (Value::Object(_) | Value::Bool(true))) => {
            let mut s = s.clone();
            normalize(&mut s, 0);
            Ok(Final::Json(s))
        }
        Some(_) => Err(bad(&format!("{path}.schema"), "expected a JSON Schema object")),
        None => Err(bad(path, "missing `schema`")),
    }
}

fn final_format(request: &Map<String, Value>) -> Result<Final> {
    let Some(rf) = request.get("response_format").filter(|v| !v.is_null()) else { return Ok(Final::Text) };
    let path = "request.response_format";
    let obj = rf.as_object().ok_or_else(|| bad(path, "expected an object"))?;
    Ok(match obj.get("type").and_then(Value::as_str) {
        Some("text") => Final::Text,
        Some("json_object") => Final::Json(serde_json::json!({"type": "object"})),
        Some("json_schema") => {
            let js = obj.get("json_schema").and_then(Value::as_object).ok_or_else(|| bad(path, "missing json_schema object"))?;
            json_final(js.get("schema"), &format!("{path}.json_schema"))?
        }
        Some(other) => return Err(bad(path, format!("unknown type `{other}` (expected text, json_object or json_schema)"))),
        None => return Err(bad(path, "missing `type`")),
    })
}

/// A Responses request's `text.format` (`text`, `json_object`, or `json_schema` with the
/// schema beside the name).
fn responses_final_format(request: &Map<String, Value>) -> Result<Final> {
    let path = "request.text.format";
    let Some(format) = request.get("text").and_then(|t| t.get("format")).filter(|v| !v.is_null()) else { return Ok(Final::Text) };
    let obj = format.as_object().ok_or_else(|| bad(path, "expected an object"))?;
    match obj.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Final::Text),
        Some("json_object") => Ok(Final::Json(serde_json::json!({"type": "object"}))),
        Some("json_schema") => json_final(obj.get("schema"), path),
        Some(other) => Err(bad(path, format!("unknown type `{other}` (expected text, json_object or json_schema)"))),
        None => Err(bad(path, "missing `type`")),
    }
}

/// Which request dialect a plan is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Chat,
    Responses,
}

/// Reads the parts of a request that decide the completion's shape.
pub(crate) fn plan(request_json: &str, reasoning: Reasoning, dialect: Dialect) -> Result<Plan> {
    let what = match dialect {
        Dialect::Chat => "chat completions request",
        Dialect::Responses => "responses request",
    };
    let value: Value = serde_json::from_str(request_json).map_err(|e| Error::json(what, e))?;
    let request = value.as_object().ok_or_else(|| bad("request", "expected an object"))?;
    let mut tools = match dialect {
        Dialect::Chat => tools(request)?,
        Dialect::Responses => responses_tools(request)?,
    };
    // The call header names the identifier the bridges render for the declared name.
    let names = FunctionNames::from_request(&value);
    for t in &mut tools {
        t.ident = names.rendered(&t.name).to_string();
    }
    let parallel = match request.get("parallel_tool_calls") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("request.parallel_tool_calls", "expected a boolean")),
    };
    let path = "request.tool_choice";
    let final_allowed = match request.get("tool_choice") {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => match s.as_str() {
            "auto" => true,
            "none" => {
                tools.clear();
                true
            }
            "required" if tools.is_empty() => return Err(bad(path, "`required` but the request declares no tools")),
            "required" => false,
            other => return Err(bad(path, format!("`{other}` is not auto, none, required or a function"))),
        },
        Some(Value::Object(o)) => {
            // Chat: {"type":"function","function":{"name":…}}; Responses: {"type":"function","name":…}.
            let (name, name_path, shape) = match dialect {
                Dialect::Chat => (
                    o.get("function").and_then(|f| f.get("name")).and_then(Value::as_str),
                    format!("{path}.function.name"),
                    "{\"type\":\"function\",\"function\":{\"name\":...}}",
                ),
                Dialect::Responses => (
                    o.get("name").and_then(Value::as_str).filter(|_| o.get("type").and_then(Value::as_str) == Some("function")),
                    format!("{path}.name"),
                    "{\"type\":\"function\",\"name\":...}",
                ),
            };
            let name = name.ok_or_else(|| bad(path, format!("expected {shape}")))?;
            let tool = tools
                .iter()
                .find(|t| t.name == name)
                .cloned()
                .ok_or_else(|| bad(&name_path, format!("`{name}` is not one of the request's tools")))?;
            tools = vec![tool];
            false
        }
        Some(_) => return Err(bad(path, "expected a string or an object")),
    };
    let final_format = match dialect {
        Dialect::Chat => final_format(request)?,
        Dialect::Responses => responses_final_format(request)?,
    };
    Ok(Plan { tools, final_allowed, parallel, final_format, reasoning })
}

/// Rewrites OpenAPI's `nullable: true` (which the TypeScript renderer shows as `| null`, but
/// JSON Schema engines ignore) into standard JSON Schema: `null` joins `type` or `enum`, or
/// the schema becomes `anyOf: [schema, {"type":"null"}]`. Applied to every nested schema.
pub(crate) fn normalize(schema: &mut Value, depth: usize) {
    if depth > 128 {
        return;
    }
    let Value::Object(obj) = schema else { return };
    for key in ["properties", "$defs", "definitions", "patternProperties"] {
        if let Some(Value::Object(map)) = obj.get_mut(key) {
            map.values_mut().for_each(|s| normalize(s, depth + 1));
        }
    }
    for key in ["items", "additionalProperties", "not", "if", "then", "else", "contains"] {
        if let Some(s) = obj.get_mut(key) {
            normalize(s, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            list.iter_mut().for_each(|s| normalize(s, depth + 1));
        }
    }
    if obj.get("nullable") != Some(&Value::Bool(true)) {
        return;
    }
    obj.remove("nullable");
    let null = Value::String("null".into());
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
        return;
    }
    let alternatives = obj.contains_key("oneOf") || obj.contains_key("anyOf");
    match obj.get_mut("type") {
        Some(Value::String(t)) if !alternatives => {
            let t = std::mem::take(t);
            obj.insert("type".into(), Value::Array(vec![Value::String(t), null]));
        }
        Some(Value::Array(ts)) => {
            if !ts.contains(&null) {
                ts.push(null);
            }
        }
        _ => {
            let inner = Value::Object(std::mem::take(obj));
            obj.insert("anyOf".into(), Value::Array(vec![inner, serde_json::json!({"type": "null"})]));
        }
    }
}
