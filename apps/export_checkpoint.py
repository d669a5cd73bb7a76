#!/usr/bin/env python3
"""Export the best epoch so far of a training run (its run.json and checkpoint.pt) as a bundle,
evaluated on the run's test split, without stopping or changing the run.

    apps/export_checkpoint.py --run runs/pet_cgdnn_sig2019
    apps/export_checkpoint.py --run runs/equalized --model-option views=4   # the same weights, four views
    apps/export_checkpoint.py --run runs/eq1024 --batchnorm-crop-share 1     # BatchNorm set on the crops
"""
import argparse

from modrec_core import cli, runs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training run folder")
    ap.add_argument("--bundle", help="bundle path (default: the run's own)")
    ap.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                    help="build the exported model with this option instead of the run's (one that keeps the weights)")
    ap.add_argument("--batchnorm-crop-share", type=float, metavar="S",
                    help="share of the BatchNorm recalibration batches cut to the run's --crop (default: the run's "
                         "--crop-share); 1 sets BatchNorm for the crop length of a run trained on two lengths")
    args = ap.parse_args(argv)
    run = runs.Run.load(args.run)
    run.batchnorm_crop_share(args.batchnorm_crop_share)  # a bad value fails here, before the data are made
    data = run.data()
    model, state = run.restore_best(data, **cli.model_options(args.model_option))
    run.finish(model, data, state, print, bundle=args.bundle, batchnorm_crop_share=args.batchnorm_crop_share)
    return 0


if __name__ == "__main__":
    cli.run(main)
