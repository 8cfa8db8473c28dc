//go:build !harmony_static && !harmony_pkgconfig

package harmony

// By default, links libharmony.so (or .dylib); give its directory with CGO_LDFLAGS=-L<dir>.
// The harmony_static and harmony_pkgconfig tags select the other ways (see doc.go).

// #cgo LDFLAGS: -lharmony
import "C"
