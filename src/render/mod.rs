//! Conversation → tokens.
//!
//! Rendering follows openai-harmony 0.0.8 exactly: each header part is encoded separately (so
//! token boundaries match), system and developer content are formatted as one text, and
//! user-supplied strings are always ordinary text — they can never produce control tokens.

mod typescript;

use crate::chat::{Content, Conversation, DeveloperContent, Message, Role, SystemContent, ToolNamespaceConfig};
use crate::error::{Error, Result};
use crate::tokenizer::{encode_ordinary_into, Encoder, SpecialToken};
use std::collections::BTreeMap;

/// Options for rendering a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Drop `analysis` messages that precede the first `final` message when the last
    /// assistant message is `final` — what gpt-oss expects between turns. Default: true.
    pub auto_drop_analysis: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { auto_drop_analysis: true }
    }
}

/// Appends `conversation`'s tokens (no trailing header) to `out`.
pub fn render_conversation_into(conv: &Conversation, opts: &RenderOptions, out: &mut Vec<u32>) -> Result<()> {
    let msgs = &conv.messages;
    let has_function_tools = msgs.iter().any(declares_function_tools);
    let last_assistant_is_final = msgs
        .iter()
        .rev()
        .find(|m| m.author.role == Role::Assistant)
        .is_some_and(|m| m.channel.as_deref() == Some("final"));
    let drop_before = if opts.auto_drop_analysis && last_assistant_is_final {
        msgs.iter().position(|m| m.channel.as_deref() == Some("final"))
    } else {
        None
    };
    // One encoder for the whole conversation: a piece merged in one message is copied in the
    // others (a conversation's text is mostly in its messages' text parts).
    let text: usize = msgs.iter().map(text_len).sum();
    let mut enc = Encoder::for_len(text);
    // Room for the tokens, once (text is about four bytes a token in every real-text class,
    // headers a few tokens a message), instead of the output doubling as it grows.
    out.reserve(text / 3 + 16 * msgs.len());
    for (index, msg) in msgs.iter().enumerate() {
        let dropped = drop_before.is_some_and(|first| index < first) && msg.channel.as_deref() == Some("analysis");
        if !dropped {
            render_message_into(msg, has_function_tools, &mut enc, out).map_err(|reason| Error::Render { index, reason })?;
        }
    }
    Ok(())
}

/// Renders `conversation` without a trailing header.
pub fn render_conversation(conv: &Conversation, opts: &RenderOptions) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    render_conversation_into(conv, opts, &mut out)?;
    Ok(out)
}

/// Renders `conversation` followed by `<|start|>` and `next_role`, ready for sampling.
pub fn render_for_completion(conv: &Conversation, next_role: Role, opts: &RenderOptions) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    render_for_completion_into(conv, next_role, opts, &mut out)?;
    Ok(out)
}

/// Appends what [`render_for_completion`] returns to `out`.
pub fn render_for_completion_into(
    conv: &Conversation,
    next_role: Role,
    opts: &RenderOptions,
    out: &mut Vec<u32>,
) -> Result<()> {
    render_conversation_into(conv, opts, out)?;
    out.push(SpecialToken::Start.id());
    encode_ordinary_into(next_role.as_str(), out);
    Ok(())
}

/// Renders `conversation` with its last message left open, for prefill / continuation
/// (transformers' `continue_final_message`): like [`render_conversation`] without the last
/// message's stop token, so the model's next token continues that message — a final answer,
/// an analysis or a tool call's arguments — instead of starting a new one. The last message
/// must be the assistant's; parse the continuation with
/// [`StreamParser::continuing`](crate::StreamParser::continuing) and the last message's header.
pub fn render_for_continuation(conv: &Conversation, opts: &RenderOptions) -> Result<Vec<u32>> {
    let Some(last) = conv.messages.last() else {
        return Err(Error::InvalidArgument("continuation: the conversation has no message to continue".into()));
    };
    if last.author.role != Role::Assistant {
        return Err(Error::InvalidArgument(format!(
            "continuation: the last message is the {}'s, not the assistant's",
            last.author.role.as_str()
        )));
    }
    let mut out = render_conversation(conv, opts)?;
    // A rendered message ends with its stop token (`<|end|>`, or `<|call|>` for a tool call).
    if out.last().is_some_and(|t| crate::tokenizer::STOP_TOKENS.contains(t)) {
        out.pop();
    }
    Ok(out)
}

