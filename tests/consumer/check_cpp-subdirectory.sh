readelf -d build/app | grep -q 'NEEDED.*\[libharmony\.so\.0\]'
if readelf -d build/app_static | grep -q 'libharmony'; then echo "app_static needs libharmony.so" >&2; exit 1; fi
echo "shared and static targets: ok"
# add_subdirectory hygiene: the cargo target dir came from CARGO_TARGET_DIR (a cache variable),
# libharmony's generated files are in its own binary dir, and it adds no install rules.
grep -qx "HARMONY_CARGO_TARGET_DIR:PATH=$CARGO_TARGET_DIR" build/CMakeCache.txt
[ ! -e build/libharmony/cargo ] && [ ! -e build/lib ] && [ ! -e build/harmony.pc ]
[ -L build/libharmony/lib/libharmony.so ] && [ -f build/libharmony/lib/libharmony.so.0.1.0 ]
[ -f build/libharmony/pkgconfig/harmony-uninstalled.pc ]
cmake --install build --prefix "$PWD/no-install" >/dev/null
if [ -n "$(find no-install -type f 2>/dev/null)" ]; then echo "add_subdirectory installed files" >&2; exit 1; fi
echo "add_subdirectory hygiene: ok"
