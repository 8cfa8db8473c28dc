//! Splits text into the pieces the o200k BPE is applied to, in linear time.
//!
//! o200k's split pattern ends in `\s+(?!\S)|\s+`, a look-ahead that forces a backtracking
//! engine (the reference uses fancy-regex, which can fail or panic on long inputs). We run the
//! same pattern without the look-ahead on the `regex` crate (finite automata, linear time, same
//! leftmost-first semantics) and apply the look-ahead's effect afterwards: a run of whitespace
//! without line breaks that is followed by a non-space character gives up its last character,
//! which then starts the next piece.
//!
//! Text that is all ASCII (most prompts, code, JSON) is split by [`ascii_piece_end`], a direct
//! transcription of the same pattern restricted to ASCII, without the regex: on ASCII the
//! Unicode classes are plain byte ranges (`\p{L}` = `[A-Za-z]`, `\p{Lu}` = `[A-Z]`,
//! `\p{Ll}` = `[a-z]`, `\p{N}` = `[0-9]`, `\s` = `[\t\n\x0B\x0C\r ]`; `\p{Lt}`, `\p{Lm}`,
//! `\p{Lo}` and `\p{M}` are empty), so a page of reasoning decides each alternative. The tests
//! check it against the regex exhaustively on short strings and on long random ones. Rendering
//! ASCII text therefore never compiles the regex (whose lazy DFA dominated start-up).

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
    /// Index of the first non-ASCII byte at or after `pos` (or the text's length).
    non_ascii: usize,
}

#[inline(always)]
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// `[^\r\n\p{L}\p{N}]` on ASCII.
#[inline(always)]
fn is_prefix(b: u8) -> bool {
    !(b == b'\r' || b == b'\n' || b.is_ascii_alphanumeric())
}

/// `[^\s\p{L}\p{N}]` on ASCII.
#[inline(always)]
fn is_punct(b: u8) -> bool {
    !(is_space(b) || b.is_ascii_alphanumeric())
}

/// Reads ASCII text and remembers the furthest index looked at (`seen`), so that a caller
/// working on the ASCII stretch of a longer text knows whether the answer depended on what
/// lies beyond it.
struct Cursor<'a> {
    s: &'a [u8],
    seen: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn get(&mut self, i: usize) -> Option<u8> {
        self.seen = self.seen.max(i);
        self.s.get(i).copied()
    }

    /// End of the run of bytes satisfying `f` from `i` (looks at the byte that stops it).
    #[inline(always)]
    fn run(&mut self, mut i: usize, f: impl Fn(u8) -> bool) -> usize {
        while i < self.s.len() && f(self.s[i]) {
            i += 1;
        }
        self.seen = self.seen.max(i);
        i
    }

    /// Length of `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i` (0 if none). The alternatives start
    /// with distinct letters, so at most one can match.
    #[inline(always)]
    fn contraction(&mut self, i: usize) -> usize {
        if self.get(i) != Some(b'\'') {
            return 0;
        }
        match self.get(i + 1).map(|b| b.to_ascii_lowercase()) {
            Some(b's' | b't' | b'm' | b'd') => 2,
            Some(b'r' | b'v') if self.get(i + 2).map(|b| b.to_ascii_lowercase()) == Some(b'e') => 3,
            Some(b'l') if self.get(i + 2).map(|b| b.to_ascii_lowercase()) == Some(b'l') => 3,
            _ => 0,
        }
    }
}

/// End of the piece of all-ASCII `s` that starts at `p` (< `s.len()`), with the look-ahead
/// adjustment applied: exactly what the regex path gives when `s` is the whole text. Also
/// returns the furthest index looked at; when `s` is only the ASCII stretch of a longer text,
/// the answer holds for the whole text if that index is inside `s`.
pub(crate) fn ascii_piece_end(s: &[u8], p: usize) -> (usize, usize) {
    let mut cur = Cursor { s, seen: p };
    let end = piece_end(&mut cur, p);
    (end, cur.seen)
}

