#!/usr/bin/env bash
# Installs what hookbench needs on Debian 12 (idempotent; quiet when everything is present).
#   scripts/setup.sh          what the build, the benchmarks and the tests need
#   scripts/setup.sh --lab    also sshd and Ansible, for scripts/lab.sh and the multi-host runs
set -euo pipefail

packages=(cmake ninja-build g++ pkgconf libboost-dev libcpp-httplib-dev libbenchmark-dev
          libgtest-dev nlohmann-json3-dev libssl-dev python3-matplotlib python3-numpy
          clang-format git nodejs node-eventsource openssl clang-14 libclang-rt-14-dev iproute2)
[ "$#" -le 1 ] || { echo "setup: error: one option at most (usage: scripts/setup.sh [--lab])" >&2; exit 2; }
case "${1:-}" in
  "") ;;
  --lab) packages+=(openssh-server openssh-client ansible-core) ;;
  *) echo "setup: error: unknown option '$1' (usage: scripts/setup.sh [--lab])" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
