package harmony

// The cgo layer: every call into libharmony goes through this file, and nothing else in the
// package touches C. Small C shims return results by value (status, error object, output), so
// no Go pointer is handed to C except slice and string data borrowed for one call, and every
// library-allocated result is copied into Go memory and released before the function returns.

/*
#include <stdlib.h>
// The module's own copy of include/harmony.h (kept equal by tests/header.rs), found next to
// this file even in a read-only module cache; the link flags come from link_*.go.
#include "harmony.h"

typedef struct { harmony_status status; harmony_error *err; const harmony_encoding *enc; } hgo_encoding_result;
typedef struct { harmony_status status; harmony_error *err; harmony_parser *parser; } hgo_parser_result;
typedef struct { harmony_status status; harmony_error *err; harmony_tokens tokens; } hgo_tokens_result;
typedef struct { harmony_status status; harmony_error *err; harmony_string str; } hgo_string_result;
typedef struct { harmony_status status; harmony_error *err; size_t len; } hgo_into_result;
typedef struct { harmony_status status; const char *data; size_t len; } hgo_borrowed;
typedef struct { harmony_status status; const uint32_t *data; size_t len; } hgo_borrowed_tokens;
typedef struct { harmony_status status; uint32_t id; } hgo_id_result;
// One parser step: its status and error, and the delta it produced (borrowed from the parser).
typedef struct { harmony_status status; harmony_error *err; const char *delta; size_t delta_len; } hgo_step;
// A chunk or event array a stream lends (valid until its next call; NULL when there is none).
typedef struct { harmony_status status; harmony_error *err; const char *data; size_t len; } hgo_lent;

static hgo_encoding_result hgo_encoding_new(const char *name) {
	hgo_encoding_result r = {HARMONY_OK, NULL, NULL};
	r.status = harmony_encoding_new(name, &r.enc, &r.err);
	return r;
}

static hgo_tokens_result hgo_render(const harmony_encoding *enc, int32_t mode, const char *json, size_t len,
                                    int32_t next_role, uint32_t flags) {
	hgo_tokens_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_render(enc, mode, json, len, next_role, flags, &r.tokens, &r.err);
	return r;
}

static hgo_string_result hgo_parse(const harmony_encoding *enc, const uint32_t *tokens, size_t n, int32_t role,
                                   uint32_t flags) {
	hgo_string_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_parse(enc, tokens, n, role, flags, &r.str, &r.err);
	return r;
}

static hgo_tokens_result hgo_encode(const harmony_encoding *enc, const char *text, size_t len, uint32_t flags) {
	hgo_tokens_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_encode(enc, text, len, flags, &r.tokens, &r.err);
	return r;
}

static hgo_tokens_result hgo_encode_allowed(const harmony_encoding *enc, const char *text, size_t len,
                                           const uint32_t *allowed, size_t allowed_len) {
	hgo_tokens_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_encode_allowed(enc, text, len, allowed, allowed_len, &r.tokens, &r.err);
	return r;
}

static hgo_into_result hgo_encode_into(const harmony_encoding *enc, const char *text, size_t len, uint32_t flags,
                                       uint32_t *buf, size_t cap) {
	hgo_into_result r = {HARMONY_OK, NULL, 0};
	r.status = harmony_encode_into(enc, text, len, flags, buf, cap, &r.len, &r.err);
	return r;
}

static hgo_string_result hgo_decode(const harmony_encoding *enc, const uint32_t *tokens, size_t n, uint32_t flags) {
	hgo_string_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_decode(enc, tokens, n, flags, &r.str, &r.err);
	return r;
}

static hgo_into_result hgo_decode_into(const harmony_encoding *enc, const uint32_t *tokens, size_t n,
                                       uint32_t flags, char *buf, size_t cap) {
	hgo_into_result r = {HARMONY_OK, NULL, 0};
	r.status = harmony_decode_into(enc, tokens, n, flags, buf, cap, &r.len, &r.err);
	return r;
}

static hgo_borrowed_tokens hgo_stop_tokens(const harmony_encoding *enc, int32_t for_actions) {
	hgo_borrowed_tokens r = {HARMONY_OK, NULL, 0};
	r.status = harmony_stop_tokens(enc, for_actions, &r.data, &r.len);
	return r;
}

static hgo_id_result hgo_special_token_id(const char *name, size_t len) {
	hgo_id_result r = {HARMONY_OK, 0};
	r.status = harmony_special_token_id(name, len, &r.id);
	return r;
}

static hgo_borrowed hgo_special_token_name(uint32_t token) {
	hgo_borrowed r = {HARMONY_OK, NULL, 0};
	r.status = harmony_special_token_name(token, &r.data, &r.len);
	return r;
}

static void hgo_tokens_free(harmony_tokens t) { harmony_tokens_free(&t); }
static void hgo_string_free(harmony_string s) { harmony_string_free(&s); }

static hgo_parser_result hgo_parser_new(const harmony_encoding *enc, int32_t role, uint32_t flags) {
	hgo_parser_result r = {HARMONY_OK, NULL, NULL};
	r.status = harmony_parser_new(enc, role, flags, &r.parser, &r.err);
	return r;
}

static hgo_parser_result hgo_parser_new_continuing(const harmony_encoding *enc, const char *header, size_t header_len,
                                                   uint32_t flags) {
	hgo_parser_result r = {HARMONY_OK, NULL, NULL};
	r.status = harmony_parser_new_continuing(enc, header, header_len, flags, &r.parser, &r.err);
	return r;
}

static hgo_step hgo_step_of(const harmony_parser *p, harmony_status status, harmony_error *err) {
	hgo_step r = {status, err, NULL, 0};
	if (harmony_parser_last_delta(p, &r.delta, &r.delta_len) != HARMONY_OK) { r.delta = NULL; r.delta_len = 0; }
	return r;
}

// Feeding a token and reading its delta is one cgo call: the per-token hot path.
static hgo_step hgo_parser_process(harmony_parser *p, uint32_t token) {
	harmony_error *err = NULL;
	harmony_status st = harmony_parser_process(p, token, &err);
	return hgo_step_of(p, st, err);
}

static hgo_step hgo_parser_process_tokens(harmony_parser *p, const uint32_t *tokens, size_t n) {
	harmony_error *err = NULL;
	harmony_status st = harmony_parser_process_tokens(p, tokens, n, &err);
	return hgo_step_of(p, st, err);
}

static hgo_step hgo_parser_process_eos(harmony_parser *p) {
	harmony_error *err = NULL;
	harmony_status st = harmony_parser_process_eos(p, &err);
	return hgo_step_of(p, st, err);
}

// One event step (harmony_parser_step) and one message view, returned by value.
typedef struct { harmony_status status; harmony_error *err; harmony_parser_event ev; } hgo_event_result;
typedef struct { harmony_status status; harmony_error *err; harmony_message_view m; } hgo_message_result;
typedef struct { harmony_status status; harmony_error *err; } hgo_status_result;

static hgo_event_result hgo_parser_step(harmony_parser *p, uint32_t token) {
	hgo_event_result r;
	r.err = NULL;
	r.status = harmony_parser_step(p, token, &r.ev, &r.err);
	return r;
}

static hgo_event_result hgo_parser_step_eos(harmony_parser *p) {
	hgo_event_result r;
	r.err = NULL;
	r.status = harmony_parser_step_eos(p, &r.ev, &r.err);
	return r;
}

static hgo_message_result hgo_parser_message(const harmony_parser *p, size_t index) {
	hgo_message_result r;
	r.err = NULL;
	r.status = harmony_parser_message(p, index, &r.m, &r.err);
	return r;
}

static hgo_status_result hgo_json_validate(const char *json, size_t len) {
	hgo_status_result r = {HARMONY_OK, NULL};
	r.status = harmony_json_validate(json, len, &r.err);
	return r;
}

enum { HGO_CHANNEL, HGO_RECIPIENT, HGO_CONTENT_TYPE, HGO_CONTENT };

static hgo_borrowed hgo_parser_field(const harmony_parser *p, int which) {
	hgo_borrowed r = {HARMONY_OK, NULL, 0};
	switch (which) {
	case HGO_CHANNEL: r.status = harmony_parser_current_channel(p, &r.data, &r.len); break;
	case HGO_RECIPIENT: r.status = harmony_parser_current_recipient(p, &r.data, &r.len); break;
	case HGO_CONTENT_TYPE: r.status = harmony_parser_current_content_type(p, &r.data, &r.len); break;
	default: r.status = harmony_parser_current_content(p, &r.data, &r.len); break;
	}
	return r;
}

static hgo_string_result hgo_parser_messages_json(const harmony_parser *p) {
	hgo_string_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_parser_messages_json(p, &r.str, &r.err);
	return r;
}

// The Chat Completions bridge (harmony_chat_*). Options are JSON, NULL with length 0 for the
// defaults.
typedef struct { harmony_status status; harmony_error *err; harmony_chat_stream *stream; } hgo_chat_stream_result;

static hgo_tokens_result hgo_chat_render(const harmony_encoding *enc, const char *req, size_t req_len,
                                         const char *opts, size_t opts_len) {
	hgo_tokens_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_chat_render(enc, req, req_len, opts, opts_len, &r.tokens, &r.err);
	return r;
}

static hgo_string_result hgo_chat_parse(const harmony_encoding *enc, const uint32_t *tokens, size_t n,
                                        const char *opts, size_t opts_len) {
	hgo_string_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_chat_parse(enc, tokens, n, opts, opts_len, &r.str, &r.err);
	return r;
}

static hgo_chat_stream_result hgo_chat_stream_new(const harmony_encoding *enc, const char *opts, size_t opts_len) {
	hgo_chat_stream_result r = {HARMONY_OK, NULL, NULL};
	r.status = harmony_chat_stream_new(enc, opts, opts_len, &r.stream, &r.err);
	return r;
}

// Feeding a token and taking its chunk ({NULL, 0} when none) is one cgo call: the per-token
// hot path of a streaming response.
// The streams' per-token calls lend their output (one cgo call per token, no C allocation).
static hgo_lent hgo_chat_stream_next(harmony_chat_stream *s, uint32_t token) {
	hgo_lent r = {HARMONY_OK, NULL, NULL, 0};
	r.status = harmony_chat_stream_next(s, token, &r.data, &r.len, &r.err);
	return r;
}

static hgo_string_result hgo_chat_stream_finish(harmony_chat_stream *s) {
	hgo_string_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_chat_stream_finish(s, &r.str, &r.err);
	return r;
}
// Ending reasoning on demand (harmony_*_force_answer): fn NULL opens the final answer.
static hgo_tokens_result hgo_parser_force_answer(const harmony_parser *p, const char *fn, size_t fn_len) {
	hgo_tokens_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_parser_force_answer(p, fn, fn_len, &r.tokens, &r.err);
	return r;
}
static hgo_tokens_result hgo_chat_stream_force_answer(const harmony_chat_stream *s, const char *fn, size_t fn_len) {
	hgo_tokens_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_chat_stream_force_answer(s, fn, fn_len, &r.tokens, &r.err);
	return r;
}
// The Responses API bridge (harmony_responses_*), shaped like the Chat bridge's shims.
typedef struct { harmony_status status; harmony_error *err; harmony_responses_stream *stream; } hgo_responses_stream_result;

static hgo_tokens_result hgo_responses_render(const harmony_encoding *enc, const char *req, size_t req_len,
                                              const char *opts, size_t opts_len) {
	hgo_tokens_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_responses_render(enc, req, req_len, opts, opts_len, &r.tokens, &r.err);
	return r;
}

static hgo_string_result hgo_responses_parse(const harmony_encoding *enc, const uint32_t *tokens, size_t n,
                                             const char *opts, size_t opts_len) {
	hgo_string_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_responses_parse(enc, tokens, n, opts, opts_len, &r.str, &r.err);
	return r;
}

static hgo_responses_stream_result hgo_responses_stream_new(const harmony_encoding *enc, const char *opts,
                                                            size_t opts_len) {
	hgo_responses_stream_result r = {HARMONY_OK, NULL, NULL};
	r.status = harmony_responses_stream_new(enc, opts, opts_len, &r.stream, &r.err);
	return r;
}

static hgo_lent hgo_responses_stream_next(harmony_responses_stream *s, uint32_t token) {
	hgo_lent r = {HARMONY_OK, NULL, NULL, 0};
	r.status = harmony_responses_stream_next(s, token, &r.data, &r.len, &r.err);
	return r;
}

static hgo_string_result hgo_responses_stream_finish(harmony_responses_stream *s) {
	hgo_string_result r = {HARMONY_OK, NULL, {NULL, 0}};
	r.status = harmony_responses_stream_finish(s, &r.str, &r.err);
	return r;
}
*/
import "C"

