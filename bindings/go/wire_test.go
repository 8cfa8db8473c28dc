package harmony

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// exampleConversation is examples/conversation.json written as Go values.
func exampleConversation() *Conversation {
	params := json.RawMessage(`{
		"type": "object",
		"properties": {
			"location": {"type": "string", "description": "City and country, e.g. Paris, France"},
			"unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"}
		},
		"required": ["location"]
	}`)
	return &Conversation{Messages: []Message{
		{Role: RoleSystem, Content: []Content{SystemContent{
			ModelIdentity:         Ptr("You are ChatGPT, a large language model trained by OpenAI."),
			ReasoningEffort:       ReasoningLow,
			ConversationStartDate: Ptr("2025-06-28"),
			KnowledgeCutoff:       Ptr("2024-06"),
			ChannelConfig:         &ChannelConfig{ValidChannels: []string{"analysis", "commentary", "final"}, ChannelRequired: true},
		}}},
		{Role: RoleDeveloper, Content: []Content{DeveloperContent{
			Instructions: Ptr("Answer briefly."),
			Tools: map[string]ToolNamespaceConfig{"functions": {
				Name: "functions",
				Tools: []ToolDescription{{
					Name:        "get_weather",
					Description: "Gets the current weather for a location.",
					Parameters:  params,
				}},
			}},
		}}},
		NewTextMessage(RoleUser, "What is the weather in Tokyo?"),
		{Role: RoleAssistant, Channel: Ptr("analysis"), Content: []Content{TextContent{"Need to call get_weather for Tokyo."}}},
		{Role: RoleAssistant, Channel: Ptr("commentary"), Recipient: Ptr("functions.get_weather"),
			ContentType: Ptr("<|constrain|>json"), Content: []Content{TextContent{`{"location":"Tokyo, Japan"}`}}},
		{Role: RoleTool, Name: Ptr("functions.get_weather"), Recipient: Ptr("assistant"), Channel: Ptr("commentary"),
			Content: []Content{TextContent{`{"temperature":21,"unit":"celsius","sky":"clear"}`}}},
	}}
}

// Go struct -> JSON -> library renders exactly as the hand-written JSON file.
func TestTypedRoundTripExample(t *testing.T) {
	enc := testEncoding(t)
	file, err := os.ReadFile("../../examples/conversation.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"completion", "conversation", "training"} {
		var want, got []uint32
		var err1, err2 error
		switch mode {
		case "completion":
			want, err1 = enc.RenderCompletionJSON(file, RoleAssistant)
			got, err2 = enc.RenderCompletion(exampleConversation(), RoleAssistant)
		case "conversation":
			want, err1 = enc.RenderConversationJSON(file, KeepAnalysis)
			got, err2 = enc.RenderConversation(exampleConversation(), KeepAnalysis)
		case "training":
			want, err1 = enc.RenderTrainingJSON(file)
			got, err2 = enc.RenderTraining(exampleConversation())
		}
		if err1 != nil || err2 != nil || !slices.Equal(got, want) {
			t.Errorf("%s: typed %d tokens (%v), JSON %d tokens (%v)", mode, len(got), err2, len(want), err1)
		}
	}

	// File -> Go -> JSON -> Go is lossless.
	var conv Conversation
	if err := json.Unmarshal(file, &conv); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalizeParams(t, &conv), normalizeParams(t, exampleConversation())) {
		t.Errorf("unmarshalled file differs from the Go literal:\n%+v", conv)
	}
	again, err := json.Marshal(conv)
	if err != nil {
		t.Fatal(err)
	}
	var back Conversation
	if err := json.Unmarshal(again, &back); err != nil || !reflect.DeepEqual(normalizeParams(t, &back), normalizeParams(t, &conv)) {
		t.Errorf("JSON round trip changed the conversation (%v): %s", err, again)
	}
}

// normalizeParams compacts tool parameters so that DeepEqual ignores their whitespace.
func normalizeParams(t *testing.T, c *Conversation) *Conversation {
	t.Helper()
	for _, m := range c.Messages {
		for _, part := range m.Content {
			if d, ok := part.(DeveloperContent); ok {
				for _, ns := range d.Tools {
					for i := range ns.Tools {
						var v any
						if err := json.Unmarshal(ns.Tools[i].Parameters, &v); err != nil {
							t.Fatal(err)
						}
						ns.Tools[i].Parameters = mustMarshal(v)
					}
				}
			}
		}
	}
	return c
}

