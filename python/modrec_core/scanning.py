"""The wideband scanner's pipeline for a capture in memory: detect and track the signals frame
by frame, bring each to baseband at the bundle's samples per symbol, and classify its windows
(docs/scanning.md). `apps/scan.py` runs it on SigMF recordings."""
from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import channelizer, detection
from .estimation import MIN_SAMPLES
from .synthesis.synthesizer import to_iq

FRAME = 1 << 17  # samples per detection frame
MAX_WINDOWS = 64  # windows classified per signal and stretch


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
    label: str  # the majority decision of its windows: a class, "unknown" or "noise"
    top_prob: float  # mean top probability of the windows that gave the label
    windows: int


def scan(x, bundle, frame=FRAME, progress=None):
    """[ScannedSignal] for complex samples x, one per tracked signal and stretch (x at least one
    frame long); progress(samples) is called as frames are detected."""
    x = np.asarray(x, np.complex64)
    if len(x) < frame:
        raise ValueError(f"a capture needs at least one frame of {frame} samples, got {len(x)}")
    tracker = detection.Tracker()
    for k in range(len(x) // frame):
        tracker.update(k, detection.detect(x[k * frame:(k + 1) * frame]))
        if progress:
            progress(frame)
    return [_measure(x, t, frame, bundle) for t in tracker.all_tracks()]


def _measure(x, track, frame, bundle):
    start, stop = track.first_frame * frame, min((track.last_frame + 1) * frame, len(x))
    channel, decimation = channelizer.to_baseband(x[start:stop], track.centre, track.bandwidth)
    est = channelizer.estimate_rate(channel) if len(channel) >= MIN_SAMPLES else None
    rate = None if est is None or est.symbol_rate is None else est.symbol_rate / decimation
    label, prob, n = "unknown", 0.0, 0
    if rate is not None:
        label, prob, n = _classify(channel, 1.0 / est.symbol_rate, bundle)
    return ScannedSignal(track.id, start, stop - start, track.centre, track.bandwidth, track.snr_db, rate,
                         float(est.confidence) if est else 0.0, label, prob, n)


def _classify(channel, sps, bundle):
    """(majority decision, its mean top probability, windows) of the channel at `sps`."""
    want = bundle.meta.samples_per_symbol
    length = bundle.meta.window_length if bundle.meta.window_length != "any" else bundle.meta.trained_window_length
    y = channelizer.resample_to_sps(channel, sps, want if want != "unknown" else sps)
    n = min(len(y) // length, MAX_WINDOWS)
    if n == 0:
        return "unknown", 0.0, 0
    w = y[:n * length].reshape(n, length)
    w = w / np.sqrt(np.mean(np.abs(w) ** 2, axis=1, keepdims=True))  # unit power, as training windows
    scores = bundle.score(to_iq(w))
    top = scores.probs.argmax(axis=1)
    decisions = np.where(scores.noise, "noise", np.where(scores.unknown, "unknown", np.asarray(bundle.labels)[top]))
    label = Counter(decisions.tolist()).most_common(1)[0][0]
    return label, float(scores.probs.max(axis=1)[decisions == label].mean()), n
