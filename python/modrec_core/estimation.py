"""Blind estimation for one channelized signal: centre frequency, occupied bandwidth, symbol rate
and a confidence, from the signal itself (docs/estimation.md).

The symbol rate comes from cyclostationary spectral lines: |x|^2 of a linear modulation with
excess bandwidth has a line at the symbol rate, x^2 a pair about twice the carrier (which OQPSK
keeps where its |x|^2 loses it), and the magnitude of the derivative of an FSK's instantaneous
frequency a line at its tone changes. All are searched over 4..32 samples per symbol (by
default); the strongest line, measured against the running median around it, wins, refined by
parabolic interpolation. A line that does not stand out is "no estimate" (None), not a guess.
It needs about a thousand symbols: 32,768 samples at 32 samples per symbol.
All frequencies are in cycles per sample; multiply by the sample rate for Hz.
"""
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

MIN_SAMPLES = 1024
LINE_THRESHOLD_DB = 17.0  # a line's height over its local median; noise alone stays below it (tests)
NFFT = 1 << 16
SMOOTHING = (3, 7, 15, 31)  # moving averages of the instantaneous frequency: short for fast FSK, long for slow
LOCAL_BINS = 513  # the running median a line is measured against: 1/128 of the sample rate
HARMONIC_TOLERANCE = 0.015  # relative: how close two lines' rates must be to a whole ratio
MEDIAN_STRIDE = 16  # the running median is taken every 16 bins and interpolated between (it is smooth)


@dataclass(frozen=True)
class Estimate:
    """What estimate() measured; symbol_rate is None where no line stood out."""

    centre: float  # cycles/sample
    bandwidth: float  # cycles/sample, holding 99 % of the power above the noise floor
    symbol_rate: object  # cycles/sample (1 / samples per symbol), or None
    confidence: float  # the winning line's height over its local median, dB
    method: str  # "envelope" (|x|^2 line), "frequency" (FSK tone changes), "conjugate" (x^2 lines) or "none"
    alternative: object = None  # another rate the lines allow equally well (cycles/sample), or None

    @property
    def samples_per_symbol(self):
        return None if self.symbol_rate is None else 1.0 / self.symbol_rate


def occupied_band(x, nperseg=1024):
    """(centre, bandwidth) in cycles/sample: the band holding 99 % of the Welch PSD's power above
    its noise floor (the 20th percentile), centre its power-weighted mean."""
    f, p = signal.welch(x, nperseg=min(nperseg, len(x)), return_onesided=False, detrend=False)
    f, p = np.fft.fftshift(f), np.fft.fftshift(p)
    excess = np.clip(p - np.percentile(p, 20), 0, None)
    if excess.sum() <= 0:
        return 0.0, 0.0
    cum = np.cumsum(excess) / excess.sum()
    lo, hi = f[np.searchsorted(cum, 0.005)], f[min(np.searchsorted(cum, 0.995), len(f) - 1)]
    return float(np.sum(f * excess) / excess.sum()), float(hi - lo)


def running_median(spec, mode):
    """The median of the LOCAL_BINS bins around each bin (`mode`: np.pad's "edge" or "wrap"), taken
    every MEDIAN_STRIDE bins and linearly interpolated: 16x cheaper than a full running median."""
    half = LOCAL_BINS // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(spec, half, mode=mode), LOCAL_BINS)
    at = np.arange(0, len(spec) + MEDIAN_STRIDE - 1, MEDIAN_STRIDE).clip(max=len(spec) - 1)
    return np.interp(np.arange(len(spec)), at, np.median(windows[at], axis=1))


class _Lines:
    """The magnitude spectrum of a real feature, searched for lines in [low, high] cycles/sample."""

    def __init__(self, feature, low, high):
        spec = np.abs(np.fft.rfft((feature - feature.mean()) * np.hanning(len(feature)), NFFT))
        self.spec = spec / np.maximum(running_median(spec, "edge"), 1e-30)
        f = np.fft.rfftfreq(NFFT)
        self.band = np.flatnonzero((f >= low) & (f <= high))

    def strongest(self):
        """(frequency, height in dB over the band's median) of the highest line."""
        return self._peak(self.band)

    def near(self, freq, tolerance=0.01):
        """The highest line within a relative `tolerance` of freq."""
        k = np.arange(int(freq * (1 - tolerance) * NFFT), int(np.ceil(freq * (1 + tolerance) * NFFT)) + 1)
        return self._peak(k[(k > 0) & (k < len(self.spec) - 1)])

    def _peak(self, bins):
        k = bins[np.argmax(self.spec[bins])]
        height = 20 * np.log10(self.spec[k])
        a, b, c = np.log(self.spec[k - 1:k + 2] + 1e-30)
        offset = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0  # parabolic interpolation
        return (k + offset) / NFFT, float(height)

    def fundamental(self, low):
        """The strongest line, or the lowest of its sub-harmonics (1/2 .. 1/4) that is a line too:
        the tone changes of an FSK put lines at every multiple of the symbol rate."""
        rate, height = self.strongest()
        for k in (4, 3, 2):
            if rate / k >= low:
                sub, sub_height = self.near(rate / k)
                if sub_height >= LINE_THRESHOLD_DB and sub_height >= height - 6:
                    return sub, sub_height
        return rate, height


