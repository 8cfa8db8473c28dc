package harmony

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Ports of tests/chat_completions.rs: a Chat Completions request renders token for token like
// the equivalent hand-written Harmony conversation, completions parse into chat.completion
// responses, and the streamed chunks join to the same message.

const chatDate = "2025-06-28"

var chatOpts = &ChatOptions{ConversationStartDate: chatDate}

// chatSystem is the system message the bridge writes, in wire format.
func chatSystem(effort string) string {
	return `{"role":"system","content":[{"type":"system_content",` +
		`"model_identity":"You are ChatGPT, a large language model trained by OpenAI.",` +
		`"reasoning_effort":"` + effort + `","conversation_start_date":"` + chatDate + `","knowledge_cutoff":"2024-06",` +
		`"channel_config":{"valid_channels":["analysis","commentary","final"],"channel_required":true}}]}`
}

const weatherSchema = `{"type":"object","properties":{` +
	`"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},` +
	`"format":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"}},` +
	`"required":["location"]}`

// chatResponse decodes chat.completion responses and chat.completion.chunk objects.
type chatResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created uint64 `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int          `json:"index"`
		Message      *chatMessage `json:"message"`
		Delta        *chatMessage `json:"delta"`
		FinishReason *string      `json:"finish_reason"`
	} `json:"choices"`
}

type chatMessage struct {
	Role             *string        `json:"role"`
	Content          *string        `json:"content"`
	ReasoningContent *string        `json:"reasoning_content"`
	ToolCalls        []chatToolCall `json:"tool_calls"`
}

type chatToolCall struct {
	Index    *int    `json:"index"`
	ID       *string `json:"id"`
	Type     *string `json:"type"`
	Function struct {
		Name      *string `json:"name"`
		Arguments *string `json:"arguments"`
	} `json:"function"`
}

func decodeChat(t testing.TB, js []byte) *chatResponse {
	t.Helper()
	var r chatResponse
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatalf("decoding %s: %v", js, err)
	}
	if len(r.Choices) != 1 || r.Choices[0].Index != 0 {
		t.Fatalf("want one choice with index 0: %s", js)
	}
	return &r
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func mustEncode(t testing.TB, enc *Encoding, text string) []uint32 {
	t.Helper()
	toks, err := enc.Encode(text, true)
	if err != nil {
		t.Fatalf("Encode(%q): %v", text, err)
	}
	return toks
}

func mustChatRender(t *testing.T, enc *Encoding, request string, opts *ChatOptions) []uint32 {
	t.Helper()
	got, err := enc.ChatRender([]byte(request), opts)
	if err != nil {
		t.Fatalf("ChatRender(%s): %v", request, err)
	}
	return got
}

func mustReference(t *testing.T, enc *Encoding, conv string) []uint32 {
	t.Helper()
	want, err := enc.RenderCompletionJSON([]byte(conv), RoleAssistant)
	if err != nil {
		t.Fatalf("RenderCompletionJSON(%s): %v", conv, err)
	}
	return want
}

func TestChatRenderDeveloperAndUser(t *testing.T) {
	enc := testEncoding(t)
	request := `{"model":"gpt-oss-120b","messages":[` +
		`{"role":"developer","content":"You are a helpful assistant."},` +
		`{"role":"user","content":"Hello!"}],"temperature":0.7,"stream":false}`
	conv := `{"messages":[` + chatSystem("Medium") + `,` +
		`{"role":"developer","content":[{"type":"developer_content","instructions":"You are a helpful assistant."}]},` +
		`{"role":"user","content":"Hello!"}]}`
	got := mustChatRender(t, enc, request, chatOpts)
	if want := mustReference(t, enc, conv); !slices.Equal(got, want) {
		t.Errorf("ChatRender =\n%v\nwant\n%v", got, want)
	}
}

// The function-calling flow of the harmony docs: a tool is declared, the assistant reasons
// and calls it, the tool answers, and the model is asked to continue.
func TestChatRenderToolCallingFlow(t *testing.T) {
	enc := testEncoding(t)
	request := `{"model":"gpt-oss-20b","reasoning_effort":"low",` +
		`"tools":[{"type":"function","function":{"name":"get_current_weather",` +
		`"description":"Gets the current weather in the provided location.","parameters":` + weatherSchema + `}}],` +
		`"tool_choice":"auto","messages":[` +
		`{"role":"system","content":"Always respond in riddles"},` +
		`{"role":"user","content":"What is the weather like in SF?"},` +
		`{"role":"assistant","content":null,"reasoning_content":"Need to use function get_current_weather.",` +
		`"tool_calls":[{"id":"call_abc","type":"function",` +
		`"function":{"name":"get_current_weather","arguments":"{\"location\":\"San Francisco\"}"}}]},` +
		`{"role":"tool","tool_call_id":"call_abc","content":"{\"sunny\": true, \"temperature\": 20}"}]}`
	conv := `{"messages":[` + chatSystem("Low") + `,` +
		`{"role":"developer","content":[{"type":"developer_content","instructions":"Always respond in riddles",` +
		`"tools":{"functions":{"name":"functions","tools":[{"name":"get_current_weather",` +
		`"description":"Gets the current weather in the provided location.","parameters":` + weatherSchema + `}]}}}]},` +
		`{"role":"user","content":"What is the weather like in SF?"},` +
		`{"role":"assistant","channel":"analysis","content":"Need to use function get_current_weather."},` +
		`{"role":"assistant","channel":"commentary","recipient":"functions.get_current_weather",` +
		`"content_type":"<|constrain|>json","content":"{\"location\":\"San Francisco\"}"},` +
		`{"role":"tool","name":"functions.get_current_weather","recipient":"assistant","channel":"commentary",` +
		`"content":"{\"sunny\": true, \"temperature\": 20}"}]}`
	got := mustChatRender(t, enc, request, chatOpts)
	if want := mustReference(t, enc, conv); !slices.Equal(got, want) {
		t.Fatalf("ChatRender =\n%v\nwant\n%v", got, want)
	}
	text, err := enc.Decode(got, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Calls to these tools must go to the commentary channel: 'functions'.") ||
		!strings.HasSuffix(text, "<|start|>assistant") {
		t.Errorf("rendered prompt:\n%s", text)
	}
}

// The start date comes from the options, else from the request's extension field, never
// from the clock.
func TestChatRenderStartDate(t *testing.T) {
	enc := testEncoding(t)
	decode := func(request string, opts *ChatOptions) string {
		t.Helper()
		text, err := enc.Decode(mustChatRender(t, enc, request, opts), false)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	plain := `{"messages":[{"role":"user","content":"Hi"}]}`
	withDate := `{"conversation_start_date":"2024-01-02","messages":[{"role":"user","content":"Hi"}]}`
	if text := decode(plain, nil); strings.Contains(text, "Current date:") {
		t.Errorf("nil options wrote a date:\n%s", text)
	}
	if text := decode(plain, &ChatOptions{}); strings.Contains(text, "Current date:") {
		t.Errorf("empty options wrote a date:\n%s", text)
	}
	if text := decode(plain, chatOpts); !strings.Contains(text, "Current date: "+chatDate) {
		t.Errorf("options date missing:\n%s", text)
	}
	if text := decode(withDate, nil); !strings.Contains(text, "Current date: 2024-01-02") {
		t.Errorf("request date missing:\n%s", text)
	}
	if text := decode(withDate, chatOpts); !strings.Contains(text, "Current date: "+chatDate) {
		t.Errorf("options should win over the request:\n%s", text)
	}
}

func TestChatParseReasoningAndAnswer(t *testing.T) {
	enc := testEncoding(t)
	c := mustEncode(t, enc, "<|channel|>analysis<|message|>User asks 2+2.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>")
	js, err := enc.ChatParse(c, nil)
	if err != nil {
		t.Fatalf("ChatParse: %v", err)
	}
	r := decodeChat(t, js)
	if r.Object != "chat.completion" || r.ID != "chatcmpl-harmony" || r.Model != "gpt-oss" || r.Created != 0 {
		t.Errorf("defaults: %s", js)
	}
	ch := r.Choices[0]
	m := ch.Message
	if m == nil || str(m.Role) != "assistant" || str(m.Content) != "2 + 2 = 4." || str(m.ReasoningContent) != "User asks 2+2." {
		t.Errorf("message: %s", js)
	}
	if m != nil && m.ToolCalls != nil {
		t.Errorf("unexpected tool_calls: %s", js)
	}
	if str(ch.FinishReason) != "stop" {
		t.Errorf("finish_reason %s, want stop", str(ch.FinishReason))
	}

	// Options name the response.
	js, err = enc.ChatParse(c, &ChatOptions{Model: "gpt-oss-20b", ID: "chatcmpl-9", Created: 1_700_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeChat(t, js); r.ID != "chatcmpl-9" || r.Model != "gpt-oss-20b" || r.Created != 1_700_000_000 {
		t.Errorf("options not applied: %s", js)
	}
}

func TestChatParseToolCall(t *testing.T) {
	enc := testEncoding(t)
	// The docs' form puts the recipient after the channel.
	c := mustEncode(t, enc, "<|channel|>analysis<|message|>Need to use function get_current_weather.<|end|>"+
		"<|start|>assistant<|channel|>commentary to=functions.get_current_weather <|constrain|>json<|message|>"+
		"{\"location\":\"San Francisco\"}<|call|>")
	js, err := enc.ChatParse(c, nil)
	if err != nil {
		t.Fatalf("ChatParse: %v", err)
	}
	r := decodeChat(t, js)
	m := r.Choices[0].Message
	if m.Content != nil {
		t.Errorf("content %q, want null", *m.Content)
	}
	if str(m.ReasoningContent) != "Need to use function get_current_weather." {
		t.Errorf("reasoning_content %q", str(m.ReasoningContent))
	}
	if len(m.ToolCalls) != 1 {
		t.Fatalf("tool_calls: %s", js)
	}
	call := m.ToolCalls[0]
	if str(call.Type) != "function" || str(call.Function.Name) != "get_current_weather" ||
		str(call.Function.Arguments) != `{"location":"San Francisco"}` {
		t.Errorf("tool call: %s", js)
	}
	if !regexp.MustCompile(`^call_[0-9A-Za-z]{24}$`).MatchString(str(call.ID)) {
		t.Errorf("tool call id %q", str(call.ID))
	}
	if str(r.Choices[0].FinishReason) != "tool_calls" {
		t.Errorf("finish_reason %s", str(r.Choices[0].FinishReason))
	}
	if again, err := enc.ChatParse(c, nil); err != nil || bytes.Equal(again, js) {
		t.Errorf("ids should be random by default:\n%s\n%s (%v)", js, again, err)
	}
	seed := uint64(9)
	a, errA := enc.ChatParse(c, &ChatOptions{ToolCallIDSeed: &seed})
	b, errB := enc.ChatParse(c, &ChatOptions{ToolCallIDSeed: &seed})
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("ChatParse with a seed is not reproducible:\n%s\n%s", a, b)
	}
}

// The parse options reach the library (issue 11 §3).
func TestChatParseOptions(t *testing.T) {
	enc := testEncoding(t)
	c := mustEncode(t, enc, "<|channel|>analysis<|message|>R<|end|><|start|>assistant<|channel|>commentary to=functions.a<|message|>{}<|end|>"+
		"<|start|>assistant<|channel|>commentary to=functions.b<|message|>{}<|call|>")
	no := false
	opts := &ChatOptions{ReasoningField: "reasoning", ToolCallIDPrefix: "req-", ParallelToolCalls: &no}
	js, err := enc.ChatParse(c, opts)
	if err != nil {
		t.Fatalf("ChatParse: %v", err)
	}
	var r struct {
		Choices []struct {
			Message struct {
				Reasoning string `json:"reasoning"`
				ToolCalls []struct {
					ID       string                `json:"id"`
					Function struct{ Name string } `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatal(err)
	}
	m := r.Choices[0].Message
	if m.Reasoning != "R" || len(m.ToolCalls) != 1 || m.ToolCalls[0].ID != "req-0" || m.ToolCalls[0].Function.Name != "a" {
		t.Errorf("options not honoured: %s", js)
	}
	forced, err := enc.ChatParse(c, &ChatOptions{ToolChoiceFunction: "b"})
	if err != nil || !bytes.Contains(forced, []byte(`"name":"b"`)) || bytes.Contains(forced, []byte(`"name":"a"`)) ||
		!bytes.Contains(forced, []byte(`"finish_reason":"stop"`)) {
		t.Errorf("named tool_choice: %s (%v)", forced, err)
	}
	none, err := enc.ChatParse(c, &ChatOptions{ToolChoice: "none"})
	if err != nil || bytes.Contains(none, []byte("tool_calls\":[")) {
		t.Errorf("tool_choice none: %s (%v)", none, err)
	}
	cut := mustEncode(t, enc, "<|channel|>final<|message|>Hi")
	stop, err := enc.ChatParse(cut, &ChatOptions{FinishReason: "stop"})
	if err != nil || !bytes.Contains(stop, []byte(`"finish_reason":"stop"`)) {
		t.Errorf("engine finish reason: %s (%v)", stop, err)
	}
	var herr *Error
	if _, err := enc.ChatParse(cut, &ChatOptions{FinishReason: "abort"}); !errors.As(err, &herr) || herr.Status != StatusInvalidJSON {
		t.Errorf("bad finish reason: %v", err)
	}
}

