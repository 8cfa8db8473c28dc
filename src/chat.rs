//! The conversation data model and its JSON wire format.
//!
//! The serde shape is openai-harmony 0.0.8's, so JSON produced by either library is accepted
//! by the other: the author's `role`/`name` sit at the top level of a message, optional fields
//! may be missing, and `content` is either a string or a list of typed parts.

use crate::error::{Error, Result};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    System,
    Developer,
    Tool,
}

impl Role {
    /// All roles, in wire order.
    pub const ALL: [Role; 5] = [Role::User, Role::Assistant, Role::System, Role::Developer, Role::Tool];

    /// The wire name (`"user"`, `"assistant"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
            Role::Developer => "developer",
            Role::Tool => "tool",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Result<Role> {
        Role::from_wire(name).ok_or_else(|| Error::UnknownRole(name.to_string()))
    }

    pub(crate) fn from_wire(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        Role::parse(s)
    }
}

/// The author of a message: a role and, optionally, a name (required for tools).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<Role> for Author {
    fn from(role: Role) -> Self {
        Author { role, name: None }
    }
}

/// Reasoning effort announced in the system message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReasoningEffort {
    Low,
    Medium,
    High,
}

impl ReasoningEffort {
    /// The lower-case word rendered into the prompt.
    pub fn as_lower_str(self) -> &'static str {
        match self {
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }
}

/// Which channels the model may write to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChannelConfig {
    pub valid_channels: Vec<String>,
    pub channel_required: bool,
}

/// One tool: a name, a description and optional JSON-Schema parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDescription {
    pub name: String,
    pub description: String,
    pub parameters: Option<serde_json::Value>,
}

/// A namespace of tools (`functions`, `browser`, `python`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolNamespaceConfig {
    pub name: String,
    pub description: Option<String>,
    pub tools: Vec<ToolDescription>,
}

impl ToolNamespaceConfig {
    /// The built-in `browser` namespace (search, open, find), as openai-harmony 0.0.8 defines it.
    pub fn browser() -> Self {
        let tool = |name: &str, description: &str, parameters: serde_json::Value| ToolDescription {
            name: name.into(),
            description: description.into(),
            parameters: Some(parameters),
        };
        ToolNamespaceConfig {
            name: "browser".into(),
            description: Some(
                "Tool for browsing.\nThe `cursor` appears in brackets before each browsing display: `[{cursor}]`.\n\
                 Cite information from the tool using the following format:\n\
                 `【{cursor}†L{line_start}(-L{line_end})?】`, for example: `【6†L9-L11】` or `【8†L3】`.\n\
                 Do not quote more than 10 words directly from the tool output.\nsources=web (default: web)"
                    .into(),
            ),
            tools: vec![
                tool(
                    "search",
                    "Searches for information related to `query` and displays `topn` results.",
                    serde_json::json!({
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "topn": {"type": "number", "default": 10},
                            "source": {"type": "string"}
                        },
                        "required": ["query"]
                    }),
                ),
                tool(
                    "open",
                    "Opens the link `id` from the page indicated by `cursor` starting at line number `loc`, \
                     showing `num_lines` lines.\nValid link ids are displayed with the formatting: `【{id}†.*】`.\n\
                     If `cursor` is not provided, the most recent page is implied.\n\
                     If `id` is a string, it is treated as a fully qualified URL associated with `source`.\n\
                     If `loc` is not provided, the viewport will be positioned at the beginning of the document \
                     or centered on the most relevant passage, if available.\n\
                     Use this function without `id` to scroll to a new location of an opened page.",
                    serde_json::json!({
                        "type": "object",
                        "properties": {
                            "id": {"type": ["number", "string"], "default": -1},
                            "cursor": {"type": "number", "default": -1},
                            "loc": {"type": "number", "default": -1},
                            "num_lines": {"type": "number", "default": -1},
                            "view_source": {"type": "boolean", "default": false},
                            "source": {"type": "string"}
                        }
                    }),
                ),
                tool(
                    "find",
                    "Finds exact matches of `pattern` in the current page, or the page given by `cursor`.",
                    serde_json::json!({
                        "type": "object",
                        "properties": {
                            "pattern": {"type": "string"},
                            "cursor": {"type": "number", "default": -1}
                        },
                        "required": ["pattern"]
                    }),
                ),
            ],
        }
    }

    /// The built-in `python` namespace (a stateful Jupyter tool), as openai-harmony 0.0.8 defines it.
    pub fn python() -> Self {
        ToolNamespaceConfig {
            name: "python".into(),
            description: Some(
                "Use this tool to execute Python code in your chain of thought. The code will not be shown to \
                 the user. This tool should be used for internal reasoning, but not for code that is intended \
                 to be visible to the user (e.g. when creating plots, tables, or files).\n\n\
                 When you send a message containing Python code to python, it will be executed in a stateful \
                 Jupyter notebook environment. python will respond with the output of the execution or time \
                 out after 120.0 seconds. The drive at '/mnt/data' can be used to save and persist user files. \
                 Internet access for this session is UNKNOWN. Depends on the cluster."
                    .into(),
            ),
            tools: Vec::new(),
        }
    }

    /// A built-in namespace by name (`"browser"` or `"python"`).
    pub fn builtin(name: &str) -> Result<Self> {
        match name {
            "browser" => Ok(Self::browser()),
            "python" => Ok(Self::python()),
            _ => Err(Error::InvalidArgument(format!("unknown built-in tool namespace `{name}` (known: browser, python)"))),
        }
    }
}

