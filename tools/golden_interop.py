#!/usr/bin/env python3
"""PyTorch interop both ways: Kobai's model presets written with torch.nn, with the same state_dict
keys, shapes and dtypes.

Writes (default mode) into kobai-core/src/test/resources/interop/:
  manifest.json          {"torch": version, "batch": 4, "models": [{"name", "spec" (Kobai's --model),
                         "input" ([C, H, W] or [d]), "classes", "batch_norm", "weights" (whether the
                         files below exist), "state_dict": [[key, dtype (F32/I64), shape], ...] in
                         torch's order}]}
  NAME.safetensors       the model's state_dict after torch.manual_seed(SEED + index) (torch's default
                         initialisation, then batch norm's weight, bias and running statistics drawn
                         at random and num_batches_tracked 7, so evaluation mode is no identity),
                         float32 as torch makes it, written with numpy (tools/read_safetensors.save)
  NAME_io.safetensors    "input" (float32 [4, ...], standard normal) and torch's outputs on it:
                         "eval.float32", "eval.float64" (the same weights converted, model.double()),
                         and for batch-norm models "train.float32", "train.float64" (training mode,
                         batch statistics) and "after_train.DTYPE.KEY": every buffer after that one
                         training-mode forward pass (running averages updated, count 8).
Kobai's PyTorchInteropTest loads each NAME.safetensors with loadStateDict(strict = true) into its
preset and compares the outputs (1e-6 in float32, 1e-12 in float64, relative to the largest output).

The other way (--check-kobai DIR): DIR holds what PyTorchInteropTest exports with Kobai's own
weights (trained a few steps): NAME.safetensors (float32 model), NAME_f64.safetensors (the same
model in float64) and NAME_kobai_io.safetensors ("input" and Kobai's "eval"/"train" outputs per
dtype). Each file's keys, shapes and dtypes must be torch's, it must load with
load_state_dict(strict=True), and torch's outputs must match Kobai's to the tolerances above.

    /usr/bin/python3 tools/golden_interop.py
    mvn -q -pl kobai-core -am test -Dtest=PyTorchInteropTest -Dsurefire.failIfNoSpecifiedTests=false
    /usr/bin/python3 tools/golden_interop.py --check-kobai kobai-core/target/interop-kobai

`--check-file FILE --model NAME` checks one file exported by `kobai train --export-weights` (keys,
shapes, dtypes and a strict load into the torch model of the manifest's entry NAME), e.g.
    ./kobai train --data digits --model cnn --epochs 1 --export-weights /tmp/cnn.safetensors
    /usr/bin/python3 tools/golden_interop.py --check-file /tmp/cnn.safetensors --model cnn
(the manifest's cnn takes 1x8x8 images, as digits has).
"""
import copy
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import read_safetensors  # noqa: E402  (safetensors with numpy alone)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kobai-core", "src", "test", "resources",
                   "interop")
SEED = 16
BATCH = 4
TOL = {torch.float32: 1e-6, torch.float64: 1e-12}

# name, Kobai's --model, input per sample, classes, whether the weights and outputs are committed
# (resnet20's 270k parameters are left to the manifest, which checks its names and shapes)
MODELS = [
    ("mlp", "mlp:64-32-10", [64], 10, True),
    ("mlp_tanh", "mlp:12-8-6-4:tanh", [12], 4, True),
    ("cnn", "cnn", [1, 8, 8], 10, True),
    ("lenet5", "lenet5", [1, 12, 12], 10, True),
    ("resnet8", "resnet8", [1, 8, 8], 10, True),
    ("resnet20", "resnet20", [1, 8, 8], 10, False),
]


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (expansion 1), written out since torchvision is not installed."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def mlp(spec):
    parts = spec.split(":")
    sizes = [int(s) for s in parts[1].split("-")]
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[parts[2] if len(parts) > 2 else "relu"]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(act())
    return nn.Sequential(*layers)