func TestMessageWireForm(t *testing.T) {
	cases := []struct {
		name string
		msg  Message
		want string
	}{
		{"one text part is a string",
			Message{Role: RoleTool, Name: Ptr("functions.f"), Channel: Ptr("commentary"), Content: []Content{TextContent{"hi"}}},
			`{"role":"tool","name":"functions.f","content":"hi","channel":"commentary"}`},
		{"two parts are a list",
			Message{Role: RoleUser, Content: []Content{TextContent{"a"}, &TextContent{"b"}}},
			`{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`},
		{"nil content is an empty list",
			Message{Role: RoleUser},
			`{"role":"user","content":[]}`},
		{"present but empty fields are kept",
			Message{Role: RoleAssistant, Recipient: Ptr(""), Channel: Ptr(""), ContentType: Ptr(""), Content: []Content{TextContent{""}}},
			`{"role":"assistant","recipient":"","content":"","channel":"","content_type":""}`},
		{"system content",
			Message{Role: RoleSystem, Content: []Content{SystemContent{ReasoningEffort: ReasoningHigh, Tools: map[string]ToolNamespaceConfig{},
				ChannelConfig: &ChannelConfig{}}}},
			`{"role":"system","content":[{"type":"system_content","reasoning_effort":"High","tools":{},"channel_config":{"valid_channels":[],"channel_required":false}}]}`},
		{"developer content with a tool without parameters",
			Message{Role: RoleDeveloper, Content: []Content{DeveloperContent{Tools: map[string]ToolNamespaceConfig{
				"b": {Name: "b"}, "a": {Name: "a", Description: Ptr("d"), Tools: []ToolDescription{{Name: "t", Description: "<&>"}}}}}}},
			`{"role":"developer","content":[{"type":"developer_content","tools":{"a":{"name":"a","description":"d","tools":[{"name":"t","description":"<&>"}]},"b":{"name":"b","tools":[]}}}]}`},
	}
	for _, c := range cases {
		got, err := marshal(c.msg)
		if err != nil || string(got) != c.want {
			t.Errorf("%s:\n got  %s (%v)\n want %s", c.name, got, err, c.want)
			continue
		}
		var back Message
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%s: unmarshal: %v", c.name, err)
			continue
		}
		if again, _ := marshal(back); string(again) != c.want {
			t.Errorf("%s: round trip gives %s", c.name, again)
		}
	}
	if got, _ := marshal(Conversation{}); string(got) != `{"messages":[]}` {
		t.Errorf("empty conversation: %s", got)
	}
}

func TestMessageUnmarshal(t *testing.T) {
	var m Message
	if err := json.Unmarshal([]byte(`{"role":"user","content":[{"type":"text","text":"a"},{"type":"system_content","model_identity":""}]}`), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Content) != 2 || m.Content[0] != (TextContent{"a"}) || m.Text() != "a" {
		t.Errorf("content: %+v", m.Content)
	}
	if sc, ok := m.Content[1].(SystemContent); !ok || sc.ModelIdentity == nil || *sc.ModelIdentity != "" || sc.Tools != nil {
		t.Errorf("system part: %+v", m.Content[1])
	}
	if m.Name != nil || m.Channel != nil || m.Recipient != nil || m.ContentType != nil {
		t.Errorf("absent fields decoded as present: %+v", m)
	}

	for _, bad := range []struct{ json, needle string }{
		{`{"content":"x"}`, "role"},
		{`{"role":null,"content":"x"}`, "role"},
		{`{"role":"robot","content":"x"}`, "robot"},
		{`{"role":"Assistant","content":"x"}`, "Assistant"},
		{`{"role":"user"}`, "content"},
		{`{"role":"user","content":null}`, "content"},
		{`{"role":"user","content":7}`, "content"},
		{`{"role":"user","content":[{"type":"image"}]}`, "image"},
		{`{"role":"user","content":[{"text":"x"}]}`, "type"},
		{`{"role":"user","content":[{"type":"text"}]}`, "text"},
		{`{"role":"system","content":[{"type":"system_content","channel_config":{"valid_channels":[]}}]}`, "channel_required"},
		{`{"role":"system","content":[{"type":"system_content","tools":{"a":{"tools":[]}}}]}`, "name"},
		{`{"role":"system","content":[{"type":"system_content","tools":{"a":{"name":"a"}}}]}`, "tools"},
		{`{"role":"system","content":[{"type":"system_content","tools":{"a":{"name":"a","tools":[{"name":"f"}]}}}]}`, "description"},
	} {
		var m Message
		err := json.Unmarshal([]byte(bad.json), &m)
		if err == nil || !strings.Contains(err.Error(), bad.needle) {
			t.Errorf("Unmarshal(%s) = %v, want an error mentioning %q", bad.json, err, bad.needle)
		}
	}
	var c Conversation
	if err := json.Unmarshal([]byte(`{"messages":null}`), &c); err == nil {
		t.Error("null messages accepted")
	}
}

func TestRoleText(t *testing.T) {
	for r := RoleUser; r <= RoleTool; r++ {
		b, err := r.MarshalText()
		if err != nil || string(b) != r.String() {
			t.Errorf("%d: MarshalText = %s, %v", r, b, err)
		}
		back, err := ParseRole(string(b))
		if err != nil || back != r {
			t.Errorf("ParseRole(%s) = %v, %v", b, back, err)
		}
	}
	if RoleNone.String() != "none" || Role(9).String() != "Role(9)" {
		t.Errorf("String: %q %q", RoleNone, Role(9))
	}
	for _, bad := range []string{"", "Assistant", "tool ", "bogus"} {
		_, err := ParseRole(bad)
		expectError(t, "ParseRole("+bad+")", err, StatusInvalidArgument, "unknown role")
	}
	if _, err := RoleNone.MarshalText(); err == nil {
		t.Error("RoleNone marshals")
	}
	if StreamHeader.String() != "Header" || StreamState(7).String() != "StreamState(7)" {
		t.Error("StreamState.String")
	}
	if StatusParse.String() != "HARMONY_ERROR_PARSE" || Status(99).String() != "HARMONY_UNKNOWN_STATUS" {
		t.Errorf("Status.String: %q %q", StatusParse, Status(99))
	}
}
