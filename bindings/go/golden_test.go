package harmony

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Golden vectors generated with openai-harmony 0.0.8 (tests/golden/vectors.jsonl); every
// render, parse and stream vector goes through this package and must match exactly.

const goldenPath = "../../tests/golden/vectors.jsonl"

type goldenStep struct {
	State       string  `json:"state"`
	Role        *string `json:"role"`
	Channel     *string `json:"channel"`
	Recipient   *string `json:"recipient"`
	ContentType *string `json:"content_type"`
	Delta       *string `json:"delta"`
	Messages    int     `json:"messages"`
}

type goldenVector struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// render, render_message
	Mode             string   `json:"mode"`
	NextRole         *string  `json:"next_role"`
	AutoDropAnalysis bool     `json:"auto_drop_analysis"`
	HasFunctionTools bool     `json:"conversation_has_function_tools"`
	Input            string   `json:"input"`
	Tokens           []uint32 `json:"tokens"`
	Error            *string  `json:"error"`
	// parse, stream
	Role     *string      `json:"role"`
	Strict   bool         `json:"strict"`
	Messages *string      `json:"messages"`
	Steps    []goldenStep `json:"steps"`
	ErrorAt  *int         `json:"error_at"`
	// encode, decode, stop_tokens
	AllowedSpecial    []string `json:"allowed_special"`
	Text              *string  `json:"text"`
	Lossy             *string  `json:"lossy"`
	LossyError        *string  `json:"lossy_error"`
	StopTokens        []uint32 `json:"stop_tokens"`
	StopTokensActions []uint32 `json:"stop_tokens_for_assistant_actions"`
}

var golden struct {
	once    sync.Once
	vectors []goldenVector
	err     error
}

func goldenVectors(t testing.TB, kind string) []goldenVector {
	t.Helper()
	golden.once.Do(func() {
		f, err := os.Open(goldenPath)
		if err != nil {
			golden.err = err
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<26)
		for sc.Scan() {
			var v goldenVector
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				golden.err = err
				return
			}
			golden.vectors = append(golden.vectors, v)
		}
		golden.err = sc.Err()
	})
	if golden.err != nil {
		t.Fatalf("reading %s: %v", goldenPath, golden.err)
	}
	var out []goldenVector
	for _, v := range golden.vectors {
		if v.Kind == kind {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s vectors in %s", kind, goldenPath)
	}
	return out
}

var sharedEncoding = sync.OnceValues(NewEncoding)

func testEncoding(t testing.TB) *Encoding {
	t.Helper()
	enc, err := sharedEncoding()
	if err != nil {
		t.Fatalf("NewEncoding: %v", err)
	}
	return enc
}

// roleOf maps a vector's role (null or a wire name) to a Role.
func roleOf(s *string) (Role, error) {
	if s == nil {
		return RoleNone, nil
	}
	return ParseRole(*s)
}

func parseOpts(strict bool) []ParseOption {
	if strict {
		return nil
	}
	return []ParseOption{Lenient}
}

func renderOpts(v goldenVector) []RenderOption {
	var o []RenderOption
	if v.Kind == "render" && !v.AutoDropAnalysis {
		o = append(o, KeepAnalysis)
	}
	if v.Kind == "render_message" && v.HasFunctionTools {
		o = append(o, HasFunctionTools)
	}
	return o
}

// renderGoldenJSON renders a render or render_message vector's input through the JSON API.
func renderGoldenJSON(enc *Encoding, v goldenVector) ([]uint32, error) {
	in, opts := []byte(v.Input), renderOpts(v)
	switch {
	case v.Kind == "render_message":
		return enc.RenderMessageJSON(in, opts...)
	case v.Mode == "completion":
		next, err := roleOf(v.NextRole)
		if err != nil {
			return nil, err
		}
		return enc.RenderCompletionJSON(in, next, opts...)
	case v.Mode == "conversation":
		return enc.RenderConversationJSON(in, opts...)
	case v.Mode == "training":
		return enc.RenderTrainingJSON(in, opts...)
	}
	panic("unknown render mode " + v.Mode)
}

