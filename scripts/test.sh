#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test (GoogleTest and
# the Python script tests, all registered with ctest).
#   scripts/test.sh            Release build, all tests
#   HOOKBENCH_ASAN=1 scripts/test.sh   also the AddressSanitizer+UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/check_format.sh
./scripts/build.sh release
if [ "${HOOKBENCH_ASAN:-0}" = "1" ]; then
  ./scripts/build.sh asan
  ctest --preset asan -j2 --timeout 600
fi
ctest --preset release -j2 --timeout 600
