"""The wideband scanner's pipeline (docs/scanning.md): frame by frame, detect and track the
signals, bring each to baseband at the bundle's samples per symbol and classify its windows.
`Scanner` is what the GNU Radio `scanner` block drives as frames arrive; `scan()` runs it over a
capture in memory and sums each signal's stretch up (apps/scan.py)."""
from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import channelizer, detection
from .estimation import MIN_SAMPLES
from .synthesis.synthesizer import to_iq

FRAME = 1 << 17  # samples per detection frame
WINDOWS_PER_FRAME = 4  # windows classified per signal and frame (16 a frame for 4 signals, one batch: real time on 2 cores)
HALF_RATE_CLASS = "OQPSK"  # the class whose tone-change line is at twice its symbol rate
RESAMPLE_MARGIN = 64  # channel samples resampled beyond the windows' share (the filter's edge)


@dataclass(frozen=True)
class FrameResult:
    """One tracked signal in one frame; frequencies in cycles/sample of the capture."""

    id: int
    frame: int
    centre: float
    bandwidth: float
    snr_db: float
    symbol_rate: object  # cycles/sample of the capture, or None (no estimate: nothing classified)
    rate_confidence: float  # dB
    decisions: tuple  # per window: a class, "unknown" or "noise"
    top_probs: tuple  # per window
    probs: object  # (C,) mean calibrated probabilities over the frame's windows, or None

    @property
    def decision(self):
        """The frame's majority decision ("unknown" where nothing was classified)."""
        return Counter(self.decisions).most_common(1)[0][0] if self.decisions else "unknown"