import (
	"strings"
	"unsafe"
)

// encodingPtr, parserPtr and chatStreamPtr are the C handles; only this file dereferences or
// frees them.
type (
	encodingPtr   = *C.harmony_encoding
	parserPtr     = *C.harmony_parser
	chatStreamPtr = *C.harmony_chat_stream
	// responsesStreamPtr is the Responses bridge's stream handle.
	responsesStreamPtr = *C.harmony_responses_stream
)

// Render modes (harmony_render_mode).
const (
	modeCompletion   = int32(C.HARMONY_RENDER_COMPLETION)
	modeConversation = int32(C.HARMONY_RENDER_CONVERSATION)
	modeTraining     = int32(C.HARMONY_RENDER_TRAINING)
	modeMessage      = int32(C.HARMONY_RENDER_MESSAGE)
)

// Borrowing Go memory for the duration of one call is allowed by the cgo pointer rules
// because slices of bytes or token ids and string data contain no Go pointers. Empty inputs
// are passed as NULL (which the library accepts with length 0), never as a pointer that may
// lie just past the end of another Go object.
func bytesArg(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(unsafe.SliceData(b)))
}

func stringArg(s string) *C.char {
	if len(s) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s)))
}

func tokensArg(t []uint32) *C.uint32_t {
	if len(t) == 0 {
		return nil
	}
	return (*C.uint32_t)(unsafe.Pointer(unsafe.SliceData(t)))
}

