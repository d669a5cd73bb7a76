"""A continuous stream of synthesized bursts with ground truth: the signal source's engine.

Burst i is example i of the seed (the same samples `synthesize` gives for that class and SNR),
scaled so the noise floor sits at `noise_floor_db` (power relative to full scale), followed by a
gap of noise at that floor or of silence. Settings changed while running apply from the next
chunk of bursts on.
"""
import math
import threading

import numpy as np

from .synthesis import get_preset, synthesize
from .synthesis import streams

CHUNK_SAMPLES = 16384  # samples generated per refill (whole bursts)
GAP_KINDS = ("noise", "silence")
MAX_LENGTH = 1 << 22  # samples in a burst or a gap: one refill stays within about 100 MB
NOISE_FLOOR_RANGE_DB = (-150.0, 0.0)  # dBFS: float32 keeps every sample finite and non-denormal


def _length(value, name):
    """A burst or gap length as an int in [0, MAX_LENGTH], or a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value != int(value):
        raise ValueError(f"{name} must be a whole number of samples, got {value!r}")
    if not 0 <= value <= MAX_LENGTH:
        raise ValueError(f"{name} must be between 0 and {MAX_LENGTH} samples, got {int(value)}")
    return int(value)


def class_names(classes):
    """Class names from a list, or from one string of names separated by commas or spaces."""
    if isinstance(classes, str):
        return [c for c in classes.replace(",", " ").split() if c]
    return [str(c) for c in classes]


class BurstStream:
    """Generates chunks of bursts plus one ground-truth record per burst."""

    def __init__(self, preset="sig2019", classes=(), snr_db=(None, None), burst_len=0, gap_len=0,
                 gap="noise", seed=0, noise_floor_db=-30.0):
        base = get_preset(preset)
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        burst_len = _length(burst_len, "burst_len")
        self._preset = base.with_length(burst_len) if burst_len else base
        low, high = NOISE_FLOOR_RANGE_DB
        if not (isinstance(noise_floor_db, (int, float)) and low <= noise_floor_db <= high):
            raise ValueError(f"noise_floor_db must be a number of dBFS in [{low:g}, {high:g}], got {noise_floor_db!r}")
        self.noise_floor_db = float(noise_floor_db)
        self._lock = threading.Lock()
        self._seed = int(seed)
        self._pick = streams.generator(seed, streams.BURST_CLASS_KEY)
        self._gap_rng = streams.generator(seed, streams.BURST_GAP_KEY)
        self._burst = 0
        self._offset = 0
        self.set_classes(classes)
        self.set_snr(*snr_db)
        self.set_gap(gap_len, gap)

    @property
    def preset(self):
        return self._preset

    @property
    def burst_len(self):
        return self._preset.length

    def set_classes(self, classes):
        """Restrict bursts to these class names (a list, or one string 'BPSK, QPSK'; empty: every
        class of the preset)."""
        names = class_names(classes) or self._preset.labels
        idx = np.array([self._preset.class_index(c) for c in names], np.int64)
        with self._lock:
            self._classes = idx

    def set_snr(self, low=None, high=None):
        """Fixed SNR (equal ends), or the preset's SNR levels within [low, high]; an end left None
        is the preset's own."""
        levels = np.asarray(self._preset.snr_levels, np.float32)
        low = float(levels[0]) if low is None else low
        high = float(levels[-1]) if high is None else high
        for name, value in (("low", low), ("high", high)):
            if not (isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value)):
                raise ValueError(f"SNR {name} end must be a finite number of dB, got {value!r}")
        if not levels[0] <= low <= high <= levels[-1]:
            raise ValueError(f"SNR range [{low}, {high}] dB must lie within the {self._preset.name} "
                             f"preset's {levels[0]:g}..{levels[-1]:g} dB (and low <= high)")
        chosen = np.array([low], np.float32) if low == high else levels[(levels >= low) & (levels <= high)]
        if chosen.size == 0:
            raise ValueError(f"no SNR level of preset {self._preset.name} lies in [{low}, {high}] dB")
        with self._lock:
            self._snr_choices = chosen

    def set_gap(self, gap_len, gap="noise"):
        """Samples between bursts, filled with noise at the floor or with silence (zeros)."""
        gap_len = _length(gap_len, "gap_len")
        if gap not in GAP_KINDS:
            raise ValueError(f"gap kind must be one of {GAP_KINDS}, got {gap!r}")
        with self._lock:
            self._gap_len, self._gap = gap_len, gap

    def next_chunk(self):
        """(samples complex64, records): records are (absolute offset, ground-truth dict) per burst."""
        with self._lock:
            classes, snrs, gap_len, gap = self._classes, self._snr_choices, self._gap_len, self._gap
        period = self.burst_len + gap_len
        count = max(1, CHUNK_SAMPLES // period)
        labels = classes[self._pick.integers(len(classes), size=count)]
        snr = snrs[self._pick.integers(len(snrs), size=count)]
        batch = synthesize(self._preset, labels, snr, self._seed, first=self._burst)
        floor = 10.0 ** (self.noise_floor_db / 10.0)
        scale = np.sqrt(floor * 10.0 ** (snr / 10.0)).astype(np.float32)[:, None]
        out = np.zeros((count, period), np.complex64)
        out[:, :self.burst_len] = batch.x * scale
        if gap_len and gap == "noise":
            z = self._gap_rng.standard_normal((count, 2, gap_len), dtype=np.float32)
            out[:, self.burst_len:] = np.sqrt(floor / 2) * (z[:, 0] + 1j * z[:, 1])
        records = [(self._offset + k * period, self._truth(batch, k, self._burst + k)) for k in range(count)]
        self._burst += count
        self._offset += count * period
        return out.ravel(), records

    def _truth(self, batch, k, burst):
        truth = {"mod": self._preset.labels[batch.labels[k]], "burst": burst, "burst_len": self.burst_len}
        for name, values in batch.params.items():
            if values.ndim == 1:
                truth[name] = float(values[k])
        return truth
