#!/usr/bin/env python3
"""Evaluate a bundle on a data file in the project's HDF5 format: report.json and PNG plots.

Uses the test split of a file that has one, and every example of a file that has none. The
file's class names must all be known to the bundle (a bundle may know more classes). Reports
calibration (expected calibration error and a reliability diagram, before and after the bundle's
temperature) and, with --ood (apps/make_ood_set.py), how well unknown signals and noise are told
from the known classes (docs/open-set.md).
"""
import argparse
import os

import numpy as np

from modrec_core import calibration, cli, dataset, evaluation, openset
from modrec_core.bundle import load_bundle

NOISE = "noise"  # the OOD file's class of windows without a signal


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True, help="folder for report.json and plots")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--ood", help="HDF5 file of classes the bundle does not know (apps/make_ood_set.py)")
    args = ap.parse_args(argv)
    bundle = load_bundle(args.bundle, device=args.device)
    whole = dataset.read(args.data)
    data = whole.part("test")
    if not len(data.labels):
        raise ValueError(f"{args.data}: its test split is empty (split holds no row marked 'test')")
    labels = evaluation.map_labels(data.label_names, bundle.labels, args.data)[data.labels]
    scores = bundle.score(data.iq)
    raw, probs = calibration.tempered(scores.logits, 1.0), scores.probs
    rep = evaluation.report(probs, labels, data.snr_db, bundle.labels)
    rep.update(bundle=args.bundle, data=args.data, model=bundle.meta.model)
    title = f"{bundle.meta.model} on {whole.meta.get('preset', args.data)}"
    rep["calibration"] = calibration_report(raw, probs, labels, bundle.meta.temperature, args.out, title)
    if args.ood:
        rep["open_set"] = open_set_report(bundle, data, scores, args.ood)
    evaluation.write_report(rep, args.out, title)
    peak = (f"peak {100 * rep['peak_accuracy']:.2f}% at {rep['peak_snr_db']:g} dB" if rep["peak_snr_db"] is not None
            else "no SNR labels")
    cal = rep["calibration"]
    print(f"{bundle.meta.model}: {100 * rep['overall_accuracy']:.2f}% over {rep['examples']} examples "
          f"({peak}); ECE {100 * cal['ece_uncalibrated']:.2f}% uncalibrated, {100 * cal['ece']:.2f}% at temperature "
          f"{cal['temperature']:.3f}; report in {args.out}")
    for name, entry in rep.get("open_set", {}).get("sets", {}).items():
        print(f"  unknown {name}: n {entry['n']}, " + ", ".join(
            f"{m} AUROC {entry[m]['auroc']:.3f}" for m in openset.METHODS if m in entry)
            + f"; reported as a modulation {100 * entry['reported_as_modulation']:.1f}%")
    return 0


def calibration_report(raw, probs, labels, temperature, out_dir, title):
    """ECE and reliability tables before and after the temperature, and the reliability diagram."""
    before, after = calibration.reliability(raw, labels), calibration.reliability(probs, labels)
    ece_before, ece_after = (calibration.expected_calibration_error(p, labels) for p in (raw, probs))
    os.makedirs(out_dir, exist_ok=True)
    calibration.plot_reliability([("uncalibrated", before, ece_before), (f"T = {temperature:.2f}", after, ece_after)],
                                 os.path.join(out_dir, "reliability.png"), title)
    return {"temperature": temperature, "ece_uncalibrated": ece_before, "ece": ece_after,
            "reliability_uncalibrated": before, "reliability": after}


def open_set_report(bundle, data, scores, path):
    """openset.evaluate on the known test windows and the --ood file's classes unknown to the bundle."""
    detector = bundle.meta.unknown_detector
    if detector is None:
        raise ValueError(f"{bundle.path}: has no unknown detector to evaluate; run apps/calibrate.py on it first")
    ood = dataset.read(path)
    names = [n for n in ood.label_names if n not in bundle.labels]
    if not names:
        raise ValueError(f"{path}: every class in it is known to the bundle; nothing unknown to score")
    ood = ood.subset(np.isin(np.asarray(ood.label_names)[ood.labels], names))
    if ood.iq.shape[2] != data.iq.shape[2]:
        raise ValueError(f"{path}: windows of {ood.iq.shape[2]} samples, the known data's are {data.iq.shape[2]}")
    ood_scores = bundle.score(ood.iq)
    names_of = np.asarray(ood.label_names)[ood.labels]
    sets = {"all signals": names_of != NOISE, **{n: names_of == n for n in names}}
    parts = {k: (ood_scores.rows(m), ood.snr_db[m]) for k, m in sets.items() if m.any()}
    return openset.evaluate((scores, data.snr_db), parts, detector, bundle.meta.temperature)


if __name__ == "__main__":
    cli.run(main)
