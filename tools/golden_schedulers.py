#!/usr/bin/env python3
"""Golden learning rates of torch.optim.lr_scheduler, and clipped gradients of
torch.nn.utils.clip_grad_norm_ / clip_grad_value_, for kobai-core's tests.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/golden_schedulers.py

writes kobai-core/src/test/resources/golden/schedulers.json:
  {"torch": version,
   "cases": [{"label": text, "optimizer": "sgd" or "adam",
              "groups": [{options of group i}, ...]   (one parameter per group; the scheduler never sees gradients)
              and one of
                "scheduler": {"name": torch class name, "args": {keyword arguments}}
                "lambda": [name of a function per group]           (LambdaLR; the functions are in LAMBDAS)
                "sequential": {"schedulers": [{"name", "args"}...], "milestones": [...]}
                "chained": [{"name", "args"}, ...]                 (ChainedScheduler)
              "metrics": [value per step]     (ReduceLROnPlateau: step(metrics[k]))
              "epochs": [epoch per step]      (CosineAnnealingWarmRestarts stepped to fractional epochs)
              "lrs": [[lr of each group] after construction, then after each step],
              "momenta": same for momentum, or betas[0] for adam (OneCycleLR cases only)}],
   "clip": [{"kind": "norm" or "value", "max_norm", "norm_type" ("inf" for infinity), "clip_value",
             "grads": [flattened gradient or null per parameter], "total": returned norm,
             "clipped": [flattened gradient after clipping or null]}]}
All in float64. Each scheduler step follows an optimizer step (a no-op: no parameter has a gradient).
"""
import json
import math
import warnings

import torch
from torch.optim import lr_scheduler

STEPS = 30
OUT = "kobai-core/src/test/resources/golden/schedulers.json"

LAMBDAS = {
    "pow095": lambda e: 0.95 ** e,
    "inverse": lambda e: 1.0 / (e + 1),
    "pow09": lambda e: 0.9 ** e,
}

ONE = [{"lr": 0.1}]
TWO = [{"lr": 0.1}, {"lr": 0.02}]
SGD_M = [{"lr": 0.1, "momentum": 0.9}]
SGD_M2 = [{"lr": 0.1, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.5}]
ADAM = [{"lr": 0.001}]
ADAM2 = [{"lr": 0.001, "betas": [0.8, 0.99]}, {"lr": 0.002}]

