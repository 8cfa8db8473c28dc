//! Splits text into the pieces the o200k BPE is applied to, in linear time, without a regex.
//!
//! o200k's split pattern (kept below as [`PATTERN`], the tests' oracle) ends in
//! `\s+(?!\S)|\s+`, a look-ahead that forces a backtracking engine (the reference uses
//! fancy-regex, which can fail or panic on long inputs). [`Pieces`] is a direct transcription
//! of the pattern's leftmost-first semantics over per-character classes: each code point gets
//! a byte of flags (`[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`, `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`, `\p{L}`,
//! `\p{N}`, `\s`), from a two-level table built by `build.rs` from `regex-syntax`'s Unicode
//! tables (the same crate and version the regex engines use) and embedded, or from a constant
//! table for ASCII. Each alternative is decided by scanning runs of one
//! class, so every piece costs time linear in its length whatever the script (a page of
//! Chinese is a few long pieces; the regex engine re-entered its automaton at every piece).
//!
//! The tests check the splitter against the `regex` crate running [`PATTERN`] (without the
//! look-ahead, whose effect is applied afterwards) exhaustively on short strings over one
//! character of every class combination Unicode has, on random text, and check the class
//! table against the regex for every code point.

#[cfg(test)]
use std::sync::OnceLock;

/// The o200k split pattern without its look-ahead alternative (`\s+(?!\S)` is emulated: a run
/// of whitespace without line breaks that is followed by a non-space character gives up its
/// last character, which then starts the next piece).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}",
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*",
    r"|\s*[\r\n]+",
    r"|\s+",
);

/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: may start a word (the "upper" class).
const U: u8 = 1;
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: may end a word (the "lower" class).
const W: u8 = 2;
/// `\p{L}`.
const L: u8 = 4;
/// `\p{N}`.
const N: u8 = 8;
/// `\s` (Unicode White_Space).
const S: u8 = 16;
/// `\r` or `\n`.
const CRLF: u8 = 32;

/// The classes each flag stands for, as the regex spells them.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const FLAG_CLASSES: [(u8, &str); 5] = [
    (U, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
    (W, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
    (L, r"\p{L}"),
    (N, r"\p{N}"),
    (S, r"\s"),
];

const fn ascii_flags(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => U | L,
        b'a'..=b'z' => W | L,
        b'0'..=b'9' => N,
        b'\r' | b'\n' => S | CRLF,
        b' ' | b'\t' | 0x0B | 0x0C => S,
        _ => 0,
    }
}

static ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = ascii_flags(i as u8);
        i += 1;
    }
    t
};

/// Flags of every code point, `BLOCKS[INDEX[cp >> 8] * 256 + (cp & 255)]` (built by `build.rs`
/// from `regex-syntax`'s Unicode tables and embedded: nothing is built at run time).
static INDEX: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/class_index.bin"));
static BLOCKS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/class_blocks.bin"));

struct Classes;

#[cfg(test)]
fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::Parser::new().parse(pattern).expect("class pattern parses");
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().map(|r| (r.start() as u32, r.end() as u32)).collect(),
        _ => unreachable!("{pattern} is a Unicode class"),
    }
}

impl Classes {
    #[inline(always)]
    fn flags(&self, cp: u32) -> u8 {
        let at = 2 * (cp >> 8) as usize;
        let block = u16::from_le_bytes([INDEX[at], INDEX[at + 1]]) as usize;
        BLOCKS[(block << 8) | (cp & 255) as usize]
    }
}

fn classes() -> &'static Classes {
    &Classes
}

/// Iterator over the pieces of `text`, as string slices that together cover all of it.
pub struct Pieces<'t> {
    text: &'t str,
    pos: usize,
    /// The Unicode table, present when the text is not all ASCII.
    classes: Option<&'static Classes>,
}

