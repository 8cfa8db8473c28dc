//go:build harmony_pkgconfig && !harmony_static

package harmony

// With -tags harmony_pkgconfig, the compiler and linker flags come from an installed
// libharmony's pkg-config file (harmony.pc; set PKG_CONFIG_PATH if it is not in a default
// location).

// #cgo pkg-config: harmony
import "C"
