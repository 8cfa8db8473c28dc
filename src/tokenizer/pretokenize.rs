//! Splits text into the pieces the o200k BPE is applied to, in linear time, without a regex.
//!
//! o200k's split pattern (kept below as [`PATTERN`], the tests' oracle) ends in
//! `\s+(?!\S)|\s+`, a look-ahead that forces a backtracking engine (the reference uses
//! fancy-regex, which can fail or panic on long inputs). [`Pieces`] is a direct transcription
//! of the pattern's leftmost-first semantics over per-character classes: each code point gets a
//! byte of flags (`[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`, `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`, `\p{L}`,
//! `\p{N}`, `\s`), from a constant table for ASCII, or from tables indexed by the bytes of the
//! character's UTF-8 encoding (shifted together, not assembled into a code point), built by
//! `build.rs` from `regex-syntax`'s Unicode tables (the same crate and version the regex
//! engines use) and embedded. Each alternative is decided by scanning runs of one class, so
//! every piece costs time linear in its length whatever the script (a page of Chinese is a few
//! long pieces; the regex engine re-entered its automaton at every piece). ASCII letters, the
//! bulk of most text, are scanned by loops of their own, without the table (lower-case ones
//! eight bytes at a time); within a word, wide (non-ASCII) letters are scanned one after
//! another, going back to the ASCII loop only at an ASCII letter. The first character of a
//! piece, and the one after a prefix, is decoded once: the word scan goes on from it.
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

// Flags of non-ASCII characters, by the bytes of their UTF-8 encoding (built by `build.rs` from
// `regex-syntax`'s Unicode tables and embedded: nothing is built at run time). Every index is
// masked into its table, so none is bounds-checked but the 4-byte index's.
/// U+0000..U+07FF by `(b0 << 6 ^ b1) & 0x7FF` for a 2-byte character `b0 b1`: its code point
/// XOR 0x80, the marker bit of `b1` (that of `b0` is shifted out), so that no byte is masked.
static CLASS_2: &[u8; 0x800] = include_bytes!(concat!(env!("OUT_DIR"), "/class_2.bin"));
/// U+0000..U+FFFF by `(b0 << 12 ^ b1 << 6 ^ b2) & 0xFFFF` for a 3-byte character: its code
/// point XOR 0x2080, the marker bits of `b1` and `b2` (one load, where a two-level table would
/// take two; only the blocks a text uses are ever read).
static CLASS_3: &[u8; 0x1_0000] = include_bytes!(concat!(env!("OUT_DIR"), "/class_3.bin"));
/// The same for 4-byte characters, by the 3 + 6 + 6 payload bits of their first three bytes.
static CLASS_4_INDEX: &[u8; 0x4400] = include_bytes!(concat!(env!("OUT_DIR"), "/class_4_index.bin"));
static CLASS_4_BLOCKS: &[u8; 0x4000] = include_bytes!(concat!(env!("OUT_DIR"), "/class_4_blocks.bin"));

/// Flags and length of the non-ASCII character whose first byte `b0` is `s[i]` (`s` is UTF-8 and
/// `i` a character boundary, so its continuation bytes exist).
#[inline(always)]
fn wide(s: &[u8], i: usize, b0: u8) -> (u8, usize) {
    // Indexed from `i` (which the caller has checked), so that the furthest byte's bounds check
    // covers the nearer ones'.
    let t = &s[i..];
    let b0 = b0 as usize;
    if b0 < 0xE0 {
        let b1 = t[1] as usize;
        (CLASS_2[(b0 << 6 ^ b1) & 0x7FF], 2)
    } else if b0 < 0xF0 {
        let (b2, b1) = (t[2] as usize, t[1] as usize);
        (CLASS_3[(b0 << 12 ^ b1 << 6 ^ b2) & 0xFFFF], 3)
    } else {
        let (b3, b2, b1) = (t[3] as usize, t[2] as usize, t[1] as usize);
        let block = CLASS_4_INDEX[(b0 & 0x07) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F)] as usize;
        (CLASS_4_BLOCKS[block << 6 | (b3 & 0x3F)], 4)
    }
}

/// Flags and length of the character whose first byte `b` is `s[i]`.
#[inline(always)]
fn at(s: &[u8], i: usize, b: u8) -> (u8, usize) {
    if b < 0x80 {
        (ASCII[b as usize], 1)
    } else {
        wide(s, i, b)
    }
}

/// Flags of `c`, through the tables the splitter uses.
#[cfg(test)]
fn flags_of(c: char) -> u8 {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf).as_bytes();
    let (f, len) = at(s, 0, s[0]);
    assert_eq!(len, s.len());
    f
}

