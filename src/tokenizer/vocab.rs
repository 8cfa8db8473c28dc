//! The embedded `o200k_harmony` vocabulary: token id → bytes, with no start-up cost.
//!
//! `build.rs` turns `assets/o200k_base.tiktoken` into a blob of little-endian `u32` offsets
//! followed by the concatenated token bytes. Ids 0..199998 are ordinary byte sequences; ids
//! 199998..=201088 are Harmony's special tokens, stored as their literal text.

static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vocab.bin"));

/// Number of token ids in the vocabulary (valid ids are `0..VOCAB_SIZE`).
pub const VOCAB_SIZE: u32 = 201_089;
/// First special-token id; every id from here up to `VOCAB_SIZE - 1` is special.
pub const FIRST_SPECIAL: u32 = 199_998;

#[inline]
fn offset(i: usize) -> usize {
    let at = i * 4;
    u32::from_le_bytes([BLOB[at], BLOB[at + 1], BLOB[at + 2], BLOB[at + 3]]) as usize
}

const DATA_START: usize = (VOCAB_SIZE as usize + 1) * 4;

/// The bytes of token `id`, or `None` when the id is outside the vocabulary.
#[inline]
pub fn token_bytes(id: u32) -> Option<&'static [u8]> {
    if id >= VOCAB_SIZE {
        return None;
    }
    let i = id as usize;
    Some(&BLOB[DATA_START + offset(i)..DATA_START + offset(i + 1)])
}

/// True for Harmony's special (control) tokens.
#[inline]
pub fn is_special(id: u32) -> bool {
    (FIRST_SPECIAL..VOCAB_SIZE).contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_has_expected_shape() {
        assert_eq!(offset(VOCAB_SIZE as usize), BLOB.len() - DATA_START);
        assert_eq!(token_bytes(0), Some(&b"!"[..]));
        assert_eq!(token_bytes(200006), Some(&b"<|start|>"[..]));
        assert_eq!(token_bytes(201088), Some(&b"<|reserved_201088|>"[..]));
        assert_eq!(token_bytes(201089), None);
        assert_eq!(token_bytes(u32::MAX), None);
    }
}
