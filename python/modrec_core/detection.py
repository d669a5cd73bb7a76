"""Energy detection of the signals in a wideband frame, and their tracking across frames
(docs/scanning.md).

A frame's Welch PSD is compared with its noise floor, estimated from order statistics (the
mean of the bins below twice the 10th percentile: noise-only bins, however much of the band the
signals fill, as long as a tenth of it is free); runs of bins above floor + `threshold_db`,
merged across gaps of a few bins and at least `min_bins` wide, are signals, except slivers: a
run narrower than SLIVER_BINS closer to a wider one than a quarter of that one's width (or
SLIVER_BINS) is a piece of its skirt wavering about the threshold (FSK's, mostly), not a signal. A run no wider than
`DC_SPIKE_BINS` centred on 0 Hz is a receiver's DC spike (RTL-SDR), not a signal. Hysteresis is
in time: a track lives on through `max_missed` frames without its signal (a fade, a burst gap).
"""
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, signal

NFFT = 4096
THRESHOLD_DB = 6.0
MIN_BINS = 6
MERGE_GAP_BINS = 3
DC_SPIKE_BINS = 3
FLOOR_PERCENTILE = 10
SLIVER_BINS = 32  # 0.8 % of the band: 18.8 kHz at 2.4 MS/s


@dataclass(frozen=True)
class Detection:
    """One signal in one frame; frequencies in cycles/sample."""

    centre: float
    bandwidth: float
    snr_db: float  # in its own band: mean PSD over the band against the noise floor


def psd(x, nfft=NFFT):
    """(frequencies, PSD) of complex samples x, both fftshifted (-0.5 .. 0.5 cycles/sample)."""
    f, p = signal.welch(x, nperseg=nfft, return_onesided=False, detrend=False, scaling="density")
    return np.fft.fftshift(f), np.fft.fftshift(p)


def detect(x, nfft=NFFT, threshold_db=THRESHOLD_DB, min_bins=MIN_BINS):
    """The Detections of one frame of complex samples (at least 4 * nfft of them)."""
    if len(x) < 4 * nfft:
        raise ValueError(f"a frame needs at least {4 * nfft} samples for its PSD, got {len(x)}")
    f, p = psd(x, nfft)
    low = np.percentile(p, FLOOR_PERCENTILE)
    floor = p[p < 2 * low].mean()
    level = 10 * np.log10(np.maximum(p, 1e-30) / floor)
    above = level > threshold_db
    runs, n = ndimage.label(ndimage.binary_closing(above, np.ones(2 * MERGE_GAP_BINS + 1)) | above)
    spans = [np.flatnonzero(runs == k) for k in range(1, n + 1)]
    out = []
    for k, bins in enumerate(spans):
        if len(bins) < min_bins or (len(bins) <= DC_SPIKE_BINS and abs(f[bins].mean()) < 2.0 / nfft):
            continue
        if len(bins) < SLIVER_BINS and any(_skirt_of(bins, o) for o in spans):
            continue
        band = p[bins]
        centre = float(np.sum(f[bins] * (band - floor)) / np.sum(band - floor))
        out.append(Detection(centre, float(len(bins) / nfft), float(10 * np.log10(band.mean() / floor - 1 + 1e-12))))
    return out


def _skirt_of(bins, other):
    """Whether run `bins` (narrower than SLIVER_BINS) is a sliver of the wider run `other`'s skirt."""
    gap = min(abs(other[0] - bins[-1]), abs(bins[0] - other[-1]))
    return len(other) > len(bins) and gap <= max(SLIVER_BINS, len(other) / 4)


@dataclass
class Track:
    """A signal followed across frames."""

    id: int
    centre: float
    bandwidth: float
    snr_db: float
    first_frame: int
    last_frame: int
    frames: list = field(default_factory=list)


class Tracker:
    """Keeps a stable id for a signal whose band overlaps the same track's from frame to frame;
    a track not seen for `max_missed` frames ends."""

    def __init__(self, max_missed=2):
        self.max_missed, self.tracks, self.ended, self._next = max_missed, [], [], 0

    def update(self, frame, detections):
        """Match one frame's detections to tracks (new ids for new signals); returns the live tracks."""
        for d in detections:
            match = next((t for t in self.tracks if abs(t.centre - d.centre) < (t.bandwidth + d.bandwidth) / 4), None)
            if match is None:
                match = Track(self._next, d.centre, d.bandwidth, d.snr_db, frame, frame)
                self._next += 1
                self.tracks.append(match)
            n = len(match.frames)
            match.centre = (match.centre * n + d.centre) / (n + 1)
            match.bandwidth = (match.bandwidth * n + d.bandwidth) / (n + 1)
            match.snr_db = (match.snr_db * n + d.snr_db) / (n + 1)
            match.last_frame = frame
            match.frames.append(frame)
        for t in [t for t in self.tracks if frame - t.last_frame > self.max_missed]:
            self.tracks.remove(t)
            self.ended.append(t)
        return list(self.tracks)

    def all_tracks(self):
        """Every track, ended or live, by id."""
        return sorted(self.ended + self.tracks, key=lambda t: t.id)