#[inline(always)]
fn piece_end(cur: &mut Cursor<'_>, p: usize) -> usize {
    let c = cur.s[p];
    // Alternatives 1 and 2: `P?[A-Z]*[a-z]+C?` then `P?[A-Z]+[a-z]*C?` (P: the optional prefix,
    // C: a contraction). Either needs a letter right after the optional prefix; a prefix
    // character is never a letter, so with or without it there is one way to start.
    let q = if c.is_ascii_alphabetic() {
        Some(p)
    } else if is_prefix(c) && cur.get(p + 1).is_some_and(|b| b.is_ascii_alphabetic()) {
        Some(p + 1)
    } else {
        None
    };
    if let Some(q) = q {
        // [A-Z]* is greedy and cannot give back a lowercase letter, so alternative 1 matches
        // iff lowercase letters follow the uppercase run; otherwise that run is non-empty
        // (s[q] is a letter) and alternative 2 matches it with an empty [a-z]*.
        let upper = cur.run(q, |b| b.is_ascii_uppercase());
        let lower = cur.run(upper, |b| b.is_ascii_lowercase());
        return lower + cur.contraction(lower);
    }
    // Alternative 3: \p{N}{1,3}.
    if c.is_ascii_digit() {
        let mut e = p + 1;
        while e < p + 3 && cur.get(e).is_some_and(|b| b.is_ascii_digit()) {
            e += 1;
        }
        return e;
    }
    // Alternative 4: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`.
    let r = if is_punct(c) {
        Some(p)
    } else if c == b' ' && cur.get(p + 1).is_some_and(is_punct) {
        Some(p + 1)
    } else {
        None
    };
    if let Some(r) = r {
        let e = cur.run(r, is_punct);
        return cur.run(e, |b| matches!(b, b'\r' | b'\n' | b'/'));
    }
    // c is whitespace. Alternative 5, `\s*[\r\n]+`: the greedy \s* backs off to the last line
    // break of the whitespace run, which [\r\n]+ then takes.
    let w = cur.run(p, is_space);
    if let Some(k) = cur.s[p..w].iter().rposition(|&b| b == b'\r' || b == b'\n') {
        return p + k + 1;
    }
    // Alternative 6, `\s+`, with `(?!\S)`: followed by a non-space, give back the last one.
    if w < cur.s.len() && w - p > 1 {
        w - 1
    } else {
        w
    }
}

impl<'t> Pieces<'t> {
    /// The piece at `pos` through the regex (any text).
    fn regex_piece_end(&self) -> usize {
        let m = regex().find_at(self.text, self.pos).expect("the split pattern matches every character");
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
        end
    }
}

impl<'t> Iterator for Pieces<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        let (bytes, pos) = (self.text.as_bytes(), self.pos);
        if pos >= bytes.len() {
            return None;
        }
        if self.non_ascii < pos {
            self.non_ascii = bytes[pos..].iter().position(|&b| b >= 0x80).map_or(bytes.len(), |i| pos + i);
        }
        // In an ASCII stretch, split without the regex when the answer does not depend on
        // what follows the stretch; otherwise (and at non-ASCII characters) use the regex.
        let mut end = None;
        if pos < self.non_ascii {
            let (e, seen) = ascii_piece_end(&bytes[..self.non_ascii], pos);
            if seen < self.non_ascii || self.non_ascii == bytes.len() {
                end = Some(e);
            }
        }
        let end = end.unwrap_or_else(|| self.regex_piece_end());
        let out = &self.text[pos..end];
        self.pos = end;
        Some(out)
    }
}

/// Splits `text` into BPE pieces exactly as o200k's regex does.
pub fn pieces(text: &str) -> Pieces<'_> {
    let non_ascii = text.bytes().position(|b| b >= 0x80).unwrap_or(text.len());
    Pieces { text, pos: 0, non_ascii }
}

