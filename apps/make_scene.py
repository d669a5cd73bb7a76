#!/usr/bin/env python3
"""Write a labelled wideband capture: N signals of a preset's classes side by side at random
centre frequencies and symbol rates (4-32 samples per symbol), 10-25 dB SNR in their own band,
as SigMF (BASE.sigmf-data, cf32_le, and BASE.sigmf-meta whose annotations are the truth).

    apps/make_scene.py --signals 4 --seconds 0.2 --rate 2.4e6 --freq 433.92e6 --seed 1 --out runs/scene
"""
import argparse

from modrec_core import cli, recordings, scene


def truth_annotation(s, n_samples, rate, freq):
    """The SigMF annotation of one scene signal: absolute band edges in Hz, label, rate, SNR."""
    return {"core:sample_start": 0, "core:sample_count": n_samples,
            **recordings.band_edges(s.centre, s.bandwidth, rate, freq), "core:label": s.label,
            "modrec:symbol_rate": rate / s.samples_per_symbol, "modrec:snr_db": round(s.snr_db, 2)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--signals", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=0.2)
    ap.add_argument("--rate", type=float, default=2.4e6, help="sample rate, Hz")
    ap.add_argument("--freq", type=float, default=433.92e6, help="centre frequency of the capture, Hz")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", default="sig2019", help="whose classes the signals are")
    ap.add_argument("--out", required=True, help="base name: BASE.sigmf-data and BASE.sigmf-meta")
    args = ap.parse_args(argv)
    if not args.rate > 0 or not args.seconds > 0:
        raise ValueError(f"--rate and --seconds must be > 0, got {args.rate} and {args.seconds}")
    n = int(round(args.seconds * args.rate))
    x, truth = scene.make_scene(args.signals, n, args.seed, args.preset)
    annotations = [truth_annotation(s, n, args.rate, args.freq) for s in truth]
    recordings.write_capture(args.out, x, args.rate, args.freq, annotations,
                             f"gr-modrec scene: {args.signals} {args.preset} signals, seed {args.seed}")
    for s in truth:
        print(f"  {s.label:6s} {(args.freq + s.centre * args.rate) / 1e6:11.6f} MHz  {s.bandwidth * args.rate / 1e3:7.1f} kHz  "
              f"{args.rate / s.samples_per_symbol / 1e3:7.2f} kBd  {s.snr_db:5.1f} dB")
    print(f"wrote {args.out}.sigmf-data ({n} samples) and {args.out}.sigmf-meta")
    return 0


if __name__ == "__main__":
    cli.run(main)
