#!/usr/bin/env python3
"""Kobai against PyTorch on the same machine and thread count: one command, ratios at the end.

Round after round, this runs `./kobai bench --json` (matrix products of the training shapes,
optimizer steps over 10M float32 parameters with their memory bound, training epochs of
mlp:784-256-10 on Fashion-MNIST, the HVP/gradient ratio) and then times the same work in PyTorch
with torch.set_num_threads(N), so that a noisy machine's drift hits both. Medians over rounds are
compared at the end; the targets of Kobai issue 6 are printed beside each ratio.

    /usr/bin/python3 tools/bench_pytorch.py [--threads 2] [--rounds 3] [--epochs 3] [--quick] [--cnn]
        [--isa native|avx2] [--sections matmul,epoch,...]

With --cnn it also times the cnn preset's training epochs on Fashion-MNIST and its two
convolutions (forward, input and weight gradients) in both, and prints each convolution's share of
the GFLOP/s Kobai's GEMM reaches on a product of the same size.

OpenBLAS picks its kernel from OPENBLAS_CORETYPE when that is set (this environment pins Haswell,
AVX2, for reproducible tests). For the comparison against the machine's best OpenBLAS kernel, unset
it for this one command:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/bench_pytorch.py
The script prints the kernel OpenBLAS chose.

--isa avx2 measures what an AVX2 CPU does, on an AVX-512 one: Kobai's JVM runs with -XX:UseAVX=2
(AVX2 code, 16 vector registers) and OpenBLAS with OPENBLAS_CORETYPE=Haswell (its AVX2 kernels); the
script restarts itself with that variable set, since OpenBLAS reads it when it is loaded. The header
names the CPU, its vector extensions, OpenBLAS's kernel and Kobai's (width, registers, tiles).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _arg(name, default):
    """An option's value from the command line, before argparse runs (the restart below needs it)."""
    for i, a in enumerate(sys.argv):
        if a == name and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return default


# OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS when torch loads it, and
# torch.set_num_threads does not reach OpenBLAS's own threads (with --threads 1 its products ran
# on two): restart with both set before importing torch.
_env = {"OPENBLAS_NUM_THREADS": _arg("--threads", "2")}
if _arg("--isa", "native") == "avx2":
    _env["OPENBLAS_CORETYPE"] = "Haswell"
if any(os.environ.get(k) != v for k, v in _env.items()):
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, **_env))

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_epoch  # noqa: E402  (reads Fashion-MNIST and trains the same model in torch)
import openblas_kernel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TENSORS, SIZE = 10, 1_000_000
# The cnn preset's convolutions (3x3, padding 1), as kobai bench's conv section names them.
CNN_CONVOLUTIONS = [{"layer": "conv 1->32 3x3 on 28x28", "in": 1, "out": 32, "size": 28},
                    {"layer": "conv 32->64 3x3 on 14x14", "in": 32, "out": 64, "size": 14}]


def openblas_core():
    return openblas_kernel.core()


def median_time(fn, warm=0.5, rep=0.03, reps=11):
    """Median seconds per call after a warm-up, each timing repeating fn until it lasts `rep` seconds."""
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < warm or calls < 3:
        fn()
        calls += 1
    inner = max(1, int(rep / ((time.perf_counter() - start) / calls)))
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t) / inner)
    return statistics.median(times)


def torch_matmul(shapes, quick):
    out = []
    g = torch.Generator().manual_seed(3)
    for s in shapes:
        m, n, k = s["m"], s["n"], s["k"]
        dt = torch.float64 if s.get("dtype") == "float64" else torch.float32
        a = torch.rand(k, m, generator=g, dtype=dt).t() if s["trans_a"] else torch.rand(m, k, generator=g, dtype=dt)
        b = torch.rand(n, k, generator=g, dtype=dt).t() if s["trans_b"] else torch.rand(k, n, generator=g, dtype=dt)
        c = torch.empty(m, n, dtype=dt)
        t = median_time(lambda: torch.mm(a, b, out=c), reps=5 if quick else 11)
        out.append({"role": s["role"], "seconds": t, "gflops": 2.0 * m * n * k / t / 1e9})
    return out