impl<'t> Pieces<'t> {
    /// Flags and length of the character starting at byte `i` (< the text's length).
    #[inline(always)]
    fn at(&self, i: usize) -> (u8, usize) {
        let s = self.text.as_bytes();
        let b0 = s[i];
        if b0 < 0x80 {
            return (ASCII[b0 as usize], 1);
        }
        // `text` is UTF-8 and `i` a character boundary, so the continuation bytes exist.
        let (cp, len) = if b0 < 0xE0 {
            (((b0 as u32 & 0x1F) << 6) | (s[i + 1] as u32 & 0x3F), 2)
        } else if b0 < 0xF0 {
            (((b0 as u32 & 0x0F) << 12) | ((s[i + 1] as u32 & 0x3F) << 6) | (s[i + 2] as u32 & 0x3F), 3)
        } else {
            let cp = ((b0 as u32 & 0x07) << 18)
                | ((s[i + 1] as u32 & 0x3F) << 12)
                | ((s[i + 2] as u32 & 0x3F) << 6)
                | (s[i + 3] as u32 & 0x3F);
            (cp, 4)
        };
        let classes = self.classes.expect("non-ASCII text has the Unicode table");
        (classes.flags(cp), len)
    }

    /// Flags of the character at `i`, or None at the end of the text.
    #[inline(always)]
    fn get(&self, i: usize) -> Option<(u8, usize)> {
        (i < self.text.len()).then(|| self.at(i))
    }

    /// End of the run of characters with any of `flags` from `i`.
    #[inline(always)]
    fn run(&self, mut i: usize, flags: u8) -> usize {
        let s = self.text.as_bytes();
        while i < s.len() {
            // ASCII fast path: no decoding.
            let b = s[i];
            if b < 0x80 {
                if ASCII[b as usize] & flags == 0 {
                    break;
                }
                i += 1;
                continue;
            }
            let (f, len) = self.at(i);
            if f & flags == 0 {
                break;
            }
            i += len;
        }
        i
    }

    /// Length of `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i` (0 if none). The alternatives start
    /// with distinct letters, so at most one can match. Case-insensitively `s` also matches
    /// U+017F LATIN SMALL LETTER LONG S (simple case folding); no other non-ASCII character
    /// folds to one of these letters (checked by a test).
    #[inline(always)]
    fn contraction(&self, i: usize) -> usize {
        let s = self.text.as_bytes();
        if s.get(i) != Some(&b'\'') {
            return 0;
        }
        let lower = |k: usize| s.get(k).map(|b| b.to_ascii_lowercase());
        match lower(i + 1) {
            Some(b's' | b't' | b'm' | b'd') => 2,
            Some(b'r' | b'v') if lower(i + 2) == Some(b'e') => 3,
            Some(b'l') if lower(i + 2) == Some(b'l') => 3,
            Some(0xC5) if s.get(i + 2) == Some(&0xBF) => 3, // 'ſ
            _ => 0,
        }
    }

    /// Alternative 1 without its prefix, at `q`: `[U]*[W]+C?` (C: a contraction).
    #[inline(always)]
    fn word_lower(&self, q: usize) -> Option<usize> {
        // Greedy `[U]*` takes the longest U run it can while `[W]+` still matches after it:
        // the whole run if the character stopping it is W (then `[W]+` takes the W run from
        // there); otherwise up to its last character that is also W (Lm, Lo, M), which `[W]+`
        // then takes alone (what follows it in the run is Lu/Lt, the stopper is not W).
        let mut i = q;
        let mut last_w = None;
        while let Some((f, len)) = self.get(i) {
            if f & U == 0 {
                if f & W != 0 {
                    let e = self.run(i, W);
                    return Some(e + self.contraction(e));
                }
                break;
            }
            if f & W != 0 {
                last_w = Some(i + len);
            }
            i += len;
        }
        let e = last_w?;
        Some(e + self.contraction(e))
    }

    /// Alternative 2 without its prefix, at `q`: `[U]+[W]*C?`.
    #[inline(always)]
    fn word_upper(&self, q: usize) -> Option<usize> {
        let (f, _) = self.get(q)?;
        if f & U == 0 {
            return None;
        }
        let e = self.run(self.run(q, U), W);
        Some(e + self.contraction(e))
    }

