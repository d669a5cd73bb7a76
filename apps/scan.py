#!/usr/bin/env python3
"""Find, measure and classify every signal of a wideband SigMF recording, and write what was
found as SigMF annotations (docs/scanning.md): one per signal and contiguous stretch, with its
band (absolute Hz), label ("unknown" where no symbol rate stood out or the bundle rejects it),
symbol rate and top probability.

    apps/scan.py runs/scene.sigmf-meta --out runs/found.sigmf-meta
"""
import argparse
import os

from tqdm import tqdm

from modrec_core import cli, recordings, scanning
from modrec_core.bundle import load_bundle

DEFAULT_BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "cyclic_hybrid_sig2019_field.onnx")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recording", help="IN.sigmf-meta")
    ap.add_argument("--out", required=True, help="OUT.sigmf-meta: the recording's metadata with the found signals")
    ap.add_argument("--bundle", default=DEFAULT_BUNDLE, help="classifier bundle (default: the live default)")
    args = ap.parse_args(argv)
    bundle = load_bundle(args.bundle)
    capture = recordings.read_capture(args.recording)
    with tqdm(total=len(capture.samples), unit="S", unit_scale=True, desc="detect") as bar:
        found = scanning.scan(capture.samples, bundle, progress=bar.update) if len(capture.samples) >= scanning.FRAME \
            else []
    recordings.write_annotations(capture, [recordings.signal_annotation(s, capture) for s in found], args.out)
    print(f"{len(found)} signal(s) in {args.recording} ({len(capture.samples) / capture.sample_rate:.3f} s):")
    print(f"  {'id':>3} {'centre MHz':>12} {'kHz':>7} {'kBd':>8} {'SNR dB':>6}  label (top prob)")
    for s in found:
        baud = f"{s.symbol_rate * capture.sample_rate / 1e3:8.2f}" if s.symbol_rate else f"{'-':>8}"
        print(f"  {s.id:3d} {(capture.frequency + s.centre * capture.sample_rate) / 1e6:12.6f} "
              f"{s.bandwidth * capture.sample_rate / 1e3:7.1f} {baud} {s.snr_db:6.1f}  {s.label} ({s.top_prob:.2f})")
    print(f"annotations in {args.out}")
    return 0


if __name__ == "__main__":
    cli.run(main)
