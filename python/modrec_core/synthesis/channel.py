"""Channel impairments as composable stages.

A stage has a `name` (used to switch it off and to key its random stream), `draw(streams, n_ext)`
returning its per-example parameters, and `apply(x, params, origin)` working on complex (N, n_ext)
windows whose in-window part starts at sample `origin`. Stages with `before_crop` run on the
window plus its margins (they move samples in time); the others run on the cropped window, before
the noise, or with `after_noise` after it (a receiver's front end sees signal and noise together).
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Phase:
    """Carrier phase uniform in [-pi, pi], referenced to the window's first sample."""

    name = "phase"
    before_crop = False
    after_noise = False

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
    after_noise = False

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
    after_noise = False

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
    """Symbol-rate (clock) error: resample by (1 + eps), eps uniform in +-max_offset, about the
    window centre; with max_drift > 0 the rate also changes linearly across the window, from
    eps - drift/2 to eps + drift/2, drift uniform in +-max_drift (a slowly drifting clock)."""

    max_offset: float
    max_drift: float = 0.0
    name = "sro"
    before_crop = True
    after_noise = False

    def draw(self, streams, n_ext):
        p = {"sro": streams.uniform("sro", (), -self.max_offset, self.max_offset)}
        if self.max_drift > 0:
            p["sro_drift"] = streams.uniform("sro_drift", (), -self.max_drift, self.max_drift)
        return p

    def apply(self, x, p, origin):
        n = x.shape[1]
        centre = (n - 1) / 2.0
        d = np.arange(n)[None, :] - centre
        t = centre + d * (1.0 + p["sro"][:, None])
        if self.max_drift > 0:
            t = t + p["sro_drift"][:, None] * d * d / (2.0 * n)
        return interpolate(x, t)


@dataclass(frozen=True)
class SymbolTiming:
    """Symbol-timing phase: the window starts `timing` samples (uniform in [0, sps)) after a symbol
    boundary, as windows cut from a live stream do; fractional delays by Lanczos interpolation."""

    sps: int
    name = "timing"
    before_crop = True
    after_noise = False

    def draw(self, streams, n_ext):
        return {"timing": streams.uniform("timing", (), 0.0, float(self.sps))}

    def apply(self, x, p, origin):
        return interpolate(x, np.arange(x.shape[1])[None, :] + p["timing"][:, None])


@dataclass(frozen=True)
class RandomMultipath:
    """Static multipath with drawn taps, as a receiver meets it: `taps` paths, the first at delay 0
    (Rician, K uniform in [0, max_k]: 0 is Rayleigh), the others Rayleigh at fractional delays
    uniform in (0, max_delay] samples with powers falling as exp(-decay * delay / max_delay),
    decay uniform in [1, 4]. A share 1 - `los_share` of the windows has no line of sight (the
    first path Rayleigh too); a share 1 - `share` keeps a flat channel."""

    max_delay: float
    taps: int = 3
    max_k: float = 10.0
    share: float = 1.0
    los_share: float = 1.0
    name = "multipath"
    before_crop = True
    after_noise = False

    def draw(self, streams, n_ext):
        delays = streams.uniform("multipath_delay", (self.taps,), 0.0, self.max_delay)
        delays[:, 0] = 0.0
        k = streams.uniform("multipath_k", (), 0.0, self.max_k)[:, None]
        if self.los_share < 1.0:
            k[streams.uniform("multipath_nlos", ()) >= self.los_share] = 0.0
        decay = streams.uniform("multipath_decay", (), 1.0, 4.0)[:, None]
        power = np.exp(-decay * delays / self.max_delay)
        scatter = streams.normal("multipath_scatter", (self.taps, 2)).astype(np.float64) / np.sqrt(2.0)
        rayleigh = scatter[..., 0] + 1j * scatter[..., 1]
        los = np.exp(1j * streams.uniform("multipath_los", (), -np.pi, np.pi))
        first = np.sqrt(k / (k + 1)) * los[:, None] + np.sqrt(1 / (k + 1)) * rayleigh[:, :1]
        taps = np.concatenate([first, rayleigh[:, 1:]], axis=1) * np.sqrt(power)
        flat = streams.uniform("multipath_on", ()) >= self.share
        taps[flat] = np.eye(1, self.taps)
        taps /= np.sqrt(np.sum(np.abs(taps) ** 2, axis=1, keepdims=True))
        return {"multipath_delays": delays.astype(np.float32), "multipath_taps": taps.astype(np.complex64)}

    def apply(self, x, p, origin):
        return np.fft.ifft(np.fft.fft(x, axis=1) * multipath_response(p, x.shape[1]), axis=1).astype(np.complex64)


def multipath_response(p, n):
    """Each window's multipath frequency response (N, n) at the bins of an n-point FFT."""
    f = np.fft.fftfreq(n)
    steer = np.exp(-2j * np.pi * p["multipath_delays"][:, :, None] * f[None, None, :])  # (N, taps, n)
    return np.einsum("nk,nkf->nf", p["multipath_taps"], steer)


