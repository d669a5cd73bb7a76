"""Rate normalization: one signal of a wideband capture brought to 0 Hz, filtered to its band,
its symbol rate estimated blindly and resampled to the samples per symbol a bundle was trained
at (docs/scanning.md). GNU Radio flowgraphs do the same with `freq_xlating_fir_filter_ccc` and
`pfb_arb_resampler_ccf`; this is the core's numpy/scipy version for files and tests."""
from fractions import Fraction

import numpy as np
import scipy.fft
from scipy import signal

from . import estimation

CHANNEL_OVERSAMPLING = 5.0  # channel sample rate over the detected bandwidth: >= 4 samples per symbol for the estimator
PASSBAND = 0.8  # flat pass band each side of 0 as a share of the detected bandwidth (detection sees less than the 99 % band)
TRANSITION = 0.3  # raised-cosine roll-off to zero over this share of the bandwidth beyond the pass band
ESTIMATE_SAMPLES = 1 << 16
MAX_RATIO_DENOMINATOR = 512


def to_baseband(x, centre, bandwidth, spectrum=None):
    """(channel samples, decimation): x shifted by -centre (cycles/sample), filtered to the
    signal's band and decimated to about CHANNEL_OVERSAMPLING x its bandwidth, in one step in the
    frequency domain: the bins around the centre, tapered, inverse-transformed at the lower rate
    (a frame-sized FFT channelizer: the cost no longer grows with the filter's length).
    spectrum: frame_spectrum(x) when the caller has it (one FFT serves every signal of a frame)."""
    n = len(x)
    decimation = max(int(1.0 / (CHANNEL_OVERSAMPLING * bandwidth)), 1)
    m = n // decimation
    offsets = np.fft.fftfreq(m) * m / n  # the output's bin frequencies, cycles/sample of the input
    spectrum = frame_spectrum(x) if spectrum is None else spectrum
    band = spectrum[(int(round(centre * n)) + np.round(offsets * n).astype(int)) % n]
    channel = scipy.fft.ifft(band * _taper(np.abs(offsets), bandwidth).astype(np.float32)) * np.float32(m / n)
    return channel.astype(np.complex64), decimation


def frame_spectrum(x):
    """The FFT to_baseband channelizes from, in single precision for complex64 x (scipy.fft
    keeps it: half numpy's time)."""
    return scipy.fft.fft(np.asarray(x, np.complex64))


def _taper(offset, bandwidth):
    """1 within PASSBAND x bandwidth of 0, a raised cosine down to 0 over TRANSITION x bandwidth."""
    edge = (offset - PASSBAND * bandwidth) / (TRANSITION * bandwidth)
    return np.where(edge <= 0, 1.0, np.where(edge >= 1, 0.0, 0.5 * (1 + np.cos(np.pi * np.clip(edge, 0, 1)))))


def estimate_rate(channel):
    """estimation.Estimate of a channel from its first ESTIMATE_SAMPLES samples."""
    return estimation.estimate(channel[:ESTIMATE_SAMPLES])


def resample_to_sps(channel, sps_now, sps_wanted):
    """The channel resampled from sps_now to sps_wanted samples per symbol (rational polyphase)."""
    ratio = Fraction(float(sps_wanted) / float(sps_now)).limit_denominator(MAX_RATIO_DENOMINATOR)
    return signal.resample_poly(channel, ratio.numerator, ratio.denominator).astype(np.complex64)
