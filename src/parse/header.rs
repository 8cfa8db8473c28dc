//! Parsing a decoded message header (`assistant to=functions.f<|channel|>commentary json`).

use crate::chat::{Author, Role};
use crate::tokenizer::SpecialToken;

/// The metadata of a message, parsed from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub author: Author,
    pub recipient: Option<String>,
    pub channel: Option<String>,
    pub content_type: Option<String>,
}

/// Parses `text` the way openai-harmony 0.0.8 does. With `split_recipient` false (a header cut
/// short by a stop token in lenient mode), the words after the role are returned as content
/// instead of being read as recipient and content type. `fix_constrain` applies the fix of
/// openai/harmony PR #144: a lone `<|constrain|>…` word is a content type, not a recipient.
pub(crate) fn parse_header(
    text: &str,
    role: Option<Role>,
    split_recipient: bool,
    fix_constrain: bool,
) -> Result<(Header, Option<String>), String> {
    let mut text = text.to_string();
    let mut channel = None;
    let marker = SpecialToken::Channel.as_str();
    if let Some(at) = text.find(marker) {
        let after = &text[at + marker.len()..];
        let len = after.find(|c: char| c.is_whitespace() || c == '<').unwrap_or(after.len());
        if len == 0 {
            return Err("message header has a <|channel|> marker but no channel name".into());
        }
        channel = Some(after[..len].to_string());
        text = format!("{}{}", &text[..at], &after[len..]);
    }
    let mut text = text.trim().to_string();
    let constrain = SpecialToken::Constrain.as_str();
    if text.contains(constrain) {
        text = text.replace(constrain, &format!(" {constrain}")).trim().to_string();
    }
    let mut parts: Vec<&str> = text.split_ascii_whitespace().collect();

    let mut role_word = None;
    let role = match role {
        Some(r) => r,
        None => {
            let first = *parts.first().ok_or("message header does not contain a role")?;
            role_word = Some(first.to_string());
            match Role::from_wire(first) {
                Some(r) => r,
                // An unknown author followed by more header words is a tool speaking.
                None if parts.len() > 1 || first.starts_with("to=") => {
                    parts.remove(0);
                    Role::Tool
                }
                None => return Err(format!("unknown role `{first}` in message header")),
            }
        }
    };
    if parts.first() == Some(&role.as_str()) {
        parts.remove(0);
    }

    let mut recipient = None;
    let mut content_type = None;
    if split_recipient {
        if let Some(last) = parts.pop() {
            let only_one = parts.is_empty();
            if let Some(r) = last.strip_prefix("to=") {
                recipient = Some(r.to_string());
            } else if only_one && !(fix_constrain && last.starts_with(constrain)) {
                recipient = Some(last.to_string());
            } else {
                content_type = Some(last.to_string());
                if let Some(r) = parts.pop() {
                    recipient = Some(r.strip_prefix("to=").unwrap_or(r).to_string());
                }
            }
        }
    }
    let rest = (!parts.is_empty()).then(|| parts.join(" "));
    let name = if role == Role::Tool { role_word } else { None };
    Ok((Header { author: Author { role, name }, recipient, channel, content_type }, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Header {
        parse_header(s, None, true, false).unwrap().0
    }

    #[test]
    fn typical_headers() {
        let h = parse("assistant to=functions.get_weather<|channel|>commentary <|constrain|>json");
        assert_eq!(h.author.role, Role::Assistant);
        assert_eq!(h.recipient.as_deref(), Some("functions.get_weather"));
        assert_eq!(h.channel.as_deref(), Some("commentary"));
        assert_eq!(h.content_type.as_deref(), Some("<|constrain|>json"));
        let t = parse("functions.get_weather to=assistant<|channel|>commentary");
        assert_eq!(t.author, Author { role: Role::Tool, name: Some("functions.get_weather".into()) });
        assert_eq!(t.recipient.as_deref(), Some("assistant"));
    }

    #[test]
    fn constrain_without_recipient_quirk_and_fix() {
        let quirk = parse("assistant<|channel|>final <|constrain|>json");
        assert_eq!(quirk.recipient.as_deref(), Some("<|constrain|>json"));
        assert_eq!(quirk.content_type, None);
        let fixed = parse_header("assistant<|channel|>final <|constrain|>json", None, true, true).unwrap().0;
        assert_eq!(fixed.recipient, None);
        assert_eq!(fixed.content_type.as_deref(), Some("<|constrain|>json"));
    }

    #[test]
    fn errors() {
        assert!(parse_header("", None, true, false).is_err());
        assert!(parse_header("robot", None, true, false).is_err());
        assert!(parse_header("assistant<|channel|>", None, true, false).is_err());
    }
}
