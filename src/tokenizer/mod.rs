//! The `o200k_harmony` tokenizer: embedded vocabulary, linear-time encoding, table decoding.
//!
//! One vocabulary exists per process. Decoding reads the embedded table directly and needs no
//! initialisation; neither do the encoder's lookup table (`table.rs`) and the pre-tokenizer's
//! Unicode class tables (`pretokenize.rs`), all built by `build.rs` and embedded.
//! No regex runs when encoding: the split pattern is transcribed in `pretokenize.rs`. The
//! merge table (token pair → merged token, `merges.rs`) is computed by `build.rs` and embedded,
//! so it costs no start-up work either; a long text remembers the pieces it has merged.

mod bpe;
mod chars;
mod hash;
mod merges;
mod pretokenize;
mod special;
mod table;
mod vocab;

pub use special::{
    special_id, special_name, SpecialToken, STOP_TOKENS, STOP_TOKENS_FOR_ASSISTANT_ACTIONS,
};
pub use vocab::{is_special, token_bytes, FIRST_SPECIAL, VOCAB_SIZE};

use crate::error::Error;
use bpe::Ranks;
use std::sync::OnceLock;

pub(crate) fn ranks() -> &'static Ranks {
    static RANKS: OnceLock<Ranks> = OnceLock::new();
    RANKS.get_or_init(Ranks::build)
}

/// Does the encoder's one start-up step (the ids of the 256 bytes) now rather than on the first
/// encode (e.g. before serving); every other table is embedded.
pub fn warm_up() {
    let _ = ranks();
}

/// Which special-token spellings in the text are encoded as special tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowedSpecial<'a> {
    /// None: all text is ordinary text (the safe default for user content).
    #[default]
    None,
    /// Every special token.
    All,
    /// Only these ids.
    Only(&'a [u32]),
}

impl AllowedSpecial<'_> {
    fn allows(&self, id: u32) -> bool {
        match self {
            AllowedSpecial::None => false,
            AllowedSpecial::All => true,
            AllowedSpecial::Only(ids) => ids.contains(&id),
        }
    }
}

/// Texts at least this long (or jobs of several texts this long in all) remember the tokens of
/// the pieces they merge (see [`PieceCache`]).
const CACHE_FROM: usize = 4096;

/// Appends the tokens of `text`, encoded as ordinary text (special-token spellings included).
pub fn encode_ordinary_into(text: &str, out: &mut Vec<u32>) {
    Encoder::for_len(text.len()).encode_ordinary_into(text, out)
}

/// The encoder of one job of several texts (the messages of one rendered conversation), which
/// all live as long as it does and whose tokens all go to one output, appended to in order:
/// the pieces it merges are remembered across its texts, so that a conversation whose text is
/// split into messages merges each distinct piece once, as one text of the same length would.
pub(crate) struct Encoder<'a> {
    cache: Option<PieceCache<'a>>,
    /// The output's length after the last text: an output found shorter (not the one the
    /// entries point into) empties the cache.
    out_len: usize,
}

impl<'a> Encoder<'a> {
    /// An encoder for texts of about `total` bytes in all.
    pub(crate) fn for_len(total: usize) -> Encoder<'a> {
        Encoder { cache: (total >= CACHE_FROM).then(|| PieceCache::new(total)), out_len: 0 }
    }

    /// Appends the tokens of `text`, encoded as ordinary text, to `out` (the output of the
    /// job's earlier texts, and what was appended since).
    pub(crate) fn encode_ordinary_into(&mut self, text: &'a str, out: &mut Vec<u32>) {
        let ranks = ranks();
        // The cache as a local for the loop (its fields stay in registers).
        let Some(mut cache) = self.cache.take() else {
            for piece in pretokenize::pieces(text) {
                match ranks.get(piece.as_bytes()) {
                    Some(id) => out.push(id),
                    None => merge(ranks, piece, out),
                }
            }
            return;
        };
        if out.len() < self.out_len {
            cache.clear();
        }
        for piece in pretokenize::pieces(text) {
            let bytes = piece.as_bytes();
            let h = table::hash(bytes); // one hash for the vocabulary and the cache
            if let Some(id) = ranks.get_hashed(bytes, h) {
                out.push(id);
                continue;
            }
            let set = cache.set(h);
            if !cache.entries[set].copy_if_holds(bytes, out) {
                cache.miss(ranks, piece, set, out);
            }
        }
        self.out_len = out.len();
        self.cache = Some(cache);
    }
}