    /// End of the piece starting at `p` (< the text's length), look-ahead emulation included.
    #[inline(always)]
    fn piece_end(&self, p: usize) -> usize {
        let s = self.text.as_bytes();
        let (c, clen) = self.at(p);
        let prefix = c & (CRLF | L | N) == 0; // [^\r\n\p{L}\p{N}]
        // Alternatives 1 and 2, each first with the optional prefix, then without.
        if c & (U | W) != 0 || prefix {
            if prefix {
                if let Some(e) = self.word_lower(p + clen) {
                    return e;
                }
            }
            if c & (U | W) != 0 {
                if let Some(e) = self.word_lower(p) {
                    return e;
                }
            }
            if prefix {
                if let Some(e) = self.word_upper(p + clen) {
                    return e;
                }
            }
            if let Some(e) = self.word_upper(p) {
                return e;
            }
        }
        // Alternative 3: \p{N}{1,3}.
        if c & N != 0 {
            let mut e = p + clen;
            for _ in 0..2 {
                match self.get(e) {
                    Some((f, len)) if f & N != 0 => e += len,
                    _ => break,
                }
            }
            return e;
        }
        // Alternative 4: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`.
        const NOT_PUNCT: u8 = S | L | N;
        let r = if c & NOT_PUNCT == 0 {
            Some(p)
        } else if s[p] == b' ' && self.get(p + 1).is_some_and(|(f, _)| f & NOT_PUNCT == 0) {
            Some(p + 1)
        } else {
            None
        };
        if let Some(r) = r {
            let mut e = r;
            while let Some((f, len)) = self.get(e) {
                if f & NOT_PUNCT != 0 {
                    break;
                }
                e += len;
            }
            while e < s.len() && matches!(s[e], b'\r' | b'\n' | b'/') {
                e += 1;
            }
            return e;
        }
        // c is whitespace. Alternative 5, `\s*[\r\n]+`: the greedy \s* backs off to the last line
        // break of the whitespace run, which [\r\n]+ then takes.
        let mut w = p;
        let mut last_break = None;
        let mut last_len = 1;
        while let Some((f, len)) = self.get(w) {
            if f & S == 0 {
                break;
            }
            if f & CRLF != 0 {
                last_break = Some(w + 1);
            }
            last_len = len;
            w += len;
        }
        if let Some(e) = last_break {
            return e;
        }
        // Alternative 6, `\s+`, with `(?!\S)`: followed by a non-space, give back the last one.
        if w < s.len() && w - p > last_len {
            w - last_len
        } else {
            w
        }
    }
}

impl<'t> Iterator for Pieces<'t> {
    type Item = &'t str;

    #[inline]
    fn next(&mut self) -> Option<&'t str> {
        let pos = self.pos;
        if pos >= self.text.len() {
            return None;
        }
        let end = self.piece_end(pos);
        self.pos = end;
        Some(&self.text[pos..end])
    }
}

/// Splits `text` into BPE pieces exactly as o200k's regex does.
pub fn pieces(text: &str) -> Pieces<'_> {
    let classes = (!text.is_ascii()).then(classes);
    Pieces { text, pos: 0, classes }
}

/// Builds the Unicode class table now (otherwise built on the first non-ASCII text).
pub fn warm_up() {
    let _ = classes();
}