/// Content of a system message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemContent {
    pub model_identity: Option<String>,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub tools: Option<BTreeMap<String, ToolNamespaceConfig>>,
    pub conversation_start_date: Option<String>,
    pub knowledge_cutoff: Option<String>,
    pub channel_config: Option<ChannelConfig>,
}

impl Default for SystemContent {
    /// gpt-oss's usual system message: identity, medium effort, 2024-06 cutoff, three channels.
    fn default() -> Self {
        SystemContent {
            model_identity: Some("You are ChatGPT, a large language model trained by OpenAI.".into()),
            reasoning_effort: Some(ReasoningEffort::Medium),
            tools: None,
            conversation_start_date: None,
            knowledge_cutoff: Some("2024-06".into()),
            channel_config: Some(ChannelConfig {
                valid_channels: vec!["analysis".into(), "commentary".into(), "final".into()],
                channel_required: true,
            }),
        }
    }
}

/// Content of a developer message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeveloperContent {
    pub instructions: Option<String>,
    pub tools: Option<BTreeMap<String, ToolNamespaceConfig>>,
}

/// Plain text content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextContent {
    pub text: String,
}

/// One part of a message's content, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text(TextContent),
    SystemContent(SystemContent),
    DeveloperContent(DeveloperContent),
}

impl From<&str> for Content {
    fn from(text: &str) -> Self {
        Content::Text(TextContent { text: text.to_string() })
    }
}

impl From<String> for Content {
    fn from(text: String) -> Self {
        Content::Text(TextContent { text })
    }
}

/// One Harmony message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    #[serde(flatten)]
    pub author: Author,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(deserialize_with = "content_from_wire", serialize_with = "content_to_wire")]
    pub content: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// What recover-mode parsing repaired in this message (short stable English strings, see
    /// [`crate::parse::recover`]); empty otherwise, and absent from the JSON when empty.
    /// Ignored by rendering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<String>,
    /// The exact tokens this message came from (`<|start|>` through its stop token), kept by a
    /// parser with [`ParseOptions::keep_tokens`](crate::ParseOptions); rendering writes them
    /// verbatim instead of re-encoding the message, so a prompt built from parsed messages
    /// starts with the previous prompt plus the sampled tokens (KV-cache reuse). Absent from
    /// the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<u32>>,
}

impl Message {
    /// A message from `role` with one content part.
    pub fn new(role: Role, content: impl Into<Content>) -> Self {
        Message {
            author: role.into(),
            recipient: None,
            content: vec![content.into()],
            channel: None,
            content_type: None,
            repairs: Vec::new(),
            tokens: None,
        }
    }

    /// Sets the channel.
    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Sets the recipient.
    pub fn with_recipient(mut self, recipient: impl Into<String>) -> Self {
        self.recipient = Some(recipient.into());
        self
    }

