#!/usr/bin/env bash
# Before/after: the same Fashion-MNIST run with two Kobai checkouts, alternating.
#   [MODEL=cnn OPTIMIZER=sgd:lr=0.05,momentum=0.9 EPOCHS=2] tools/bench_versions.sh OTHER_CHECKOUT [ROUNDS] [THREADS]
# The run is mlp:784-256-10 with SGD lr 0.1 for 3 epochs unless MODEL, OPTIMIZER and EPOCHS say otherwise.
# e.g. mkdir /tmp/base && git archive main | tar -x -C /tmp/base && tools/bench_versions.sh /tmp/base
# Prints each run's per-epoch seconds and final test accuracy, and its wall-clock time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
other="$(cd "$1" && pwd)"
rounds="${2:-3}"
threads="${3:-2}"
model="${MODEL:-mlp:784-256-10}"
optimizer="${OPTIMIZER:-sgd:lr=0.1}"
epochs_n="${EPOCHS:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  for dir in "$other" "$ROOT"; do
    start=$(date +%s.%N)
    JAVA_TOOL_OPTIONS="-Dkobai.threads=$threads" "$dir/kobai" train --data fashion-mnist --model "$model" \
      --optimizer "$optimizer" --epochs "$epochs_n" --batch-size 128 --seed 1 --metrics "$tmp/m.jsonl" >/dev/null 2>&1
    end=$(date +%s.%N)
    epochs=$(grep '"epoch"' "$tmp/m.jsonl" | sed 's/.*"seconds":\([0-9.]*\).*/\1/' | xargs printf '%6.3f ')
    acc=$(grep "\"epoch\":$epochs_n" "$tmp/m.jsonl" | sed 's/.*"test_accuracy":\([0-9.]*\).*/\1/')
    printf 'round %d  %-22s epochs %s s  accuracy %s  whole run %6.3f s\n' "$r" "$(basename "$dir")" "$epochs" \
      "$acc" "$(echo "$end - $start" | bc)"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
