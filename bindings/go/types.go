package harmony

import (
	"fmt"
	"strconv"
)

// Role is a message author's role (harmony_role). Its JSON form is the wire name ("user").
type Role int32

// Roles, mirroring harmony_role.
const (
	// RoleNone means "no role": parsing starts at <|start|>, or the role is unknown.
	RoleNone      Role = -1
	RoleUser      Role = 0
	RoleAssistant Role = 1
	RoleSystem    Role = 2
	RoleDeveloper Role = 3
	RoleTool      Role = 4
)

var roleNames = [...]string{"user", "assistant", "system", "developer", "tool"}

// String returns the wire name ("assistant"), "none" for RoleNone, or "Role(n)".
func (r Role) String() string {
	switch {
	case r >= 0 && int(r) < len(roleNames):
		return roleNames[r]
	case r == RoleNone:
		return "none"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// ParseRole returns the role with wire name s (exact, lower case: "user", "assistant",
// "system", "developer", "tool").
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames {
		if n == s {
			return Role(i), nil
		}
	}
	return RoleNone, invalidArgument("unknown role: %s", s)
}

// MarshalText encodes a role as its wire name; RoleNone and unknown values are errors.
func (r Role) MarshalText() ([]byte, error) {
	if r < 0 || int(r) >= len(roleNames) {
		return nil, fmt.Errorf("%v is not a message role", r)
	}
	return []byte(roleNames[r]), nil
}

// UnmarshalText decodes a wire name.
func (r *Role) UnmarshalText(b []byte) error {
	role, err := ParseRole(string(b))
	if err != nil {
		return fmt.Errorf("unknown role %q", b)
	}
	*r = role
	return nil
}

// StreamState is a StreamParser's state (harmony_stream_state).
type StreamState int32

// Stream states, mirroring harmony_stream_state.
const (
	StreamExpectStart StreamState = 0 // waiting for <|start|>
	StreamHeader      StreamState = 1 // inside a header, before <|message|>
	StreamContent     StreamState = 2 // inside content, before a stop token
)

// String returns "ExpectStart", "Header" or "Content" (the names openai-harmony uses).
func (s StreamState) String() string {
	switch s {
	case StreamExpectStart:
		return "ExpectStart"
	case StreamHeader:
		return "Header"
	case StreamContent:
		return "Content"
	}
	return fmt.Sprintf("StreamState(%d)", int32(s))
}

// RenderOption is a rendering flag (HARMONY_RENDER_*); several may be passed.
type RenderOption uint32

const (
	// KeepAnalysis keeps analysis messages that gpt-oss would otherwise drop between turns
	// (turns auto_drop_analysis off).
	KeepAnalysis RenderOption = 1
	// HasFunctionTools tells RenderMessage that the conversation declares function tools,
	// which adds the "functions" routing line to a system message's channel section.
	HasFunctionTools RenderOption = 2
)

// ParseOption is a parsing flag (HARMONY_PARSE_*); several may be passed.
type ParseOption uint32

const (
	// Lenient recovers a stop token inside the first header instead of failing.
	Lenient ParseOption = 1
	// FixConstrainRecipient reads "<|channel|>final <|constrain|>json" as a content type
	// rather than a recipient (openai/harmony PR #144; differs from openai-harmony 0.0.8).
	FixConstrainRecipient ParseOption = 2
	// Recover never fails on model output: stray tokens, missing or repeated headers,
	// malformed recipients, invalid UTF-8 and unknown ids are repaired (HARMONY_PARSE_RECOVER;
	// the repairs are listed in the messages JSON).
	Recover ParseOption = 4
	// KeepTokens keeps each message's exact tokens ("tokens" in the messages JSON,
	// HARMONY_PARSE_KEEP_TOKENS): rendering that JSON again writes them verbatim (KV-cache
	// reuse). The typed Message does not carry them: use the JSON APIs.
	KeepTokens ParseOption = 8
)

func flagsOf[T ~uint32](opts []T) uint32 {
	var f uint32
	for _, o := range opts {
		f |= uint32(o)
	}
	return f
}

// Special tokens of the gpt-oss encoding.
const (
	TokenStart     uint32 = 200006 // <|start|>
	TokenEnd       uint32 = 200007 // <|end|>
	TokenMessage   uint32 = 200008 // <|message|>
	TokenChannel   uint32 = 200005 // <|channel|>
	TokenConstrain uint32 = 200003 // <|constrain|>
	TokenReturn    uint32 = 200002 // <|return|>
	TokenCall      uint32 = 200012 // <|call|>
	// VocabSize is the number of token ids; valid ids are 0 .. VocabSize-1.
	VocabSize uint32 = 201089
)