func TestChatParseTruncated(t *testing.T) {
	enc := testEncoding(t)
	for _, tc := range []struct{ text, content string }{
		{"<|channel|>final<|message|>The answer is", "The answer is"},
		{"<|channel|>fin", "<nil>"},
	} {
		js, err := enc.ChatParse(mustEncode(t, enc, tc.text), nil)
		if err != nil {
			t.Fatalf("ChatParse(%q): %v", tc.text, err)
		}
		ch := decodeChat(t, js).Choices[0]
		if str(ch.FinishReason) != "length" || str(ch.Message.Content) != tc.content {
			t.Errorf("ChatParse(%q) = %s", tc.text, js)
		}
	}
	// No tokens at all: nothing was said, and the completion ended inside the assistant's
	// header.
	js, err := enc.ChatParse(nil, nil)
	if err != nil {
		t.Fatalf("ChatParse(nil): %v", err)
	}
	if ch := decodeChat(t, js).Choices[0]; ch.Message.Content != nil || str(ch.FinishReason) != "length" {
		t.Errorf("ChatParse(nil) = %s", js)
	}
}

// streamAll feeds every token to a new stream and returns the chunks and the count of tokens
// that produced none.
func streamAll(t *testing.T, enc *Encoding, tokens []uint32, opts *ChatOptions) (chunks [][]byte, silent int) {
	t.Helper()
	s, err := NewChatStream(enc, opts)
	if err != nil {
		t.Fatalf("NewChatStream: %v", err)
	}
	defer s.Close()
	for _, tok := range tokens {
		c, err := s.Process(tok)
		if err != nil {
			t.Fatalf("Process(%d): %v", tok, err)
		}
		if c == nil {
			silent++
			continue
		}
		chunks = append(chunks, c)
	}
	last, err := s.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return append(chunks, last), silent
}

