#!/usr/bin/env python3
"""Times training epochs on Fashion-MNIST in PyTorch and in Kobai, side by side.

Two workloads, --model mlp (default) or cnn:
  mlp: mlp:784-256-10 with SGD (lr 0.1);
  cnn: Kobai's cnn preset (conv 1->32 3x3, BatchNorm2d, ReLU, MaxPool 2, conv 32->64 3x3,
       BatchNorm2d, ReLU, MaxPool 2, Linear 3136->128, ReLU, Linear 128->10), written with
       torch.nn.Sequential, with SGD (lr 0.05, momentum 0.9), images [N, 1, 28, 28].
Both train at batch 128 for a few epochs from their own seeded initialisation and evaluate on the
test set after each epoch (the cnn in evaluation mode); an epoch's time covers training and
evaluation in both.
The two alternate round by round so that drift of a noisy machine hits both. The script prints each
epoch's seconds and accuracy, and the ratio Kobai / PyTorch of the median epoch times (first
epochs, which include Kobai's JIT warm-up, reported apart).

Run from the repository root, with Debian's python3-torch and dataset-fashion-mnist installed:

    /usr/bin/python3 tools/bench_epoch.py [--model mlp|cnn] [--rounds 3] [--epochs 3] [--threads 2]

Round r uses seed r in both, so with --epochs 5 the last lines compare the test accuracies over
seeds 1..rounds (after the last epoch and at the best one), which is how far the seed alone moves them.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

DATA_DIR = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_idx(name):
    for candidate in (name + ".gz", name):
        path = os.path.join(DATA_DIR, candidate)
        if os.path.exists(path):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            ndim = raw[3]
            dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
            return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    sys.exit(f"{name} not found in {DATA_DIR}: apt-get install dataset-fashion-mnist")


WORKLOADS = {
    "mlp": {"kobai_model": "mlp:784-256-10", "optimizer": "sgd:lr=0.1", "shape": (-1, 784)},
    "cnn": {"kobai_model": "cnn", "optimizer": "sgd:lr=0.05,momentum=0.9", "shape": (-1, 1, 28, 28)},
}


def torch_model(name):
    nn = torch.nn
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def torch_run(epochs, seed, threads, model_name="mlp"):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    shape = WORKLOADS[model_name]["shape"]
    x_train = torch.from_numpy(read_idx("train-images-idx3-ubyte").reshape(*shape).astype(np.float32) / 255)
    y_train = torch.from_numpy(read_idx("train-labels-idx1-ubyte").astype(np.int64))
    x_test = torch.from_numpy(read_idx("t10k-images-idx3-ubyte").reshape(*shape).astype(np.float32) / 255)
    y_test = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte").astype(np.int64))
    model = torch_model(model_name)
    if model_name == "cnn":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    results = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(len(x_train))
        for i in range(0, len(x_train), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = 0
            for i in range(0, len(x_test), 1000):
                correct += (model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
        results.append((time.perf_counter() - start, correct / len(x_test)))
    return results


def kobai_run(epochs, seed, threads, model_name="mlp"):
    w = WORKLOADS[model_name]
    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, "m.jsonl")
        env = dict(os.environ, JAVA_TOOL_OPTIONS=f"-Dkobai.threads={threads}")
        subprocess.run([os.path.join(ROOT, "kobai"), "train", "--data", "fashion-mnist", "--model", w["kobai_model"],
                        "--optimizer", w["optimizer"], "--epochs", str(epochs), "--batch-size", "128",
                        "--seed", str(seed), "--metrics", metrics],
                       check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(metrics) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [(r["seconds"], r["test_accuracy"]) for r in rows if "epoch" in r and not r.get("summary")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", choices=sorted(WORKLOADS), default="mlp")
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import openblas_kernel
    fallback = openblas_kernel.restart_if_generic()
    print(f"CPU: {openblas_kernel.cpu_description()}; OpenBLAS kernel {openblas_kernel.core()}"
          + (f" ({fallback})" if fallback else ""), flush=True)
    times = {"pytorch": [], "kobai": []}
    first = {"pytorch": [], "kobai": []}
    accuracies = {"pytorch": [], "kobai": []}
    for r in range(args.rounds):
        for name, fn in (("pytorch", torch_run), ("kobai", kobai_run)):
            res = fn(args.epochs, r + 1, args.threads, args.model)
            for e, (sec, acc) in enumerate(res, 1):
                print(f"round {r + 1} {name:8s} epoch {e}: {sec:6.3f} s  test accuracy {acc:.4f}", flush=True)
            first[name].append(res[0][0])
            accuracies[name].append([acc for _, acc in res])
            times[name].extend(sec for sec, _ in res[1:])
    print()
    print(f"{args.model}: torch {torch.__version__}, {args.threads} threads; median of epochs 2..{args.epochs} over {args.rounds} rounds")
    for name in times:
        print(f"{name:8s} epoch: median {statistics.median(times[name]):.3f} s, first epoch median {statistics.median(first[name]):.3f} s")
    ratio = statistics.median(times["kobai"]) / statistics.median(times["pytorch"])
    print(f"ratio kobai / pytorch (steady epochs): {ratio:.2f}")
    print(f"ratio kobai / pytorch (first epoch):   {statistics.median(first['kobai']) / statistics.median(first['pytorch']):.2f}")
    # Each round draws its own seed (round r: seed r), so the rounds sample what the seed alone moves.
    print("\ntest accuracy by seed: after the last epoch, and at the best epoch")
    for name, runs in accuracies.items():
        last = [run[-1] for run in runs]
        best = [max(run) for run in runs]
        print(f"{name:8s} last " + ", ".join(f"{a:.4f}" for a in last) + f" (mean {statistics.mean(last):.4f});"
              + " best " + ", ".join(f"{a:.4f}" for a in best) + f" (mean {statistics.mean(best):.4f})")


if __name__ == "__main__":
    main()
