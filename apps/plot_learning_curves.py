#!/usr/bin/env python3
"""Learning curves from run logs: validation accuracy against wall-clock minutes of training, one
line per run, to compare what models learn per CPU second on the same machine.

    apps/plot_learning_curves.py runs/hybrid/train.log runs/pet/train.log --out docs/results/curves.png
"""
import argparse
import datetime
import os
import re

from modrec_core import cli

EPOCH = re.compile(r"^(\S+ \S+) epoch (\d+): .*\| val loss \S+ acc ([0-9.]+)")


def curve(path):
    """[(minutes since the run's first log line, validation accuracy)] from one train.log."""
    start, points = None, []
    with open(path) as f:
        for line in f:
            stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f") if line[:4].isdigit() else None
            if stamp and start is None:
                start = stamp
            m = EPOCH.match(line)
            if m:
                points.append(((stamp - start).total_seconds() / 60, float(m.group(3))))
    if not points:
        raise ValueError(f"{path}: no epoch lines with a validation accuracy")
    return points


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("logs", nargs="+", help="train.log files; a run is named by its folder")
    ap.add_argument("--labels", nargs="*", help="one name per log (default: the folder names)")
    ap.add_argument("--chain", action="store_true", help="the logs are consecutive stages of one model: "
                    "each starts where the one before ended")
    ap.add_argument("--out", required=True, help="PNG to write")
    ap.add_argument("--title", default="validation accuracy vs training time (2 CPU cores)")
    args = ap.parse_args(argv)
    labels = args.labels or [os.path.basename(os.path.dirname(os.path.abspath(p))) for p in args.logs]
    if len(labels) != len(args.logs):
        raise ValueError(f"{len(args.logs)} logs but {len(labels)} labels")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    start = 0.0
    for path, label in zip(args.logs, labels):
        points = [(start + m, acc) for m, acc in curve(path)]
        ax.plot([p[0] for p in points], [100 * p[1] for p in points], marker=".", label=label)
        start = points[-1][0] if args.chain else 0.0
        print(f"{label}: {len(points)} epochs, {points[-1][0]:.1f} min, best val {100 * max(p[1] for p in points):.2f} %")
    ax.set_xlabel("minutes of training")
    ax.set_ylabel("validation accuracy (%), at the SNRs each run trains on")
    ax.set_title(args.title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes: it never hides a point
    tmp = args.out + ".tmp.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    cli.run(main)
