//! Chat Completions request → Harmony conversation.

use super::ChatOptions;
use crate::chat::{
    ChannelConfig, Content, Conversation, DeveloperContent, Message, ReasoningEffort, Role, SystemContent,
    ToolDescription, ToolNamespaceConfig,
};
use crate::error::{Error, Result};
use crate::routing::{function_recipient, FunctionNames};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A request that does not have the Chat Completions shape: `INVALID_JSON`, with the path.
pub(crate) fn bad(path: &str, reason: impl std::fmt::Display) -> Error {
    Error::InvalidJson { what: "chat completions request", detail: format!("{path}: {reason}") }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(bad(&format!("{path}.{key}"), format!("expected a string, found {}", type_name(v)))),
    }
}

/// Text of a `content` field: a string, or a list of `{"type":"text","text":...}` parts
/// (other part types are rejected). `None` for a missing or null content.
fn text_parts(content: Option<&Value>, path: &str) -> Result<Option<Vec<String>>> {
    match content {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, part)| {
                let p = format!("{path}.content[{j}]");
                let obj = part.as_object().ok_or_else(|| bad(&p, format!("expected an object, found {}", type_name(part))))?;
                match obj.get("type").and_then(Value::as_str) {
                    Some("text") => Ok(opt_str(obj, "text", &p)?.unwrap_or_default().to_string()),
                    Some(other) => Err(bad(&p, format!("unsupported content part type `{other}` (only text is supported)"))),
                    None => Err(bad(&p, "content part has no `type`")),
                }
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(v) => Err(bad(&format!("{path}.content"), format!("expected a string or a list of parts, found {}", type_name(v)))),
    }
}

fn joined(parts: Option<Vec<String>>) -> Option<String> {
    parts.map(|p| p.concat())
}

fn effort(request: &Map<String, Value>) -> Result<ReasoningEffort> {
    Ok(match opt_str(request, "reasoning_effort", "request")? {
        None | Some("medium") => ReasoningEffort::Medium,
        Some("low") | Some("minimal") => ReasoningEffort::Low,
        Some("high") => ReasoningEffort::High,
        Some(other) => return Err(bad("request.reasoning_effort", format!("`{other}` is not low, medium or high"))),
    })
}

/// The request's function tools, each under the identifier the model sees (`names`).
fn function_tools(request: &Map<String, Value>, names: &FunctionNames) -> Result<Vec<ToolDescription>> {
    if request.get("tool_choice").and_then(Value::as_str) == Some("none") {
        return Ok(Vec::new());
    }
    let tools = match request.get("tools") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(t)) => t,
        Some(v) => return Err(bad("request.tools", format!("expected an array, found {}", type_name(v)))),
    };
    let mut out = Vec::new();
    for (i, tool) in tools.iter().enumerate() {
        let path = format!("tools[{i}]");
        let obj = tool.as_object().ok_or_else(|| bad(&path, "expected an object"))?;
        match obj.get("type").and_then(Value::as_str) {
            Some("function") => {}
            Some(other) => return Err(bad(&path, format!("unsupported tool type `{other}` (only function tools)"))),
            None => return Err(bad(&path, "tool has no `type`")),
        }
        let fpath = format!("{path}.function");
        let f = obj.get("function").and_then(Value::as_object).ok_or_else(|| bad(&fpath, "missing function object"))?;
        let name = opt_str(f, "name", &fpath)?.ok_or_else(|| bad(&fpath, "function has no `name`"))?;
        out.push(ToolDescription {
            name: names.rendered(name).to_string(),
            description: opt_str(f, "description", &fpath)?.unwrap_or_default().to_string(),
            parameters: f.get("parameters").filter(|p| !p.is_null()).cloned(),
        });
    }
    Ok(out)
}

