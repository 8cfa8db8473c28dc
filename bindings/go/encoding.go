package harmony

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Encoding is a handle on the gpt-oss Harmony encoding. It is immutable and safe for
// concurrent use by any number of goroutines. Close releases it; Close may run concurrently
// with other calls (it waits for them) and any number of times. A finalizer releases
// forgotten handles.
type Encoding struct {
	mu  sync.RWMutex // read-held by every call, write-held by Close
	ptr encodingPtr
}

// NewEncoding returns the gpt-oss encoding (HarmonyGptOss).
func NewEncoding() (*Encoding, error) { return LoadEncoding("") }

// LoadEncoding returns the encoding called name ("HarmonyGptOss"; "" selects the default).
func LoadEncoding(name string) (*Encoding, error) {
	ptr, err := cEncodingNew(name)
	if err != nil {
		return nil, err
	}
	e := &Encoding{ptr: ptr}
	runtime.SetFinalizer(e, (*Encoding).Close)
	return e, nil
}

// Close releases the handle. It is idempotent and always returns nil. StreamParsers created
// from the encoding stay valid.
func (e *Encoding) Close() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ptr != nil {
		cEncodingFree(e.ptr)
		e.ptr = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}

// acquire returns the C handle with the read lock held; release must follow.
func (e *Encoding) acquire() (encodingPtr, error) {
	if e == nil {
		return nil, ErrClosed
	}
	e.mu.RLock()
	if e.ptr == nil {
		e.mu.RUnlock()
		return nil, ErrClosed
	}
	return e.ptr, nil
}

func (e *Encoding) release() {
	e.mu.RUnlock()
	runtime.KeepAlive(e)
}

func (e *Encoding) render(mode int32, js []byte, next Role, flags uint32) ([]uint32, error) {
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cRender(ptr, mode, js, next, flags)
}

// marshalInput marshals a conversation or message for the library.
func marshalInput(what string, v json.Marshaler, isNil bool) ([]byte, error) {
	if isNil {
		return nil, invalidArgument("%s is nil", what)
	}
	js, err := v.MarshalJSON()
	var he *Error
	if errors.As(err, &he) { // the library's verdict (raw parameters JSON): keep its status
		return nil, &Error{Status: he.Status, Message: fmt.Sprintf("%s: %v", what, err)}
	}
	if err != nil {
		return nil, invalidArgument("%s: %v", what, err)
	}
	return js, nil
}

// RenderCompletion renders conv followed by <|start|> and next: the prompt to sample from.
func (e *Encoding) RenderCompletion(conv *Conversation, next Role, opts ...RenderOption) ([]uint32, error) {
	js, err := marshalInput("conversation", conv, conv == nil)
	if err != nil {
		return nil, err
	}
	return e.render(modeCompletion, js, next, flagsOf(opts))
}

// RenderConversation renders conv only.
func (e *Encoding) RenderConversation(conv *Conversation, opts ...RenderOption) ([]uint32, error) {
	js, err := marshalInput("conversation", conv, conv == nil)
	if err != nil {
		return nil, err
	}
	return e.render(modeConversation, js, RoleNone, flagsOf(opts))
}

// RenderTraining renders conv for training: a trailing final assistant message ends in
// <|return|>.
func (e *Encoding) RenderTraining(conv *Conversation, opts ...RenderOption) ([]uint32, error) {
	js, err := marshalInput("conversation", conv, conv == nil)
	if err != nil {
		return nil, err
	}
	return e.render(modeTraining, js, RoleNone, flagsOf(opts))
}

// RenderMessage renders one message (pass HasFunctionTools if the conversation declares
// function tools).
func (e *Encoding) RenderMessage(msg *Message, opts ...RenderOption) ([]uint32, error) {
	js, err := marshalInput("message", msg, msg == nil)
	if err != nil {
		return nil, err
	}
	return e.render(modeMessage, js, RoleNone, flagsOf(opts))
}

// RenderCompletionJSON is RenderCompletion for a conversation in wire-format JSON.
func (e *Encoding) RenderCompletionJSON(conv []byte, next Role, opts ...RenderOption) ([]uint32, error) {
	return e.render(modeCompletion, conv, next, flagsOf(opts))
}

// RenderConversationJSON is RenderConversation for a conversation in wire-format JSON.
func (e *Encoding) RenderConversationJSON(conv []byte, opts ...RenderOption) ([]uint32, error) {
	return e.render(modeConversation, conv, RoleNone, flagsOf(opts))
}

// RenderTrainingJSON is RenderTraining for a conversation in wire-format JSON.
func (e *Encoding) RenderTrainingJSON(conv []byte, opts ...RenderOption) ([]uint32, error) {
	return e.render(modeTraining, conv, RoleNone, flagsOf(opts))
}

// RenderMessageJSON is RenderMessage for a message in wire-format JSON.
func (e *Encoding) RenderMessageJSON(msg []byte, opts ...RenderOption) ([]uint32, error) {
	return e.render(modeMessage, msg, RoleNone, flagsOf(opts))
}

