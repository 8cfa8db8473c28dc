package harmony

import (
	"encoding/json"
	"runtime"
)

// StreamParser parses completion tokens one at a time, as a model samples them, exposing the
// text each token adds (LastDelta) and the header of the message in progress.
//
// A StreamParser is not safe for concurrent use: use it from one goroutine at a time (it may
// move between goroutines). Close releases it; a finalizer releases forgotten parsers.
type StreamParser struct {
	ptr      parserPtr
	delta    []byte // copy of the last token's delta, reused between tokens
	hasDelta bool
	event    Event // the last Step event (its strings are reused while unchanged)
}

// NewStreamParser returns a parser for a completion whose first message has role (as after
// RenderCompletion with that role), or RoleNone when the tokens start with <|start|>. The
// parser keeps its own reference to the encoding, which may be closed first.
func NewStreamParser(enc *Encoding, role Role, opts ...ParseOption) (*StreamParser, error) {
	ptr, err := enc.acquire()
	if err != nil {
		return nil, err
	}
	defer enc.release()
	pp, err := cParserNew(ptr, role, flagsOf(opts))
	if err != nil {
		return nil, err
	}
	p := &StreamParser{ptr: pp}
	runtime.SetFinalizer(p, (*StreamParser).Close)
	return p, nil
}

