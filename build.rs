//! Converts the committed `assets/o200k_base.tiktoken` vocabulary (base64 lines) into a compact
//! blob embedded in the library: `u32` little-endian offsets followed by the concatenated token
//! bytes, covering ranks 0..=201088 (ordinary ranks and Harmony's special tokens). Decoding then
//! needs no start-up work at all; only the encoder's hash map is built lazily at run time.
//!
//! It also writes the encoder's merge table (`merges.bin`, see `src/tokenizer/merges.rs`): for
//! every ordinary token that merging its own bytes reaches, the pair of tokens its last merge
//! joins, in an open-addressing table of packed `u64` slots keyed by that pair.

use base64::Engine;
use std::io::Write;

#[path = "src/tokenizer/hash.rs"]
mod hash;

/// Special tokens of `o200k_harmony` below the reserved range; every other id in
/// 199998..=201088 is `<|reserved_{id}|>`.
const NAMED_SPECIALS: &[(u32, &str)] = &[
    (199998, "<|startoftext|>"),
    (199999, "<|endoftext|>"),
    (200002, "<|return|>"),
    (200003, "<|constrain|>"),
    (200005, "<|channel|>"),
    (200006, "<|start|>"),
    (200007, "<|end|>"),
    (200008, "<|message|>"),
    (200012, "<|call|>"),
];
const FIRST_SPECIAL: u32 = 199_998;
const LAST_TOKEN: u32 = 201_088;

fn main() {
    // A versioned SONAME (the ABI's major version): programs linked against libharmony.so record
    // libharmony.so.0. CMake installs the file as libharmony.so.0.1.0 with the usual symlinks.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libharmony.so.{major}");
    }
    let src = "assets/o200k_base.tiktoken";
    println!("cargo:rerun-if-changed={src}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/tokenizer/hash.rs");
    let text = std::fs::read_to_string(src).expect("read assets/o200k_base.tiktoken");
    let mut tokens: Vec<Vec<u8>> = Vec::with_capacity(LAST_TOKEN as usize + 1);
    for (line_no, line) in text.lines().enumerate() {
        let (b64, rank) = line.split_once(' ').expect("vocabulary line has two fields");
        let rank: usize = rank.parse().expect("rank is a number");
        assert_eq!(rank, line_no, "vocabulary ranks must be contiguous");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("valid base64 in vocabulary");
        tokens.push(bytes);
    }
    assert_eq!(tokens.len(), FIRST_SPECIAL as usize, "o200k_base has 199998 ranks");
    for id in FIRST_SPECIAL..=LAST_TOKEN {
        let name = NAMED_SPECIALS
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.to_string())
            .unwrap_or_else(|| format!("<|reserved_{id}|>"));
        tokens.push(name.into_bytes());
    }
    let mut offsets = Vec::with_capacity(tokens.len() + 1);
    let mut pos = 0u32;
    for t in &tokens {
        offsets.push(pos);
        pos += t.len() as u32;
    }
    offsets.push(pos);
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("vocab.bin");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    for o in &offsets {
        f.write_all(&o.to_le_bytes()).unwrap();
    }
    for t in &tokens {
        f.write_all(t).unwrap();
    }
    f.flush().unwrap();
    let ordinary = &tokens[..FIRST_SPECIAL as usize];
    let ranks: std::collections::HashMap<&[u8], u32> =
        ordinary.iter().enumerate().map(|(i, t)| (t.as_slice(), i as u32)).collect();
    write_table(ordinary);
    write_merges(ordinary, &ranks);
    write_chars(ordinary, &ranks);
    write_classes();
}

