#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenv of the test suites and prints its directory.
# Location: $HARMONY_VENV, default build/venv. Packages: scripts/requirements-test.txt
# (test-only: the official `openai` SDK, openai-harmony 0.0.8 as the oracle, pytest, ...);
# they are reinstalled only when that file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HARMONY_VENV:-build/venv}
REQ=scripts/requirements-test.txt
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" >&2
fi
STAMP="$VENV/.requirements.sha256"
WANT=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ" >&2
  echo "$WANT" > "$STAMP"
fi
cd "$VENV" && pwd
