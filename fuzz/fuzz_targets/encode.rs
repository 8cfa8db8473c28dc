//! Arbitrary UTF-8 text: decoding its encoding gives it back (special spellings allowed or
//! not), and ordinary encoding never yields a special token. With `--features reference`,
//! the tokens must also equal those of openai-harmony 0.0.8 wherever the reference can run.
#![no_main]

use harmony::tokenizer::{decode_utf8, encode, encode_ordinary, AllowedSpecial, FIRST_SPECIAL};
use libfuzzer_sys::fuzz_target;

#[cfg(feature = "reference")]
fn reference() -> &'static openai_harmony::HarmonyEncoding {
    static REF: std::sync::OnceLock<openai_harmony::HarmonyEncoding> = std::sync::OnceLock::new();
    REF.get_or_init(|| {
        std::env::set_var("TIKTOKEN_ENCODINGS_BASE", concat!(env!("CARGO_MANIFEST_DIR"), "/../assets"));
        openai_harmony::load_harmony_encoding(openai_harmony::HarmonyEncodingName::HarmonyGptOss).expect("reference loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let plain = encode(text, AllowedSpecial::None);
    assert!(plain.iter().all(|&t| t < FIRST_SPECIAL), "ordinary text gave a special token");
    assert_eq!(decode_utf8(&plain).as_deref(), Ok(text));
    assert_eq!(encode_ordinary(text), plain);
    let special = encode(text, AllowedSpecial::All);
    assert_eq!(decode_utf8(&special).as_deref(), Ok(text));
    // The reference backtracks (fancy-regex) and can fail on long or odd inputs; compare only
    // where it gives an answer.
    #[cfg(feature = "reference")]
    if text.len() <= 4096 {
        // libfuzzer-sys's panic hook aborts; a panic of the reference is not a finding.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let theirs = std::panic::catch_unwind(|| reference().tokenizer().encode_ordinary(text));
        std::panic::set_hook(hook);
        if let Ok(theirs) = theirs {
            assert_eq!(plain, theirs, "differs from openai-harmony 0.0.8");
        }
    }
});
