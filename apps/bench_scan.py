#!/usr/bin/env python3
"""Scanner measurements: detection and false alarms, centre, bandwidth and symbol-rate errors,
classification accuracy of the signals found, and the real-time factor (capture seconds per
wall-clock second), for 1, 2, 4 and 6 signals per scene (make_scene fits at most 8 of 4-32 samples per
symbol side by side in one band). Scenes come from make_scene with our synthesizer's signals or,
with --maker gnuradio, with signals GNU Radio's own gr-digital/gr-analog modulators make.
--overload F then runs the GNU Radio block in realtime mode, fed F times faster than it scanned
in blocking mode, and reports its memory over time and its drops.

    apps/bench_scan.py --scenes 3 --seconds 1 --rate 2.4e6 [--maker gnuradio] [--overload 3]
"""
import argparse
import os
import time

import numpy as np

from modrec_core import cli, scanning, scene
from modrec_core.bundle import load_bundle

DEFAULT_BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "cyclic_hybrid_sig2019_field.onnx")


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


def gnuradio_signal(label, sps, n_samples, seed):
    """One unit-power signal from GNU Radio's modulators (RRC pulses; CPFSK for FSK)."""
    from gnuradio.modrec import reference

    return reference.modulated(label, n_samples, np.random.default_rng(seed), sps=sps)


def bench_count(count, args, bundle, maker):
    """One table row: every scene of `count` signals scanned; returns (row text, real-time factor, a scene)."""
    n = int(args.seconds * args.rate)
    totals, centre, width, rate, wall = np.zeros(4, int), [], [], [], 0.0
    for seed in range(args.scenes):
        x, truth = scene.make_scene(count, n, 100 * count + seed, signal=maker)
        start = time.perf_counter()
        found = scanning.scan(x, bundle)
        wall += time.perf_counter() - start
        hit, right, false, c, w, r = score_scene(truth, found)
        totals += (len(truth), hit, right, false)
        centre, width, rate = centre + c, width + w, rate + r
    med = lambda v: float(np.median(v)) if v else float("nan")  # noqa: E731
    rtf = args.scenes * (n // scanning.FRAME) * scanning.FRAME / args.rate / wall
    row = (f"| {count} | {args.scenes} | {totals[1]}/{totals[0]} | {totals[2]}/{totals[1]} | {totals[3]} | "
           f"{med(centre):.3f} | {med(width):.2f} | {100 * med(rate):.2f} % | {rtf:.2f} |")
    return row, rtf, x


def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS"))


def overload(x, args, feed_rate):
    """Realtime block fed at feed_rate samples/s for args.overload_seconds: (RSS samples MB, stats)."""
    from gnuradio import blocks, gr, modrec

    tb = gr.top_block()
    blk = modrec.scanner(args.bundle, args.rate, mode="realtime")
    src = blocks.vector_source_c(x.tolist(), True)
    tb.connect(src, blocks.throttle(gr.sizeof_gr_complex, feed_rate), blk)
    # no sink on `signals`: a store would grow with every message and hide the scanner's own memory
    tb.start()
    rss, end = [], time.monotonic() + args.overload_seconds
    while time.monotonic() < end:
        time.sleep(0.5)  # sampling memory while the flowgraph runs
        rss.append(rss_mb())
    tb.stop()
    tb.wait()
    return rss, blk.stats()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", type=int, default=3, help="scenes per signal count")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=2.4e6)
    ap.add_argument("--signals", type=int, nargs="+", default=[1, 2, 4, 6])
    ap.add_argument("--bundle", default=DEFAULT_BUNDLE)
    ap.add_argument("--maker", choices=("ours", "gnuradio"), default="ours", help="who makes the scenes' signals")
    ap.add_argument("--overload", type=float, default=0.0, help="realtime run fed this many times faster than "
                    "the scanner kept up with the last signal count (0: none)")
    ap.add_argument("--overload-seconds", type=float, default=30.0)
    args = ap.parse_args(argv)
    bundle = load_bundle(args.bundle)
    maker = gnuradio_signal if args.maker == "gnuradio" else None
    print(f"bundle {os.path.basename(args.bundle)}, signals by {args.maker}, {args.seconds} s at {args.rate:g} S/s")
    print("| signals | scenes | found | labelled right | false | median centre error (bw) | median bw ratio | "
          "median rate error | real-time factor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for count in args.signals:
        row, rtf, x = bench_count(count, args, bundle, maker)
        print(row, flush=True)
    if args.overload:
        feed = args.overload * rtf * args.rate
        rss, stats = overload(x, args, feed)
        half = len(rss) // 2
        print(f"realtime, {args.signals[-1]} signals fed at {feed / 1e6:.2f} MS/s ({args.overload:g}x what blocking "
              f"mode kept up with) for {args.overload_seconds:g} s: RSS {rss[0]:.0f} MB at 0.5 s, max "
              f"{max(rss[:half]):.0f} MB in the first half, max {max(rss[half:]):.0f} MB in the second; "
              f"signal-frames {stats['signal_frames']}, measured {stats['measured']}, dropped {stats['dropped']}")
    return 0


if __name__ == "__main__":
    cli.run(main)
