#!/usr/bin/env python3
"""Train any zoo model, evaluate it the way the papers do, and export the bundle the block loads.

    apps/train_and_export.py --model pet_cgdnn --preset sig2019 --out runs/pet_sig2019
    apps/train_and_export.py --model gru2 --data data/sig2019.h5 --out runs/gru2 --epochs 5
    torchrun --nproc_per_node 2 apps/train_and_export.py --model pet_cgdnn --preset sig2019 --out runs/ddp

A run folder holds checkpoint.pt (written every epoch and every few minutes), train.log, the
test report and the bundle; `--resume` continues a killed run exactly where it stopped. A run
writes into models/ only when told to (`--bundle models/<model>_<preset>.onnx`).
"""
import argparse
import dataclasses
import json
import logging
import os
import sys

import torch
import torch.distributed as dist
from tqdm import tqdm

from modrec_core import cli, runs, training
from modrec_core.models import list_models


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=list_models())
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="synthesize on the fly (fresh training examples every epoch)")
    src.add_argument("--data", help="project HDF5 file (uses its stored split)")
    src.add_argument("--rml2016", help="RML2016.10a pickle")
    src.add_argument("--rml2018", help="RML2018.01a HDF5")
    src.add_argument("--sigmf", help="SigMF recording or folder (needs --length)")
    ap.add_argument("--length", type=int, help="window length (synthesis or SigMF); default: the preset's")
    ap.add_argument("--train-per-class-snr", type=int, default=900, help="synthesized training examples per class, SNR and epoch")
    ap.add_argument("--eval-per-class-snr", type=int, default=100, help="synthesized val and test examples per class and SNR")
    ap.add_argument("--eta", type=float, help="small-sample training: this share of the training set per class and "
                                              "SNR, fixed for the whole run (SigNet Fig. 6)")
    ap.add_argument("--min-snr", type=float, metavar="DB", help="synthesize only at the preset's SNR levels >= DB "
                                                                 "(training, validation and test)")
    ap.add_argument("--recipe", default="paper", choices=["paper", "onecycle"])
    for f in dataclasses.fields(training.Recipe):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), help=f"recipe override ({f.name})")
    ap.add_argument("--normalization", help="override the model's declared input normalization")
    ap.add_argument("--crop", type=int, help="any-length models: train on random crops of this many samples "
                                             "(validation, test and the bundle use whole windows)")
    ap.add_argument("--crop-share", type=float, help="with --crop: crop only this share of the training batches and "
                                                     "keep the rest whole, so one model learns both lengths")
    ap.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                    help="model constructor option, e.g. backbone=resnet18 or k=5")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="run folder: checkpoint, log, report")
    ap.add_argument("--resume", action="store_true", help="continue the run in --out")
    ap.add_argument("--init-from", metavar="CHECKPOINT", help="start from the best weights in another run's "
                    "checkpoint.pt (fine-tune, or continue under a new schedule)")
    ap.add_argument("--teacher", action="append", default=[], metavar="BUNDLE",
                    help="distill from this bundle (repeat for an ensemble: their mean probabilities); needs "
                         "--distill-weight")
    ap.add_argument("--bundle", help="bundle path (default <out>/<model>_<preset>.onnx; shipping into models/ "
                                     "is an explicit --bundle models/<model>_<preset>.onnx)")
    ap.add_argument("--report-dir", help="where report.json and plots go (default <out>/report)")
    ap.add_argument("--torchscript", action="store_true", help="also write a TorchScript .pt beside the bundle")
    ap.add_argument("--threads", type=int, help="torch CPU threads")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast for training steps (CPUs with AMX/AVX512-BF16, "
                    "recent GPUs); weights, validation and the exported bundle stay float32")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    return ap.parse_args(argv)