// ParseJSON parses completion tokens into messages and returns them as a wire-format JSON
// array. role is the role of the first message when the tokens start inside its header (as
// after RenderCompletion), or RoleNone when they start with <|start|>.
func (e *Encoding) ParseJSON(tokens []uint32, role Role, opts ...ParseOption) ([]byte, error) {
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cParse(ptr, tokens, role, flagsOf(opts))
}

// Parse is ParseJSON returning typed messages.
func (e *Encoding) Parse(tokens []uint32, role Role, opts ...ParseOption) ([]Message, error) {
	js, err := e.ParseJSON(tokens, role, opts...)
	if err != nil {
		return nil, err
	}
	return unmarshalMessages(js)
}

func unmarshalMessages(js []byte) ([]Message, error) {
	var msgs []Message
	if err := json.Unmarshal(js, &msgs); err != nil {
		return nil, &Error{Status: StatusInvalidJSON, Message: "messages from the library: " + err.Error()}
	}
	return msgs, nil
}

func encodeFlags(allowSpecial bool) uint32 {
	if allowSpecial {
		return 1 // HARMONY_ENCODE_ALLOW_SPECIAL
	}
	return 0
}

func decodeFlags(lossy bool) uint32 {
	if lossy {
		return 1 // HARMONY_DECODE_LOSSY
	}
	return 0
}

// Encode tokenizes text. Spellings of special tokens ("<|start|>") are ordinary text unless
// allowSpecial is true.
func (e *Encoding) Encode(text string, allowSpecial bool) ([]uint32, error) {
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cEncode(ptr, text, encodeFlags(allowSpecial))
}

// EncodeAllowed returns the tokens of text, reading only the special tokens in allowed (their
// ids, see SpecialTokenID) as special tokens; other spellings stay ordinary text
// (openai_harmony's allowed_special={...}). An id that is not a special token is
// StatusInvalidArgument.
func (e *Encoding) EncodeAllowed(text string, allowed []uint32) ([]uint32, error) {
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cEncodeAllowed(ptr, text, allowed)
}

// AppendEncode is Encode appending to dst, reusing its spare capacity.
func (e *Encoding) AppendEncode(dst []uint32, text string, allowSpecial bool) ([]uint32, error) {
	ptr, err := e.acquire()
	if err != nil {
		return dst, err
	}
	defer e.release()
	return cAppendEncode(ptr, dst, text, encodeFlags(allowSpecial))
}

// Decode returns the text of tokens. Bytes that are not UTF-8 are an error
// (StatusInvalidUTF8) unless lossy is true, which replaces them with U+FFFD. Ids outside the
// vocabulary are StatusUnknownToken.
func (e *Encoding) Decode(tokens []uint32, lossy bool) (string, error) {
	ptr, err := e.acquire()
	if err != nil {
		return "", err
	}
	defer e.release()
	return cDecode(ptr, tokens, decodeFlags(lossy))
}

// AppendDecode is Decode appending the bytes to dst, reusing its spare capacity.
func (e *Encoding) AppendDecode(dst []byte, tokens []uint32, lossy bool) ([]byte, error) {
	ptr, err := e.acquire()
	if err != nil {
		return dst, err
	}
	defer e.release()
	return cAppendDecode(ptr, dst, tokens, decodeFlags(lossy))
}

// StopTokens returns the tokens that end a completion (<|return|>, <|end|>, <|call|>).
func (e *Encoding) StopTokens() ([]uint32, error) { return e.stopTokens(false) }

// StopTokensForAssistantActions returns the tokens that end an assistant action
// (<|return|>, <|call|>).
func (e *Encoding) StopTokensForAssistantActions() ([]uint32, error) { return e.stopTokens(true) }

func (e *Encoding) stopTokens(forActions bool) ([]uint32, error) {
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cStopTokens(ptr, forActions)
}

// SpecialTokenID returns the id of the special token spelled name ("<|start|>").
func (e *Encoding) SpecialTokenID(name string) (uint32, error) {
	if id, ok := cSpecialTokenID(name); ok {
		return id, nil
	}
	return 0, invalidArgument("%q is not a special token", name)
}

// SpecialTokenName returns the spelling of special token id.
func (e *Encoding) SpecialTokenName(id uint32) (string, error) {
	if name, ok := cSpecialTokenName(id); ok {
		return name, nil
	}
	return "", invalidArgument("%d is not a special token", id)
}

// IsSpecial reports whether id is a special (control) token.
func (e *Encoding) IsSpecial(id uint32) bool { return cIsSpecial(id) }

// Version returns the library version, such as "0.1.0" (the same as the package's Version).
func (e *Encoding) Version() string { return cVersion() }

// Version returns the version of the linked libharmony, such as "0.1.0".
func Version() string { return cVersion() }
