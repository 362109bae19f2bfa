#!/usr/bin/env python3
"""Rebuilds every figure and results table in README.md and docs/ from the commands they show.

Each entry below is one command of the docs, run with ./kobai from the repository root. Its
pictures are copied to docs/img/, and its report table replaces the text between the markers

    <!-- figures:NAME -->
    ...
    <!-- /figures:NAME -->

in the Markdown file named, so that no figure or table in the docs is older than the code; single
accuracies quoted in prose or tables sit between <!--figure:NAME--> and <!--/figure-->
(DocsFiguresTest checks the cheap ones against a fresh run). Seconds
are left out of the tables: they depend on the machine and its load (docs/performance.md has the
timings, with the machine each was measured on).

    /usr/bin/python3 tools/figures.py [--only NAME,...] [--list]

Needs dataset-fashion-mnist. The quick entries take a few minutes together; `cnn-compare` (eight
optimizers, five epochs each of the cnn preset) takes about half an hour on two cores, and
`autoencoder` (docs/second-order.md's deep autoencoder, whose table keeps its seconds) about ten
minutes; the prose around those two tables quotes their numbers and is revised by hand.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LECTURE5 = ["--optimizer", "Momentum=sgd:lr=0.01,momentum=0.9", "--optimizer", "Adagrad=adagrad:lr=0.01",
            "--optimizer", "Adadelta=adadelta:lr=1.0", "--optimizer", "RMSprop=rmsprop:lr=0.001",
            "--optimizer", "Adam=adam:lr=0.001"]

CNN_OPTIMIZERS = ["--optimizer", "SGD=sgd:lr=0.05", "--optimizer", "Momentum=sgd:lr=0.05,momentum=0.9",
                  "--optimizer", "Nesterov=sgd:lr=0.05,momentum=0.9,nesterov=true",
                  "--optimizer", "Adagrad=adagrad:lr=0.01", "--optimizer", "Adadelta=adadelta:lr=1.0",
                  "--optimizer", "RMSprop=rmsprop:lr=0.001", "--optimizer", "Adam=adam:lr=0.001",
                  "--optimizer", "K-FAC=kfac:lr=0.1"]

# name: (arguments of ./kobai, {file the command writes: picture in docs/img}, (markdown file, report) or None)
FIGURES = {
    "race-beale": (["race", "--preset", "beale", "--size", "760x460", "--every", "2", "--out", "{out}/race.gif"],
                   {"race.gif": "race-beale.gif"}, None),
    "mlp-compare": (["compare", "--data", "fashion-mnist", "--model", "mlp:784-256-10", "--epochs", "3",
                     "--batch-size", "128", "--seed", "1", "--optimizer", "SGD=sgd:lr=0.1",
                     "--optimizer", "Momentum=sgd:lr=0.05,momentum=0.9", "--optimizer", "Adagrad=adagrad:lr=0.05",
                     "--optimizer", "RMSprop=rmsprop:lr=0.001", "--optimizer", "Adam=adam:lr=0.001",
                     "--out", "{out}"],
                    {"curves.png": "compare-fashion-mnist.png"}, None),
    "lecture5": (["compare", "--data", "fashion-mnist", "--model", "mlp:784-256-10", "--epochs", "3",
                  "--batch-size", "128", "--seed", "1"] + LECTURE5 + ["--out", "{out}"],
                 {}, ("docs/optimizers.md", "report.md")),
    "cnn-compare": (["compare", "--data", "fashion-mnist", "--model", "cnn", "--epochs", "5", "--batch-size", "128",
                     "--seed", "1", "--loss-target", "0.3"] + CNN_OPTIMIZERS + ["--out", "{out}"],
                    {"curves.png": "compare-cnn-fashion-mnist.png"}, ("docs/models.md", "report.md")),
    # The deep autoencoder of docs/second-order.md: its table keeps the seconds, which are what that
    # experiment is about (the machine that measured them is named beside it).
    "autoencoder": (["autoencoder", "--data", "fashion-mnist", "--model", "autoencoder:784-256-64-16",
                     "--train-size", "20000", "--eval-size", "2000", "--target-loss", "0.3", "--max-iters", "2000",
                     "--max-seconds", "150", "--batch-size", "500", "--seed", "1", "--out", "{out}",
                     "--optimizer", "SGDm 0.3=sgd:lr=0.3,momentum=0.9", "--optimizer", "SGDm 1=sgd:lr=1,momentum=0.9",
                     "--optimizer", "SGDm 3=sgd:lr=3,momentum=0.9", "--optimizer", "Adam 1e-3=adam:lr=1e-3",
                     "--optimizer", "Adam 3e-3=adam:lr=3e-3", "--optimizer", "Adam 1e-2=adam:lr=1e-2",
                     "--optimizer", "K-FAC=kfac:fisher=mc,lr=0.3,damping=1e-3,kl_clip=0,momentum=0.9,"
                                    "factor_update_period=1,inv_update_period=10@1000",
                     "--optimizer", "Hessian-free=hessian-free:cg_max_iters=50@1000"],
                    {"curves.png": "autoencoder-curves.png"}, ("docs/second-order.md", "report.md", "keep seconds")),
}


# Single figures quoted in the docs' prose or tables: the final test accuracy of one kobai train run,
# written between inline markers <!--figure:NAME-->...<!--/figure--> as a percentage ("%") or a
# fraction ("frac").
MLP = ["train", "--data", "fashion-mnist", "--model", "mlp:784-256-10", "--epochs", "3", "--batch-size", "128",
       "--seed", "1"]
VALUES = {
    "rmsprop-default": (MLP + ["--optimizer", "rmsprop"], "docs/optimizers.md", "%"),
    "sgd-0.1": (MLP + ["--optimizer", "sgd:lr=0.1"], "docs/optimizers.md", "%"),
    "adam-mlp": (MLP + ["--optimizer", "adam:lr=1e-3"], "docs/second-order.md", "frac"),
    "kfac-mlp": (MLP + ["--optimizer", "kfac"], "docs/second-order.md", "frac"),
    "kfac-inv20-mlp": (MLP + ["--optimizer", "kfac:inv_update_period=20"], "docs/second-order.md", "frac"),
    "kfac-old-mlp": (MLP + ["--optimizer", "kfac:fisher=true,factor_update_period=1,inv_update_period=20"],
                     "docs/second-order.md", "frac"),
}


def run_value(name):
    args, path, form = VALUES[name]
    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, "m.jsonl")
        cmd = [os.path.join(ROOT, "kobai")] + args + ["--metrics", metrics]
        print(f"{name}: {' '.join(cmd[1:])}", flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        with open(metrics) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    accuracy = [r for r in rows if "epoch" in r and not r.get("summary")][-1]["test_accuracy"]
    text = f"{100 * accuracy:.2f}%" if form == "%" else f"{accuracy:.4f}"
    replace_between(path, re.compile(r"(<!--figure:%s-->).*?(<!--/figure-->)" % re.escape(name)), text,
                    f"<!--figure:{name}--> marker")
    print(f"{name}: {text}", flush=True)


def table_of(report):
    """The report's first Markdown table, whole."""
    return "\n".join(line for line in report.splitlines() if line.startswith("|"))


