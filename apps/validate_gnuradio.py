#!/usr/bin/env python3
"""Score a bundle on Sig2019-12-class windows made by GNU Radio's own modulators and channel
blocks (never our synthesizer), condition by condition: any symbol timing with CFO and phase,
symbol-rate error, multipath, an 8-bit front end with I/Q imbalance and DC offset, and all together.

    apps/validate_gnuradio.py --bundle models/lstm_ap_sig2019_timing.onnx --out runs/validate

Writes DIR/report.json (conditions -> accuracy at SNR >= 10 dB, per_snr, n, per_class) and
DIR/conditions.png. The conditions' ranges are in docs/field.md.
"""
import argparse
import json
import os

import numpy as np

from modrec_core import cli, evaluation
from modrec_core.bundle import load_bundle
from modrec_core.synthesis.synthesizer import to_iq


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True, help="folder for report.json and conditions.png")
    ap.add_argument("--per-class-snr", type=int, default=20, help="windows per class, SNR and condition")
    ap.add_argument("--snr", type=float, nargs="+", default=[10.0, 20.0, 30.0], help="SNRs in dB")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads")
    args = ap.parse_args(argv)
    if args.per_class_snr < 1:
        raise ValueError(f"--per-class-snr must be >= 1, got {args.per_class_snr}")
    return args


def bundle_classes(bundle, known):
    """The bundle's classes, which must all be Sig2019-12 classes (the ones GNU Radio makes here)."""
    foreign = [c for c in bundle.labels if c not in known]
    if foreign:
        raise ValueError(f"{bundle.path}: classes {foreign} are not Sig2019-12 classes; validate_gnuradio makes "
                         f"only {', '.join(known)}")
    return list(bundle.labels)


def window_length(bundle):
    length = bundle.meta.window_length
    if length == "any":
        length = bundle.meta.trained_window_length
    if not isinstance(length, int):
        raise ValueError(f"{bundle.path}: an any-length bundle without trained_window_length; no window length to test")
    return length


def score_condition(bundle, reference, condition, classes, args, rng):
    """The condition's entry of report.json."""
    length = window_length(bundle)
    iq, labels, snr = [], [], []
    for snr_db in args.snr:
        for k, name in enumerate(classes):
            iq.append(to_iq(reference.windows(name, condition, snr_db, args.per_class_snr, length, rng)))
            labels += [k] * args.per_class_snr
            snr += [snr_db] * args.per_class_snr
    iq, labels, snr = np.concatenate(iq), np.asarray(labels), np.asarray(snr, np.float32)
    probs = bundle.predict(iq)
    rep = evaluation.report(probs, labels, snr, classes)
    high = snr >= 10
    accuracy = evaluation.accuracy(probs[high], labels[high]) if high.any() else None
    return {"accuracy": accuracy, "per_snr": rep["accuracy_per_snr"], "n": int(len(labels)),
            "per_class": {c: v["recall"] for c, v in rep["per_class"].items()}}


def plot(conditions, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(conditions)
    snrs = list(next(iter(conditions.values()))["per_snr"])
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(snrs)
    for j, s in enumerate(snrs):
        ax.bar(np.arange(len(names)) + j * width, [100 * conditions[c]["per_snr"][s] for c in names], width,
               label=f"{s} dB")
    ax.set_xticks(np.arange(len(names)) + width * (len(snrs) - 1) / 2, names)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.axhline(90, color="k", lw=0.5, ls="--")
    ax.legend()
    ax.set_title("GNU Radio-made windows")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse(argv)
    from gnuradio.modrec import reference  # GNU Radio's blocks make the windows

    bundle = load_bundle(args.bundle, threads=args.threads)
    classes = bundle_classes(bundle, reference.CLASSES)
    rng = np.random.default_rng(args.seed)
    conditions = {c: score_condition(bundle, reference, c, classes, args, rng) for c in reference.CONDITIONS}
    os.makedirs(args.out, exist_ok=True)
    report = {"bundle": args.bundle, "seed": args.seed, "snr_db": args.snr, "conditions": conditions}
    with open(os.path.join(args.out, "report.json.tmp"), "w") as f:
        json.dump(report, f, indent=1)
    os.replace(os.path.join(args.out, "report.json.tmp"), os.path.join(args.out, "report.json"))
    plot(conditions, os.path.join(args.out, "conditions.png"))
    print("| condition | " + " | ".join(f"{s:g} dB" for s in args.snr) + " | SNR >= 10 dB |")
    print("|---" * (len(args.snr) + 2) + "|")
    for name, c in conditions.items():
        cells = " | ".join(f"{100 * v:.1f}" for v in c["per_snr"].values())
        high = "n/a" if c["accuracy"] is None else f"{100 * c['accuracy']:.1f} %"
        print(f"| {name} | {cells} | {high} |")
    return 0


if __name__ == "__main__":
    cli.run(main)
