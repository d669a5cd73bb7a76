#!/usr/bin/env python3
"""Evaluate a bundle on a data file in the project's HDF5 format: report.json and PNG plots.

Uses the test split of a file that has one, and every example of a file that has none. The
file's class names must all be known to the bundle (a bundle may know more classes).
"""
import argparse

from modrec_core import cli, dataset, evaluation
from modrec_core.bundle import load_bundle


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True, help="folder for report.json and plots")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = ap.parse_args(argv)
    bundle = load_bundle(args.bundle, device=args.device)
    whole = dataset.read(args.data)
    data = whole.part("test")
    if not len(data.labels):
        raise ValueError(f"{args.data}: its test split is empty (split holds no row marked 'test')")
    labels = evaluation.map_labels(data.label_names, bundle.labels, args.data)[data.labels]
    probs = bundle.predict(data.iq)
    rep = evaluation.report(probs, labels, data.snr_db, bundle.labels)
    rep.update(bundle=args.bundle, data=args.data, model=bundle.meta.model)
    evaluation.write_report(rep, args.out, f"{bundle.meta.model} on {whole.meta.get('preset', args.data)}")
    peak = (f"peak {100 * rep['peak_accuracy']:.2f}% at {rep['peak_snr_db']:g} dB" if rep["peak_snr_db"] is not None
            else "no SNR labels")
    print(f"{bundle.meta.model}: {100 * rep['overall_accuracy']:.2f}% over {rep['examples']} examples "
          f"({peak}); report in {args.out}")
    return 0


if __name__ == "__main__":
    cli.run(main)