// borrowedBytes views library memory; callers copy it before the next call into the library.
func borrowedBytes(data *C.char, n C.size_t) []byte {
	if data == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))
}

// takeError converts a status and error object into a Go error, releasing the object.
func takeError(status C.harmony_status, cerr *C.harmony_error) error {
	var msg string
	if cerr != nil {
		msg = C.GoString(C.harmony_error_message(cerr))
		C.harmony_error_free(cerr)
	}
	if status == C.HARMONY_OK {
		return nil
	}
	return &Error{Status: Status(status), Message: msg}
}

// takeTokens copies library tokens into a new Go slice and frees them.
func takeTokens(r C.hgo_tokens_result) ([]uint32, error) {
	defer C.hgo_tokens_free(r.tokens)
	if err := takeError(r.status, r.err); err != nil {
		return nil, err
	}
	out := make([]uint32, int(r.tokens.len))
	if r.tokens.len > 0 {
		copy(out, unsafe.Slice((*uint32)(unsafe.Pointer(r.tokens.data)), int(r.tokens.len)))
	}
	return out, nil
}

// takeString copies a library string into Go memory and frees it.
func takeString(r C.hgo_string_result) ([]byte, error) {
	defer C.hgo_string_free(r.str)
	if err := takeError(r.status, r.err); err != nil {
		return nil, err
	}
	return append([]byte{}, borrowedBytes(r.str.data, r.str.len)...), nil
}