def _conjugate_line(base, low, high, max_offset=0.05, peaks=24):
    """(rate, height) from the conjugate cyclic feature: the spectrum of x^2 has lines at
    2 df +- Rs (df: what is left of the carrier offset), which OQPSK keeps where |x|^2 loses them.
    Of the strongest lines, the pair whose half-distance is a rate in [low, high] and whose
    midpoint (2 df) lies within max_offset of 0 wins; the rate is its half-distance, the height
    the weaker line's."""
    spec = np.abs(np.fft.fftshift(np.fft.fft(base ** 2 * np.hanning(len(base)), NFFT)))
    spec = spec / np.maximum(running_median(spec, "wrap"), 1e-30)
    f = np.fft.fftshift(np.fft.fftfreq(NFFT))
    k, _ = signal.find_peaks(spec, distance=int(low * NFFT) or 1)
    k = k[np.argsort(spec[k])[::-1][:peaks]]
    if len(k) < 2:
        return 0.0, 0.0
    i, j = np.triu_indices(len(k), 1)
    half, mid = np.abs(f[k[i]] - f[k[j]]) / 2, (f[k[i]] + f[k[j]]) / 2
    height = np.minimum(spec[k[i]], spec[k[j]])
    ok = (half >= low) & (half <= high) & (np.abs(mid) <= max_offset)
    if not ok.any():
        return 0.0, 0.0
    best = np.flatnonzero(ok)[np.argmax(height[ok])]
    return float(half[best]), float(20 * np.log10(height[best]))


def estimate(x, min_sps=4.0, max_sps=32.0):
    """An Estimate for complex samples x (at least MIN_SAMPLES of one signal and noise)."""
    x = np.asarray(x)
    if x.ndim != 1 or not np.iscomplexobj(x):
        raise ValueError(f"estimate() needs one complex vector of samples, got shape {x.shape} dtype {x.dtype}")
    if len(x) < MIN_SAMPLES:
        raise ValueError(f"estimate() needs at least {MIN_SAMPLES} samples, got {len(x)}")
    if not np.isfinite(x).all():
        raise ValueError("estimate() got NaN or infinite samples")
    if not 2 <= min_sps < max_sps:
        raise ValueError(f"need 2 <= min_sps < max_sps, got {min_sps}, {max_sps}")
    centre, bandwidth = occupied_band(x)
    base = x * np.exp(-2j * np.pi * centre * np.arange(len(x)))
    low, high = 1.0 / max_sps * 0.97, 1.0 / min_sps * 1.03
    inst = np.angle(base[1:] * np.conj(base[:-1]))  # instantaneous frequency, radians per sample
    tone_changes = [_Lines(np.abs(np.diff(ndimage.uniform_filter1d(inst, n))), low, high).fundamental(low)
                    for n in SMOOTHING]
    candidates = {"envelope": _Lines(np.abs(base) ** 2, low, high).fundamental(low),
                  "frequency": max(tone_changes, key=lambda line: line[1]),
                  "conjugate": _conjugate_line(base, low, high)}
    passing = [m for m, (_, height) in candidates.items() if height >= LINE_THRESHOLD_DB]  # in order: docs/estimation.md
    if not passing:
        return Estimate(centre, bandwidth, None, max(h for _, h in candidates.values()), "none")
    method = passing[0]
    if method == "envelope" and "frequency" in passing and _is_harmonic(candidates["envelope"][0],
                                                                        candidates["frequency"][0]):
        method = "frequency"  # a filtered FSK's envelope has lines at multiples of its tone changes
    rate, height = candidates[method]
    return Estimate(centre, bandwidth, float(rate), height, method, _half_rate_alternative(method, candidates, passing))


def _half_rate_alternative(method, candidates, passing):
    """The conjugate line's rate where the frequency method won at twice it, or None: OQPSK's phase
    changes every half symbol, so its tone-change line is at 2x its rate, while an FSK (MSK
    among them) puts its x^2 pair at half its rate; the lines alone cannot tell the two apart."""
    if method != "frequency" or "conjugate" not in passing:
        return None
    half = candidates["conjugate"][0]
    return float(half) if abs(2 * half / candidates["frequency"][0] - 1) <= HARMONIC_TOLERANCE else None


def _is_harmonic(rate, base, tolerance=HARMONIC_TOLERANCE):
    """Whether `rate` is 2 to 8 times `base`, within a relative tolerance (a filtered 8FSK's
    envelope has lines up to 6x its tone changes)."""
    return base > 0 and any(abs(rate / (k * base) - 1) <= tolerance for k in range(2, 9))
