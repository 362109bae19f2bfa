#!/usr/bin/env python3
"""Golden trajectories of torch.optim.LBFGS (float64) for kobai-core's tests.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tools/golden_lbfgs.py

writes kobai-core/src/test/resources/golden/lbfgs.json (layout in tools/golden_common.py).

Each L-BFGS step evaluates the closure up to max_eval times, so the cases keep max_iter small and
take few steps. They stop while the loss is still well above rounding noise: L-BFGS amplifies the
last-bit differences between Kobai's and PyTorch's network gradients (differences of nearly equal
gradients make its curvature pairs), by about 30x per step of 5 iterations here, so a fourth step
on the network would come out near 1e-10 relative. The option
line_search_fn is left out for torch's None (Kobai's "none").

The network cases come out different in the last bits on another CPU (OpenBLAS picks its float64
kernel by CPU), well inside the tests' 1e-10; the surface cases are the same everywhere. When only
cases are added, keep the committed network cases and append the new ones (as was done for the six
small-step surface cases).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import run_case, write_fixture  # noqa: E402

SW = "strong_wolfe"
MLP = [
    # history_size 100 (the default), fixed step and line search
    ({"max_iter": 5}, 3),
    ({"max_iter": 5, "line_search_fn": SW}, 3),
    # a history shorter than the number of iterations, so old pairs are dropped
    ({"max_iter": 5, "history_size": 2}, 3),
    ({"max_iter": 5, "history_size": 2, "line_search_fn": SW}, 3),
    # lr 0.5: without line search a damped step; with it, the search first extrapolates
    ({"max_iter": 8, "lr": 0.5, "history_size": 5}, 3),
    ({"max_iter": 6, "lr": 0.5, "history_size": 5, "line_search_fn": SW}, 4),
    ({"max_iter": 6, "lr": 1.7, "line_search_fn": SW}, 2),
    # early termination: on the gradient (step 2 returns at once), on the change of the loss, on max_eval
    ({"max_iter": 10, "tolerance_grad": 1e-3}, 3),
    ({"max_iter": 10, "tolerance_change": 1e-4, "line_search_fn": SW}, 3),
    ({"max_iter": 10, "max_eval": 4}, 4),
]
SURFACES = [
    ("rosenbrock", [-1.5, 2.0], {"line_search_fn": SW}, 2),
    ("rosenbrock", [-1.5, 2.0], {"max_iter": 10, "history_size": 5, "line_search_fn": SW}, 4),
    ("beale", [1.0, 1.5], {"line_search_fn": SW}, 1),
    ("beale", [1.0, 1.5], {"max_iter": 4, "lr": 0.5, "line_search_fn": SW}, 3),
    # Small first trials, so that the search extrapolates while the slope still descends (issue 19:
    # those branches of the strong Wolfe search had no golden case), and a coarse tolerance_change
    # that ends the zoom on the bracket's width.
    ("rosenbrock", [-1.5, 2.0], {"max_iter": 6, "lr": 0.001, "line_search_fn": SW}, 2),
    ("rosenbrock", [0.5, -0.5], {"max_iter": 6, "lr": 0.02, "line_search_fn": SW}, 2),
    ("himmelblau", [0.0, 0.0], {"max_iter": 6, "lr": 0.005, "line_search_fn": SW}, 2),
    ("beale", [1.0, 1.5], {"max_iter": 6, "lr": 0.01, "history_size": 3, "line_search_fn": SW}, 2),
    ("himmelblau", [-1.0, 4.0], {"max_iter": 8, "lr": 3.0, "line_search_fn": SW}, 2),
    ("rosenbrock", [-1.5, 2.0], {"max_iter": 8, "lr": 4.0, "tolerance_change": 1e-3, "line_search_fn": SW}, 2),
]


def main():
    cases = [run_case(torch.optim.LBFGS, "lbfgs", options, steps=steps) for options, steps in MLP]
    for surface, start, options, steps in SURFACES:
        cases.append(run_case(torch.optim.LBFGS, "lbfgs", options, problem="surface:" + surface, start=start,
                              steps=steps))
    write_fixture(cases, "kobai-core/src/test/resources/golden/lbfgs.json")


if __name__ == "__main__":
    main()