func cVersion() string { return C.GoString(C.harmony_version()) }

func cStatusName(s Status) string { return C.GoString(C.harmony_status_name(C.int32_t(s))) }

// cEncodingNew creates a handle; an empty name selects the default encoding.
func cEncodingNew(name string) (encodingPtr, error) {
	var cname *C.char
	if name != "" {
		if strings.IndexByte(name, 0) >= 0 {
			return nil, &Error{Status: StatusInvalidArgument, Message: "encoding name contains a NUL byte"}
		}
		cname = C.CString(name)
		defer C.free(unsafe.Pointer(cname))
	}
	r := C.hgo_encoding_new(cname)
	if err := takeError(r.status, r.err); err != nil {
		return nil, err
	}
	return r.enc, nil
}

func cEncodingFree(enc encodingPtr) { C.harmony_encoding_free(enc) }

func cRender(enc encodingPtr, mode int32, json []byte, next Role, flags uint32) ([]uint32, error) {
	return takeTokens(C.hgo_render(enc, C.int32_t(mode), bytesArg(json), C.size_t(len(json)),
		C.int32_t(next), C.uint32_t(flags)))
}

func cParse(enc encodingPtr, tokens []uint32, role Role, flags uint32) ([]byte, error) {
	return takeString(C.hgo_parse(enc, tokensArg(tokens), C.size_t(len(tokens)), C.int32_t(role), C.uint32_t(flags)))
}

func cEncode(enc encodingPtr, text string, flags uint32) ([]uint32, error) {
	return takeTokens(C.hgo_encode(enc, stringArg(text), C.size_t(len(text)), C.uint32_t(flags)))
}

func cEncodeAllowed(enc encodingPtr, text string, allowed []uint32) ([]uint32, error) {
	return takeTokens(C.hgo_encode_allowed(enc, stringArg(text), C.size_t(len(text)), tokensArg(allowed), C.size_t(len(allowed))))
}

// cAppendEncode encodes into dst's spare capacity, growing it once if the library reports
// that it is too small.
func cAppendEncode(enc encodingPtr, dst []uint32, text string, flags uint32) ([]uint32, error) {
	for {
		spare := dst[len(dst):cap(dst)]
		r := C.hgo_encode_into(enc, stringArg(text), C.size_t(len(text)), C.uint32_t(flags),
			tokensArg(spare), C.size_t(len(spare)))
		if r.status == C.HARMONY_ERROR_BUFFER_TOO_SMALL && int(r.len) > len(spare) {
			C.harmony_error_free(r.err)
			dst = append(dst[:cap(dst)], make([]uint32, int(r.len)-len(spare))...)[:len(dst)]
			continue
		}
		if err := takeError(r.status, r.err); err != nil {
			return dst, err
		}
		return dst[:len(dst)+int(r.len)], nil
	}
}

