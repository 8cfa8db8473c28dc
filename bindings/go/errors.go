package harmony

import "fmt"

// Status is the library's result code (harmony_status). Values are fixed and never
// renumbered. A Status is also an error, so errors.Is(err, harmony.StatusParse) tests the
// status of an *Error.
type Status int32

// Status values, mirroring harmony_status.
const (
	StatusOK              Status = 0 // success
	StatusInvalidArgument Status = 1 // a bad argument (unknown role, flag, encoding name; closed handle)
	StatusInvalidJSON     Status = 2 // input JSON did not parse or did not have the expected shape
	StatusInvalidUTF8     Status = 3 // bytes that must be UTF-8 were not
	StatusRender          Status = 4 // the conversation cannot be rendered
	StatusParse           Status = 5 // the tokens do not form valid Harmony messages
	StatusUnknownToken    Status = 6 // a token id outside the vocabulary
	StatusBufferTooSmall  Status = 7 // a caller buffer was too small (handled inside this package)
	StatusLimitExceeded   Status = 8 // input larger or deeper than the documented limits
	StatusPanic           Status = 9 // an internal bug caught at the boundary; the library stays usable
)

// String returns the C name of the status, such as "HARMONY_ERROR_PARSE".
func (s Status) String() string { return cStatusName(s) }

// Error makes a Status usable as an errors.Is target; it returns the same name as String.
func (s Status) Error() string { return s.String() }

// Error is the error returned by every failing call: the library's status and its message,
// which says what was wrong and where (e.g. "messages[0]: tool message without a name").
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "harmony: " + e.Status.String()
	}
	return fmt.Sprintf("harmony: %s (%s)", e.Message, e.Status)
}

// Is reports whether target is this error's Status, so that errors.Is(err, StatusInvalidJSON)
// works without errors.As.
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// ErrClosed is returned (as an *Error with StatusInvalidArgument) by every call on an
// Encoding, StreamParser or ChatStream after Close.
var ErrClosed = &Error{Status: StatusInvalidArgument, Message: "use of a closed handle"}

func invalidArgument(format string, args ...any) error {
	return &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf(format, args...)}
}
