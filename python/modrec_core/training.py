"""Training with checkpoints and resume, paper recipes, and PyTorch DDP (torchrun) support.

Data comes either from a fixed Dataset (a file, a loader) or from the synthesizer with fresh
examples every epoch. Either way batch k of epoch e is a pure function of (seed, e, k), so a run
resumed from a checkpoint taken mid-epoch continues with exactly the batches it would have seen.
"""
import copy
import math
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from torch import nn

from . import evaluation
from .dataset import Dataset, balanced_design, design_at, strata, stratified_split
from .normalize import normalize
from .synthesis import get_preset, streams, synthesize
from .synthesis.presets import OUTLIER_CLASSES


@dataclass(frozen=True)
class Recipe:
    """Optimizer and schedule; every field can be overridden from the command line."""

    lr: float = 1e-3
    batch_size: int = 400
    epochs: int = 100
    schedule: str = "plateau"  # "plateau" (halve on val-loss plateau), "warmup_cosine", "onecycle"
    plateau_patience: int = 5
    stop_patience: int = 50  # epochs without val-loss improvement before stopping (0: never)
    warmup_epochs: int = 1
    l1: float = 0.0  # weight of the model's l1_penalty() (SE-JNNet's 2DSWM term)
    weight_decay: float = 0.0
    augment: str = ""  # "+"-joined AUGMENTATIONS applied at random to training windows, e.g. "rot90+conj+reverse"
    label_smoothing: float = 0.0  # training loss only; validation loss and early stopping use plain cross-entropy
    outlier_exposure: float = 0.0  # weight of the loss pulling outlier windows (OUTLIER_CLASSES) to uniform probabilities
    distill_weight: float = 0.0  # share of the loss that is cross-entropy to the teachers' mean probabilities

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; use one of {', '.join(SCHEDULES)}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        for name in ("batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        unknown = sorted(set(self.augmentations) - set(AUGMENTATIONS))
        if unknown:
            raise ValueError(f"unknown augmentation {unknown}; use {'+'.join(AUGMENTATIONS)} or a part of it")
        if not (math.isfinite(self.outlier_exposure) and self.outlier_exposure >= 0):
            raise ValueError(f"outlier_exposure must be a weight >= 0, got {self.outlier_exposure}")
        if not 0.0 <= self.distill_weight <= 1.0:
            raise ValueError(f"distill_weight must be in [0, 1], got {self.distill_weight}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        for name in ("plateau_patience", "stop_patience", "warmup_epochs", "l1", "weight_decay"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    @property
    def augmentations(self):
        return [a for a in self.augment.split("+") if a]


def check_distillation(teachers, distill_weight):
    """Teachers and a distill_weight > 0 come together or not at all."""
    if bool(teachers) != (distill_weight > 0):
        raise ValueError("distillation needs both --teacher bundles and --distill-weight > 0")


SCHEDULES = ("plateau", "warmup_cosine", "onecycle")
# Label-preserving symmetries of Sig2019-12's classes and channel: a random multiple of 90
# degrees of rotation, complex conjugation, time reversal (docs/training.md).
AUGMENTATIONS = ("rot90", "conj", "reverse")
CLIP_NORM = 5.0  # gradient-norm clipping: an LSTM run at lr 3e-3 collapsed to chance without it
OUTLIER_SHARE = 4  # outlier exposure: one outlier window per this many training windows
OUTLIER_MIN_SNR_DB = 0.0  # outliers below this SNR look like noise, which known windows at low SNR do too
OUTLIER_SEED_OFFSET = 4_000_037  # outliers' synthesis seed: run seed + this (val, test, eta use other offsets)

# What each paper prints; models without a paper recipe of their own use Recipe() (Adam 1e-3,
# batch 400, halve the rate after 5 epochs without val-loss improvement, stop after 50).
PAPER_RECIPES = {
    "signet": Recipe(lr=1e-3, batch_size=32, epochs=50, schedule="warmup_cosine", stop_patience=0),
    "signet2": Recipe(lr=1e-3, batch_size=32, epochs=50, schedule="warmup_cosine", stop_patience=0),
    "pet_cgdnn": Recipe(batch_size=400),
    "se_jnnet": Recipe(batch_size=1000, l1=1e-4),
}


def recipe_for(model_name, name="paper"):
    """The named recipe for a model: 'paper', or 'onecycle' (our CPU recipe: OneCycle to 3e-3, batch 256)."""
    paper = PAPER_RECIPES.get(model_name, Recipe())
    if name == "paper":
        return paper
    if name == "onecycle":
        return replace(paper, schedule="onecycle", lr=3e-3, batch_size=256, stop_patience=0)
    raise ValueError(f"unknown recipe {name!r}; use 'paper' or 'onecycle'")


@dataclass
class TrainData:
    """Train batches by (epoch, index), and fixed validation and test sets."""

    label_names: list
    length: int
    val: Dataset
    test: Dataset
    train: Dataset = None  # fixed training set, or None for fresh synthesized examples
    preset: str = None
    seed: int = 0
    per_epoch: int = 0
    meta: dict = field(default_factory=dict)
    min_snr_db: float = None  # synthesized batches only at the preset's SNR levels >= this

    def batches_per_epoch(self, batch_size):
        return math.ceil(self.per_epoch / batch_size)

    def batch(self, epoch, k, batch_size):
        """(iq float32 (B, 2, L), labels int64) for batch k of epoch `epoch`."""
        start = k * batch_size
        count = min(batch_size, self.per_epoch - start)
        if self.train is not None:
            order = streams.generator(self.seed, epoch)
            rows = np.sort(order.permutation(self.per_epoch)[start:start + count])
            return self.train.iq[rows], self.train.labels[rows]
        preset = self._preset()
        first = epoch * self.per_epoch + start
        labels, snr = design_at(np.arange(first, first + count), len(preset.classes), preset.snr_levels)
        b = synthesize(preset, labels, snr, self.seed, first=first)
        return b.iq(), b.labels

    def outlier_batch(self, epoch, k, batch_size):
        """Outlier windows for batch k of `epoch`: OUTLIER_CLASSES under the training preset's own
        conditions at SNR >= OUTLIER_MIN_SNR_DB, from their own seed stream."""
        if self.preset is None:
            raise ValueError("outlier exposure needs synthesized training data (--preset)")
        base = self._preset()
        snrs = tuple(s for s in base.snr_levels if s >= OUTLIER_MIN_SNR_DB)
        preset = replace(base, classes=OUTLIER_CLASSES, snr_levels=snrs)
        n = max(1, batch_size // OUTLIER_SHARE)
        first = (epoch * self.batches_per_epoch(batch_size) + k) * n
        labels, snr = design_at(np.arange(first, first + n), len(OUTLIER_CLASSES), snrs)
        return synthesize(preset, labels, snr, self.seed + OUTLIER_SEED_OFFSET, first=first).iq()

    def _preset(self):
        return run_preset(self.preset, self.length, self.min_snr_db)


def run_preset(name, length=None, min_snr_db=None):
    """The preset a run synthesizes from: at its window length and SNR floor, where given."""
    preset = get_preset(name)
    if length:
        preset = preset.with_length(length)
    return preset if min_snr_db is None else preset.with_min_snr(min_snr_db)


def synthetic_data(preset_name, seed, train_per_class_snr, eval_per_class_snr, length=None, eta=None,
                   min_snr_db=None):
    """Fresh training examples every epoch from `seed`, or with `eta` (SigNet's small-sample
    setting) one fixed training set of eta x train_per_class_snr per class and SNR; fixed val and
    test sets from other seeds. With `min_snr_db`, all three only at the preset's SNR levels >= it."""
    preset = run_preset(preset_name, length, min_snr_db)
    n_pairs = len(preset.classes) * len(preset.snr_levels)

    def fixed(offset, per_pair):
        labels, snr = balanced_design(len(preset.classes), preset.snr_levels, per_pair)
        b = synthesize(preset, labels, snr, seed + offset)
        return Dataset(b.iq(), b.labels, b.snr_db, preset.labels)

    train, per_epoch = None, train_per_class_snr * n_pairs
    if eta is not None:
        per_pair = max(1, round(eta * train_per_class_snr))
        train, per_epoch = fixed(3_000_007, per_pair), per_pair * n_pairs
    meta = {"preset": preset.name, "seed": seed, "samples_per_symbol": preset.sps}
    if min_snr_db is not None:
        meta["min_snr_db"] = float(min_snr_db)
    return TrainData(preset.labels, preset.length, fixed(1_000_003, eval_per_class_snr),
                     fixed(2_000_003, eval_per_class_snr), train, preset.name, seed, per_epoch, meta, min_snr_db)


def small_sample(data, eta, seed):
    """The same TrainData with a stratified eta share of its fixed training set per class and SNR."""
    rng = streams.generator(seed, streams.SMALL_SAMPLE_KEY)
    keys = strata(data.train.labels, data.train.snr_db)
    groups = [rng.permutation(np.flatnonzero(keys == key)) for key in np.unique(keys)]
    rows = np.concatenate([g[:max(1, round(eta * len(g)))] for g in groups])
    train = data.train.subset(np.sort(rows))
    return replace(data, train=train, per_epoch=len(train.labels))


def fixed_data(ds, seed, preset="none", samples_per_symbol="unknown"):
    """Train/val/test from one Dataset: its stored split, or a stratified 6:2:2 split by class and SNR."""
    split = ds.split if ds.split is not None else stratified_split(ds.labels, ds.snr_db, seed)
    parts = [ds.subset(split == k) for k in range(3)]
    parts[0].split = parts[1].split = parts[2].split = None
    return TrainData(ds.label_names, ds.iq.shape[2], parts[1], parts[2], parts[0], None, seed, len(parts[0].labels),
                     {"preset": preset, "seed": seed, "samples_per_symbol": samples_per_symbol})


@dataclass
class State:
    """Everything a checkpoint holds besides the model and optimizer."""

    epoch: int = 0
    step: int = 0  # batches done in the current epoch
    best_val_acc: float = -1.0
    best_epoch: int = -1
    best_val_loss: float = math.inf
    epochs_since_better_loss: int = 0
    seconds: float = 0.0
    examples: int = 0
    history: list = field(default_factory=list)
    done: bool = False


def read_checkpoint(path, model_name, option, device="cpu"):
    """A checkpoint.pt or best.pt written by train_and_export holding the best weights of
    `model_name` (or of one of a tuple of names; a best.pt names no model and is taken as the
    first), or a one-line error naming `option`."""
    if not os.path.exists(path):
        raise ValueError(f"{option} {path}: no such checkpoint")
    ck = torch.load(path, map_location=device, weights_only=False)
    if not isinstance(ck, dict) or "best_model" not in ck:
        raise ValueError(f"{option} {path}: not a checkpoint.pt or best.pt written by train_and_export")
    names = (model_name,) if isinstance(model_name, str) else tuple(model_name)
    if ck.get("model_name", names[0]) not in names:
        raise ValueError(f"{option} {path}: checkpoint is for {ck['model_name']}, not {' or '.join(names)}")
    return ck


class Trainer:
    """Runs epochs with checkpoints; rank 0 writes, every rank trains its share of each batch."""

    def __init__(self, model, data, recipe, out_dir, normalization, device="cpu", rank=0, world=1,
                 checkpoint_seconds=300, log=print, progress=None, crop=None, bf16=False, teachers=(), crop_share=None):
        if crop and not model.spec.any_length:
            raise ValueError(f"--crop needs a model that takes any window length; {model.spec.name} does not")
        if crop and not model.spec.min_length <= crop <= data.length:
            raise ValueError(f"crop {crop} must lie between {model.spec.min_length} and the window length {data.length}")
        self.crop = crop  # train on random crops of this length (validation and test use whole windows)
        self.crop_share = crop_share  # the share of batches cropped (None: all)
        self.bf16 = bf16  # bfloat16 autocast of training forward passes; weights, validation and export stay float32
        check_distillation(teachers, recipe.distill_weight)
        self.teachers = teachers  # bundles whose mean probabilities are the distillation targets
        self.model, self.data, self.recipe, self.out_dir = model, data, recipe, out_dir
        self.normalization, self.device, self.rank, self.world = normalization, torch.device(device), rank, world
        self.checkpoint_seconds, self.log, self.progress = checkpoint_seconds, log, progress
        self.prefetch = 2 if self.device.type == "cuda" else 0  # threads making the next batches while the GPU trains
        torch.set_flush_denormal(True)  # denormal gradients through time make CPU RNN backward ~4x slower
        self.net = model
        if world > 1:
            self.net = nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
        self.steps_per_epoch = data.batches_per_epoch(recipe.batch_size)
        self.scheduler = self._scheduler()
        self.state = State()
        self.best_state = copy.deepcopy(model.state_dict())
        self.path = os.path.join(out_dir, "checkpoint.pt")
        os.makedirs(out_dir, exist_ok=True)

    def _scheduler(self):
        r, total = self.recipe, self.recipe.epochs * self.steps_per_epoch
        if r.schedule == "plateau":
            return torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, factor=0.5, patience=r.plateau_patience)
        if r.schedule == "onecycle":
            return torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=r.lr, total_steps=total)
        warm = max(1, r.warmup_epochs * self.steps_per_epoch)  # warmup_cosine, the one left
        return torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: (s + 1) / warm if s < warm else
                                                 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm))))

    def resume(self):
        """Load the checkpoint in out_dir if there is one; returns whether it did."""
        if not os.path.exists(self.path):
            return False
        ck = torch.load(self.path, map_location=self.device, weights_only=False)
        recipe = {**asdict(Recipe()), **ck["recipe"]}  # fields added since the checkpoint take their defaults
        if ck["model_name"] != self.model.spec.name or recipe != asdict(self.recipe):
            raise ValueError(f"{self.path}: checkpoint is for {ck['model_name']} with recipe {ck['recipe']}, "
                             f"not this run; use another --out folder or the same settings")
        self.model.load_state_dict(ck["model"])
        self.optimizer.load_state_dict(ck["optimizer"])
        self.scheduler.load_state_dict(ck["scheduler"])
        self.best_state = ck["best_model"]
        self.state = State(**ck["state"])
        self.log(f"resumed from {self.path}: epoch {self.state.epoch}, batch {self.state.step}, "
                 f"best val acc {self.state.best_val_acc:.4f} (epoch {self.state.best_epoch})")
        return True

    def init_from(self, path):
        """Start from the best weights of another run's checkpoint.pt, or of a best.pt (the best
        weights alone, what models/resume keeps): fine-tuning, or a new schedule."""
        ck = read_checkpoint(path, self.model.spec.name, "--init-from", self.device)
        try:
            self.model.load_state_dict(ck["best_model"])
        except RuntimeError as e:  # a best.pt names no model: its weights must fit this one
            raise ValueError(f"--init-from {path}: its weights are not {self.model.spec.name}'s with these options "
                             f"({str(e).splitlines()[0][:120]})") from None
        self.best_state = copy.deepcopy(self.model.state_dict())
        self.log(f"initialized from {path}: best weights of its epoch {ck['state']['best_epoch'] + 1}")

    def save(self):
        if self.rank:
            return
        tmp = self.path + ".tmp"
        torch.save({"model_name": self.model.spec.name, "recipe": asdict(self.recipe), "model": self.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                    "best_model": self.best_state, "state": asdict(self.state)}, tmp)
        os.replace(tmp, self.path)

    def run(self):
        """Train until the epochs are done or early stopping; returns the best model's state dict."""
        while not self.state.done and self.state.epoch < self.recipe.epochs:
            self._epoch()
        self.state.done = True
        self.save()
        return self.best_state

    def _epoch(self):
        st, r = self.state, self.recipe
        self.model.train()
        last_save = time.monotonic()
        bar = self.progress(total=self.steps_per_epoch, initial=st.step, desc=f"epoch {st.epoch + 1}/{r.epochs}") \
            if self.progress and self.rank == 0 else None
        loss_sum, correct, seen = 0.0, 0, 0
        t0 = time.monotonic()
        for x, y, outliers, soft in self._batches(st.epoch, st.step):
            share = slice(self.rank, None, self.world)
            loss, hits = self.train_step(x[share], y[share], None if outliers is None else outliers[share],
                                         None if soft is None else soft[share])
            st.step += 1
            st.examples += len(y)
            st.seconds += time.monotonic() - t0
            loss_sum, correct, seen = loss_sum + loss * len(y), correct + hits * self.world, seen + len(y)
            if bar:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}",
                                ex_s=f"{st.examples / max(st.seconds, 1e-9):.0f}")
            if time.monotonic() - last_save > self.checkpoint_seconds:
                self.save()
                last_save = time.monotonic()
            t0 = time.monotonic()
        if bar:
            bar.close()
        self._end_epoch(loss_sum / max(seen, 1), correct / max(seen, 1))

    def _batch(self, epoch, k):
        """(windows, labels, outlier windows or None, teachers' probabilities or None) of training
        batch k of `epoch`, augmented and cropped as the recipe and run say (the teachers see the
        augmented windows whole)."""
        x, y = self.data.batch(epoch, k, self.recipe.batch_size)
        outliers = self.data.outlier_batch(epoch, k, self.recipe.batch_size) if self.recipe.outlier_exposure else None
        if self.recipe.augment:
            x = augment(x, self.recipe.augmentations, streams.generator(self.data.seed, epoch, k, streams.AUGMENT_KEY))
        soft = np.mean([t.predict(x) for t in self.teachers], axis=0).astype(np.float32) if self.teachers else None
        if self.crop:
            x = crop_batch(x, self.data.seed, epoch, k, self.crop, self.crop_share)
            outliers = None if outliers is None else crop_batch(outliers, self.data.seed, epoch, k, self.crop,
                                                                self.crop_share)
        return x, y, outliers, soft

    def _batches(self, epoch, first):
        """The epoch's batches from `first` on; with `prefetch` threads the next ones are made meanwhile."""
        if not self.prefetch:
            yield from (self._batch(epoch, k) for k in range(first, self.steps_per_epoch))
            return
        with ThreadPoolExecutor(self.prefetch) as pool:
            ahead = deque(pool.submit(self._batch, epoch, k)
                          for k in range(first, min(first + self.prefetch, self.steps_per_epoch)))
            k = first + len(ahead)
            while ahead:
                batch = ahead.popleft().result()
                if k < self.steps_per_epoch:
                    ahead.append(pool.submit(self._batch, epoch, k))
                    k += 1
                yield batch

    def train_step(self, x, y, outliers=None, soft=None):
        """One optimizer step on a batch (numpy iq, labels, outlier windows for outlier exposure,
        teachers' probabilities for distillation); returns (classification loss, correct predictions)."""
        n = len(x)
        if outliers is not None:
            x = np.concatenate([x, outliers])
        x = torch.from_numpy(normalize(x, self.normalization)).to(self.device)
        y = torch.from_numpy(np.asarray(y, np.int64)).to(self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            out = self.net(x).float()
        logits = out[:n]
        loss = nn.functional.cross_entropy(logits, y, label_smoothing=self.recipe.label_smoothing)
        total = loss
        if soft is not None:  # Hinton et al.: cross-entropy to the teachers' (calibrated) probabilities
            w = self.recipe.distill_weight
            soft_loss = -(torch.from_numpy(soft).to(self.device) * torch.log_softmax(logits, dim=1)).sum(1).mean()
            total = (1 - w) * loss + w * soft_loss
        if self.recipe.l1:
            total = total + self.recipe.l1 * self.model.l1_penalty()
        if outliers is not None:  # Hendrycks et al.: cross-entropy of the outliers to the uniform distribution
            total = total - self.recipe.outlier_exposure * torch.log_softmax(out[n:], dim=1).mean()
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), CLIP_NORM)
        self.optimizer.step()
        if self.recipe.schedule != "plateau":
            self.scheduler.step()
        return loss.item(), int((logits.argmax(1) == y).sum())

    def _end_epoch(self, train_loss, train_acc):
        st, r = self.state, self.recipe
        val_loss, val_acc = self.validate()
        if r.schedule == "plateau":
            self.scheduler.step(val_loss)
        if val_acc > st.best_val_acc:
            st.best_val_acc, st.best_epoch = val_acc, st.epoch
            self.best_state = copy.deepcopy(self.model.state_dict())
        if val_loss < st.best_val_loss:
            st.best_val_loss, st.epochs_since_better_loss = val_loss, 0
        else:
            st.epochs_since_better_loss += 1
        st.history.append({"epoch": st.epoch + 1, "train_loss": train_loss, "train_acc": train_acc,
                           "val_loss": val_loss, "val_acc": val_acc, "lr": self.optimizer.param_groups[0]["lr"],
                           "examples": st.examples, "seconds": st.seconds})
        self.log(f"epoch {st.epoch + 1}: train loss {train_loss:.4f} acc {train_acc:.4f} | val loss {val_loss:.4f} "
                 f"acc {val_acc:.4f} | lr {self.optimizer.param_groups[0]['lr']:.2e} | "
                 f"{st.examples / max(st.seconds, 1e-9):.0f} examples/s")
        st.epoch, st.step = st.epoch + 1, 0
        if r.stop_patience and st.epochs_since_better_loss >= r.stop_patience:
            self.log(f"early stop: val loss has not improved for {r.stop_patience} epochs")
            st.done = True
        self.save()

    def validate(self):
        """(mean loss, accuracy) on the validation set."""
        logits = model_logits(self.model, self.data.val.iq, self.normalization)
        self.model.train()
        loss = float(nn.functional.cross_entropy(logits, torch.from_numpy(self.data.val.labels)))
        return loss, evaluation.accuracy(logits.numpy(), self.data.val.labels)


