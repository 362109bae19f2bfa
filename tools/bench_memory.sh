#!/usr/bin/env bash
# Peak resident memory of the same Fashion-MNIST run in Kobai and in PyTorch, from /usr/bin/time -v
# (apt-get install time): mlp:784-256-10, sgd lr 0.1, batch 128, EPOCHS epochs, THREADS threads.
#   tools/bench_memory.sh [EPOCHS] [THREADS]
# Extra JVM options for Kobai can be passed in KOBAI_JAVA_OPTS (e.g. KOBAI_JAVA_OPTS=-XX:+UseG1GC for the old default).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
epochs="${1:-3}"
threads="${2:-2}"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install time" >&2; exit 1; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
peak() { awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$out"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$out"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
KOBAI_JAVA_OPTS="-Dkobai.threads=$threads ${KOBAI_JAVA_OPTS:-}" /usr/bin/time -v -o "$out" \
  "$ROOT/kobai" train --data fashion-mnist --model mlp:784-256-10 --optimizer sgd:lr=0.1 \
  --epochs "$epochs" --batch-size 128 --seed 1 >/dev/null 2>&1
echo "kobai   peak RSS $(peak), wall $(wall)"
/usr/bin/time -v -o "$out" /usr/bin/python3 -c "
import sys; sys.path.insert(0, '$ROOT/tools')
import bench_epoch
bench_epoch.torch_run($epochs, 1, $threads)" >/dev/null 2>&1
echo "pytorch peak RSS $(peak), wall $(wall)"
