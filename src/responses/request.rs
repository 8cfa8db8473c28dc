//! Responses request → Harmony conversation.

use super::ResponsesOptions;
// The request helpers (`bad`, `opt_str`, `type_name`) and the shape of the system/developer
// messages are the Chat Completions bridge's; function names go through `routing`.
use crate::chat::{
    Content, Conversation, DeveloperContent, Message, ReasoningEffort, Role, SystemContent, ToolDescription,
    ToolNamespaceConfig,
};
use crate::chat_completions::request::{bad, opt_str, type_name};
use crate::error::{Error, Result};
use crate::routing::{function_recipient, FunctionNames};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The channel of built-in tool calls (gpt-oss calls the browser while reasoning).
pub(crate) const BROWSER_CALL_CHANNEL: &str = "analysis";
/// The content type of a browser call as gpt-oss writes it.
pub(crate) const BROWSER_CALL_CONTENT_TYPE: &str = "code";

/// The browser namespace of gpt-oss's system message, as openai-harmony 0.0.8's
/// `ToolNamespaceConfig.browser()` defines it (the text the model was trained on).
pub(crate) fn browser_namespace() -> ToolNamespaceConfig {
    serde_json::from_str(include_str!("browser.json")).expect("browser.json is a tool namespace")
}

fn effort(request: &Map<String, Value>) -> Result<ReasoningEffort> {
    let path = "request.reasoning";
    let value = match request.get("reasoning") {
        None | Some(Value::Null) => None,
        Some(Value::Object(r)) => opt_str(r, "effort", path)?,
        Some(v) => return Err(bad(path, format!("expected an object, found {}", type_name(v)))),
    };
    Ok(match value {
        None | Some("medium") => ReasoningEffort::Medium,
        Some("low") | Some("minimal") => ReasoningEffort::Low,
        Some("high") => ReasoningEffort::High,
        Some(other) => return Err(bad("request.reasoning.effort", format!("`{other}` is not minimal, low, medium or high"))),
    })
}

/// Function tools (each under the identifier the model sees, `names`) and whether a web
/// search (browser) tool is present.
fn tools(request: &Map<String, Value>, names: &FunctionNames) -> Result<(Vec<ToolDescription>, bool)> {
    let tools = match request.get("tools") {
        None | Some(Value::Null) => return Ok((Vec::new(), false)),
        Some(Value::Array(t)) => t,
        Some(v) => return Err(bad("request.tools", format!("expected an array, found {}", type_name(v)))),
    };
    let mut functions = Vec::new();
    let mut browser = false;
    for (i, tool) in tools.iter().enumerate() {
        let path = format!("request.tools[{i}]");
        let obj = tool.as_object().ok_or_else(|| bad(&path, format!("expected an object, found {}", type_name(tool))))?;
        match opt_str(obj, "type", &path)? {
            Some("function") => {
                let name = opt_str(obj, "name", &path)?.ok_or_else(|| bad(&path, "function tool has no `name`"))?;
                functions.push(ToolDescription {
                    name: names.rendered(name).to_string(),
                    description: opt_str(obj, "description", &path)?.unwrap_or_default().to_string(),
                    parameters: obj.get("parameters").filter(|p| !p.is_null()).cloned(),
                });
            }
            Some("web_search" | "web_search_preview" | "web_search_2025_08_26" | "web_search_preview_2025_03_11") => browser = true,
            Some(other) => {
                return Err(bad(&path, format!("unsupported tool type `{other}` (function and web_search tools are supported)")))
            }
            None => return Err(bad(&path, "tool has no `type`")),
        }
    }
    // `tool_choice: "none"`: the model is not told about function tools (as the Chat bridge).
    if request.get("tool_choice").and_then(Value::as_str) == Some("none") {
        functions.clear();
    }
    Ok((functions, browser))
}