/// `response_format` with a JSON schema becomes a "# Response Formats" section of the
/// developer instructions, as the gpt-oss structured-output guide shows.
fn response_format(request: &Map<String, Value>) -> Result<Option<String>> {
    let Some(rf) = request.get("response_format").filter(|v| !v.is_null()) else { return Ok(None) };
    let obj = rf.as_object().ok_or_else(|| bad("request.response_format", "expected an object"))?;
    if obj.get("type").and_then(Value::as_str) != Some("json_schema") {
        return Ok(None);
    }
    let path = "request.response_format.json_schema";
    let js = obj.get("json_schema").and_then(Value::as_object).ok_or_else(|| bad(path, "missing json_schema object"))?;
    let name = opt_str(js, "name", path)?.unwrap_or("response");
    let schema = js.get("schema").ok_or_else(|| bad(path, "missing `schema`"))?;
    let mut s = format!("# Response Formats\n\n## {name}\n\n");
    if let Some(d) = opt_str(js, "description", path)? {
        s.push_str(&format!("// {d}\n"));
    }
    s.push_str(&serde_json::to_string(schema).expect("values serialise"));
    Ok(Some(s))
}

/// The request's last message when it is an assistant message with `"prefix": true` (the
/// prefill convention of the DeepSeek and Mistral APIs): the completion continues it. `prefix`
/// on any other message, or not a boolean, is an error.
pub(crate) fn continued_message(request: &Value) -> Result<Option<&Map<String, Value>>> {
    let Some(messages) = request.get("messages").and_then(Value::as_array) else { return Ok(None) };
    for (i, m) in messages.iter().enumerate() {
        let Some(obj) = m.as_object() else { continue };
        match obj.get("prefix") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) if i + 1 == messages.len() && obj.get("role").and_then(Value::as_str) == Some("assistant") => {
                return Ok(Some(obj));
            }
            Some(Value::Bool(true)) => {
                return Err(bad(&format!("messages[{i}].prefix"), "only the last message, an assistant message, can be a prefix"))
            }
            Some(v) => return Err(bad(&format!("messages[{i}].prefix"), format!("expected a boolean, found {}", type_name(v)))),
        }
    }
    Ok(None)
}

/// The header of the message a prefix assistant message leaves open: its last tool call, else
/// its content (the final answer), else its reasoning (the analysis) — the last message
/// [`assistant_messages`] makes of it.
pub(crate) fn continuation_of(m: &Map<String, Value>, names: &FunctionNames) -> super::Continuation {
    let call = m.get("tool_calls").and_then(Value::as_array).and_then(|c| c.last());
    if let Some(name) = call.and_then(|c| c.get("function")).and_then(|f| f.get("name")).and_then(Value::as_str) {
        return super::Continuation {
            channel: Some("commentary".into()),
            // As rendered (a declared name that is no identifier is rendered as one).
            recipient: Some(crate::routing::function_recipient(names.rendered(name))),
            content_type: Some("<|constrain|>json".into()),
        };
    }
    let has_content = match m.get("content") {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(parts)) => !parts.is_empty(),
        _ => false,
    };
    super::Continuation { channel: Some(if has_content { "final" } else { "analysis" }.into()), ..Default::default() }
}