// Continuation is the header of an assistant message already open, which a continuing parser
// reads the content of (prefill: the prompt left that message open).
type Continuation struct {
	Channel     string `json:"channel,omitempty"`
	Recipient   string `json:"recipient,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}

// NewContinuingParser returns a parser that continues an open assistant message with header h
// (harmony_parser_new_continuing): the tokens start inside its content.
func NewContinuingParser(enc *Encoding, h Continuation, opts ...ParseOption) (*StreamParser, error) {
	header, err := json.Marshal(h)
	if err != nil {
		return nil, invalidArgument("continuation header: %v", err)
	}
	ptr, err := enc.acquire()
	if err != nil {
		return nil, err
	}
	defer enc.release()
	pp, err := cParserNewContinuing(ptr, header, flagsOf(opts))
	if err != nil {
		return nil, err
	}
	p := &StreamParser{ptr: pp}
	runtime.SetFinalizer(p, (*StreamParser).Close)
	return p, nil
}

// Close releases the parser. It is idempotent and always returns nil.
func (p *StreamParser) Close() error {
	if p == nil || p.ptr == nil {
		return nil
	}
	cParserFree(p.ptr)
	p.ptr = nil
	p.delta, p.hasDelta = nil, false
	runtime.SetFinalizer(p, nil)
	return nil
}

func (p *StreamParser) step(delta []byte, ok bool, err error) error {
	p.delta, p.hasDelta = delta, ok
	runtime.KeepAlive(p)
	return err
}

// ForceAnswer returns the tokens that end the reasoning now.
// The tokens end the current message now and open the final answer (function "") or a call
// of function, as the model would have sampled them: for an engine whose reasoning budget ran
// out. Inject them into the model's context and feed them to Process as if sampled. They are
// empty when the parser is already inside such a message.
func (p *StreamParser) ForceAnswer(function string) ([]uint32, error) {
	if p == nil || p.ptr == nil {
		return nil, ErrClosed
	}
	toks, err := cParserForceAnswer(p.ptr, function)
	runtime.KeepAlive(p)
	return toks, err
}

// Process feeds one token. After an error the parser should be discarded.
func (p *StreamParser) Process(token uint32) error {
	if p == nil || p.ptr == nil {
		return ErrClosed
	}
	return p.step(cParserProcess(p.ptr, token, p.delta))
}

// ProcessTokens feeds tokens in order, stopping at the first failure.
func (p *StreamParser) ProcessTokens(tokens []uint32) error {
	if p == nil || p.ptr == nil {
		return ErrClosed
	}
	return p.step(cParserProcessTokens(p.ptr, tokens, p.delta))
}

// ProcessEOS signals the end of the stream, completing a message in progress. The parser is
// then finished: Process and ProcessEOS return a StatusInvalidArgument *Error.
func (p *StreamParser) ProcessEOS() error {
	if p == nil || p.ptr == nil {
		return ErrClosed
	}
	return p.step(cParserProcessEOS(p.ptr, p.delta))
}

// LastDelta returns the text added by the last token, and false when there is none (outside
// content, or a UTF-8 character still incomplete).
func (p *StreamParser) LastDelta() (string, bool) {
	if p == nil || !p.hasDelta {
		return "", false
	}
	return string(p.delta), true
}

// AppendLastDelta appends the text added by the last token to dst without allocating.
func (p *StreamParser) AppendLastDelta(dst []byte) ([]byte, bool) {
	if p == nil || !p.hasDelta {
		return dst, false
	}
	return append(dst, p.delta...), true
}

func (p *StreamParser) handle() parserPtr {
	if p == nil {
		return nil
	}
	return p.ptr
}

// The accessors below read the message in progress. On a closed parser they report nothing
// (false, RoleNone, 0, an invalid state) rather than fail.

func (p *StreamParser) field(which int) (string, bool) {
	s, ok := cParserField(p.handle(), which)
	runtime.KeepAlive(p)
	return s, ok
}

// Channel returns the channel of the current message, if it has one.
func (p *StreamParser) Channel() (string, bool) { return p.field(fieldChannel) }

// Recipient returns the recipient of the current message, if it has one.
func (p *StreamParser) Recipient() (string, bool) { return p.field(fieldRecipient) }

// ContentType returns the content type of the current message, if it has one.
func (p *StreamParser) ContentType() (string, bool) { return p.field(fieldContentType) }

// Content returns the content of the current message so far; false outside content.
func (p *StreamParser) Content() (string, bool) { return p.field(fieldContent) }

// State returns the parser's state.
func (p *StreamParser) State() StreamState {
	s := cParserState(p.handle())
	runtime.KeepAlive(p)
	return s
}

// Role returns the role of the current message (or the expected next role); RoleNone when
// unknown.
func (p *StreamParser) Role() Role {
	r := cParserRole(p.handle())
	runtime.KeepAlive(p)
	return r
}

// MessageCount returns the number of completed messages.
func (p *StreamParser) MessageCount() int {
	n := cParserMessageCount(p.handle())
	runtime.KeepAlive(p)
	return n
}

// MessagesJSON returns the completed messages as a wire-format JSON array.
func (p *StreamParser) MessagesJSON() ([]byte, error) {
	if p == nil || p.ptr == nil {
		return nil, ErrClosed
	}
	js, err := cParserMessagesJSON(p.ptr)
	runtime.KeepAlive(p)
	return js, err
}

// Messages returns the completed messages.
func (p *StreamParser) Messages() ([]Message, error) {
	js, err := p.MessagesJSON()
	if err != nil {
		return nil, err
	}
	return unmarshalMessages(js)
}

// EventFlags say what one token did (Event.Flags).
type EventFlags uint32

const (
	// EventMessageStarted: the token began a message (<|start|>, the first token of a
	// parser created with a role, or a token that ended one message and opened the next).
	EventMessageStarted EventFlags = 1
	// EventHeaderComplete: the header is complete; Channel, Recipient and ContentType are known.
	EventHeaderComplete EventFlags = 2
	// EventMessageEnded: a message was completed; the fields describe it unless a new one is open.
	EventMessageEnded EventFlags = 4
	// EventDelta: Delta holds text.
	EventDelta EventFlags = 8
)

// Event is what one token did (Step): the text it added, the message boundaries and the
// header of the message being read. It is a copy in Go memory; "" means absent.
type Event struct {
	Flags        EventFlags
	State        StreamState // where the parser is after the token
	Role         Role        // role of the described message, RoleNone when unknown
	Delta        string      // text the token added
	Channel      string      // channel of the current message (of the ended one after EventMessageEnded)
	Recipient    string      // recipient of the same message, e.g. "functions.get_weather"
	ContentType  string      // content type of the same message, e.g. "<|constrain|>json"
	MessageCount int         // number of completed messages
}

// Has reports whether all of flags are set.
func (e Event) Has(flags EventFlags) bool { return e.Flags&flags == flags }

// Step feeds one token and returns what it did: one cgo call per sampled token. It fails
// exactly where Process fails. LastDelta is not updated by Step (use Event.Delta).
func (p *StreamParser) Step(token uint32) (Event, error) {
	if p == nil || p.ptr == nil {
		return Event{Role: RoleNone}, ErrClosed
	}
	err := cParserStep(p.ptr, token, &p.event)
	runtime.KeepAlive(p)
	p.hasDelta = false
	return p.event, err
}

// StepEOS signals the end of the stream like ProcessEOS and returns what it did
// (EventMessageEnded when a message in progress was completed).
func (p *StreamParser) StepEOS() (Event, error) {
	if p == nil || p.ptr == nil {
		return Event{Role: RoleNone}, ErrClosed
	}
	err := cParserStepEOS(p.ptr, &p.event)
	runtime.KeepAlive(p)
	p.hasDelta = false
	return p.event, err
}

// Message returns completed message i (0 <= i < MessageCount) without going through JSON.
func (p *StreamParser) Message(i int) (Message, error) {
	if p == nil || p.ptr == nil {
		return Message{}, ErrClosed
	}
	m, err := cParserMessage(p.ptr, i)
	runtime.KeepAlive(p)
	return m, err
}
