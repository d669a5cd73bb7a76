#!/usr/bin/env python3
"""Every zoo model at its paper configuration and at Sig2019-12's (2x512, 12 classes), in one run:
parameters, FLOPs per window, ONNX file size, and CPU throughput (windows/s and complex
samples/s) with onnxruntime and with PyTorch, at batch 1 and batch 256, on the given threads.

Random weights: throughput does not depend on training. Prints a Markdown table.
With --bundles, instead: onnxruntime windows/s of the given (shipped) bundles at their window length.
"""
import argparse
import os
import tempfile
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from modrec_core import cli
from modrec_core.bundle import export, load_bundle
from modrec_core.models import build, count_parameters, list_models
from modrec_core.synthesis import get_preset

# (classes, length) each paper used; models without a paper of their own: RML2016.10a's 11 x 128.
PAPER_CONFIG = {"cldnn": (24, 1024), "cnn": (11, 128)}
SIG2019 = (12, 512)
# SigNet's ResNets on 510x510 images need tens of GB for 256 windows at once: smaller large batches.
LARGE_BATCH = {("signet", 512): 8, ("signet2", 512): 32}


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
    """FLOPs of one window: torch's counter, plus nn.LSTM's matrix products, which it does not see."""
    lstm_flops = []

    def count_lstm(module, inputs, _):
        steps = inputs[0].shape[1]
        for layer in range(module.num_layers):
            width_in = module.input_size if layer == 0 else module.hidden_size
            lstm_flops.append(4 * 2 * (width_in + module.hidden_size) * module.hidden_size * steps)

    hooks = [m.register_forward_hook(count_lstm) for m in model.modules() if isinstance(m, torch.nn.LSTM)]
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(1, 2, length))
    for h in hooks:
        h.remove()
    return counter.get_total_flops() + sum(lstm_flops)


def measure(name, classes, length, threads, min_seconds, folder):
    torch.manual_seed(0)
    model = build(name, classes, length).eval()
    path = os.path.join(folder, f"{name}_{classes}x{length}.onnx")
    export(model, path, [f"c{k}" for k in range(classes)])
    bundle = load_bundle(path, threads=threads)
    row = {"model": name, "config": f"2x{length}/{classes}", "params": count_parameters(model),
           "mflops": flops(model, length) / 1e6, "onnx_mb": os.path.getsize(path) / 2 ** 20}
    row["large"] = LARGE_BATCH.get((name, length), 256)
    for key, batch in (("1", 1), ("large", row["large"])):
        x = np.random.default_rng(0).standard_normal((batch, 2, length)).astype(np.float32)
        row[f"ort{key}"] = rate(lambda: bundle.predict(x), batch, min_seconds)
        xt = torch.from_numpy(x)
        with torch.inference_mode():
            row[f"torch{key}"] = rate(lambda: model(xt), batch, min_seconds)
    return row


def bundle_rates(path, threads, min_seconds):
    """onnxruntime windows/s of one bundle at batch 1 and 256, at its window length (any-length
    bundles: the length they were trained at, else that of the preset they were trained on)."""
    bundle = load_bundle(path, threads=threads)
    meta = bundle.meta
    length = meta.window_length
    if length == "any":
        length = meta.trained_window_length or get_preset(meta.training_preset).length
    rates = []
    for batch in (1, 256):
        x = np.random.default_rng(0).standard_normal((batch, 2, length)).astype(np.float32)
        rates.append(rate(lambda: bundle.predict(x), batch, min_seconds))
    return length, len(meta.labels), rates


def print_bundles(paths, threads, min_seconds):
    print("| bundle | window | ORT b1 win/s | ORT b256 win/s | ORT b256 M samples/s |\n|---|---|---|---|---|")
    for path in paths:
        length, classes, (one, many) = bundle_rates(path, threads, min_seconds)
        print(f"| {os.path.basename(path)} | 2x{length}/{classes} | {one:,.0f} | {many:,.0f} | {many * length / 1e6:.3f} |",
              flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-seconds", type=float, default=1.0, help="time per throughput figure")
    ap.add_argument("--models", nargs="*", default=list_models())
    ap.add_argument("--bundles", nargs="+", help="time these bundle files instead (e.g. models/*.onnx)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    if args.bundles:
        print_bundles(args.bundles, args.threads, args.min_seconds)
        return 0
    print("| model | config | params | MFLOP/window | ONNX MB | ORT b1 win/s | ORT b256 win/s | "
          "torch b1 win/s | torch b256 win/s | ORT b256 M samples/s |  (b256: batch 256 unless noted)")
    print("|---" * 10 + "|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            for classes, length in dict.fromkeys([PAPER_CONFIG.get(name, (11, 128)), SIG2019]):
                r = measure(name, classes, length, args.threads, args.min_seconds, folder)
                note = "" if r["large"] == 256 else f" (b{r['large']})"
                print(f"| {r['model']} | {r['config']} | {r['params']:,} | {r['mflops']:,.1f} | {r['onnx_mb']:.2f} | "
                      f"{r['ort1']:,.0f} | {r['ortlarge']:,.0f}{note} | {r['torch1']:,.0f} | {r['torchlarge']:,.0f}{note} | "
                      f"{r['ortlarge'] * length / 1e6:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    cli.run(main)