/// `[^\s\p{L}\p{N}]`, the class of alternative 4's run: a character with none of these.
const NOT_PUNCT: u8 = S | L | N;

/// Iterator over the pieces of `text`, as string slices that together cover all of it.
pub struct Pieces<'t> {
    /// The text not yet split (pieces are found from its start, at 0: no offset is carried,
    /// and taking a piece off checks one character boundary, not two).
    rest: &'t str,
}

/// Skips ASCII lower-case letters from `i`, the common case, without the table or decoding:
/// eight at a time (their high bits say which are `a..=z`), one at a time in the last seven
/// bytes. Returns where they end and the byte there (0 at the end of the text, which no test
/// below takes for a letter or an apostrophe).
#[inline(always)]
fn skip_lower(s: &[u8], mut i: usize) -> (usize, u8) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    while let Some(chunk) = s.get(i..i + 8) {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap());
        let y = x & (0x7F * ONES); // no carry crosses a byte below
        let lower = (y + (0x80 - b'a' as u64) * ONES) & !(y + (0x80 - b'z' as u64 - 1) * ONES) & !x;
        let other = !lower & (0x80 * ONES);
        if other != 0 {
            // The stopping byte's high bit is bit 8k + 7: the byte is the chunk's k-th.
            let bit = other.trailing_zeros();
            return (i + (bit / 8) as usize, (x >> (bit & 56)) as u8);
        }
        i += 8;
    }
    loop {
        match s.get(i) {
            Some(b) if b.is_ascii_lowercase() => i += 1,
            Some(&b) => return (i, b),
            None => return (i, 0),
        }
    }
}

impl<'t> Pieces<'t> {
    /// End of the run of `[W]` from `i` and the byte there (0 at the end of the text), `ascii`
    /// saying whether the character before `i` was ASCII (a constant at every call): after an
    /// ASCII letter the run most likely goes on in ASCII, eight bytes at a time; after a wide
    /// (non-ASCII) one, a word of another script goes on one wide character after another,
    /// without paying the eight-byte check before each. No ASCII character but `a..=z` is W.
    #[inline(always)]
    fn run_w(&self, i: usize, ascii: bool) -> (usize, u8) {
        let s = self.rest.as_bytes();
        // After a wide character: the next one, or the ASCII loop at an ASCII letter.
        let after_wide = |i: usize| match s.get(i) {
            Some(&b) if b >= 0x80 => (i, b),
            Some(b) if b.is_ascii_lowercase() => skip_lower(s, i + 1),
            Some(&b) => (i, b),
            None => (i, 0),
        };
        let (mut i, mut b) = if ascii { skip_lower(s, i) } else { after_wide(i) };
        // `b`, at `i`, is not an ASCII letter.
        while b >= 0x80 {
            let (f, len) = wide(s, i, b);
            if f & W == 0 {
                break;
            }
            (i, b) = after_wide(i + len);
        }
        (i, b)
    }

