package harmony

import "runtime"

// StreamParser parses completion tokens one at a time, as a model samples them, exposing the
// text each token adds (LastDelta) and the header of the message in progress.
//
// A StreamParser is not safe for concurrent use: use it from one goroutine at a time (it may
// move between goroutines). Close releases it; a finalizer releases forgotten parsers.
type StreamParser struct {
	ptr      parserPtr
	delta    []byte // copy of the last token's delta, reused between tokens
	hasDelta bool
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
