#!/usr/bin/env bash
# Configures and builds one preset (default: release). Usage: scripts/build.sh [release|debug|asan|fuzz]
# When ccache is installed, compiles go through it, keyed on paths relative to the checkout, so
# that several checkouts of the tree (git worktrees) share one cache.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake --preset "$preset" -G Ninja ${launcher[@]+"${launcher[@]}"} >/dev/null
cmake --build --preset "$preset" -- -j"$(nproc)"