/// How many tokens two renderings share from the start: how much of an engine's KV cache for
/// `cached` stays valid for the new prompt `next` (the rest is prefilled again).
pub fn common_prefix_len(cached: &[u32], next: &[u32]) -> usize {
    cached.iter().zip(next).take_while(|(a, b)| a == b).count()
}

/// Renders `conversation` for training: like [`render_conversation`], but a final assistant
/// message at the end closes with `<|return|>` instead of `<|end|>`.
pub fn render_for_training(conv: &Conversation, opts: &RenderOptions) -> Result<Vec<u32>> {
    let mut out = render_conversation(conv, opts)?;
    if let Some(last) = conv.messages.last() {
        if last.author.role == Role::Assistant && last.channel.as_deref() == Some("final") {
            if let Some(t) = out.last_mut() {
                *t = SpecialToken::Return.id();
            }
        }
    }
    Ok(out)
}

/// Renders one message. `has_function_tools` adds the line that routes `functions` calls to
/// the commentary channel in a system message's channel section.
pub fn render_message(msg: &Message, has_function_tools: bool) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    let mut enc = Encoder::for_len(text_len(msg));
    render_message_into(msg, has_function_tools, &mut enc, &mut out).map_err(|reason| Error::Render { index: 0, reason })?;
    Ok(out)
}

/// The bytes of a message's text parts.
fn text_len(msg: &Message) -> usize {
    msg.content.iter().map(|c| if let Content::Text(t) = c { t.text.len() } else { 0 }).sum()
}

fn declares_function_tools(msg: &Message) -> bool {
    msg.content.iter().any(|c| match c {
        Content::DeveloperContent(d) => d
            .tools
            .as_ref()
            .and_then(|t| t.get("functions"))
            .is_some_and(|ns| !ns.tools.is_empty()),
        _ => false,
    })
}

fn render_message_into<'a>(
    msg: &'a Message,
    has_function_tools: bool,
    enc: &mut Encoder<'a>,
    out: &mut Vec<u32>,
) -> Result<(), String> {
    if let Some(tokens) = &msg.tokens {
        // The exact tokens the message was parsed from (`ParseOptions::keep_tokens`).
        if let Some((i, t)) = tokens.iter().enumerate().find(|(_, &t)| t >= crate::tokenizer::VOCAB_SIZE) {
            return Err(format!("tokens[{i}] ({t}) is not in the vocabulary"));
        }
        if tokens.first() != Some(&SpecialToken::Start.id()) {
            return Err("the message's tokens do not begin with <|start|>".into());
        }
        out.extend_from_slice(tokens);
        return Ok(());
    }
    out.push(SpecialToken::Start.id());
    let role = msg.author.role;
    if role == Role::Tool {
        let name = msg.author.name.as_deref().ok_or("a tool message needs an author name (e.g. \"functions.get_weather\")")?;
        encode_ordinary_into(name, out);
    } else {
        encode_ordinary_into(role.as_str(), out);
        if let Some(name) = &msg.author.name {
            encode_ordinary_into(&format!(":{name}"), out);
        }
    }
    if let Some(recipient) = msg.recipient.as_deref().filter(|r| *r != "all") {
        encode_ordinary_into(&format!(" to={recipient}"), out);
    }
    if let Some(channel) = &msg.channel {
        out.push(SpecialToken::Channel.id());
        encode_ordinary_into(channel, out);
    }
    if let Some(ct) = &msg.content_type {
        match ct.strip_prefix(SpecialToken::Constrain.as_str()) {
            Some(rest) => {
                encode_ordinary_into(" ", out);
                out.push(SpecialToken::Constrain.id());
                if !rest.is_empty() {
                    encode_ordinary_into(rest, out);
                }
            }
            None => encode_ordinary_into(&format!(" {ct}"), out),
        }
    }
    out.push(SpecialToken::Message.id());
    for (i, part) in msg.content.iter().enumerate() {
        match part {
            // The conversation's own text, through the encoder of the whole conversation.
            Content::Text(t) => enc.encode_ordinary_into(&t.text, out),
            Content::SystemContent(s) => {
                if role != Role::System {
                    return Err(format!("content[{i}]: system_content may only appear in a system message, found in a {role} message"));
                }
                encode_ordinary_into(&system_text(s, has_function_tools).map_err(|e| format!("content[{i}]: {e}"))?, out);
            }
            Content::DeveloperContent(d) => {
                if role != Role::Developer {
                    return Err(format!("content[{i}]: developer_content may only appear in a developer message, found in a {role} message"));
                }
                encode_ordinary_into(&developer_text(d).map_err(|e| format!("content[{i}]: {e}"))?, out);
            }
        }
    }
    let end = if role == Role::Assistant && msg.recipient.is_some() { SpecialToken::Call } else { SpecialToken::End };
    out.push(end.id());
    Ok(())
}