/// Appends the tokens of `piece`, which is not itself a token, merged.
#[inline(always)]
fn merge(ranks: &Ranks, piece: &str, out: &mut Vec<u32>) {
    #[cfg(test)]
    tests::MERGES.with(|m| m.set(m.get() + 1));
    bpe::encode_str_piece(ranks, piece, out);
}

/// The pieces one job has merged (merging is a function of the piece's bytes, so a piece seen
/// before gets the tokens it got then, copied from earlier in the output): real text repeats
/// its words, and 33–96% of the bytes of multi-token pieces in the real-text benchmarks are
/// repeats. Two-way set-associative (the most recent entry of a set first, the older one
/// replaced: 5–7% fewer merges of repeated pieces than direct-mapped in the real-text classes),
/// one per job of long texts, an entry per 128 bytes of text between 256 and 8192 entries
/// (6–192 KiB: 8192 caught 4–6% more of European and Arabic/Indic text than 4096 in an
/// alternating A/B, 16384 no more; a short text does not zero a table it cannot fill); an entry
/// holds the earlier piece where it is in its text, and its tokens by their place in the
/// output, so nothing is copied in (copying pieces and tokens into arenas of the cache's own
/// cost 3.5% on every class).
struct PieceCache<'a> {
    entries: Box<[CacheEntry<'a>]>,
    bits: u32,
}

#[derive(Clone, Copy, Default)]
struct CacheEntry<'a> {
    /// The piece, in the text it was seen in (empty: no piece).
    piece: &'a [u8],
    /// Its tokens: `count` from `out` in the output.
    out: u32,
    count: u32,
}

impl CacheEntry<'_> {
    /// If the entry is the piece `bytes`, appends the tokens it got then and says so.
    #[inline(always)]
    fn copy_if_holds(self, bytes: &[u8], out: &mut Vec<u32>) -> bool {
        let holds = self.piece == bytes;
        if holds {
            out.extend_from_within(self.out as usize..(self.out + self.count) as usize);
        }
        holds
    }
}

impl<'a> PieceCache<'a> {
    const MIN_BITS: u32 = 8;
    const MAX_BITS: u32 = 13;

    fn new(text_len: usize) -> PieceCache<'a> {
        let bits = (text_len / 128).max(1).ilog2().clamp(Self::MIN_BITS, Self::MAX_BITS);
        PieceCache { entries: vec![CacheEntry::default(); 1 << bits].into_boxed_slice(), bits }
    }

    fn clear(&mut self) {
        self.entries.fill(CacheEntry::default());
    }

    /// Appends the tokens of `piece` (not itself a token), which is not the first entry of its
    /// set `set`: copied from the earlier output if it is the second (which then becomes the
    /// first), else merged and put first, the first becoming the second. Out of line, so that
    /// the loop over pieces, which most pieces leave at the vocabulary or at the first entry,
    /// stays small.
    #[inline(never)]
    fn miss(&mut self, ranks: &Ranks, piece: &'a str, set: usize, out: &mut Vec<u32>) {
        let bytes = piece.as_bytes();
        let first = self.entries[set];
        if self.entries[set + 1].copy_if_holds(bytes, out) {
            self.entries.swap(set, set + 1);
            return;
        }
        let start = out.len();
        merge(ranks, piece, out);
        // Past 4 Gi tokens of output, pieces are not remembered.
        if let (Ok(o), Ok(count)) = (u32::try_from(start), u32::try_from(out.len() - start)) {
            self.entries[set + 1] = first;
            self.entries[set] = CacheEntry { piece: bytes, out: o, count };
        }
    }

    /// The first of the two entries of the set of a piece whose [`table::hash`] is `h`.
    #[inline]
    fn set(&self, h: u64) -> usize {
        ((h >> (64 - (self.bits - 1))) as usize) << 1
    }
}

