#!/usr/bin/env python3
"""int8 quantization of an exported bundle (onnxruntime dynamic quantization of the weights):
accuracy and speed against the float bundle on a data file, side by side.

    apps/quantize.py --bundle models/pet_cgdnn_sig2019.onnx --data data/sig2019.h5
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx

from modrec_core import dataset
from modrec_core.bundle import load_bundle


def quantize(src, dst):
    """Write an int8-weight copy of bundle `src` at `dst`, metadata included."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
    props = onnx.load(src).metadata_props
    q = onnx.load(dst)
    del q.metadata_props[:]
    for p in props:
        q.metadata_props.add(key=p.key, value=p.value)
    onnx.save(q, dst)


def score(path, data, batch=256, threads=2):
    """(accuracy, windows per second at `batch`) of a bundle on a Dataset."""
    bundle = load_bundle(path, threads=threads)
    bundle.predict(data.iq[:batch])
    start = time.perf_counter()
    probs = np.concatenate([bundle.predict(data.iq[k:k + batch]) for k in range(0, len(data.labels), batch)])
    rate = len(data.labels) / (time.perf_counter() - start)
    return float(np.mean(probs.argmax(1) == data.labels)), rate


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--data", required=True, help="project HDF5 file (its test split, or all of it)")
    ap.add_argument("--out", help="int8 bundle path (default: <bundle>_int8.onnx)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    out = args.out or os.path.splitext(args.bundle)[0] + "_int8.onnx"
    quantize(args.bundle, out)
    data = dataset.read(args.data).part("test")
    rows = [("float32", args.bundle, *score(args.bundle, data, threads=args.threads)),
            ("int8 weights", out, *score(out, data, threads=args.threads))]
    print("| bundle | file MB | accuracy | windows/s (batch 256) |\n|---|---|---|---|")
    for name, path, acc, rate in rows:
        print(f"| {name} | {os.path.getsize(path) / 2**20:.2f} | {100 * acc:.2f}% | {rate:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
