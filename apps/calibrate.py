#!/usr/bin/env python3
"""Fit a bundle's confidence on its training run's validation split and write it into the bundle:
the softmax temperature and the unknown-signal detector (docs/open-set.md). New bundles get both
at export; this is for bundles exported before, or to choose another detector.

    apps/calibrate.py --bundle models/lstm_ap_sig2019_field.onnx --run models/resume/lstm_ap_sig2019_field
"""
import argparse
import os
import tempfile

import numpy as np

from modrec_core import calibration, cli, dataset, openset, runs
from modrec_core.bundle import load_bundle, write_confidence


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--run", required=True, help="the bundle's training run folder (run.json): its validation split")
    ap.add_argument("--method", default=openset.DEFAULT_METHOD, choices=openset.METHODS, help="unknown-signal score")
    ap.add_argument("--also", action="append", default=[], metavar="FILE.h5",
                    help="fit on this file's validation split too (all of it without a split): for a bundle "
                         "that meets other conditions than its training preset's, e.g. a field bundle on clean signals")
    ap.add_argument("--out", help="where to write the calibrated bundle (default: over --bundle, via a renamed temporary file)")
    args = ap.parse_args(argv)
    labels = load_bundle(args.bundle).labels
    parts = [runs.Run.load(args.run).data().val] + [dataset.read(p).part("val") for p in args.also]
    _check_labels(parts, labels, [args.run] + args.also)
    truth = np.concatenate([p.labels for p in parts])
    out = args.out or args.bundle
    with tempfile.TemporaryDirectory() as tmp:  # the bundle with its logits output, fitted on before `out` is written
        plain = os.path.join(tmp, "logits.onnx")
        write_confidence(args.bundle, {"temperature": 1.0, "unknown_detector": None}, plain)
        plain_bundle = load_bundle(plain)
        outputs = [plain_bundle.outputs(p.iq) for p in parts]  # part by part: an any-length bundle's may differ in length
        probs, logits = (np.concatenate(o) for o in zip(*outputs))
        confidence = openset.fit_confidence(logits, truth, np.concatenate([p.snr_db for p in parts]), args.method)
        write_confidence(plain, confidence, out)
    after = calibration.tempered(logits, confidence["temperature"])
    print(f"{out}: temperature {confidence['temperature']:.3f}, validation ECE "
          f"{100 * calibration.expected_calibration_error(probs, truth):.2f}% -> "
          f"{100 * calibration.expected_calibration_error(after, truth):.2f}% over {len(truth)} windows; "
          f"unknown detector {args.method}, threshold {confidence['unknown_detector']['threshold']:.4g}")
    load_bundle(out)
    return 0


def _check_labels(parts, labels, names):
    """Every part of the windows to fit on has the bundle's labels."""
    for part, name in zip(parts, names):
        if list(labels) != list(part.label_names):
            raise ValueError(f"{name}: its labels {list(part.label_names)} are not the bundle's {list(labels)}")


if __name__ == "__main__":
    cli.run(main)