// renderGoldenTyped unmarshals the input into Go structs and renders those; ok is false when
// the input does not unmarshal.
func renderGoldenTyped(enc *Encoding, v goldenVector) (toks []uint32, err error, ok bool) {
	opts := renderOpts(v)
	if v.Kind == "render_message" {
		var m Message
		if json.Unmarshal([]byte(v.Input), &m) != nil {
			return nil, nil, false
		}
		toks, err = enc.RenderMessage(&m, opts...)
		return toks, err, true
	}
	var c Conversation
	if json.Unmarshal([]byte(v.Input), &c) != nil {
		return nil, nil, false
	}
	switch v.Mode {
	case "completion":
		next, rerr := roleOf(v.NextRole)
		if rerr != nil {
			return nil, rerr, true
		}
		toks, err = enc.RenderCompletion(&c, next, opts...)
	case "conversation":
		toks, err = enc.RenderConversation(&c, opts...)
	case "training":
		toks, err = enc.RenderTraining(&c, opts...)
	}
	return toks, err, true
}

// checkRenderError checks that err is an *Error whose status fits the reference's error.
func checkRenderError(t *testing.T, v goldenVector, err error) {
	t.Helper()
	var he *Error
	if !errors.As(err, &he) {
		t.Errorf("%s: error %v is not an *Error", v.ID, err)
		return
	}
	want := []Status{StatusRender}
	switch msg := *v.Error; {
	case strings.HasPrefix(msg, "invalid conversation JSON"), strings.HasPrefix(msg, "invalid message JSON"):
		want = []Status{StatusInvalidJSON, StatusLimitExceeded}
	case strings.HasPrefix(msg, "unknown role"):
		want = []Status{StatusInvalidArgument}
	}
	if !slices.Contains(want, he.Status) {
		t.Errorf("%s: status %v, want one of %v (reference: %s; ours: %s)", v.ID, he.Status, want, *v.Error, he.Message)
	}
}

func testGoldenRender(t *testing.T, kind string) {
	enc := testEncoding(t)
	vs := goldenVectors(t, kind)
	var ok, failed, typedSame, typedFailedToo, typedLax, typedUnmarshalFailed int
	for _, v := range vs {
		got, err := renderGoldenJSON(enc, v)
		if v.Error != nil {
			if err == nil {
				t.Errorf("%s: reference fails (%s), we rendered %d tokens", v.ID, *v.Error, len(got))
				continue
			}
			checkRenderError(t, v, err)
			failed++
		} else if err != nil {
			t.Errorf("%s: unexpected error %v", v.ID, err)
			continue
		} else if !slices.Equal(got, v.Tokens) {
			t.Errorf("%s: tokens differ\n got  %v\n want %v", v.ID, got, v.Tokens)
			continue
		} else {
			ok++
		}

		// Round trip: Go structs -> JSON -> library renders as the hand-written JSON did.
		typed, terr, unmarshalled := renderGoldenTyped(enc, v)
		switch {
		case !unmarshalled && v.Error == nil:
			t.Errorf("%s: the library accepts the input but Go structs do not: %s", v.ID, v.Input)
		case !unmarshalled:
			typedUnmarshalFailed++
		case v.Error == nil && (terr != nil || !slices.Equal(typed, v.Tokens)):
			t.Errorf("%s: typed round trip differs: err %v\n got  %v\n want %v", v.ID, terr, typed, v.Tokens)
		case v.Error == nil:
			typedSame++
		case terr != nil:
			typedFailedToo++
		default:
			// encoding/json is laxer than serde (duplicate keys, case-insensitive names).
			typedLax++
		}
	}
	t.Logf("%s: %d vectors: %d rendered, %d failed as the reference", kind, len(vs), ok, failed)
	t.Logf("%s typed round trip: %d rendered identically; of the failures %d rejected by Go unmarshalling, %d by the library, %d accepted by encoding/json's laxer decoding",
		kind, typedSame, typedUnmarshalFailed, typedFailedToo, typedLax)
}

func TestGoldenRender(t *testing.T)        { testGoldenRender(t, "render") }
func TestGoldenRenderMessage(t *testing.T) { testGoldenRender(t, "render_message") }

// canonicalJSON marshals v as the library does, except that Go always escapes U+2028/U+2029.
func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	s := strings.ReplaceAll(string(b), `\u2028`, "\u2028")
	return strings.ReplaceAll(s, `\u2029`, "\u2029")
}