// joinChunks folds chunk deltas into a message as a streaming client would.
func joinChunks(t *testing.T, chunks [][]byte) (m chatMessage, finish string) {
	t.Helper()
	var content, reasoning *string
	appendTo := func(dst **string, s string) {
		if *dst == nil {
			*dst = new(string)
		}
		**dst += s
	}
	for _, js := range chunks {
		ch := decodeChat(t, js).Choices[0]
		if ch.FinishReason != nil {
			finish = *ch.FinishReason
		}
		d := ch.Delta
		if d == nil {
			t.Fatalf("chunk without delta: %s", js)
		}
		if d.Content != nil {
			appendTo(&content, *d.Content)
		}
		if d.ReasoningContent != nil {
			appendTo(&reasoning, *d.ReasoningContent)
		}
		for _, tc := range d.ToolCalls {
			if tc.Index == nil {
				t.Fatalf("tool call delta without index: %s", js)
			}
			if *tc.Index == len(m.ToolCalls) {
				m.ToolCalls = append(m.ToolCalls, chatToolCall{ID: tc.ID, Type: tc.Type})
				m.ToolCalls[*tc.Index].Function.Name = tc.Function.Name
			}
			if tc.Function.Arguments != nil {
				appendTo(&m.ToolCalls[*tc.Index].Function.Arguments, *tc.Function.Arguments)
			}
		}
	}
	m.Content, m.ReasoningContent = content, reasoning
	return m, finish
}