/// Every piece through the regex crate running [`PATTERN`] (the tests' oracle).
#[cfg(test)]
pub(crate) fn regex_pieces(text: &str) -> Vec<&str> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(PATTERN).expect("split pattern compiles"));
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let m = re.find_at(text, pos).expect("the split pattern matches every character");
        assert_eq!(m.start(), pos, "the split pattern matches every character");
        let mut end = m.end();
        let piece = m.as_str();
        // A whitespace-only piece not ending in a line break came from the final `\s+`
        // alternative; emulate `\s+(?!\S)` when a non-space follows it.
        if end < text.len() && !piece.ends_with(['\r', '\n']) && piece.chars().all(char::is_whitespace) {
            let last = piece.chars().next_back().map_or(0, char::len_utf8);
            if piece.len() > last {
                end -= last;
            }
        }
        out.push(&text[pos..end]);
        pos = end;
    }
    out
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
    fn class_table_matches_regex_for_every_code_point() {
        let table = classes();
        let res: Vec<(u8, regex::Regex)> =
            FLAG_CLASSES.iter().map(|&(f, p)| (f, regex::Regex::new(&format!("^{p}$")).unwrap())).collect();
        let mut buf = [0u8; 4];
        for cp in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(cp) else { continue };
            let s = c.encode_utf8(&mut buf);
            let mut want = if c == '\r' || c == '\n' { CRLF } else { 0 };
            for (f, re) in &res {
                if re.is_match(s) {
                    want |= f;
                }
            }
            let got = if cp < 128 { ASCII[cp as usize] } else { table.flags(cp) };
            assert_eq!(got, want, "U+{cp:04X}");
        }
    }

    #[test]
    fn only_long_s_folds_onto_a_contraction_letter() {
        // `(?i:'s|'t|'re|'ve|'m|'ll|'d)` as the regex crate folds each letter.
        for (letter, want) in [("s", "Ss\u{17F}"), ("t", "Tt"), ("r", "Rr"), ("e", "Ee"), ("v", "Vv"), ("m", "Mm"), ("l", "Ll"), ("d", "Dd")] {
            let got: String = class_ranges(&format!("(?i:{letter})"))
                .into_iter()
                .flat_map(|(a, b)| (a..=b).filter_map(char::from_u32))
                .collect();
            assert_eq!(got, want, "{letter}");
        }
    }

    /// One character of every combination of flags that occurs in Unicode (and the characters
    /// the pattern names: line breaks, space, apostrophe, slash, the contraction letters).
    fn unicode_alphabet() -> Vec<char> {
        let table = classes();
        let mut by_flags = std::collections::BTreeMap::new();
        for cp in 128..=0x10FFFFu32 {
            if let Some(c) = char::from_u32(cp) {
                by_flags.entry(table.flags(cp)).or_insert(c);
            }
        }
        let mut v: Vec<char> = by_flags.into_values().collect();
        v.extend(['a', 'B', 's', 'L', 'e', '1', ' ', '\t', '\n', '\r', '\'', '.', '/', '\u{17F}']);
        v
    }

    #[test]
    fn unicode_splitter_matches_regex_exhaustively() {
        let alpha = unicode_alphabet();
        assert!(alpha.len() >= 20, "{alpha:?}");
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
        rec(&alpha, &mut String::new(), 4);
    }

    #[test]
    fn unicode_splitter_matches_regex_on_random_text() {
        let mut alpha = unicode_alphabet();
        alpha.extend("日本語のテキスト한국어Привет мир مرحبا नमस्ते 🎉👍🏽 ǅʰ\u{301}٣Ⅻ½\u{a0}\u{3000}\u{85}\u{2028}—€’ſK".chars());
        let mut x: u64 = 0x0dd_ba11_cafe;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..4000 {
            let n = (next() % 60) as usize;
            let s: String = (0..n).map(|_| alpha[(next() % alpha.len() as u64) as usize]).collect();
            check_ascii(&s);
        }
        // Random code points of the whole range.
        for _ in 0..300 {
            let n = (next() % 200) as usize;
            let s: String = (0..n).filter_map(|_| char::from_u32((next() % 0x11_0000) as u32)).collect();
            check_ascii(&s);
        }
    }

    #[test]
    fn covers_everything() {
        let s = "Ünïcødé  \u{3000}x\r\n\r\n  ... //\n日本語 🎉🎉 a\u{301}";
        assert_eq!(split(s).concat(), s);
    }
}
