//! The merge table: token pair → the token their merge makes, for the pairs merging can meet.
//!
//! Why one pair per token is enough. In tiktoken's merge of any piece, each part is a token
//! that merging its own bytes reaches (the merges inside a part's span never depended on
//! anything outside it), and when parts `a` and `b` are adjacent the merges inside their joint
//! span so far are a prefix of merging `a ++ b` alone. So if `a ++ b` is a token `t`, merging
//! `t`'s bytes alone passes through `[a, b]` and ends by joining them: `(a, b)` is `t`'s last
//! merge. `build.rs` records that pair for every token that merging reaches, so a lookup by
//! the two ids gives exactly `rank(a ++ b)` for every pair a merge can meet, with no hashing
//! of bytes and no comparison against the vocabulary. (`tests` checks every entry against the
//! byte table, and the encoder is compared with tiktoken-rs, bpe-openai and openai-harmony.)
//!
//! Layout: 2^19 `u64` slots (4 MiB, embedded, load 0.37), linear probing; a slot holds
//! `a | b << 18 | (t + 1) << 36`, 0 when empty; in front of it a 256 KiB Bloom filter of the
//! pairs (`FILTER`).

static SLOTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/merges.bin"));
/// A Bloom filter of the table's pairs (2^15 `u64` words, 256 KiB: it stays in a core's
/// cache where the 4 MiB table does not): most pairs a merge looks up do not merge, and the
/// filter answers nearly all of those without touching the table. Two bits per pair in one
/// word; about 3.5% of the pairs that do not merge pass it (measured in the tests).
static FILTER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/merge_filter.bin"));

// Keep in step with build.rs.
const SLOT_BITS: u32 = 19;
const ID_BITS: u32 = 18;
const KEY_MASK: u64 = (1 << (2 * ID_BITS)) - 1;
const FILTER_BITS: u32 = 15;
const _: () = assert!(super::vocab::FIRST_SPECIAL < (1 << ID_BITS));

#[inline(always)]
fn slot(i: usize) -> u64 {
    let at = i * 8;
    u64::from_le_bytes(SLOTS[at..at + 8].try_into().expect("8 bytes"))
}

/// The token that merging adjacent parts `a` and `b` makes (its id is its rank), or
/// `u32::MAX` when they do not merge.
#[inline(always)]
pub(crate) fn merged(a: u32, b: u32) -> u32 {
    let key = (a as u64) | ((b as u64) << ID_BITS);
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let at = (h >> (64 - FILTER_BITS)) as usize * 8;
    let word = u64::from_le_bytes(FILTER[at..at + 8].try_into().expect("8 bytes"));
    let bits = 1 << ((h >> 43) & 63) | 1 << ((h >> 37) & 63);
    if word & bits != bits {
        return u32::MAX;
    }
    let mut i = (h >> (64 - SLOT_BITS)) as usize;
    loop {
        let e = slot(i);
        if e == 0 {
            return u32::MAX;
        }
        if e & KEY_MASK == key {
            return ((e >> (2 * ID_BITS)) as u32).wrapping_sub(1);
        }
        i = (i + 1) & ((1 << SLOT_BITS) - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::vocab::token_bytes;

    #[test]
    fn every_entry_is_a_token_made_of_its_pair() {
        assert_eq!(SLOTS.len(), 8 << SLOT_BITS);
        assert_eq!(FILTER.len(), 8 << FILTER_BITS);
        let ranks = crate::tokenizer::ranks();
        let mut n = 0;
        for i in 0..1usize << SLOT_BITS {
            let e = slot(i);
            if e == 0 {
                continue;
            }
            n += 1;
            let (a, b) = ((e & ((1 << ID_BITS) - 1)) as u32, ((e >> ID_BITS) & ((1 << ID_BITS) - 1)) as u32);
            let t = merged(a, b);
            let mut joined = token_bytes(a).unwrap().to_vec();
            joined.extend_from_slice(token_bytes(b).unwrap());
            assert_eq!(ranks.get(&joined), Some(t), "{a} {b}");
            // Merging the token's bytes alone gives the token.
            let mut got = vec![];
            super::super::bpe::encode_piece(ranks, &joined, &mut got);
            assert_eq!(got, [t]);
        }
        // Nearly every multi-byte token is reachable by merging.
        assert!(n > 199_000, "{n} entries");
    }

    #[test]
    fn the_filter_passes_few_pairs_that_do_not_merge() {
        // Random pairs of ordinary tokens nearly never merge; count how many pass the filter.
        let mut x = 0x1234_5678_9abc_def1u64;
        let (mut passed, mut absent) = (0, 0);
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = ((x % 199_998) as u32, ((x >> 32) % 199_998) as u32);
            let key = (a as u64) | ((b as u64) << ID_BITS);
            let mut i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOT_BITS)) as usize;
            let in_table = loop {
                let e = slot(i);
                if e == 0 || e & KEY_MASK == key {
                    break e != 0;
                }
                i = (i + 1) & ((1 << SLOT_BITS) - 1);
            };
            if in_table {
                continue;
            }
            absent += 1;
            let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let at = (h >> (64 - FILTER_BITS)) as usize * 8;
            let word = u64::from_le_bytes(FILTER[at..at + 8].try_into().unwrap());
            let bits = 1 << ((h >> 43) & 63) | 1 << ((h >> 37) & 63);
            passed += usize::from(word & bits == bits);
        }
        let rate = passed as f64 / absent as f64;
        assert!(rate < 0.05, "{:.1}% of absent pairs pass the filter", rate * 100.0);
        eprintln!("filter: {:.2}% of {absent} absent pairs pass", rate * 100.0);
    }

    #[test]
    fn byte_pairs_agree_with_the_two_byte_table() {
        let ranks = crate::tokenizer::ranks();
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(merged(ranks.byte_id(a), ranks.byte_id(b)), ranks.pair_rank(a, b), "{a} {b}");
            }
        }
    }
}
