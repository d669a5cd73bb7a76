#!/usr/bin/env python3
"""Write a synthetic data set in the project's HDF5 format (docs/datasets.md)."""
import argparse
import time

from tqdm import tqdm

from modrec_core import cli, dataset
from modrec_core.synthesis import PRESETS, get_preset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--preset", default="sig2019", choices=sorted(PRESETS))
    ap.add_argument("--per-class-snr", type=int, default=1500, help="examples per class and SNR level")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="output .h5 path")
    ap.add_argument("--workers", type=int, default=2, help="synthesis threads")
    ap.add_argument("--length", type=int, help="window length in samples (default: the preset's)")
    args = ap.parse_args(argv)
    preset = get_preset(args.preset)
    preset = preset if args.length is None else preset.with_length(args.length)
    dataset.check_per_class_snr(args.per_class_snr)
    total = len(preset.classes) * len(preset.snr_levels) * args.per_class_snr
    start = time.perf_counter()
    with tqdm(total=total, unit="ex", desc=f"{args.preset} -> {args.out}") as bar:
        n = dataset.write_synthetic(args.out, args.preset, args.per_class_snr, args.seed, bar.update, args.workers,
                                    args.length)
    secs = time.perf_counter() - start
    print(f"wrote {n} examples ({n * preset.length / 1e6:.1f} M complex samples) in {secs:.1f} s "
          f"({n * preset.length / secs / 1e6:.2f} M samples/s)")
    return 0


if __name__ == "__main__":
    cli.run(main)
