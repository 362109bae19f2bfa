"""Reference for K-FAC on convolutions (KFC, Grosse and Martens 2016): factors and steps in float64.

Writes kobai-core/src/test/resources/golden/kfac_conv.json; rerun with /usr/bin/python3 (PyTorch 1.13):

    /usr/bin/python3 tools/reference_kfac_conv.py

Computed from the definitions with torch ops, not from Kobai's algorithm: patches by F.unfold, one
per-example gradient per output position by autograd, the true Fisher's expectation as an explicit
sum over classes, inverses by torch.linalg.

The network (torch.nn.Sequential, so parameter names match Kobai's layer-list models):
  0 Conv2d(2, 3, 3, padding=1)                      -- preconditioned
  1 ChannelScale(3): x * s[c]                      -- a parameter K-FAC does not precondition
  2 Tanh
  3 Residual: h + tanh(conv(h)), conv = Conv2d(3, 3, 3, padding=1, bias=False)  -- nested, preconditioned
  4 Conv2d(3, 4, (2, 3), stride=2, padding=(1, 2), dilation=(1, 2), bias=False)  -- preconditioned
  5 Tanh, 6 Flatten
  7 Linear(48, 3)                                  -- preconditioned
on x [5, 2, 6, 6] with cross-entropy on labels.

For a layer with weight W [O, C, kh, kw] (a Linear's [O, in]: kh = kw = 1, |T| = 1), over a batch of N:
  A = 1/(N |T|) sum_n sum_t p_nt p_nt^T     p_nt = [patch of example n at position t; 1]
  G = 1/N       sum_n sum_t E[g_nt g_nt^T]  g_nt = d(-log p(y | x_n)) / d s_nt, the output at t
with y from the data (fisher=empirical) or the expectation over y ~ p(y | x_n) (fisher=true). Then
F_W ~ |T| Abar (x) Gbar (Abar, Gbar the means over examples and positions) = A (x) G.

A step (the first estimate taken as is, then moving averages with factor_decay; inverses refreshed
every step):
  V = [dW | db] of the mean loss (W as [O, C kh kw]);  D = G^-1 V A^-1, damped as damping_mode says
  nu = min(1, sqrt(kl_clip / (lr^2 sum_layers <V, D>)))
  buf = momentum buf + nu D  (layers);  buf = momentum buf + grad  (the other parameters)
  p -= lr buf

Layout: {"torch": version, "x": tensor, "labels": [...], "init": {name: tensor},
         "layers": [{"name", "kind": "conv" | "linear"}],
         "cases": [{"options": {...}, "steps": [{"loss", "nu", "factor_A": [tensor per layer],
                    "factor_G": [...], "params": {name: tensor}}]}]}
with a tensor as {"shape": [...], "data": [row-major values]}.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
DT = torch.float64


def tensor_json(t):
    return {"shape": list(t.shape), "data": t.detach().flatten().tolist()}


class ChannelScale(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(c, dtype=DT) + 0.5)

    def forward(self, x):
        return x * self.weight.view(1, -1, 1, 1)


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False).to(DT)

    def forward(self, h):
        return h + torch.tanh(self.conv(h))


def model():
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1).to(DT),
        ChannelScale(3),
        nn.Tanh(),
        Residual(3),
        nn.Conv2d(3, 4, (2, 3), stride=2, padding=(1, 2), dilation=(1, 2), bias=False).to(DT),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(48, 3).to(DT),
    )


def layers_of(m):
    return [(name, mod) for name, mod in m.named_modules() if isinstance(mod, (nn.Conv2d, nn.Linear))]


def forward_captured(m, x):
    layers = layers_of(m)
    seen = {}
    handles = [mod.register_forward_hook(lambda mod, inp, out, name=name: seen.__setitem__(name, (inp[0], out)))
               for name, mod in layers]
    z = m(x)
    for h in handles:
        h.remove()
    return z, [seen[name] for name, _ in layers]


def rows_of(mod, inp):
    """The layer's input rows with a 1 appended for the bias: patches for a convolution."""
    if isinstance(mod, nn.Conv2d):
        p = F.unfold(inp, mod.kernel_size, dilation=mod.dilation, padding=mod.padding, stride=mod.stride)
        rows = p.transpose(1, 2).reshape(-1, p.shape[1])  # [N |T|, C kh kw]
    else:
        rows = inp
    if mod.bias is not None:
        rows = torch.cat([rows, torch.ones(rows.shape[0], 1, dtype=DT)], dim=1)
    return rows


def position_outer(d):
    """sum over examples and positions of d d^T for d [N, O, ...]."""
    n, o = d.shape[0], d.shape[1]
    d = d.reshape(n, o, -1)
    return torch.einsum("nol,nql->oq", d, d)


