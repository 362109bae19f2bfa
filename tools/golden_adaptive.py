#!/usr/bin/env python3
"""Golden trajectories of torch.optim's adaptive methods (Adagrad, Adadelta, RMSprop, ASGD, Rprop)
in float64, for kobai-core's tests.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tools/golden_adaptive.py

writes kobai-core/src/test/resources/golden/adaptive.json (layout in tools/golden_common.py).

The default dtype is set to float64 so that the scalars torch.optim.ASGD keeps as tensors (eta and
mu, created with torch.tensor(float)) are float64 too; under the float32 default torch would round
them to float32 and the trajectories would not be float64 trajectories.

Each ASGD network case also records the averaged parameters (its "ax" state, flattened in
parameter order) after the last step, under "ax": the parameters alone never show the average.

Beside the cases the fixture holds, from the same torch: "defaults" (each optimizer's defaults),
"invalid" (options torch refuses, with its exact ValueError message) and "accepted" (odd options
torch 1.13 lets through), so the tests check Kobai against torch rather than against a copy.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import run_case, write_fixture  # noqa: E402

OUT = "kobai-core/src/test/resources/golden/adaptive.json"

# name -> (class, network configurations, steps, surface configuration)
OPTIMIZERS = {
    "adagrad": (torch.optim.Adagrad, [
        {},
        {"lr": 0.1},
        {"lr_decay": 0.05},
        {"weight_decay": 0.1},
        {"initial_accumulator_value": 0.5},
        {"eps": 1e-3},
        {"maximize": True},
        {"lr": 0.2, "lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-6},
        {"lr": 0.05, "initial_accumulator_value": 1.0, "maximize": True},
    ], 10, {"lr": 0.1}),
    "adadelta": (torch.optim.Adadelta, [
        {},
        {"lr": 0.5},
        {"rho": 0.5},
        {"eps": 1e-3},
        {"weight_decay": 0.1},
        {"maximize": True},
        {"rho": 1.0},
        {"lr": 2.0, "rho": 0.95, "eps": 1e-4, "weight_decay": 0.05},
        {"lr": 0.7, "rho": 0.8, "maximize": True},
    ], 10, {"lr": 1.0, "rho": 0.9}),
    "rmsprop": (torch.optim.RMSprop, [
        {},
        {"lr": 0.001},
        {"alpha": 0.9},
        {"eps": 1e-3},
        {"weight_decay": 0.1},
        {"momentum": 0.9},
        {"centered": True},
        {"maximize": True},
        {"lr": 0.005, "alpha": 0.95, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
        {"lr": 0.02, "momentum": 0.8, "eps": 1e-6, "maximize": True},
    ], 10, {"lr": 0.01, "momentum": 0.5}),
    "asgd": (torch.optim.ASGD, [
        {},
        {"lr": 0.1},
        {"lambd": 0.01},
        {"alpha": 0.5},
        {"t0": 3},
        {"lambd": 0.05, "alpha": 0.3},
        {"weight_decay": 0.1},
        {"maximize": True},
        {"lr": 0.3, "lambd": 0.05, "alpha": 0.9, "t0": 2, "weight_decay": 0.02},
        {"lr": 0.2, "t0": 0, "maximize": True},
    ], 10, {"lr": 1e-3, "lambd": 1e-3, "t0": 5}),
    "rprop": (torch.optim.Rprop, [
        {},
        {"lr": 0.1},
        {"etas": [0.3, 1.5]},
        {"step_sizes": [1e-3, 0.05]},
        {"maximize": True},
        {"lr": 0.05, "etas": [0.6, 1.1], "step_sizes": [0.01, 0.2]},
        {"lr": 0.02, "etas": [0.4, 2.0], "step_sizes": [1e-4, 0.1], "maximize": True},
    ], 12, {"lr": 1e-3}),
}

TWO_GROUPS = {
    "adagrad": [{"params": [0, 1], "options": {"lr": 0.05, "lr_decay": 0.1}},
                {"params": [2, 3], "options": {"eps": 1e-4, "weight_decay": 0.1}}],
    "adadelta": [{"params": [0, 1], "options": {"rho": 0.5}},
                 {"params": [2, 3], "options": {"lr": 0.3, "weight_decay": 0.1}}],
    "rmsprop": [{"params": [0, 1], "options": {"momentum": 0.9}},
                {"params": [2, 3], "options": {"centered": True, "alpha": 0.9}}],
    "asgd": [{"params": [0, 1], "options": {"t0": 2, "lr": 0.2}},
             {"params": [2, 3], "options": {"lambd": 0.1, "weight_decay": 0.1}}],
    "rprop": [{"params": [0, 1], "options": {"etas": [0.3, 1.5]}},
              {"params": [2, 3], "options": {"lr": 0.05, "step_sizes": [1e-3, 0.1]}}],
}
# Options given to the constructor for the grouped cases. torch 1.13's Adagrad fills every group's
# accumulator from the constructor's initial_accumulator_value, ignoring a group's own value (Kobai
# uses the group's), so that option is only ever set here, never inside a group.
GROUP_DEFAULTS = {"adagrad": {"initial_accumulator_value": 0.2}}
# A second grouping of the same parameters, split differently and with other options.
OTHER_GROUPS = {
    "adagrad": [{"params": [0, 2], "options": {"eps": 1e-4}}, {"params": [1, 3], "options": {"maximize": True}}],
    "adadelta": [{"params": [0, 2], "options": {"eps": 1e-3}}, {"params": [1, 3], "options": {"lr": 2.0}}],
    "rmsprop": [{"params": [0, 2], "options": {"weight_decay": 0.2}}, {"params": [1, 3], "options": {"lr": 0.001}}],
    "asgd": [{"params": [0, 2], "options": {"alpha": 0.5, "t0": 1}}, {"params": [1, 3], "options": {"maximize": True}}],
    "rprop": [{"params": [0, 2], "options": {"maximize": True}}, {"params": [1, 3], "options": {"lr": 0.2}}],
}
# Values chosen so that Python's and Java's number formatting agree (-0.5, not -1e-08).
INVALID = [
    ("adagrad", {"lr": -0.5}), ("adagrad", {"lr_decay": -0.5}), ("adagrad", {"weight_decay": -0.5}),
    ("adagrad", {"initial_accumulator_value": -0.5}), ("adagrad", {"eps": -0.5}),
    ("adadelta", {"lr": -0.5}), ("adadelta", {"rho": 1.5}), ("adadelta", {"rho": -0.1}),
    ("adadelta", {"eps": -0.5}), ("adadelta", {"weight_decay": -0.5}),
    ("rmsprop", {"lr": -0.5}), ("rmsprop", {"eps": -0.5}), ("rmsprop", {"momentum": -0.5}),
    ("rmsprop", {"weight_decay": -0.5}), ("rmsprop", {"alpha": -0.5}),
    ("rmsprop", {"lr": -0.5, "alpha": -0.5}),
    ("asgd", {"lr": -0.5}), ("asgd", {"weight_decay": -0.5}),
    ("rprop", {"lr": -0.5}), ("rprop", {"etas": [1.5, 1.2]}), ("rprop", {"etas": [0.5, 0.9]}),
    ("rprop", {"etas": [0.0, 1.2]}), ("rprop", {"etas": [0.5, 1.0]}),
]
ACCEPTED = [
    ("adadelta", {"rho": 1.0}), ("adadelta", {"rho": 0.0}), ("rmsprop", {"alpha": 1.2}),
    ("asgd", {"lambd": -0.5, "alpha": -1.0, "t0": -3.0}), ("rprop", {"step_sizes": [2.0, 1.0]}),
    ("adagrad", {"lr": 0.0, "eps": 0.0}),
]
SURFACES = (("rosenbrock", [-1.5, 2.0]), ("beale", [1.0, 1.5]), ("saddle", [1.0, 1e-3]))
SURFACE_STEPS = 25


class RecordingASGD(torch.optim.ASGD):
    """torch.optim.ASGD that remembers the last instance, so its ax state can be read after a run."""
    last = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingASGD.last = self


def averaged(opt, groups=None):
    """ASGD's ax of every parameter, flattened in the problem's parameter order (not group order)."""
    if groups:
        by_index = {}
        for spec, group in zip(groups, opt.param_groups):
            by_index.update(zip(spec["params"], group["params"]))
        params = [by_index[i] for i in sorted(by_index)]
    else:
        params = opt.param_groups[0]["params"]
    return torch.cat([opt.state[p]["ax"].flatten() for p in params]).tolist()


def torch_options(options):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


def torch_defaults(cls):
    """The defaults torch fills in, without its implementation switches (foreach, differentiable)."""
    defaults = cls([torch.zeros(2, requires_grad=True)]).defaults
    return {k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()
            if k not in ("foreach", "differentiable")}


def main():
    torch.set_default_dtype(torch.float64)
    cases = []
    for name, (cls, configs, steps, surface_options) in OPTIMIZERS.items():
        run_cls = RecordingASGD if name == "asgd" else cls
        for cfg in configs:
            case = run_case(run_cls, name, cfg, steps=steps)
            if name == "asgd":
                case["ax"] = averaged(RecordingASGD.last)
            cases.append(case)
        for groups in (TWO_GROUPS[name], OTHER_GROUPS[name]):
            case = run_case(run_cls, name, GROUP_DEFAULTS.get(name, {}), steps=steps, groups=groups)
            if name == "asgd":
                case["ax"] = averaged(RecordingASGD.last, groups)
            cases.append(case)
        for surface, start in SURFACES:
            cases.append(run_case(cls, name, surface_options, problem="surface:" + surface, start=start,
                                  steps=SURFACE_STEPS))
    write_fixture(cases, OUT)
    with open(OUT) as f:
        fixture = json.load(f)
    fixture["defaults"] = {name: torch_defaults(cls) for name, (cls, *_rest) in OPTIMIZERS.items()}
    fixture["invalid"] = []
    for name, options in INVALID:
        try:
            OPTIMIZERS[name][0]([torch.zeros(2, requires_grad=True)], **torch_options(options))
        except ValueError as e:
            fixture["invalid"].append({"optimizer": name, "options": options, "message": str(e)})
        else:
            raise SystemExit("torch accepted %s %s" % (name, options))
    for name, options in ACCEPTED:
        OPTIMIZERS[name][0]([torch.zeros(2, requires_grad=True)], **torch_options(options))
    fixture["accepted"] = [{"optimizer": name, "options": options} for name, options in ACCEPTED]
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    counts = {}
    for c in cases:
        key = (c["optimizer"], c["problem"] == "mlp")
        counts[key] = counts.get(key, 0) + 1
    for (name, mlp), n in sorted(counts.items()):
        print(name, "mlp" if mlp else "surface", n)


if __name__ == "__main__":
    main()
