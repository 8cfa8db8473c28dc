#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS_PER_TARGET seconds (default 60) and fails
# on any crash, panic, leak, timeout or out-of-memory. Prints one summary line per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Environment: FUZZ_TARGETS (default: all), FUZZ_REFERENCE=1 (the encode target also compares
# with openai-harmony 0.0.8; a much larger build), FUZZ_KEEP_CORPUS=1 (merge what was found
# back into fuzz/corpus/, which is committed: keep it under 2 MB).
#
# Needs a nightly toolchain (`cargo +nightly`); where there is none, stable with
# RUSTC_BOOTSTRAP=1. Installs cargo-fuzz from crates.io if it is missing. New inputs go to a
# scratch corpus, so the committed seeds stay as they are; crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
TARGETS=${FUZZ_TARGETS:-"render parse stream c_api encode chat_parse"}

if cargo +nightly --version >/dev/null 2>&1; then
  CARGO=(cargo +nightly)
else
  echo "fuzz.sh: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1" >&2
  export RUSTC_BOOTSTRAP=1
  CARGO=(cargo)
fi
# FUZZ_BUILD_OPTIONAL=1 (set by scripts/test.sh): a machine that cannot build the fuzzers
# (no cargo-fuzz from the registry, no sanitizer runtime) skips fuzzing with a warning; a
# crash found while fuzzing always fails.
skip_or_fail() {
  if [ "${FUZZ_BUILD_OPTIONAL:-0}" = 1 ]; then
    echo "fuzz.sh: WARNING: $1; fuzzing skipped on this machine" >&2
    exit 0
  fi
  echo "fuzz.sh: $1" >&2
  exit 1
}
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked || skip_or_fail "cannot install cargo-fuzz"
fi

FEATURES=()
if [ "${FUZZ_REFERENCE:-0}" = 1 ]; then
  FEATURES=(--features reference)
fi

# Built with optimisations, debug assertions, overflow checks and AddressSanitizer (cargo-fuzz's
# defaults); libFuzzer's LeakSanitizer is on, so a leak is a finding too.
"${CARGO[@]}" fuzz build "${FEATURES[@]}" || skip_or_fail "cannot build the fuzz targets"

max_len() {
  case "$1" in
    render) echo 16384 ;;
    c_api) echo 8192 ;;
    encode) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
failed=0
summary=()
for target in $TARGETS; do
  mkdir -p "$SCRATCH/$target" "fuzz/corpus/$target"
  log="$SCRATCH/$target.log"
  args=(-max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len "$target")" -timeout=10
        -rss_limit_mb=4096 -print_final_stats=1)
  case "$target" in render | c_api) args+=(-dict=fuzz/dict/json.dict) ;; esac
  echo "== fuzz $target (${SECONDS_PER_TARGET}s)"
  status=0
  "${CARGO[@]}" fuzz run "${FEATURES[@]}" "$target" "$SCRATCH/$target" "fuzz/corpus/$target" -- "${args[@]}" \
    >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE '(DONE|pulse|NEW|REDUCE|INITED) +cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+)/cov \1, features \2/')
  corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    line="$target: ok, ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-cov ?}, ${corpus:-corp ?}"
  else
    failed=1
    artifact=$(grep -oE 'fuzz/artifacts/[^ ]+' "$log" | tail -1 || true)
    line="$target: FAILED (exit $status) after ${runs:-?} runs: ${artifact:-see log below}"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 >&2 || tail -40 "$log" >&2
  fi
  echo "$line"
  summary+=("$line")
  if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
    cp -n "$SCRATCH/$target"/* "fuzz/corpus/$target"/ 2>/dev/null || true
    "${CARGO[@]}" fuzz cmin "${FEATURES[@]}" "$target" "fuzz/corpus/$target" -- -max_len="$(max_len "$target")" >/dev/null 2>&1 || true
  fi
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
