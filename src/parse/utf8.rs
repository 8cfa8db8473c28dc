//! Incremental UTF-8 decoding of token bytes that never holds back decodable text.

/// Decodes a stream of byte chunks: every complete character (or invalid sequence, as U+FFFD)
/// is emitted with the chunk that completes it; only the bytes of a character still
/// incomplete (at most 3) are held. Invalid sequences are replaced exactly as
/// `String::from_utf8_lossy` replaces them, so decoding in chunks gives the same text as
/// decoding everything at once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Utf8Stream {
    held: [u8; 4],
    held_len: u8,
}

impl Utf8Stream {
    /// Whether bytes of an incomplete character are held.
    pub(crate) fn is_holding(&self) -> bool {
        self.held_len != 0
    }

    /// Appends the text `bytes` completes to `out`; returns whether an invalid sequence was
    /// replaced by U+FFFD.
    pub(crate) fn push(&mut self, bytes: &[u8], out: &mut String) -> bool {
        if self.held_len == 0 {
            if let Ok(s) = std::str::from_utf8(bytes) {
                out.push_str(s);
                return false;
            }
            return self.decode(bytes, out);
        }
        let mut joined = self.held[..usize::from(self.held_len)].to_vec();
        joined.extend_from_slice(bytes);
        self.held_len = 0;
        self.decode(&joined, out)
    }

    fn decode(&mut self, mut rest: &[u8], out: &mut String) -> bool {
        let mut replaced = false;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    return replaced;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(valid).expect("valid prefix"));
                    match e.error_len() {
                        Some(n) => {
                            out.push('\u{FFFD}');
                            replaced = true;
                            rest = &after[n..];
                        }
                        None => {
                            // An incomplete character at the end: at most 3 bytes.
                            self.held[..after.len()].copy_from_slice(after);
                            self.held_len = after.len() as u8;
                            return replaced;
                        }
                    }
                }
            }
        }
    }

    /// Ends the stream: a held incomplete character becomes U+FFFD. Returns whether it did.
    pub(crate) fn finish(&mut self, out: &mut String) -> bool {
        let held = self.held_len != 0;
        if held {
            out.push('\u{FFFD}');
        }
        self.held_len = 0;
        held
    }

    /// Forgets held bytes.
    pub(crate) fn reset(&mut self) {
        self.held_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn chunked_decoding_equals_lossy(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..6), 0..12)) {
            let mut d = Utf8Stream::default();
            let mut out = String::new();
            for c in &chunks {
                d.push(c, &mut out);
            }
            d.finish(&mut out);
            let all: Vec<u8> = chunks.concat();
            prop_assert_eq!(out, String::from_utf8_lossy(&all).into_owned());
        }
    }

    #[test]
    fn emits_text_after_an_invalid_sequence_at_once() {
        let mut d = Utf8Stream::default();
        let mut out = String::new();
        d.push(&[0xF0, 0xA0], &mut out);
        assert_eq!(out, "");
        assert!(d.push(b"abc", &mut out));
        assert_eq!(out, "\u{FFFD}abc");
        assert!(!d.is_holding());
    }
}
