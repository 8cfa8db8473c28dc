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
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHARMONY_BUILD_TESTS=ON
  cmake --build build -j "$JOBS"
  ctest --test-dir build --output-on-failure --no-tests=error -j "$JOBS"
fi

# The Python suites: tests/python (the bridges checked with the official `openai` SDK's types)
# and bindings/python/tests (the package). pytest exits non-zero when it collects no tests.
if [ "${HARMONY_SKIP_PYTHON:-0}" != 1 ]; then
  echo "== python"
  VENV=$(./scripts/python-env.sh)
  for suite in tests/python; do
    if [ -d "$suite" ]; then "$VENV/bin/python" -m pytest -q "$suite"; fi
  done
  # The libharmony package: built (a release build of the core, ~6 min the first time, seconds
  # after) with the venv's pinned maturin, installed into the venv, and tested against
  # openai-harmony 0.0.8 (the reference suite, the differential test, the bridge, the stubs).
  if [ -f bindings/python/pyproject.toml ]; then
    PATH="$VENV/bin:$PATH" "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
      --no-build-isolation ./bindings/python
    "$VENV/bin/python" -m pytest -q bindings/python/tests
    # The package's benchmarks (bindings/python/bench, pytest-benchmark), each body run once:
    # a few seconds, checking that they still run and that both packages agree on their inputs.
    "$VENV/bin/python" -m pytest -q bindings/python/bench --benchmark-disable
  fi
fi

# A short bounded fuzz run of every target (render, parse, stream, c_api, encode, chat_parse) from the
# committed corpus; HARMONY_FUZZ_SECONDS=0 skips it.
FUZZ_SECONDS=${HARMONY_FUZZ_SECONDS:-20}
if [ "$FUZZ_SECONDS" != 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS}s per target)"
  FUZZ_BUILD_OPTIONAL=1 ./scripts/fuzz.sh "$FUZZ_SECONDS"
fi
