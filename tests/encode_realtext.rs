//! Differential test of the encoder on real text of every script class (≥ 1 MB each, built
//! from the machine's gettext catalogues and C headers by `benches/support/realtext.rs`):
//! our tokens must be identical to tiktoken-rs's, bpe-openai's and openai-harmony 0.0.8's.
//! The text is also split into lines and pieces of random lengths (the encoder must not
//! depend on where a text starts or ends).

mod common;

#[path = "../benches/support/realtext.rs"]
mod realtext;

use realtext::Class;

const MB: usize = 1 << 20;

fn first_difference(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

fn check(class: Class, ours: &[u32], theirs: &[u32], who: &str, text: &str) {
    if ours != theirs {
        let at = first_difference(ours, theirs);
        let lo = at.saturating_sub(5);
        let ctx = harmony::tokenizer::decode_lossy(&ours[lo..(at + 5).min(ours.len())]).unwrap();
        panic!(
            "{}: {who} differs at token {at} of {} ({} bytes): ours {:?} theirs {:?} near {ctx:?}",
            class.name(),
            ours.len(),
            text.len(),
            &ours[lo..(at + 5).min(ours.len())],
            &theirs[lo..(at + 5).min(theirs.len())],
        );
    }
}

fn class_test(class: Class) {
    let text = realtext::text(class, MB);
    if text.len() < MB {
        // Only a machine without the Debian files (not CI, which runs on the same image).
        assert!(std::env::var_os("CI").is_none(), "{}: only {} bytes of source text", class.name(), text.len());
        eprintln!("skipping {}: only {} bytes of source text on this machine", class.name(), text.len());
        return;
    }
    let ours = harmony::tokenizer::encode_ordinary(&text);
    assert_eq!(harmony::tokenizer::decode_utf8(&ours).unwrap(), text, "{}: round trip", class.name());
    let tiktoken = tiktoken_rs::o200k_base().unwrap().encode_ordinary(&text);
    check(class, &ours, &tiktoken, "tiktoken-rs", &text);
    let bpe = bpe_openai::o200k_base().encode(text.as_str());
    check(class, &ours, &bpe, "bpe-openai", &text);
    let reference = common::reference().tokenizer().encode_ordinary(&text);
    check(class, &ours, &reference, "openai-harmony 0.0.8", &text);

    // Pieces of the same text cut at arbitrary character boundaries.
    let mut r = common::Rng::new(class as u64);
    let mut at = 0;
    let tik = tiktoken_rs::o200k_base().unwrap();
    while at < text.len().min(MB / 4) {
        let mut end = (at + 1 + r.below(3000)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let part = &text[at..end];
        check(class, &harmony::tokenizer::encode_ordinary(part), &tik.encode_ordinary(part), "tiktoken-rs (part)", part);
        at = end;
    }
}

#[test]
fn english() {
    class_test(Class::English);
}

#[test]
fn code() {
    class_test(Class::Code);
}

#[test]
fn european() {
    class_test(Class::European);
}

#[test]
fn cjk() {
    class_test(Class::Cjk);
}

#[test]
fn arabic_indic() {
    class_test(Class::ArabicIndic);
}

#[test]
fn emoji_chat() {
    class_test(Class::EmojiChat);
}

#[test]
fn logs() {
    class_test(Class::Logs);
}

#[test]
fn classes_are_what_they_say() {
    // Each class is mostly made of its own script (so a broken source cannot pass silently).
    let share = |class: Class, pred: &dyn Fn(char) -> bool| {
        let t = realtext::text(class, 256 << 10);
        let (hit, all) = t.chars().fold((0usize, 0usize), |(h, a), c| (h + pred(c) as usize, a + !c.is_whitespace() as usize));
        hit as f64 / all.max(1) as f64
    };
    if realtext::text(Class::Cjk, 1000).len() < 1000 {
        return; // no catalogues on this machine (see class_test)
    }
    assert!(share(Class::Cjk, &|c| ('\u{3040}'..='\u{9fff}').contains(&c) || ('\u{ac00}'..='\u{d7af}').contains(&c)) > 0.5);
    assert!(share(Class::ArabicIndic, &|c| ('\u{0600}'..='\u{0dff}').contains(&c)) > 0.5);
    assert!(share(Class::European, &|c| c.is_alphabetic()) > 0.7);
    assert!(share(Class::English, &|c| c.is_ascii()) > 0.95);
    assert!(share(Class::EmojiChat, &|c| c as u32 >= 0x1F000 || ('\u{2600}'..='\u{27bf}').contains(&c)) > 0.03);
    assert!(share(Class::Logs, &|c| c.is_ascii_digit()) > 0.3);
    assert!(share(Class::Code, &|c| "{}();#*/".contains(c)) > 0.02);
    let code = realtext::text(Class::Code, 256 << 10);
    assert!(code.matches("#include").count() > 10 && code.matches("#define").count() > 100);
}