def model_logits(model, iq, normalization, batch_size=512):
    """A torch model's logits (N, C) on the CPU for windows `iq` (N, 2, L), in eval mode, batched."""
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        return torch.cat([model(torch.from_numpy(normalize(iq[k:k + batch_size], normalization)).to(device)).float().cpu()
                          for k in range(0, len(iq), batch_size)])


def augment(x, names, rng):
    """Windows x (B, 2, L) each transformed by the named symmetries, each applied at random
    (rot90: one of 0, 90, 180, 270 degrees; conj and reverse: with probability 1/2)."""
    i, q = x[:, 0], x[:, 1]
    if "conj" in names:
        q = np.where(rng.random(len(x))[:, None] < 0.5, -q, q)
    if "rot90" in names:
        k = rng.integers(0, 4, len(x))[:, None]
        i, q = (np.select([k == 0, k == 1, k == 2], [i, -q, -i], q),
                np.select([k == 0, k == 1, k == 2], [q, i, -q], -i))
    out = np.stack([i, q], axis=1)
    if "reverse" in names:
        flip = rng.random(len(x)) < 0.5
        out[flip] = out[flip, :, ::-1]
    return np.ascontiguousarray(out, dtype=np.float32)


def crop_batch(x, seed, epoch, step, crop, share=None):
    """One random `crop`-sample slice of every window, the same for a given (epoch, batch); with
    `share`, only that share of the batches is cropped and the rest stay whole."""
    rng = streams.generator(seed, epoch, step, streams.CROP_KEY)
    if share is not None and rng.random() >= share:
        return x
    start = rng.integers(0, x.shape[2] - crop + 1)
    return x[:, :, start:start + crop]


def recalibrate_batchnorm(model, data, normalization, epoch, examples=8192, batch_size=256, crop=None, crop_share=None):
    """Set every BatchNorm's running mean/variance to exact averages over `examples` training
    windows of `epoch` ("precise BN"): training's running averages lag the weights and may come
    from crops or autocast. Whole windows, except for a run trained on both lengths (a
    `crop_share` with its `crop`): its batches cropped as in training.
    Returns the number of BatchNorm layers (0: model unchanged)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    saved = [(m.momentum, m.training) for m in norms]
    device = next(model.parameters()).device
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # None: a cumulative average over the batches below
        m.train()
    with torch.no_grad():
        for k in range(math.ceil(min(examples, data.per_epoch) / batch_size)):
            x, _ = data.batch(epoch, k, batch_size)
            if crop_share is not None:
                x = crop_batch(x, data.seed, epoch, k, crop, crop_share)
            model(torch.from_numpy(normalize(x, normalization)).to(device))
    for m, (momentum, training) in zip(norms, saved):
        m.momentum = momentum
        m.train(training)
    return len(norms)