/// Encodes `text` as ordinary text.
pub fn encode_ordinary(text: &str) -> Vec<u32> {
    let mut out = Vec::with_capacity(text.len() / 4 + 1);
    encode_ordinary_into(text, &mut out);
    out
}

/// Encodes `text`, turning the spellings of `allowed` special tokens into those tokens.
pub fn encode(text: &str, allowed: AllowedSpecial<'_>) -> Vec<u32> {
    let mut out = Vec::with_capacity(text.len() / 4 + 1);
    if allowed == AllowedSpecial::None {
        encode_ordinary_into(text, &mut out);
        return out;
    }
    let mut start = 0;
    let allow = |id| allowed.allows(id);
    while let Some((s, e, id)) = special::find_special(text, start, &allow) {
        encode_ordinary_into(&text[start..s], &mut out);
        out.push(id);
        start = e;
    }
    encode_ordinary_into(&text[start..], &mut out);
    out
}

/// Appends the bytes of `tokens` to `out`; fails on the first id outside the vocabulary.
pub fn decode_bytes_into(tokens: &[u32], out: &mut Vec<u8>) -> Result<(), Error> {
    for &t in tokens {
        out.extend_from_slice(token_bytes(t).ok_or(Error::UnknownToken(t))?);
    }
    Ok(())
}

/// The bytes of `tokens`.
pub fn decode_bytes(tokens: &[u32]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(tokens.len() * 4);
    decode_bytes_into(tokens, &mut out)?;
    Ok(out)
}

/// Decodes `tokens` to text; fails on unknown ids and on bytes that are not UTF-8.
pub fn decode_utf8(tokens: &[u32]) -> Result<String, Error> {
    String::from_utf8(decode_bytes(tokens)?).map_err(|e| Error::InvalidUtf8 {
        context: "decoded tokens".into(),
        detail: e.utf8_error().to_string(),
    })
}

