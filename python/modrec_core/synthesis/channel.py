"""Channel impairments as composable stages.

A stage has a `name` (used to switch it off and to key its random stream), `draw(streams, n_ext)`
returning its per-example parameters, and `apply(x, params, origin)` working on complex (N, n_ext)
windows whose in-window part starts at sample `origin`. Stages with `before_crop` run on the
window plus its margins (they move samples in time); the others run on the cropped window.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Phase:
    """Carrier phase uniform in [-pi, pi], referenced to the window's first sample."""

    name = "phase"
    before_crop = False

    def draw(self, streams, n_ext):
        return {"phase": streams.uniform("phase", (), -np.pi, np.pi)}

    def apply(self, x, p, origin):
        return rotate(x, p["phase"][:, None])


@dataclass(frozen=True)
class CarrierOffset:
    """Carrier frequency offset uniform in [-max_offset, max_offset] cycles per sample.

    With drift_std > 0 the offset also random-walks by drift_std per sample, bounded to
    +-drift_max around its start (GNU Radio's dynamic channel model does the same).
    """

    max_offset: float
    drift_std: float = 0.0
    drift_max: float = 0.0
    name = "cfo"
    before_crop = False

    def draw(self, streams, n_ext):
        p = {"cfo": streams.uniform("cfo", (), -self.max_offset, self.max_offset)}
        if self.drift_std > 0:
            p["cfo_walk"] = streams.normal("cfo_walk", (n_ext,))
        return p

    def apply(self, x, p, origin):
        n = x.shape[1]
        cycles = p["cfo"][:, None] * np.arange(n)[None, :]  # 0 at the first sample
        if self.drift_std > 0:
            walk = np.cumsum(self.drift_std * p["cfo_walk"][:, :n].astype(np.float64), axis=1)
            drift = np.clip(walk, -self.drift_max, self.drift_max)
            cycles = cycles + np.cumsum(drift, axis=1) - drift
        return rotate(x, 2 * np.pi * np.mod(cycles, 1.0))


@dataclass(frozen=True)
class Multipath:
    """Static frequency-selective Rician fading: taps at fractional delays (samples).

    Each tap is sqrt(K/(K+1)) e^{j theta} + sqrt(1/(K+1)) CN(0, 1), scaled by its gain; the
    profile is normalised to unit total power. Static over one window (Doppler << window rate).
    """

    delays: tuple = (0.0, 0.9, 1.7)
    gains: tuple = (1.0, 0.8, 0.3)
    k_factor: float = 4.0
    name = "fading"
    before_crop = True

    def draw(self, streams, n_ext):
        n_taps = len(self.delays)
        los = np.exp(1j * streams.uniform("fading_los", (n_taps,), -np.pi, np.pi))
        scatter = streams.normal("fading_scatter", (n_taps, 2)) / np.sqrt(2.0)
        k = self.k_factor
        taps = np.sqrt(k / (k + 1)) * los + np.sqrt(1 / (k + 1)) * (scatter[..., 0] + 1j * scatter[..., 1])
        profile = np.asarray(self.gains) / np.sqrt(np.sum(np.square(self.gains)))
        return {"fading_taps": (taps * profile).astype(np.complex64)}

    def apply(self, x, p, origin):
        n = x.shape[1]
        f = np.fft.fftfreq(n)
        steer = np.exp(-2j * np.pi * np.outer(self.delays, f))  # (taps, n)
        response = p["fading_taps"] @ steer
        return np.fft.ifft(np.fft.fft(x, axis=1) * response, axis=1).astype(np.complex64)


@dataclass(frozen=True)
class SampleRateOffset:
    """Receiver clock offset: resample by (1 + eps), eps uniform in +-max_offset, about the window centre."""

    max_offset: float
    name = "sro"
    before_crop = True

    def draw(self, streams, n_ext):
        return {"sro": streams.uniform("sro", (), -self.max_offset, self.max_offset)}

    def apply(self, x, p, origin):
        n = x.shape[1]
        centre = (n - 1) / 2.0
        t = centre + (np.arange(n)[None, :] - centre) * (1.0 + p["sro"][:, None])
        return interpolate(x, t)


@dataclass(frozen=True)
class SymbolTiming:
    """Symbol-timing phase: the window starts `timing` samples (uniform in [0, sps)) after a symbol
    boundary, as windows cut from a live stream do; fractional delays by Lanczos interpolation."""

    sps: int
    name = "timing"
    before_crop = True

    def draw(self, streams, n_ext):
        return {"timing": streams.uniform("timing", (), 0.0, float(self.sps))}

    def apply(self, x, p, origin):
        return interpolate(x, np.arange(x.shape[1])[None, :] + p["timing"][:, None])


def rotate(x, phase):
    """x * exp(j phase), with the rotation computed in float32 (phase in radians, broadcastable)."""
    phase = np.asarray(phase, np.float32)
    r = np.empty(phase.shape, np.complex64)
    r.real, r.imag = np.cos(phase), np.sin(phase)
    return x * r


def interpolate(x, t, half_width=4):
    """Lanczos interpolation of rows of x at fractional sample times t (N, M); zero outside."""
    base = np.floor(t).astype(np.int64)
    out = np.zeros(t.shape, np.complex64)
    n = x.shape[1]
    for k in range(-half_width + 1, half_width + 1):
        idx = base + k
        w = np.sinc(t - idx) * np.sinc((t - idx) / half_width)
        inside = (idx >= 0) & (idx < n)
        out += np.where(inside, w * np.take_along_axis(x, np.clip(idx, 0, n - 1), axis=1), 0)
    return out
