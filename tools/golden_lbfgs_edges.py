#!/usr/bin/env python3
"""L-BFGS stopping tests at their thresholds on f = x^2 from x = 2, printed as (closure evaluations, x)
after one step; LBFGSTest.theStoppingTestsAtTheirThresholdsAreTorchs asserts the same numbers.
Run: python3 tools/golden_lbfgs_edges.py (PyTorch 1.13)."""
import torch
def run(x0, const_loss=False, **kw):
    x = torch.tensor([x0], dtype=torch.float64, requires_grad=True)
    o = torch.optim.LBFGS([x], **kw)
    n = [0]
    def closure():
        n[0] += 1
        o.zero_grad()
        l = (x * x).sum()
        l.backward()
        return torch.tensor(1.0, dtype=torch.float64) if const_loss else l
    o.step(closure)
    return n[0], x.item()
print('grad tie at start', run(2.0, tolerance_grad=4.0, max_iter=10))
print('grad tie after step', run(2.0, tolerance_grad=2.0, max_iter=10))
print('gtd tie', run(2.0, tolerance_change=16.0, max_iter=10))
print('step tie lr0', run(2.0, lr=0.0, tolerance_change=0.0, max_iter=4))
print('const loss', run(2.0, const_loss=True, max_iter=10))
print('const loss tol0', run(2.0, const_loss=True, tolerance_change=0.0, max_iter=10))