def oracle_equalized(x, p, snr_db, magnitude_only=False):
    """Windows x (N, n) of a synthesized batch with their multipath undone by an MMSE equalizer
    that knows each window's channel and CFO (the multipath acts before the CFO): what a perfect
    channel estimate would let a classifier see (docs/field.md). magnitude_only: the channel's
    |H| without its phase, all that a window's power spectrum tells."""
    n = x.shape[1]
    carrier = np.exp(2j * np.pi * p["cfo"][:, None] * np.arange(n))
    h = multipath_response(p, n)
    h = np.abs(h) if magnitude_only else h
    g = np.conj(h) / (np.abs(h) ** 2 + 10.0 ** (-np.asarray(snr_db, np.float64)[:, None] / 10))
    return (np.fft.ifft(np.fft.fft(x / carrier, axis=1) * g, axis=1) * carrier).astype(np.complex64)


@dataclass(frozen=True)
class PhaseNoise:
    """Local-oscillator phase noise: a Wiener phase whose per-sample step has a standard deviation
    uniform in [0, max_std] radians."""

    max_std: float
    name = "phase_noise"
    before_crop = False
    after_noise = True

    def draw(self, streams, n_ext):
        return {"phase_noise_std": streams.uniform("phase_noise_std", (), 0.0, self.max_std).astype(np.float32),
                "phase_noise_walk": streams.normal("phase_noise_walk", (n_ext,))}

    def apply(self, x, p, origin):
        steps = p["phase_noise_std"][:, None] * p["phase_noise_walk"][:, :x.shape[1]]
        return rotate(x, np.cumsum(steps, axis=1))


@dataclass(frozen=True)
class IQImbalance:
    """Receiver I/Q imbalance: the Q branch's gain off by g dB (uniform in +-max_gain_db) and its
    phase by phi (uniform in +-max_phase_deg): Q' = 10^(g/20) (Q cos phi - I sin phi)."""

    max_gain_db: float
    max_phase_deg: float
    name = "iq_imbalance"
    before_crop = False
    after_noise = True

    def draw(self, streams, n_ext):
        return {"iq_gain_db": streams.uniform("iq_gain_db", (), -self.max_gain_db, self.max_gain_db),
                "iq_phase_deg": streams.uniform("iq_phase_deg", (), -self.max_phase_deg, self.max_phase_deg)}

    def apply(self, x, p, origin):
        g = (10.0 ** (p["iq_gain_db"] / 20.0))[:, None]
        phi = np.deg2rad(p["iq_phase_deg"])[:, None]
        q = g * (x.imag * np.cos(phi) - x.real * np.sin(phi))
        return (x.real + 1j * q).astype(np.complex64)


@dataclass(frozen=True)
class DCOffset:
    """A receiver's DC offset: a constant of magnitude uniform in [0, max_level] times the window's
    RMS, at a uniform angle (the centre spike of a zero-IF receiver such as the RTL-SDR)."""

    max_level: float
    name = "dc_offset"
    before_crop = False
    after_noise = True

    def draw(self, streams, n_ext):
        return {"dc_level": streams.uniform("dc_level", (), 0.0, self.max_level),
                "dc_angle": streams.uniform("dc_angle", (), -np.pi, np.pi)}

    def apply(self, x, p, origin):
        rms = np.sqrt(np.mean(np.abs(x) ** 2, axis=1))
        dc = p["dc_level"] * rms * np.exp(1j * p["dc_angle"])
        return (x + dc[:, None]).astype(np.complex64)


@dataclass(frozen=True)
class Quantizer:
    """AGC and ADC: the window is scaled to an RMS level uniform in `level_dbfs` (per component,
    full scale 1), rounded to `bits` (one of `bit_choices`, drawn per window; 0 keeps it
    unquantized) with clipping at full scale, and scaled back."""

    bit_choices: tuple = (8, 12, 0)
    level_dbfs: tuple = (-25.0, -8.0)
    name = "adc"
    before_crop = False
    after_noise = True

    def draw(self, streams, n_ext):
        pick = np.minimum((streams.uniform("adc_bits", ()) * len(self.bit_choices)).astype(int), len(self.bit_choices) - 1)
        return {"adc_bits": np.asarray(self.bit_choices, np.float32)[pick],
                "adc_level_dbfs": streams.uniform("adc_level", (), *self.level_dbfs).astype(np.float32)}

    def apply(self, x, p, origin):
        rms = np.sqrt(np.mean(np.abs(x) ** 2, axis=1) / 2.0)  # per component
        gain = (10.0 ** (p["adc_level_dbfs"] / 20.0) / np.maximum(rms, 1e-12))[:, None]
        quantized = (p["adc_bits"] > 0)[:, None]
        levels = np.where(quantized, 2.0 ** (p["adc_bits"][:, None] - 1), 1.0)

        def adc(v):
            scaled = v * gain
            return np.where(quantized, np.clip(np.round(scaled * levels) / levels, -1.0, 1.0), scaled) / gain

        return (adc(x.real) + 1j * adc(x.imag)).astype(np.complex64)


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