func cDecode(enc encodingPtr, tokens []uint32, flags uint32) (string, error) {
	r := C.hgo_decode(enc, tokensArg(tokens), C.size_t(len(tokens)), C.uint32_t(flags))
	defer C.hgo_string_free(r.str)
	if err := takeError(r.status, r.err); err != nil {
		return "", err
	}
	return string(borrowedBytes(r.str.data, r.str.len)), nil
}

// cAppendDecode decodes into dst's spare capacity, growing it once if needed.
func cAppendDecode(enc encodingPtr, dst []byte, tokens []uint32, flags uint32) ([]byte, error) {
	for {
		spare := dst[len(dst):cap(dst)]
		r := C.hgo_decode_into(enc, tokensArg(tokens), C.size_t(len(tokens)), C.uint32_t(flags),
			bytesArg(spare), C.size_t(len(spare)))
		if r.status == C.HARMONY_ERROR_BUFFER_TOO_SMALL && int(r.len) > len(spare) {
			C.harmony_error_free(r.err)
			dst = append(dst[:cap(dst)], make([]byte, int(r.len)-len(spare))...)[:len(dst)]
			continue
		}
		if err := takeError(r.status, r.err); err != nil {
			return dst, err
		}
		return dst[:len(dst)+int(r.len)], nil
	}
}

func cStopTokens(enc encodingPtr, forActions bool) ([]uint32, error) {
	var flag C.int32_t
	if forActions {
		flag = 1
	}
	r := C.hgo_stop_tokens(enc, flag)
	if err := takeError(r.status, nil); err != nil {
		return nil, err
	}
	out := make([]uint32, int(r.len))
	if r.len > 0 {
		copy(out, unsafe.Slice((*uint32)(unsafe.Pointer(r.data)), int(r.len)))
	}
	return out, nil
}

func cSpecialTokenID(name string) (uint32, bool) {
	r := C.hgo_special_token_id(stringArg(name), C.size_t(len(name)))
	return uint32(r.id), r.status == C.HARMONY_OK
}

func cSpecialTokenName(token uint32) (string, bool) {
	r := C.hgo_special_token_name(C.uint32_t(token))
	if r.status != C.HARMONY_OK {
		return "", false
	}
	return string(borrowedBytes(r.data, r.len)), true
}

func cIsSpecial(token uint32) bool { return C.harmony_token_is_special(C.uint32_t(token)) != 0 }

func cParserNew(enc encodingPtr, role Role, flags uint32) (parserPtr, error) {
	r := C.hgo_parser_new(enc, C.int32_t(role), C.uint32_t(flags))
	if err := takeError(r.status, r.err); err != nil {
		return nil, err
	}
	return r.parser, nil
}

func cParserNewContinuing(enc encodingPtr, header []byte, flags uint32) (parserPtr, error) {
	var h *C.char
	if len(header) > 0 {
		h = (*C.char)(unsafe.Pointer(unsafe.SliceData(header)))
	}
	r := C.hgo_parser_new_continuing(enc, h, C.size_t(len(header)), C.uint32_t(flags))
	if err := takeError(r.status, r.err); err != nil {
		return nil, err
	}
	return r.parser, nil
}

func cParserFree(p parserPtr) { C.harmony_parser_free(p) }

// takeStep copies the step's delta into buf (reusing its memory) and converts its error.
func takeStep(r C.hgo_step, buf []byte) (delta []byte, ok bool, err error) {
	if r.delta != nil {
		delta, ok = append(buf[:0], borrowedBytes(r.delta, r.delta_len)...), true
	} else {
		delta = buf[:0]
	}
	return delta, ok, takeError(r.status, r.err)
}

func cParserProcess(p parserPtr, token uint32, buf []byte) ([]byte, bool, error) {
	return takeStep(C.hgo_parser_process(p, C.uint32_t(token)), buf)
}

func cParserProcessTokens(p parserPtr, tokens []uint32, buf []byte) ([]byte, bool, error) {
	return takeStep(C.hgo_parser_process_tokens(p, tokensArg(tokens), C.size_t(len(tokens))), buf)
}

func cParserProcessEOS(p parserPtr, buf []byte) ([]byte, bool, error) {
	return takeStep(C.hgo_parser_process_eos(p), buf)
}

// Parser header fields for cParserField.
const (
	fieldChannel     = int(C.HGO_CHANNEL)
	fieldRecipient   = int(C.HGO_RECIPIENT)
	fieldContentType = int(C.HGO_CONTENT_TYPE)
	fieldContent     = int(C.HGO_CONTENT)
)

func cParserField(p parserPtr, which int) (string, bool) {
	r := C.hgo_parser_field(p, C.int(which))
	if r.status != C.HARMONY_OK || r.data == nil {
		return "", false
	}
	return string(borrowedBytes(r.data, r.len)), true
}

