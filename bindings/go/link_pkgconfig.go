//go:build !harmony_static && !harmony_manual

package harmony

// By default the link flags come from an installed libharmony's pkg-config file, harmony.pc
// (set PKG_CONFIG_PATH to $PREFIX/lib/pkgconfig unless it is in a default location; in the
// libharmony repository, build/pkgconfig holds harmony-uninstalled.pc for the build tree).
// The program loads libharmony.so.0 at run time: from a system library directory, an rpath or
// LD_LIBRARY_PATH. The harmony_static and harmony_manual build tags select the other ways (see
// doc.go).

// #cgo pkg-config: harmony
import "C"
