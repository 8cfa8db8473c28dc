readelf -d build/app | grep -q 'NEEDED.*\[libharmony\.so\.0\]'
if readelf -d build/app_static | grep -q 'libharmony'; then echo "app_static needs libharmony.so" >&2; exit 1; fi
echo "shared and static targets: ok"
