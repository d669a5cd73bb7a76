"""Training the blind equalizer (models/blind_equalizer.py) against known channels: each
synthesized window comes with its flat-channel twin (the same symbols, timing, CFO and phase,
without multipath, noise or front end), and the equalizer learns to map the one onto the other
(docs/field.md). The result goes ahead of a trained cyclic hybrid as `equalized_cyclic_hybrid`."""
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from .models.blind_equalizer import BlindEqualizer, widened
from .synthesis import get_preset, streams, synthesize
from .synthesis.presets import FRONT_END
from .synthesis.synthesizer import to_iq
from .training import read_checkpoint

PRESETS = ("sig2019_multipath", "sig2019_field")  # half echo-heavy, half the field mix (half flat)
MIN_SNR_DB = 0.0  # below it the classifiers guess anyway, and noise would drown the loss
MAX_LAG, EDGE = 10, 24  # the loss's search over delays, and the samples left out at each end
EQUALIZER_KEY = 0xE0  # spawn key of the equalizer's label and SNR draws


def flat_twin(preset, labels, snr_db, seed, first=0):
    """The windows `synthesize(preset, ...)` makes, through a flat channel, before noise and front end."""
    flat = preset.without(*(s for s in ("multipath",) + FRONT_END if s in preset.stage_names))
    return synthesize(flat, labels, snr_db, seed, first, keep_clean=True).clean


def twin_batch(seed, step, batch_size):
    """Training batch `step`: (windows, their flat twins), float32 (B, 2, L) each."""
    rng = streams.generator(seed, step, EQUALIZER_KEY)
    iq, twins = [], []
    for k, name in enumerate(PRESETS):
        preset = get_preset(name)
        n = batch_size // len(PRESETS) + (k < batch_size % len(PRESETS))
        levels = np.asarray([s for s in preset.snr_levels if s >= MIN_SNR_DB], np.float32)
        labels, snr = rng.integers(0, len(preset.classes), n), rng.choice(levels, n)
        first = step * batch_size
        iq.append(synthesize(preset, labels, snr, seed + k, first).iq())
        twins.append(to_iq(flat_twin(preset, labels, snr, seed + k, first)))
    return np.concatenate(iq), np.concatenate(twins)


def equalization_loss(y, twin, max_lag=MAX_LAG, edge=EDGE):
    """1 - the best normalized correlation of y with its twin over delays -max_lag..max_lag, per
    window, averaged: blind to the complex gain and delay no equalizer can know."""
    yc = torch.complex(y[:, 0], y[:, 1])[:, edge:-edge]
    tc = torch.complex(twin[:, 0], twin[:, 1])
    n = yc.shape[1]
    energy = (yc.abs() ** 2).sum(1)
    best = torch.zeros_like(energy)
    for lag in range(-max_lag, max_lag + 1):
        shifted = tc[:, edge - lag:edge - lag + n]
        match = (yc * shifted.conj()).sum(1).abs() ** 2 / (energy * (shifted.abs() ** 2).sum(1) + 1e-12)
        best = torch.maximum(best, match)
    return (1 - best).mean()


class EqualizerTraining:
    """Steps of AdamW on a one-cycle schedule, resumable from out_dir/equalizer.pt."""

    def __init__(self, out_dir, steps, seed, batch_size=256, lr=2e-3, log=print, init=None):
        if steps < 1 or batch_size < 2:
            raise ValueError(f"steps must be >= 1 and batch_size >= 2, got {steps} and {batch_size}")
        self.path, self.steps, self.seed, self.batch_size, self.log = (os.path.join(out_dir, "equalizer.pt"), steps,
                                                                      seed, batch_size, log)
        os.makedirs(out_dir, exist_ok=True)
        self.model = BlindEqualizer()
        if init is not None:  # a trained equalizer's weights to start from (a resume overrides them)
            self.model.load_state_dict(widened(init, self.model.taps))
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr, weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, lr, total_steps=steps, pct_start=0.1)
        self.step = 0
        self.check = [torch.from_numpy(a) for a in twin_batch(seed + 17, 0, 512)]  # held out, for the learning curve
        self.identity_loss = equalization_loss(*self.check).item()  # the same batch with no equalizer
        if os.path.exists(self.path):
            self._resume()

    def _resume(self):
        ck = torch.load(self.path, weights_only=False)
        if ck.get("steps") != self.steps:
            raise ValueError(f"{self.path} was written by a run of {ck.get('steps')} steps, not {self.steps}")
        self.model.load_state_dict(ck["model"])
        self.optimizer.load_state_dict(ck["optimizer"])
        self.scheduler.load_state_dict(ck["scheduler"])
        self.step = ck["step"]
        self.log(f"resumed at step {self.step} of {self.steps}")

    def save(self):
        tmp = self.path + ".tmp"
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(), "step": self.step, "steps": self.steps}, tmp)
        os.replace(tmp, self.path)

    def held_out_loss(self):
        """The equalizer's loss on the held-out batch."""
        x, twin = self.check
        self.model.eval()
        with torch.no_grad():
            learned = equalization_loss(self.model(x), twin).item()
        self.model.train()
        return learned

    def run(self, every=50):
        """Train to the last step, logging and checkpointing every `every` steps; returns the model."""
        start = time.time()
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(twin_batch, self.seed, self.step, self.batch_size)
            while self.step < self.steps:
                x, twin = (torch.from_numpy(a) for a in ahead.result())
                if self.step + 1 < self.steps:
                    ahead = pool.submit(twin_batch, self.seed, self.step + 1, self.batch_size)
                loss = equalization_loss(self.model(x), twin)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.scheduler.step()
                self.step += 1
                if self.step % every == 0 or self.step == self.steps:
                    self.log(f"step {self.step}/{self.steps}: train loss {loss.item():.4f}, held-out "
                             f"{self.held_out_loss():.4f} (no equalizer {self.identity_loss:.4f}), {time.time() - start:.0f} s")
                    self.save()
        self.model.eval()
        return self.model


def checkpoint_part(path, option, part):
    """The weights of `part` ("equalizer" or "classifier") in an equalized_cyclic_hybrid checkpoint,
    or, for "classifier", a cyclic_hybrid checkpoint's own weights."""
    names = ("equalized_cyclic_hybrid", "cyclic_hybrid") if part == "classifier" else "equalized_cyclic_hybrid"
    ck = read_checkpoint(path, names, option)
    if ck.get("model_name", "equalized_cyclic_hybrid") == "cyclic_hybrid":
        return ck["best_model"]
    prefix = part + "."
    return {k[len(prefix):]: v for k, v in ck["best_model"].items() if k.startswith(prefix)}


def compose(equalizer, classifier, path):
    """Write a best.pt of `equalized_cyclic_hybrid`: this equalizer ahead of a cyclic hybrid with
    the weights `classifier` (a state dict, as `checkpoint_part` returns it); for --init-from."""
    state = {f"equalizer.{k}": v for k, v in equalizer.state_dict().items()}
    state.update({f"classifier.{k}": v for k, v in classifier.items()})
    tmp = path + ".tmp"
    torch.save({"model_name": "equalized_cyclic_hybrid", "best_model": state, "state": {"best_epoch": 0}}, tmp)
    os.replace(tmp, path)
