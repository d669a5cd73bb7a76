#!/usr/bin/env python3
"""What an equalizer could buy a bundle under multipath: its accuracy at SNR >= 10 dB on
`sig2019_multipath` windows (front end off) as they are, after an MMSE equalizer that knows each
window's channel (the best any channel estimate could do), after one that knows only its
magnitude (what second-order statistics give), and on the same windows through a flat channel.

    apps/equalizer_headroom.py --bundle models/cyclic_hybrid_sig2019_field.onnx
"""
import argparse

from modrec_core import cli, evaluation
from modrec_core.bundle import load_bundle
from modrec_core.dataset import balanced_design
from modrec_core.synthesis import get_preset, synthesize
from modrec_core.synthesis.channel import oracle_equalized
from modrec_core.synthesis.presets import FRONT_END
from modrec_core.synthesis.synthesizer import to_iq


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--per-class-snr", type=int, default=40, help="windows per class and SNR level")
    ap.add_argument("--seed", type=int, default=9090)
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads")
    args = ap.parse_args(argv)
    if args.per_class_snr < 1:
        raise ValueError(f"--per-class-snr must be >= 1, got {args.per_class_snr}")
    bundle = load_bundle(args.bundle, threads=args.threads)
    preset = get_preset("sig2019_multipath").without(*FRONT_END)
    to_bundle = evaluation.map_labels(preset.labels, bundle.labels, f"preset {preset.name}")
    levels = tuple(s for s in preset.snr_levels if s >= 10)
    labels, snr = balanced_design(len(preset.classes), levels, args.per_class_snr)
    echoed = synthesize(preset, labels, snr, args.seed)
    flat = synthesize(preset.without("multipath"), labels, snr, args.seed)
    truth = to_bundle[labels]
    print("| windows | accuracy | " + " | ".join(preset.labels) + " |")
    print("|---" * (len(preset.labels) + 2) + "|")
    views = (("through multipath", echoed.x), ("oracle MMSE equalizer", oracle_equalized(echoed.x, echoed.params, snr)),
             ("oracle, magnitude only", oracle_equalized(echoed.x, echoed.params, snr, magnitude_only=True)),
             ("flat channel", flat.x))
    for name, x in views:
        hit = bundle.predict(to_iq(x)).argmax(1) == truth
        cells = " | ".join(f"{100 * hit[labels == k].mean():.0f}" for k in range(len(preset.labels)))
        print(f"| {name} | {100 * hit.mean():.1f} % | {cells} |")
    return 0


if __name__ == "__main__":
    cli.run(main)
