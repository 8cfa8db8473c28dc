//! [`HarmonyEncoding`]: the entry point tying the tokenizer, renderer and parser together.

use crate::chat::{Conversation, Message, Role};
use crate::error::{Error, Result};
use crate::parse::{parse_completion, ParseOptions, StreamParser};
use crate::render::{self, RenderOptions};
use crate::tokenizer::{self, AllowedSpecial};

/// The Harmony encoding used by gpt-oss (`HarmonyGptOss`, tokenizer `o200k_harmony`).
///
/// A handle is free to create and copy: every handle shares the one immutable vocabulary of
/// the process, and all methods may be called from any number of threads at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HarmonyEncoding {
    _private: (),
}

impl HarmonyEncoding {
    /// The name openai-harmony uses for this encoding.
    pub const NAME: &'static str = "HarmonyGptOss";
    /// The tokenizer's name.
    pub const TOKENIZER_NAME: &'static str = "o200k_harmony";

    /// Loads an encoding by name (`"HarmonyGptOss"`, also accepted: `"harmony_gpt_oss"`,
    /// `"o200k_harmony"`).
    pub fn load(name: &str) -> Result<Self> {
        match name {
            "HarmonyGptOss" | "harmony_gpt_oss" | "harmony-gpt-oss" | "o200k_harmony" => Ok(Self::gpt_oss()),
            _ => Err(Error::InvalidArgument(format!("unknown encoding `{name}` (known: HarmonyGptOss)"))),
        }
    }

    /// The gpt-oss encoding.
    pub const fn gpt_oss() -> Self {
        HarmonyEncoding { _private: () }
    }

    /// Encoding name.
    pub fn name(&self) -> &'static str {
        Self::NAME
    }

    /// Renders a conversation followed by `<|start|>` + `next_role`, ready for sampling.
    pub fn render_for_completion(&self, conv: &Conversation, next_role: Role, opts: &RenderOptions) -> Result<Vec<u32>> {
        render::render_for_completion(conv, next_role, opts)
    }

    /// Renders a conversation.
    pub fn render_conversation(&self, conv: &Conversation, opts: &RenderOptions) -> Result<Vec<u32>> {
        render::render_conversation(conv, opts)
    }

    /// Renders a conversation for training (a trailing final answer ends in `<|return|>`).
    pub fn render_for_training(&self, conv: &Conversation, opts: &RenderOptions) -> Result<Vec<u32>> {
        render::render_for_training(conv, opts)
    }

    /// Renders one message.
    pub fn render_message(&self, msg: &Message, has_function_tools: bool) -> Result<Vec<u32>> {
        render::render_message(msg, has_function_tools)
    }

    /// Parses completion tokens into messages.
    pub fn parse_completion(&self, tokens: &[u32], role: Option<Role>, opts: ParseOptions) -> Result<Vec<Message>> {
        parse_completion(tokens, role, opts)
    }

    /// A streaming parser.
    pub fn stream_parser(&self, role: Option<Role>, opts: ParseOptions) -> StreamParser {
        StreamParser::new(role, opts)
    }

    /// Encodes text; special-token spellings become special tokens only if `allowed`.
    pub fn encode(&self, text: &str, allowed: AllowedSpecial<'_>) -> Vec<u32> {
        tokenizer::encode(text, allowed)
    }

    /// Decodes tokens to UTF-8 text (error on unknown ids and invalid UTF-8).
    pub fn decode_utf8(&self, tokens: &[u32]) -> Result<String> {
        tokenizer::decode_utf8(tokens)
    }

    /// Decodes tokens, replacing invalid UTF-8 with U+FFFD (error on unknown ids).
    pub fn decode_lossy(&self, tokens: &[u32]) -> Result<String> {
        tokenizer::decode_lossy(tokens)
    }

    /// `<|return|>`, `<|end|>`, `<|call|>`: where sampling a completion stops.
    pub fn stop_tokens(&self) -> &'static [u32] {
        &tokenizer::STOP_TOKENS
    }

    /// `<|return|>`, `<|call|>`: where an assistant action ends.
    pub fn stop_tokens_for_assistant_actions(&self) -> &'static [u32] {
        &tokenizer::STOP_TOKENS_FOR_ASSISTANT_ACTIONS
    }

    /// True for control tokens (ids 199998..=201088).
    pub fn is_special_token(&self, token: u32) -> bool {
        tokenizer::is_special(token)
    }
}
