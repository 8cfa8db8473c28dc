package harmony

import (
	"os"
	"strings"
	"testing"
)

func benchEncoding(b *testing.B) *Encoding {
	b.Helper()
	enc, err := NewEncoding()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { enc.Close() })
	return enc
}

// reportTokens reports throughput for tokens handled per operation.
func reportTokens(b *testing.B, perOp int) {
	b.ReportMetric(float64(perOp)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// longCompletion returns an assistant completion (analysis then final answer) of roughly n
// tokens, starting inside the first header as after RenderCompletion.
func longCompletion(b *testing.B, enc *Encoding, n int) []uint32 {
	b.Helper()
	sentence := "The quick brown fox jumps over the lazy dog, and then writes 21 °C ☀️ in Tokyo. "
	body := strings.Repeat(sentence, n/20+1)
	text := "<|channel|>analysis<|message|>" + body + "<|end|><|start|>assistant<|channel|>final<|message|>" + body + "<|return|>"
	toks, err := enc.Encode(text, true)
	if err != nil {
		b.Fatal(err)
	}
	return toks
}

func BenchmarkRender(b *testing.B) {
	enc := benchEncoding(b)
	js, err := os.ReadFile("../../examples/conversation.json")
	if err != nil {
		b.Fatal(err)
	}
	conv := exampleConversation()
	toks, err := enc.RenderCompletion(conv, RoleAssistant)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("JSON", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := enc.RenderCompletionJSON(js, RoleAssistant); err != nil {
				b.Fatal(err)
			}
		}
		reportTokens(b, len(toks))
	})
	b.Run("Typed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := enc.RenderCompletion(conv, RoleAssistant); err != nil {
				b.Fatal(err)
			}
		}
		reportTokens(b, len(toks))
	})
}

func BenchmarkParse(b *testing.B) {
	enc := benchEncoding(b)
	toks := longCompletion(b, enc, 1000)
	b.Run("JSON", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := enc.ParseJSON(toks, RoleAssistant); err != nil {
				b.Fatal(err)
			}
		}
		reportTokens(b, len(toks))
	})
	b.Run("Typed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := enc.Parse(toks, RoleAssistant); err != nil {
				b.Fatal(err)
			}
		}
		reportTokens(b, len(toks))
	})
}

// BenchmarkStreamPerToken measures one sampled token: Process, then reading its delta
// (LastDelta allocates a string; AppendLastDelta reuses a buffer). One op is one token.
func BenchmarkStreamPerToken(b *testing.B) {
	enc := benchEncoding(b)
	toks := longCompletion(b, enc, 10000)
	run := func(b *testing.B, read func(p *StreamParser, buf []byte) []byte) {
		p, err := NewStreamParser(enc, RoleAssistant)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, 64)
		b.ReportAllocs()
		b.ResetTimer()
		for i, j := 0, 0; i < b.N; i, j = i+1, j+1 {
			if j == len(toks) { // start the completion again
				b.StopTimer()
				p.Close()
				if p, err = NewStreamParser(enc, RoleAssistant); err != nil {
					b.Fatal(err)
				}
				j = 0
				b.StartTimer()
			}
			if err := p.Process(toks[j]); err != nil {
				b.Fatal(err)
			}
			buf = read(p, buf[:0])
		}
		b.StopTimer()
		p.Close()
		reportTokens(b, 1)
	}
	b.Run("LastDelta", func(b *testing.B) {
		run(b, func(p *StreamParser, buf []byte) []byte {
			d, _ := p.LastDelta()
			return append(buf, d...)
		})
	})
	b.Run("AppendLastDelta", func(b *testing.B) {
		run(b, func(p *StreamParser, buf []byte) []byte {
			buf, _ = p.AppendLastDelta(buf)
			return buf
		})
	})
}

func BenchmarkEncode(b *testing.B) {
	enc := benchEncoding(b)
	text := strings.Repeat("The quick brown fox jumps over the lazy dog; 21 °C ☀️ in 東京. ", 200)
	toks, err := enc.Encode(text, false)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		if _, err := enc.Encode(text, false); err != nil {
			b.Fatal(err)
		}
	}
	reportTokens(b, len(toks))
}

