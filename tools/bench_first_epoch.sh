#!/usr/bin/env bash
# The first epoch of a fresh `kobai train` run with and without the background warm-up of the
# matrix kernel (kobai.warmup=false turns it off), alternating so that drift hits both.
# Prints each run's first-epoch seconds (from --metrics) and its wall-clock time, data loading included.
#   tools/bench_first_epoch.sh [ROUNDS] [THREADS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-3}"
threads="${2:-2}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  for mode in off on; do
    flags="-Dkobai.threads=$threads"
    [ "$mode" = off ] && flags="$flags -Dkobai.warmup=false"
    start=$(date +%s.%N)
    JAVA_TOOL_OPTIONS="$flags" "$ROOT/kobai" train --data fashion-mnist --model mlp:784-256-10 \
      --optimizer sgd:lr=0.1 --epochs 1 --batch-size 128 --seed 1 --metrics "$tmp/m.jsonl" >/dev/null 2>&1
    end=$(date +%s.%N)
    first=$(head -1 "$tmp/m.jsonl" | sed 's/.*"seconds":\([0-9.]*\).*/\1/')
    printf 'round %d  warm-up %-3s  first epoch %6.3f s  whole run %6.3f s\n' "$r" "$mode" "$first" "$(echo "$end - $start" | bc)"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