func cParserState(p parserPtr) StreamState { return StreamState(C.harmony_parser_state(p)) }

func cParserRole(p parserPtr) Role { return Role(C.harmony_parser_current_role(p)) }

func cParserMessageCount(p parserPtr) int { return int(C.harmony_parser_message_count(p)) }

func cParserMessagesJSON(p parserPtr) ([]byte, error) {
	return takeString(C.hgo_parser_messages_json(p))
}

func cChatRender(enc encodingPtr, request, opts []byte) ([]uint32, error) {
	return takeTokens(C.hgo_chat_render(enc, bytesArg(request), C.size_t(len(request)), bytesArg(opts), C.size_t(len(opts))))
}

func cChatParse(enc encodingPtr, tokens []uint32, opts []byte) ([]byte, error) {
	return takeString(C.hgo_chat_parse(enc, tokensArg(tokens), C.size_t(len(tokens)), bytesArg(opts), C.size_t(len(opts))))
}

func cChatStreamNew(enc encodingPtr, opts []byte) (chatStreamPtr, error) {
	r := C.hgo_chat_stream_new(enc, bytesArg(opts), C.size_t(len(opts)))
	if err := takeError(r.status, r.err); err != nil {
		return nil, err
	}
	return r.stream, nil
}

func cChatStreamFree(s chatStreamPtr) { C.harmony_chat_stream_free(s) }

// takeLent copies what a stream lent into Go memory; nil when it lent nothing.
func takeLent(r C.hgo_lent) ([]byte, error) {
	out, ok, err := appendLent([]byte{}, r)
	if !ok {
		return nil, err
	}
	return out, nil
}

func cChatStreamProcess(s chatStreamPtr, token uint32) ([]byte, error) {
	return takeLent(C.hgo_chat_stream_next(s, C.uint32_t(token)))
}

// appendLent appends what the library lent (nil data: nothing) to dst; ok reports whether
// it lent anything.
func appendLent(dst []byte, r C.hgo_lent) ([]byte, bool, error) {
	if err := takeError(r.status, r.err); err != nil {
		return dst, false, err
	}
	if r.data == nil {
		return dst, false, nil
	}
	return append(dst, borrowedBytes(r.data, r.len)...), true, nil
}

func cChatStreamAppend(dst []byte, s chatStreamPtr, token uint32) ([]byte, bool, error) {
	return appendLent(dst, C.hgo_chat_stream_next(s, C.uint32_t(token)))
}

func cResponsesStreamAppend(dst []byte, s responsesStreamPtr, token uint32) ([]byte, bool, error) {
	return appendLent(dst, C.hgo_responses_stream_next(s, C.uint32_t(token)))
}

func cChatStreamFinish(s chatStreamPtr) ([]byte, error) {
	return takeString(C.hgo_chat_stream_finish(s))
}

func cParserForceAnswer(p parserPtr, function string) ([]uint32, error) {
	return takeTokens(C.hgo_parser_force_answer(p, stringArg(function), C.size_t(len(function))))
}

func cChatStreamForceAnswer(s chatStreamPtr, function string) ([]uint32, error) {
	return takeTokens(C.hgo_chat_stream_force_answer(s, stringArg(function), C.size_t(len(function))))
}

