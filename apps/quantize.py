#!/usr/bin/env python3
"""int8 quantization of an exported bundle (onnxruntime dynamic quantization of the weights):
accuracy and speed against the float bundle on a data file, side by side.

    apps/quantize.py --bundle models/pet_cgdnn_sig2019.onnx --data data/sig2019.h5
"""
import argparse
import os
import time

import numpy as np
from modrec_core import cli, dataset, evaluation
from modrec_core.bundle import load_bundle, read_metadata, replace_metadata


def quantize(src, dst):
    """Write an int8-weight copy of bundle `src` at `dst`, metadata included."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
    replace_metadata(dst, read_metadata(src), dst)


def accuracy(bundle, data, where):
    """Share of `data`'s windows whose most probable class is the label."""
    labels = evaluation.map_labels(data.label_names, bundle.labels, where)[data.labels]
    return evaluation.accuracy(bundle.predict(data.iq), labels)


def windows_per_second(bundle, iq, batch):
    """Windows per second of one pass over `iq` in batches of `batch`."""
    start = time.perf_counter()
    for k in range(0, len(iq), batch):
        bundle.predict(iq[k:k + batch])
    return len(iq) / (time.perf_counter() - start)


def side_by_side_rates(bundles, iq, batch=256, repeats=3):
    """Median windows/s of each bundle, the bundles timed in turn `repeats` times so that load
    changes on the machine hit both alike."""
    for b in bundles:
        b.predict(iq[:batch])
    rates = [[windows_per_second(b, iq, batch) for b in bundles] for _ in range(repeats)]
    return np.median(np.array(rates), axis=0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--data", required=True, help="project HDF5 file (its test split, or all of it)")
    ap.add_argument("--out", help="int8 bundle path (default: <bundle>_int8.onnx)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timing-windows", type=int, default=1024, help="windows per timed pass")
    args = ap.parse_args(argv)
    out = args.out or os.path.splitext(args.bundle)[0] + "_int8.onnx"
    original = load_bundle(args.bundle, threads=args.threads)  # refused before onnxruntime's tools see it
    data = dataset.read(args.data).part("test")
    quantize(args.bundle, out)
    paths = {"float32": args.bundle, "int8 weights": out}
    bundles = [original, load_bundle(out, threads=args.threads)]
    rates = side_by_side_rates(bundles, data.iq[:args.timing_windows])
    print("| bundle | file MB | accuracy | windows/s (batch 256) | speed vs float32 |\n|---|---|---|---|---|")
    for (name, path), bundle, rate in zip(paths.items(), bundles, rates):
        print(f"| {name} | {os.path.getsize(path) / 2**20:.2f} | {100 * accuracy(bundle, data, args.data):.2f}% | "
              f"{rate:,.0f} | {rate / rates[0]:.2f}x |")
    return 0


if __name__ == "__main__":
    cli.run(main)
