#!/usr/bin/env python3
"""Every zoo model at its paper configuration and at Sig2019-12's (2x512, 12 classes), in one run:
parameters, FLOPs per window, ONNX file size, and CPU throughput (windows/s and complex
samples/s) with onnxruntime and with PyTorch, at batch 1 and batch 256, on the given threads.

Random weights: throughput does not depend on training. Prints a Markdown table.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from modrec_core.bundle import export, load_bundle
from modrec_core.models import build, count_parameters, list_models

# (classes, length) each paper used; models without a paper of their own: RML2016.10a's 11 x 128.
PAPER_CONFIG = {"cldnn": (24, 1024), "cnn": (11, 128)}
SIG2019 = (12, 512)


def rate(fn, batch, min_seconds):
    """Windows per second of fn(); a first (warm-up) call, then repeats for at least min_seconds."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > 3 * min_seconds:  # slow enough that the warm-up call is the measurement
        return batch / first
    calls, start = 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - start < min_seconds:
        fn()
        calls += 1
    return batch * calls / (time.perf_counter() - start)


def flops(model, length):
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(1, 2, length))
    return counter.get_total_flops()


def measure(name, classes, length, threads, min_seconds, folder):
    torch.manual_seed(0)
    model = build(name, classes, length).eval()
    path = os.path.join(folder, f"{name}_{classes}x{length}.onnx")
    export(model, path, [f"c{k}" for k in range(classes)])
    bundle = load_bundle(path, threads=threads)
    row = {"model": name, "config": f"2x{length}/{classes}", "params": count_parameters(model),
           "mflops": flops(model, length) / 1e6, "onnx_mb": os.path.getsize(path) / 2 ** 20}
    for batch in (1, 256):
        x = np.random.default_rng(0).standard_normal((batch, 2, length)).astype(np.float32)
        row[f"ort{batch}"] = rate(lambda: bundle.predict(x), batch, min_seconds)
        xt = torch.from_numpy(x)
        with torch.inference_mode():
            row[f"torch{batch}"] = rate(lambda: model(xt), batch, min_seconds)
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-seconds", type=float, default=1.0, help="time per throughput figure")
    ap.add_argument("--models", nargs="*", default=list_models())
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    print(f"| model | config | params | MFLOP/window | ONNX MB | ORT b1 win/s | ORT b256 win/s | "
          f"torch b1 win/s | torch b256 win/s | ORT b256 M samples/s |")
    print("|---" * 10 + "|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            for classes, length in dict.fromkeys([PAPER_CONFIG.get(name, (11, 128)), SIG2019]):
                r = measure(name, classes, length, args.threads, args.min_seconds, folder)
                print(f"| {r['model']} | {r['config']} | {r['params']:,} | {r['mflops']:,.1f} | {r['onnx_mb']:.2f} | "
                      f"{r['ort1']:,.0f} | {r['ort256']:,.0f} | {r['torch1']:,.0f} | {r['torch256']:,.0f} | "
                      f"{r['ort256'] * length / 1e6:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