// The Go constants mirror harmony.h: each line fails to compile if they ever differ.
const (
	_ = uint(int(StatusOK)-int(C.HARMONY_OK)) + uint(int(C.HARMONY_OK)-int(StatusOK))
	_ = uint(int(StatusInvalidArgument)-int(C.HARMONY_ERROR_INVALID_ARGUMENT)) + uint(int(C.HARMONY_ERROR_INVALID_ARGUMENT)-int(StatusInvalidArgument))
	_ = uint(int(StatusInvalidJSON)-int(C.HARMONY_ERROR_INVALID_JSON)) + uint(int(C.HARMONY_ERROR_INVALID_JSON)-int(StatusInvalidJSON))
	_ = uint(int(StatusInvalidUTF8)-int(C.HARMONY_ERROR_INVALID_UTF8)) + uint(int(C.HARMONY_ERROR_INVALID_UTF8)-int(StatusInvalidUTF8))
	_ = uint(int(StatusRender)-int(C.HARMONY_ERROR_RENDER)) + uint(int(C.HARMONY_ERROR_RENDER)-int(StatusRender))
	_ = uint(int(StatusParse)-int(C.HARMONY_ERROR_PARSE)) + uint(int(C.HARMONY_ERROR_PARSE)-int(StatusParse))
	_ = uint(int(StatusUnknownToken)-int(C.HARMONY_ERROR_UNKNOWN_TOKEN)) + uint(int(C.HARMONY_ERROR_UNKNOWN_TOKEN)-int(StatusUnknownToken))
	_ = uint(int(StatusBufferTooSmall)-int(C.HARMONY_ERROR_BUFFER_TOO_SMALL)) + uint(int(C.HARMONY_ERROR_BUFFER_TOO_SMALL)-int(StatusBufferTooSmall))
	_ = uint(int(StatusLimitExceeded)-int(C.HARMONY_ERROR_LIMIT_EXCEEDED)) + uint(int(C.HARMONY_ERROR_LIMIT_EXCEEDED)-int(StatusLimitExceeded))
	_ = uint(int(StatusPanic)-int(C.HARMONY_ERROR_PANIC)) + uint(int(C.HARMONY_ERROR_PANIC)-int(StatusPanic))
	_ = uint(int(RoleNone)-int(C.HARMONY_ROLE_NONE)) + uint(int(C.HARMONY_ROLE_NONE)-int(RoleNone))
	_ = uint(int(RoleUser)-int(C.HARMONY_ROLE_USER)) + uint(int(C.HARMONY_ROLE_USER)-int(RoleUser))
	_ = uint(int(RoleAssistant)-int(C.HARMONY_ROLE_ASSISTANT)) + uint(int(C.HARMONY_ROLE_ASSISTANT)-int(RoleAssistant))
	_ = uint(int(RoleSystem)-int(C.HARMONY_ROLE_SYSTEM)) + uint(int(C.HARMONY_ROLE_SYSTEM)-int(RoleSystem))
	_ = uint(int(RoleDeveloper)-int(C.HARMONY_ROLE_DEVELOPER)) + uint(int(C.HARMONY_ROLE_DEVELOPER)-int(RoleDeveloper))
	_ = uint(int(RoleTool)-int(C.HARMONY_ROLE_TOOL)) + uint(int(C.HARMONY_ROLE_TOOL)-int(RoleTool))
	_ = uint(int(StreamExpectStart)-int(C.HARMONY_STREAM_EXPECT_START)) + uint(int(C.HARMONY_STREAM_EXPECT_START)-int(StreamExpectStart))
	_ = uint(int(StreamHeader)-int(C.HARMONY_STREAM_HEADER)) + uint(int(C.HARMONY_STREAM_HEADER)-int(StreamHeader))
	_ = uint(int(StreamContent)-int(C.HARMONY_STREAM_CONTENT)) + uint(int(C.HARMONY_STREAM_CONTENT)-int(StreamContent))
	_ = uint(int(KeepAnalysis)-int(C.HARMONY_RENDER_KEEP_ANALYSIS)) + uint(int(C.HARMONY_RENDER_KEEP_ANALYSIS)-int(KeepAnalysis))
	_ = uint(int(HasFunctionTools)-int(C.HARMONY_RENDER_HAS_FUNCTION_TOOLS)) + uint(int(C.HARMONY_RENDER_HAS_FUNCTION_TOOLS)-int(HasFunctionTools))
	_ = uint(int(Lenient)-int(C.HARMONY_PARSE_LENIENT)) + uint(int(C.HARMONY_PARSE_LENIENT)-int(Lenient))
	_ = uint(int(FixConstrainRecipient)-int(C.HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT)) + uint(int(C.HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT)-int(FixConstrainRecipient))
	_ = uint(int(Recover)-int(C.HARMONY_PARSE_RECOVER)) + uint(int(C.HARMONY_PARSE_RECOVER)-int(Recover))
	_ = uint(int(KeepTokens)-int(C.HARMONY_PARSE_KEEP_TOKENS)) + uint(int(C.HARMONY_PARSE_KEEP_TOKENS)-int(KeepTokens))
	_ = uint(int(TokenStart)-int(C.HARMONY_TOKEN_START)) + uint(int(C.HARMONY_TOKEN_START)-int(TokenStart))
	_ = uint(int(TokenEnd)-int(C.HARMONY_TOKEN_END)) + uint(int(C.HARMONY_TOKEN_END)-int(TokenEnd))
	_ = uint(int(TokenMessage)-int(C.HARMONY_TOKEN_MESSAGE)) + uint(int(C.HARMONY_TOKEN_MESSAGE)-int(TokenMessage))
	_ = uint(int(TokenChannel)-int(C.HARMONY_TOKEN_CHANNEL)) + uint(int(C.HARMONY_TOKEN_CHANNEL)-int(TokenChannel))
	_ = uint(int(TokenConstrain)-int(C.HARMONY_TOKEN_CONSTRAIN)) + uint(int(C.HARMONY_TOKEN_CONSTRAIN)-int(TokenConstrain))
	_ = uint(int(TokenReturn)-int(C.HARMONY_TOKEN_RETURN)) + uint(int(C.HARMONY_TOKEN_RETURN)-int(TokenReturn))
	_ = uint(int(TokenCall)-int(C.HARMONY_TOKEN_CALL)) + uint(int(C.HARMONY_TOKEN_CALL)-int(TokenCall))
	_ = uint(int(VocabSize)-int(C.HARMONY_VOCAB_SIZE)) + uint(int(C.HARMONY_VOCAB_SIZE)-int(VocabSize))
)

