#!/usr/bin/env python3
"""Golden trajectories of torch.optim.SGD (float64) for kobai-core's tests.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tools/golden_sgd.py

writes kobai-core/src/test/resources/golden/sgd.json (layout in tools/golden_common.py).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import run_case, write_fixture  # noqa: E402

CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.1, "momentum": 0.8, "nesterov": True},
    {"lr": 0.2, "weight_decay": 0.01},
    {"lr": 0.1, "momentum": 0.5, "maximize": True},
    {"lr": 0.3, "momentum": 0.7, "weight_decay": 0.1, "nesterov": True},
]
GROUPS = [{"params": [0, 1], "options": {"lr": 0.05, "momentum": 0.9}},
          {"params": [2, 3], "options": {"weight_decay": 0.1}}]


def main():
    cases = [run_case(torch.optim.SGD, "sgd", cfg) for cfg in CONFIGS]
    cases.append(run_case(torch.optim.SGD, "sgd", {"lr": 0.2}, groups=GROUPS))
    for surface, start in (("rosenbrock", [-1.5, 2.0]), ("beale", [1.0, 1.5]), ("saddle", [1.0, 1e-3])):
        cases.append(run_case(torch.optim.SGD, "sgd", {"lr": 1e-3, "momentum": 0.9}, problem="surface:" + surface,
                              start=start, steps=20))
    write_fixture(cases, "kobai-core/src/test/resources/golden/sgd.json")


if __name__ == "__main__":
    main()
