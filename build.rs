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
    write_merges(&tokens[..FIRST_SPECIAL as usize]);
}

// Keep in step with src/tokenizer/merges.rs.
const MERGE_SLOT_BITS: u32 = 19;
const MERGE_ID_BITS: u32 = 18;

fn merge_slot(a: u32, b: u32) -> usize {
    let key = (a as u64) | ((b as u64) << MERGE_ID_BITS);
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - MERGE_SLOT_BITS)) as usize
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

fn write_merges(tokens: &[Vec<u8>]) {
    let ranks: std::collections::HashMap<&[u8], u32> =
        tokens.iter().enumerate().map(|(i, t)| (t.as_slice(), i as u32)).collect();
    let mut slots = vec![0u64; 1 << MERGE_SLOT_BITS];
    for (id, t) in tokens.iter().enumerate() {
        if t.len() < 2 {
            continue;
        }
        let (parts, last) = merge(&ranks, t);
        if parts != [id as u32] {
            continue; // not reachable by merging: never a part
        }
        let (a, b) = last.expect("a token of two or more bytes is reached by a merge");
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
}
