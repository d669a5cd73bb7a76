#!/usr/bin/env python3
"""Overlay several evaluation reports in one accuracy-vs-SNR plot and print a Markdown table in
the layout of SE-JNNet's Table 5 (accuracy at -20, -10, 0, 10, 18 dB, average, peak, parameters,
training seconds per epoch).

    apps/compare.py docs/results/*/report.json --out docs/results/compare.png
"""
import argparse
import json
import os

from modrec_core import cli, evaluation

COLUMNS = ("-20", "-10", "0", "10", "18")


def row(name, rep):
    acc = rep["accuracy_per_snr"]
    cells = [f"{100 * acc[c]:.2f}" if c in acc else "-" for c in COLUMNS]
    mean = rep.get("mean_accuracy_over_snr")
    params = rep.get("parameters", "-")
    epochs = rep.get("epochs") or 0
    per_epoch = f"{rep['train_seconds'] / epochs:.0f}" if epochs and rep.get("train_seconds") else "-"
    return (f"| {name} | " + " | ".join(cells) + f" | {100 * mean:.2f} | {100 * rep['peak_accuracy']:.2f} "
            f"({rep['peak_snr_db']:g} dB) | {params} | {per_epoch} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", help="report.json files")
    ap.add_argument("--out", help="PNG path for the overlaid accuracy-vs-SNR plot")
    args = ap.parse_args(argv)
    named = []
    for path in args.reports:
        with open(path) as f:
            rep = json.load(f)
        preset = (rep.get("trained_on") or {}).get("preset")
        name = rep.get("model") or os.path.basename(os.path.dirname(path))
        named.append((f"{name} ({preset})" if preset else name, rep))
    print("| model | " + " | ".join(f"{c} dB" for c in COLUMNS) + " | average | peak | params | s/epoch |")
    print("|---" * (len(COLUMNS) + 5) + "|")
    for name, rep in named:
        print(row(name, rep))
    if args.out:
        evaluation.plot_accuracy(named, args.out)
    return 0


if __name__ == "__main__":
    cli.run(main)
