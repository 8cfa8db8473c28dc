# After the README's static pkg-config recipe: pkg-config named libharmony.a and the program
# needs no libharmony at run time.
PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --static --libs harmony-static | grep -q 'libharmony\.a'
if readelf -d main_static | grep -q 'libharmony'; then echo "main_static needs libharmony.so" >&2; exit 1; fi
echo "static: ok"