/// Maps a Chat Completions request to the Harmony conversation gpt-oss expects.
pub fn request_to_conversation(request_json: &str, options: &ChatOptions) -> Result<Conversation> {
    let value: Value = serde_json::from_str(request_json).map_err(|e| Error::json("chat completions request", e))?;
    let request = value.as_object().ok_or_else(|| bad("request", format!("expected an object, found {}", type_name(&value))))?;
    // Declared function names → the identifiers the model sees, wherever a name is rendered.
    let names = FunctionNames::from_request(&value);
    let messages = match request.get("messages") {
        Some(Value::Array(m)) => m,
        Some(v) => return Err(bad("request.messages", format!("expected an array, found {}", type_name(v)))),
        None => return Err(bad("request", "missing `messages`")),
    };

    let date = options
        .conversation_start_date
        .clone()
        .or(opt_str(request, "conversation_start_date", "request")?.map(str::to_string));
    let system = SystemContent {
        reasoning_effort: Some(effort(request)?),
        conversation_start_date: date,
        channel_config: Some(ChannelConfig {
            valid_channels: vec!["analysis".into(), "commentary".into(), "final".into()],
            channel_required: true,
        }),
        ..SystemContent::default()
    };
    let mut out = vec![Message { content: vec![Content::SystemContent(system)], ..Message::new(Role::System, "") }];

    let mut instructions: Vec<String> = Vec::new();
    let mut body: Vec<Message> = Vec::new();
    // (tool_call_id, function name) of every assistant tool call so far.
    let mut calls: Vec<(String, String)> = Vec::new();
    let prefix = continued_message(&value)?.is_some();
    // Where the open turn's messages start (its analysis is not an earlier turn's).
    let mut open_turn = usize::MAX;
    for (i, m) in messages.iter().enumerate() {
        if prefix && i + 1 == messages.len() {
            open_turn = body.len();
        }
        let path = format!("messages[{i}]");
        let obj = m.as_object().ok_or_else(|| bad(&path, format!("expected an object, found {}", type_name(m))))?;
        let role = opt_str(obj, "role", &path)?.ok_or_else(|| bad(&path, "missing `role`"))?;
        match role {
            "system" | "developer" => {
                // An empty instruction renders nothing (not an empty "# Instructions").
                if let Some(t) = joined(text_parts(obj.get("content"), &path)?).filter(|t| !t.is_empty()) {
                    instructions.push(t);
                }
            }
            "user" => {
                // Text parts are joined before encoding, as one text.
                let text = joined(text_parts(obj.get("content"), &path)?).unwrap_or_default();
                let mut msg = Message::new(Role::User, text);
                if let Some(name) = opt_str(obj, "name", &path)? {
                    msg.author.name = Some(name.to_string());
                }
                body.push(msg);
            }
            "assistant" => assistant_messages(obj, &path, &mut body, &mut calls, &names)?,
            "tool" => {
                let name = match opt_str(obj, "tool_call_id", &path)? {
                    Some(id) => calls
                        .iter()
                        .rev()
                        .find(|(cid, _)| cid == id)
                        .map(|(_, n)| n.clone())
                        .ok_or_else(|| bad(&path, format!("tool message refers to unknown tool_call_id `{id}`")))?,
                    None => opt_str(obj, "name", &path)?
                        .map(str::to_string)
                        .ok_or_else(|| bad(&path, "tool message needs a `tool_call_id`"))?,
                };
                let text = joined(text_parts(obj.get("content"), &path)?).unwrap_or_default();
                body.push(
                    Message::new(Role::Tool, text)
                        .with_name(function_recipient(names.rendered(&name)))
                        .with_recipient("assistant")
                        .with_channel("commentary"),
                );
            }
            other => return Err(bad(&format!("{path}.role"), format!("unknown role `{other}` (expected system, developer, user, assistant or tool)"))),
        }
    }

    let tools = function_tools(request, &names)?;
    let formats = response_format(request)?;
    let mut developer = Vec::new();
    if !instructions.is_empty() || !tools.is_empty() {
        let mut dev = DeveloperContent { instructions: (!instructions.is_empty()).then(|| instructions.join("\n\n")), tools: None };
        if !tools.is_empty() {
            let ns = ToolNamespaceConfig { name: "functions".into(), description: None, tools };
            dev.tools = Some(BTreeMap::from([("functions".to_string(), ns)]));
        }
        developer.push(Content::DeveloperContent(dev));
    }
    if let Some(f) = formats {
        // The format guide puts the response formats at the end of the developer message,
        // after the instructions and the tools.
        let sep = if developer.is_empty() { "" } else { "\n\n" };
        developer.push(Content::from(format!("{sep}{f}")));
    }
    if !developer.is_empty() {
        out.push(Message { content: developer, ..Message::new(Role::Developer, "") });
    }
    let open = if open_turn <= body.len() { body.split_off(open_turn) } else { Vec::new() };
    if prefix && open.is_empty() {
        return Err(bad(&format!("messages[{}]", messages.len() - 1), "a prefix assistant message needs content, reasoning or a tool call"));
    }
    out.extend(drop_answered_analysis(body));
    out.extend(open);
    Ok(Conversation { messages: out })
}

