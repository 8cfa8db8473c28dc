package harmony

import (
	"encoding/json"
	"runtime"
)

// The OpenAI Chat Completions bridge: a Chat Completions request renders into the prompt
// tokens gpt-oss expects, and completion tokens parse into a chat.completion response or a
// stream of chat.completion.chunk objects. The mapping lives in the library
// (harmony_chat_*); this file only moves JSON and tokens across.

// ChatOptions are the options of the Chat Completions bridge, sent to the library as a JSON
// object. Zero fields are left out, so the library's defaults apply: no start date (unless
// the request has a conversation_start_date field), model "gpt-oss", id "chatcmpl-harmony",
// created 0, random tool-call ids, reasoning_content. A nil *ChatOptions means all defaults.
type ChatOptions struct {
	// ConversationStartDate is the "Current date:" of the system message ("YYYY-MM-DD").
	ConversationStartDate string `json:"conversation_start_date,omitempty"`
	// Model is the "model" of responses and chunks.
	Model string `json:"model,omitempty"`
	// ID is the "id" of responses and chunks.
	ID string `json:"id,omitempty"`
	// Created is the "created" of responses and chunks (seconds since the epoch).
	Created uint64 `json:"created,omitempty"`
	// FixConstrainRecipient is accepted and ignored: the bridge always reads
	// "final <|constrain|>json" as a content type (the fix of openai/harmony PR #144).
	FixConstrainRecipient bool `json:"fix_constrain_recipient,omitempty"`
	// FinishReason is the engine's own finish reason ("stop", "length" or
	// "content_filter"), used when parsing.
	FinishReason string `json:"finish_reason,omitempty"`
	// ToolCallIDSeed, when set, makes tool-call ids reproducible (default: random ids).
	ToolCallIDSeed *uint64 `json:"tool_call_id_seed,omitempty"`
	// ToolCallIDPrefix gives tool-call ids PREFIX0, PREFIX1, ... (before the seed).
	ToolCallIDPrefix string `json:"tool_call_id_prefix,omitempty"`
	// ReasoningField names the reasoning field: "reasoning_content" (default) or "reasoning".
	ReasoningField string `json:"reasoning_field,omitempty"`
	// ToolChoice is the request's tool_choice mode ("auto", "none", "required"), honoured
	// on the output side.
	ToolChoice string `json:"-"`
	// ToolChoiceFunction is the request's tool_choice naming one function; it takes
	// precedence over ToolChoice.
	ToolChoiceFunction string `json:"-"`
	// ParallelToolCalls is the request's parallel_tool_calls (false keeps the first call).
	ParallelToolCalls *bool `json:"parallel_tool_calls,omitempty"`
	// Request is the request the completion answers (its JSON body): its output-side fields
	// (tool_choice, parallel_tool_calls, a last assistant message with "prefix": true that
	// the completion continues) apply when parsing.
	Request json.RawMessage `json:"request,omitempty"`
}

type namedToolChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

// optionsJSON marshals opts for the library; nil gives nil (the library's defaults).
func (o *ChatOptions) optionsJSON() ([]byte, error) {
	if o == nil {
		return nil, nil
	}
	type plain ChatOptions
	wire := struct {
		*plain
		ToolChoice any `json:"tool_choice,omitempty"`
	}{plain: (*plain)(o)}
	if o.ToolChoiceFunction != "" {
		named := namedToolChoice{Type: "function"}
		named.Function.Name = o.ToolChoiceFunction
		wire.ToolChoice = named
	} else if o.ToolChoice != "" {
		wire.ToolChoice = o.ToolChoice
	}
	js, err := json.Marshal(wire)
	if err != nil {
		return nil, invalidArgument("chat options: %v", err)
	}
	return js, nil
}

// ChatRender renders an OpenAI Chat Completions request (request: its JSON body) into the
// prompt tokens for the next assistant message. Requests the bridge cannot map (an unknown
// role or tool_call_id, a non-text content part, ...) are StatusInvalidArgument; JSON that
// does not parse is StatusInvalidJSON.
func (e *Encoding) ChatRender(request []byte, opts *ChatOptions) ([]uint32, error) {
	js, err := opts.optionsJSON()
	if err != nil {
		return nil, err
	}
	return e.chatRender(request, js)
}

func (e *Encoding) chatRender(request, optsJSON []byte) ([]uint32, error) {
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cChatRender(ptr, request, optsJSON)
}