func TestGoldenParse(t *testing.T) {
	enc := testEncoding(t)
	vs := goldenVectors(t, "parse")
	var ok, failed int
	for _, v := range vs {
		role, rerr := roleOf(v.Role)
		if rerr != nil {
			if v.Error == nil {
				t.Errorf("%s: role %q rejected but the reference parses", v.ID, *v.Role)
			}
			failed++
			continue
		}
		js, err := enc.ParseJSON(v.Tokens, role, parseOpts(v.Strict)...)
		msgs, terr := enc.Parse(v.Tokens, role, parseOpts(v.Strict)...)
		if v.Messages == nil {
			var he *Error
			if err == nil || terr == nil {
				t.Errorf("%s: reference fails (%s), we parsed %s", v.ID, *v.Error, js)
			} else if !errors.As(err, &he) || (he.Status != StatusParse && he.Status != StatusUnknownToken) {
				t.Errorf("%s: error %v, want StatusParse", v.ID, err)
			}
			failed++
			continue
		}
		if err != nil || terr != nil {
			t.Errorf("%s: unexpected error %v / %v", v.ID, err, terr)
			continue
		}
		if string(js) != *v.Messages {
			t.Errorf("%s: messages differ\n got  %s\n want %s", v.ID, js, *v.Messages)
			continue
		}
		if got := canonicalJSON(t, msgs); got != *v.Messages {
			t.Errorf("%s: typed messages re-marshal differently\n got  %s\n want %s", v.ID, got, *v.Messages)
			continue
		}
		ok++
	}
	t.Logf("parse: %d vectors: %d parsed, %d failed as the reference", len(vs), ok, failed)
}

func stringOrNil(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}

