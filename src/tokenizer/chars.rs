//! Characters that can start a merge already merged.
//!
//! Merging a piece of CJK, Cyrillic, Arabic or Indic text from its bytes spends most of its
//! merges inside characters (a Chinese character is three bytes and usually one token). For
//! many characters those merges provably end in the character's own token before anything
//! across the character's edges merges, so the merge can start from that token instead of its
//! bytes: a third of the parts and a fraction of the merges for CJK.
//!
//! Why it is exact. Merging is monotone on o200k: every merge makes a token of a higher rank
//! than both its parts (`build.rs` asserts it for every token), so a merge of any piece takes
//! ranks in increasing order, each rank's pairs left to right. Take a character `c` whose bytes
//! are a token `T` that merging them alone reaches. Merging `c`'s bytes alone only ever joins
//! pairs of rank ≤ `T`. Any merge that joins part of `c` with bytes outside it makes a token
//! holding a proper part of `c`: one that ends with a proper prefix of `c` after the byte
//! before `c`, or starts with a proper suffix of `c` before the first byte after `c` (in valid
//! UTF-8 the text around `c` starts and ends at character edges). If every such token has a
//! rank above `T` (checked against the whole vocabulary for the actual byte before and byte
//! after, by `build.rs`), then up to rank `T` nothing joins `c` with its neighbours, `c`'s own
//! merges happen exactly as alone and make `T`; and starting from `T` changes nothing before
//! rank `T` either, because any pair `(T, x)` or `(x, T)` merges into a token above `T`
//! (monotone). By induction on the rank, merging from bytes and merging with such characters
//! pre-merged pass through the same parts outside those characters at every rank, and end
//! equal. Every pair the pre-merged merge meets is one the byte merge meets, so the merge
//! table (`merges.rs`) still answers it.
//!
//! The argument does not need `c` to end as one token. If merging `c`'s bytes alone ends in
//! two or three tokens (most emoji, rarer CJK characters: `"\xf0\x9f\x98"` and `"\x87"`),
//! let `R` be the highest rank of a merge it makes (its longest token's); if every token that
//! joins a proper part of `c` with the bytes around it ranks above `R`, then up to rank `R`
//! nothing crosses `c`'s edges and `c` becomes exactly those tokens, which never merge with
//! each other (merging alone would have joined them), and starting from them is exact by the
//! same induction. Such characters are in the table if they are assigned and below U+20000
//! (that bounds it at about 80k characters); the scan starts them as their tokens, the heap
//! only characters of one token (a heap part is a character).
//!
//! Measured on the installed gettext catalogues: 94–95% of the non-ASCII characters of
//! Chinese, Japanese, Arabic and Greek text, 87% of Russian, 70% of Korean and 67% of Hindi
//! qualify as one token; the others start as bytes, or as their tokens. In the emoji-chat
//! benchmark 59% of the non-ASCII characters started merged as one token; starting the others
//! as their tokens cut its instructions per byte by 14.6% (79.7 to 68.1). (A character right
//! after a space rarely qualifies: tokens such as `" \xe5"` join a space with the first byte
//! of a CJK character.)
//!
//! The same holds for a span of more than one character: a piece that starts with a space and
//! a character `c` (most words of scripts other than Latin, `" \u{627}..."`) can start from
//! the token `" c"` (if merging `" c"` alone reaches it) when every token that starts with a
//! proper suffix of the span (`c` itself, or a proper suffix of `c`) followed by the first byte
//! after it ranks above `" c"` (nothing is before the span). Measured on the real-text
//! benchmarks, this cut the encoder's instructions per byte by 6.4% for Arabic/Indic text,
//! 3.4% for CJK, 2.2% for European and 1.7% for emoji chat (the character after a space
//! mostly cannot start merged alone).
//!
//! Where a three-byte character cannot start merged (in Indic text mostly a vowel sign or
//! virama after a consonant, which tokens such as `"क\xe0\xa4"` join before the sign is
//! whole), its first two bytes often can: the same argument for the span of its lead byte and
//! first continuation byte, when they are a token `P` ([`prefix`]): every token that joins the
//! lead byte with the byte before it (ending with those two bytes) and every token that joins
//! the continuation byte with the third byte (starting with those two) must rank above `P`.
//! The first condition is a mask per prefix over the byte before, the second a bit per
//! character (`build.rs`); the third byte then starts as a byte. (Only the scan starts
//! characters so; the heap's parts are whole characters or bytes.)
//!
//! Layout (built by `build.rs`, embedded): a character's number plus one (0: not in the
//! table) in `CHAR_2` and `CHAR_3` for characters of two and three bytes, one `u32` each at
//! the index their bytes make shifted and XORed (the code point XOR 0x80, XOR 0x2080: no code
//! point assembled, no bounds check), and for four-byte characters in `INDEX`, per code point
//! of a block of 256, the block named by `BLOCKS` (one `u16` per 256 code points; 0: none);
//! `RECORDS`, 16 bytes per character: its one to three tokens ([`Tokens`]), a `u16` mask
//! number, a `u16` mask number for the span of a space and the character, and that span's
//! token plus one (0: none); `MASKS`, six `u64` per distinct mask (padded to [`MASK_SLOTS`]):
//! bits 0..192, merged start allowed after byte `b` (an ASCII or continuation byte); bits
//! 192..384, allowed before first byte `l` (ASCII at `l`, a lead byte at `l - 0x40`). About
//! 1.1 MiB in all.