// ChatParse parses completion tokens (sampled after a ChatRender prompt) into a
// chat.completion response JSON object: reasoning as reasoning_content, function calls as
// tool_calls, the rest as content, and a finish_reason of stop, tool_calls or length (see the
// README's bridge section). Model output never fails; only ids outside the vocabulary do.
func (e *Encoding) ChatParse(tokens []uint32, opts *ChatOptions) ([]byte, error) {
	js, err := opts.optionsJSON()
	if err != nil {
		return nil, err
	}
	return e.chatParse(tokens, js)
}

func (e *Encoding) chatParse(tokens []uint32, optsJSON []byte) ([]byte, error) {
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cChatParse(ptr, tokens, optsJSON)
}

// ChatStream turns completion tokens, one at a time as they are sampled, into
// chat.completion.chunk JSON objects; the chunks joined give the same message as ChatParse.
//
// A ChatStream is not safe for concurrent use: use it from one goroutine at a time (it may
// move between goroutines). Close releases it; a finalizer releases forgotten streams.
type ChatStream struct {
	ptr chatStreamPtr
}

// NewChatStream returns a streaming response for a completion sampled after a ChatRender
// prompt. The stream keeps its own reference to the encoding, which may be closed first.
func NewChatStream(enc *Encoding, opts *ChatOptions) (*ChatStream, error) {
	js, err := opts.optionsJSON()
	if err != nil {
		return nil, err
	}
	return newChatStream(enc, js)
}

func newChatStream(enc *Encoding, optsJSON []byte) (*ChatStream, error) {
	ptr, err := enc.acquire()
	if err != nil {
		return nil, err
	}
	defer enc.release()
	sp, err := cChatStreamNew(ptr, optsJSON)
	if err != nil {
		return nil, err
	}
	s := &ChatStream{ptr: sp}
	runtime.SetFinalizer(s, (*ChatStream).Close)
	return s, nil
}

// Close releases the stream. It is idempotent and always returns nil.
func (s *ChatStream) Close() error {
	if s == nil || s.ptr == nil {
		return nil
	}
	cChatStreamFree(s.ptr)
	s.ptr = nil
	runtime.SetFinalizer(s, nil)
	return nil
}

// Process feeds one completion token and returns the chat.completion.chunk it produces, or
// nil when it produces none (header tokens, a UTF-8 character still incomplete). The first
// chunk carries the assistant role; a tool call is announced by a chunk with its id and name,
// then its arguments follow. After an error the stream should be discarded.
func (s *ChatStream) Process(token uint32) ([]byte, error) {
	if s == nil || s.ptr == nil {
		return nil, ErrClosed
	}
	chunk, err := cChatStreamProcess(s.ptr, token)
	runtime.KeepAlive(s)
	return chunk, err
}

// AppendProcess is Process appending the chunk to dst instead of returning a new slice (no
// allocation per token once dst has grown): ok is false, and dst unchanged, when the token
// produces no chunk.
func (s *ChatStream) AppendProcess(dst []byte, token uint32) (out []byte, ok bool, err error) {
	if s == nil || s.ptr == nil {
		return dst, false, ErrClosed
	}
	out, ok, err = cChatStreamAppend(dst, s.ptr, token)
	runtime.KeepAlive(s)
	return out, ok, err
}

// ForceAnswer returns the tokens that end the reasoning now (the reasoning so far stays
// reasoning_content and the model's next tokens are the answer).
// The tokens end the current message now and open the final answer (function "") or a call
// of function, as the model would have sampled them: for an engine whose reasoning budget ran
// out. Inject them into the model's context and feed them to Process as if sampled. They are
// empty when the parser is already inside such a message.
func (s *ChatStream) ForceAnswer(function string) ([]uint32, error) {
	if s == nil || s.ptr == nil {
		return nil, ErrClosed
	}
	toks, err := cChatStreamForceAnswer(s.ptr, function)
	runtime.KeepAlive(s)
	return toks, err
}

// Finish ends the stream and returns the last chunk, whose finish_reason is stop,
// tool_calls, or length when the tokens ended inside a message. A second Finish, or Process
// after Finish, is StatusInvalidArgument.
func (s *ChatStream) Finish() ([]byte, error) {
	if s == nil || s.ptr == nil {
		return nil, ErrClosed
	}
	chunk, err := cChatStreamFinish(s.ptr)
	runtime.KeepAlive(s)
	return chunk, err
}