def torch_optimizer(spec):
    name, _, opts = spec.partition(":")
    kwargs = {}
    for kv in filter(None, opts.split(",")):
        k, v = kv.split("=")
        kwargs[k] = float(v)
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop, "adadelta": torch.optim.Adadelta,
           "adamax": torch.optim.Adamax, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam,
           "asgd": torch.optim.ASGD, "rprop": torch.optim.Rprop}[name]
    g = torch.Generator().manual_seed(11)
    params = []
    for _ in range(TENSORS):
        p = torch.nn.Parameter(torch.rand(SIZE, generator=g) * 0.2 - 0.1)
        p.grad = (torch.rand(SIZE, generator=g) * 2 - 1) * 1e-3
        params.append(p)
    return cls(params, **kwargs)


def torch_optimizers(specs, quick):
    out = []
    for spec in specs:
        opt = torch_optimizer(spec)
        out.append({"optimizer": spec, "step_seconds": median_time(opt.step, reps=5 if quick else 11)})
        del opt
    return out


def torch_hvp(quick):
    torch.manual_seed(9)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    x = torch.rand(128, 784)
    y = torch.randint(0, 10, (128,))
    params = list(model.parameters())
    v = [torch.randn_like(p) for p in params]
    loss_fn = torch.nn.CrossEntropyLoss()

    def grad():
        return torch.autograd.grad(loss_fn(model(x), y), params)

    def hvp():
        g = torch.autograd.grad(loss_fn(model(x), y), params, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, v))
        return torch.autograd.grad(dot, params)

    reps = 5 if quick else 11
    tg = median_time(grad, reps=reps)
    th = median_time(hvp, reps=reps)
    return {"gradient_seconds": tg, "hvp_seconds": th, "ratio": th / tg}


def torch_convolutions(layers, quick):
    """Each convolution of the cnn preset at batch 128 in torch: forward, input and weight gradients."""
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(17)
    out = []
    for layer in layers:
        cin, cout, size = layer["in"], layer["out"], layer["size"]
        x = torch.randn(128, cin, size, size, generator=g, requires_grad=True)
        w = torch.randn(cout, cin, 3, 3, generator=g, requires_grad=True)
        b = torch.randn(cout, generator=g, requires_grad=True)
        y = F.conv2d(x, w, b, padding=1)
        gy = torch.randn(y.shape, generator=g)
        reps = 5 if quick else 11

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, b, padding=1)
        times = {"forward": median_time(forward, reps=reps),
                 "weight": median_time(lambda: torch.autograd.grad(y, [w], gy, retain_graph=True), reps=reps)}
        if cin > 1:
            times["input"] = median_time(lambda: torch.autograd.grad(y, [x], gy, retain_graph=True), reps=reps)
        out.append({"layer": layer["layer"], "seconds": times})
    return out


def kobai_bench(args):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.json")
        sections = ",".join(args.sections)
        cmd = [os.path.join(ROOT, "kobai"), "bench", "--threads", str(args.threads), "--json", path,
               "--epochs", str(args.epochs), "--only", sections, "--isa", args.isa]
        if args.quick:
            cmd.append("--quick")
        env = dict(os.environ)
        if args.kobai_blas == "system":
            env["KOBAI_JAVA_OPTS"] = (env.get("KOBAI_JAVA_OPTS", "") + " -Dkobai.blas=system").strip()
        subprocess.run(cmd, check=True, stdout=sys.stderr, env=env)
        with open(path) as f:
            return json.load(f)