func TestChatStreamJoinsToResponse(t *testing.T) {
	enc := testEncoding(t)
	c := mustEncode(t, enc, "<|channel|>analysis<|message|>Think 日本 🎉.<|end|>"+
		"<|start|>assistant<|channel|>commentary<|message|>Checking.<|end|>"+
		"<|start|>assistant to=functions.lookup<|channel|>commentary <|constrain|>json<|message|>{\"q\": \"日本\"}<|call|>")
	seed := uint64(1) // the same ids in the stream and in ChatParse
	opts := &ChatOptions{ID: "chatcmpl-1", Created: 1_700_000_000, Model: "gpt-oss-20b", ToolCallIDSeed: &seed}
	chunks, silent := streamAll(t, enc, c, opts)
	if silent == 0 || len(chunks) >= len(c)+1 {
		t.Errorf("%d chunks, %d silent tokens for %d tokens: header tokens should produce none", len(chunks), silent, len(c))
	}
	for i, js := range chunks {
		r := decodeChat(t, js)
		if r.Object != "chat.completion.chunk" || r.ID != "chatcmpl-1" || r.Created != 1_700_000_000 || r.Model != "gpt-oss-20b" {
			t.Errorf("chunk %d: %s", i, js)
		}
		if hasRole := r.Choices[0].Delta.Role != nil; hasRole != (i == 0) {
			t.Errorf("chunk %d: role present = %v: %s", i, hasRole, js)
		}
		if fr := r.Choices[0].FinishReason; (fr != nil) != (i == len(chunks)-1) {
			t.Errorf("chunk %d: finish_reason %s", i, str(fr))
		}
	}
	if last := chunks[len(chunks)-1]; !bytes.Contains(last, []byte(`"delta":{}`)) {
		t.Errorf("last chunk: %s", last)
	}
	var announced *chatToolCall
	for _, js := range chunks {
		if d := decodeChat(t, js).Choices[0].Delta; len(d.ToolCalls) > 0 {
			announced = &d.ToolCalls[0]
			break
		}
	}
	if announced == nil || announced.Index == nil || *announced.Index != 0 || str(announced.Function.Name) != "lookup" ||
		str(announced.Function.Arguments) != "" || announced.ID == nil {
		t.Fatalf("tool call announcement: %+v", announced)
	}

	joined, finish := joinChunks(t, chunks)
	js, err := enc.ChatParse(c, opts)
	if err != nil {
		t.Fatalf("ChatParse: %v", err)
	}
	r := decodeChat(t, js)
	want := r.Choices[0].Message
	if finish != "tool_calls" || str(r.Choices[0].FinishReason) != finish {
		t.Errorf("finish_reason: streamed %q, response %s", finish, str(r.Choices[0].FinishReason))
	}
	if str(joined.Content) != str(want.Content) || str(want.Content) != "Checking." {
		t.Errorf("content: streamed %q, response %q", str(joined.Content), str(want.Content))
	}
	if str(joined.ReasoningContent) != str(want.ReasoningContent) || str(want.ReasoningContent) != "Think 日本 🎉." {
		t.Errorf("reasoning: streamed %q, response %q", str(joined.ReasoningContent), str(want.ReasoningContent))
	}
	if len(joined.ToolCalls) != 1 || len(want.ToolCalls) != 1 {
		t.Fatalf("tool calls: streamed %d, response %d", len(joined.ToolCalls), len(want.ToolCalls))
	}
	jc, wc := joined.ToolCalls[0], want.ToolCalls[0]
	if str(jc.ID) != str(wc.ID) || str(jc.ID) != str(announced.ID) || str(jc.Function.Name) != str(wc.Function.Name) ||
		str(jc.Function.Arguments) != str(wc.Function.Arguments) || str(wc.Function.Arguments) != `{"q": "日本"}` {
		t.Errorf("tool call: streamed %+v, response %s", jc, js)
	}
}

