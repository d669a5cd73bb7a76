#!/usr/bin/env python3
"""Scanner measurements on make_scene captures: detection and false alarms, centre, bandwidth
and symbol-rate errors, classification accuracy of the signals found, and the real-time factor
(capture seconds per wall-clock second), for 1, 2, 4 and 6 signals per scene (8 of 4-32 samples
per symbol do not fit side by side in one band).

    apps/bench_scan.py --scenes 3 --seconds 0.2 --rate 2.4e6
"""
import argparse
import os
import time

import numpy as np

from modrec_core import cli, scanning, scene
from modrec_core.bundle import load_bundle

DEFAULT_BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "lstm_ap_sig2019_field.onnx")


def score_scene(truth, found):
    """(found, right, false, centre errors, bandwidth ratios, rate errors): a true signal is found
    when a scanned one's centre is within half its bandwidth, as the acceptance check counts."""
    used, hits = set(), []
    for t in truth:
        near = [k for k, f in enumerate(found) if abs(f.centre - t.centre) <= t.bandwidth / 2]
        if near:
            used.update(near)
            hits.append((t, found[near[0]]))
    rate = [abs(f.symbol_rate * t.samples_per_symbol - 1) for t, f in hits if f.symbol_rate]
    return (len(hits), sum(f.label == t.label for t, f in hits), len(found) - len(used),
            [abs(f.centre - t.centre) / t.bandwidth for t, f in hits], [f.bandwidth / t.bandwidth for t, f in hits],
            rate)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", type=int, default=3, help="scenes per signal count")
    ap.add_argument("--seconds", type=float, default=0.2)
    ap.add_argument("--rate", type=float, default=2.4e6)
    ap.add_argument("--signals", type=int, nargs="+", default=[1, 2, 4, 6])
    ap.add_argument("--bundle", default=DEFAULT_BUNDLE)
    args = ap.parse_args(argv)
    bundle = load_bundle(args.bundle)
    n = int(args.seconds * args.rate)
    print("| signals | scenes | found | labelled right | false | median centre error (bw) | median bw ratio | "
          "median rate error | real-time factor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for count in args.signals:
        totals, centre, width, rate, wall = np.zeros(4, int), [], [], [], 0.0
        for seed in range(args.scenes):
            x, truth = scene.make_scene(count, n, 100 * count + seed)
            start = time.perf_counter()
            found = scanning.scan(x, bundle)
            wall += time.perf_counter() - start
            hit, right, false, c, w, r = score_scene(truth, found)
            totals += (len(truth), hit, right, false)
            centre, width, rate = centre + c, width + w, rate + r
        med = lambda v: float(np.median(v)) if v else float("nan")  # noqa: E731
        print(f"| {count} | {args.scenes} | {totals[1]}/{totals[0]} | {totals[2]}/{totals[1]} | {totals[3]} | "
              f"{med(centre):.3f} | {med(width):.2f} | {100 * med(rate):.2f} % | "
              f"{args.scenes * (len(x) // scanning.FRAME) * scanning.FRAME / args.rate / wall:.3f} |")
    return 0


if __name__ == "__main__":
    cli.run(main)