/// `text.format` json_schema → the "# Response Formats" section of the developer instructions.
fn response_format(request: &Map<String, Value>) -> Result<Option<String>> {
    let Some(text) = request.get("text").filter(|v| !v.is_null()) else { return Ok(None) };
    let text = text.as_object().ok_or_else(|| bad("request.text", format!("expected an object, found {}", type_name(text))))?;
    let Some(format) = text.get("format").filter(|v| !v.is_null()) else { return Ok(None) };
    let path = "request.text.format";
    let f = format.as_object().ok_or_else(|| bad(path, format!("expected an object, found {}", type_name(format))))?;
    if opt_str(f, "type", path)? != Some("json_schema") {
        return Ok(None);
    }
    let name = opt_str(f, "name", path)?.unwrap_or("response");
    let schema = f.get("schema").ok_or_else(|| bad(path, "missing `schema`"))?;
    let mut s = format!("# Response Formats\n\n## {name}\n\n");
    if let Some(d) = opt_str(f, "description", path)? {
        s.push_str(&format!("// {d}\n"));
    }
    s.push_str(&serde_json::to_string(schema).expect("values serialise"));
    Ok(Some(s))
}

/// The text of a message item's `content`: a string, or text parts joined (`input_text`,
/// `output_text`, `text`, `summary_text`, `reasoning_text`, `refusal`); images, files and audio
/// are rejected with the item's path.
fn text_of(content: Option<&Value>, path: &str) -> Result<String> {
    match content {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let mut out = String::new();
            for (j, part) in parts.iter().enumerate() {
                let p = format!("{path}.content[{j}]");
                let obj = part.as_object().ok_or_else(|| bad(&p, format!("expected an object, found {}", type_name(part))))?;
                match opt_str(obj, "type", &p)? {
                    Some("input_text" | "output_text" | "text" | "summary_text" | "reasoning_text") => {
                        out.push_str(opt_str(obj, "text", &p)?.unwrap_or_default())
                    }
                    Some("refusal") => out.push_str(opt_str(obj, "refusal", &p)?.unwrap_or_default()),
                    Some(other) => {
                        return Err(bad(&p, format!("unsupported content part type `{other}` (gpt-oss takes text only)")))
                    }
                    None => return Err(bad(&p, "content part has no `type`")),
                }
            }
            Ok(out)
        }
        Some(v) => Err(bad(&format!("{path}.content"), format!("expected a string or a list of parts, found {}", type_name(v)))),
    }
}

/// A `web_search_call` action → (browser function, arguments JSON).
fn browser_call(item: &Map<String, Value>, path: &str) -> Result<(&'static str, String)> {
    let apath = format!("{path}.action");
    let action = match item.get("action") {
        Some(Value::Object(a)) => a,
        None | Some(Value::Null) => return Ok(("search", "{}".into())),
        Some(v) => return Err(bad(&apath, format!("expected an object, found {}", type_name(v)))),
    };
    let mut args = Map::new();
    let name = match opt_str(action, "type", &apath)? {
        Some("search") => {
            let query = match opt_str(action, "query", &apath)? {
                Some(q) => Some(q.to_string()),
                None => action.get("queries").and_then(Value::as_array).and_then(|q| q.first()).and_then(Value::as_str).map(str::to_string),
            };
            if let Some(q) = query {
                args.insert("query".into(), Value::String(q));
            }
            "search"
        }
        Some("open_page") => {
            if let Some(url) = opt_str(action, "url", &apath)? {
                args.insert("id".into(), Value::String(url.to_string()));
            }
            "open"
        }
        Some("find_in_page" | "find") => {
            let pattern = opt_str(action, "pattern", &apath)?.unwrap_or_default();
            args.insert("pattern".into(), Value::String(pattern.to_string()));
            "find"
        }
        Some(other) => return Err(bad(&format!("{apath}.type"), format!("unknown web search action `{other}`"))),
        None => return Err(bad(&apath, "action has no `type`")),
    };
    Ok((name, Value::Object(args).to_string()))
}