/// Drops every analysis message followed by a later final answer: the format guide drops
/// the chain of thought of each earlier turn that ended in a message to `final` (0.0.8's
/// renderer drops it only before the first final answer; its raw API keeps that quirk).
fn drop_answered_analysis(body: Vec<Message>) -> Vec<Message> {
    let last_final = body.iter().rposition(|m| m.author.role == Role::Assistant && m.channel.as_deref() == Some("final"));
    let Some(last_final) = last_final else { return body };
    body.into_iter()
        .enumerate()
        .filter(|(i, m)| !(*i < last_final && m.channel.as_deref() == Some("analysis")))
        .map(|(_, m)| m)
        .collect()
}

/// An assistant turn: reasoning → analysis; tool calls → commentary calls (with any content
/// before them as a commentary preamble); otherwise content → final. Calls of declared
/// functions render under their identifiers (`names`).
fn assistant_messages(
    obj: &Map<String, Value>,
    path: &str,
    body: &mut Vec<Message>,
    calls: &mut Vec<(String, String)>,
    names: &FunctionNames,
) -> Result<()> {
    let reasoning = match opt_str(obj, "reasoning_content", path)? {
        Some(r) => Some(r),
        None => opt_str(obj, "reasoning", path)?,
    };
    if let Some(r) = reasoning.filter(|r| !r.is_empty()) {
        body.push(Message::new(Role::Assistant, r).with_channel("analysis"));
    }
    let content = joined(text_parts(obj.get("content"), path)?).filter(|c| !c.is_empty());
    let tool_calls = match obj.get("tool_calls") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(t)) => t.as_slice(),
        Some(v) => return Err(bad(&format!("{path}.tool_calls"), format!("expected an array, found {}", type_name(v)))),
    };
    if tool_calls.is_empty() {
        if let Some(c) = content {
            body.push(Message::new(Role::Assistant, c).with_channel("final"));
        }
        return Ok(());
    }
    if let Some(c) = content {
        body.push(Message::new(Role::Assistant, c).with_channel("commentary"));
    }
    for (k, call) in tool_calls.iter().enumerate() {
        let cpath = format!("{path}.tool_calls[{k}]");
        let c = call.as_object().ok_or_else(|| bad(&cpath, "expected an object"))?;
        let fpath = format!("{cpath}.function");
        let f = c.get("function").and_then(Value::as_object).ok_or_else(|| bad(&fpath, "missing function object"))?;
        let name = opt_str(f, "name", &fpath)?.ok_or_else(|| bad(&fpath, "function has no `name`"))?;
        let args = match f.get("arguments") {
            None | Some(Value::Null) => "{}".to_string(),
            // Passed through as the model wrote them, JSON or not: a response the bridge
            // produced (with the model's malformed arguments) must render again.
            Some(Value::String(s)) => s.clone(),
            Some(v) if v.is_object() => serde_json::to_string(v).expect("values serialise"),
            Some(v) => return Err(bad(&format!("{fpath}.arguments"), format!("expected a JSON string, found {}", type_name(v)))),
        };
        if let Some(id) = opt_str(c, "id", &cpath)? {
            calls.push((id.to_string(), name.to_string()));
        }
        body.push(
            Message::new(Role::Assistant, args)
                .with_channel("commentary")
                .with_recipient(function_recipient(names.rendered(name)))
                .with_content_type("<|constrain|>json"),
        );
    }
    Ok(())
}