static BLOCKS: &[u8; 0x4000] = include_bytes!(concat!(env!("OUT_DIR"), "/char_blocks.bin"));
static INDEX: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/char_index.bin"));
static CHAR_2: &[u8; 0x2000] = include_bytes!(concat!(env!("OUT_DIR"), "/char_2.bin"));
static CHAR_3: &[u8; 0x40000] = include_bytes!(concat!(env!("OUT_DIR"), "/char_3.bin"));
static RECORDS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/char_records.bin"));
static MASKS: &[u8; MASK_SLOTS * 48] = include_bytes!(concat!(env!("OUT_DIR"), "/char_masks.bin"));

static PREFIXES: &[u8; 1024 * 32] = include_bytes!(concat!(env!("OUT_DIR"), "/char_prefixes.bin"));
static PREFIX_OK: &[u8; 0x2000] = include_bytes!(concat!(env!("OUT_DIR"), "/char_prefix_ok.bin"));

/// Masks the table has room for (`build.rs` pads it to them): a power of two, so that a mask
/// number masked by it reads the table without a bounds check.
const MASK_SLOTS: usize = 1024;

/// A character's record: its tokens, its mask, its spaced mask and spaced token.
const RECORD: usize = 16;
/// Bits of each token in [`Tokens`].
const TOKEN_BITS: u32 = 18;
const TOKEN_MASK: u64 = (1 << TOKEN_BITS) - 1;

/// The `u32` at `i` of a table of `N` bytes, `i` below `N / 4` (no bounds check).
#[inline(always)]
fn word<const N: usize>(b: &[u8; N], i: usize) -> usize {
    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]) as usize
}

#[inline(always)]
fn u32_at(b: &[u8], i: usize) -> usize {
    u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().expect("4 bytes")) as usize
}

/// Bit `bit` of mask `m`.
#[inline(always)]
fn mask_bit(m: usize, bit: usize) -> bool {
    let at = ((m & (MASK_SLOTS - 1)) * 6 + (bit >> 6)) * 8;
    let w = u64::from_le_bytes(MASKS[at..at + 8].try_into().expect("8 bytes"));
    w >> (bit & 63) & 1 == 1
}

/// The bit of a mask's second half for the first byte `l` after a character.
#[inline(always)]
fn after_bit(l: u8) -> usize {
    192 + if l < 0x80 { l as usize } else { l as usize - 0x40 }
}

/// The number of UTF-8 bytes the lead byte `b` starts (`b` ≥ 0x80 and not a continuation byte).
#[inline(always)]
pub(crate) fn utf8_len(b: u8) -> usize {
    if b < 0xE0 {
        2
    } else if b < 0xF0 {
        3
    } else {
        4
    }
}

/// The one to three tokens a character starts its merge as, in order: each token plus one,
/// [`TOKEN_BITS`] apart from the lowest bits up (0: no more).
#[derive(Clone, Copy)]
pub(crate) struct Tokens(u64);

impl Tokens {
    /// No tokens.
    pub(crate) const NONE: Tokens = Tokens(0);

    /// The first token.
    #[inline(always)]
    pub(crate) fn first(self) -> u32 {
        (self.0 & TOKEN_MASK) as u32 - 1
    }

    /// The tokens after the first.
    #[inline(always)]
    pub(crate) fn rest(self) -> Tokens {
        Tokens(self.0 >> TOKEN_BITS)
    }

    /// No more tokens.
    #[inline(always)]
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The index of the three-byte character `c` in `CHAR_3` and `PREFIX_OK`: its code point XOR
/// 0x2080 (see [`record`]).
#[inline(always)]
fn index3(c: &[u8]) -> usize {
    ((c[0] as usize) << 12 ^ (c[1] as usize) << 6 ^ c[2] as usize) & 0xFFFF
}

/// The record of the character at `piece[i..i + len]` (two to four bytes), if it has one.
#[inline(always)]
fn record(piece: &[u8], i: usize, len: usize) -> Option<&'static [u8; RECORD]> {
    let c = &piece[i..i + len];
    // The bytes shifted into place and XORed make the code point with the fixed bits of the
    // continuation bytes (0x80 each) flipped at known places (the lead byte's marker bits fall
    // out of the mask): the index of the flat tables of two- and three-byte characters, and
    // for four bytes one XOR from the code point.
    let ch = match len {
        2 => word(CHAR_2, ((c[0] as usize) << 6 ^ c[1] as usize) & 0x7FF),
        3 => word(CHAR_3, index3(c)),
        _ => {
            let cp = ((c[0] as usize) << 18 ^ (c[1] as usize) << 12 ^ (c[2] as usize) << 6 ^ c[3] as usize)
                & 0x1F_FFFF
                ^ 0x8_2080;
            let k = 2 * (cp >> 8 & 0x1FFF);
            let block = u16::from_le_bytes([BLOCKS[k], BLOCKS[k + 1]]) as usize;
            if block == 0 {
                return None;
            }
            u32_at(INDEX, block * 256 + (cp & 0xFF))
        }
    }
    .checked_sub(1)?;
    Some(RECORDS[ch * RECORD..ch * RECORD + RECORD].try_into().expect("a record"))
}

