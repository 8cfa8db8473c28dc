//go:build harmony_static

package harmony

// With -tags harmony_static, links libharmony.a and the system libraries it needs, from the
// pkg-config file harmony-static.pc (`pkg-config --static --libs harmony-static`): the program
// then needs no libharmony at run time.

// #cgo pkg-config: --static harmony-static
import "C"