/// The text of a system message's content.
pub(crate) fn system_text(sys: &SystemContent, has_function_tools: bool) -> Result<String> {
    let mut sections = Vec::new();
    let mut top = Vec::new();
    if let Some(id) = &sys.model_identity {
        top.push(id.clone());
    }
    if let Some(cutoff) = &sys.knowledge_cutoff {
        top.push(format!("Knowledge cutoff: {cutoff}"));
    }
    if let Some(date) = &sys.conversation_start_date {
        top.push(format!("Current date: {date}"));
    }
    if !top.is_empty() {
        sections.push(top.join("\n"));
    }
    if let Some(effort) = sys.reasoning_effort {
        sections.push(format!("Reasoning: {}", effort.as_lower_str()));
    }
    if let Some(tools) = sys.tools.as_ref().filter(|t| !t.is_empty()) {
        sections.push(tools_section(tools)?);
    }
    if let Some(cc) = sys.channel_config.as_ref().filter(|c| !c.valid_channels.is_empty()) {
        let mut s = format!("# Valid channels: {}.", cc.valid_channels.join(", "));
        if cc.channel_required {
            s.push_str(" Channel must be included for every message.");
        }
        if has_function_tools {
            s.push_str("\nCalls to these tools must go to the commentary channel: 'functions'.");
        }
        sections.push(s);
    }
    Ok(sections.join("\n\n"))
}

/// The text of a developer message's content.
pub(crate) fn developer_text(dev: &DeveloperContent) -> Result<String> {
    let mut sections = Vec::new();
    if let Some(instructions) = &dev.instructions {
        sections.push("# Instructions".to_string());
        sections.push(instructions.clone());
    }
    if let Some(tools) = dev.tools.as_ref().filter(|t| !t.is_empty()) {
        sections.push(tools_section(tools)?);
    }
    Ok(sections.join("\n\n"))
}

fn tools_section(namespaces: &BTreeMap<String, ToolNamespaceConfig>) -> Result<String> {
    let mut sections = vec!["# Tools".to_string()];
    for ns in namespaces.values() {
        let mut lines = vec![format!("## {}\n", ns.name)];
        let has_tools = !ns.tools.is_empty();
        if let Some(desc) = &ns.description {
            for line in desc.lines() {
                lines.push(if has_tools { format!("// {line}") } else { line.to_string() });
            }
        }
        if has_tools {
            lines.push(format!("namespace {} {{\n", ns.name));
            for tool in &ns.tools {
                for line in tool.description.lines() {
                    lines.push(format!("// {line}"));
                }
                lines.push(match &tool.parameters {
                    Some(p) => format!("type {} = (_: {}) => any;\n", tool.name, typescript::to_typescript(p, "", 0)?),
                    None => format!("type {} = () => any;\n", tool.name),
                });
            }
            lines.push(format!("}} // namespace {}", ns.name));
        }
        sections.push(lines.join("\n"));
    }
    Ok(sections.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::tests::{merges_of, repeated_rare_words};

    #[test]
    fn a_conversation_merges_each_distinct_piece_once() {
        // Three messages of the same 100 multi-token words, each too short for a cache of its
        // own: one encoder for the conversation merges each word once, and the tokens are
        // those of the messages rendered one by one.
        let text = repeated_rare_words(100, 2000);
        let msg = |role: &str, extra: &str| {
            Message::from_json(&format!(r#"{{"role": "{role}", {extra} "content": {}}}"#, serde_json::json!(text))).unwrap()
        };
        let conv = Conversation {
            messages: vec![msg("user", ""), msg("assistant", r#""channel": "final","#), msg("user", "")],
        };
        let mut tokens = vec![];
        let merges = merges_of(|| tokens = render_conversation(&conv, &RenderOptions::default()).unwrap());
        assert_eq!(merges, 100);
        let one_by_one: Vec<u32> = conv.messages.iter().flat_map(|m| render_message(m, false).unwrap()).collect();
        assert_eq!(tokens, one_by_one);
    }
}
