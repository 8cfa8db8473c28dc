#!/usr/bin/env bash
# Runs every test of every language: the Rust suites (unit, golden vectors, differential
# against openai-harmony 0.0.8, CLI), then the CMake/ctest suites (C, C++, Go, C#).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

echo "== cargo test"
cargo test -j "$JOBS"

if [ -f CMakeLists.txt ]; then
  echo "== ctest"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j "$JOBS"
  ctest --test-dir build --output-on-failure -j "$JOBS"
fi

# The Python suites: tests/python (the bridges checked with the official `openai` SDK's types)
# and bindings/python/tests (the package). pytest exits non-zero when it collects no tests.
if [ "${HARMONY_SKIP_PYTHON:-0}" != 1 ]; then
  echo "== python"
  VENV=$(./scripts/python-env.sh)
  for suite in tests/python; do
    if [ -d "$suite" ]; then "$VENV/bin/python" -m pytest -q "$suite"; fi
  done
fi

# A short bounded fuzz run of every target (render, parse, stream, c_api, encode, chat_parse) from the
# committed corpus; HARMONY_FUZZ_SECONDS=0 skips it.
FUZZ_SECONDS=${HARMONY_FUZZ_SECONDS:-20}
if [ "$FUZZ_SECONDS" != 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS}s per target)"
  FUZZ_BUILD_OPTIONAL=1 ./scripts/fuzz.sh "$FUZZ_SECONDS"
fi
