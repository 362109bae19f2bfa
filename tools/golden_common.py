"""Shared by the golden-trajectory scripts: the problems and the fixture layout.

A fixture is one JSON object:
  {"torch": version,
   "mlp": {"x": [5*4 floats], "y": [5 ints], "init": [w1 (3x4), b1 (3), w2 (2x3), b2 (2)] flattened},
   "cases": [{"optimizer": "adam", "options": {...}, "problem": "mlp" or "surface:NAME",
              "start": [x, y] (surfaces only), "groups": [{"params": [indices], "options": {...}}] (optional),
              "steps": [[parameters flattened after step k] ...], "losses": [loss before step k] ...}]}

Option values: numbers, booleans, strings, and tuples (betas, etas, step_sizes) as two-element lists.
Every step is taken with a closure that zeroes the gradients, computes the loss and backpropagates,
so losses[k] is the loss the closure returned at step k+1 (for LBFGS, its first evaluation).
All in float64. The network loss is cross_entropy(W2 tanh(W1 x + b1) + b2, y).
"""
import json

import torch

SURFACES = {
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2,
    "himmelblau": lambda x, y: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "saddle": lambda x, y: x ** 2 - y ** 2,
    "long-valley": lambda x, y: 0.5 * (x ** 2 + 100 * y ** 2),
}


def mlp_problem():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 4, dtype=torch.float64, generator=gen)
    y = torch.tensor([0, 1, 1, 0, 1])
    init = [torch.randn(3, 4, dtype=torch.float64, generator=gen) * 0.5,
            torch.randn(3, dtype=torch.float64, generator=gen) * 0.5,
            torch.randn(2, 3, dtype=torch.float64, generator=gen) * 0.5,
            torch.randn(2, dtype=torch.float64, generator=gen) * 0.5]
    return x, y, init


def _torch_options(options):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


def run_case(optimizer_cls, name, options, problem="mlp", steps=8, groups=None, start=None):
    """Runs one optimizer configuration and returns its fixture entry."""
    if problem == "mlp":
        x, y, init = mlp_problem()
        params = [p.clone().requires_grad_(True) for p in init]

        def loss_fn():
            w1, b1, w2, b2 = params
            return torch.nn.functional.cross_entropy(torch.tanh(x @ w1.T + b1) @ w2.T + b2, y)
    else:
        f = SURFACES[problem.split(":", 1)[1]]
        params = [torch.tensor(start, dtype=torch.float64, requires_grad=True)]

        def loss_fn():
            return f(params[0][0], params[0][1])
    if groups:
        torch_groups = [dict(params=[params[i] for i in g["params"]], **_torch_options(g["options"])) for g in groups]
        opt = optimizer_cls(torch_groups, **_torch_options(options))
    else:
        opt = optimizer_cls(params, **_torch_options(options))
    losses, trajectory = [], []
    for _ in range(steps):
        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        losses.append(float(opt.step(closure)))
        trajectory.append(torch.cat([p.detach().flatten() for p in params]).tolist())
    case = {"optimizer": name, "options": options, "problem": problem, "steps": trajectory, "losses": losses}
    if groups:
        case["groups"] = groups
    if start is not None:
        case["start"] = list(start)
    return case


def write_fixture(cases, path):
    x, y, init = mlp_problem()
    out = {"torch": torch.__version__,
           "mlp": {"x": x.flatten().tolist(), "y": y.tolist(), "init": [p.flatten().tolist() for p in init]},
           "cases": cases}
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