/// Maps a Responses request to the Harmony conversation gpt-oss expects.
pub fn request_to_conversation(request_json: &str, options: &ResponsesOptions) -> Result<Conversation> {
    // The shape helpers are the Chat bridge's; their errors name this request.
    conversation(request_json, options).map_err(|e| match e {
        Error::InvalidJson { what: "chat completions request", detail } => Error::InvalidJson { what: "responses request", detail },
        e => e,
    })
}

fn conversation(request_json: &str, options: &ResponsesOptions) -> Result<Conversation> {
    let value: Value = serde_json::from_str(request_json).map_err(|e| Error::json("responses request", e))?;
    let request = value.as_object().ok_or_else(|| bad("request", format!("expected an object, found {}", type_name(&value))))?;

    // Declared function names → the identifiers the model sees, wherever a name is rendered.
    let names = FunctionNames::from_request(&value);
    let mut instructions: Vec<String> = Vec::new();
    if let Some(i) = opt_str(request, "instructions", "request")?.filter(|i| !i.is_empty()) {
        instructions.push(i.to_string());
    }
    let items: Vec<Value> = match request.get("input") {
        None | Some(Value::Null) => return Err(bad("request", "missing `input`")),
        Some(Value::String(s)) => vec![serde_json::json!({"type": "message", "role": "user", "content": s})],
        Some(Value::Array(items)) => items.clone(),
        Some(v) => return Err(bad("request.input", format!("expected a string or a list of items, found {}", type_name(v)))),
    };

    let mut body: Vec<Message> = Vec::new();
    // (call_id, function name) of every function call so far.
    let mut calls: Vec<(String, String)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("request.input[{i}]");
        let obj = item.as_object().ok_or_else(|| bad(&path, format!("expected an object, found {}", type_name(item))))?;
        // An item with a role and no type is a message ("easy input message").
        let kind = match opt_str(obj, "type", &path)? {
            Some(t) => t,
            None if obj.contains_key("role") => "message",
            None => return Err(bad(&path, "item has no `type`")),
        };
        match kind {
            "message" => {
                let role = opt_str(obj, "role", &path)?.ok_or_else(|| bad(&path, "message has no `role`"))?;
                let text = text_of(obj.get("content"), &path)?;
                match role {
                    "system" | "developer" => {
                        if !text.is_empty() {
                            instructions.push(text);
                        }
                    }
                    "user" => body.push(Message::new(Role::User, text)),
                    "assistant" => {
                        // A commentary preamble is its own message with phase "commentary"
                        // (the output side's `Route::Preamble`); everything else the assistant
                        // says is the final answer.
                        let channel = if opt_str(obj, "phase", &path)? == Some("commentary") { "commentary" } else { "final" };
                        body.push(Message::new(Role::Assistant, text).with_channel(channel));
                    }
                    other => {
                        return Err(bad(&format!("{path}.role"), format!("unknown role `{other}` (expected system, developer, user or assistant)")))
                    }
                }
            }
            "reasoning" => {
                let mut text = text_of(obj.get("content"), &path)?;
                if text.is_empty() {
                    // No raw reasoning: the summary is the best record of it.
                    let summary = obj.get("summary").filter(|s| !s.is_null());
                    text = text_of(summary, &format!("{path}.summary"))?;
                }
                body.push(Message::new(Role::Assistant, text).with_channel("analysis"));
            }
            "function_call" => {
                let name = opt_str(obj, "name", &path)?.ok_or_else(|| bad(&path, "function_call has no `name`"))?;
                let call_id = opt_str(obj, "call_id", &path)?.ok_or_else(|| bad(&path, "function_call has no `call_id`"))?;
                // Arguments are kept verbatim, even when they are not JSON: they are what the
                // model wrote, and re-rendering them must give its own tokens back.
                let args = opt_str(obj, "arguments", &path)?.unwrap_or("{}");
                calls.push((call_id.to_string(), name.to_string()));
                body.push(
                    Message::new(Role::Assistant, args)
                        .with_channel("commentary")
                        .with_recipient(function_recipient(names.rendered(name)))
                        .with_content_type("<|constrain|>json"),
                );
            }
            "function_call_output" => {
                let id = opt_str(obj, "call_id", &path)?.ok_or_else(|| bad(&path, "function_call_output has no `call_id`"))?;
                let name = calls
                    .iter()
                    .rev()
                    .find(|(cid, _)| cid == id)
                    .map(|(_, n)| n.clone())
                    .ok_or_else(|| bad(&path, format!("function_call_output refers to unknown call_id `{id}`")))?;
                let output = match obj.get("output") {
                    Some(Value::String(s)) => s.clone(),
                    Some(v @ Value::Array(_)) => text_of(Some(v), &format!("{path}.output"))?,
                    None | Some(Value::Null) => String::new(),
                    Some(v) => return Err(bad(&format!("{path}.output"), format!("expected a string or a list of parts, found {}", type_name(v)))),
                };
                body.push(
                    Message::new(Role::Tool, output)
                        .with_name(function_recipient(names.rendered(&name)))
                        .with_recipient("assistant")
                        .with_channel("commentary"),
                );
            }
            "web_search_call" => {
                let (name, args) = browser_call(obj, &path)?;
                body.push(
                    Message::new(Role::Assistant, args)
                        .with_channel(BROWSER_CALL_CHANNEL)
                        .with_recipient(format!("browser.{name}"))
                        .with_content_type(BROWSER_CALL_CONTENT_TYPE),
                );
            }
            other => {
                return Err(bad(
                    &format!("{path}.type"),
                    format!("unsupported item type `{other}` (expected message, reasoning, function_call, function_call_output or web_search_call)"),
                ))
            }
        }
    }

    // The format guide: the chain of thought of every turn that ended with a final answer is
    // dropped; reasoning after the last final answer (between tool calls) is kept.
    // The Chat bridge makes the same decision (`drop_answered_analysis`); here the browser's
    // calls on the analysis channel, which Chat requests cannot hold, are kept.
    if let Some(last_final) = body.iter().rposition(|m| m.author.role == Role::Assistant && m.channel.as_deref() == Some("final")) {
        let mut index = 0;
        body.retain(|m| {
            // Built-in tool calls on the analysis channel (the browser's) stay: they are
            // actions, not thoughts.
            let thought = m.author.role == Role::Assistant && m.channel.as_deref() == Some("analysis") && m.recipient.is_none();
            let keep = index > last_final || !thought;
            index += 1;
            keep
        });
    }

    let date = options
        .conversation_start_date
        .clone()
        .or(opt_str(request, "conversation_start_date", "request")?.map(str::to_string));
    let (functions, browser) = tools(request, &names)?;
    let mut system = SystemContent { reasoning_effort: Some(effort(request)?), conversation_start_date: date, ..SystemContent::default() };
    if browser {
        system.tools = Some(BTreeMap::from([("browser".to_string(), browser_namespace())]));
    }
    let mut out = vec![Message { content: vec![Content::SystemContent(system)], ..Message::new(Role::System, "") }];

    if let Some(rf) = response_format(request)? {
        instructions.push(rf);
    }
    if !instructions.is_empty() || !functions.is_empty() {
        let mut dev = DeveloperContent { instructions: (!instructions.is_empty()).then(|| instructions.join("\n\n")), tools: None };
        if !functions.is_empty() {
            let ns = ToolNamespaceConfig { name: "functions".into(), description: None, tools: functions };
            dev.tools = Some(BTreeMap::from([("functions".to_string(), ns)]));
        }
        out.push(Message { content: vec![Content::DeveloperContent(dev)], ..Message::new(Role::Developer, "") });
    }
    out.extend(body);
    Ok(Conversation { messages: out })
}
