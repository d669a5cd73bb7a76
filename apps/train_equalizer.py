#!/usr/bin/env python3
"""Train the blind equalizer on synthesized windows whose flat-channel twins are known, then put it
ahead of a trained cyclic hybrid for fine-tuning as `equalized_cyclic_hybrid` (docs/field.md).

    apps/train_equalizer.py --out runs/equalizer --steps 1500 \
        --classifier models/resume/cyclic_hybrid_sig2019_field/best.pt
    apps/train_and_export.py --model equalized_cyclic_hybrid --preset sig2019_field \
        --init-from runs/equalizer/best.pt --out runs/equalized ...

Writes DIR/equalizer.pt (resumable: run the same command again), DIR/train.log and, with
--classifier, DIR/best.pt (the two together, for --init-from).
"""
import argparse
import logging
import os

import torch

from modrec_core import cli
from modrec_core.equalizer_training import EqualizerTraining, checkpoint_part, compose


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="run folder")
    ap.add_argument("--steps", type=int, default=1500, help="optimizer steps of --batch-size windows")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3, help="peak learning rate of the one-cycle schedule")
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--classifier", help="a checkpoint.pt or best.pt whose cyclic hybrid to put the equalizer ahead "
                    "of: a cyclic_hybrid one, or the classifier of an equalized_cyclic_hybrid one")
    ap.add_argument("--init-from", metavar="CHECKPOINT", help="start from the equalizer of an equalized_cyclic_hybrid "
                    "checkpoint.pt or best.pt; a shorter filter is widened by zero taps at each end")
    args = ap.parse_args(argv)
    classifier = checkpoint_part(args.classifier, "--classifier", "classifier") if args.classifier else None
    init = checkpoint_part(args.init_from, "--init-from", "equalizer") if args.init_from else None
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s",
                        handlers=[logging.FileHandler(os.path.join(args.out, "train.log")), logging.StreamHandler()])
    run = EqualizerTraining(args.out, args.steps, args.seed, args.batch_size, args.lr, log=logging.info, init=init)
    equalizer = run.run()
    if args.classifier:
        compose(equalizer, classifier, os.path.join(args.out, "best.pt"))
        logging.info(f"wrote {os.path.join(args.out, 'best.pt')}: the equalizer ahead of {args.classifier}")
    return 0


if __name__ == "__main__":
    cli.run(main)
