//! Converts the committed `assets/o200k_base.tiktoken` vocabulary (base64 lines) into a compact
//! blob embedded in the library: `u32` little-endian offsets followed by the concatenated token
//! bytes, covering ranks 0..=201088 (ordinary ranks and Harmony's special tokens). Decoding then
//! needs no start-up work at all; only the encoder's hash map is built lazily at run time.

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
}
