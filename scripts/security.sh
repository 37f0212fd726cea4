#!/usr/bin/env bash
# The security measurements: webhook runs (the push reference) at one event rate, unsigned, signed (HMAC,
# ed25519), over TLS (keep-alive and a new connection per POST, with a plain new-connection run
# beside them) and under attack (two subscribers, so that a delivery to one can be replayed to
# the other), each repeated with seeds 1..REPEATS; then the signing/TLS
# microbenchmarks when hookbench_micro is built.
#   scripts/security.sh DIR       writes DIR/security/<config>-k<repeat>.json and DIR/security/micro.json
#   HOOKBENCH_SECURITY_RATE=200      event rate (events/s)
#   HOOKBENCH_SECURITY_DURATION=5s   measured window per run
#   HOOKBENCH_SECURITY_REPEATS=3     runs per configuration (seeds 1..N)
#   HOOKBENCH_SECURITY_ATTACK=0.2    attack requests per event in the `attack` configuration
#   HOOKBENCH_SECURITY_CONFIGS="hmac attack"   only these configurations (default: all)
#   HOOKBENCH_MICRO_FILTER=REGEX     which microbenchmarks go into micro.json
#   HOOKBENCH_BIN=PATH               the hookbench binary (default build/release/src/hookbench)
# Configurations whose option the binary lacks (--signature, --tls) are skipped with a note.
# Then: scripts/plot_security.py DIR; scripts/report.py DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: scripts/security.sh DIR   (writes DIR/security/*.json)" >&2
  exit 2
fi
out="$1/security"
bin="${HOOKBENCH_BIN:-build/release/src/hookbench}"
micro="build/release/bench/hookbench_micro"
rate="${HOOKBENCH_SECURITY_RATE:-200}"
duration="${HOOKBENCH_SECURITY_DURATION:-5s}"
repeats="${HOOKBENCH_SECURITY_REPEATS:-3}"
attack="${HOOKBENCH_SECURITY_ATTACK:-0.2}"
only="${HOOKBENCH_SECURITY_CONFIGS:-}"
# Google Benchmark's --benchmark_filter is a case-sensitive regex over the benchmark names
# (bench/sign_bench.cpp: sign_hmac, verify_ed25519, ...; TLS ones contain "tls").
micro_filter="${HOOKBENCH_MICRO_FILTER:-^(sign|verify)_|[Tt]ls}"

die() {
  echo "security.sh: error: $*" >&2
  exit 1
}

[ -x "$bin" ] || die "$bin not found or not executable: build it first (scripts/build.sh release)"
case "$repeats" in '' | *[!0-9]* | 0) die "HOOKBENCH_SECURITY_REPEATS must be a whole number >= 1, got '$repeats'" ;; esac
help="$("$bin" run --help 2>&1)" || die "$bin run --help failed: $help"
has_option() { grep -q -- "$1" <<<"$help"; }
for option in --mode --rate --duration --seed --out --webhook-connection --attack; do
  has_option "$option" || die "$bin run has no $option option (too old a build?)"
done
# The push reference (webhook), from the binary's descriptors.
push_reference="$("$bin" modes --json | /usr/bin/python3 -c "import json, sys
print(next((m['name'] for m in json.load(sys.stdin) if m.get('reference') == 'push'), ''))")"
[ -n "$push_reference" ] || die "$bin modes --json names no push reference"

# Pin the producer and the consumer to cores 0 and 1 as the sweeps do, when there are two.
pin=()
cores="$(nproc 2>/dev/null || echo 1)"
if [ "$cores" -ge 2 ]; then
  pin=(--pin 0,1)
fi

# name|options: every configuration, in the order the report shows them.
configs=(
  "unsigned|--signature none"
  "hmac|"
  "ed25519|--signature ed25519"
  "plain-new|--webhook-connection new"
  "tls-keepalive|--tls"
  "tls-new|--tls --webhook-connection new"
  "attack|--attack $attack --subscribers 2"
)
known=" $(for entry in "${configs[@]}"; do printf '%s ' "${entry%%|*}"; done)"
for name in $only; do
  [[ "$known" == *" $name "* ]] || die "HOOKBENCH_SECURITY_CONFIGS: unknown configuration '$name' (known:$known)"
done
signing=1
has_option --signature || signing=0
tls=1
has_option --tls || tls=0

mkdir -p "$out"
ran=0
skipped=0
for entry in "${configs[@]}"; do
  name="${entry%%|*}"
  read -r -a options <<<"${entry#*|}"
  if [ -n "$only" ] && [[ " $only " != *" $name "* ]]; then
    continue
  fi
  if [ "$tls" = 0 ] && [[ " ${options[*]} " == *" --tls "* ]]; then
    echo "security.sh: note: skipping $name: $bin run has no --tls option" >&2
    skipped=$((skipped + 1))
    continue
  fi
  if [ "$signing" = 0 ]; then
    case "$name" in
      unsigned)
        # A binary without --signature does not sign: its default is the unsigned run.
        options=()
        echo "security.sh: note: $bin run has no --signature option: 'unsigned' runs its default (no signing)" >&2
        ;;
      hmac | ed25519)
        echo "security.sh: note: skipping $name: $bin run has no --signature option" >&2
        skipped=$((skipped + 1))
        continue
        ;;
    esac
  fi
  for k in $(seq 1 "$repeats"); do
    file="$out/$name-k$k.json"
    echo "security.sh: $name, run $k of $repeats: $push_reference at $rate events/s for $duration -> $file" >&2
    if ! "$bin" run --mode "$push_reference" --rate "$rate" --duration "$duration" --seed "$k" \
      ${pin[@]+"${pin[@]}"} ${options[@]+"${options[@]}"} --quiet --out "$file" >/dev/null; then
      die "run $name (seed $k) failed: $bin run --mode $push_reference --rate $rate --duration $duration --seed $k ${pin[*]:-} ${options[*]:-}"
    fi
    ran=$((ran + 1))
  done
done

if [ -x "$micro" ]; then
  echo "security.sh: microbenchmarks matching '$micro_filter' -> $out/micro.json" >&2
  status=0
  "$micro" --benchmark_filter="$micro_filter" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true --benchmark_format=json \
    >"$out/micro.json.tmp" 2>"$out/micro.stderr.tmp" || status=$?
  if grep -q '"name"' "$out/micro.json.tmp"; then
    [ "$status" = 0 ] || die "$micro --benchmark_filter='$micro_filter' failed (exit $status): $(head -c 300 "$out/micro.stderr.tmp")"
    mv "$out/micro.json.tmp" "$out/micro.json"
  elif [ "$status" = 0 ] || grep -q "Failed to match" "$out/micro.stderr.tmp"; then
    echo "security.sh: note: no microbenchmark matches '$micro_filter' (HOOKBENCH_MICRO_FILTER): no micro.json" >&2
  else
    die "$micro --benchmark_filter='$micro_filter' failed (exit $status): $(head -c 300 "$out/micro.stderr.tmp")"
  fi
  rm -f "$out/micro.json.tmp" "$out/micro.stderr.tmp"
else
  echo "security.sh: note: $micro not built: no micro.json (cmake --build build/release --target hookbench_micro)" >&2
fi
echo "security.sh: $ran runs in $out ($skipped configurations skipped)" >&2
