package harmony

import (
	"errors"
	"strings"
	"testing"
)

func newParser(t *testing.T, enc *Encoding, role Role, opts ...ParseOption) *StreamParser {
	t.Helper()
	p, err := NewStreamParser(enc, role, opts...)
	if err != nil {
		t.Fatalf("NewStreamParser: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func mustProcess(t *testing.T, p *StreamParser, tokens ...uint32) {
	t.Helper()
	for _, tok := range tokens {
		if err := p.Process(tok); err != nil {
			t.Fatalf("Process(%d): %v", tok, err)
		}
	}
}

func wantDelta(t *testing.T, p *StreamParser, want string, ok bool) {
	t.Helper()
	got, gotOK := p.LastDelta()
	if got != want || gotOK != ok {
		t.Errorf("LastDelta() = %q, %v; want %q, %v", got, gotOK, want, ok)
	}
	buf, appOK := p.AppendLastDelta([]byte(">"))
	if string(buf) != ">"+want || appOK != ok {
		t.Errorf("AppendLastDelta = %q, %v; want %q, %v", buf, appOK, ">"+want, ok)
	}
}

// A character split across tokens produces no delta until it is complete. In o200k the
// single-byte tokens for 0xC3 and 0xA9 (the two bytes of "é") are 127 and 102.
func TestStreamMultiByteSplit(t *testing.T) {
	enc := testEncoding(t)
	p := newParser(t, enc, RoleAssistant)
	if p.State() != StreamHeader || p.Role() != RoleAssistant {
		t.Fatalf("start: state %v role %v", p.State(), p.Role())
	}
	wantDelta(t, p, "", false)
	final, err := enc.Encode("final", false)
	if err != nil || len(final) != 1 {
		t.Fatalf("Encode(final) = %v, %v", final, err)
	}
	mustProcess(t, p, TokenChannel, final[0], TokenMessage)
	if p.State() != StreamContent {
		t.Fatalf("state %v, want Content", p.State())
	}
	if ch, ok := p.Channel(); ch != "final" || !ok {
		t.Errorf("Channel() = %q, %v", ch, ok)
	}
	if _, ok := p.Recipient(); ok {
		t.Error("Recipient() reported one")
	}
	if _, ok := p.ContentType(); ok {
		t.Error("ContentType() reported one")
	}
	if c, ok := p.Content(); c != "" || !ok {
		t.Errorf("Content() = %q, %v at the start of content", c, ok)
	}

	mustProcess(t, p, 127) // 0xC3
	wantDelta(t, p, "", false)
	mustProcess(t, p, 102) // 0xA9
	wantDelta(t, p, "é", true)
	mustProcess(t, p, 0) // "!"
	wantDelta(t, p, "!", true)
	if c, ok := p.Content(); c != "é!" || !ok {
		t.Errorf("Content() = %q, %v", c, ok)
	}
	if p.MessageCount() != 0 {
		t.Errorf("MessageCount() = %d before the stop token", p.MessageCount())
	}
	mustProcess(t, p, TokenReturn)
	wantDelta(t, p, "", false)
	if p.MessageCount() != 1 || p.State() != StreamExpectStart {
		t.Errorf("after <|return|>: %d messages, state %v", p.MessageCount(), p.State())
	}
	if err := p.ProcessEOS(); err != nil {
		t.Fatalf("ProcessEOS: %v", err)
	}
	js, err := p.MessagesJSON()
	if want := `[{"role":"assistant","content":"é!","channel":"final"}]`; err != nil || string(js) != want {
		t.Errorf("MessagesJSON() = %s, %v; want %s", js, err, want)
	}
	msgs, err := p.Messages()
	if err != nil || len(msgs) != 1 || msgs[0].Text() != "é!" || *msgs[0].Channel != "final" || msgs[0].Role != RoleAssistant {
		t.Errorf("Messages() = %+v, %v", msgs, err)
	}

	// After ProcessEOS the parser is finished.
	err = p.Process(5)
	var he *Error
	if !errors.As(err, &he) || he.Status != StatusInvalidArgument || !strings.Contains(he.Message, "already finished") {
		t.Errorf("Process(5) after ProcessEOS: %v, want a StatusInvalidArgument *Error", err)
	}
}

func TestStreamRecipientAndContentType(t *testing.T) {
	enc := testEncoding(t)
	reply, err := enc.Encode("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"a\":1}<|call|>", true)
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(t, enc, RoleAssistant)
	var sawRecipient, sawType bool
	var text []byte
	for _, tok := range reply {
		mustProcess(t, p, tok)
		if r, ok := p.Recipient(); ok && r == "functions.get_weather" {
			sawRecipient = true
		}
		if ct, ok := p.ContentType(); ok && ct == "<|constrain|>json" {
			sawType = true
		}
		text, _ = p.AppendLastDelta(text)
	}
	if !sawRecipient || !sawType || string(text) != `{"a":1}` {
		t.Errorf("recipient %v, content type %v, streamed %q", sawRecipient, sawType, text)
	}
	msgs, err := p.Messages()
	if err != nil || len(msgs) != 1 || *msgs[0].Recipient != "functions.get_weather" || *msgs[0].ContentType != "<|constrain|>json" {
		t.Errorf("Messages() = %+v, %v", msgs, err)
	}
}

func TestStreamProcessTokensAndLenient(t *testing.T) {
	enc := testEncoding(t)
	full, err := enc.Encode("<|start|>assistant<|channel|>final<|message|>4<|return|>", true)
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(t, enc, RoleNone, Lenient)
	if p.Role() != RoleNone || p.State() != StreamExpectStart {
		t.Errorf("start: role %v state %v", p.Role(), p.State())
	}
	if err := p.ProcessTokens(full); err != nil {
		t.Fatalf("ProcessTokens: %v", err)
	}
	if p.MessageCount() != 1 {
		t.Fatalf("MessageCount() = %d", p.MessageCount())
	}
	// The failing token is reported by its index.
	err = p.ProcessTokens(full[1:2])
	if !errors.Is(err, StatusParse) {
		t.Errorf("ProcessTokens(assistant) = %v, want StatusParse", err)
	}

	// A stop token inside the first header, then the end of the stream: strict parsing fails
	// (at the end, as 0.0.8: the stop token itself is kept as header text); lenient does not.
	stopInHeader := []uint32{full[3], TokenEnd}
	if _, err := enc.Parse(stopInHeader, RoleAssistant); !errors.Is(err, StatusParse) {
		t.Errorf("strict: %v, want StatusParse", err)
	}
	if _, err := enc.Parse(stopInHeader, RoleAssistant, Lenient); err != nil {
		t.Errorf("lenient: %v", err)
	}
	// EOS inside a header is an error.
	hdr := newParser(t, enc, RoleAssistant)
	if err := hdr.ProcessEOS(); !errors.Is(err, StatusParse) {
		t.Errorf("EOS in header: %v, want StatusParse", err)
	}
}

func TestStreamFixConstrainRecipient(t *testing.T) {
	enc := testEncoding(t)
	toks, err := enc.Encode("<|channel|>final <|constrain|>json<|message|>{}<|return|>", true)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := enc.Parse(toks, RoleAssistant)
	if err != nil || plain[0].Recipient == nil || *plain[0].Recipient != "<|constrain|>json" {
		t.Fatalf("default parse (0.0.8 behaviour): %+v, %v", plain, err)
	}
	fixed, err := enc.Parse(toks, RoleAssistant, FixConstrainRecipient)
	if err != nil || fixed[0].Recipient != nil || fixed[0].ContentType == nil || *fixed[0].ContentType != "<|constrain|>json" {
		t.Fatalf("fixed parse: %+v, %v", fixed, err)
	}
	p := newParser(t, enc, RoleAssistant, FixConstrainRecipient)
	if err := p.ProcessTokens(toks); err != nil {
		t.Fatal(err)
	}
	if msgs, err := p.Messages(); err != nil || msgs[0].Recipient != nil {
		t.Errorf("stream with FixConstrainRecipient: %+v, %v", msgs, err)
	}
}

func TestStreamParserOutlivesEncoding(t *testing.T) {
	enc, err := NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(t, enc, RoleAssistant)
	enc.Close()
	toks, err := testEncoding(t).Encode("<|channel|>final<|message|>ok<|return|>", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ProcessTokens(toks); err != nil {
		t.Fatalf("parser after its encoding was closed: %v", err)
	}
	if p.MessageCount() != 1 {
		t.Errorf("MessageCount() = %d", p.MessageCount())
	}
	if _, err := NewStreamParser(enc, RoleAssistant); !errors.Is(err, ErrClosed) {
		t.Errorf("NewStreamParser(closed encoding) = %v, want ErrClosed", err)
	}
}

func TestStreamParserClose(t *testing.T) {
	enc := testEncoding(t)
	p, err := NewStreamParser(enc, RoleAssistant)
	if err != nil {
		t.Fatal(err)
	}
	mustProcess(t, p, TokenChannel)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Process":       p.Process(1),
		"ProcessTokens": p.ProcessTokens([]uint32{1}),
		"ProcessEOS":    p.ProcessEOS(),
	} {
		var he *Error
		if !errors.As(err, &he) || he.Status != StatusInvalidArgument || !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if _, err := p.MessagesJSON(); !errors.Is(err, ErrClosed) {
		t.Errorf("MessagesJSON after Close: %v", err)
	}
	if _, err := p.Messages(); !errors.Is(err, ErrClosed) {
		t.Errorf("Messages after Close: %v", err)
	}
	if _, ok := p.LastDelta(); ok {
		t.Error("LastDelta after Close reported a delta")
	}
	for _, f := range []func() (string, bool){p.Channel, p.Recipient, p.ContentType, p.Content} {
		if _, ok := f(); ok {
			t.Error("accessor after Close reported a value")
		}
	}
	if p.State() != -1 || p.Role() != RoleNone || p.MessageCount() != 0 {
		t.Errorf("after Close: state %v role %v count %d", p.State(), p.Role(), p.MessageCount())
	}

	var nilParser *StreamParser
	if err := nilParser.Process(1); !errors.Is(err, ErrClosed) {
		t.Errorf("nil parser: %v", err)
	}
	if nilParser.Close() != nil || nilParser.State() != -1 {
		t.Error("nil parser Close/State")
	}
}

func TestStreamParserBadArguments(t *testing.T) {
	enc := testEncoding(t)
	for _, tc := range []struct {
		role Role
		opts []ParseOption
	}{
		{Role(5), nil},
		{Role(-2), nil},
		{RoleAssistant, []ParseOption{ParseOption(0x80)}},
	} {
		_, err := NewStreamParser(enc, tc.role, tc.opts...)
		var he *Error
		if !errors.As(err, &he) || he.Status != StatusInvalidArgument || he.Message == "" {
			t.Errorf("NewStreamParser(%v, %v) = %v, want StatusInvalidArgument", tc.role, tc.opts, err)
		}
	}
	if _, err := NewStreamParser(nil, RoleAssistant); !errors.Is(err, ErrClosed) {
		t.Errorf("NewStreamParser(nil) = %v", err)
	}
	// Unknown token ids are parse errors in a stream.
	p := newParser(t, enc, RoleNone)
	if err := p.Process(4294967295); !errors.Is(err, StatusParse) {
		t.Errorf("Process(unknown id) = %v, want StatusParse", err)
	}
}

// Issue 14: one cgo call per sampled token gives the delta, the boundaries and the header.
func TestStepEvents(t *testing.T) {
	enc := testEncoding(t)
	toks, err := enc.Encode("<|channel|>analysis<|message|>Hm.<|end|><|start|>assistant<|channel|>commentary"+
		" to=functions.f <|constrain|>json<|message|>{\"a\":1}<|call|>", true)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewStreamParser(enc, RoleAssistant)
	defer p.Close()
	q, _ := NewStreamParser(enc, RoleAssistant)
	defer q.Close()
	var text string
	started, headers, ended := 0, 0, 0
	for i, tok := range toks {
		ev, err := p.Step(tok)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if err := q.Process(tok); err != nil {
			t.Fatal(err)
		}
		d, _ := q.LastDelta()
		if ev.Delta != d || ev.State != q.State() || ev.MessageCount != q.MessageCount() || ev.Has(EventDelta) != (d != "") {
			t.Errorf("step %d: event %+v disagrees with the accessors (delta %q)", i, ev, d)
		}
		text += ev.Delta
		if ev.Has(EventMessageStarted) {
			started++
		}
		if ev.Has(EventHeaderComplete) {
			headers++
			ch, _ := q.Channel()
			rc, _ := q.Recipient()
			if ev.Channel != ch || ev.Recipient != rc {
				t.Errorf("header %d: %+v", headers, ev)
			}
		}
		if ev.Has(EventMessageEnded) {
			ended++
			if ended == 2 && (ev.Channel != "commentary" || ev.Recipient != "functions.f" || ev.ContentType != "<|constrain|>json") {
				t.Errorf("ended tool call: %+v", ev)
			}
		}
	}
	if started != 2 || headers != 2 || ended != 2 || text != `Hm.{"a":1}` {
		t.Errorf("started %d headers %d ended %d text %q", started, headers, ended, text)
	}
	if ev, err := p.StepEOS(); err != nil || ev.Flags != 0 || ev.MessageCount != 2 {
		t.Errorf("StepEOS = %+v, %v", ev, err)
	}
	m, err := p.Message(1)
	if err != nil || m.Text() != `{"a":1}` || *m.Recipient != "functions.f" || *m.Channel != "commentary" || m.Name != nil {
		t.Errorf("Message(1) = %+v, %v", m, err)
	}
	_, err = p.Message(2)
	expectError(t, "message out of range", err, StatusInvalidArgument, "out of range")
	r, _ := NewStreamParser(enc, RoleNone)
	defer r.Close()
	_, err = r.Step(5)
	expectError(t, "step error", err, StatusParse, "<|start|>")
	r.Close()
	if _, err := r.Step(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Step after Close: %v", err)
	}
}

// Recover mode parses a malformed completion: a stray <|return|> after <|end|> (vLLM #50690).
func TestParseRecover(t *testing.T) {
	enc := testEncoding(t)
	stray := []uint32{200005, 17196, 200008, 17045, 200007, 200002}
	if _, err := enc.Parse(stray, RoleAssistant); !errors.Is(err, StatusParse) {
		t.Fatalf("strict: %v, want StatusParse", err)
	}
	msgs, err := enc.Parse(stray, RoleAssistant, Recover)
	if err != nil || len(msgs) != 1 || msgs[0].Channel == nil || *msgs[0].Channel != "final" || msgs[0].Text() != "Answer" {
		t.Fatalf("recover: %+v, %v", msgs, err)
	}
}

// A raw parser continuing an open final answer (prefill; harmony_parser_new_continuing).
func TestContinuingParser(t *testing.T) {
	enc := testEncoding(t)
	p, err := NewContinuingParser(enc, Continuation{Channel: "final"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.ProcessTokens(mustEncode(t, enc, " 42.<|return|>")); err != nil {
		t.Fatal(err)
	}
	if err := p.ProcessEOS(); err != nil {
		t.Fatal(err)
	}
	msgs, err := p.Messages()
	if err != nil || len(msgs) != 1 || msgs[0].Channel == nil || *msgs[0].Channel != "final" || msgs[0].Text() != " 42." {
		t.Errorf("Messages = %+v, %v", msgs, err)
	}
}
