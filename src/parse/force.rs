//! Ending reasoning on demand (issue 16 §3): the exact tokens an engine injects when a
//! thinking budget runs out — close the current message and open the final answer, or a call
//! of a function — derived from where the parser is. The parser (and the bridges over it)
//! then read the injected tokens like sampled ones, and the model continues with the answer.

use super::{StreamParser, StreamState};
use crate::chat::Role;
use crate::tokenizer::{encode, AllowedSpecial, SpecialToken};

/// What the injected tokens open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    /// `<|channel|>final<|message|>`: the final answer.
    Final,
    /// `<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>`: a call of
    /// function NAME (the header the model samples itself and the grammars constrain).
    Call(&'a str),
}

impl<'a> Answer<'a> {
    /// The final answer without `function`, else a call of it; an empty name, or one with
    /// whitespace or `<` (which cannot stand in a recipient), is `InvalidArgument`.
    pub fn of(function: Option<&'a str>) -> crate::Result<Self> {
        match function {
            None => Ok(Answer::Final),
            Some(n) if n.is_empty() || n.contains(|c: char| c.is_whitespace() || c == '<') => {
                Err(crate::Error::InvalidArgument(format!("function {n:?} is not a function name")))
            }
            Some(n) => Ok(Answer::Call(n)),
        }
    }
}

fn header(answer: Answer<'_>) -> String {
    match answer {
        Answer::Final => "<|channel|>final<|message|>".to_string(),
        Answer::Call(name) => {
            format!("<|channel|>commentary to={} <|constrain|>json<|message|>", crate::routing::function_recipient(name))
        }
    }
}

impl StreamParser {
    /// The tokens that end the current message and open `answer`, as the model would have
    /// sampled them, for an engine whose reasoning budget ran out: after them the model's next
    /// token is the answer's first. Empty when the parser is already inside such a message
    /// (content of a final answer, or of a call of that function).
    ///
    /// - inside content: `<|end|><|start|>assistant` and the answer's header;
    /// - at the start of a header nothing but the role has been read of (right after
    ///   `<|start|>` or `<|start|>assistant`, or at the start of a completion rendered for the
    ///   assistant): the rest of the header (the role `assistant` first when none is known);
    /// - inside a header already begun: `<|message|><|end|>` (the begun header becomes an empty
    ///   message), then `<|start|>assistant` and the answer's header;
    /// - between messages: `<|start|>assistant` and the answer's header.
    pub fn force_answer_tokens(&self, answer: Answer<'_>) -> Vec<u32> {
        let open = format!("{}assistant{}", SpecialToken::Start.as_str(), header(answer));
        let text = match self.state() {
            StreamState::Content => {
                let already = match answer {
                    Answer::Final => self.current_channel() == Some("final") && self.current_recipient().is_none(),
                    Answer::Call(name) => {
                        self.current_recipient().and_then(crate::routing::function_name) == Some(name)
                    }
                };
                if already {
                    return Vec::new();
                }
                format!("{}{open}", SpecialToken::End.as_str())
            }
            StreamState::Header => {
                let begun = crate::tokenizer::decode_lossy(&self.header_tokens).unwrap_or_default();
                match begun.trim() {
                    "" if self.current_role() == Some(Role::Assistant) => header(answer),
                    "" => format!("assistant{}", header(answer)),
                    "assistant" => header(answer),
                    _ => format!("{}{}{open}", SpecialToken::Message.as_str(), SpecialToken::End.as_str()),
                }
            }
            StreamState::ExpectStart => open,
        };
        encode(&text, AllowedSpecial::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ParseOptions;
    use crate::tokenizer::decode_utf8;

    fn after(prefix: &str, options: ParseOptions) -> StreamParser {
        let mut p = StreamParser::new(Some(Role::Assistant), options);
        for t in encode(prefix, AllowedSpecial::All) {
            p.process(t).unwrap();
        }
        p
    }

    #[test]
    fn tokens_by_state() {
        let cases = [
            ("<|channel|>analysis<|message|>Let me think", "<|end|><|start|>assistant<|channel|>final<|message|>"),
            ("", "<|channel|>final<|message|>"),
            ("<|channel|>analysis<|message|>A<|end|>", "<|start|>assistant<|channel|>final<|message|>"),
            ("<|channel|>analysis<|message|>A<|end|><|start|>", "assistant<|channel|>final<|message|>"),
            ("<|channel|>analysis<|message|>A<|end|><|start|>assistant", "<|channel|>final<|message|>"),
            ("<|channel|>anal", "<|message|><|end|><|start|>assistant<|channel|>final<|message|>"),
            ("<|channel|>final<|message|>The answer", ""),
        ];
        for options in [ParseOptions::default(), ParseOptions::recover()] {
            for (prefix, want) in cases {
                let p = after(prefix, options);
                let got = p.force_answer_tokens(Answer::Final);
                assert_eq!(decode_utf8(&got).unwrap(), want, "{prefix:?} {options:?}");
                assert_eq!(got, encode(want, AllowedSpecial::All), "tokens as the renderer encodes them");
            }
        }
        let p = after("<|channel|>analysis<|message|>x", ParseOptions::default());
        let call = p.force_answer_tokens(Answer::Call("get_weather"));
        assert_eq!(
            decode_utf8(&call).unwrap(),
            "<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
        );
        let p = after("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{", ParseOptions::default());
        assert!(p.force_answer_tokens(Answer::Call("get_weather")).is_empty());
        assert!(!p.force_answer_tokens(Answer::Call("other")).is_empty());
    }

    /// The injected tokens parse, in every mode, into the message that was cut and the answer
    /// the model then writes.
    #[test]
    fn injected_tokens_parse_like_sampled_ones() {
        for options in [ParseOptions::default(), ParseOptions { strict: false, ..ParseOptions::default() }, ParseOptions::recover()] {
            let mut p = after("<|channel|>analysis<|message|>Thinking hard", options);
            for t in p.force_answer_tokens(Answer::Final) {
                p.process(t).unwrap();
            }
            for t in encode("42<|return|>", AllowedSpecial::All) {
                p.process(t).unwrap();
            }
            p.process_eos().unwrap();
            let m = p.messages();
            assert_eq!(m.len(), 2, "{options:?}");
            assert_eq!(m[0].channel.as_deref(), Some("analysis"));
            assert_eq!(m[1].channel.as_deref(), Some("final"));
            assert!(m.iter().all(|m| m.repairs.is_empty()));
        }
    }
}
