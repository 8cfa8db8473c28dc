// Package harmony is the Go binding of libharmony, a native implementation of OpenAI's
// Harmony format (the prompt and response format of the gpt-oss models), byte-exact with
// openai-harmony 0.0.8.
//
// An Encoding renders conversations into prompt tokens and parses completion tokens back into
// messages; a StreamParser parses a completion token by token while it is sampled:
//
//	enc, err := harmony.NewEncoding()
//	if err != nil { ... }
//	defer enc.Close()
//	conv := &harmony.Conversation{Messages: []harmony.Message{
//		harmony.NewTextMessage(harmony.RoleUser, "What is 2+2?"),
//	}}
//	prompt, err := enc.RenderCompletion(conv, harmony.RoleAssistant)
//	p, err := harmony.NewStreamParser(enc, harmony.RoleAssistant)
//	defer p.Close()
//	for _, tok := range sampled {
//		if err := p.Process(tok); err != nil { ... }
//		if d, ok := p.LastDelta(); ok { fmt.Print(d) }
//	}
//	err = p.ProcessEOS()
//	msgs, err := p.Messages()
//
// # Chat Completions
//
// Servers that speak the OpenAI Chat Completions API can skip Harmony messages altogether:
// Encoding.ChatRender turns a request body into the prompt tokens, Encoding.ChatParse turns
// the sampled tokens into a chat.completion response, and a ChatStream turns them, token by
// token, into chat.completion.chunk objects (nil for tokens that produce none). Responses
// carry reasoning as reasoning_content and function calls as tool_calls; ChatOptions set the
// start date and the response's id, model and created. The mapping is the library's
// (harmony_chat_*), and requests and responses cross as JSON bytes.
//
// All Harmony logic lives in the library; this package translates types, ownership and
// errors. Inputs are copied or borrowed for one call and results are copied into Go memory,
// so no C memory outlives a call and the library keeps no Go memory. Every failure is an
// *Error carrying the library's Status and message (errors.As, or errors.Is with a Status).
//
// # Threads
//
// An Encoding is immutable and safe for concurrent use; a StreamParser or ChatStream is used
// by one goroutine at a time. Close releases any of them (a finalizer does it if you forget);
// calls after Close return ErrClosed.
//
// # Linking
//
// The package carries its own copy of harmony.h and links libharmony with cgo through
// pkg-config, so it builds from the module cache (go get) against an installed libharmony
// (cmake --install build --prefix $PREFIX):
//
//	PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig go build
//
// Unless $PREFIX/lib is a system library directory, the program then needs LD_LIBRARY_PATH
// (or an rpath: CGO_LDFLAGS="-Wl,-rpath,$PREFIX/lib") to find libharmony.so.0 at run time.
// With the harmony_static tag it links libharmony.a instead (harmony-static.pc, no run-time
// dependency):
//
//	PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig go build -tags harmony_static
//
// In the libharmony repository, after `cmake --build build`, PKG_CONFIG_PATH=$PWD/build/pkgconfig
// finds the build tree's harmony-uninstalled.pc (with an rpath). The harmony_manual tag skips
// pkg-config and links -lharmony with whatever CGO_LDFLAGS give.
//
// The module lives in the bindings/go directory of the repository; its versions are tags of
// the form bindings/go/vX.Y.Z (go get github.com/libharmony/libharmony/bindings/go@v0.1.0).
package harmony
