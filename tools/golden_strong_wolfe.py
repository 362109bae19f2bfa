#!/usr/bin/env python3
"""Golden results of torch.optim.lbfgs._strong_wolfe (float64), the line search behind
LBFGS(line_search_fn="strong_wolfe"), called directly, for kobai-core's StrongWolfeGoldenTest.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/golden_strong_wolfe.py

writes kobai-core/src/test/resources/golden/strong_wolfe.json:
  {"torch": version,
   "cases": [{"surface": name (tools/golden_common.py's SURFACES) or "function": name (FUNCTIONS below),
              "x": [2 floats, or 1 for a function], "d": [the same],
              "t": first trial, "c1", "c2", "tolerance_change", "max_ls",
              "trials": [every t the objective was evaluated at, in order],
              "loss", "grad": [2 floats], "step": the t returned, "evaluations"}]}

An L-BFGS step rarely reaches the search's last resorts (max_ls trials, or a zoom whose trials keep
landing near one end of the bracket), so the cases call it with small max_ls, a strict c2 (0.1),
tiny and large first trials, and directions that are not the steepest descent. The objective is
f(x + t d) on a two-dimensional surface, with x + t d computed element by element. The surfaces'
smooth valleys never move a zoom's trial away from the bracket's end (its last resort when the
interpolation keeps landing there), so a second family searches along one-dimensional functions
that a cubic fits badly (a double well, a wall where the slope jumps, a sextic), written in plain
float arithmetic so that the test can repeat it operation for operation.
"""
import json
import os
import sys

import torch
from torch.optim.lbfgs import _strong_wolfe

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import SURFACES  # noqa: E402

OUT = "kobai-core/src/test/resources/golden/strong_wolfe.json"

STARTS = {
    "rosenbrock": [-1.5, 2.0],
    "beale": [1.0, 1.5],
    "himmelblau": [0.0, 0.0],
    "long-valley": [3.0, 1.0],
}
# Directions from the negative gradient: itself, scaled down, and turned by 60 degrees (still descending).
TURNS = [(1.0, 0.0), (0.01, 0.0), (1.0, 60.0)]
FIRST = [1e-3, 0.1, 1.0, 8.0]
MAX_LS = [1, 2, 3, 25]
C2 = [0.9, 0.1]
TOLERANCE = [1e-9, 1e-2]


FUNCTIONS = {
    "well": (lambda x: x * x * x * x - 3 * x * x + x, lambda x: 4 * x * x * x - 6 * x + 1),
    "wall": (lambda x: x * x + (50 * (x - 1) * (x - 1) if x > 1 else 0.0),
             lambda x: 2 * x + (100 * (x - 1) if x > 1 else 0.0)),
    "sextic": (lambda x: x * x * x * x * x * x - 2 * x * x + 0.5 * x, lambda x: 6 * x * x * x * x * x - 4 * x + 0.5),
}
FUNCTION_STARTS = [-2.0, -0.3, 0.5, 1.7]
FUNCTION_SCALES = [1.0, 0.1]
FUNCTION_FIRST = [1e-3, 0.1, 1.0, 5.0]
FUNCTION_C2 = [0.9, 0.1, 0.01]


def function_case(name, x0, scale, t, c2):
    f, df = FUNCTIONS[name]
    g0 = df(x0)
    d = -scale * g0
    trials = []

    def obj(x, step, dd):
        trials.append(float(step))
        xx = float(x[0]) + step * float(dd[0])
        return f(xx), torch.tensor([df(xx)], dtype=torch.float64)

    f_new, g_new, step, evals = _strong_wolfe(obj, torch.tensor([x0], dtype=torch.float64), t,
                                              torch.tensor([d], dtype=torch.float64), f(x0),
                                              torch.tensor([g0], dtype=torch.float64), g0 * d, c1=1e-4, c2=c2,
                                              tolerance_change=1e-9, max_ls=25)
    return {"function": name, "x": [x0], "d": [d], "t": t, "c1": 1e-4, "c2": c2, "tolerance_change": 1e-9,
            "max_ls": 25, "trials": trials, "loss": float(f_new), "grad": g_new.tolist(), "step": float(step),
            "evaluations": evals}


def point(surface, x):
    x = x.clone().requires_grad_(True)
    f = SURFACES[surface](x[0], x[1])
    f.backward()
    return float(f), x.grad.clone()


def direction(g, scale, degrees):
    a = torch.tensor(degrees, dtype=torch.float64).deg2rad()
    c, s = torch.cos(a), torch.sin(a)
    d = -scale * g
    return torch.stack([c * d[0] - s * d[1], s * d[0] + c * d[1]])


def case(surface, scale, degrees, t, max_ls, c2, tolerance):
    x = torch.tensor(STARTS[surface], dtype=torch.float64)
    f, g = point(surface, x)
    d = direction(g, scale, degrees)
    gtd = float(g.dot(d))
    assert gtd < 0
    trials = []

    def obj(x0, step, dd):
        trials.append(float(step))
        return point(surface, x0 + step * dd)

    f_new, g_new, step, evals = _strong_wolfe(obj, x, t, d, f, g, gtd, c1=1e-4, c2=c2,
                                              tolerance_change=tolerance, max_ls=max_ls)
    return {"surface": surface, "x": x.tolist(), "d": d.tolist(), "t": t, "c1": 1e-4, "c2": c2,
            "tolerance_change": tolerance, "max_ls": max_ls, "trials": trials, "loss": float(f_new),
            "grad": g_new.tolist(), "step": float(step), "evaluations": evals}


def main():
    cases = [case(s, scale, deg, t, m, c2, tol)
             for s in STARTS for scale, deg in TURNS for t in FIRST for m in MAX_LS for c2 in C2
             for tol in TOLERANCE]
    cases += [function_case(name, x0, scale, t, c2)
              for name in FUNCTIONS for x0 in FUNCTION_STARTS for scale in FUNCTION_SCALES
              for t in FUNCTION_FIRST for c2 in FUNCTION_C2]
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(len(cases), "cases,", sum(len(c["trials"]) for c in cases), "trials")


if __name__ == "__main__":
    main()
