"""Modulation classes: each maps per-example random draws to a clean complex baseband window.

Every modulator takes `u` (N, K) uniform symbol draws in [0, 1), `shape_param` (N,) (roll-off or
Gaussian BT where the class uses it), `aux` (N, AUX) uniform draws for analog sources, the number
of samples and samples per symbol, and returns (x, symbols): x complex64 (N, n_samples) and the
in-window symbol indices (N, n_samples // sps), -1 where the class has no symbols.
"""
from dataclasses import dataclass, field

import numpy as np

from . import constellations, pulses

AUX = 12  # uniform draws per example for analog sources


@dataclass(frozen=True)
class Modulation:
    """One class: its name, its modulator kind and that kind's settings."""

    name: str
    kind: str  # "linear", "oqpsk", "fsk" or "analog"
    points: np.ndarray = field(default=None, repr=False)
    pulse: str = "rc"  # "rc" or "rrc" (roll-off), "gaussian" (BT), "rect"
    bt: float = 0.35
    index: float = 0.5  # FSK modulation index h (tone spacing h / T)
    analog: str = ""  # "am_dsb_wc", "am_dsb_sc", "am_ssb_wc", "am_ssb_sc", "fm"
    deviation: float = 0.0  # FM peak deviation, cycles per sample

    @property
    def order(self):
        return 0 if self.points is None else len(self.points)


def linear(name, points):
    return Modulation(name, "linear", points=points)


def oqpsk(name):
    return Modulation(name, "oqpsk", points=constellations.psk(4))


def fsk(name, m, index=0.5, pulse="rc", bt=0.35):
    levels = (2.0 * np.arange(m) - (m - 1)) / 2.0  # tone offsets in units of the tone spacing
    return Modulation(name, "fsk", points=levels, pulse=pulse, bt=bt, index=index)


def analog(name, flavour, deviation=0.0):
    return Modulation(name, "analog", analog=flavour, deviation=deviation)


_PULSES = {"rc": pulses.raised_cosine, "rrc": pulses.root_raised_cosine, "rect": pulses.rectangular, "gaussian": pulses.gaussian_rect}


def modulate(mod, u, shape_param, aux, n_samples, sps):
    """Clean baseband for examples of one class; see the module docstring."""
    if mod.kind == "analog":
        return _analog(mod, aux, n_samples), np.full((len(u), n_samples // sps), -1, np.int16)
    idx = np.minimum((u * mod.order).astype(np.int64), mod.order - 1)
    in_window = idx[:, pulses.LEAD:pulses.LEAD + n_samples // sps].astype(np.int16)
    param = np.full(len(u), mod.bt) if mod.pulse == "gaussian" else shape_param
    pulse = _PULSES[mod.pulse]
    if mod.kind == "fsk":
        freq = pulses.shape(mod.points[idx] * mod.index / sps, pulse, param, sps, n_samples)
        phase = 2 * np.pi * np.cumsum(freq.astype(np.float64), axis=1)
        return np.exp(1j * phase).astype(np.complex64), in_window
    sym = mod.points[idx]
    i = pulses.shape(sym.real, pulse, param, sps, n_samples)
    q_delay = 0.5 if mod.kind == "oqpsk" else 0.0
    q = pulses.shape(sym.imag, pulse, param, sps, n_samples, delay=q_delay)
    return (i + 1j * q).astype(np.complex64), in_window


def audio(aux, n_samples):
    """Speech-like test source in [-1, 1]: three tones under a slow syllabic envelope, never silent."""
    t = np.arange(n_samples)[None, :]
    tone_freq = 0.002 + 0.018 * aux[:, 0:3]  # cycles per sample
    tone_amp = 0.2 + 0.8 * aux[:, 3:6]
    tone_phase = 2 * np.pi * aux[:, 6:9]
    a = sum(tone_amp[:, k, None] * np.sin(2 * np.pi * tone_freq[:, k, None] * t + tone_phase[:, k, None])
            for k in range(3))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * (0.0005 + 0.0015 * aux[:, 9, None]) * t + 2 * np.pi * aux[:, 10, None])
    a = a * envelope
    return a / np.max(np.abs(a), axis=1, keepdims=True)


def analytic(a):
    """Analytic signal a + j H{a} by the FFT (upper sideband)."""
    n = a.shape[1]
    spectrum = np.fft.fft(a, axis=1)
    weights = np.zeros(n)
    weights[0] = 1.0
    weights[1:(n + 1) // 2] = 2.0
    if n % 2 == 0:
        weights[n // 2] = 1.0
    return np.fft.ifft(spectrum * weights, axis=1)


def _analog(mod, aux, n_samples):
    a = audio(aux, n_samples)
    depth = 0.5 + 0.4 * aux[:, 11, None]  # AM modulation index
    flavour = mod.analog
    if flavour == "am_dsb_wc":
        x = 1.0 + depth * a
    elif flavour == "am_dsb_sc":
        x = a
    elif flavour == "am_ssb_wc":
        x = 1.0 + depth * analytic(a)
    elif flavour == "am_ssb_sc":
        x = analytic(a)
    elif flavour == "fm":
        x = np.exp(2j * np.pi * mod.deviation * np.cumsum(a, axis=1))
    else:
        raise ValueError(f"unknown analog modulation {flavour!r}")
    return np.asarray(x, np.complex64)
