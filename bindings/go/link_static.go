//go:build harmony_static

package harmony

// With -tags harmony_static, links libharmony.a and the system libraries it needs; give its
// directory with CGO_LDFLAGS=-L<dir>.

// #cgo LDFLAGS: -l:libharmony.a -lm -ldl -lpthread
import "C"