def table_without_seconds(report):
    """The report's first Markdown table, its 'seconds' column dropped."""
    rows = [line for line in report.splitlines() if line.startswith("|")]
    if not rows:
        sys.exit("the report has no table")
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    header = cells[0]
    keep = [i for i, h in enumerate(header) if "seconds" not in h.lower()]
    return "\n".join("| " + " | ".join(row[i] for i in keep) + " |" for row in cells)


def replace_between(path, pattern, text, what):
    """Puts text between the two groups of pattern's match in the file, replaced atomically."""
    full = os.path.join(ROOT, path)
    with open(full) as f:
        doc = f.read()
    if not pattern.search(doc):
        sys.exit(f"{path} has no {what}")
    doc = pattern.sub(lambda m: m.group(1) + text + m.group(2), doc)
    with open(full + ".tmp", "w") as f:
        f.write(doc)
    os.replace(full + ".tmp", full)


def replace_block(path, name, text):
    pattern = re.compile(r"(<!-- figures:%s -->\n).*?(\n<!-- /figures:%s -->)" % (re.escape(name), re.escape(name)),
                         re.S)
    replace_between(path, pattern, text, f"<!-- figures:{name} --> block")


def run(name):
    args, pictures, table = FIGURES[name]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        os.makedirs(out)
        cmd = [os.path.join(ROOT, "kobai")] + [a.replace("{out}", out) for a in args]
        print(f"{name}: {' '.join(cmd[1:])}", flush=True)
        start = time.time()
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        for produced, picture in pictures.items():
            shutil.copyfile(os.path.join(out, produced), os.path.join(ROOT, "docs", "img", picture))
        if table:
            with open(os.path.join(out, table[1])) as f:
                report = f.read()
            replace_block(table[0], name, table_of(report) if len(table) > 2 else table_without_seconds(report))
        print(f"{name}: done in {time.time() - start:.0f} s", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the names and exit")
    a = ap.parse_args()
    everything = list(FIGURES) + list(VALUES)
    if a.list:
        print("\n".join(everything))
        return
    names = [n.strip() for n in a.only.split(",")] if a.only else everything
    for n in names:
        if n not in everything:
            ap.error(f"unknown figure {n!r}; valid: {', '.join(everything)}")
    for n in names:
        if n in FIGURES:
            run(n)
        else:
            run_value(n)


if __name__ == "__main__":
    main()
