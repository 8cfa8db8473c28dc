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
