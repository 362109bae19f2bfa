#!/usr/bin/env python3
"""Writes PyTorch's SGD trajectories on a small tanh network, in float64, as a test fixture.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tools/golden_sgd.py > kobai-core/src/test/resources/golden/sgd.json

The fixture holds the inputs, labels and initial parameters (W1 [3,4], b1 [3], W2 [2,3], b2 [2]),
and for each argument combination the flattened parameters after each step. The loss is
cross_entropy(W2 tanh(W1 x + b1) + b2, y) with mean reduction.
"""
import json

import torch

STEPS = 6
CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.1, "momentum": 0.8, "nesterov": True},
    {"lr": 0.2, "weight_decay": 0.01},
    {"lr": 0.1, "momentum": 0.5, "maximize": True},
    {"lr": 0.3, "momentum": 0.7, "weight_decay": 0.1, "nesterov": True},
]


def main():
    torch.manual_seed(0)
    x = torch.randn(5, 4, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1])
    init = [torch.randn(3, 4, dtype=torch.float64) * 0.5, torch.randn(3, dtype=torch.float64) * 0.5,
            torch.randn(2, 3, dtype=torch.float64) * 0.5, torch.randn(2, dtype=torch.float64) * 0.5]
    out = {"torch": torch.__version__, "x": x.flatten().tolist(), "y": y.tolist(),
           "init": [p.flatten().tolist() for p in init], "cases": []}
    for cfg in CONFIGS:
        params = [p.clone().requires_grad_(True) for p in init]
        opt = torch.optim.SGD(params, **cfg)
        steps = []
        for _ in range(STEPS):
            opt.zero_grad()
            w1, b1, w2, b2 = params
            loss = torch.nn.functional.cross_entropy(torch.tanh(x @ w1.T + b1) @ w2.T + b2, y)
            loss.backward()
            opt.step()
            steps.append(torch.cat([p.detach().flatten() for p in params]).tolist())
        out["cases"].append({"options": cfg, "steps": steps})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
