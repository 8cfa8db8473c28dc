// The hash of the encoder's lookup table, shared with `build.rs` (which builds the table with
// it): keep it free of crate paths.

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = (a as u128) * (b as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

#[inline(always)]
pub(super) fn read_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

#[inline(always)]
pub(super) fn read_u32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as u64
}

/// A fast hash of a short byte string (wyhash-style reads, folded multiply).
#[inline(always)]
pub fn hash(b: &[u8]) -> u64 {
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