def factors(m, x, labels, fisher):
    z, captured = forward_captured(m, x)
    n = x.shape[0]
    layers = layers_of(m)
    a = []
    for (name, mod), (inp, _) in zip(layers, captured):
        rows = rows_of(mod, inp.detach())
        a.append(rows.T @ rows / rows.shape[0])
    outs = [out for _, out in captured]
    logp = F.log_softmax(z, dim=1)
    if fisher == "empirical":
        # per-example gradients: example n's loss depends only on example n's outputs
        nll = -logp[torch.arange(n), labels].sum()
        ds = torch.autograd.grad(nll, outs, retain_graph=True)
        g = [position_outer(d) / n for d in ds]
    else:
        p = logp.exp().detach()
        g = [torch.zeros(out.shape[1], out.shape[1], dtype=DT) for out in outs]
        for c in range(z.shape[1]):
            ds = torch.autograd.grad(-logp[:, c].sum(), outs, retain_graph=True)
            for i, d in enumerate(ds):
                w = p[:, c].sqrt().view(-1, *([1] * (d.dim() - 1)))
                g[i] += position_outer(d * w) / n
    return a, g


def preconditioned(a, g, v, damping, mode):
    if mode == "factored":
        pi = torch.sqrt((torch.trace(a) / a.shape[0]) / (torch.trace(g) / g.shape[0]))
        root = damping ** 0.5
        ai = torch.linalg.inv(a + pi * root * torch.eye(a.shape[0], dtype=DT))
        gi = torch.linalg.inv(g + root / pi * torch.eye(g.shape[0], dtype=DT))
        return gi @ v @ ai
    la, qa = torch.linalg.eigh(a)
    lg, qg = torch.linalg.eigh(g)
    return qg @ ((qg.T @ v @ qa) / (lg[:, None] * la[None, :] + damping)) @ qa.T


def run(init, x, labels, options, steps):
    m = model()
    m.load_state_dict(init)
    params = dict(m.named_parameters())
    layers = layers_of(m)
    layer_params = {id(mod.weight) for _, mod in layers} | {id(mod.bias) for _, mod in layers if mod.bias is not None}
    plain = [name for name, p in params.items() if id(p) not in layer_params]
    avg_a, avg_g = None, None
    buf = {name: torch.zeros_like(p) for name, p in params.items()}
    lr, decay, mom = options["lr"], options["factor_decay"], options["momentum"]
    out = []
    for _ in range(steps):
        a, g = factors(m, x, labels, options["fisher"])
        if avg_a is None:
            avg_a, avg_g = a, g
        else:
            avg_a = [decay * o + (1 - decay) * f for o, f in zip(avg_a, a)]
            avg_g = [decay * o + (1 - decay) * f for o, f in zip(avg_g, g)]
        loss = F.cross_entropy(m(x), labels)
        grads = dict(zip(params, torch.autograd.grad(loss, list(params.values()))))
        updates = {}
        vg = 0.0
        for i, (name, mod) in enumerate(layers):
            prefix = name + "." if name else ""
            gw = grads[prefix + "weight"].reshape(mod.weight.shape[0], -1)
            v = torch.cat([gw, grads[prefix + "bias"][:, None]], dim=1) if mod.bias is not None else gw
            d = preconditioned(avg_a[i], avg_g[i], v, options["damping"], options["damping_mode"])
            vg += float((v * d).sum())
            updates[prefix + "weight"] = d[:, :gw.shape[1]].reshape(mod.weight.shape)
            if mod.bias is not None:
                updates[prefix + "bias"] = d[:, -1]
        nu = 1.0
        if options["kl_clip"] > 0 and vg > 0:
            nu = min(1.0, (options["kl_clip"] / (lr * lr * vg)) ** 0.5)
        with torch.no_grad():
            for name, p in params.items():
                step = grads[name] if name in plain else nu * updates[name]
                buf[name] = mom * buf[name] + step
                p -= lr * buf[name]
        out.append({"loss": float(loss), "nu": nu,
                    "factor_A": [tensor_json(t) for t in avg_a], "factor_G": [tensor_json(t) for t in avg_g],
                    "params": {name: tensor_json(p) for name, p in params.items()}})
    return out


def main():
    m = model()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.rand(p.shape, dtype=DT) - 0.5)
        m[1].weight.copy_(torch.rand(3, dtype=DT) + 0.5)
    init = {k: v.clone() for k, v in m.state_dict().items()}
    x = torch.randn(5, 2, 6, 6, dtype=DT)
    labels = torch.tensor([0, 2, 1, 2, 0])
    common = {"lr": 0.3, "damping": 0.01, "momentum": 0.5, "factor_decay": 0.8, "kl_clip": 0.01,
              "factor_update_period": 1, "inv_update_period": 1}
    cases = []
    for mode, fisher in [("factored", "empirical"), ("eigen", "true"), ("factored", "true")]:
        options = dict(common, damping_mode=mode, fisher=fisher)
        steps = run(init, x, labels, options, 3)
        print(mode, fisher, "losses", [round(s["loss"], 6) for s in steps], "nu", [round(s["nu"], 4) for s in steps])
        cases.append({"options": options, "steps": steps})
    fixture = {"torch": torch.__version__, "x": tensor_json(x), "labels": labels.tolist(),
               "init": {k: tensor_json(v) for k, v in init.items()},
               "layers": [{"name": name, "kind": "conv" if isinstance(mod, nn.Conv2d) else "linear"}
                          for name, mod in layers_of(m)],
               "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "kobai-core", "src", "test", "resources", "golden",
                        "kfac_conv.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
