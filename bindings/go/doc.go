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
// The package links libharmony with cgo. Inside the libharmony repository the header is
// found automatically; give the library's directory (after `cmake --build build`, that is
// build/cargo/release):
//
//	CGO_LDFLAGS="-L$LIBDIR -Wl,-rpath,$LIBDIR" go build
//
// With an installed libharmony (cmake --install), use its pkg-config file, either through
// the harmony_pkgconfig build tag or by hand (outside this repository the header comes from
// there too):
//
//	PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig go build -tags harmony_pkgconfig
//	CGO_CFLAGS="$(pkg-config --cflags harmony)" CGO_LDFLAGS="$(pkg-config --libs harmony)" go build
//
// Unless $PREFIX/lib is a system library directory, the program then needs
// LD_LIBRARY_PATH or an rpath (CGO_LDFLAGS="-Wl,-rpath,$PREFIX/lib") to find libharmony.so.
//
// To link the static library instead (no run-time dependency), build with the
// harmony_static tag, which links -l:libharmony.a -lm -ldl -lpthread:
//
//	CGO_LDFLAGS="-L$LIBDIR" go build -tags harmony_static
package harmony
