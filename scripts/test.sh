#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test (GoogleTest and
# the Python script tests, all registered with ctest, and a bounded run of each libFuzzer target).
#   scripts/test.sh            Release build, all tests; the fuzzers (preset fuzz, clang-14)
#   HOOKBENCH_ASAN=1 scripts/test.sh   also every test on the AddressSanitizer+UBSan build (CI;
#                                      the Python tests then run on that build only; the
#                                      microbenchmarks are built and smoke-tested on release only)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/check_format.sh
./scripts/build.sh release
./scripts/build.sh fuzz
ctest --preset fuzz -j2 --timeout 600
if [ "${HOOKBENCH_ASAN:-0}" = "1" ]; then
  ./scripts/build.sh asan
  ctest --preset asan -j2 --timeout 600
  # The Python tests ran above, driving the sanitized binary through the same scripts; the
  # release run keeps every C++ test (timing and model agreement hold on the optimized build).
  ctest --preset release -j2 --timeout 600 -E '^python\.'
else
  ctest --preset release -j2 --timeout 600
fi