    /// Length of `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i` (0 if none), `b` being the byte at `i`
    /// (0 at the end of the text). The alternatives start with distinct letters, so at most
    /// one can match. Case-insensitively `s` also matches U+017F LATIN SMALL LETTER LONG S
    /// (simple case folding); no other non-ASCII character folds to one of these letters
    /// (checked by a test).
    #[inline(always)]
    fn contraction(&self, i: usize, b: u8) -> usize {
        let s = self.rest.as_bytes();
        if b != b'\'' {
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

    /// End of `[W]+C?` (C: a contraction) whose `[W]+` goes on at `i`, `ascii` as for
    /// [`Self::run_w`].
    #[inline(always)]
    fn w_end(&self, i: usize, ascii: bool) -> usize {
        let (e, b) = self.run_w(i, ascii);
        e + self.contraction(e, b)
    }

    /// Alternative 1 without its prefix at `q`, `[U]*[W]+C?`, else (if `upper`) alternative 2
    /// without its prefix, `[U]+[W]*C?`; None if neither matches. The characters of `q..i` are
    /// already scanned, all U (the caller decoded them), `last_w` being the end of the last of
    /// them that is also W (0: none).
    #[inline(always)]
    fn word_from(&self, q: usize, mut i: usize, mut last_w: usize, upper: bool) -> Option<usize> {
        let s = self.rest.as_bytes();
        // Greedy `[U]*` takes the longest U run it can while `[W]+` still matches after it:
        // the whole run if the character stopping it is W (then `[W]+` takes the W run from
        // there); otherwise up to its last character that is also W (Lm, Lo, M), which `[W]+`
        // then takes alone (what follows it in the run is Lu/Lt, the stopper is not W). If
        // there is none, alternative 1 fails, and alternative 2 takes the U run (`[W]*` takes
        // nothing: the stopper is not W).
        let stop = loop {
            let Some(&b) = s.get(i) else { break 0 };
            if b < 0x80 {
                // ASCII capitals, the common case, without the table; no other ASCII character
                // is U, none but `a..=z` is W.
                if b.is_ascii_uppercase() {
                    i += 1;
                    continue;
                }
                if b.is_ascii_lowercase() {
                    return Some(self.w_end(i + 1, true));
                }
                break b;
            }
            let (f, len) = wide(s, i, b);
            if f & U == 0 {
                if f & W != 0 {
                    return Some(self.w_end(i + len, false));
                }
                break 0; // not an apostrophe
            }
            i += len;
            if f & W != 0 {
                last_w = i;
            }
        };
        // A contraction can only follow at the stopper `i` (byte `stop`): a character of the
        // run after `last_w` is Lu/Lt, no apostrophe.
        let e = if last_w == i || (last_w == 0 && upper && i > q) {
            i
        } else if last_w != 0 {
            return Some(last_w);
        } else {
            return None;
        };
        Some(e + self.contraction(e, stop))
    }

    /// [`Self::word_from`] `q` where the character at `q` is a letter (U or W: one of the
    /// alternatives matches) with flags `f` and length `len`.
    #[inline(always)]
    fn letter_word(&self, q: usize, f: u8, len: usize) -> Option<usize> {
        if f & U != 0 {
            self.word_from(q, q + len, if f & W != 0 { q + len } else { 0 }, true)
        } else {
            Some(self.w_end(q + len, len == 1))
        }
    }

    /// End of alternative 4's `[^\s\p{L}\p{N}]*[\r\n/]*` from `e`.
    #[inline(always)]
    fn punct(&self, mut e: usize) -> usize {
        let s = self.rest.as_bytes();
        while let Some(&b) = s.get(e) {
            let (f, len) = at(s, e, b);
            if f & NOT_PUNCT != 0 {
                break;
            }
            e += len;
        }
        while e < s.len() && matches!(s[e], b'\r' | b'\n' | b'/') {
            e += 1;
        }
        e
    }

    /// End of the piece at the start of the (non-empty) rest, look-ahead emulation included.
    #[inline(always)]
    fn piece_end(&self) -> usize {
        let s = self.rest.as_bytes();
        let p = 0;
        let b = s[p];
        // Alternatives 1 and 2, each first with the optional prefix `[^\r\n\p{L}\p{N}]`, then
        // without. A letter is no prefix, and is U or W: one of the two matches from it.
        let (c, clen) = if b < 0x80 {
            let c = ASCII[b as usize];
            if c & L != 0 {
                if c & W != 0 {
                    return self.w_end(p + 1, true);
                }
                if let Some(e) = self.word_from(p, p + 1, 0, true) {
                    return e;
                }
            }
            (c, 1)
        } else {
            let (c, clen) = wide(s, p, b);
            if c & L != 0 {
                if let Some(e) = self.letter_word(p, c, clen) {
                    return e;
                }
            } else if c & (U | W) != 0 && c & (CRLF | N) == 0 {
                // A mark (U and W, not a letter) is a prefix: alternative 1 with it as the
                // prefix, else alternative 1 from it, which matches (alternative 2 is never
                // reached).
                if let Some(e) = self.word_from(p + clen, p + clen, 0, false) {
                    return e;
                }
                if let Some(e) = self.word_from(p, p, 0, false) {
                    return e;
                }
            }
            (c, clen)
        };
        let prefix = c & (CRLF | L | N) == 0;
        // Flags of the character after a prefix (at the end, a space's: neither a word's nor
        // punctuation).
        let mut next = S;
        if prefix {
            // Alternative 1 or 2 matches after the prefix if the next character is U or W
            // (it is a letter or a mark, and scanned from there as `letter_word` does), and
            // neither does otherwise (nor from `c`, which is not U).
            let q = p + clen;
            if let Some(&b) = s.get(q) {
                let len;
                (next, len) = at(s, q, b);
                if next & (U | W) != 0 {
                    if let Some(e) = self.letter_word(q, next, len) {
                        return e;
                    }
                }
            }
        }
        // Alternative 3: \p{N}{1,3}.
        if c & N != 0 {
            let mut e = p + clen;
            for _ in 0..2 {
                match s.get(e) {
                    Some(&b) => {
                        let (f, len) = at(s, e, b);
                        if f & N == 0 {
                            break;
                        }
                        e += len;
                    }
                    None => break,
                }
            }
            return e;
        }
        // Alternative 4: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`.
        if c & NOT_PUNCT == 0 {
            return self.punct(p + clen);
        }
        if s[p] == b' ' && next & NOT_PUNCT == 0 {
            return self.punct(p + 1);
        }
        // c is whitespace. Alternative 5, `\s*[\r\n]+`: the greedy \s* backs off to the last line
        // break of the whitespace run, which [\r\n]+ then takes.
        let mut w = p;
        let mut last_break = 0; // 0: none (an end is > p)
        let mut last_len = 1;
        while let Some(&b) = s.get(w) {
            let (f, len) = at(s, w, b);
            if f & S == 0 {
                break;
            }
            if f & CRLF != 0 {
                last_break = w + 1;
            }
            last_len = len;
            w += len;
        }
        if last_break != 0 {
            return last_break;
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

    #[inline(always)]
    fn next(&mut self) -> Option<&'t str> {
        if self.rest.is_empty() {
            return None;
        }
        let (piece, rest) = self.rest.split_at(self.piece_end());
        self.rest = rest;
        Some(piece)
    }
}

/// Splits `text` into BPE pieces exactly as o200k's regex does.
pub fn pieces(text: &str) -> Pieces<'_> {
    Pieces { rest: text }
}

#[cfg(test)]
fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::Parser::new().parse(pattern).expect("class pattern parses");
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().map(|r| (r.start() as u32, r.end() as u32)).collect(),
        _ => unreachable!("{pattern} is a Unicode class"),
    }
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
    fn letter_runs_of_every_length_end_where_the_regex_ends_them() {
        // The runs are scanned eight bytes at a time: each length and position of the character
        // that stops them (every ASCII one, the first and last lower-case letters' neighbours,
        // non-ASCII letters, a mark, a space, a digit, punctuation), after ASCII and non-ASCII
        // starts.
        let mut stops: Vec<char> = (0..128u8).map(char::from).collect();
        stops.extend(['é', 'É', 'ß', '日', '\u{301}', '\u{3000}', '٣', '—', '🎉', 'ſ']);
        for start in ["", " ", "A", " Ab", "é", " ﬁ", "'", "\n"] {
            for len in 0..20 {
                let run: String = (0..len).map(|k| ['a', 'z', 'q', 'm'][k % 4]).collect();
                for &stop in &stops {
                    check_ascii(&format!("{start}{run}{stop}"));
                    check_ascii(&format!("{start}{run}{stop}xyzwvutsrqp {run}"));
                }
            }
        }
    }

