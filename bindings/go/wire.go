package harmony

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// The Go types below marshal to and from the library's JSON wire format (openai-harmony
// 0.0.8's serde shape). A nil pointer is an absent optional field; a pointer to "" is a
// present, empty one, and the two render differently, so both are kept.

// Conversation is a list of messages: {"messages": [...]}.
type Conversation struct {
	Messages []Message `json:"messages"`
}

// Message is one Harmony message. Content marshals as a plain JSON string when it is exactly
// one TextContent, otherwise as a list of typed parts; it unmarshals from either form.
type Message struct {
	Role        Role      // author role (required)
	Name        *string   // author name (required for tool messages)
	Recipient   *string   // e.g. "functions.get_weather"
	Channel     *string   // e.g. "analysis", "commentary", "final"
	ContentType *string   // e.g. "<|constrain|>json"
	Content     []Content // TextContent, SystemContent or DeveloperContent parts
}

// Content is one part of a message's content: TextContent, SystemContent or
// DeveloperContent (values, as produced by unmarshalling; pointers are accepted too).
type Content interface {
	json.Marshaler
	contentType() string
}

// TextContent is plain text: {"type": "text", "text": ...}.
type TextContent struct {
	Text string `json:"text"`
}

// ReasoningEffort is announced in the system message.
type ReasoningEffort string

// Reasoning efforts (their wire spellings).
const (
	ReasoningLow    ReasoningEffort = "Low"
	ReasoningMedium ReasoningEffort = "Medium"
	ReasoningHigh   ReasoningEffort = "High"
)

// SystemContent is the content of a system message: {"type": "system_content", ...}.
// A nil Tools map is absent; an empty non-nil map is present and empty.
type SystemContent struct {
	ModelIdentity         *string                        `json:"model_identity,omitempty"`
	ReasoningEffort       ReasoningEffort                `json:"reasoning_effort,omitempty"`
	Tools                 map[string]ToolNamespaceConfig `json:"tools"`
	ConversationStartDate *string                        `json:"conversation_start_date,omitempty"`
	KnowledgeCutoff       *string                        `json:"knowledge_cutoff,omitempty"`
	ChannelConfig         *ChannelConfig                 `json:"channel_config,omitempty"`
}

// DeveloperContent is the content of a developer message: {"type": "developer_content", ...}.
type DeveloperContent struct {
	Instructions *string                        `json:"instructions,omitempty"`
	Tools        map[string]ToolNamespaceConfig `json:"tools"`
}

// ChannelConfig says which channels the model may write to.
type ChannelConfig struct {
	ValidChannels   []string `json:"valid_channels"`
	ChannelRequired bool     `json:"channel_required"`
}

// ToolNamespaceConfig is a namespace of tools ("functions", "browser", "python", ...).
type ToolNamespaceConfig struct {
	Name        string            `json:"name"`
	Description *string           `json:"description,omitempty"`
	Tools       []ToolDescription `json:"tools"`
}

// ToolDescription is one tool; Parameters is its JSON Schema, kept verbatim (nil: none).
type ToolDescription struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// Ptr returns a pointer to v, for the optional fields: Channel: harmony.Ptr("final").
func Ptr[T any](v T) *T { return &v }

// NewTextMessage returns a message from role with one text part.
func NewTextMessage(role Role, text string) Message {
	return Message{Role: role, Content: []Content{TextContent{Text: text}}}
}

// Text returns the concatenation of the message's text parts.
func (m Message) Text() string {
	var b []byte
	for _, c := range m.Content {
		switch t := c.(type) {
		case TextContent:
			b = append(b, t.Text...)
		case *TextContent:
			b = append(b, t.Text...)
		}
	}
	return string(b)
}

func (TextContent) contentType() string      { return "text" }
func (SystemContent) contentType() string    { return "system_content" }
func (DeveloperContent) contentType() string { return "developer_content" }

// marshal is json.Marshal without HTML escaping, so that "<|constrain|>" stays readable.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// The two outer levels are assembled by hand from their marshalled parts: encoding/json
// would re-validate every nested Marshaler's output, which dominates the cost of rendering a
// typed conversation.