/// The tokens that the multi-byte character at `piece[i..i + len]` can start merged as, given
/// the bytes around it in `piece` (valid UTF-8; `len` from [`utf8_len`]), or `None` when it has
/// to start as bytes.
#[inline(always)]
pub(crate) fn premerged(piece: &[u8], i: usize, len: usize) -> Option<Tokens> {
    let rec = record(piece, i, len)?;
    let m = u16::from_le_bytes([rec[8], rec[9]]) as usize;
    if i > 0 && !mask_bit(m, piece[i - 1] as usize) {
        return None;
    }
    if let Some(&l) = piece.get(i + len) {
        if !mask_bit(m, after_bit(l)) {
            return None;
        }
    }
    Some(Tokens(u64::from_le_bytes(rec[..8].try_into().expect("8 bytes"))))
}

/// The token that a piece starting with a space and the multi-byte character
/// `piece[1..1 + len]` can start its merge from, the two merged (the token `" c"`), or `None`
/// (see the module doc: the same argument, for the span of the space and the character, which
/// has nothing before it).
#[inline(always)]
pub(crate) fn spaced(piece: &[u8], len: usize) -> Option<u32> {
    let rec = record(piece, 1, len)?;
    let t = (u32::from_le_bytes([rec[12], rec[13], rec[14], rec[15]])).checked_sub(1)?;
    if let Some(&l) = piece.get(1 + len) {
        if !mask_bit(u16::from_le_bytes([rec[10], rec[11]]) as usize, after_bit(l)) {
            return None;
        }
    }
    Some(t)
}

/// The token that the first two bytes of the three-byte character at `piece[i..i + 3]` can
/// start the merge as, given the byte before it (see the module doc), or `None`.
/// `PREFIXES`: per lead byte (low four bits) and first continuation byte (low six), 32 bytes:
/// the token plus one (`u32`; 0: the two bytes are no token), four bytes of padding, and three
/// `u64` of mask, bit `b` set if the prefix can start merged after byte `b` (ASCII or a
/// continuation byte); `PREFIX_OK`, one bit per three-byte character at its bytes' index (as
/// `CHAR_3`): its second and third bytes start no token ranking below its prefix.
#[inline(always)]
pub(crate) fn prefix(piece: &[u8], i: usize) -> Option<u32> {
    let c = &piece[i..i + 3];
    let x = index3(c);
    if PREFIX_OK[x >> 3] >> (x & 7) & 1 == 0 {
        return None;
    }
    let at = ((c[0] as usize & 0x0F) << 6 | (c[1] as usize & 0x3F)) * 32;
    let t = u32::from_le_bytes(PREFIXES[at..at + 4].try_into().expect("4 bytes")).checked_sub(1)?;
    if i > 0 {
        // In UTF-8 the byte before a lead byte is ASCII or a continuation byte (below 0xC0).
        let b = piece[i - 1] as usize;
        let w = at + 8 + 8 * (b >> 6);
        if u64::from_le_bytes(PREFIXES[w..w + 8].try_into().expect("8 bytes")) >> (b & 63) & 1 == 0 {
            return None;
        }
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_starts_as_merging_it_alone_ends() {
        let ranks = crate::tokenizer::ranks();
        let (mut one, mut more) = (0, 0);
        for cp in 0x80..=0x10FFFFu32 {
            let Some(c) = char::from_u32(cp) else { continue };
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf).as_bytes();
            if let Some(mut t) = premerged(s, 0, s.len()) {
                let mut got = vec![];
                while !t.is_empty() {
                    got.push(t.first());
                    t = t.rest();
                }
                let mut want = vec![];
                crate::tokenizer::bpe::merge_heap(ranks, s, &mut want);
                assert_eq!(got, want, "U+{cp:04X}");
                if got.len() == 1 { one += 1 } else { more += 1 }
            }
        }
        // Alone (nothing around it) every character that is a token qualifies, and every
        // assigned one below U+20000 that merging alone changes.
        assert!(one > 5000 && more > 20_000, "{one} characters as one token, {more} as more");
    }
}