def epoch_medians(kobai_runs, torch_runs):
    """Medians of the first epochs and of the later ones (NaN with one epoch), Kobai's then PyTorch's."""
    med = statistics.median
    later = len(kobai_runs[0]) > 1
    return (med(run[0]["seconds"] for run in kobai_runs), med(run[0][0] for run in torch_runs),
            med(e["seconds"] for run in kobai_runs for e in run[1:]) if later else float("nan"),
            med(sec for run in torch_runs for sec, _ in run[1:]) if later else float("nan"))


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (rough figures)")
    ap.add_argument("--json", help="write every round's raw figures here")
    ap.add_argument("--isa", choices=["native", "avx2"], default="native",
                    help="avx2: Kobai with -XX:UseAVX=2 and OpenBLAS's Haswell kernels, as on an AVX2 CPU")
    ap.add_argument("--cnn", action="store_true",
                    help="also the cnn preset's epochs and its convolutions (several minutes a round)")
    ap.add_argument("--kobai-blas", choices=["java", "system"], default="java",
                    help="system: Kobai's products on the system BLAS (-Dkobai.blas=system), the OpenBLAS PyTorch uses")
    ap.add_argument("--sections", default="epoch,matmul,optim,hvp,kfac",
                    help="comma-separated subset of epoch, matmul, optim, hvp, kfac, cnn, conv")
    args = ap.parse_args()
    args.sections = [x.strip() for x in args.sections.split(",") if x.strip()]
    unknown = [x for x in args.sections if x not in ("epoch", "matmul", "optim", "hvp", "kfac", "cnn", "conv")]
    if unknown:
        ap.error(f"--sections: unknown section {unknown[0]!r}")
    if args.cnn:
        args.sections += [x for x in ("cnn", "conv") if x not in args.sections]
    fallback = openblas_kernel.restart_if_generic()
    torch.set_num_threads(args.threads)
    if fallback:
        print(fallback, flush=True)
    print(f"torch {torch.__version__}, {args.threads} threads, OpenBLAS kernel {openblas_core()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, load average {load_average()}",
          flush=True)
    print(f"CPU: {openblas_kernel.cpu_description()}; mode --isa {args.isa}, Kobai's products on "
          f"{'the system BLAS' if args.kobai_blas == 'system' else 'its Java kernel'}", flush=True)
    rounds = []
    for r in range(args.rounds):
        print(f"round {r + 1}: kobai bench ...", file=sys.stderr, flush=True)
        kb = kobai_bench(args)
        print(f"round {r + 1}: pytorch ...", file=sys.stderr, flush=True)
        tb = {}
        if "matmul" in args.sections:
            tb["matmul"] = torch_matmul(kb["matmul"], args.quick)
        if "optim" in args.sections:
            tb["optim"] = torch_optimizers([s["optimizer"] for s in kb["optim"]["steps"]], args.quick)
        if "hvp" in args.sections:
            tb["hvp"] = torch_hvp(args.quick)
        if "epoch" in args.sections:
            tb["epoch"] = bench_epoch.torch_run(args.epochs, r + 1, args.threads)
        if "cnn" in args.sections:
            tb["cnn"] = bench_epoch.torch_run(args.epochs, r + 1, args.threads, "cnn")
        if "conv" in args.sections:
            tb["conv"] = torch_convolutions(CNN_CONVOLUTIONS, args.quick)
        rounds.append({"kobai": kb, "pytorch": tb, "load_average": load_average()})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rounds, f, indent=1)

    med = statistics.median
    km = rounds[0]["kobai"]["machine"]
    print(f"Kobai: HotSpot UseAVX={km.get('use_avx')}, gemm {km.get('kernel')}; OpenBLAS kernel {openblas_core()}")
    print(f"\nMedians over {args.rounds} rounds (load average at the end: {load_average()})")
    if "matmul" in args.sections:
        print("\nMatrix products, GFLOP/s                              kobai  pytorch  ratio (target >= 0.9)")
        for i, s in enumerate(rounds[0]["kobai"]["matmul"]):
            k = med(r["kobai"]["matmul"][i]["gflops"] for r in rounds)
            t = med(r["pytorch"]["matmul"][i]["gflops"] for r in rounds)
            shape = f"{s['m']}x{s['n']}x{s['k']}" + (" A^T" if s["trans_a"] else "") + (" B^T" if s["trans_b"] else "")
            print(f"  {s.get('dtype', 'float32'):8s} {s['role']:24s} {shape:20s} {k:7.1f} {t:8.1f} {k / t:6.2f}")

    if "optim" in args.sections:
        steps = rounds[0]["kobai"]["optim"]["steps"]
        torch_adam = med(next(o["step_seconds"] for o in r["pytorch"]["optim"] if o["optimizer"] == "adam") for r in rounds)
        print(f"\nOptimizer steps over {TENSORS * SIZE} float32 parameters, ms")
        print("                              kobai  mem.pass  kobai/pass  pytorch  pytorch/kobai  torch-adam/kobai")
        print("  (targets)                                      <= 1.2                                >= 1.8")
        for i, s in enumerate(steps):
            k = med(r["kobai"]["optim"]["steps"][i]["step_seconds"] for r in rounds)
            b = med(r["kobai"]["optim"]["steps"][i]["memory_pass_seconds"] for r in rounds)
            t = med(r["pytorch"]["optim"][i]["step_seconds"] for r in rounds)
            print(f"  {s['optimizer']:26s} {k * 1e3:7.2f} {b * 1e3:8.2f} {k / b:10.2f} {t * 1e3:9.2f} {t / k:12.2f} "
                  f"{torch_adam / k:15.2f}")
        copy = med(r["kobai"]["optim"]["arraycopy_gb_per_s"] for r in rounds)
        print(f"  System.arraycopy bandwidth (Kobai's JVM, {args.threads} threads): {copy:.1f} GB/s")

    if "epoch" in args.sections:
        ke = [r["kobai"]["epoch"]["epochs"] for r in rounds]
        te = [r["pytorch"]["epoch"] for r in rounds]
        k_first, t_first, k_steady, t_steady = epoch_medians(ke, te)
        print(f"\nTraining epoch, mlp:784-256-10 on {rounds[0]['kobai']['epoch']['data']}, sgd lr 0.1, batch 128 "
              "(training + test evaluation), seconds")
        print("                      kobai  pytorch  kobai/pytorch (target <= 0.5)")
        print(f"  first epoch       {k_first:7.3f} {t_first:8.3f} {k_first / t_first:8.2f}")
        print(f"  later epochs      {k_steady:7.3f} {t_steady:8.3f} {k_steady / t_steady:8.2f}")
        print(f"  test accuracy after {args.epochs} epochs: kobai "
              + ", ".join(f"{run[-1]['test_accuracy']:.4f}" for run in ke)
              + "; pytorch " + ", ".join(f"{run[-1][1]:.4f}" for run in te))

    if "hvp" in args.sections:
        kh = med(r["kobai"]["hvp"]["ratio"] for r in rounds)
        th = med(r["pytorch"]["hvp"]["ratio"] for r in rounds)
        kg = med(r["kobai"]["hvp"]["gradient_seconds"] for r in rounds)
        tg = med(r["pytorch"]["hvp"]["gradient_seconds"] for r in rounds)
        print("\nHessian-vector product / gradient, mlp:784-256-10 at batch 128 (target <= 4)")
        print(f"  kobai {kh:.2f} (gradient {kg * 1e3:.2f} ms), pytorch {th:.2f} (gradient {tg * 1e3:.2f} ms)")

    if "kfac" in args.sections:
        ka = med(r["kobai"]["kfac"]["adam_step_seconds"] for r in rounds)
        kk = med(r["kobai"]["kfac"]["kfac_step_seconds"] for r in rounds)
        kr = med(r["kobai"]["kfac"]["ratio"] for r in rounds)
        print("\nTraining step, kfac (defaults) / adam, mlp:784-256-10 at batch 128, Kobai, timed over whole refresh cycles (target <= 3)")
        print(f"  {kr:.2f} (adam {ka * 1e3:.2f} ms, kfac {kk * 1e3:.2f} ms)")

    if "cnn" in args.sections:
        kc = [r["kobai"]["cnn"]["epochs"] for r in rounds]
        tc = [r["pytorch"]["cnn"] for r in rounds]
        k_first, t_first, k_steady, t_steady = epoch_medians(kc, tc)
        print("\nTraining epoch, cnn preset on Fashion-MNIST, sgd lr 0.05 momentum 0.9, batch 128 (training + test"
              " evaluation), seconds")
        print("                      kobai  pytorch  kobai/pytorch (target <= 0.5)")
        print(f"  first epoch       {k_first:7.2f} {t_first:8.2f} {k_first / t_first:8.2f}")
        print(f"  later epochs      {k_steady:7.2f} {t_steady:8.2f} {k_steady / t_steady:8.2f}")

    if "conv" in args.sections:
        print("\nConvolutions of the cnn preset at batch 128, ms      kobai  pytorch  kobai/pytorch   kobai share of"
              " its GEMM (target >= 0.7)")
        for i, row in enumerate(rounds[0]["kobai"]["conv"]):
            k = med(r["kobai"]["conv"][i]["conv_seconds"] for r in rounds)
            share = med(r["kobai"]["conv"][i]["share_of_gemm"] for r in rounds)
            layer = next(c for c in rounds[0]["pytorch"]["conv"] if c["layer"] == row["layer"])
            idx = rounds[0]["pytorch"]["conv"].index(layer)
            t = med(r["pytorch"]["conv"][idx]["seconds"][row["pass"]] for r in rounds)
            print(f"  {row['layer']:28s} {row['pass']:8s} {k * 1e3:8.2f} {t * 1e3:8.2f} {k / t:10.2f} {share:14.2f}")


if __name__ == "__main__":
    main()
