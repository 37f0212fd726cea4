#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test (GoogleTest and
# the Python script tests, all registered with ctest, and a bounded run of each libFuzzer target).
#   scripts/test.sh            Release build, every test (the `timing` ones alone, once); the
#                              fuzzers (preset fuzz, clang-14)
#   HOOKBENCH_ASAN=1 scripts/test.sh   also the correctness tests on the AddressSanitizer+UBSan
#                              build (CI): every C++ test but the `timing` ones (speed is the
#                              release build's to show) and the Python ones (they test scripts)
# Every pass runs to its end, whatever an earlier one found; a summary of all of them closes
# the output, and the exit status is 1 when any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh --lab || exit 1  # --lab: sshd for the lab test (tests/python/test_lab.py)
./scripts/check_format.sh || exit 1

summary=()
failed=0
# step NAME COMMAND...: runs it, times it, records the outcome, returns its status (the
# script goes on either way).
step() {
  local name=$1
  shift
  local started=$SECONDS
  echo "=== test.sh: $name" >&2
  if "$@"; then
    summary+=("$(printf '%-28s passed  %5d s' "$name" $((SECONDS - started)))")
    return 0
  fi
  summary+=("$(printf '%-28s FAILED  %5d s' "$name" $((SECONDS - started)))")
  failed=1
  return 1
}

if step "build release" ./scripts/build.sh release; then
  step "tests (release)" ctest --preset release -j2 --timeout 600
fi
if step "build fuzz" ./scripts/build.sh fuzz; then
  step "fuzzers" ctest --preset fuzz -j2 --timeout 600
fi
if [ "${HOOKBENCH_ASAN:-0}" = "1" ]; then
  if step "build asan" ./scripts/build.sh asan; then
    step "tests (asan, correctness)" ctest --preset asan -j2 --timeout 600 -LE timing \
      -E '^python\.'
  fi
fi

echo "=== test.sh: summary" >&2
for line in "${summary[@]}"; do echo "  $line" >&2; done
exit $failed
