#!/usr/bin/env python3
"""Training-step throughput, float32 against bfloat16 autocast, side by side on this CPU (or GPU):
the same model, batch, optimizer step and gradient clipping that train_and_export runs.
Prints examples/s for each and their ratio as a Markdown table.
"""
import argparse
import time

import numpy as np
import torch

from modrec_core import cli, training
from modrec_core.models import build, get_spec
from modrec_core.synthesis import get_preset, synthesize

# (model, training window length, model options): the configurations trained for the shipped bundles.
CONFIGS = [("pet_cgdnn", 512, {}), ("lstm_ap", 128, {}), ("mcldnn", 128, {}), ("se_jnnet", 512, {}),
           ("signet2", 256, {"backbone": "resnet18", "width": 16})]


def batch(length, size, seed=0):
    """One sig2019 batch at `length` samples, every class, SNRs spread over the preset's range."""
    preset = get_preset("sig2019").with_length(length)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(preset.classes), size)
    b = synthesize(preset, labels, rng.choice(preset.snr_levels, size), seed)
    return b.iq(), labels


def steps_per_second(name, length, options, bf16, x, y, steps, device):
    """Training steps per second after one warm-up step."""
    torch.manual_seed(0)
    model = build(name, 12, length, **options).to(device)
    recipe = training.Recipe(lr=1e-3, batch_size=len(y), epochs=1, schedule="onecycle")
    data = training.TrainData(label_names=[str(k) for k in range(12)], length=length, val=None, test=None,
                              per_epoch=len(y) * (steps + 1))
    trainer = training.Trainer(model, data, recipe, "/tmp", get_spec(name).normalization, device,
                               log=lambda *_: None, bf16=bf16)
    trainer.train_step(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step(x, y)
    return steps / (time.perf_counter() - start)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=400)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--models", nargs="*", help="subset of: " + ", ".join(c[0] for c in CONFIGS))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print("| model | train length | float32 ex/s | bf16 autocast ex/s | bf16 / float32 |\n|---|---|---|---|---|")
    for name, length, options in CONFIGS:
        if args.models and name not in args.models:
            continue
        x, y = batch(length, args.batch_size)
        fp32, bf16 = (args.batch_size * steps_per_second(name, length, options, amp, x, y, args.steps, args.device)
                      for amp in (False, True))
        label = name + "".join(f" {k}={v}" for k, v in options.items())
        print(f"| {label} | {length} | {fp32:,.0f} | {bf16:,.0f} | {bf16 / fp32:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    cli.run(main)
