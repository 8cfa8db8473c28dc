package harmony

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// The Responses bridge through the Go wrapper: requests, options, responses, events and
// errors cross the C ABI unchanged (the mapping is tested in tests/responses.rs and
// tests/python/test_responses.py).

const responsesCompletion = `<|channel|>analysis<|message|>Two cities.<|end|><|start|>assistant<|channel|>commentary to=functions.w <|constrain|>json<|message|>{"c":"Tokyo"}<|call|><|start|>assistant<|channel|>commentary to=functions.w <|constrain|>json<|message|>{"c":"Paris"}<|call|>`

type responsesResponse struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Output []struct {
		Type      string `json:"type"`
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
		CallID    string `json:"call_id"`
	} `json:"output"`
}

type responsesEvent struct {
	Type           string             `json:"type"`
	SequenceNumber int                `json:"sequence_number"`
	Response       *responsesResponse `json:"response"`
}

func TestResponsesRender(t *testing.T) {
	enc := testEncoding(t)
	toks, err := enc.ResponsesRender([]byte(`{"instructions":"Be brief.","input":"Hello!"}`), &ResponsesOptions{ConversationStartDate: "2025-06-28"})
	if err != nil {
		t.Fatal(err)
	}
	text, err := enc.Decode(toks, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Current date: 2025-06-28", "Be brief.", "<|start|>user<|message|>Hello!<|end|><|start|>assistant"} {
		if !strings.Contains(text, want) {
			t.Errorf("prompt lacks %q: %s", want, text)
		}
	}
	_, err = enc.ResponsesRender([]byte(`{"input":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]}`), nil)
	var he *Error
	if !errors.As(err, &he) || he.Status != StatusInvalidJSON || !strings.Contains(he.Error(), "request.input[0].content[0]") {
		t.Errorf("image part: %v", err)
	}
}

func TestResponsesParseAndStream(t *testing.T) {
	enc := testEncoding(t)
	c := mustEncode(t, enc, responsesCompletion)
	opts := &ResponsesOptions{ID: "resp_go", ResponseFields: map[string]json.RawMessage{"tool_choice": json.RawMessage(`"required"`)}}
	js, err := enc.ResponsesParse(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	var r responsesResponse
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != "resp_go" || r.Status != "completed" || len(r.Output) != 3 || r.Output[2].Arguments != `{"c":"Paris"}` || r.Output[1].CallID == r.Output[2].CallID {
		t.Errorf("response: %s", js)
	}
	if !strings.Contains(string(js), `"tool_choice":"required"`) {
		t.Errorf("response_fields not applied: %s", js)
	}

	s, err := NewResponsesStream(enc, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var all []responsesEvent
	for _, tok := range c {
		evs, err := s.Process(tok)
		if err != nil {
			t.Fatal(err)
		}
		var batch []responsesEvent
		if err := json.Unmarshal(evs, &batch); err != nil {
			t.Fatalf("%s: %v", evs, err)
		}
		all = append(all, batch...)
	}
	tail, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	var batch []responsesEvent
	if err := json.Unmarshal(tail, &batch); err != nil {
		t.Fatal(err)
	}
	all = append(all, batch...)
	for i, e := range all {
		if e.SequenceNumber != i {
			t.Fatalf("event %d has sequence_number %d", i, e.SequenceNumber)
		}
	}
	last := all[len(all)-1]
	if last.Type != "response.completed" || last.Response == nil || len(last.Response.Output) != 3 {
		t.Errorf("last event: %+v", last)
	}
	if _, err := s.Finish(); !errors.As(err, new(*Error)) {
		t.Errorf("second Finish: %v", err)
	}
	s.Close()
	s.Close()
	if _, err := s.Process(1); err != ErrClosed {
		t.Errorf("Process after Close: %v", err)
	}
}

func TestResponsesErrors(t *testing.T) {
	enc := testEncoding(t)
	var he *Error
	if _, err := enc.ResponsesParse([]uint32{VocabSize}, nil); !errors.As(err, &he) || he.Status != StatusUnknownToken {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := enc.ResponsesParse(nil, nil); err != nil {
		t.Errorf("empty completion: %v", err)
	}
	s, err := NewResponsesStream(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Process(VocabSize); !errors.As(err, &he) || he.Status != StatusUnknownToken {
		t.Errorf("stream unknown token: %v", err)
	}
}
