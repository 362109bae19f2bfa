"""Whole training runs of the cnn preset in PyTorch 1.13, float64, for Kobai to repeat from the same start.

Writes into kobai-core/src/test/resources/golden/:
  cnn_init.safetensors  the initial state_dict of the network below (torch's default initialisation
                        under torch.manual_seed(0), float32 as torch makes it, buffers included),
                        which Kobai loads with `kobai train --init` / Checkpoint.initialWeights;
  cnn_run.json          {"torch": version, "batch": 32, "steps": 20, "images": "fashion-mnist train
                        images 0..639 in order, pixels / 255", "runs": [{"optimizer": Kobai spec,
                        "losses": [loss before each step], "final": {name: [sum, sum of squares]} of
                        every parameter and buffer after the last step}]}.

The network is Kobai's `cnn` preset for 1x28x28 images written with torch.nn.Sequential, so the
state_dict keys are the same: conv(1->32, 3x3, padding 1), BatchNorm2d, ReLU, MaxPool 2,
conv(32->64, 3x3, padding 1), BatchNorm2d, ReLU, MaxPool 2, Flatten, Linear(3136->128), ReLU,
Linear(128->10). After the float32 initial weights are saved, the model is converted to float64
and every run trains in training mode (batch statistics) on the same 20 batches of 32 images,
taking the loss with F.cross_entropy and the step with a closure.

    /usr/bin/python3 tools/golden_cnn_run.py
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_epoch  # noqa: E402  (reads the IDX files)
import read_safetensors  # noqa: E402  (writes safetensors without the package)

OUT = os.path.join(os.path.dirname(__file__), "..", "kobai-core", "src", "test", "resources", "golden")
BATCH, STEPS = 32, 20


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def run(init, x, y, make_optimizer):
    model = cnn()
    model.load_state_dict(init)
    model.double().train()
    opt = make_optimizer(model.parameters())
    losses = []
    for step in range(STEPS):
        xb, yb = x[step * BATCH:(step + 1) * BATCH], y[step * BATCH:(step + 1) * BATCH]

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            return loss
        losses.append(float(opt.step(closure)))
    final = {k: [float(v.double().sum()), float((v.double() ** 2).sum())] for k, v in model.state_dict().items()}
    return losses, final


def main():
    torch.manual_seed(0)
    init = cnn().state_dict()
    read_safetensors.save(os.path.join(OUT, "cnn_init.safetensors"),
                          {k: v.numpy() for k, v in init.items()}, {"format": "pytorch-state-dict"})
    images = bench_epoch.read_idx("train-images-idx3-ubyte")[:BATCH * STEPS]
    labels = bench_epoch.read_idx("train-labels-idx1-ubyte")[:BATCH * STEPS]
    x = torch.from_numpy(images.astype(np.float64) / 255).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels.astype(np.int64))
    runs = []
    for spec, make in [
        ("sgd:lr=0.05,momentum=0.9,nesterov=true,weight_decay=0.0005",
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)),
        ("adam:lr=0.001", lambda p: torch.optim.Adam(p, lr=1e-3)),
    ]:
        losses, final = run(init, x, y, make)
        runs.append({"optimizer": spec, "losses": losses, "final": final})
        print(f"{spec}: loss {losses[0]:.6f} -> {losses[-1]:.6f}")
    with open(os.path.join(OUT, "cnn_run.json"), "w") as f:
        json.dump({"torch": torch.__version__, "batch": BATCH, "steps": STEPS,
                   "images": "fashion-mnist train images 0..639 in order, pixels / 255", "runs": runs}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
