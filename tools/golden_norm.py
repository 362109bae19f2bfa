"""Golden fixtures for normalisation layers and ResNet's basic block: PyTorch's outputs, gradients
and running statistics in float64.

Writes kobai-core/src/test/resources/golden/norm.json; rerun with /usr/bin/python3 (PyTorch 1.13):

    /usr/bin/python3 tools/golden_norm.py

Layout: {"torch": version, "cases": [case, ...]}, each case
  {"layer": "BatchNorm1d" | "BatchNorm2d" | "LayerNorm" | "GroupNorm" | "BasicBlock",
   "args": {torch's constructor arguments; a null momentum is torch's None},
   "params": {name: tensor} (the parameters, by state_dict name, loaded before the first step),
   "steps": [step, ...]}
where a step is one forward pass, in order, on the same layer:
  {"mode": "train" | "eval", "x": tensor, "grad_output": tensor, "output": tensor,
   "grads": {"x" or a parameter's name: gradient of sum(output * grad_output)},
   "buffers": {name: tensor} (every buffer after the step, num_batches_tracked as a number)}
and a tensor is {"shape": [...], "data": [row-major values]}. Batch norm runs train, eval, train,
train, eval: the running statistics after one and after three batches, and evaluation with each.
"""
import json
import os
from collections import OrderedDict

import torch
import torch.nn as nn

torch.manual_seed(0)


def tensor_json(t):
    return {"shape": list(t.shape), "data": t.detach().flatten().tolist()}


def rand(*shape, scale=1.0, offset=0.0):
    return (torch.rand(*shape, dtype=torch.float64) * 2 - 1) * scale + offset


def randomize(module):
    """Weights and biases of the normalisation layers away from their initial ones and zeros."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.copy_(rand(*p.shape, scale=0.5, offset=1.0))
            elif name.endswith("bias") and p.dim() == 1:
                p.copy_(rand(*p.shape, scale=0.5))


def buffer_json(module):
    out = {}
    for name, b in module.named_buffers():
        out[name] = b.item() if b.dtype == torch.int64 else tensor_json(b)
    return out


def step(module, mode, shape, x_scale=2.0, x_offset=0.5):
    module.train(mode == "train")
    x = rand(*shape, scale=x_scale, offset=x_offset).requires_grad_(True)
    out = module(x)
    grad_output = rand(*out.shape)
    names = ["x"] + [n for n, _ in module.named_parameters()]
    grads = torch.autograd.grad(out, [x] + [p for _, p in module.named_parameters()], grad_output)
    return {"mode": mode, "x": tensor_json(x), "grad_output": tensor_json(grad_output), "output": tensor_json(out),
            "grads": {n: tensor_json(g) for n, g in zip(names, grads)}, "buffers": buffer_json(module)}


def case(layer, args, module, modes, shape):
    module = module.double()
    randomize(module)
    params = {n: tensor_json(p) for n, p in module.named_parameters()}
    return {"layer": layer, "args": args, "params": params, "steps": [step(module, m, shape) for m in modes]}


def batch_norm_cases():
    cases = []
    # (layer, input shape, momentum, affine, track_running_stats, eps)
    grid = [
        ("BatchNorm1d", (4, 3), 0.1, True, True, 1e-5),
        ("BatchNorm1d", (4, 3), None, False, True, 1e-5),
        ("BatchNorm1d", (5, 3), 0.1, True, False, 1e-5),
        ("BatchNorm1d", (3, 3, 5), 0.1, True, True, 1e-5),
        ("BatchNorm1d", (3, 3, 5), None, True, True, 1e-5),
        ("BatchNorm1d", (2, 4, 3), 0.3, False, False, 1e-3),
        ("BatchNorm2d", (2, 3, 4, 5), 0.1, True, True, 1e-5),
        ("BatchNorm2d", (2, 3, 4, 5), None, False, True, 1e-5),
        ("BatchNorm2d", (3, 2, 3, 3), 0.1, True, False, 1e-5),
        ("BatchNorm2d", (2, 4, 3, 2), 0.05, True, True, 1e-3),
        ("BatchNorm2d", (1, 2, 1, 2), 0.1, True, True, 1e-5),
    ]
    for layer, shape, momentum, affine, track, eps in grid:
        cls = getattr(nn, layer)
        args = {"num_features": shape[1], "eps": eps, "momentum": momentum, "affine": affine,
                "track_running_stats": track}
        cases.append(case(layer, args, cls(**args), ["train", "eval", "train", "train", "eval"], shape))
    return cases


def layer_norm_cases():
    cases = []
    for shape, normalized, affine, eps in [((3, 5), [5], True, 1e-5), ((2, 3, 5), [5], False, 1e-5),
                                           ((2, 3, 4), [3, 4], True, 1e-5), ((2, 3, 4), [3, 4], False, 1e-3),
                                           ((2, 2, 3, 4), [4], True, 1e-5)]:
        args = {"normalized_shape": normalized, "eps": eps, "elementwise_affine": affine}
        cases.append(case("LayerNorm", args, nn.LayerNorm(**args), ["train", "eval"], shape))
    return cases


def group_norm_cases():
    cases = []
    for shape, groups, affine, eps in [((2, 4, 3, 3), 1, True, 1e-5), ((2, 4, 3, 3), 2, True, 1e-5),
                                       ((2, 4, 3, 3), 4, True, 1e-5), ((2, 4, 3, 3), 2, False, 1e-5),
                                       ((3, 6), 3, True, 1e-5), ((2, 4, 5), 2, True, 1e-3)]:
        args = {"num_groups": groups, "num_channels": shape[1], "eps": eps, "affine": affine}
        cases.append(case("GroupNorm", args, nn.GroupNorm(**args), ["train", "eval"], shape))
    return cases


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock with ResNet's downsampling shortcut, written with
    torch.nn (torchvision is not installed here); the names are torchvision's."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(OrderedDict([
                ("0", nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False)), ("1", nn.BatchNorm2d(planes))]))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def block_cases():
    cases = []
    for inplanes, planes, stride, hw in [(4, 4, 1, 5), (3, 4, 2, 6), (4, 4, 2, 5), (4, 6, 1, 4)]:
        args = {"inplanes": inplanes, "planes": planes, "stride": stride}
        cases.append(case("BasicBlock", args, BasicBlock(**args), ["train", "eval", "train"], (2, inplanes, hw, hw)))
    return cases


def main():
    fixture = {"torch": torch.__version__,
               "cases": batch_norm_cases() + layer_norm_cases() + group_norm_cases() + block_cases()}
    path = os.path.join(os.path.dirname(__file__), "..", "kobai-core", "src", "test", "resources", "golden", "norm.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"wrote {len(fixture['cases'])} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