/// Decodes `tokens`, replacing invalid UTF-8 with U+FFFD; fails only on unknown ids.
pub fn decode_lossy(tokens: &[u32]) -> Result<String, Error> {
    Ok(String::from_utf8_lossy(&decode_bytes(tokens)?).into_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn heap_and_scan_merges_agree() {
        let ranks = ranks();
        let samples = [
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "supercalifragilisticexpialidociousantidisestablishmentarianism",
            "日本語のテキストを分割します日本語のテキストを分割します",
            "                                                     ",
            "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉",
        ];
        for s in samples {
            let (mut a, mut b) = (vec![], vec![]);
            bpe::merge_scan(ranks, s.as_bytes(), &mut a);
            bpe::merge_heap(ranks, s.as_bytes(), &mut b);
            assert_eq!(a, b, "{s}");
        }
    }

    #[test]
    fn the_piece_cache_gives_what_merging_gives() {
        // Long text (so the cache is on) of repeated multi-token pieces, many more distinct
        // ones than the cache has entries (so slots are overwritten), and pieces that share a
        // slot's hash prefix but not their bytes.
        let ranks = ranks();
        let mut next = bpe::tests::xorshift(9);
        let words = ["日本語のテキスト", "分割します", "supercalifragilistic", "Überprüfung", "Ĕƀŏ", "🎉🎉🎊"];
        let mut text = String::new();
        while text.len() < 300_000 {
            match next() % 3 {
                0 => text.push_str(words[(next() % words.len() as u64) as usize]),
                // Rare letters make multi-token pieces; 8^6 spellings keep most of them new.
                1 => (0..6).for_each(|_| text.push(b"qxzjkvwf"[(next() % 8) as usize] as char)),
                _ => (0..4).for_each(|_| text.push(['ĕ', 'ŏ', 'ƀ', 'ǩ'][(next() % 4) as usize])),
            }
            text.push(if next() % 5 == 0 { '\n' } else { ' ' });
        }
        // Pieces of the same length that share a set but differ in their last bytes (only the
        // comparison of the whole piece tells them apart), three to a set (one more than it
        // holds, so that each evicts one of the others).
        let by_set = words_by_set(" abcdefghijklmnop");
        let triples: Vec<&Vec<String>> = by_set.values().filter(|v| v.len() > 2).take(50).collect();
        assert!(triples.len() == 50);
        for _ in 0..20 {
            for set in &triples {
                set[..3].iter().for_each(|w| text.push_str(w));
            }
        }
        assert!(text.len() >= CACHE_FROM);
        let cache = PieceCache::new(text.len());
        let mut expected = vec![];
        let mut merged = std::collections::HashMap::<usize, std::collections::HashSet<&str>>::new();
        let mut repeats = 0;
        for piece in pretokenize::pieces(&text) {
            match ranks.get(piece.as_bytes()) {
                Some(id) => expected.push(id),
                None => {
                    bpe::encode_piece(ranks, piece.as_bytes(), &mut expected);
                    repeats += !merged.entry(cache.set(table::hash(piece.as_bytes()))).or_default().insert(piece) as usize;
                }
            }
        }
        // The text exercises what it says: repeated pieces, and slots shared by distinct pieces.
        assert!(repeats > 1000, "{repeats} repeated pieces");
        assert!(merged.values().any(|s| s.len() > 2), "no three pieces share a set");
        let mut got = vec![1, 2]; // what is already in the output stays, and is never copied
        encode_ordinary_into(&text, &mut got);
        assert_eq!(&got[..2], &[1, 2]);
        assert_eq!(got[2..], expected[..]);
    }

    /// The pieces `stem` + three letters (one piece each: a space and letters), by their set in
    /// the widest table (sharing it, they share one in every size of table).
    fn words_by_set(stem: &str) -> std::collections::HashMap<usize, Vec<String>> {
        let mut by_set = std::collections::HashMap::<usize, Vec<String>>::new();
        for i in 0..26 * 26 * 26 {
            let tail: String = [i / 676, i / 26 % 26, i % 26].iter().map(|&k| (b'a' + k as u8) as char).collect();
            let w = format!("{stem}{tail}");
            by_set.entry((table::hash(w.as_bytes()) >> (64 - (PieceCache::MAX_BITS - 1))) as usize).or_default().push(w);
        }
        by_set
    }

    thread_local! {
        /// Pieces this thread's encodes merged (that the cache, if any, did not have).
        pub(crate) static MERGES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn a_set_of_the_piece_cache_keeps_two_pieces() {
        // Two multi-token pieces of one set, alternating, are each merged once; a third one of
        // the set evicts the one used least recently.
        let ranks = ranks();
        let by_set = words_by_set(" qzxjkqzxjk");
        assert!(by_set.values().flatten().all(|w| ranks.get(w.as_bytes()).is_none()));
        let set = by_set.values().find(|v| v.len() > 2).expect("three pieces of one set");
        let (a, b, c) = (&set[0], &set[1], &set[2]);
        let misses = |text: &str| {
            merges_of(|| {
                assert_eq!(encode_ordinary(text), pretokenize::pieces(text).flat_map(|p| {
                    let mut v = vec![];
                    bpe::encode_piece(ranks, p.as_bytes(), &mut v);
                    v
                }).collect::<Vec<_>>())
            })
        };
        let big = |unit: String| unit.repeat((1 << 20) / unit.len() + 1);
        // Texts of 1 MB: the cache's largest table, whose set these pieces share.
        assert_eq!(misses(&big(format!("{a}{b}"))), 2);
        // a b a c a b ...: c evicts b (a was used since), b then evicts c; a stays.
        let n = misses(&big(format!("{a}{b}{a}{c}")));
        let units = (1 << 20) / format!("{a}{b}{a}{c}").len() + 1;
        assert_eq!(n, 1 + 2 * units);
    }

    /// Multi-token pieces (a space and rare letters), `n` distinct ones, at most two to a set of
    /// the smallest cache (so that it holds them all), in a text of about `len` bytes that
    /// repeats them.
    pub(crate) fn repeated_rare_words(n: usize, len: usize) -> String {
        let mut per_set = std::collections::HashMap::<u64, usize>::new();
        let mut all: Vec<String> = words_by_set(" qzxjkvq").into_values().flatten().collect();
        all.sort(); // the same words on every call
        let words: Vec<String> = all
            .into_iter()
            .filter(|w| {
                let k = per_set.entry(table::hash(w.as_bytes()) >> (64 - (PieceCache::MIN_BITS - 1))).or_default();
                *k += 1;
                *k <= 2
            })
            .take(n)
            .collect();
        assert_eq!(words.len(), n);
        assert!(words.iter().all(|w| ranks().get(w.as_bytes()).is_none()));
        words.iter().cycle().scan(0, |l, w| { *l += w.len(); (*l <= len).then_some(w.as_str()) }).collect()
    }

    pub(crate) fn merges_of(f: impl FnOnce()) -> usize {
        MERGES.with(|m| m.set(0));
        f();
        MERGES.with(|m| m.get())
    }

    #[test]
    fn an_encoder_remembers_pieces_across_its_texts() {
        // Two texts too short for a cache of their own, long enough together: each distinct
        // piece is merged once, and the tokens are those of each text encoded alone, whatever
        // the job appends to the output in between.
        let (a, b) = (repeated_rare_words(100, 3000), repeated_rare_words(100, 2000));
        assert!(a.len() < CACHE_FROM && b.len() < CACHE_FROM && a.len() + b.len() >= CACHE_FROM);
        let mut expected = encode_ordinary(&a);
        expected.push(200006);
        expected.extend(encode_ordinary(&b));
        let mut out = vec![];
        let merges = merges_of(|| {
            let mut enc = Encoder::for_len(a.len() + b.len());
            enc.encode_ordinary_into(&a, &mut out);
            out.push(200006);
            enc.encode_ordinary_into(&b, &mut out);
        });
        assert_eq!(out, expected);
        assert_eq!(merges, 100);
        // Separately, each text merges its pieces every time it meets them.
        assert!(merges_of(|| { encode_ordinary(&b); }) > 100);
    }

    #[test]
    fn an_encoder_given_a_shorter_output_forgets_what_it_pointed_into() {
        let (a, b) = (repeated_rare_words(50, 6000), repeated_rare_words(50, 6000));
        let mut enc = Encoder::for_len(a.len() + b.len());
        let mut out = vec![];
        enc.encode_ordinary_into(&a, &mut out);
        out.clear();
        enc.encode_ordinary_into(&b, &mut out);
        assert_eq!(out, encode_ordinary(&b));
    }

    #[test]
    fn every_size_of_piece_cache_gives_what_merging_gives() {
        // From the smallest table (texts just long enough to have one) to the largest.
        let ranks = ranks();
        let mut next = bpe::tests::xorshift(3);
        for len in [CACHE_FROM, 300_000, 1 << 20] {
            let mut text = String::new();
            while text.len() < len {
                (0..1 + next() % 7).for_each(|_| text.push(['q', 'x', 'ĕ', 'ŏ', '日', 'z'][(next() % 6) as usize]));
                text.push(' ');
            }
            let bits = PieceCache::new(text.len()).bits;
            match len {
                CACHE_FROM => assert_eq!(bits, PieceCache::MIN_BITS),
                300_000 => assert!(bits > PieceCache::MIN_BITS && bits < PieceCache::MAX_BITS),
                _ => assert_eq!(bits, PieceCache::MAX_BITS),
            }
            let mut expected = vec![];
            for piece in pretokenize::pieces(&text) {
                match ranks.get(piece.as_bytes()) {
                    Some(id) => expected.push(id),
                    None => bpe::encode_piece(ranks, piece.as_bytes(), &mut expected),
                }
            }
            assert_eq!(encode_ordinary(&text), expected, "{len} bytes, {bits}-bit cache");
        }
    }

    #[test]
    fn specials_are_text_unless_allowed() {
        let t = encode_ordinary("<|start|>");
        assert!(!t.contains(&200006));
        assert_eq!(encode("<|start|>", AllowedSpecial::All), vec![200006]);
        assert_eq!(decode_utf8(&t).unwrap(), "<|start|>");
    }

    #[test]
    fn long_runs_are_fast_and_lossless() {
        let s = "a".repeat(1 << 20);
        let t = encode_ordinary(&s);
        assert_eq!(decode_utf8(&t).unwrap(), s);
    }
}