def build(spec, shape, classes):
    """What a PyTorch user writes for each of Kobai's presets (Models.preset) and for an mlp spec."""
    if spec.startswith("mlp:"):
        return mlp(spec)
    c, h, w = shape
    if spec == "cnn":
        return nn.Sequential(
            nn.Conv2d(c, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), 128), nn.ReLU(), nn.Linear(128, classes))
    if spec == "lenet5":
        side = lambda s: max(1, ((s // 2) - 4) // 2)  # noqa: E731
        return nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * side(h) * side(w), 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, classes))
    if spec in ("resnet8", "resnet20"):
        n = 1 if spec == "resnet8" else 3
        layers = [nn.Conv2d(c, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
        channels = 16
        for stage in range(3):
            out = 16 << stage
            for b in range(n):
                layers.append(BasicBlock(channels, out, 2 if stage > 0 and b == 0 else 1))
                channels = out
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))
    raise ValueError(spec)


DTYPE_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def manifest_entry(model):
    return [[k, DTYPE_NAMES[v.dtype], list(v.shape)] for k, v in model.state_dict().items()]


def has_batch_norm(model):
    return any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def randomise_batch_norm(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(7)


def outputs(model, x):
    """{"eval.DTYPE": ..., "train.DTYPE": ..., "after_train.DTYPE.KEY": ...} as float64 numpy arrays."""
    out = {}
    for dtype in (torch.float32, torch.float64):
        name = "float32" if dtype == torch.float32 else "float64"
        m = copy.deepcopy(model).to(dtype).eval()
        with torch.no_grad():
            out["eval." + name] = m(x.to(dtype)).numpy()
        if has_batch_norm(model):
            m = copy.deepcopy(model).to(dtype).train()
            with torch.no_grad():
                out["train." + name] = m(x.to(dtype)).numpy()
            for k, b in m.named_buffers():
                out["after_train." + name + "." + k] = b.numpy()
    return out


def write_fixtures():
    os.makedirs(OUT, exist_ok=True)
    entries = []
    for index, (name, spec, shape, classes, weights) in enumerate(MODELS):
        torch.manual_seed(SEED + index)
        model = build(spec, shape, classes)
        randomise_batch_norm(model)
        entries.append({"name": name, "spec": spec, "input": shape, "classes": classes,
                        "batch_norm": has_batch_norm(model), "weights": weights,
                        "state_dict": manifest_entry(model)})
        if not weights:
            continue
        x = torch.randn(BATCH, *shape)
        read_safetensors.save(os.path.join(OUT, name + ".safetensors"),
                              {k: v.numpy() for k, v in model.state_dict().items()})
        io = {"input": x.numpy()}
        io.update(outputs(model, x))
        read_safetensors.save(os.path.join(OUT, name + "_io.safetensors"), io)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"torch": torch.__version__, "seed": SEED, "batch": BATCH, "models": entries}, f, indent=1)
        f.write("\n")
    print("wrote", len(entries), "models to", os.path.normpath(OUT))


def load_manifest():
    with open(os.path.join(OUT, "manifest.json")) as f:
        return {m["name"]: m for m in json.load(f)["models"]}


def check_file(path, entry, dtype):
    """Checks a Kobai-exported state dict against torch's model: keys in order, shapes, dtypes, strict load."""
    _, tensors = read_safetensors.load(path)
    model = build(entry["spec"], entry["input"], entry["classes"]).to(dtype)
    expected = manifest_entry(model)
    got = [[k, d, list(a.shape)] for k, (d, a) in tensors.items()]
    if got != expected:
        raise AssertionError(f"{path}: keys, dtypes and shapes differ from torch's state_dict:\n"
                             f"  torch: {expected}\n  file:  {got}")
    model.load_state_dict({k: torch.from_numpy(np.array(a)) for k, (d, a) in tensors.items()}, strict=True)
    return model


def compare(what, ours, theirs, tol):
    scale = max(1.0, float(np.abs(theirs).max()))
    err = float(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)).max())
    ok = err <= tol * scale
    print(f"  {what}: max |torch - kobai| = {err:.3g} (tolerance {tol:g} x {scale:.3g}) {'ok' if ok else 'FAIL'}")
    return ok


def check_kobai(directory):
    manifest = load_manifest()
    ok, checked = True, 0
    for name, entry in manifest.items():
        io_path = os.path.join(directory, name + "_kobai_io.safetensors")
        if not os.path.exists(io_path):
            continue
        checked += 1
        print(name)
        _, io = read_safetensors.load(io_path)
        x = torch.from_numpy(np.array(io["input"][1]))
        for dtype, suffix, dname in ((torch.float32, "", "float32"), (torch.float64, "_f64", "float64")):
            model = check_file(os.path.join(directory, name + suffix + ".safetensors"), entry, dtype)
            print(f"  {name}{suffix}.safetensors: torch's keys, shapes and dtypes; load_state_dict(strict=True) ok")
            for mode in ("eval", "train"):
                key = mode + "." + dname
                if key not in io:
                    continue
                m = copy.deepcopy(model).train(mode == "train")
                with torch.no_grad():
                    ours = m(x.to(dtype)).numpy()
                ok &= compare(key, io[key][1], ours, TOL[dtype])
    if checked == 0:
        print("no *_kobai_io.safetensors in", directory, "- run PyTorchInteropTest first")
        return False
    return ok


def main(argv):
    if "--check-kobai" in argv:
        ok = check_kobai(argv[argv.index("--check-kobai") + 1])
        print("all match" if ok else "MISMATCH")
        sys.exit(0 if ok else 1)
    if "--check-file" in argv:
        path = argv[argv.index("--check-file") + 1]
        entry = load_manifest()[argv[argv.index("--model") + 1]]
        _, tensors = read_safetensors.load(path)
        dtype = torch.float64 if any(d == "F64" for d, _ in tensors.values()) else torch.float32
        check_file(path, entry, dtype)
        print(f"{path}: torch's keys, shapes and dtypes for {entry['spec']} {entry['input']};"
              " load_state_dict(strict=True) ok")
        return
    write_fixtures()


if __name__ == "__main__":
    main(sys.argv[1:])
