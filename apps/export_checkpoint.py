#!/usr/bin/env python3
"""Export the best epoch so far of a training run (its run.json and checkpoint.pt) as a bundle,
evaluated on the run's test split, without stopping or changing the run.

    apps/export_checkpoint.py --run runs/pet_cgdnn_sig2019
"""
import argparse
import json
import os
import sys
import types

import torch

import train_and_export
from modrec_core import cli
from modrec_core.models import build, get_spec
from modrec_core.training import State


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training run folder")
    ap.add_argument("--bundle", help="bundle path (default: the run's own)")
    args = ap.parse_args(argv)
    with open(os.path.join(args.run, "run.json")) as f:
        run = types.SimpleNamespace(**json.load(f))
    if args.bundle:
        run.bundle = args.bundle
    ck = torch.load(os.path.join(args.run, "checkpoint.pt"), map_location="cpu", weights_only=False)
    data = train_and_export.load_data(run)
    model = build(run.model, len(data.label_names), data.length, **train_and_export.model_options(run.model_option))
    model.load_state_dict(ck["best_model"])
    norm = run.normalization or get_spec(run.model).normalization
    state = State(**ck["state"])
    train_and_export.finish(run, model.eval(), data, state, norm, print)
    return 0


if __name__ == "__main__":
    cli.run(main)
