"""Golden fixtures for convolution and pooling: PyTorch's outputs and gradients in float64.

Writes kobai-core/src/test/resources/golden/conv.json; rerun with /usr/bin/python3 (PyTorch 1.13):

    /usr/bin/python3 tools/golden_conv.py

Layout: {"torch": version, "cases": [case, ...]}, each case
  {"op": "conv2d" | "conv1d" | "max_pool2d" | "avg_pool2d" | "adaptive_avg_pool2d" | "unfold",
   "args": {torch's keyword arguments},
   "inputs": {"x": tensor, "weight": tensor, "bias": tensor (conv only; bias may be absent)},
   "grad_output": tensor, "output": tensor,
   "grads": {name: gradient of sum(output * grad_output) with respect to that input}}
where a tensor is {"shape": [...], "data": [row-major values]}.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)


def tensor_json(t):
    return {"shape": list(t.shape), "data": t.detach().flatten().tolist()}


def rand(*shape):
    return (torch.rand(*shape, dtype=torch.float64) * 2 - 1).requires_grad_(True)


def ramp(*shape):
    """Distinct values in random order, so max pooling has no ties."""
    n = 1
    for s in shape:
        n *= s
    values = (torch.randperm(n, dtype=torch.float64) * 0.1 - 0.05 * n).reshape(*shape)
    return values.requires_grad_(True)


def case(op, fn, inputs, args):
    out = fn(**inputs, **args)
    grad_output = torch.rand(out.shape, dtype=torch.float64) * 2 - 1
    names = [k for k, v in inputs.items() if v is not None]
    grads = torch.autograd.grad(out, [inputs[k] for k in names], grad_output)
    return {"op": op, "args": args,
            "inputs": {k: tensor_json(inputs[k]) for k in names},
            "grad_output": tensor_json(grad_output), "output": tensor_json(out),
            "grads": {k: tensor_json(g) for k, g in zip(names, grads)}}


def conv2d_cases():
    cases = []
    # (N, C, H, W, out, kernel, stride, padding, dilation, groups, bias)
    grid = [
        (2, 3, 7, 6, 4, 3, 1, 0, 1, 1, True),
        (2, 3, 7, 6, 4, 3, 2, 1, 1, 1, True),
        (1, 2, 8, 8, 3, 3, 1, 2, 2, 1, False),
        (2, 4, 6, 7, 6, 3, 1, 1, 1, 2, True),
        (1, 4, 5, 5, 4, 1, 1, 0, 1, 4, True),
        (2, 2, 9, 5, 3, (2, 3), (2, 1), (1, 0), (1, 2), 1, True),
        (1, 3, 6, 6, 2, 4, 3, 2, 1, 1, True),
        (2, 1, 28, 28, 4, 3, 1, 1, 1, 1, True),
        (1, 2, 6, 5, 3, 4, 1, "same", 1, 1, True),
        (1, 2, 7, 6, 2, 3, 1, "same", 2, 1, False),
        (1, 2, 5, 6, 2, 3, 1, "valid", 1, 1, True),
    ]
    for n, c, h, w, o, k, s, p, d, g, b in grid:
        kh, kw = (k, k) if isinstance(k, int) else k
        x = rand(n, c, h, w)
        weight = rand(o, c // g, kh, kw)
        bias = rand(o) if b else None
        args = {"stride": s, "padding": p, "dilation": d, "groups": g}
        cases.append(case("conv2d", lambda x, weight, bias=None, **a: F.conv2d(x, weight, bias, **a),
                          {"x": x, "weight": weight, "bias": bias}, args))
    for n, c, length, o, k, s, p, d, g in [(2, 3, 9, 4, 3, 1, 1, 1, 1), (1, 4, 10, 2, 2, 2, 0, 2, 2)]:
        x = rand(n, c, length)
        weight = rand(o, c // g, k)
        bias = rand(o)
        cases.append(case("conv1d", lambda x, weight, bias=None, **a: F.conv1d(x, weight, bias, **a),
                          {"x": x, "weight": weight, "bias": bias},
                          {"stride": s, "padding": p, "dilation": d, "groups": g}))
    return cases


def pool_cases():
    cases = []
    # (shape, kernel, stride, padding, dilation, ceil_mode)
    for shape, k, s, p, d, ceil in [((2, 3, 6, 6), 2, 2, 0, 1, False), ((1, 2, 5, 5), 2, 2, 0, 1, True),
                                    ((1, 2, 6, 7), 3, 2, 1, 1, True), ((1, 2, 7, 7), 3, 3, 1, 1, True),
                                    ((1, 1, 7, 6), 2, 1, 1, 2, False), ((2, 1, 5, 8), 3, 2, 1, 1, False)]:
        cases.append(case("max_pool2d", lambda x, **a: F.max_pool2d(x, **a), {"x": ramp(*shape)},
                          {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "ceil_mode": ceil}))
    for shape, k, s, p, ceil, include, divisor in [((2, 3, 6, 6), 2, 2, 0, False, True, None),
                                                   ((1, 2, 5, 5), 2, 2, 0, True, True, None),
                                                   ((1, 2, 6, 7), 3, 2, 1, True, True, None),
                                                   ((1, 2, 6, 7), 3, 2, 1, True, False, None),
                                                   ((1, 2, 7, 7), 3, 3, 1, False, False, None),
                                                   ((1, 1, 5, 5), 2, 1, 1, False, True, 3)]:
        cases.append(case("avg_pool2d", lambda x, **a: F.avg_pool2d(x, **a), {"x": rand(*shape)},
                          {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil,
                           "count_include_pad": include, "divisor_override": divisor}))
    for shape, size in [((2, 3, 5, 7), (3, 2)), ((2, 3, 4, 4), (1, 1)), ((1, 2, 7, 5), (4, 4)), ((1, 1, 3, 3), (5, 2))]:
        cases.append(case("adaptive_avg_pool2d", lambda x, **a: F.adaptive_avg_pool2d(x, **a), {"x": rand(*shape)},
                          {"output_size": list(size)}))
    return cases


def unfold_cases():
    cases = []
    for shape, k, s, p, d in [((2, 2, 5, 6), 2, 1, 1, 1), ((1, 3, 7, 6), (2, 3), (2, 1), (1, 0), (1, 2))]:
        cases.append(case("unfold", lambda x, **a: F.unfold(x, **a), {"x": rand(*shape)},
                          {"kernel_size": k, "dilation": d, "padding": p, "stride": s}))
    return cases


def main():
    fixture = {"torch": torch.__version__, "cases": conv2d_cases() + pool_cases() + unfold_cases()}
    path = os.path.join(os.path.dirname(__file__), "..", "kobai-core", "src", "test", "resources", "golden", "conv.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"wrote {len(fixture['cases'])} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