    #[test]
    fn wide_letter_runs_end_where_the_regex_ends_them() {
        // Words of wide (non-ASCII) letters are scanned one wide character after another and go
        // back to the eight-byte ASCII loop at an ASCII letter: runs of every length mixing wide
        // letters of each length and class (lower-case, capital, Lo, Lm, Lt, marks) with ASCII
        // ones, after every kind of start and before every ASCII character, wide stoppers, an
        // apostrophe and the end of the text.
        let mixes: [&[char]; 9] = [
            &['ж', 'é', 'ⱥ', '𝐚'],
            &['ж', 'a', 'é', 'z', 'ⱥ', 'q', '𝐚', 'm'],
            &['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'ж'],
            &['日', '\u{301}', 'क', '\u{94d}', '𠀀', 'ʰ'],
            &['Ж', 'É', 'ж', 'é'],
            &['Ж', 'ж', 'A', 'a', '日', 'ǅ', 'ʰ', 'Z'],
            &['É', 'A', 'Ж', '𝐀', 'ǅ'],
            &['ʰ', 'Ж', '\u{301}', 'A', '日'],
            &['ж', 'ж', 'ж', 'ж', 'ж', 'ж', 'ж', 'ж', 'ж', 'a'],
        ];
        let mut stops: Vec<String> = (0..128u8).map(|b| char::from(b).to_string()).collect();
        stops.extend(["é", "É", "日", "\u{301}", "\u{3000}", "\u{a0}", "٣", "—", "🎉", "ſ", "’", "'s", "'ſ", "'ll", ""].map(String::from));
        for start in ["", " ", "A", "ж", "Ж", "'", "\n", "\u{301}", "日", "—"] {
            for mix in mixes {
                for len in 0..14 {
                    for offset in [0, 1] {
                        let run: String = (0..len).map(|k| mix[(k + offset) % mix.len()]).collect();
                        for stop in &stops {
                            check_ascii(&format!("{start}{run}{stop}"));
                            check_ascii(&format!("{start}{run}{stop}жé xyz"));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn class_table_matches_regex_for_every_code_point() {
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
            let got = flags_of(c);
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
        let mut by_flags = std::collections::BTreeMap::new();
        for cp in 128..=0x10FFFFu32 {
            if let Some(c) = char::from_u32(cp) {
                by_flags.entry(flags_of(c)).or_insert(c);
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
