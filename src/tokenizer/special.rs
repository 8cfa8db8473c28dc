//! Harmony's control tokens and lookup of special-token names.

use super::vocab::{token_bytes, FIRST_SPECIAL, VOCAB_SIZE};

/// The special tokens the Harmony format is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum SpecialToken {
    /// `<|startoftext|>`
    StartOfText = 199_998,
    /// `<|endoftext|>`
    EndOfText = 199_999,
    /// `<|return|>`: the assistant is done sampling.
    Return = 200_002,
    /// `<|constrain|>`: introduces a constrained content type such as `json`.
    Constrain = 200_003,
    /// `<|channel|>`: introduces the channel in a header.
    Channel = 200_005,
    /// `<|start|>`: begins a message.
    Start = 200_006,
    /// `<|end|>`: ends a message.
    End = 200_007,
    /// `<|message|>`: ends the header, begins the content.
    Message = 200_008,
    /// `<|call|>`: ends an assistant message addressed to a tool.
    Call = 200_012,
}

impl SpecialToken {
    /// The token id.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// The literal text of the token, e.g. `<|start|>`.
    pub fn as_str(self) -> &'static str {
        special_name(self.id()).expect("named special token is in the vocabulary")
    }
}

/// Tokens that end a completion: `<|return|>`, `<|call|>` and `<|end|>` (ascending).
pub const STOP_TOKENS: [u32; 3] = [
    SpecialToken::Return.id(),
    SpecialToken::End.id(),
    SpecialToken::Call.id(),
];

/// Tokens that end an assistant action: `<|return|>` and `<|call|>` (ascending).
pub const STOP_TOKENS_FOR_ASSISTANT_ACTIONS: [u32; 2] =
    [SpecialToken::Return.id(), SpecialToken::Call.id()];

/// The name of special token `id`, or `None` for ordinary and unknown ids.
pub fn special_name(id: u32) -> Option<&'static str> {
    if !(FIRST_SPECIAL..VOCAB_SIZE).contains(&id) {
        return None;
    }
    // Special-token bytes are ASCII by construction (build.rs).
    token_bytes(id).and_then(|b| std::str::from_utf8(b).ok())
}

/// The id of the special token spelled exactly `name`, if any.
pub fn special_id(name: &str) -> Option<u32> {
    let inner = name.strip_prefix("<|")?.strip_suffix("|>")?;
    if let Some(num) = inner.strip_prefix("reserved_") {
        // Only the canonical spelling of an id that is actually reserved.
        let id: u32 = num.parse().ok()?;
        return (special_name(id) == Some(name)).then_some(id);
    }
    const NAMED: [SpecialToken; 9] = [
        SpecialToken::StartOfText,
        SpecialToken::EndOfText,
        SpecialToken::Return,
        SpecialToken::Constrain,
        SpecialToken::Channel,
        SpecialToken::Start,
        SpecialToken::End,
        SpecialToken::Message,
        SpecialToken::Call,
    ];
    NAMED.iter().find(|t| t.as_str() == name).map(|t| t.id())
}

/// Length of the longest special-token spelling (`<|reserved_201088|>`).
const MAX_NAME_LEN: usize = 19;

/// Finds the leftmost special-token spelling in `text` at or after `from` that `allowed`
/// accepts. Returns `(start, end, id)`.
pub(crate) fn find_special(
    text: &str,
    mut from: usize,
    allowed: &dyn Fn(u32) -> bool,
) -> Option<(usize, usize, u32)> {
    let bytes = text.as_bytes();
    while let Some(rel) = text[from..].find("<|") {
        let start = from + rel;
        // Names never contain '|', so the candidate ends at the first "|>" after "<|"; no name
        // is longer than MAX_NAME_LEN, so looking further would only make the scan quadratic.
        let window = &bytes[start + 2..bytes.len().min(start + MAX_NAME_LEN)];
        if let Some(close) = window.windows(2).position(|w| w == b"|>") {
            let end = start + 2 + close + 2;
            if let Some(id) = special_id(&text[start..end]) {
                if allowed(id) {
                    return Some((start, end, id));
                }
            }
        }
        from = start + 1;
        debug_assert!(from <= bytes.len());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for id in FIRST_SPECIAL..VOCAB_SIZE {
            let name = special_name(id).unwrap();
            assert_eq!(special_id(name), Some(id), "{name}");
        }
        assert_eq!(special_id("<|reserved_200006|>"), None);
        assert_eq!(special_id("<|reserved_0200017|>"), None);
        assert_eq!(special_id("<|nope|>"), None);
        assert_eq!(SpecialToken::Start.as_str(), "<|start|>");
    }

    #[test]
    fn finds_leftmost_allowed() {
        let all = |_| true;
        assert_eq!(find_special("a<|x<|end|>", 0, &all), Some((4, 11, 200007)));
        let only_start = |id| id == 200006;
        assert_eq!(find_special("<|end|><|start|>", 0, &only_start), Some((7, 16, 200006)));
        assert_eq!(find_special("<|end", 0, &all), None);
        assert_eq!(find_special("<|<|reserved_201088|>", 0, &all), Some((2, 21, 201088)));
        let longest = (FIRST_SPECIAL..VOCAB_SIZE).filter_map(special_name).map(str::len).max();
        assert_eq!(longest, Some(MAX_NAME_LEN));
    }
}