class Scanner:
    """Frame-by-frame scanning with one bundle. A track's symbol rate is estimated once, on
    the first frame it is seen in, and kept for the rest of its stretch."""

    def __init__(self, bundle, frame=FRAME, windows_per_frame=WINDOWS_PER_FRAME):
        self.bundle, self.frame, self.windows_per_frame = bundle, int(frame), int(windows_per_frame)
        self.tracker, self.rates, self.frames = detection.Tracker(), {}, 0
        self._spectrum = (None, None)  # (frame index, its FFT): one FFT channelizes every signal of a frame
        length = bundle.meta.window_length
        self.length = length if length != "any" else bundle.meta.trained_window_length
        self.sps = bundle.meta.samples_per_symbol

    def process(self, x):
        """[FrameResult] for the next frame of `frame` complex samples."""
        index, tracks = self.track(x)
        return self.measure([(x, t, index) for t in tracks])

    def track(self, x):
        """(frame index, the tracks seen in it) for the next frame: detection and tracking only,
        the cheap part, which a realtime caller runs on every frame."""
        if len(x) != self.frame:
            raise ValueError(f"a frame is {self.frame} samples, got {len(x)}")
        index, self.frames = self.frames, self.frames + 1
        live = self.tracker.update(index, detection.detect(x))
        return index, [t for t in live if t.last_frame == index]

    def measure(self, jobs):
        """[FrameResult] of (frame samples, track, frame index) jobs: each track channelized, its
        rate estimated on its first measured frame, and all their windows scored in one batch
        (the bundle runs faster on one batch of 16 windows than on four of 4)."""
        prepared = [self._windows(*job) for job in jobs]
        batch = [w for _, _, w in prepared if w is not None]
        scores = self.bundle.score(to_iq(np.concatenate(batch))) if batch else None
        results, start = [], 0
        for (_, track, index), (rate, confidence, w) in zip(jobs, prepared):
            decisions, top, probs = (), (), None
            if w is not None:
                part = scores.rows(slice(start, start + len(w)))
                start += len(w)
                decisions = tuple(part.decisions(self.bundle.labels).tolist())
                top, probs = tuple(part.probs.max(axis=1).tolist()), part.probs.mean(axis=0)
            results.append(FrameResult(track.id, index, track.centre, track.bandwidth, track.snr_db, rate,
                                       float(confidence), decisions, top, probs))
        return results

    def _windows(self, x, track, index):
        """(rate, rate confidence, the windows to classify (n, length) or None) of one track in
        frame `index` (x)."""
        if self._spectrum[0] != index:
            self._spectrum = (index, channelizer.frame_spectrum(x))
        channel, decimation = channelizer.to_baseband(x, track.centre, track.bandwidth, self._spectrum[1])
        if track.id not in self.rates:
            est = channelizer.estimate_rate(channel) if len(channel) >= MIN_SAMPLES else None
            ok = est is not None and est.symbol_rate is not None
            rate = self._likelier_rate(channel, est) / decimation if ok else None
            self.rates[track.id] = (rate, est.confidence if est else 0.0)
        rate, confidence = self.rates[track.id]
        w = None if rate is None else self._cut(channel, 1.0 / (rate * decimation))
        return rate, confidence, w

    def _likelier_rate(self, channel, est):
        """The estimate's rate, or its alternative, half of it, where the bundle reads the windows
        at that rate as OQPSK: the lines leave OQPSK at 2x its rate and an FSK at 1/2 equally
        likely, and an FSK at half its rate looks like an FSK of twice its order, not like OQPSK."""
        if est.alternative is None or HALF_RATE_CLASS not in self.bundle.labels:
            return est.symbol_rate
        w = self._cut(channel, 1.0 / est.alternative)
        if w is None:
            return est.symbol_rate
        decisions = self.bundle.score(to_iq(w)).decisions(self.bundle.labels).tolist()
        return est.alternative if Counter(decisions).most_common(1)[0][0] == HALF_RATE_CLASS else est.symbol_rate

    def _cut(self, channel, sps):
        """Up to windows_per_frame windows (n, length) of the channel at `sps` brought to the
        bundle's samples per symbol, each at unit power as in training; None if none fits."""
        wanted = self.sps if self.sps != "unknown" else sps
        needed = int(np.ceil(self.windows_per_frame * self.length * sps / wanted)) + RESAMPLE_MARGIN
        y = channelizer.resample_to_sps(channel[:needed], sps, wanted)  # only what the windows take
        n = min(len(y) // self.length, self.windows_per_frame)
        if n == 0:
            return None
        w = y[:n * self.length].reshape(n, self.length)
        return w / np.sqrt(np.maximum(np.mean(np.abs(w) ** 2, axis=1, keepdims=True), 1e-30))


@dataclass(frozen=True)
class ScannedSignal:
    """One signal over one stretch of frames; frequencies in cycles/sample of the capture."""

    id: int
    sample_start: int
    sample_count: int
    centre: float
    bandwidth: float
    snr_db: float
    symbol_rate: object  # cycles/sample of the capture, or None (no estimate)
    rate_confidence: float  # dB
    label: str  # the majority decision of its windows ("unknown" without a symbol rate)
    top_prob: float  # mean top probability of the windows that gave the label
    windows: int


def scan(x, bundle, frame=FRAME, progress=None):
    """[ScannedSignal] for complex samples x (at least one frame), one per tracked signal and
    stretch; progress(samples) is called after each frame."""
    x = np.asarray(x, np.complex64)
    if len(x) < frame:
        raise ValueError(f"a capture needs at least one frame of {frame} samples, got {len(x)}")
    scanner, per_track = Scanner(bundle, frame), {}
    for k in range(len(x) // frame):
        for r in scanner.process(x[k * frame:(k + 1) * frame]):
            per_track.setdefault(r.id, []).append(r)
        if progress:
            progress(frame)
    return [stretch(results, frame) for _, results in sorted(per_track.items())]


def stretch(results, frame):
    """The ScannedSignal of one track's FrameResults (in frame order): its span of frames, last
    band and rate, and the majority decision of all its windows."""
    last = results[-1]
    decisions = [d for r in results for d in r.decisions]
    probs = np.array([p for r in results for p in r.top_probs])
    label = Counter(decisions).most_common(1)[0][0] if decisions else "unknown"
    prob = float(probs[np.array(decisions) == label].mean()) if decisions else 0.0
    start = results[0].frame * frame
    return ScannedSignal(last.id, start, (last.frame + 1) * frame - start, last.centre, last.bandwidth, last.snr_db,
                         last.symbol_rate, last.rate_confidence, label, prob, len(decisions))
