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
//! `a | b << 18 | (t + 1) << 36`, 0 when empty.

static SLOTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/merges.bin"));

// Keep in step with build.rs.
const SLOT_BITS: u32 = 19;
const ID_BITS: u32 = 18;
const KEY_MASK: u64 = (1 << (2 * ID_BITS)) - 1;
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
    let mut i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOT_BITS)) as usize;
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
    fn byte_pairs_agree_with_the_two_byte_table() {
        let ranks = crate::tokenizer::ranks();
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(merged(ranks.byte_id(a), ranks.byte_id(b)), ranks.pair_rank(a, b), "{a} {b}");
            }
        }
    }
}