// Keep in step with src/tokenizer/pretokenize.rs (whose tests compare every code point with
// the regex crate).
const CLASS_FLAGS: [(u8, &str); 5] = [
    (1, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
    (2, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
    (4, r"\p{L}"),
    (8, r"\p{N}"),
    (16, r"\s"),
];
const CLASS_CRLF: u8 = 32;

/// The pre-tokenizer's class flags of every code point, from `regex-syntax`'s Unicode tables
/// (the crate the regex engines use), as tables indexed by the bytes of the character's UTF-8
/// encoding, so that the pre-tokenizer assembles no code point:
/// - `class_2.bin`: the flags of U+0000..U+07FF, indexed by `(b0 << 6 ^ b1) & 0x7FF` for a
///   2-byte character `b0 b1`, which is its code point XOR 0x80 (the marker bit of `b1`);
/// - `class_3.bin`: the flags of U+0000..U+FFFF, indexed by `(b0 << 12 ^ b1 << 6 ^ b2) &
///   0xFFFF` for a 3-byte character, its code point XOR 0x2080 (the marker bits of `b1`, `b2`);
/// - `class_4_index.bin`: for 4-byte characters, one block number per 64 code points (indexed
///   by the 3 + 6 + 6 payload bits of the first three bytes), and `class_4_blocks.bin` the
///   distinct 64-byte blocks (indexed by block number and the last byte's 6 bits; fewer than
///   256 blocks, padded to 256 so that no index can fall outside).
fn write_classes() {
    use regex_syntax::hir::{Class, HirKind};
    const CPS: usize = 0x11_0000;
    let mut flat = vec![0u8; CPS];
    for (flag, pattern) in CLASS_FLAGS {
        let hir = regex_syntax::Parser::new().parse(pattern).expect("class pattern parses");
        let HirKind::Class(Class::Unicode(c)) = hir.kind() else { panic!("{pattern} is a Unicode class") };
        for r in c.ranges() {
            for f in &mut flat[r.start() as usize..=r.end() as usize] {
                *f |= flag;
            }
        }
    }
    flat[b'\r' as usize] |= CLASS_CRLF;
    flat[b'\n' as usize] |= CLASS_CRLF;
    // Blocks of 64 code points of `flat[from..end]`: one `u8` block number each (after a 0 for
    // each block below `from`, where characters of this length do not occur), and the distinct
    // blocks, padded to 256.
    fn blocks_of(flat: &[u8], from: usize, end: usize) -> (Vec<u8>, Vec<u8>) {
        let mut index = vec![0u8; from / 64];
        let mut blocks: Vec<u8> = Vec::new();
        let mut ids: std::collections::HashMap<&[u8], u8> = std::collections::HashMap::new();
        for block in flat[from..end].chunks(64) {
            let next = u8::try_from(ids.len()).expect("fewer than 256 distinct blocks");
            let id = *ids.entry(block).or_insert_with(|| {
                blocks.extend_from_slice(block);
                next
            });
            index.push(id);
        }
        blocks.resize(256 * 64, 0);
        (index, blocks)
    }
    let dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let by_xor = |len: usize, xor: usize| (0..len).map(|k| flat[k ^ xor]).collect::<Vec<u8>>();
    std::fs::write(dir.join("class_2.bin"), by_xor(0x800, 0x80)).unwrap();
    std::fs::write(dir.join("class_3.bin"), by_xor(0x1_0000, 0x2080)).unwrap();
    // 4-byte characters, U+10000..U+10FFFF, by the 3 + 6 + 6 bits of their first three bytes.
    let (index, blocks) = blocks_of(&flat, 0x1_0000, CPS);
    std::fs::write(dir.join("class_4_index.bin"), index).unwrap();
    std::fs::write(dir.join("class_4_blocks.bin"), blocks).unwrap();
}

// Keep in step with src/tokenizer/table.rs.
const TABLE_SLOT_BITS: u32 = 19;
const TABLE_ID_BITS: u32 = 18;

/// The encoder's lookup table (`table.bin`: 2^19 `u32` slots, the id plus one and a 14-bit hash
/// tag, inserted in id order with linear probing) and the two-byte token table (`pairs.bin`:
/// the id plus one of each two-byte token by `first << 8 | second`, 0: none).
fn write_table(tokens: &[Vec<u8>]) {
    let size = 1usize << TABLE_SLOT_BITS;
    let mut slots = vec![0u32; size];
    let mut pairs = vec![0u32; 1 << 16];
    for (id, bytes) in tokens.iter().enumerate() {
        let id = id as u32;
        if let [a, b] = bytes[..] {
            pairs[(a as usize) << 8 | b as usize] = id + 1;
        }
        let h = hash::hash(bytes);
        let (mut i, tag) = ((h >> (64 - TABLE_SLOT_BITS)) as usize, (h as u32) >> TABLE_ID_BITS);
        while slots[i] != 0 {
            i = (i + 1) & (size - 1);
        }
        slots[i] = (tag << TABLE_ID_BITS) | (id + 1);
    }
    let dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(dir.join("table.bin"), slots.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    std::fs::write(dir.join("pairs.bin"), pairs.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
}

// Keep in step with src/tokenizer/merges.rs.
const MERGE_SLOT_BITS: u32 = 19;
const MERGE_ID_BITS: u32 = 18;

const MERGE_FILTER_BITS: u32 = 15;

fn merge_hash(a: u32, b: u32) -> u64 {
    let key = (a as u64) | ((b as u64) << MERGE_ID_BITS);
    key.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn merge_slot(a: u32, b: u32) -> usize {
    (merge_hash(a, b) >> (64 - MERGE_SLOT_BITS)) as usize
}

/// The filter word of a pair and its two bits in it.
fn merge_filter(a: u32, b: u32) -> (usize, u64) {
    let h = merge_hash(a, b);
    ((h >> (64 - MERGE_FILTER_BITS)) as usize, 1 << ((h >> 43) & 63) | 1 << ((h >> 37) & 63))
}

/// tiktoken's merge (lowest rank first, leftmost on ties) of `bytes`, returning the final parts
/// and the pair the last merge joined.
fn merge(ranks: &std::collections::HashMap<&[u8], u32>, bytes: &[u8]) -> (Vec<u32>, Option<(u32, u32)>) {
    let mut parts: Vec<(usize, usize, u32)> = (0..bytes.len()).map(|i| (i, i + 1, ranks[&bytes[i..i + 1]])).collect();
    let mut last = None;
    loop {
        let mut best: Option<(u32, usize)> = None;
        for i in 0..parts.len().saturating_sub(1) {
            if let Some(&r) = ranks.get(&bytes[parts[i].0..parts[i + 1].1]) {
                if best.map_or(true, |(b, _)| r < b) {
                    best = Some((r, i));
                }
            }
        }
        let Some((r, i)) = best else { break };
        last = Some((parts[i].2, parts[i + 1].2));
        parts[i] = (parts[i].0, parts[i + 1].1, r);
        parts.remove(i + 1);
    }
    (parts.into_iter().map(|p| p.2).collect(), last)
}

fn write_merges(tokens: &[Vec<u8>], ranks: &std::collections::HashMap<&[u8], u32>) {
    let mut slots = vec![0u64; 1 << MERGE_SLOT_BITS];
    let mut filter = vec![0u64; 1 << MERGE_FILTER_BITS];
    for (id, t) in tokens.iter().enumerate() {
        if t.len() < 2 {
            continue;
        }
        let (parts, last) = merge(ranks, t);
        if parts != [id as u32] {
            continue; // not reachable by merging: never a part
        }
        let (a, b) = last.expect("a token of two or more bytes is reached by a merge");
        // Merging is monotone: a merge makes a token of a higher rank than both its parts.
        // (src/tokenizer/chars.rs relies on it; o200k has no exception.)
        assert!(id as u32 > a && id as u32 > b, "token {id} is made of a later token");
        let (w, bits) = merge_filter(a, b);
        filter[w] |= bits;
        let mut i = merge_slot(a, b);
        while slots[i] != 0 {
            i = (i + 1) & ((1 << MERGE_SLOT_BITS) - 1);
        }
        slots[i] = (a as u64) | ((b as u64) << MERGE_ID_BITS) | ((id as u64 + 1) << (2 * MERGE_ID_BITS));
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("merges.bin");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    for s in &slots {
        f.write_all(&s.to_le_bytes()).unwrap();
    }
    f.flush().unwrap();
    let bytes: Vec<u8> = filter.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(out.with_file_name("merge_filter.bin"), bytes).unwrap();
}

/// The prefix table of `src/tokenizer/chars.rs` (see `chars::prefix` for what it means and why
/// it is exact): for each lead byte and first continuation byte of a three-byte character
/// that are a token `P`, `P` and the bytes after which a character so starting can start as
/// `P` (every token ending with that byte and the lead byte ranks above `P`); and per
/// three-byte character, whether every token starting with its second and third bytes ranks
/// above `P`.
///
/// `before` is `write_chars`'s: `before[[l]][b]`, the lowest rank of a token ending with the
/// byte `b` and the lead byte `l`.
fn write_prefixes(
    tokens: &[Vec<u8>],
    ranks: &std::collections::HashMap<&[u8], u32>,
    before: &std::collections::HashMap<&[u8], Vec<u32>>,
) {
    // starts[c1][c2]: the lowest rank of a token starting with the continuation bytes c1 c2.
    let mut starts = vec![[u32::MAX; 64]; 64];
    for (rank, u) in tokens.iter().enumerate() {
        let rank = rank as u32;
        let n = u.len();
        if n >= 2 && (0x80..0xC0).contains(&u[0]) && (0x80..0xC0).contains(&u[1]) {
            let e = &mut starts[(u[0] & 0x3F) as usize][(u[1] & 0x3F) as usize];
            *e = (*e).min(rank);
        }
    }
    // Per prefix (lead byte & 0x0F) << 6 | (first continuation byte & 0x3F): the token plus one
    // (u32, 0: not a token), 4 bytes of padding, and the mask of allowed bytes before it (bits
    // 0..192: ASCII and continuation bytes).
    let mut table = vec![0u8; 1024 * 32];
    // Per three-byte character, at its code point XOR 0x2080: whether its last two bytes start
    // no token ranking below its prefix's.
    let mut ok = vec![0u8; 0x10000 / 8];
    for l in 0xE0..0xF0u8 {
        for c1 in 0x80..0xC0u8 {
            let Some(&p) = ranks.get(&[l, c1][..]) else { continue };
            let at = ((l as usize & 0x0F) << 6 | (c1 as usize & 0x3F)) * 32;
            table[at..at + 4].copy_from_slice(&(p + 1).to_le_bytes());
            let mut m = [0u64; 3];
            let before_l = before.get(&[l][..]);
            for b in 0..0xC0usize {
                if p < before_l.map_or(u32::MAX, |e| e[b]) {
                    m[b >> 6] |= 1 << (b & 63);
                }
            }
            for (k, w) in m.iter().enumerate() {
                table[at + 8 + 8 * k..at + 16 + 8 * k].copy_from_slice(&w.to_le_bytes());
            }
            for c2 in 0x80..0xC0u8 {
                let cp = (l as u32 & 0x0F) << 12 | (c1 as u32 & 0x3F) << 6 | (c2 as u32 & 0x3F);
                if char::from_u32(cp).is_none() || cp < 0x800 {
                    continue;
                }
                if p < starts[(c1 & 0x3F) as usize][(c2 & 0x3F) as usize] {
                    let x = (cp ^ 0x2080) as usize;
                    ok[x >> 3] |= 1 << (x & 7);
                }
            }
        }
    }
    let dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(dir.join("char_prefixes.bin"), table).unwrap();
    std::fs::write(dir.join("char_prefix_ok.bin"), ok).unwrap();
}

/// Length of the UTF-8 sequence that lead byte `b` starts (0 for a continuation byte).
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0x80..=0xBF => 0,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// The character table of `src/tokenizer/chars.rs` (see there for what it means and why it is
/// exact): for every character of two or more bytes that merging its own bytes alone changes
/// (those that end as more than one token only if assigned and below U+20000), the tokens it
/// ends as, and for each byte that can precede it and each first byte of what can follow it,
/// whether it can start merged; and the same for the span of a space and the character.
///
/// `before[p][b]`: the lowest rank of a token that ends with `p` (a proper prefix of a
/// character: a lead byte and fewer continuation bytes than it announces) after a byte `b`;
/// `after[s][l]`: the lowest rank of a token that starts with `s` (continuation bytes: a proper
/// suffix of a character) followed by a byte `l`.
fn write_chars(tokens: &[Vec<u8>], ranks: &std::collections::HashMap<&[u8], u32>) {
    use std::collections::HashMap;
    let mut before: HashMap<&[u8], Vec<u32>> = HashMap::new();
    let mut after: HashMap<&[u8], Vec<u32>> = HashMap::new();
    for (rank, u) in tokens.iter().enumerate() {
        let rank = rank as u32;
        let k = u.iter().take_while(|&&b| (0x80..0xC0).contains(&b)).count();
        if k > 0 && k < u.len() {
            let e = after.entry(&u[..k]).or_insert_with(|| vec![u32::MAX; 256]);
            e[u[k] as usize] = e[u[k] as usize].min(rank);
        }
        if let Some(j) = u.iter().rposition(|&b| !(0x80..0xC0).contains(&b)) {
            if j > 0 && u.len() - j < utf8_len(u[j]) {
                let e = before.entry(&u[j..]).or_insert_with(|| vec![u32::MAX; 256]);
                e[u[j - 1] as usize] = e[u[j - 1] as usize].min(rank);
            }
        }
    }
    // `after_char[c][l]`: the lowest rank of a token that starts with the whole character `c`
    // (two or more bytes) followed by more bytes, the first of them `l`.
    let mut after_char: HashMap<&[u8], Vec<u32>> = HashMap::new();
    for (rank, u) in tokens.iter().enumerate() {
        let l = utf8_len(u[0]);
        if l >= 2 && u.len() > l && u[1..l].iter().all(|&b| (0x80..0xC0).contains(&b)) {
            let e = after_char.entry(&u[..l]).or_insert_with(|| vec![u32::MAX; 256]);
            e[u[l] as usize] = e[u[l] as usize].min(rank as u32);
        }
    }
    let none = vec![u32::MAX; 256];
    // Characters that merging alone leaves as more than one token are in the table only if
    // they are assigned and below U+20000 (every other one starts as bytes, as before): that
    // bounds the table (about 80k characters) and keeps the scripts and emoji text uses.
    let assigned = {
        use regex_syntax::hir::{Class, HirKind};
        let hir = regex_syntax::Parser::new().parse(r"[\p{Assigned}--\p{Co}]").expect("class parses");
        let HirKind::Class(Class::Unicode(class)) = hir.kind() else { unreachable!() };
        let mut v = vec![false; 0x20000];
        for r in class.ranges() {
            for cp in r.start() as u32..=(r.end() as u32).min(0x1FFFF) {
                v[cp as usize] = true;
            }
        }
        v
    };
    // code point >> 8 → block (0: no character); 0x2000 entries, so that a 21-bit code point
    // shifted indexes it without a bounds check
    let mut blocks = vec![0u16; 0x2000];
    let mut index: Vec<u32> = vec![0; 256]; // per block, per code point: char number + 1
    // Characters of two and three bytes: char number + 1 at the code point XOR 0x80 (0x2080),
    // the index their shifted bytes make; the blocks above hold only those of four bytes.
    let mut char2 = vec![0u32; 0x800];
    let mut char3 = vec![0u32; 0x10000];
    let mut records: Vec<u8> = Vec::new();
    let mut masks: Vec<[u64; 6]> = Vec::new();
    let mut mask_ids: HashMap<[u64; 6], u16> = HashMap::new();
    let mut mask_id = |m: [u64; 6]| {
        *mask_ids.entry(m).or_insert_with(|| {
            masks.push(m);
            u16::try_from(masks.len() - 1).expect("fewer than 65536 masks")
        })
    };
    let mut chars = 0u32;
    for hi in 0..0x1100u32 {
        let mut block = vec![0u32; 256];
        for lo in 0..256u32 {
            let cp = hi << 8 | lo;
            let Some(c) = char::from_u32(cp) else { continue };
            let mut buf = [0u8; 4];
            let c = c.encode_utf8(&mut buf).as_bytes();
            if c.len() < 2 {
                continue;
            }
            let parts = merge(ranks, c).0;
            // R: the highest rank of a merge inside the character alone (merging is monotone:
            // its longest token's rank, the last merge of that token).
            let Some(r) = parts.iter().copied().filter(|&t| tokens[t as usize].len() > 1).max() else {
                continue; // merging alone joins none of its bytes
            };
            if parts.len() > 1 && !assigned.get(cp as usize).copied().unwrap_or(false) {
                continue;
            }
            assert!(parts.len() <= 3);
            // Bits 0..192: safe after byte b (ASCII or a continuation byte); bits 192..384:
            // safe before first byte l (ASCII, or a lead byte at l - 0x40).
            let mut m = [0u64; 6];
            for b in 0..0xC0usize {
                if (1..c.len()).all(|k| r < before.get(&c[..k]).unwrap_or(&none)[b]) {
                    m[b >> 6] |= 1 << (b & 63);
                }
            }
            for l in (0..0x80usize).chain(0xC0..0x100) {
                let bit = if l < 0x80 { l } else { l - 0x40 };
                if (1..c.len()).all(|k| r < after.get(&c[k..]).unwrap_or(&none)[l]) {
                    m[3 + (bit >> 6)] |= 1 << (bit & 63);
                }
            }
            // The same character after a space at the start of a piece, as one token `T`
            // (" c"), if merging " c" alone reaches it: safe before first byte l if every token
            // that starts with a proper suffix of " c" (c itself, or a proper suffix of c)
            // followed by l ranks above T (bits 192..384 of its mask).
            let mut sp = [0u64; 6];
            let mut sp_token = 0u32;
            let with_space = [&[b' '][..], c].concat();
            if let Some(&t2) = ranks.get(&with_space[..]) {
                if merge(ranks, &with_space).0 == [t2] {
                    sp_token = t2 + 1;
                    for l in (0..0x80usize).chain(0xC0..0x100) {
                        let bit = if l < 0x80 { l } else { l - 0x40 };
                        if t2 < after_char.get(c).unwrap_or(&none)[l]
                            && (1..c.len()).all(|k| t2 < after.get(&c[k..]).unwrap_or(&none)[l])
                        {
                            sp[3 + (bit >> 6)] |= 1 << (bit & 63);
                        }
                    }
                }
            }
            // Record: the tokens (each plus one, 18 bits apart; 0: none), the mask, the spaced
            // mask, the spaced token plus one.
            let packed = parts.iter().enumerate().fold(0u64, |p, (k, &t)| p | (t as u64 + 1) << (18 * k));
            records.extend_from_slice(&packed.to_le_bytes());
            records.extend_from_slice(&mask_id(m).to_le_bytes());
            records.extend_from_slice(&mask_id(sp).to_le_bytes());
            records.extend_from_slice(&sp_token.to_le_bytes());
            chars += 1;
            match c.len() {
                2 => char2[(cp ^ 0x80) as usize] = chars,
                3 => char3[(cp ^ 0x2080) as usize] = chars,
                _ => block[lo as usize] = chars,
            }
        }
        if block.iter().any(|&x| x != 0) {
            blocks[hi as usize] = u16::try_from(index.len() / 256).expect("few blocks");
            index.extend_from_slice(&block);
        }
    }
    let dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    write("char_blocks.bin", blocks.iter().flat_map(|x| x.to_le_bytes()).collect());
    write("char_index.bin", index.iter().flat_map(|x| x.to_le_bytes()).collect());
    write("char_2.bin", char2.iter().flat_map(|x| x.to_le_bytes()).collect());
    write("char_3.bin", char3.iter().flat_map(|x| x.to_le_bytes()).collect());
    write("char_records.bin", records);
    // Padded to MASK_SLOTS masks (chars.rs reads them from a table of that fixed size).
    assert!(masks.len() <= 1024, "{} masks: raise chars.rs's MASK_SLOTS", masks.len());
    masks.resize(1024, [0; 6]);
    write("char_masks.bin", masks.iter().flatten().flat_map(|x| x.to_le_bytes()).collect());
    write_prefixes(tokens, ranks, &before);
}
