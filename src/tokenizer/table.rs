//! The encoder's bytes → rank lookup: a compact open-addressing hash table over the embedded
//! vocabulary, built by `build.rs` and embedded (no start-up work: a process that encodes
//! "hello" pays nothing to build it, and the pages it never touches are never read).
//!
//! Each slot is one `u32`: the token id plus one in the low 18 bits and 14 bits of the key's
//! hash above them, so a probe rejects nearly every non-matching slot without touching the
//! vocabulary; 0 is an empty slot. The table has 2^19 slots (2 MiB, load 0.38) and stores no
//! key bytes: a candidate is confirmed by comparing with the embedded token bytes. Beside it,
//! the id of every two-byte token by its two bytes (256 KiB), so the first round of every
//! merge (each adjacent byte pair) needs no hashing.

pub(crate) use super::hash::hash;
use super::hash::{read_u32, read_u64};
use super::vocab::{token_bytes, FIRST_SPECIAL};

static SLOT_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/table.bin"));
static PAIR_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pairs.bin"));

const SLOT_BITS: u32 = 19;
const SLOTS: usize = 1 << SLOT_BITS;
const ID_BITS: u32 = 18;
const ID_MASK: u32 = (1 << ID_BITS) - 1;
const EMPTY: u32 = 0;

// Every ordinary id plus one fits beside the tag, and an occupied slot is never EMPTY.
const _: () = assert!(FIRST_SPECIAL < ID_MASK);

pub(crate) struct Table {
    /// The id of each single byte (every byte is a token).
    byte_ids: [u32; 256],
}

#[inline(always)]
fn slot(i: usize) -> u32 {
    u32::from_le_bytes(SLOT_BYTES[4 * i..4 * i + 4].try_into().expect("4 bytes"))
}

#[inline(always)]
fn slot_and_tag(h: u64) -> (usize, u32) {
    ((h >> (64 - SLOT_BITS)) as usize, (h as u32) >> ID_BITS)
}

/// `a == b`, without a call to `memcmp` for the lengths most pieces have (at most 16 bytes:
/// two overlapping loads from each end; most lookups are of short words that are tokens).
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=8 => read_u32(a, 0) == read_u32(b, 0) && read_u32(a, n - 4) == read_u32(b, n - 4),
        9..=16 => read_u64(a, 0) == read_u64(b, 0) && read_u64(a, n - 8) == read_u64(b, n - 8),
        _ => a == b,
    }
}

impl Table {
    /// The table (embedded) and the ids of the 256 bytes.
    pub(crate) fn build() -> Table {
        assert_eq!(SLOT_BYTES.len(), SLOTS * 4);
        assert_eq!(PAIR_BYTES.len(), 4 << 16);
        let mut t = Table { byte_ids: [0; 256] };
        for b in 0..=255u8 {
            t.byte_ids[b as usize] = t.get(&[b]).expect("every byte is a token");
        }
        t
    }

    /// The id of the one-byte token `b`.
    #[inline]
    pub(crate) fn byte_id(&self, b: u8) -> u32 {
        self.byte_ids[b as usize]
    }

    /// The rank of the two-byte string `a b`, or `u32::MAX` if it is not a token.
    #[inline(always)]
    pub(crate) fn pair_rank(&self, a: u8, b: u8) -> u32 {
        let i = ((a as usize) << 8 | b as usize) * 4;
        u32::from_le_bytes(PAIR_BYTES[i..i + 4].try_into().expect("4 bytes")).wrapping_sub(1)
    }

    /// The rank of `bytes`, if it is an ordinary token.
    #[inline]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<u32> {
        self.get_hashed(bytes, hash(bytes))
    }

    /// [`Table::get`] with `h = hash(bytes)` already computed.
    #[inline(always)]
    pub(crate) fn get_hashed(&self, bytes: &[u8], h: u64) -> Option<u32> {
        let (mut i, tag) = slot_and_tag(h);
        loop {
            let e = slot(i);
            if e == EMPTY {
                return None;
            }
            if e >> ID_BITS == tag {
                let id = (e & ID_MASK) - 1;
                if token_bytes(id).is_some_and(|t| same(t, bytes)) {
                    return Some(id);
                }
            }
            i = (i + 1) & (SLOTS - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_is_equality_at_every_length() {
        // Equal slices (at different addresses), and slices differing in any one byte.
        for n in 0..=40usize {
            let a: Vec<u8> = (0..n).map(|i| (i * 37 + n) as u8).collect();
            let b = a.clone();
            assert!(same(&a, &b), "{n}");
            for i in 0..n {
                let mut c = a.clone();
                c[i] ^= 1 << (i % 8);
                assert!(!same(&a, &c) && !same(&c, &a), "{n} bytes, byte {i}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0, "{n}");
        }
    }

    #[test]
    fn every_token_is_found_and_others_are_not() {
        let t = Table::build();
        for id in 0..FIRST_SPECIAL {
            assert_eq!(t.get(token_bytes(id).unwrap()), Some(id), "{id}");
        }
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(t.pair_rank(a, b), t.get(&[a, b]).unwrap_or(u32::MAX), "{a} {b}");
            }
        }
        for miss in [&b""[..], b"<|start|>", b"\xff\xfe\xfd\xfc\xfb", b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzqqq"] {
            assert_eq!(t.get(miss), None);
        }
    }
}