/// Every piece through the regex (for tests).
#[cfg(test)]
fn regex_pieces(text: &str) -> Vec<&str> {
    let mut p = Pieces { text, pos: 0, non_ascii: 0 };
    let mut out = Vec::new();
    while p.pos < text.len() {
        let end = p.regex_piece_end();
        out.push(&text[p.pos..end]);
        p.pos = end;
    }
    out
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

    fn check_ascii(s: &str) {
        let fast: Vec<&str> = pieces(s).collect();
        let slow: Vec<&str> = regex_pieces(s);
        assert_eq!(fast, slow, "{s:?}");
    }

    #[test]
    fn ascii_splitter_matches_regex_exhaustively() {
        // Every string of up to 5 characters over an alphabet with one member of each class
        // the pattern distinguishes (and the letters of the contractions).
        let alphabet = [b'a', b'B', b's', b'L', b'e', b'1', b' ', b'\t', b'\n', b'\r', b'\x0b', b'\'', b'.', b'/', b'\x1c'];
        let mut buf = Vec::new();
        fn rec(alpha: &[u8], buf: &mut Vec<u8>, left: usize) {
            check_ascii(std::str::from_utf8(buf).unwrap());
            if left == 0 {
                return;
            }
            for &c in alpha {
                buf.push(c);
                rec(alpha, buf, left - 1);
                buf.pop();
            }
        }
        rec(&alphabet, &mut buf, 5);
    }

    #[test]
    fn ascii_splitter_matches_regex_on_random_text() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let words = ["the", "The", "THE", "I'M", "don't", "we'LL", "x", "12345", " ", "  ", "\t", "\n", "\r\n", " \n ", "\x0c", "...", "//", "a/b", "\"q\"", "{}", "'", "'s", "'S", "Ab", "aB", "\x7f", "\x00"];
        for _ in 0..3000 {
            let n = (next() % 40) as usize;
            let s: String = (0..n).map(|_| words[(next() % words.len() as u64) as usize]).collect();
            check_ascii(&s);
        }
        for _ in 0..200 {
            let n = (next() % 300) as usize;
            let s: String = (0..n).map(|_| (next() % 128) as u8 as char).collect();
            check_ascii(&s);
        }
    }

    #[test]
    fn mixed_text_matches_regex() {
        // ASCII stretches split without the regex must agree with it whatever non-ASCII text
        // follows: letters of every class, marks, digits, spaces and punctuation.
        let frags = [
            "the", "The", "I'M", "don't", "x", "12", "1234", " ", "  ", "\t", "\n", "\r\n", " \n ", "...", "//", "'",
            "'s", "'L", "é", "É", "ǅ", "ʰ", "日本", "\u{301}", "a\u{301}", "٣", "Ⅻ", "½", "\u{a0}", "\u{3000}", "\u{85}",
            "\u{2028}", "—", "€", "🎉", "’s", "ſ", "K",
        ];
        let mut x: u64 = 0xfeed_beef_1234_5677;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20000 {
            let n = (next() % 12) as usize;
            let s: String = (0..n).map(|_| frags[(next() % frags.len() as u64) as usize]).collect();
            check_ascii(&s);
        }
        // Exhaustively: up to 4 characters, ASCII classes plus non-ASCII letters/space/digit.
        let alphabet = ['a', 'B', 's', '1', ' ', '\n', '\'', '.', 'é', 'É', '日', '\u{3000}', '٣', '\u{301}'];
        fn rec(alpha: &[char], buf: &mut String, left: usize) {
            check_ascii(buf);
            if left == 0 {
                return;
            }
            for &c in alpha {
                buf.push(c);
                rec(alpha, buf, left - 1);
                buf.pop();
            }
        }
        rec(&alphabet, &mut String::new(), 4);
    }

    #[test]
    fn covers_everything() {
        let s = "Ünïcødé  \u{3000}x\r\n\r\n  ... //\n日本語 🎉🎉 a\u{301}";
        assert_eq!(split(s).concat(), s);
    }
}
