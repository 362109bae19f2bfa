"""Whole training runs of the cnn preset in PyTorch 1.13, float64, for Kobai to repeat from the same start.

Writes into kobai-core/src/test/resources/golden/:
  cnn_init.safetensors  the initial state_dict of the network below (torch's default initialisation
                        under torch.manual_seed(0), float32 as torch makes it, buffers included),
                        which Kobai loads with `kobai train --init` / Checkpoint.initialWeights;
  cnn_run.json          {"torch": version, "batch": 32, "steps": 20, "images": "fashion-mnist train
                        images 0..639 in order, pixels / 255", "runs": [{"optimizer": Kobai spec
                        (SGD with Nesterov momentum and weight decay, Adam, and K-FAC as
                        tools/reference_kfac_conv.py defines it, written out in run_kfac),
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
import reference_kfac_conv as kref  # noqa: E402  (K-FAC's factors and preconditioner from the definitions)

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


KFAC_SPEC = ("kfac:lr=0.05,damping=0.01,momentum=0.9,kl_clip=0.001,fisher=empirical,factor_decay=0.95,"
             "factor_update_period=1,inv_update_period=5")


def run_kfac(init, x, y):
    """K-FAC as tools/reference_kfac_conv.py defines it, on the cnn: one forward pass per step (so batch
    norm's statistics move once a step, as in Kobai), factors from the data's labels every step, inverses
    of the damped averages every 5 steps, batch norm's parameters stepped by their plain gradient."""
    model = cnn()
    model.load_state_dict(init)
    model.double().train()
    params = dict(model.named_parameters())
    layers = kref.layers_of(model)
    layer_params = {id(m.weight) for _, m in layers} | {id(m.bias) for _, m in layers if m.bias is not None}
    buf = {name: torch.zeros_like(p) for name, p in params.items()}
    lr, damping, mom, clip, decay = 0.05, 0.01, 0.9, 0.001, 0.95
    avg_a = avg_g = None
    inverses = None
    losses = []
    for step in range(STEPS):
        xb, yb = x[step * BATCH:(step + 1) * BATCH], y[step * BATCH:(step + 1) * BATCH]
        z, captured = kref.forward_captured(model, xb)
        loss = F.cross_entropy(z, yb)
        losses.append(float(loss))
        outs = [out for _, out in captured]
        nll = -F.log_softmax(z, dim=1)[torch.arange(BATCH), yb].sum()
        ds = torch.autograd.grad(nll, outs, retain_graph=True)
        a = []
        for (_, mod), (inp, _) in zip(layers, captured):
            rows = kref.rows_of(mod, inp.detach())
            a.append(rows.T @ rows / rows.shape[0])
        g = [kref.position_outer(d) / BATCH for d in ds]
        if avg_a is None:
            avg_a, avg_g = a, g
        else:
            avg_a = [decay * o + (1 - decay) * f for o, f in zip(avg_a, a)]
            avg_g = [decay * o + (1 - decay) * f for o, f in zip(avg_g, g)]
        if step % 5 == 0:
            inverses = []
            for fa, fg in zip(avg_a, avg_g):
                pi = torch.sqrt((torch.trace(fa) / fa.shape[0]) / (torch.trace(fg) / fg.shape[0]))
                root = damping ** 0.5
                inverses.append((torch.linalg.inv(fa + pi * root * torch.eye(fa.shape[0], dtype=torch.float64)),
                                 torch.linalg.inv(fg + root / pi * torch.eye(fg.shape[0], dtype=torch.float64))))
        grads = dict(zip(params, torch.autograd.grad(loss, list(params.values()))))
        updates, vg = {}, 0.0
        for (name, mod), (ai, gi) in zip(layers, inverses):
            gw = grads[name + ".weight"].reshape(mod.weight.shape[0], -1)
            v = torch.cat([gw, grads[name + ".bias"][:, None]], dim=1)
            d = gi @ v @ ai
            vg += float((v * d).sum())
            updates[name + ".weight"] = d[:, :gw.shape[1]].reshape(mod.weight.shape)
            updates[name + ".bias"] = d[:, -1]
        nu = min(1.0, (clip / (lr * lr * vg)) ** 0.5) if vg > 0 else 1.0
        with torch.no_grad():
            for name, p in params.items():
                step_dir = nu * updates[name] if id(p) in layer_params else grads[name]
                buf[name] = mom * buf[name] + step_dir
                p -= lr * buf[name]
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
    losses, final = run_kfac(init, x, y)
    runs.append({"optimizer": KFAC_SPEC, "losses": losses, "final": final})
    print(f"{KFAC_SPEC}: loss {losses[0]:.6f} -> {losses[-1]:.6f}")
    with open(os.path.join(OUT, "cnn_run.json"), "w") as f:
        json.dump({"torch": torch.__version__, "batch": BATCH, "steps": STEPS,
                   "images": "fashion-mnist train images 0..639 in order, pixels / 255", "runs": runs}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
