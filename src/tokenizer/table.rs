//! The encoder's bytes → rank lookup: a compact open-addressing hash table over the embedded
//! vocabulary.
//!
//! Each slot is one `u32`: the token id plus one in the low 18 bits and 14 bits of the key's
//! hash above them, so a probe rejects nearly every non-matching slot without touching the
//! vocabulary; 0 is an empty slot, so the array comes zeroed from the allocator (no memset,
//! and pages never written are never touched).
//! The table has 2^19 slots (2 MiB, load 0.38) and stores no key bytes: a candidate is
//! confirmed by comparing with the embedded token bytes. Building it is one pass over the
//! vocabulary with no allocation but the slot array (a few milliseconds, versus ~4× longer and
//! ~3.5× the memory for a `HashMap<&[u8], u32>`).

use super::vocab::{token_bytes, FIRST_SPECIAL};

const SLOT_BITS: u32 = 19;
const SLOTS: usize = 1 << SLOT_BITS;
const ID_BITS: u32 = 18;
const ID_MASK: u32 = (1 << ID_BITS) - 1;
const EMPTY: u32 = 0;

// Every ordinary id plus one fits beside the tag, and an occupied slot is never EMPTY.
const _: () = assert!(FIRST_SPECIAL < ID_MASK);

pub(crate) struct Table {
    slots: Box<[u32]>,
    /// The id of each single byte (every byte is a token).
    byte_ids: [u32; 256],
    /// The id plus one of each two-byte token, indexed by `first << 8 | second` (0: none), so
    /// the first round of a merge (every adjacent byte pair) needs no hashing. Filled while
    /// the table is built; 256 KiB.
    pair_ids: Box<[u32]>,
}

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = (a as u128) * (b as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

#[inline(always)]
fn read_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

#[inline(always)]
fn read_u32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as u64
}

/// A fast hash of a short byte string (wyhash-style reads, folded multiply).
#[inline(always)]
pub(crate) fn hash(b: &[u8]) -> u64 {
    const K0: u64 = 0xa076_1d64_78bd_642f;
    const K1: u64 = 0xe703_7ed1_a0b4_28db;
    let n = b.len();
    let (x, y) = if n <= 8 {
        if n >= 4 {
            (read_u32(b, 0), read_u32(b, n - 4))
        } else if n > 0 {
            (((b[0] as u64) << 16) | ((b[n / 2] as u64) << 8) | b[n - 1] as u64, 0)
        } else {
            (0, 0)
        }
    } else if n <= 16 {
        (read_u64(b, 0), read_u64(b, n - 8))
    } else {
        let mut h = K1 ^ n as u64;
        let mut i = 0;
        while i + 16 < n {
            h = fold_mul(read_u64(b, i) ^ K0, read_u64(b, i + 8) ^ h);
            i += 16;
        }
        (read_u64(b, n - 16) ^ h, read_u64(b, n - 8))
    };
    fold_mul(x ^ K0 ^ (n as u64).wrapping_mul(K1), y ^ K1)
}

#[inline(always)]
fn slot_and_tag(h: u64) -> (usize, u32) {
    ((h >> (64 - SLOT_BITS)) as usize, (h as u32) >> ID_BITS)
}

impl Table {
    /// Builds the table of every ordinary token.
    pub(crate) fn build() -> Table {
        let mut slots = vec![EMPTY; SLOTS].into_boxed_slice(); // zeroed allocation
        let mut pair_ids = vec![0u32; 1 << 16].into_boxed_slice();
        for id in 0..FIRST_SPECIAL {
            let bytes = token_bytes(id).expect("ordinary id in range");
            if let [a, b] = *bytes {
                pair_ids[(a as usize) << 8 | b as usize] = id + 1;
            }
            let (mut i, tag) = slot_and_tag(hash(bytes));
            // Keys are distinct, so insertion only needs a free slot.
            while slots[i] != EMPTY {
                i = (i + 1) & (SLOTS - 1);
            }
            slots[i] = (tag << ID_BITS) | (id + 1);
        }
        let mut t = Table { slots, byte_ids: [0; 256], pair_ids };
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
        self.pair_ids[(a as usize) << 8 | b as usize].wrapping_sub(1)
    }

    /// The rank of `bytes`, if it is an ordinary token.
    #[inline]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<u32> {
        self.get_hashed(bytes, hash(bytes))
    }

    /// [`Table::get`] with `h = hash(bytes)` already computed.
    #[inline]
    pub(crate) fn get_hashed(&self, bytes: &[u8], h: u64) -> Option<u32> {
        let (mut i, tag) = slot_and_tag(h);
        loop {
            let e = self.slots[i];
            if e == EMPTY {
                return None;
            }
            if e >> ID_BITS == tag {
                let id = (e & ID_MASK) - 1;
                if token_bytes(id) == Some(bytes) {
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