def check_args(args):
    """Refuse, before anything is written, a run that cannot do what was asked."""
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    if not args.checkpoint_minutes > 0:
        raise ValueError(f"--checkpoint-minutes must be > 0, got {args.checkpoint_minutes}")
    checkpoint = os.path.join(args.out, "checkpoint.pt")
    if args.resume and not os.path.isfile(checkpoint):
        raise ValueError(f"nothing to resume in {args.out}: it holds no checkpoint.pt")
    if os.path.exists(checkpoint) and not args.resume:
        raise ValueError(f"{args.out} already holds a checkpoint: add --resume to continue it, or pick another --out")


def run_config(args):
    """The RunConfig the command line asks for (validated: a bad value is refused here)."""
    source = next(name for name in runs.SOURCES if getattr(args, name))
    base = training.recipe_for(args.model, args.recipe)
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(training.Recipe)
                 if getattr(args, f.name) is not None}
    return runs.RunConfig(
        model=args.model, source=source, location=getattr(args, source),
        recipe=dataclasses.asdict(dataclasses.replace(base, **overrides)), seed=args.seed, length=args.length,
        train_per_class_snr=args.train_per_class_snr, eval_per_class_snr=args.eval_per_class_snr, eta=args.eta,
        min_snr_db=args.min_snr,
        normalization=args.normalization, crop=args.crop, crop_share=args.crop_share, model_options=cli.model_options(args.model_option),
        init_from=args.init_from, teachers=args.teacher, bundle=args.bundle, report_dir=args.report_dir, torchscript=args.torchscript,
        bf16=args.bf16)


def setup_distributed(device_name):
    """(rank, world, device) from torchrun's environment; world 1 without it."""
    if device_name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: torch sees no CUDA device on this machine")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local}" if device_name == "cuda" else "cpu")
    torch.backends.cudnn.benchmark = device.type == "cuda"  # fixed batch shapes: let cuDNN pick its fastest kernels
    if world > 1:
        dist.init_process_group("nccl" if device_name == "cuda" else "gloo")
        if device_name == "cuda":
            torch.cuda.set_device(device)
    return (dist.get_rank() if world > 1 else 0), world, device


def make_logger(out_dir, rank):
    log = logging.getLogger("train")
    log.setLevel(logging.INFO)
    if rank == 0:
        handler = logging.FileHandler(os.path.join(out_dir, "train.log"))
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
        log.addHandler(logging.StreamHandler(sys.stderr))
    return log.info


def main(argv=None):
    args = parse(argv)
    check_args(args)
    run = runs.Run(run_config(args), args.out)
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = setup_distributed(args.device)
    data = run.data()
    torch.manual_seed(args.seed)
    model = run.build_model(data).to(device)
    os.makedirs(args.out, exist_ok=True)
    log = make_logger(args.out, rank)
    trainer = training.Trainer(model, data, run.recipe, args.out, run.normalization, device, rank, world,
                               args.checkpoint_minutes * 60, log, tqdm, args.crop, args.bf16,
                               run.load_teachers(data, args.threads), crop_share=args.crop_share)
    resumed = args.resume and trainer.resume()  # refuses another run's checkpoint before anything is written
    if args.init_from and not resumed:
        trainer.init_from(args.init_from)
    if rank == 0:
        run.save()
    log(f"{args.model} on {data.meta['preset']}: {data.per_epoch} training examples per epoch, "
        f"{len(data.val.labels)} val, {len(data.test.labels)} test; recipe {run.recipe}; {world} process(es) on {device}"
        f"{', bfloat16 autocast' if args.bf16 else ''}")
    best = trainer.run()
    if rank == 0:
        model.load_state_dict(best)
        run.finish(model, data, trainer.state, log)
    if world > 1:
        rank_sum = sum(float(p.detach().double().sum()) for p in model.parameters())
        with open(os.path.join(args.out, f"rank{rank}.json"), "w") as f:
            json.dump({"rank": rank, "parameter_sum": rank_sum}, f)
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    cli.run(main)
