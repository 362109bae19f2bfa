#!/usr/bin/env bash
# Peak resident memory of the same Fashion-MNIST run in Kobai and in PyTorch, from /usr/bin/time -v
# (apt-get install time): mlp:784-256-10 with sgd lr 0.1, or the cnn preset with sgd lr 0.05 and
# momentum 0.9; batch 128, EPOCHS epochs, THREADS threads.
#   tools/bench_memory.sh [EPOCHS] [THREADS] [mlp|cnn]
# Extra JVM options for Kobai can be passed in KOBAI_JAVA_OPTS (e.g. KOBAI_JAVA_OPTS=-XX:+UseG1GC for the old default).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
epochs="${1:-3}"
threads="${2:-2}"
model="${3:-mlp}"
case "$model" in
  mlp) kobai_model=mlp:784-256-10; kobai_opt=sgd:lr=0.1 ;;
  cnn) kobai_model=cnn; kobai_opt=sgd:lr=0.05,momentum=0.9 ;;
  *) echo "model must be mlp or cnn, got '$model'" >&2; exit 2 ;;
esac
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install time" >&2; exit 1; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
peak() { awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$out"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$out"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
KOBAI_JAVA_OPTS="-Dkobai.threads=$threads ${KOBAI_JAVA_OPTS:-}" /usr/bin/time -v -o "$out" \
  "$ROOT/kobai" train --data fashion-mnist --model "$kobai_model" --optimizer "$kobai_opt" \
  --epochs "$epochs" --batch-size 128 --seed 1 >/dev/null 2>&1
echo "kobai   peak RSS $(peak), wall $(wall)"
/usr/bin/time -v -o "$out" /usr/bin/python3 -c "
import sys; sys.path.insert(0, '$ROOT/tools')
import bench_epoch
bench_epoch.torch_run($epochs, 1, $threads, '$model')" >/dev/null 2>&1
echo "pytorch peak RSS $(peak), wall $(wall)"