// eventLoopCompletion is benches/c/event_loop.c's completion, token for token (the same 32,768
// tokens the C and C++ timings and the Rust bench's "event_loop.c completion" rows feed), so
// the per-token figures of every language compare directly.
func eventLoopCompletion(b *testing.B, enc *Encoding) []uint32 {
	b.Helper()
	const n = 32768
	body, err := enc.Encode(strings.Repeat("The quick brown fox jumps over the lazy dog, and then it rests in the shade. ", 4000), false)
	if err != nil || len(body) < n {
		b.Fatalf("completion: %v (%d tokens)", err, len(body))
	}
	toks := make([]uint32, n)
	toks[0], toks[1], toks[2] = TokenChannel, 17196, TokenMessage // <|channel|>final<|message|>
	copy(toks[3:n-1], body)
	toks[n-1] = TokenReturn
	return toks
}

// perToken runs feed once per op (one op is one token) over toks, starting a new stream with
// open (untimed) at the start of each pass, and reports ns/token.
func perToken(b *testing.B, toks []uint32, open func() (feed func(uint32) error, done func())) {
	feed, done := open()
	b.ReportAllocs()
	b.ResetTimer()
	for i, j := 0, 0; i < b.N; i, j = i+1, j+1 {
		if j == len(toks) {
			b.StopTimer()
			done()
			feed, done = open()
			j = 0
			b.StartTimer()
		}
		if err := feed(toks[j]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	done()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/token")
}

// BenchmarkOneCallPerToken is the one-call-per-token path over event_loop.c's completion: the
// parser's Step, and the Chat and Responses streams' Process (each one cgo call per token,
// returning Go copies). One op is one token.
func BenchmarkOneCallPerToken(b *testing.B) {
	enc := benchEncoding(b)
	toks := eventLoopCompletion(b, enc)
	b.Run("ParserStep", func(b *testing.B) {
		perToken(b, toks, func() (func(uint32) error, func()) {
			p, err := NewStreamParser(enc, RoleAssistant)
			if err != nil {
				b.Fatal(err)
			}
			return func(t uint32) error { _, err := p.Step(t); return err }, func() { p.Close() }
		})
	})
	b.Run("ChatStreamProcess", func(b *testing.B) {
		perToken(b, toks, func() (func(uint32) error, func()) {
			s, err := NewChatStream(enc, &ChatOptions{Model: "gpt-oss-120b", ID: "chatcmpl-bench", Created: 1764547200})
			if err != nil {
				b.Fatal(err)
			}
			return func(t uint32) error { _, err := s.Process(t); return err }, func() { s.Close() }
		})
	})
	b.Run("ChatStreamAppendProcess", func(b *testing.B) {
		perToken(b, toks, func() (func(uint32) error, func()) {
			s, err := NewChatStream(enc, &ChatOptions{Model: "gpt-oss-120b", ID: "chatcmpl-bench", Created: 1764547200})
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 512)
			return func(t uint32) error { _, _, err := s.AppendProcess(buf[:0], t); return err }, func() { s.Close() }
		})
	})
	b.Run("ResponsesStreamAppendProcess", func(b *testing.B) {
		perToken(b, toks, func() (func(uint32) error, func()) {
			s, err := NewResponsesStream(enc, &ResponsesOptions{Model: "gpt-oss-120b", ID: "resp_bench", CreatedAt: 1764547200})
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 2048)
			return func(t uint32) error { _, _, err := s.AppendProcess(buf[:0], t); return err }, func() { s.Close() }
		})
	})
	b.Run("ResponsesStreamProcess", func(b *testing.B) {
		perToken(b, toks, func() (func(uint32) error, func()) {
			s, err := NewResponsesStream(enc, &ResponsesOptions{Model: "gpt-oss-120b", ID: "resp_bench", CreatedAt: 1764547200})
			if err != nil {
				b.Fatal(err)
			}
			return func(t uint32) error { _, err := s.Process(t); return err }, func() { s.Close() }
		})
	})
}