// MarshalJSON writes {"messages": [...]} ([] for nil).
func (c Conversation) MarshalJSON() ([]byte, error) {
	buf := append(make([]byte, 0, 256*len(c.Messages)+16), `{"messages":[`...)
	for i, m := range c.Messages {
		if i > 0 {
			buf = append(buf, ',')
		}
		b, err := m.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
		buf = append(buf, b...)
	}
	return append(buf, "]}"...), nil
}

// appendField appends ,"key":<JSON of *v> when v is not nil.
func appendField(buf []byte, key string, v *string) ([]byte, error) {
	if v == nil {
		return buf, nil
	}
	s, err := marshal(*v)
	if err != nil {
		return nil, err
	}
	return append(append(append(append(buf, `,"`...), key...), `":`...), s...), nil
}

// MarshalJSON writes the wire form, with the library's field order.
func (m Message) MarshalJSON() ([]byte, error) {
	role, err := m.Role.MarshalText()
	if err != nil {
		return nil, err
	}
	buf := append(append(append(make([]byte, 0, 128), `{"role":"`...), role...), '"')
	if buf, err = appendField(buf, "name", m.Name); err != nil {
		return nil, err
	}
	if buf, err = appendField(buf, "recipient", m.Recipient); err != nil {
		return nil, err
	}
	buf = append(buf, `,"content":`...)
	for i, c := range m.Content {
		if c == nil || (reflect.ValueOf(c).Kind() == reflect.Pointer && reflect.ValueOf(c).IsNil()) {
			return nil, fmt.Errorf("content[%d] is nil", i)
		}
	}
	if len(m.Content) == 1 && m.Content[0].contentType() == "text" {
		text, err := marshal(m.Text())
		if err != nil {
			return nil, err
		}
		buf = append(buf, text...)
	} else {
		buf = append(buf, '[')
		for i, c := range m.Content {
			part, err := c.MarshalJSON()
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %w", i, err)
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, part...)
		}
		buf = append(buf, ']')
	}
	if buf, err = appendField(buf, "channel", m.Channel); err != nil {
		return nil, err
	}
	if buf, err = appendField(buf, "content_type", m.ContentType); err != nil {
		return nil, err
	}
	return append(buf, '}'), nil
}

// wireMessage is a Message's shape on the wire, for decoding.
type wireMessage struct {
	Role        *Role           `json:"role"`
	Name        *string         `json:"name"`
	Recipient   *string         `json:"recipient"`
	Content     json.RawMessage `json:"content"`
	Channel     *string         `json:"channel"`
	ContentType *string         `json:"content_type"`
}

// UnmarshalJSON reads the wire form; content may be a string or a list of typed parts.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w wireMessage
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Role == nil {
		return errors.New("message: missing field `role`")
	}
	content, err := unmarshalContent(w.Content)
	if err != nil {
		return err
	}
	*m = Message{Role: *w.Role, Name: w.Name, Recipient: w.Recipient, Channel: w.Channel,
		ContentType: w.ContentType, Content: content}
	return nil
}

func unmarshalContent(raw json.RawMessage) ([]Content, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("message: missing field `content`")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []Content{TextContent{Text: s}}, nil
	case '[':
		var parts []json.RawMessage
		if err := json.Unmarshal(raw, &parts); err != nil {
			return nil, err
		}
		out := make([]Content, 0, len(parts))
		for i, p := range parts {
			c, err := unmarshalPart(p)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %w", i, err)
			}
			out = append(out, c)
		}
		return out, nil
	}
	return nil, errors.New("message: content must be a string or a list of content parts")
}

func unmarshalPart(raw json.RawMessage) (Content, error) {
	var head struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	if head.Type == nil {
		return nil, errors.New("missing field `type`")
	}
	switch *head.Type {
	case "text":
		var t TextContent
		return t, json.Unmarshal(raw, &t)
	case "system_content":
		var s SystemContent
		return s, json.Unmarshal(raw, &s)
	case "developer_content":
		var d DeveloperContent
		return d, json.Unmarshal(raw, &d)
	}
	return nil, fmt.Errorf("unknown content type `%s`", *head.Type)
}

// MarshalJSON writes {"type":"text","text":...}.
func (c TextContent) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}{"text", c.Text})
}

