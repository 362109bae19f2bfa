#!/usr/bin/env python3
"""Golden trajectories of torch.optim's methods with an eps in a denominator, started where the
gradients are about 1e-9, below their eps (float64), for kobai-core's TinyGradientsTest.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tools/golden_tiny_gradients.py

writes kobai-core/src/test/resources/golden/tiny_gradients.json (layout in tools/golden_common.py).

On ordinary problems eps (1e-8 to 1e-6) is lost in the square root it is added to, so a loop that
subtracted it would pass every other golden case; here the first step is decided by eps. The
surface is long-valley, 0.5 (x^2 + 100 y^2), from (1e-9, 3e-11): gradients (1e-9, 3e-9). Each
optimizer runs with its defaults (the loops training takes) and with options that take its general
loop.
"""
import functools
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import run_case, write_fixture  # noqa: E402

START = [1e-9, 3e-11]
# As tools/golden_adam.py: 1.13's foreach NAdam has PyTorch 2.x's arithmetic, which Kobai follows.
NADAM_2X = functools.partial(torch.optim.NAdam, foreach=True)
CASES = [
    (torch.optim.Adam, "adam", {}),
    (torch.optim.Adam, "adam", {"weight_decay": 0.1}),
    (torch.optim.Adam, "adam", {"amsgrad": True}),
    (torch.optim.AdamW, "adamw", {}),
    (torch.optim.Adamax, "adamax", {}),
    (torch.optim.Adamax, "adamax", {"weight_decay": 0.1}),
    (NADAM_2X, "nadam", {}),
    (NADAM_2X, "nadam", {"weight_decay": 0.1}),
    (torch.optim.RAdam, "radam", {}),
    (torch.optim.RAdam, "radam", {"weight_decay": 0.1}),
    (torch.optim.RMSprop, "rmsprop", {}),
    (torch.optim.RMSprop, "rmsprop", {"weight_decay": 0.1}),
    (torch.optim.RMSprop, "rmsprop", {"momentum": 0.5}),
    (torch.optim.RMSprop, "rmsprop", {"centered": True}),
    (torch.optim.Adagrad, "adagrad", {}),
    (torch.optim.Adagrad, "adagrad", {"weight_decay": 0.1}),
    (torch.optim.Adadelta, "adadelta", {}),
    (torch.optim.Adadelta, "adadelta", {"weight_decay": 0.1}),
]


def main():
    cases = [run_case(cls, name, options, problem="surface:long-valley", start=START, steps=8)
             for cls, name, options in CASES]
    write_fixture(cases, "kobai-core/src/test/resources/golden/tiny_gradients.json")


if __name__ == "__main__":
    main()