// A character split across tokens produces no chunk until it is complete. In o200k the
// single-byte tokens for 0xC3 and 0xA9 (the two bytes of "é") are 127 and 102.
func TestChatStreamMultiByteSplit(t *testing.T) {
	enc := testEncoding(t)
	s, err := NewChatStream(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Header tokens produce no chunk: the first chunk is the first text, and it announces the
	// role.
	for _, tok := range mustEncode(t, enc, "<|channel|>final<|message|>") {
		if c, err := s.Process(tok); c != nil || err != nil {
			t.Errorf("Process(%d) in the header = %s, %v; want no chunk", tok, c, err)
		}
	}
	if c, err := s.Process(127); c != nil || err != nil {
		t.Errorf("Process(0xC3) = %s, %v; want no chunk", c, err)
	}
	c, err := s.Process(102)
	if err != nil || c == nil {
		t.Fatalf("Process(0xA9) = %s, %v; want a chunk", c, err)
	}
	if d := decodeChat(t, c).Choices[0].Delta; str(d.Content) != "é" || str(d.Role) != "assistant" {
		t.Errorf("Process(0xA9) = %s; want the role and content é", c)
	}
	c, err = s.Process(TokenReturn)
	if c != nil || err != nil {
		t.Errorf("Process(<|return|>) = %s, %v", c, err)
	}
	c, err = s.Finish()
	if err != nil || str(decodeChat(t, c).Choices[0].FinishReason) != "stop" {
		t.Errorf("Finish = %s, %v", c, err)
	}
}

// A response appended to its request re-renders to the prompt followed by the model's own
// tokens, so a server can keep its conversation in Chat Completions form.
func TestChatRoundTrip(t *testing.T) {
	enc := testEncoding(t)
	tools := `"tools":[{"type":"function","function":{"name":"get_current_weather","parameters":` + weatherSchema + `}}]`
	user := `{"role":"user","content":"Weather in SF?"}`
	prompt := mustChatRender(t, enc, `{`+tools+`,"messages":[`+user+`]}`, chatOpts)
	turn1 := mustEncode(t, enc, "<|channel|>analysis<|message|>Call the tool.<|end|>"+
		"<|start|>assistant to=functions.get_current_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"SF\"}<|call|>")
	js, err := enc.ChatParse(turn1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Choices []struct {
			Message json.RawMessage `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(js, &raw); err != nil || len(raw.Choices) != 1 {
		t.Fatalf("response %s: %v", js, err)
	}
	callID := str(decodeChat(t, js).Choices[0].Message.ToolCalls[0].ID)
	tool := fmt.Sprintf(`{"role":"tool","tool_call_id":%q,"content":"{\"temp\":20}"}`, callID)
	prompt2 := mustChatRender(t, enc, `{`+tools+`,"messages":[`+user+`,`+string(raw.Choices[0].Message)+`,`+tool+`]}`, chatOpts)
	if len(prompt2) < len(prompt)+len(turn1) || !slices.Equal(prompt2[:len(prompt)], prompt) ||
		!slices.Equal(prompt2[len(prompt):len(prompt)+len(turn1)], turn1) {
		t.Fatalf("second prompt does not extend the first with the model's tokens:\n%v\n%v\n%v", prompt, turn1, prompt2)
	}
	rest, err := enc.Decode(prompt2[len(prompt)+len(turn1):], false)
	if want := "<|start|>functions.get_current_weather to=assistant<|channel|>commentary<|message|>{\"temp\":20}<|end|><|start|>assistant"; err != nil || rest != want {
		t.Errorf("tool turn = %q, %v; want %q", rest, err, want)
	}
}

func TestChatErrors(t *testing.T) {
	enc := testEncoding(t)
	hello := []byte(`{"messages":[{"role":"user","content":"Hello!"}]}`)

	_, err := enc.ChatRender([]byte(`{"messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]}`), nil)
	expectError(t, "unknown tool_call_id", err, StatusInvalidJSON, "unknown tool_call_id `nope`")
	_, err = enc.ChatRender([]byte(`{"messages":[{"role":"wizard","content":"x"}]}`), nil)
	expectError(t, "unknown role", err, StatusInvalidJSON, "messages[0].role: unknown role `wizard`")
	_, err = enc.ChatRender([]byte(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`), nil)
	expectError(t, "image part", err, StatusInvalidJSON, "unsupported content part type `image_url`")
	_, err = enc.ChatRender([]byte(`{`), nil)
	expectError(t, "bad request JSON", err, StatusInvalidJSON, "")
	_, err = enc.ChatRender(nil, nil)
	expectError(t, "empty request", err, StatusInvalidJSON, "")
	_, err = enc.ChatRender([]byte("\xff"), nil)
	expectError(t, "invalid UTF-8", err, StatusInvalidUTF8, "")

	// Options the library rejects (ChatOptions always marshals valid ones, so go underneath).
	_, err = enc.chatRender(hello, []byte(`{"colour":1}`))
	expectError(t, "unknown option", err, StatusInvalidJSON, "colour")
	_, err = enc.chatParse(nil, []byte(`{"created":"yesterday"}`))
	expectError(t, "bad created", err, StatusInvalidJSON, "")
	_, err = newChatStream(enc, []byte(`{`))
	expectError(t, "bad options JSON", err, StatusInvalidJSON, "")

	// Model output is not bad input (issue 11): text after <|end|> is a message of its own
	// (vLLM #50690); text after <|return|> is dropped (the completion had ended).
	if js, err := enc.ChatParse(mustEncode(t, enc, "<|channel|>final<|message|>4<|return|>4"), nil); err != nil ||
		!bytes.Contains(js, []byte(`"content":"4"}`)) || !bytes.Contains(js, []byte(`"finish_reason":"stop"`)) {
		t.Errorf("ChatParse(text after <|return|>) = %s, %v", js, err)
	}
	bad := mustEncode(t, enc, "<|channel|>final<|message|>4<|end|>4")
	js, err := enc.ChatParse(bad, nil)
	if err != nil || !bytes.Contains(js, []byte(`"content":"4\n4"`)) || !bytes.Contains(js, []byte(`"finish_reason":"length"`)) {
		t.Errorf("ChatParse(text after <|end|>) = %s, %v", js, err)
	}
	ps, err := NewChatStream(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	for _, tok := range bad {
		if _, err = ps.Process(tok); err != nil {
			t.Fatalf("Process(%d): %v", tok, err)
		}
	}

	s, err := NewChatStream(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if last, err := s.Finish(); err != nil || !bytes.Contains(last, []byte(`"finish_reason":"length"`)) {
		t.Fatalf("Finish = %s, %v", last, err)
	}
	_, err = s.Finish()
	expectError(t, "finish twice", err, StatusInvalidArgument, "finished")
	_, err = s.Process(TokenChannel)
	expectError(t, "process after finish", err, StatusInvalidArgument, "finished")
	s.Close()
	s.Close() // idempotent
	if _, err := s.Process(TokenChannel); err != ErrClosed {
		t.Errorf("Process after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Finish(); err != ErrClosed {
		t.Errorf("Finish after Close: %v, want ErrClosed", err)
	}
	var nilStream *ChatStream
	if _, err := nilStream.Process(1); err != ErrClosed || nilStream.Close() != nil {
		t.Errorf("nil stream: %v", err)
	}
}

func TestChatClosedEncoding(t *testing.T) {
	enc, err := NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewChatStream(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	enc.Close()
	hello := []byte(`{"messages":[{"role":"user","content":"Hello!"}]}`)
	if _, err := enc.ChatRender(hello, nil); err != ErrClosed {
		t.Errorf("ChatRender after Close: %v", err)
	}
	if _, err := enc.ChatParse(nil, nil); err != ErrClosed {
		t.Errorf("ChatParse after Close: %v", err)
	}
	if _, err := NewChatStream(enc, nil); err != ErrClosed {
		t.Errorf("NewChatStream after Close: %v", err)
	}
	// The stream holds its own reference to the encoding.
	for _, tok := range []uint32{TokenChannel, 17196, TokenMessage, 19, TokenReturn} { // final, "4"
		if _, err := s.Process(tok); err != nil {
			t.Fatalf("Process(%d) after the encoding closed: %v", tok, err)
		}
	}
	last, err := s.Finish()
	if err != nil || !bytes.Contains(last, []byte(`"finish_reason":"stop"`)) {
		t.Errorf("Finish = %s, %v", last, err)
	}
}

// Streams on many goroutines share one encoding (run under -race by go_test_race).
func TestConcurrentChat(t *testing.T) {
	enc := testEncoding(t)
	c := mustEncode(t, enc, "<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|message|>Done 日本.<|return|>")
	want, err := enc.ChatParse(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	request := []byte(`{"messages":[{"role":"user","content":"Hello!"}]}`)
	prompt, err := enc.ChatRender(request, chatOpts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				got, err := enc.ChatRender(request, chatOpts)
				if err != nil || !slices.Equal(got, prompt) {
					errs <- fmt.Errorf("ChatRender = %v, %v", got, err)
					return
				}
				if js, err := enc.ChatParse(c, nil); err != nil || !bytes.Equal(js, want) {
					errs <- fmt.Errorf("ChatParse = %s, %v", js, err)
					return
				}
				s, err := NewChatStream(enc, nil)
				if err != nil {
					errs <- err
					return
				}
				for _, tok := range c {
					if _, err := s.Process(tok); err != nil {
						errs <- err
						break
					}
				}
				_, err = s.Finish()
				s.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkChatStreamPerToken measures one sampled token of a streaming Chat Completions
// response: Process, which returns the chunk's JSON (or nil for header tokens). One op is one
// token.
func BenchmarkChatStreamPerToken(b *testing.B) {
	enc := benchEncoding(b)
	toks := longCompletion(b, enc, 10000)
	s, err := NewChatStream(enc, nil)
	if err != nil {
		b.Fatal(err)
	}
	var bytesOut int
	b.ReportAllocs()
	b.ResetTimer()
	for i, j := 0, 0; i < b.N; i, j = i+1, j+1 {
		if j == len(toks) { // start the completion again
			b.StopTimer()
			s.Close()
			if s, err = NewChatStream(enc, nil); err != nil {
				b.Fatal(err)
			}
			j = 0
			b.StartTimer()
		}
		chunk, err := s.Process(toks[j])
		if err != nil {
			b.Fatal(err)
		}
		bytesOut += len(chunk)
	}
	b.StopTimer()
	s.Close()
	reportTokens(b, 1)
	b.ReportMetric(float64(bytesOut)/float64(b.N), "chunk-bytes/op")
}

// Ending reasoning on demand: the injected tokens close the analysis, the model answers.
func TestChatStreamForceAnswer(t *testing.T) {
	enc := testEncoding(t)
	s, err := NewChatStream(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := NewStreamParser(enc, RoleAssistant)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tok := range mustEncode(t, enc, "<|channel|>analysis<|message|>Let me think") {
		if _, err := s.Process(tok); err != nil {
			t.Fatal(err)
		}
		if err := p.Process(tok); err != nil {
			t.Fatal(err)
		}
	}
	forced, err := s.ForceAnswer("")
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := enc.Decode(forced, false); text != "<|end|><|start|>assistant<|channel|>final<|message|>" {
		t.Errorf("ForceAnswer = %q", text)
	}
	call, err := p.ForceAnswer("get_weather")
	if text, _ := enc.Decode(call, false); err != nil || text != "<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>" {
		t.Errorf("ForceAnswer(get_weather) = %q, %v", text, err)
	}
	if _, err := p.ForceAnswer("get weather"); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("ForceAnswer(get weather): %v", err)
	}
	var content strings.Builder
	for _, tok := range append(forced, mustEncode(t, enc, "42<|return|>")...) {
		chunk, err := s.Process(tok)
		if err != nil {
			t.Fatal(err)
		}
		if chunk != nil {
			var c struct {
				Choices []struct {
					Delta struct {
						Content *string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
			}
			if err := json.Unmarshal(chunk, &c); err != nil {
				t.Fatal(err)
			}
			if c.Choices[0].Delta.Content != nil {
				content.WriteString(*c.Choices[0].Delta.Content)
			}
		}
	}
	last, err := s.Finish()
	if content.String() != "42" || err != nil || !bytes.Contains(last, []byte(`"finish_reason":"stop"`)) {
		t.Errorf("content %q, last chunk %s, %v", content.String(), last, err)
	}
}

// Prefill: the last assistant message with "prefix": true renders open, and with the request
// in the options its continuation is that message's text.
func TestChatPrefixMessageContinues(t *testing.T) {
	enc := testEncoding(t)
	request := []byte(`{"messages":[{"role":"user","content":"6*7?"},{"role":"assistant","content":"The answer is","prefix":true}]}`)
	prompt, err := enc.ChatRender(request, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := enc.Decode(prompt, false); !strings.HasSuffix(text, "<|start|>assistant<|channel|>final<|message|>The answer is") {
		t.Errorf("prompt ends %q", text[max(0, len(text)-80):])
	}
	js, err := enc.ChatParse(mustEncode(t, enc, " 42.<|return|>"), &ChatOptions{Request: request})
	if err != nil || !bytes.Contains(js, []byte(`"content":" 42."`)) || !bytes.Contains(js, []byte(`"finish_reason":"stop"`)) {
		t.Errorf("ChatParse(continuation) = %s, %v", js, err)
	}
}

// Tool names that are not identifiers are rendered as identifiers, and with the request in the
// options a call comes back under the declared name.
func TestChatToolNamesMapBack(t *testing.T) {
	enc := testEncoding(t)
	request := []byte(`{"messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get weather"}}]}`)
	prompt, err := enc.ChatRender(request, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := enc.Decode(prompt, false); !strings.Contains(text, "type get_weather = ") {
		t.Errorf("prompt does not declare get_weather:\n%s", text)
	}
	call := mustEncode(t, enc, `<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{}<|call|>`)
	js, err := enc.ChatParse(call, &ChatOptions{Request: request})
	if err != nil || !bytes.Contains(js, []byte(`"name":"get weather"`)) {
		t.Errorf("ChatParse = %s, %v", js, err)
	}
}

// AppendProcess gives, token by token, what Process gives (appended to what dst held), on a
// completion with reasoning, text, a tool call and characters split across tokens, for both
// streams; and the same errors.
func TestAppendProcessEqualsProcess(t *testing.T) {
	enc := testEncoding(t)
	c := mustEncode(t, enc, "<|channel|>analysis<|message|>Think 日本 🎉.<|end|>"+
		"<|start|>assistant<|channel|>commentary<|message|>Checking.<|end|>"+
		"<|start|>assistant to=functions.lookup<|channel|>commentary <|constrain|>json<|message|>{\"q\": \"日本\"}<|call|>")
	c = append([]uint32{127, 102}, c...) // "é" split over two byte tokens: the first gives nothing
	seed := uint64(1)
	chatOpts := func() *ChatOptions {
		return &ChatOptions{ID: "chatcmpl-1", Created: 1_700_000_000, Model: "gpt-oss-20b", ToolCallIDSeed: &seed}
	}
	// The completion, then random sequences: its tokens shuffled among arbitrary ids (specials,
	// bytes that split characters), fed to fresh streams.
	for i, seq := range append([][]uint32{c}, randomSequences(c, 30)...) {
		appendProcessMatches(t, enc, seq, chatOpts, i == 0)
	}
}

func randomSequences(base []uint32, n int) [][]uint32 {
	r := rand.New(rand.NewSource(7))
	out := make([][]uint32, n)
	for i := range out {
		seq := make([]uint32, 1+r.Intn(120))
		for j := range seq {
			switch r.Intn(4) {
			case 0:
				seq[j] = uint32(r.Intn(201088))
			case 1:
				seq[j] = uint32(r.Intn(256)) // single bytes
			default:
				seq[j] = base[r.Intn(len(base))]
			}
		}
		out[i] = seq
	}
	return out
}

func appendProcessMatches(t *testing.T, enc *Encoding, c []uint32, chatOpts func() *ChatOptions, checkCoverage bool) {
	t.Helper()
	a, errA := NewChatStream(enc, chatOpts())
	b, errB := NewChatStream(enc, chatOpts())
	ra, errC := NewResponsesStream(enc, &ResponsesOptions{ID: "resp_1", CreatedAt: 1, Model: "m"})
	rb, errD := NewResponsesStream(enc, &ResponsesOptions{ID: "resp_1", CreatedAt: 1, Model: "m"})
	if errA != nil || errB != nil || errC != nil || errD != nil {
		t.Fatal(errA, errB, errC, errD)
	}
	defer a.Close()
	defer b.Close()
	defer ra.Close()
	defer rb.Close()
	buf, rbuf := []byte("x"), []byte("y")
	var none, rnone int
	for i, tok := range c {
		want, err := a.Process(tok)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := b.AppendProcess(buf[:1], tok)
		if err != nil || ok != (want != nil) || string(got) != "x"+string(want) {
			t.Fatalf("chat token %d: AppendProcess = %q, %v, %v; Process = %q", i, got, ok, err, want)
		}
		if !ok {
			none++
		}
		buf = got
		rwant, err := ra.Process(tok)
		if err != nil {
			t.Fatal(err)
		}
		rgot, rok, err := rb.AppendProcess(rbuf[:1], tok)
		if err != nil || rok != (string(rwant) != "[]") || (rok && string(rgot) != "y"+string(rwant)) || (!rok && string(rgot) != "y") {
			t.Fatalf("responses token %d: AppendProcess = %q, %v, %v; Process = %q", i, rgot, rok, err, rwant)
		}
		if !rok {
			rnone++
		}
		rbuf = rgot
	}
	if checkCoverage && (none == 0 || rnone == 0) {
		t.Errorf("no token without a chunk (%d) or without events (%d): the test misses that case", none, rnone)
	}
	// The same errors: an id outside the vocabulary, then after Finish, then after Close.
	_, errP := a.Process(1 << 30)
	_, _, errQ := b.AppendProcess(nil, 1<<30)
	if errP == nil || errQ == nil || errP.Error() != errQ.Error() {
		t.Errorf("unknown token: Process %v, AppendProcess %v", errP, errQ)
	}
	if _, err := b.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.AppendProcess(nil, 1); err == nil {
		t.Error("AppendProcess after Finish succeeded")
	}
	b.Close()
	if _, _, err := b.AppendProcess(nil, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("AppendProcess after Close: %v", err)
	}
	rb.Close()
	if _, _, err := rb.AppendProcess(nil, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("responses AppendProcess after Close: %v", err)
	}
}