    /// Sets the content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sets the author's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.author.name = Some(name.into());
        self
    }

    /// Text of the first text part, if any (a parsed message has exactly one).
    pub fn text(&self) -> Option<&str> {
        self.content.iter().find_map(|c| match c {
            Content::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
    }

    /// Parses one message from JSON.
    pub fn from_json(json: &str) -> Result<Message> {
        from_json_at("message", json)
    }

    /// Serialises to JSON in the wire format.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }
}

/// A list of messages.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Conversation {
    pub messages: Vec<Message>,
}

impl Conversation {
    /// A conversation of these messages.
    pub fn new(messages: impl IntoIterator<Item = Message>) -> Self {
        Conversation { messages: messages.into_iter().collect() }
    }

    /// Parses a conversation from JSON (`{"messages": [...]}`).
    pub fn from_json(json: &str) -> Result<Conversation> {
        from_json_at("conversation", json)
    }

    /// Serialises to JSON in the wire format.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("conversations always serialise")
    }
}

/// Serialises messages as a JSON array in the wire format.
pub fn messages_to_json(messages: &[Message]) -> String {
    serde_json::to_string(messages).expect("messages always serialise")
}

/// Parses a JSON array of messages.
pub fn messages_from_json(json: &str) -> Result<Vec<Message>> {
    from_json_at("messages", json)
}

/// Deserialises `json` as one `T`, naming the field path of a wrong-shaped value in the
/// error (`invalid conversation JSON: messages[3].content[0]: unknown variant ...`).
pub(crate) fn from_json_at<T: de::DeserializeOwned>(what: &'static str, json: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match path.as_str() {
            "." | "" => Error::json(what, inner),
            _ => Error::InvalidJson { what, detail: format!("{path}: {inner}") },
        }
    })?;
    de.end().map_err(|e| Error::json(what, e))?;
    Ok(value)
}

/// Checks that `json` is exactly one JSON value (surrounding whitespace allowed), within the
/// same nesting limit as every other JSON input. Wrappers call this (through
/// `harmony_json_validate`) before they place caller-supplied raw JSON, such as a tool's
/// parameter schema, into a document, so that such text can never add or change fields.
pub fn validate_json_value(json: &str) -> Result<()> {
    serde_json::from_str::<de::IgnoredAny>(json).map(drop).map_err(|e| Error::json("raw", e))
}

fn content_from_wire<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<Content>, D::Error> {
    struct WireContent;
    impl<'de> Visitor<'de> for WireContent {
        type Value = Vec<Content>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of content parts")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            Ok(vec![Content::from(v)])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
            Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))
        }
    }
    d.deserialize_any(WireContent)
}

fn content_to_wire<S: Serializer>(content: &[Content], s: S) -> std::result::Result<S::Ok, S::Error> {
    match content {
        [Content::Text(t)] => s.serialize_str(&t.text),
        parts => parts.serialize(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape() {
        let m = Message::new(Role::Tool, "hi").with_name("functions.f").with_channel("commentary");
        assert_eq!(
            m.to_json(),
            r#"{"role":"tool","name":"functions.f","content":"hi","channel":"commentary"}"#
        );
        let back = Message::from_json(&m.to_json()).unwrap();
        assert_eq!(back, m);
        let parts = Message::from_json(r#"{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}"#).unwrap();
        assert_eq!(parts.content.len(), 2);
        assert!(Message::from_json(r#"{"role":"user"}"#).is_err());
        assert!(Message::from_json(r#"{"role":"user","content":null}"#).is_err());
        assert!(Message::from_json(r#"{"role":"robot","content":"x"}"#).is_err());
    }

    #[test]
    fn builtin_namespaces_equal_the_reference() {
        for (ours, theirs) in [
            (ToolNamespaceConfig::browser(), openai_harmony::chat::ToolNamespaceConfig::browser()),
            (ToolNamespaceConfig::python(), openai_harmony::chat::ToolNamespaceConfig::python()),
        ] {
            assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
        }
        assert!(ToolNamespaceConfig::builtin("shell").is_err());
    }
}

/// Appends `s` as a JSON string literal, escaped exactly as serde_json escapes it (`\b`, `\f`,
/// `\n`, `\r`, `\t`, `\"`, `\\`, other control characters as `\u00xx`), so the bridges'
/// text paths and their values' serialisation give the same bytes.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = fmt::Write::write_fmt(out, format_args!("\\u{b:04x}"));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}
