//! Splits text into the pieces the o200k BPE is applied to, in linear time.
//!
//! o200k's split pattern ends in `\s+(?!\S)|\s+`, a look-ahead that forces a backtracking
//! engine (the reference uses fancy-regex, which can fail or panic on long inputs). We run the
//! same pattern without the look-ahead on the `regex` crate (finite automata, linear time, same
//! leftmost-first semantics) and apply the look-ahead's effect afterwards: a run of whitespace
//! without line breaks that is followed by a non-space character gives up its last character,
//! which then starts the next piece.

use regex::Regex;
use std::sync::OnceLock;

const PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}",
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*",
    r"|\s*[\r\n]+",
    r"|\s+",
);

fn regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(PATTERN).expect("split pattern compiles"))
}

/// Iterator over the pieces of `text`, as string slices that together cover all of it.
pub struct Pieces<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Iterator for Pieces<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        if self.pos >= self.text.len() {
            return None;
        }
        let m = regex().find_at(self.text, self.pos)?;
        debug_assert_eq!(m.start(), self.pos, "the split pattern matches every character");
        let mut end = m.end();
        let piece = m.as_str();
        // A whitespace-only piece not ending in a line break came from the final `\s+`
        // alternative; emulate `\s+(?!\S)` when a non-space follows it.
        if end < self.text.len() && !piece.ends_with(['\r', '\n']) && piece.chars().all(char::is_whitespace) {
            let last = piece.chars().next_back().map_or(0, char::len_utf8);
            if piece.len() > last {
                end -= last;
            }
        }
        let out = &self.text[self.pos..end];
        self.pos = end;
        Some(out)
    }
}

/// Splits `text` into BPE pieces exactly as o200k's regex does.
pub fn pieces(text: &str) -> Pieces<'_> {
    Pieces { text, pos: 0 }
}

/// Builds the split regex now (otherwise built on first use).
pub fn warm_up() {
    let _ = regex();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<&str> {
        pieces(s).collect()
    }

    #[test]
    fn whitespace_lookahead_is_emulated() {
        assert_eq!(split("a  b"), vec!["a", " ", " b"]);
        assert_eq!(split("a   "), vec!["a", "   "]);
        assert_eq!(split("x\n  y"), vec!["x", "\n", " ", " y"]);
        assert_eq!(split("\t1"), vec!["\t", "1"]);
        assert_eq!(split("hello world"), vec!["hello", " world"]);
        assert_eq!(split("I'M 1234"), vec!["I'M", " ", "123", "4"]);
    }

    #[test]
    fn covers_everything() {
        let s = "Ünïcødé  \u{3000}x\r\n\r\n  ... //\n日本語 🎉🎉 a\u{301}";
        assert_eq!(split(s).concat(), s);
    }
}
