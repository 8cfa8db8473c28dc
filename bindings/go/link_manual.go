//go:build harmony_manual && !harmony_static

package harmony

// With -tags harmony_manual, pkg-config is not used: the package links -lharmony and the
// library's directory comes from the environment, e.g.
// CGO_LDFLAGS="-L$LIBDIR -Wl,-rpath,$LIBDIR".

// #cgo LDFLAGS: -lharmony
import "C"
