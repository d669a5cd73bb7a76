"""Rate normalization: one signal of a wideband capture brought to 0 Hz, filtered to its band,
its symbol rate estimated blindly and resampled to the samples per symbol a bundle was trained
at (docs/scanning.md). GNU Radio flowgraphs do the same with `freq_xlating_fir_filter_ccc` and
`pfb_arb_resampler_ccf`; this is the core's numpy/scipy version for files and tests."""
from fractions import Fraction

import numpy as np
from scipy import signal

from . import estimation

CHANNEL_OVERSAMPLING = 5.0  # channel sample rate over the detected bandwidth: >= 4 samples per symbol for the estimator
PASSBAND = 0.8  # low-pass cut-off as a share of the detected bandwidth (detection sees less than the 99 % band)
TAPS = 129
ESTIMATE_SAMPLES = 1 << 16
MAX_RATIO_DENOMINATOR = 512


def to_baseband(x, centre, bandwidth):
    """(channel samples, decimation): x shifted by -centre (cycles/sample), low-pass filtered to
    the signal's band and decimated to about CHANNEL_OVERSAMPLING x its bandwidth."""
    decimation = max(int(1.0 / (CHANNEL_OVERSAMPLING * bandwidth)), 1)
    shifted = x * np.exp(-2j * np.pi * centre * np.arange(len(x)))
    taps = signal.firwin(TAPS * decimation | 1, min(2 * PASSBAND * bandwidth, 0.99))
    return signal.upfirdn(taps, shifted, down=decimation)[(len(taps) // 2) // decimation:].astype(np.complex64), decimation


def estimate_rate(channel):
    """estimation.Estimate of a channel from its first ESTIMATE_SAMPLES samples."""
    return estimation.estimate(channel[:ESTIMATE_SAMPLES])


def resample_to_sps(channel, sps_now, sps_wanted):
    """The channel resampled from sps_now to sps_wanted samples per symbol (rational polyphase)."""
    ratio = Fraction(float(sps_wanted) / float(sps_now)).limit_denominator(MAX_RATIO_DENOMINATOR)
    return signal.resample_poly(channel, ratio.numerator, ratio.denominator).astype(np.complex64)
