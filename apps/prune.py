#!/usr/bin/env python3
"""Magnitude pruning with PET-CGDNN's cubic sparsity schedule: accuracy against sparsity.

Takes a training run folder (its run.json and checkpoint.pt, best epoch), and for each target
sparsity fine-tunes a copy while each weight tensor's smallest-magnitude share grows as
s(t) = s_final * (1 - (1 - t/T)^3), then measures test accuracy and non-zero parameters.

    apps/prune.py --run runs/pet_cgdnn_sig2019 --sparsities 0.2 0.4 0.6 0.8 --steps 300
"""
import argparse
import copy
import json

import torch

from modrec_core import cli, evaluation, runs
from modrec_core.normalize import normalize
from modrec_core.training import model_logits


def prunable(model):
    """Weight matrices and kernels (not biases, norms or per-channel scales)."""
    return [p for name, p in model.named_parameters() if "weight" in name and p.dim() >= 2]


def apply_sparsity(params, sparsity):
    """Zero each tensor's smallest-magnitude `sparsity` share; returns the masks."""
    masks = []
    for p in params:
        k = int(sparsity * p.numel())
        if k == 0:
            masks.append(torch.ones_like(p, dtype=torch.bool))
            continue
        threshold = p.detach().abs().flatten().kthvalue(k).values
        mask = p.detach().abs() > threshold
        p.data.mul_(mask)
        masks.append(mask)
    return masks


def test_accuracy(model, data, norm):
    """Accuracy of a torch model on the run's test split."""
    return evaluation.accuracy(model_logits(model, data.test.iq, norm).numpy(), data.test.labels)


def prune(model, data, norm, target, steps, batch_size, lr=1e-4):
    model = copy.deepcopy(model).train()
    params = prunable(model)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    masks = []
    for t in range(steps):
        sparsity = target * (1 - (1 - (t + 1) / steps) ** 3)
        masks = apply_sparsity(params, sparsity)
        x, y = data.batch(10_000 + t // data.batches_per_epoch(batch_size), t % data.batches_per_epoch(batch_size),
                          batch_size)
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(normalize(x, norm))), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        for p, m in zip(params, masks):
            p.data.mul_(m)
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training run folder (run.json, checkpoint.pt)")
    ap.add_argument("--sparsities", type=float, nargs="+", default=[0.2, 0.4, 0.6, 0.8])
    ap.add_argument("--steps", type=int, default=300, help="fine-tuning steps per sparsity")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--out", help="JSON file for the results")
    args = ap.parse_args(argv)
    torch.set_flush_denormal(True)
    run = runs.Run.load(args.run)
    data = run.data()
    model, _ = run.restore_best(data)
    norm = run.normalization
    total = sum(p.numel() for p in model.parameters())
    rows = [{"sparsity": 0.0, "accuracy": test_accuracy(model, data, norm), "nonzero": total}]
    for target in args.sparsities:
        pruned = prune(model, data, norm, target, args.steps, args.batch_size)
        nonzero = int(sum(int(torch.count_nonzero(p)) for p in pruned.parameters()))
        rows.append({"sparsity": target, "accuracy": test_accuracy(pruned, data, norm), "nonzero": nonzero})
    print("| sparsity | test accuracy | non-zero parameters |\n|---|---|---|")
    for r in rows:
        print(f"| {r['sparsity']:.2f} | {100 * r['accuracy']:.2f}% | {r['nonzero']:,} of {total:,} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"run": args.run, "steps": args.steps, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    cli.run(main)
