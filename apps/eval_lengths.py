#!/usr/bin/env python3
"""Evaluate an any-length bundle (a model whose spec says any_length) at window lengths other than
the one it was trained on, as Rajendran et al. do: fresh synthesized test sets per length.

    apps/eval_lengths.py --bundle models/lstm_ap_sig2019.onnx --lengths 128 256 512 1024
"""
import argparse

from modrec_core import cli, evaluation
from modrec_core.bundle import load_bundle
from modrec_core.dataset import balanced_design
from modrec_core.models import get_spec, list_models
from modrec_core.synthesis import get_preset, synthesize


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--preset", default="sig2019")
    ap.add_argument("--lengths", type=int, nargs="+", default=[128, 256, 512, 1024])
    ap.add_argument("--per-class-snr", type=int, default=20)
    ap.add_argument("--seed", type=int, default=77)
    args = ap.parse_args(argv)
    bundle = load_bundle(args.bundle)
    if bundle.meta.window_length != "any":
        any_length = [name for name in list_models() if get_spec(name).any_length]
        raise ValueError(f"{args.bundle} takes only {bundle.meta.window_length}-sample windows; "
                         f"other lengths need an any-length model ({', '.join(any_length)})")
    preset = get_preset(args.preset)
    to_bundle = evaluation.map_labels(preset.labels, bundle.labels, f"preset {args.preset}")
    print("| window | accuracy | mean over SNR | peak |\n|---|---|---|---|")
    for length in args.lengths:
        p = preset.with_length(length)
        labels, snr = balanced_design(len(p.classes), p.snr_levels, args.per_class_snr)
        b = synthesize(p, labels, snr, args.seed)
        probs = bundle.predict(b.iq())
        rep = evaluation.report(probs, to_bundle[labels], snr, bundle.labels)
        print(f"| {length} | {100 * rep['overall_accuracy']:.2f}% | {100 * rep['mean_accuracy_over_snr']:.2f}% | "
              f"{100 * rep['peak_accuracy']:.2f}% ({rep['peak_snr_db']:g} dB) |")
    return 0


if __name__ == "__main__":
    cli.run(main)
