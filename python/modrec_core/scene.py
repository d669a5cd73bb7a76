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


@dataclass(frozen=True)
class SceneSignal:
    """The truth about one signal of a scene; frequencies in cycles/sample of the capture."""

    label: str
    centre: float
    bandwidth: float  # holding 99 % of its power
    samples_per_symbol: int
    snr_db: float  # in its own band


def make_scene(n_signals, n_samples, seed, preset="sig2019", signal=None):
    """(complex64 samples (n_samples,), [SceneSignal]): n_signals non-overlapping signals of
    random classes of `preset`; each made by signal(label, sps, n_samples, seed) (unit power),
    by default our synthesizer's, with RRC pulses (CPFSK for FSK) and a random carrier phase."""
    if not (isinstance(n_signals, int) and 0 <= n_signals <= 16):
        raise ValueError(f"signals must be a whole number from 0 to 16, got {n_signals!r}")
    if not (isinstance(n_samples, int) and n_samples >= 1 << 14):
        raise ValueError(f"a scene needs at least {1 << 14} samples, got {n_samples!r}")
    base = get_preset(preset)
    rng = np.random.default_rng(seed)
    x = ((rng.standard_normal(n_samples) + 1j * rng.standard_normal(n_samples)) / np.sqrt(2)).astype(np.complex64)
    truth, taken = [], []
    for k in range(n_signals):
        for _ in range(DRAWS):  # a signal too wide for the room left is drawn again
            label = int(rng.integers(len(base.classes)))
            sps = int(rng.integers(SPS_RANGE[0], SPS_RANGE[1] + 1))
            clean = (signal(base.labels[label], sps, n_samples, seed * 1000 + k) if signal
                     else _clean_signal(base, label, sps, n_samples, seed * 1000 + k))
            _, bandwidth = occupied_band(clean)
            centre = _free_centre(rng, bandwidth, taken)
            if centre is not None:
                break
        else:
            raise ValueError(f"{n_signals} signals do not fit side by side in the band (seed {seed}); use fewer")
        taken.append((centre - bandwidth / 2, centre + bandwidth / 2))
        snr_db = float(rng.uniform(*SNR_RANGE_DB))
        gain = np.sqrt(10 ** (snr_db / 10) * bandwidth)  # signal power over noise power in its band
        x += (gain * clean * np.exp(2j * np.pi * centre * np.arange(n_samples))).astype(np.complex64)
        truth.append(SceneSignal(base.labels[label], centre, bandwidth, sps, snr_db))
    return x, sorted(truth, key=lambda s: s.centre)


def _clean_signal(base, label, sps, n_samples, seed):
    """One noise-free signal of class `label` at `sps`, unit power, n_samples long."""
    length = -(-n_samples // sps) * sps
    preset = replace(base, length=length, sps=sps, stages=(Phase(),), awgn=False, rrc_share=1.0, margin=0)
    return synthesize(preset, np.array([label]), 30.0, seed).x[0, :n_samples]


def _free_centre(rng, bandwidth, taken):
    """A centre frequency whose band keeps GUARD from the band edges and every taken band."""
    half = bandwidth / 2 + GUARD
    if half >= 0.5:
        return None
    for _ in range(PLACEMENT_TRIES):
        centre = float(rng.uniform(-0.5 + half, 0.5 - half))
        if all(centre + half <= lo or centre - half >= hi for lo, hi in taken):
            return centre
    return None
