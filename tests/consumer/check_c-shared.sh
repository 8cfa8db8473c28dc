# After the README's shared pkg-config recipe: the installed library is versioned (SONAME
# libharmony.so.0, file libharmony.so.0.1.0, symlinks) and the program records the SONAME.
lib="$PREFIX/lib"
readelf -d "$lib/libharmony.so.0.1.0" | grep -q 'SONAME.*\[libharmony\.so\.0\]'
[ "$(readlink "$lib/libharmony.so.0")" = libharmony.so.0.1.0 ]
[ "$(readlink "$lib/libharmony.so")" = libharmony.so.0 ]
readelf -d main | grep -q 'NEEDED.*\[libharmony\.so\.0\]'
echo "soname and symlinks: ok"
