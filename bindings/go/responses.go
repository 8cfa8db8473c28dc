package harmony

import (
	"encoding/json"
	"runtime"
)

// The OpenAI Responses API bridge: a /v1/responses request renders into the prompt tokens
// gpt-oss expects, and completion tokens parse into a response object or the streaming events
// the OpenAI SDK consumes. The mapping lives in the library (harmony_responses_*); this file
// only moves JSON and tokens across.

// ResponsesOptions are the options of the Responses bridge, sent to the library as a JSON
// object. Zero fields are left out, so the library's defaults apply (model "gpt-oss", id
// "resp_harmony", created_at 0). A nil *ResponsesOptions means all defaults.
type ResponsesOptions struct {
	// ConversationStartDate is the "Current date:" of the system message ("YYYY-MM-DD").
	ConversationStartDate string `json:"conversation_start_date,omitempty"`
	// Model is the "model" of the response.
	Model string `json:"model,omitempty"`
	// ID is the "id" of the response; item and call ids derive from it.
	ID string `json:"id,omitempty"`
	// CreatedAt is the "created_at" of the response (seconds since the epoch).
	CreatedAt uint64 `json:"created_at,omitempty"`
	// ResponseFields are extra fields of every response object (e.g. the request's tools).
	ResponseFields map[string]json.RawMessage `json:"response_fields,omitempty"`
}

func (o *ResponsesOptions) optionsJSON() ([]byte, error) {
	if o == nil {
		return nil, nil
	}
	js, err := json.Marshal(o)
	if err != nil {
		return nil, invalidArgument("responses options: %v", err)
	}
	return js, nil
}

// ResponsesRender renders an OpenAI Responses API request (its JSON body) into the prompt
// tokens for the next assistant message. A request the bridge cannot map (an image part, an
// unknown call_id, ...) is StatusInvalidArgument with a message naming the item; JSON that
// does not parse is StatusInvalidJSON.
func (e *Encoding) ResponsesRender(request []byte, opts *ResponsesOptions) ([]uint32, error) {
	js, err := opts.optionsJSON()
	if err != nil {
		return nil, err
	}
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cResponsesRender(ptr, request, js)
}

// ResponsesParse parses completion tokens (sampled after a ResponsesRender prompt) into a
// response JSON object. Any valid token ids succeed; an id outside the vocabulary is
// StatusUnknownToken.
func (e *Encoding) ResponsesParse(tokens []uint32, opts *ResponsesOptions) ([]byte, error) {
	js, err := opts.optionsJSON()
	if err != nil {
		return nil, err
	}
	ptr, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release()
	return cResponsesParse(ptr, tokens, js)
}

// ResponsesStream turns completion tokens, one at a time as they are sampled, into the
// Responses API streaming events; the last event's response equals ResponsesParse.
//
// A ResponsesStream is not safe for concurrent use: use it from one goroutine at a time.
// Close releases it; a finalizer releases forgotten streams.
type ResponsesStream struct {
	ptr responsesStreamPtr
}

// NewResponsesStream returns a streaming response for a completion sampled after a
// ResponsesRender prompt. The stream keeps its own reference to the encoding.
func NewResponsesStream(enc *Encoding, opts *ResponsesOptions) (*ResponsesStream, error) {
	js, err := opts.optionsJSON()
	if err != nil {
		return nil, err
	}
	ptr, err := enc.acquire()
	if err != nil {
		return nil, err
	}
	defer enc.release()
	sp, err := cResponsesStreamNew(ptr, js)
	if err != nil {
		return nil, err
	}
	s := &ResponsesStream{ptr: sp}
	runtime.SetFinalizer(s, (*ResponsesStream).Close)
	return s, nil
}

// Close releases the stream. It is idempotent and always returns nil.
func (s *ResponsesStream) Close() error {
	if s == nil || s.ptr == nil {
		return nil
	}
	cResponsesStreamFree(s.ptr)
	s.ptr = nil
	runtime.SetFinalizer(s, nil)
	return nil
}

// Process feeds one completion token and returns the JSON array of the events it produces
// ("[]" for none; the first call also carries response.created and response.in_progress).
func (s *ResponsesStream) Process(token uint32) ([]byte, error) {
	if s == nil || s.ptr == nil {
		return nil, ErrClosed
	}
	events, err := cResponsesStreamProcess(s.ptr, token)
	runtime.KeepAlive(s)
	return events, err
}

// AppendProcess is Process appending the JSON array of the token's events to dst instead of
// returning a new slice (no allocation per token once dst has grown): ok is false, and dst
// unchanged, when the token produces no event (where Process returns "[]").
func (s *ResponsesStream) AppendProcess(dst []byte, token uint32) (out []byte, ok bool, err error) {
	if s == nil || s.ptr == nil {
		return dst, false, ErrClosed
	}
	out, ok, err = cResponsesStreamAppend(dst, s.ptr, token)
	runtime.KeepAlive(s)
	return out, ok, err
}

// Finish ends the stream and returns the JSON array of the last events, ending with
// response.completed, or response.incomplete when the tokens ended inside a message. A second
// Finish, or Process after Finish, is StatusInvalidArgument.
func (s *ResponsesStream) Finish() ([]byte, error) {
	if s == nil || s.ptr == nil {
		return nil, ErrClosed
	}
	events, err := cResponsesStreamFinish(s.ptr)
	runtime.KeepAlive(s)
	return events, err
}
