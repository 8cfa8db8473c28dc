//! The library's error type. Each variant names what was wrong; `kind()` groups variants into
//! the coarse categories the C ABI reports as status codes.

/// Everything that can go wrong in rendering, parsing, encoding and decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input JSON did not parse or did not match the expected shape.
    #[error("invalid {what} JSON: {detail}")]
    InvalidJson { what: &'static str, detail: String },

    /// Bytes that had to be UTF-8 were not.
    #[error("invalid UTF-8 in {context}: {detail}")]
    InvalidUtf8 { context: String, detail: String },

    /// A role name that is not one of user, assistant, system, developer, tool.
    #[error("unknown role `{0}` (expected user, assistant, system, developer or tool)")]
    UnknownRole(String),

    /// A token id outside the vocabulary.
    #[error("unknown token id {0} (the vocabulary has ids 0..=201088)")]
    UnknownToken(u32),

    /// A conversation that cannot be rendered.
    #[error("messages[{index}]: {reason}")]
    Render { index: usize, reason: String },

    /// Completion tokens that do not form valid Harmony messages.
    #[error("{0}")]
    Parse(String),

    /// An argument outside its allowed range (used by the bindings).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// An input larger or deeper than the documented limits.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
}

/// Coarse category of an [`Error`], stable across versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    InvalidJson,
    InvalidUtf8,
    Render,
    Parse,
    UnknownToken,
    LimitExceeded,
}

impl Error {
    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidJson { .. } => ErrorKind::InvalidJson,
            Error::InvalidUtf8 { .. } => ErrorKind::InvalidUtf8,
            Error::UnknownRole(_) | Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::UnknownToken(_) => ErrorKind::UnknownToken,
            Error::Render { .. } => ErrorKind::Render,
            Error::Parse(_) => ErrorKind::Parse,
            Error::LimitExceeded(_) => ErrorKind::LimitExceeded,
        }
    }

    pub(crate) fn json(what: &'static str, e: serde_json::Error) -> Self {
        Error::InvalidJson { what, detail: e.to_string() }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
