"""Labelled wideband scenes: several signals of a preset's classes side by side in one capture,
each at its own centre frequency and symbol rate, in white noise (apps/make_scene.py)."""
from dataclasses import dataclass, replace

import numpy as np

from .estimation import occupied_band
from .synthesis import get_preset, synthesize
from .synthesis.channel import Phase

SPS_RANGE = (4, 32)  # samples per symbol at the capture rate, drawn as whole numbers
SNR_RANGE_DB = (10.0, 25.0)  # in each signal's own band
GUARD = 0.025  # cycles/sample kept free between signals (their 99 % bands) and at the band edges
PLACEMENT_TRIES = 200
DRAWS = 20
LAYOUTS = 20
MIN_SAMPLES = 1 << 14
MAX_SIGNALS = 8  # how many fit side by side at random rates: 36 % of first layouts fail at 8, 92 % at 10


@dataclass(frozen=True)
class SceneSignal:
    """The truth about one signal of a scene; frequencies in cycles/sample of the capture."""

    label: str
    centre: float
    bandwidth: float  # holding 99 % of its power
    samples_per_symbol: int
    snr_db: float  # in its own band


def check_request(n_signals, n_samples, preset):
    """The preset of a scene request, or a one-line error naming what is wrong with it."""
    if not (isinstance(n_signals, int) and 0 <= n_signals <= MAX_SIGNALS):
        raise ValueError(f"signals must be a whole number from 0 to {MAX_SIGNALS}, got {n_signals!r}")
    if not (isinstance(n_samples, int) and n_samples >= MIN_SAMPLES):
        raise ValueError(f"a scene needs a whole number of at least {MIN_SAMPLES} samples, got {n_samples!r}")
    return get_preset(preset)


def make_scene(n_signals, n_samples, seed, preset="sig2019", signal=None):
    """(complex64 samples (n_samples,), [SceneSignal]): n_signals non-overlapping signals of
    random classes of `preset`; each made by signal(label, sps, n_samples, seed) (unit power),
    by default our synthesizer's, with RRC pulses (CPFSK for FSK) and a random carrier phase.
    A layout whose band fills up before every signal has room is drawn again, from the same stream."""
    base = check_request(n_signals, n_samples, preset)
    rng = np.random.default_rng(seed)
    noise = ((rng.standard_normal(n_samples) + 1j * rng.standard_normal(n_samples)) / np.sqrt(2)).astype(np.complex64)
    for _ in range(LAYOUTS):
        x, truth = noise.copy(), []
        if all(_add_signal(x, truth, rng, base, n_samples, seed * 1000 + k, signal) for k in range(n_signals)):
            return x, sorted(truth, key=lambda s: s.centre)
    raise ValueError(f"{n_signals} signals found no room side by side in {LAYOUTS} layouts (seed {seed}); use fewer")


def _add_signal(x, truth, rng, base, n_samples, seed, signal):
    """Draw one signal where the band has room for it, add it to x and its truth to `truth`;
    False where DRAWS draws (the last at the slowest rate, the narrowest) found no room."""
    taken = [(s.centre - s.bandwidth / 2, s.centre + s.bandwidth / 2) for s in truth]
    for draw in range(DRAWS):
        label = int(rng.integers(len(base.classes)))
        sps = SPS_RANGE[1] if draw == DRAWS - 1 else int(rng.integers(SPS_RANGE[0], SPS_RANGE[1] + 1))
        clean = (signal(base.labels[label], sps, n_samples, seed) if signal
                 else _clean_signal(base, label, sps, n_samples, seed))
        _, bandwidth = occupied_band(clean)
        centre = _free_centre(rng, bandwidth, taken)
        if centre is not None:
            break
    else:
        return False
    snr_db = float(rng.uniform(*SNR_RANGE_DB))
    gain = np.sqrt(10 ** (snr_db / 10) * bandwidth)  # signal power over noise power in its band
    x += (gain * clean * np.exp(2j * np.pi * centre * np.arange(n_samples))).astype(np.complex64)
    truth.append(SceneSignal(base.labels[label], centre, bandwidth, sps, snr_db))
    return True


def _clean_signal(base, label, sps, n_samples, seed):
    """One noise-free signal of class `label` at `sps`, unit power, n_samples long."""
    length = -(-n_samples // sps) * sps
    preset = replace(base, length=length, sps=sps, stages=(Phase(),), awgn=False, rrc_share=1.0, margin=0)
    return synthesize(preset, np.array([label]), 30.0, seed).x[0, :n_samples]


def _free_centre(rng, bandwidth, taken):
    """A centre frequency, uniform over those whose band keeps GUARD from the band edges and every
    taken band, or None where there is none. Rejection draws first (they fix the scenes that seeds
    have always given), then an exact draw over the free gaps once the band is nearly full."""
    half = bandwidth / 2 + GUARD
    if half >= 0.5:
        return None
    for _ in range(PLACEMENT_TRIES):
        centre = float(rng.uniform(-0.5 + half, 0.5 - half))
        if all(centre + half <= lo or centre - half >= hi for lo, hi in taken):
            return centre
    edges = [-0.5] + [e for band in sorted(taken) for e in band] + [0.5]
    room = [(lo + half, hi - half) for lo, hi in zip(edges[::2], edges[1::2]) if hi - lo > 2 * half]
    if not room:
        return None
    widths = np.array([hi - lo for lo, hi in room])
    lo, hi = room[int(rng.choice(len(room), p=widths / widths.sum()))]
    return float(rng.uniform(lo, hi))