PLATEAU_METRICS = [1.0, 0.9, 0.85, 0.85, 0.8501, 0.86, 0.849, 0.849, 0.849, 0.849,
                   0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.71, 0.72, 0.73,
                   0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
PLATEAU_MAX = [0.1, 0.2, 0.3, 0.305, 0.31, 0.31, 0.309, 0.5, 0.5, 0.5,
               0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6,
               0.6, 0.6, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]


def sched(name, args, groups=ONE, optimizer="sgd", **extra):
    case = {"label": name + " " + json.dumps(args), "optimizer": optimizer, "groups": groups,
            "scheduler": {"name": name, "args": args}}
    case.update(extra)
    return case


CASES = [
    sched("StepLR", {"step_size": 3}),
    sched("StepLR", {"step_size": 2, "gamma": 0.5}),
    sched("StepLR", {"step_size": 4, "gamma": 0.7}, TWO),
    sched("MultiStepLR", {"milestones": [2, 5, 8], "gamma": 0.5}),
    sched("MultiStepLR", {"milestones": [10, 3, 3]}),
    sched("MultiStepLR", {"milestones": [4, 12, 20], "gamma": 0.3}, TWO),
    sched("ExponentialLR", {"gamma": 0.9}),
    sched("ExponentialLR", {"gamma": 0.95}, TWO),
    sched("LinearLR", {}),
    sched("LinearLR", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 10}),
    sched("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 7}, TWO),
    sched("ConstantLR", {}),
    sched("ConstantLR", {"factor": 0.5, "total_iters": 3}, TWO),
    sched("ConstantLR", {"factor": 1.0, "total_iters": 2}),
    sched("PolynomialLR", {}),
    sched("PolynomialLR", {"total_iters": 10, "power": 2.0}),
    sched("PolynomialLR", {"total_iters": 20, "power": 0.5}, TWO),
    sched("CosineAnnealingLR", {"T_max": 10}),
    sched("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    sched("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}, TWO),
    sched("CosineAnnealingWarmRestarts", {"T_0": 5}),
    sched("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}),
    sched("CosineAnnealingWarmRestarts", {"T_0": 4}, TWO, epochs=[k * 0.3 for k in range(1, STEPS + 1)]),
    sched("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 3, "eta_min": 0.005}, TWO,
          epochs=[k * 0.5 for k in range(1, STEPS + 1)]),
    sched("OneCycleLR", {"max_lr": 0.1, "total_steps": 30}, SGD_M),
    sched("OneCycleLR", {"max_lr": 0.1, "total_steps": 30, "anneal_strategy": "linear"}, SGD_M),
    sched("OneCycleLR", {"max_lr": 0.1, "total_steps": 30, "three_phase": True}, SGD_M),
    sched("OneCycleLR", {"max_lr": 0.2, "total_steps": 30, "three_phase": True, "anneal_strategy": "linear",
                         "pct_start": 0.4, "div_factor": 10.0, "final_div_factor": 100.0}, SGD_M),
    sched("OneCycleLR", {"max_lr": 0.01, "epochs": 5, "steps_per_epoch": 6}, ADAM, "adam"),
    sched("OneCycleLR", {"max_lr": [0.1, 0.05], "total_steps": 31, "pct_start": 0.25,
                         "base_momentum": [0.8, 0.7], "max_momentum": [0.9, 0.95]}, SGD_M2),
    sched("OneCycleLR", {"max_lr": [0.01, 0.02], "total_steps": 30}, ADAM2, "adam"),
    sched("OneCycleLR", {"max_lr": 0.1, "total_steps": 30, "cycle_momentum": False}, ONE),
    sched("ReduceLROnPlateau", {"patience": 2}, metrics=PLATEAU_METRICS),
    sched("ReduceLROnPlateau", {"patience": 1, "factor": 0.5, "cooldown": 2, "threshold_mode": "abs",
                                "threshold": 0.01}, TWO, metrics=PLATEAU_METRICS),
    sched("ReduceLROnPlateau", {"mode": "max", "patience": 2, "factor": 0.3, "min_lr": [0.01, 0.0]}, TWO,
          metrics=PLATEAU_MAX),
    sched("ReduceLROnPlateau", {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 0,
                                "min_lr": 0.004, "eps": 1e-3}, ONE, metrics=PLATEAU_MAX),
    {"label": "LambdaLR pow095", "optimizer": "sgd", "groups": ONE, "lambda": ["pow095"]},
    {"label": "LambdaLR inverse/pow09", "optimizer": "sgd", "groups": TWO, "lambda": ["inverse", "pow09"]},
    {"label": "SequentialLR linear then cosine", "optimizer": "sgd", "groups": ONE,
     "sequential": {"schedulers": [{"name": "LinearLR", "args": {"start_factor": 0.1, "total_iters": 4}},
                                   {"name": "CosineAnnealingLR", "args": {"T_max": 10}}],
                    "milestones": [5]}},
    {"label": "SequentialLR constant, exponential, step", "optimizer": "sgd", "groups": TWO,
     "sequential": {"schedulers": [{"name": "ConstantLR", "args": {"factor": 0.5, "total_iters": 2}},
                                   {"name": "ExponentialLR", "args": {"gamma": 0.9}},
                                   {"name": "StepLR", "args": {"step_size": 3, "gamma": 0.5}}],
                    "milestones": [3, 10]}},
    # Edges (issue 19): boundaries met exactly, and schedulers with a closed form as a later part of a
    # SequentialLR, which torch starts with step(0) through that closed form.
    sched("CosineAnnealingLR", {"T_max": 1}),
    sched("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.02}, TWO),
    sched("OneCycleLR", {"max_lr": 0.1, "total_steps": 30, "pct_start": 0.0}, SGD_M),
    sched("OneCycleLR", {"max_lr": 0.1, "total_steps": 31, "pct_start": 1.0}, SGD_M),
    sched("OneCycleLR", {"max_lr": 0.1, "total_steps": 31, "pct_start": 1.0, "three_phase": True}, SGD_M),
    sched("ReduceLROnPlateau", {"patience": 0, "factor": 0.5, "threshold_mode": "abs", "threshold": 0.25},
          metrics=[1.0, 0.75, 0.5, 0.2499] + [0.2499] * (STEPS - 4)),
    sched("ReduceLROnPlateau", {"patience": 0, "factor": 0.5, "threshold": 0.5},
          metrics=[1.0, 0.5, 0.49, 0.245] + [0.1225] * (STEPS - 4)),
    sched("ReduceLROnPlateau", {"mode": "max", "patience": 1, "factor": 0.5, "threshold_mode": "abs",
                                "threshold": 0.5}, metrics=[1.0, 1.5, 2.0, 2.5001] + [3.0] * (STEPS - 4)),
    {"label": "SequentialLR constant then step", "optimizer": "sgd", "groups": TWO,
     "sequential": {"schedulers": [{"name": "ConstantLR", "args": {"factor": 0.25, "total_iters": 3}},
                                   {"name": "StepLR", "args": {"step_size": 2, "gamma": 0.5}}],
                    "milestones": [4]}},
    {"label": "SequentialLR linear then multistep, polynomial", "optimizer": "sgd", "groups": ONE,
     "sequential": {"schedulers": [{"name": "LinearLR", "args": {"start_factor": 0.5, "total_iters": 2}},
                                   {"name": "MultiStepLR", "args": {"milestones": [2, 4], "gamma": 0.5}},
                                   {"name": "PolynomialLR", "args": {"total_iters": 6, "power": 2.0}}],
                    "milestones": [3, 9]}},
    {"label": "SequentialLR step then exponential then linear", "optimizer": "sgd", "groups": ONE,
     "sequential": {"schedulers": [{"name": "StepLR", "args": {"step_size": 1, "gamma": 0.9}},
                                   {"name": "ExponentialLR", "args": {"gamma": 0.8}},
                                   {"name": "LinearLR", "args": {"start_factor": 0.5, "total_iters": 3}}],
                    "milestones": [2, 5]}},
    {"label": "SequentialLR step then constant, repeated multistep", "optimizer": "sgd", "groups": TWO,
     "sequential": {"schedulers": [{"name": "StepLR", "args": {"step_size": 2, "gamma": 0.5}},
                                   {"name": "ConstantLR", "args": {"factor": 0.3, "total_iters": 4}},
                                   {"name": "MultiStepLR", "args": {"milestones": [2, 2, 5], "gamma": 0.5}}],
                    "milestones": [3, 8]}},
    # A closed form that differs from the lr the previous part left (eta_min > 0, and a cosine with
    # restarts, whose step(0) restarts its period).
    {"label": "SequentialLR constant then cosine with eta_min", "optimizer": "sgd", "groups": TWO,
     "sequential": {"schedulers": [{"name": "ConstantLR", "args": {"factor": 0.5, "total_iters": 3}},
                                   {"name": "CosineAnnealingLR", "args": {"T_max": 5, "eta_min": 0.01}}],
                    "milestones": [2]}},
    {"label": "SequentialLR step then warm restarts", "optimizer": "sgd", "groups": ONE,
     "sequential": {"schedulers": [{"name": "StepLR", "args": {"step_size": 1, "gamma": 0.5}},
                                   {"name": "CosineAnnealingWarmRestarts",
                                    "args": {"T_0": 3, "T_mult": 2, "eta_min": 0.01}}],
                    "milestones": [3]}},
    {"label": "ChainedScheduler constant and exponential", "optimizer": "sgd", "groups": TWO,
     "chained": [{"name": "ConstantLR", "args": {"factor": 0.5, "total_iters": 4}},
                 {"name": "ExponentialLR", "args": {"gamma": 0.9}}]},
    {"label": "ChainedScheduler linear warm-up and cosine", "optimizer": "sgd", "groups": ONE,
     "chained": [{"name": "LinearLR", "args": {"start_factor": 0.2, "total_iters": 5}},
                 {"name": "CosineAnnealingLR", "args": {"T_max": 12, "eta_min": 0.001}}]},
]


def make_optimizer(kind, groups):
    torch_groups = []
    for g in groups:
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in g.items()}
        torch_groups.append(dict(params=[torch.zeros(1, dtype=torch.float64, requires_grad=True)], **options))
    if kind == "adam":
        return torch.optim.Adam(torch_groups)
    return torch.optim.SGD(torch_groups, lr=0.1)


def build(spec, opt):
    return getattr(lr_scheduler, spec["name"])(opt, **spec["args"])


def momenta(opt, kind):
    return [g["betas"][0] if kind == "adam" else g["momentum"] for g in opt.param_groups]


def run(case):
    opt = make_optimizer(case["optimizer"], case["groups"])
    if "scheduler" in case:
        s = build(case["scheduler"], opt)
    elif "lambda" in case:
        fns = [LAMBDAS[n] for n in case["lambda"]]
        s = lr_scheduler.LambdaLR(opt, fns if len(fns) > 1 else fns[0])
    elif "sequential" in case:
        children = [build(c, opt) for c in case["sequential"]["schedulers"]]
        s = lr_scheduler.SequentialLR(opt, children, case["sequential"]["milestones"])
    else:
        s = lr_scheduler.ChainedScheduler([build(c, opt) for c in case["chained"]])
    track_momentum = case.get("scheduler", {}).get("name") == "OneCycleLR" and \
        case["scheduler"]["args"].get("cycle_momentum", True)
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [momenta(opt, case["optimizer"])] if track_momentum else None
    for k in range(STEPS):
        opt.step()
        if "metrics" in case:
            s.step(case["metrics"][k])
        elif "epochs" in case:
            s.step(case["epochs"][k])
        else:
            s.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        if moms is not None:
            moms.append(momenta(opt, case["optimizer"]))
    case = dict(case)
    case["lrs"] = lrs
    if moms is not None:
        case["momenta"] = moms
    return case


CLIP_SHAPES = [(3, 4), (3,), (2,), (5,)]


def clip_cases():
    gen = torch.Generator().manual_seed(7)
    grads = [torch.randn(*s, dtype=torch.float64, generator=gen) for s in CLIP_SHAPES]
    grads[3] = None  # a parameter without a gradient is skipped
    out = []
    for kind, arg, norm_type in [("norm", 1.0, 2.0), ("norm", 100.0, 2.0), ("norm", 0.5, 1.0),
                                 ("norm", 0.3, math.inf), ("norm", 2.0, 3.0), ("norm", 1.5, 0.5),
                                 ("value", 0.5, None), ("value", 2.0, None)]:
        params = []
        for s, g in zip(CLIP_SHAPES, grads):
            p = torch.zeros(*s, dtype=torch.float64, requires_grad=True)
            p.grad = None if g is None else g.clone()
            params.append(p)
        case = {"kind": kind, "grads": [None if g is None else g.flatten().tolist() for g in grads]}
        if kind == "norm":
            total = torch.nn.utils.clip_grad_norm_(params, arg, norm_type)
            case.update({"max_norm": arg, "norm_type": "inf" if norm_type == math.inf else norm_type,
                         "total": float(total)})
        else:
            torch.nn.utils.clip_grad_value_(params, arg)
            case["clip_value"] = arg
        case["clipped"] = [None if p.grad is None else p.grad.flatten().tolist() for p in params]
        out.append(case)
    return out


def main():
    warnings.simplefilter("ignore")
    torch.set_default_dtype(torch.float64)
    out = {"torch": torch.__version__, "cases": [run(c) for c in CASES], "clip": clip_cases()}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", OUT, len(out["cases"]), "scheduler cases,", len(out["clip"]), "clipping cases")


if __name__ == "__main__":
    main()
