#!/usr/bin/env bash
# Configures and builds one preset (default: release). Usage: scripts/build.sh [release|debug|asan|fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
cmake --preset "$preset" -G Ninja >/dev/null
cmake --build --preset "$preset" -- -j"$(nproc)"