// MarshalJSON writes {"type":"system_content", ...}.
func (c SystemContent) MarshalJSON() ([]byte, error) {
	type plainSystem SystemContent
	return marshal(struct {
		Type string `json:"type"`
		plainSystem
	}{"system_content", plainSystem(c)})
}

// MarshalJSON writes {"type":"developer_content", ...}.
func (c DeveloperContent) MarshalJSON() ([]byte, error) {
	type plainDeveloper DeveloperContent
	return marshal(struct {
		Type string `json:"type"`
		plainDeveloper
	}{"developer_content", plainDeveloper(c)})
}

// MarshalJSON writes valid_channels as [] rather than null when it is nil.
func (c ChannelConfig) MarshalJSON() ([]byte, error) {
	type plain ChannelConfig
	if c.ValidChannels == nil {
		c.ValidChannels = []string{}
	}
	return marshal(plain(c))
}

// MarshalJSON writes tools as [] rather than null when it is nil.
func (c ToolNamespaceConfig) MarshalJSON() ([]byte, error) {
	type plain ToolNamespaceConfig
	if c.Tools == nil {
		c.Tools = []ToolDescription{}
	}
	return marshal(plain(c))
}

// The decoders below reject a missing or null required field, as the library does, instead
// of silently reading it as a zero value.

func missing(typ, field string) error {
	return fmt.Errorf("%s: missing field `%s`", typ, field)
}

// UnmarshalJSON requires "messages".
func (c *Conversation) UnmarshalJSON(b []byte) error {
	var w struct {
		Messages *[]Message `json:"messages"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Messages == nil {
		return missing("conversation", "messages")
	}
	c.Messages = *w.Messages
	return nil
}

// UnmarshalJSON requires "text".
func (c *TextContent) UnmarshalJSON(b []byte) error {
	var w struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Text == nil {
		return missing("text content", "text")
	}
	c.Text = *w.Text
	return nil
}

// UnmarshalJSON requires both fields.
func (c *ChannelConfig) UnmarshalJSON(b []byte) error {
	var w struct {
		ValidChannels   *[]string `json:"valid_channels"`
		ChannelRequired *bool     `json:"channel_required"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	switch {
	case w.ValidChannels == nil:
		return missing("channel_config", "valid_channels")
	case w.ChannelRequired == nil:
		return missing("channel_config", "channel_required")
	}
	*c = ChannelConfig{ValidChannels: *w.ValidChannels, ChannelRequired: *w.ChannelRequired}
	return nil
}

// UnmarshalJSON requires "name" and "tools".
func (c *ToolNamespaceConfig) UnmarshalJSON(b []byte) error {
	var w struct {
		Name        *string            `json:"name"`
		Description *string            `json:"description"`
		Tools       *[]ToolDescription `json:"tools"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	switch {
	case w.Name == nil:
		return missing("tool namespace", "name")
	case w.Tools == nil:
		return missing("tool namespace", "tools")
	}
	*c = ToolNamespaceConfig{Name: *w.Name, Description: w.Description, Tools: *w.Tools}
	return nil
}

// MarshalJSON writes the tool with Parameters verbatim, once the library has checked that
// they are exactly one JSON value (else a StatusInvalidJSON *Error), so that raw text can
// never close the value early and add fields or tools of its own.
func (c ToolDescription) MarshalJSON() ([]byte, error) {
	if c.Parameters != nil {
		if err := cJSONValidate(c.Parameters); err != nil {
			var he *Error
			errors.As(err, &he)
			return nil, &Error{Status: he.Status, Message: "tool " + c.Name + ": parameters: " + he.Message}
		}
	}
	type plain ToolDescription
	return marshal(plain(c))
}

// UnmarshalJSON requires "name" and "description".
func (c *ToolDescription) UnmarshalJSON(b []byte) error {
	var w struct {
		Name        *string         `json:"name"`
		Description *string         `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	switch {
	case w.Name == nil:
		return missing("tool", "name")
	case w.Description == nil:
		return missing("tool", "description")
	}
	*c = ToolDescription{Name: *w.Name, Description: *w.Description, Parameters: w.Parameters}
	return nil
}
