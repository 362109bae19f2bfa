#!/usr/bin/env python3
"""Golden trajectories of torch.optim's Adam family (float64) for kobai-core's tests.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/golden_adam.py

writes kobai-core/src/test/resources/golden/adam.json (layout in tools/golden_common.py) with cases
for adam, adamw, adamax, nadam and radam: each option changed alone, several together, two
parameter groups with different options, and three surfaces.

NAdam is generated with 1.13's foreach=True path, whose arithmetic is PyTorch 2.x's. 1.13's default
for-loop path multiplies the momentum product by mu_t once too often in the second term's
denominator (fixed in PyTorch 2.x); this script prints how far the two 1.13 paths part on every
NAdam case, so the difference can be checked rather than taken on trust.
"""
import functools
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import run_case, write_fixture  # noqa: E402

OUT = "kobai-core/src/test/resources/golden/adam.json"
MLP_STEPS = 12  # RAdam with beta2=0.999 rectifies from step 6 on
SURFACE_STEPS = 25

NADAM_2X = functools.partial(torch.optim.NAdam, foreach=True)

# Per optimizer: its torch class, options for the network problem, two-group cases, surface options.
FAMILY = {
    "adam": (torch.optim.Adam, [
        {},
        {"lr": 0.01},
        {"betas": [0.8, 0.99]},
        {"eps": 1e-3},
        {"weight_decay": 0.1},
        {"amsgrad": True},
        {"maximize": True},
        {"lr": 0.02, "amsgrad": True},
        {"lr": 0.02, "betas": [0.5, 0.9], "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True},
        {"lr": 0.05, "weight_decay": 0.01, "amsgrad": True, "maximize": True},
        {"lr": 0.1, "betas": [0.0, 0.0]},
    ], [
        ({"lr": 0.01}, [{"params": [0, 1], "options": {"lr": 0.05, "amsgrad": True}},
                        {"params": [2, 3], "options": {"weight_decay": 0.1, "betas": [0.8, 0.9]}}]),
    ], {"lr": 0.1}),
    "adamw": (torch.optim.AdamW, [
        {},
        {"lr": 0.01},
        {"weight_decay": 0.0},
        {"lr": 0.01, "weight_decay": 0.5},
        {"betas": [0.8, 0.99]},
        {"eps": 1e-3},
        {"amsgrad": True},
        {"maximize": True},
        {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True},
        {"lr": 0.02, "betas": [0.5, 0.9], "eps": 1e-6, "weight_decay": 0.2, "amsgrad": True, "maximize": True},
    ], [
        ({"lr": 0.02}, [{"params": [0, 2], "options": {"weight_decay": 0.0}},
                        {"params": [1, 3], "options": {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True}}]),
    ], {"lr": 0.1, "weight_decay": 0.1}),
    "adamax": (torch.optim.Adamax, [
        {},
        {"lr": 0.02},
        {"betas": [0.8, 0.99]},
        {"eps": 0.1},
        {"weight_decay": 0.1},
        {"maximize": True},
        {"lr": 0.05, "betas": [0.5, 0.9], "eps": 1e-4, "weight_decay": 0.05},
        {"lr": 0.05, "weight_decay": 0.01, "maximize": True},
    ], [
        ({"lr": 0.01}, [{"params": [0, 1], "options": {"lr": 0.05, "eps": 0.01}},
                        {"params": [2, 3], "options": {"weight_decay": 0.1, "betas": [0.8, 0.9]}}]),
    ], {"lr": 0.1}),
    "nadam": (NADAM_2X, [
        {},
        {"lr": 0.01},
        {"betas": [0.8, 0.99]},
        {"eps": 1e-3},
        {"weight_decay": 0.1},
        {"momentum_decay": 0.0},
        {"momentum_decay": 0.5},
        {"lr": 0.02, "betas": [0.5, 0.9], "eps": 1e-6, "weight_decay": 0.05, "momentum_decay": 0.1},
        {"lr": 0.05, "weight_decay": 0.01, "momentum_decay": 0.02},
    ], [
        ({"lr": 0.01}, [{"params": [0, 1], "options": {"lr": 0.05, "momentum_decay": 0.1}},
                        {"params": [2, 3], "options": {"weight_decay": 0.1, "betas": [0.8, 0.9]}}]),
    ], {"lr": 0.1}),
    "radam": (torch.optim.RAdam, [
        {},
        {"lr": 0.01},
        {"betas": [0.8, 0.99]},
        {"betas": [0.9, 0.9]},
        {"betas": [0.9, 0.5]},  # rho_inf = 3: never rectified
        {"eps": 1e-3},
        {"weight_decay": 0.1},
        {"lr": 0.02, "betas": [0.5, 0.95], "eps": 1e-6, "weight_decay": 0.05},
        {"lr": 0.05, "weight_decay": 0.01},
    ], [
        ({"lr": 0.01}, [{"params": [0, 1], "options": {"lr": 0.05, "betas": [0.9, 0.9]}},
                        {"params": [2, 3], "options": {"weight_decay": 0.1, "eps": 1e-3}}]),
    ], {"lr": 2e-3}),  # unrectified steps are plain momentum SGD: a larger lr diverges on rosenbrock
}

SURFACES = (("rosenbrock", [-1.5, 2.0]), ("beale", [1.0, 1.5]), ("saddle", [1.0, 1e-3]))


def nadam_paths_part():
    """Per network case: the largest gap between 1.13's for-loop and foreach NAdam, relative to the
    largest parameter, after the first step and after the last."""
    gaps = []
    for options in FAMILY["nadam"][1]:
        loop = run_case(torch.optim.NAdam, "nadam", options, steps=MLP_STEPS)["steps"]
        fixed = run_case(NADAM_2X, "nadam", options, steps=MLP_STEPS)["steps"]
        gap = [max(abs(x - y) for x, y in zip(a, b)) / max(abs(y) for y in b) for a, b in zip(loop, fixed)]
        gaps.append((options, gap[0], gap[-1]))
    return gaps


def main():
    cases = []
    for name, (cls, configs, grouped, surface_options) in FAMILY.items():
        for options in configs:
            cases.append(run_case(cls, name, options, steps=MLP_STEPS))
        for options, groups in grouped:
            cases.append(run_case(cls, name, options, groups=groups, steps=MLP_STEPS))
        for surface, start in SURFACES:
            cases.append(run_case(cls, name, surface_options, problem="surface:" + surface, start=start,
                                  steps=SURFACE_STEPS))
    for c in cases:
        assert all(math.isfinite(v) for step in c["steps"] for v in step), (c["optimizer"], c["options"], c["problem"])
    write_fixture(cases, OUT)
    counts = {}
    for c in cases:
        key = (c["optimizer"], c["problem"] == "mlp")
        counts[key] = counts.get(key, 0) + 1
    for (name, mlp), n in sorted(counts.items()):
        print(f"{name:7s} {'mlp' if mlp else 'surface':7s} {n}")
    for c in cases:
        if c["problem"] != "mlp":
            print(f"{c['optimizer']:7s} {c['problem']:19s} {c['start']} -> {[round(v, 4) for v in c['steps'][-1]]}")
    print("NAdam, 1.13 for-loop against foreach (2.x): largest gap / largest parameter, after step 1 and last")
    for options, first, last in nadam_paths_part():
        print(f"  {options}: {first:.3g} {last:.3g}")


if __name__ == "__main__":
    main()