func eqOpt(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func showOpt(s *string) string {
	if s == nil {
		return "<none>"
	}
	b, _ := json.Marshal(*s)
	return string(b)
}

// checkStep compares the parser against the reference's state after one step.
func checkStep(t *testing.T, where string, p *StreamParser, s goldenStep) bool {
	t.Helper()
	wantRole := RoleNone
	if s.Role != nil {
		var err error
		if wantRole, err = ParseRole(*s.Role); err != nil {
			t.Fatalf("%s: bad role in vector: %v", where, err)
		}
	}
	checks := []struct {
		what      string
		got, want *string
	}{
		{"delta", stringOrNil(p.LastDelta()), s.Delta},
		{"channel", stringOrNil(p.Channel()), s.Channel},
		{"recipient", stringOrNil(p.Recipient()), s.Recipient},
		{"content_type", stringOrNil(p.ContentType()), s.ContentType},
	}
	good := true
	for _, c := range checks {
		if !eqOpt(c.got, c.want) {
			t.Errorf("%s: %s = %s, want %s", where, c.what, showOpt(c.got), showOpt(c.want))
			good = false
		}
	}
	if got := p.State().String(); got != s.State {
		t.Errorf("%s: state %s, want %s", where, got, s.State)
		good = false
	}
	if got := p.Role(); got != wantRole {
		t.Errorf("%s: role %v, want %v", where, got, wantRole)
		good = false
	}
	if got := p.MessageCount(); got != s.Messages {
		t.Errorf("%s: %d messages, want %d", where, got, s.Messages)
		good = false
	}
	return good
}

func TestGoldenStream(t *testing.T) {
	enc := testEncoding(t)
	vs := goldenVectors(t, "stream")
	var steps, failedAsReference int
	for _, v := range vs {
		role, err := roleOf(v.Role)
		if err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		p, err := NewStreamParser(enc, role, parseOpts(v.Strict)...)
		if err != nil {
			t.Fatalf("%s: NewStreamParser: %v", v.ID, err)
		}
		for i := 0; i <= len(v.Tokens); i++ {
			if i < len(v.Tokens) {
				err = p.Process(v.Tokens[i])
			} else {
				err = p.ProcessEOS()
			}
			if v.ErrorAt != nil && *v.ErrorAt == i {
				if !errors.Is(err, StatusParse) {
					t.Errorf("%s step %d: got %v, want a StatusParse error like the reference (%s)", v.ID, i, err, *v.Error)
				}
				failedAsReference++
				break
			}
			if err != nil {
				t.Errorf("%s step %d: unexpected error %v", v.ID, i, err)
				break
			}
			steps++
			if !checkStep(t, v.ID+" step "+itoa(i), p, v.Steps[i]) {
				break
			}
		}
		js, err := p.MessagesJSON()
		if err != nil || string(js) != *v.Messages {
			t.Errorf("%s: messages %s (%v), want %s", v.ID, js, err, *v.Messages)
		}
		msgs, err := p.Messages()
		if err != nil || canonicalJSON(t, msgs) != *v.Messages {
			t.Errorf("%s: typed messages %v (%v), want %s", v.ID, msgs, err, *v.Messages)
		}
		p.Close()

		// The same tokens fed at once end in the same place.
		q, _ := NewStreamParser(enc, role, parseOpts(v.Strict)...)
		err = q.ProcessTokens(v.Tokens)
		if err == nil {
			err = q.ProcessEOS()
		}
		if (err != nil) != (v.ErrorAt != nil) {
			t.Errorf("%s: ProcessTokens+ProcessEOS error %v, reference error at %v", v.ID, err, v.ErrorAt)
		}
		if js, _ := q.MessagesJSON(); string(js) != *v.Messages {
			t.Errorf("%s: ProcessTokens messages %s, want %s", v.ID, js, *v.Messages)
		}
		q.Close()
	}
	t.Logf("stream: %d vectors, %d steps compared, %d failed where the reference fails", len(vs), steps, failedAsReference)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestGoldenEncode(t *testing.T) {
	enc := testEncoding(t)
	vs := goldenVectors(t, "encode")
	allSpecial := 0
	for _, v := range goldenVectors(t, "encode") {
		allSpecial = max(allSpecial, len(v.AllowedSpecial))
	}
	var checked, subsets int
	for _, v := range vs {
		var allow bool
		switch len(v.AllowedSpecial) {
		case 0:
		case allSpecial:
			allow = true
		default:
			// A subset of special tokens: EncodeAllowed (harmony_encode_allowed).
			ids := make([]uint32, 0, len(v.AllowedSpecial))
			for _, name := range v.AllowedSpecial {
				// Names that are not special tokens (the generator passes some) can never match.
				if id, err := enc.SpecialTokenID(name); err == nil {
					ids = append(ids, id)
				}
			}
			if got, err := enc.EncodeAllowed(*v.Text, ids); err != nil || !slices.Equal(got, v.Tokens) {
				t.Errorf("%s: EncodeAllowed = %v (%v), want %v", v.ID, got, err, v.Tokens)
			}
			subsets++
			continue
		}
		got, err := enc.Encode(*v.Text, allow)
		if err != nil || !slices.Equal(got, v.Tokens) {
			t.Errorf("%s: Encode = %v (%v), want %v", v.ID, got, err, v.Tokens)
			continue
		}
		app, err := enc.AppendEncode([]uint32{7}, *v.Text, allow)
		if err != nil || app[0] != 7 || !slices.Equal(app[1:], v.Tokens) {
			t.Errorf("%s: AppendEncode = %v (%v), want 7 then %v", v.ID, app, err, v.Tokens)
		}
		checked++
	}
	t.Logf("encode: %d vectors with all or no special tokens, %d with an allowed subset", checked, subsets)
	if subsets == 0 || checked+subsets != len(vs) {
		t.Errorf("encode: %d + %d of %d vectors checked", checked, subsets, len(vs))
	}
}

func TestGoldenDecode(t *testing.T) {
	enc := testEncoding(t)
	vs := goldenVectors(t, "decode")
	for _, v := range vs {
		for _, lossy := range []bool{false, true} {
			want, wantErr := v.Text, v.Error
			if lossy {
				want, wantErr = v.Lossy, v.LossyError
			}
			got, err := enc.Decode(v.Tokens, lossy)
			buf, aerr := enc.AppendDecode([]byte("x"), v.Tokens, lossy)
			if want != nil {
				if err != nil || got != *want || aerr != nil || string(buf) != "x"+*want {
					t.Errorf("%s lossy=%v: Decode = %q (%v), AppendDecode = %q (%v), want %q", v.ID, lossy, got, err, buf, aerr, *want)
				}
				continue
			}
			wantStatus := StatusInvalidUTF8
			if strings.Contains(*wantErr, "Invalid token") {
				wantStatus = StatusUnknownToken
			}
			if !errors.Is(err, wantStatus) || !errors.Is(aerr, wantStatus) {
				t.Errorf("%s lossy=%v: errors %v / %v, want %v (reference: %s)", v.ID, lossy, err, aerr, wantStatus, *wantErr)
			}
		}
	}
	t.Logf("decode: %d vectors checked, strict and lossy", len(vs))
}

func TestGoldenStopTokens(t *testing.T) {
	enc := testEncoding(t)
	v := goldenVectors(t, "stop_tokens")[0]
	if got, err := enc.StopTokens(); err != nil || !slices.Equal(got, v.StopTokens) {
		t.Errorf("StopTokens = %v (%v), want %v", got, err, v.StopTokens)
	}
	if got, err := enc.StopTokensForAssistantActions(); err != nil || !slices.Equal(got, v.StopTokensActions) {
		t.Errorf("StopTokensForAssistantActions = %v (%v), want %v", got, err, v.StopTokensActions)
	}
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
