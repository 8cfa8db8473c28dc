package harmony

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const grammarRequest = `{"messages":[],"tools":[{"type":"function","function":{"name":"get_weather",` +
	`"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}`

func TestChatGrammarFormats(t *testing.T) {
	enc := testEncoding(t)
	lark, err := enc.ChatGrammar([]byte(grammarRequest), GrammarLark, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lark, `"functions.get_weather" " " <|constrain|> "json" <|message|>`) {
		t.Errorf("lark grammar without the call rule:\n%s", lark)
	}
	gbnf, err := enc.ChatGrammar([]byte(grammarRequest), GrammarGBNF, &GrammarOptions{Reasoning: "none", Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(gbnf, "root ::= (call)") || strings.Contains(gbnf, "final ::=") {
		t.Errorf("lazy gbnf grammar:\n%s", gbnf)
	}
	tag, err := enc.ChatGrammar([]byte(grammarRequest), GrammarXgrammar, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Type   string          `json:"type"`
		Format json.RawMessage `json:"format"`
	}
	if err := json.Unmarshal([]byte(tag), &v); err != nil || v.Type != "structural_tag" || len(v.Format) == 0 {
		t.Errorf("structural tag %s: %v", tag, err)
	}
}

func TestChatGrammarErrors(t *testing.T) {
	enc := testEncoding(t)
	_, err := enc.ChatGrammar([]byte(`{"messages":[],"tool_choice":"required"}`), GrammarLark, nil)
	var herr *Error
	if !errors.As(err, &herr) || herr.Status != StatusInvalidArgument || !strings.Contains(herr.Message, "request.tool_choice") {
		t.Errorf("got %v", err)
	}
	if _, err := enc.ChatGrammar([]byte(grammarRequest), GrammarFormat(9), nil); !errors.As(err, &herr) || herr.Status != StatusInvalidArgument {
		t.Errorf("bad format: got %v", err)
	}
	if _, err := enc.ChatGrammar([]byte(grammarRequest), GrammarLark, &GrammarOptions{Reasoning: "often"}); err == nil {
		t.Error("bad reasoning option accepted")
	}
	closed, err := NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if _, err := closed.ChatGrammar([]byte(grammarRequest), GrammarLark, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("closed encoding: got %v", err)
	}
}

func TestResponsesGrammarIsTheChatGrammar(t *testing.T) {
	enc := testEncoding(t)
	responses := `{"input":"hi","tools":[{"type":"function","name":"get_weather",` +
		`"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}`
	for _, format := range []GrammarFormat{GrammarLark, GrammarGBNF, GrammarXgrammar} {
		want, err := enc.ChatGrammar([]byte(grammarRequest), format, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := enc.ResponsesGrammar([]byte(responses), format, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("format %d: responses grammar differs from the chat grammar:\n%s\n---\n%s", format, got, want)
		}
	}
	_, err := enc.ResponsesGrammar([]byte(`{"input":"hi","tools":[{"type":"web_search"}]}`), GrammarLark, nil)
	if !errors.Is(err, StatusInvalidArgument) || !strings.Contains(err.Error(), "web_search") {
		t.Errorf("hosted tool: %v", err)
	}
}
