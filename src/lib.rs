//! libharmony: OpenAI's Harmony format (the prompt and response format of gpt-oss), byte-exact
//! with openai-harmony 0.0.8, with an embedded vocabulary and a C ABI.
//!
//! ```
//! use harmony::{Conversation, HarmonyEncoding, Message, ParseOptions, RenderOptions, Role};
//!
//! let enc = HarmonyEncoding::gpt_oss();
//! let conv = Conversation::new([Message::new(Role::User, "What is 2 + 2?")]);
//! let prompt = enc.render_for_completion(&conv, Role::Assistant, &RenderOptions::default()).unwrap();
//! assert_eq!(prompt[0], harmony::SpecialToken::Start.id());
//!
//! let reply = enc.encode("<|channel|>final<|message|>4<|return|>", harmony::AllowedSpecial::All);
//! let msgs = enc.parse_completion(&reply, Some(Role::Assistant), ParseOptions::default()).unwrap();
//! assert_eq!(msgs[0].channel.as_deref(), Some("final"));
//! ```

#![deny(unsafe_code, unsafe_op_in_unsafe_fn)]

pub mod chat;
pub mod chat_completions;
pub mod responses;
mod encoding;
pub mod error;
pub mod grammar;
#[allow(unsafe_code)]
pub mod ffi;
pub mod parse;
pub mod render;
pub mod routing;
pub mod tokenizer;

pub use chat::{
    Author, ChannelConfig, Content, Conversation, DeveloperContent, Message, ReasoningEffort, Role, SystemContent,
    TextContent, ToolDescription, ToolNamespaceConfig,
};
pub use encoding::HarmonyEncoding;
pub use error::{Error, ErrorKind, Result};
pub use parse::event::StepEvent;
pub use parse::{parse_completion, ParseOptions, StreamParser, StreamState};
pub use render::RenderOptions;
pub use tokenizer::{AllowedSpecial, SpecialToken};

/// This library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