// cachedString returns cache when it already holds the bytes of v (no allocation: the
// per-token event repeats the same channel and recipient), else a new copy.
func cachedString(cache string, v C.harmony_view) string {
	b := borrowedBytes(v.data, v.len)
	if string(b) == cache {
		return cache
	}
	return string(b)
}

// takeEvent converts an event into Go memory in place, keeping ev's strings where unchanged.
// (In place: an Event is ~100 bytes, and returning it by value through each layer was most of
// the Go side's cost per token.)
func takeEvent(r *C.hgo_event_result, ev *Event) error {
	if err := takeError(r.status, r.err); err != nil {
		*ev = Event{Role: RoleNone}
		return err
	}
	e := &r.ev
	ev.Flags = EventFlags(e.flags)
	ev.State = StreamState(e.state)
	ev.Role = Role(e.role)
	ev.Delta = string(borrowedBytes(e.delta.data, e.delta.len))
	ev.Channel = cachedString(ev.Channel, e.channel)
	ev.Recipient = cachedString(ev.Recipient, e.recipient)
	ev.ContentType = cachedString(ev.ContentType, e.content_type)
	ev.MessageCount = int(e.message_count)
	return nil
}

func cParserStep(p parserPtr, token uint32, ev *Event) error {
	r := C.hgo_parser_step(p, C.uint32_t(token))
	return takeEvent(&r, ev)
}

func cParserStepEOS(p parserPtr, ev *Event) error {
	r := C.hgo_parser_step_eos(p)
	return takeEvent(&r, ev)
}

func optionalString(v C.harmony_view) *string {
	if v.data == nil {
		return nil
	}
	s := string(borrowedBytes(v.data, v.len))
	return &s
}

func cParserMessage(p parserPtr, index int) (Message, error) {
	if index < 0 {
		return Message{}, invalidArgument("message index %d is negative", index)
	}
	r := C.hgo_parser_message(p, C.size_t(index))
	if err := takeError(r.status, r.err); err != nil {
		return Message{}, err
	}
	m := NewTextMessage(Role(r.m.role), string(borrowedBytes(r.m.content.data, r.m.content.len)))
	m.Name, m.Channel = optionalString(r.m.name), optionalString(r.m.channel)
	m.Recipient, m.ContentType = optionalString(r.m.recipient), optionalString(r.m.content_type)
	return m, nil
}

// cJSONValidate checks that raw is exactly one JSON value, as the library decides.
func cJSONValidate(raw []byte) error {
	r := C.hgo_json_validate(bytesArg(raw), C.size_t(len(raw)))
	return takeError(r.status, r.err)
}

// The Responses API bridge.

func cResponsesRender(enc encodingPtr, request, opts []byte) ([]uint32, error) {
	return takeTokens(C.hgo_responses_render(enc, bytesArg(request), C.size_t(len(request)), bytesArg(opts), C.size_t(len(opts))))
}

func cResponsesParse(enc encodingPtr, tokens []uint32, opts []byte) ([]byte, error) {
	return takeString(C.hgo_responses_parse(enc, tokensArg(tokens), C.size_t(len(tokens)), bytesArg(opts), C.size_t(len(opts))))
}

func cResponsesStreamNew(enc encodingPtr, opts []byte) (responsesStreamPtr, error) {
	r := C.hgo_responses_stream_new(enc, bytesArg(opts), C.size_t(len(opts)))
	if err := takeError(r.status, r.err); err != nil {
		return nil, err
	}
	return r.stream, nil
}

func cResponsesStreamFree(s responsesStreamPtr) { C.harmony_responses_stream_free(s) }

func cResponsesStreamProcess(s responsesStreamPtr, token uint32) ([]byte, error) {
	events, err := takeLent(C.hgo_responses_stream_next(s, C.uint32_t(token)))
	if err == nil && events == nil {
		events = []byte("[]") // no event (harmony_responses_stream_process's `[]`)
	}
	return events, err
}

func cResponsesStreamFinish(s responsesStreamPtr) ([]byte, error) {
	return takeString(C.hgo_responses_stream_finish(s))
}
