#!/usr/bin/env bash
# Runs one of the README's consumer recipes verbatim, outside the source tree:
#   run_readme.sh README NAME WORKDIR [FILE...]
# WORKDIR is emptied, the FILEs are copied into it, every README block marked
# `<!-- consumer-file: NAME PATH -->` is written to WORKDIR/PATH, and the shell block marked
# `<!-- consumer-test: NAME -->` runs there (bash -e). PREFIX (the install prefix) and whatever
# else the recipe expects come from the environment. The recipe's programs print "ok ..."; the
# run fails unless the block succeeds and prints at least one such line and no "bad" line.
# check_NAME.sh next to this script, if present, then runs in WORKDIR for extra checks.
set -euo pipefail
readme=$1 name=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
if [ -d "$work" ]; then chmod -R u+w "$work"; rm -rf "$work"; fi
mkdir -p "$work"
for f in "$@"; do cp "$f" "$work/"; done
# The add_subdirectory recipe expects the libharmony source tree in ./libharmony.
if [ -n "${HARMONY_SOURCE_LINK:-}" ]; then ln -s "$HARMONY_SOURCE_LINK" "$work/libharmony"; fi

# Prints the fenced block that follows the marker line "$1" (exact match) in the README.
block() {
  awk -v marker="$1" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }
  ' "$readme"
}

{ grep -o "<!-- consumer-file: $name [^ ]* -->" "$readme" || true; } | while read -r marker; do
  path=$(echo "$marker" | awk '{print $4}')
  mkdir -p "$work/$(dirname "$path")"
  block "$marker" > "$work/$path"
  [ -s "$work/$path" ] || { echo "README block for $path is empty" >&2; exit 1; }
done
script=$(block "<!-- consumer-test: $name -->")
[ -n "$script" ] || { echo "no README block marked consumer-test: $name" >&2; exit 1; }
printf '== README recipe %s (in %s):\n%s\n==\n' "$name" "$work" "$script"
cd "$work"
out=$(bash -e -o pipefail -c "$script" 2>&1) || { echo "$out"; echo "recipe $name failed" >&2; exit 1; }
echo "$out"
if ! grep -q '^ok ' <<<"$out" || grep -q '^bad' <<<"$out"; then
  echo "recipe $name did not print ok" >&2
  exit 1
fi
if [ -f "$here/check_$name.sh" ]; then bash -euo pipefail "$here/check_$name.sh"; fi
echo "recipe $name: passed"
