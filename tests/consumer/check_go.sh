# The module was built from the module cache (read-only, with its own harmony.h), and the two
# link modes did what they say.
mod=$(go env GOMODCACHE)/github.com/libharmony/libharmony/bindings/go@v0.1.0
[ -f "$mod/harmony.h" ] && [ "$(stat -c %A "$mod/harmony.h")" = "-r--r--r--" ]
grep -q 'github.com/libharmony/libharmony/bindings/go v0.1.0' go.mod
readelf -d app | grep -q 'NEEDED.*\[libharmony\.so\.0\]'
if readelf -d app_static | grep -q 'libharmony'; then echo "app_static needs libharmony.so" >&2; exit 1; fi
echo "module cache build: ok"
